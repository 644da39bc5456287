//! The very `deploy/nginx.conf` that docker-compose.yml mounts, run by Debian's nginx (`scripts/test` installs it) in
//! front of two `partnerdesk` processes on one PostgreSQL database: the app works through it, live updates cross it
//! over WebSocket, the limiter sees the forwarded client address, and a killed process costs no request.

use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, error_code, fresh_postgres_database, session};
use crate::live::Subscription;
use crate::startup::Process;
use crate::traffic::{post_lead, setup};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx with the repository's config, its upstream and port rewritten for this test. Stopped when dropped.
struct Nginx {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(upstreams: &[&str]) -> Nginx {
        assert!(std::path::Path::new(NGINX).exists(), "Debian's nginx is required (apt-get install nginx-light)");
        let conf = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/nginx.conf")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let servers: String =
            upstreams.iter().map(|u| format!("server {u} max_fails=1 fail_timeout=10s;\n        ")).collect();
        let rewritten = conf
            .replace("server app:8080 max_fails=1 fail_timeout=10s;", servers.trim_end())
            .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
        assert_ne!(rewritten, conf);
        assert!(!rewritten.contains("app:8080") && !rewritten.contains("listen 80;"), "the test's rewrite missed");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, rewritten).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .args(["-e", "stderr", "-g"])
            .arg(format!("daemon off; pid {};", dir.path().join("nginx.pid").display()))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("error.log")).unwrap())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut nginx = Nginx { child, url, _dir: dir };
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if !nginx_alive(&mut nginx.child) {
                let log = std::fs::read_to_string(nginx._dir.path().join("error.log")).unwrap_or_default();
                panic!("nginx exited: {log}");
            }
            if let Ok(res) = client.get(format!("{}/health", nginx.url)).send().await
                && res.status() == 200
            {
                return nginx;
            }
            assert!(std::time::Instant::now() < deadline, "nginx did not answer /health within 20 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn nginx_alive(child: &mut Child) -> bool {
    child.try_wait().unwrap().is_none()
}

impl Drop for Nginx {
    /// Graceful stop (SIGQUIT, so the workers go too), and SIGKILL if it has not exited within 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-QUIT", &self.child.id().to_string()]).status();
        for _ in 0..100 {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client whose connections come from `ip` (any 127.0.0.0/8 address is loopback): another client as nginx
/// and the app see it.
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(Ipv4Addr::from(ip))).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compose_nginx_config_in_front_of_two_processes() {
    let database_url = fresh_postgres_database().await;
    let data_dir = tempfile::tempdir().unwrap();
    // nginx reaches the app from 127.0.0.1; clients come from 127.0.0.2 and up, so they are not trusted themselves.
    let settings = [("TRUSTED_PROXIES", "127.0.0.1/32")];
    let mut a = Process::start_with(&database_url, data_dir.path(), &settings);
    let mut b = Process::start_with(&database_url, data_dir.path(), &settings);
    a.wait_ready().await;
    b.wait_ready().await;
    let upstreams: Vec<String> = [&a, &b].iter().map(|p| p.url.trim_start_matches("http://").to_owned()).collect();
    let mut nginx = Nginx::start(&upstreams.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let front = TestApp::at(&nginx.url, client_from([127, 0, 0, 2]), &database_url, data_dir).await;

    // Sign up, log in, a campaign, an invitation accepted, an API key: all through nginx (setup does them).
    let s = setup(&front, json!([])).await;
    session(&front.login("owner@acme.test", PASSWORD).await, "login");

    // A live dashboard over WebSocket through nginx moves when a lead arrives through nginx.
    let live = "subscription { statsChanged { report { totals { submitted } } } }";
    let mut dashboard = Subscription::open(&front, Some(&s.partner.access_token), live).await;
    let first = dashboard.next().await;
    assert_eq!(first["data"]["statsChanged"]["report"]["totals"], json!([]), "{first}");
    let lead = json!({ "campaignId": s.campaign, "type": "form", "fields": { "name": "Ann" } });
    let (status, body) = post_lead(&front, &s.key, &lead, None).await;
    assert_eq!(status, 201, "{body}");
    let moved = dashboard.next().await;
    assert_eq!(moved["data"]["statsChanged"]["report"]["totals"][0]["submitted"], 1, "{moved}");

    // The limiter sees the address nginx forwards, not nginx's own, and not what the client claims: 30 failures from
    // 127.0.0.2 (each claiming another address) lock 127.0.0.2 out; 127.0.0.3 still logs in.
    let login = |client: reqwest::Client, email: String, password: &'static str, forged: Option<String>| {
        let url = format!("{}/graphql", nginx.url);
        async move {
            let mut req = client.post(url).json(&json!({
                "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
                "variables": { "i": { "email": email, "password": password } },
            }));
            if let Some(f) = forged {
                req = req.header("x-forwarded-for", f);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    for i in 0..30 {
        let res = login(
            front.client.clone(),
            format!("guess{i}@acme.test"),
            "wrong password!",
            Some(format!("203.0.113.{i}")),
        )
        .await;
        assert_eq!(error_code(&res), Some("INVALID_CREDENTIALS"), "attempt {i}: {res}");
    }
    let res = login(front.client.clone(), "owner@acme.test".into(), PASSWORD, Some("198.51.100.1".into())).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let res = login(client_from([127, 0, 0, 3]), "owner@acme.test".into(), PASSWORD, None).await;
    assert!(res["data"]["login"]["accessToken"].is_string(), "another client is not locked out: {res}");

    // One process dies (SIGKILL); every request through nginx still succeeds, on the other one.
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut ok = 0;
    for i in 0..20 {
        let me = front.gql(Some(&s.owner.access_token), "{ me { id } }", json!({})).await;
        assert!(me["data"]["me"]["id"].is_string(), "request {i} after the kill: {me}");
        let (status, body) = post_lead(&front, &s.key, &lead, None).await;
        assert_eq!(status, 201, "lead {i} after the kill: {body}");
        ok += 2;
    }
    eprintln!("{ok} requests through nginx after one of two processes was killed: all succeeded");
    assert!(nginx_alive(&mut nginx.child), "nginx still runs");
    assert_eq!(front.count("SELECT count(*) FROM leads").await, 21);
    drop(b);
}
