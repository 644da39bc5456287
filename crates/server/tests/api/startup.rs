//! Start-up as production sees it: several processes on one database, and `/ready` telling a load balancer when a
//! process may take traffic.

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use partnerdesk::startup::MIGRATION_LOCK_KEY;
use partnerdesk_storage::sea_orm::ConnectionTrait as _;
use partnerdesk_storage::sea_orm::sqlx::{self, Connection as _, PgConnection};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;

use crate::helpers::{Db, fresh_postgres_database, spawn_app, spawn_app_on, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_partnerdesk");

/// A `partnerdesk serve` process on its own port. Killed when dropped.
pub struct Process {
    pub child: Child,
    pub url: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    _dir: Option<tempfile::TempDir>,
}

impl Process {
    /// Starts the binary with a data directory of its own and returns once it announces its address (`answering on`,
    /// before it has applied the migrations).
    fn start(database_url: &str) -> Process {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Process::start_with(database_url, dir.path(), &[]);
        p._dir = Some(dir);
        p
    }

    /// In `data_dir` (several processes may share one, like one outbox), with extra settings.
    pub fn start_with(database_url: &str, data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Process {
        let mut child = Command::new(BIN)
            .env_clear()
            .env("DATA_DIR", data_dir)
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", "test-secret-test-secret-test-secret")
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("WORKERS", "1")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err_pipe.read_to_string(&mut text);
            sink.lock().unwrap().push_str(&text);
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.split_once("answering on ")?.1.split_once(": 503").map(|(url, _)| url.to_owned()));
        let Some(url) = url else {
            let status = child.wait().unwrap();
            std::thread::sleep(Duration::from_millis(100));
            panic!("no `answering on` line; exit {status}: {}", stderr.lock().unwrap());
        };
        std::thread::spawn(move || lines.for_each(drop));
        Process { child, url, stderr, _dir: None }
    }

    /// Waits until `/ready` answers 200; fails at once if the process exits meanwhile.
    pub async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the stderr reader finish.
                tokio::time::sleep(Duration::from_millis(200)).await;
                panic!("the process at {} exited ({status}): {}", self.url, self.stderr.lock().unwrap());
            }
            if let Ok(res) = client.get(format!("{}/ready", self.url)).send().await
                && res.status() == 200
            {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{} not ready within 60 s", self.url);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn get(url: &str) -> (u16, Value) {
    let res = reqwest::Client::new().get(url).timeout(Duration::from_secs(30)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Four processes started at the same moment on an empty PostgreSQL database: one applies the migrations under the
/// advisory lock, the others wait for it; all four become ready and serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_started_at_once_on_an_empty_database_all_become_ready() {
    let url = fresh_postgres_database().await;
    let started = std::time::Instant::now();
    let mut processes: Vec<Process> = (0..4).map(|_| Process::start(&url)).collect();
    for p in &mut processes {
        p.wait_ready().await;
    }
    eprintln!("four processes ready {:?} after start", started.elapsed());
    for p in &processes {
        let (status, body) = get(&format!("{}/ready", p.url)).await;
        assert_eq!((status, &body["status"]), (200, &Value::from("ready")), "{body}");
    }
    // Each migration was applied once.
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let (applied,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM seaql_migrations").fetch_one(&mut conn).await.unwrap();
    let (distinct,): (i64,) =
        sqlx::query_as("SELECT count(DISTINCT version) FROM seaql_migrations").fetch_one(&mut conn).await.unwrap();
    assert!(applied > 0);
    assert_eq!(applied, distinct);
}

/// `partnerdesk migrate` run three times at once (a job started twice, next to a starting server) succeeds every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrate_commands_all_succeed() {
    let url = fresh_postgres_database().await;
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<Child> = (0..3)
        .map(|_| {
            Command::new(BIN)
                .arg("migrate")
                .env_clear()
                .env("DATA_DIR", dir.path())
                .env("DATABASE_URL", &url)
                .env("JWT_SECRET", "test-secret-test-secret-test-secret")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// While another process holds the migration lock, a starting process waits: `/ready` and the API answer 503
/// `NOT_READY` (`/health` 200); once the lock is released it applies the migrations and becomes ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_until_the_migrations_are_applied() {
    let url = fresh_postgres_database().await;
    let mut holder = PgConnection::connect(&url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut holder).await.unwrap();

    let mut p = Process::start(&url);
    // The process is waiting for the lock (it says so in its log), not failing.
    let (status, body) = get(&format!("{}/ready", p.url)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "NOT_READY");
    let (status, _) = get(&format!("{}/health", p.url)).await;
    assert_eq!(status, 200);
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", p.url))
        .json(&serde_json::json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503, "no API before the schema is there");
    // Still waiting a moment later, and nothing was created behind the lock.
    let (status, _) = get(&format!("{}/ready", p.url)).await;
    assert_eq!(status, 503);
    assert!(p.child.try_wait().unwrap().is_none(), "the process must wait, not exit");
    let (tables,): (i64,) = sqlx::query_as("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    assert_eq!(tables, 0);

    sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK_KEY).execute(&mut holder).await.unwrap();
    p.wait_ready().await;
}

/// A migration this build knows but the database has not applied (a newer build against an older schema): 503 until
/// it is applied.
async fn ready_is_503_while_a_migration_is_pending(db: Db) {
    let app = spawn_app(db).await;
    let (status, _) = get(&format!("{}/ready", app.address)).await;
    assert_eq!(status, 200);
    // Forget that the newest migration was applied.
    let newest = "(SELECT max(version) FROM seaql_migrations)";
    app.db
        .execute_unprepared(&format!(
            "CREATE TABLE forgotten AS SELECT * FROM seaql_migrations WHERE version = {newest}; \
             DELETE FROM seaql_migrations WHERE version = {newest}"
        ))
        .await
        .unwrap();
    let (status, body) = get(&format!("{}/ready", app.address)).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "NOT_READY");
    assert!(body["error"]["message"].as_str().unwrap().contains("1 database migration(s) are pending"), "{body}");
    app.db.execute_unprepared("INSERT INTO seaql_migrations SELECT * FROM forgotten").await.unwrap();
    let (status, body) = get(&format!("{}/ready", app.address)).await;
    assert_eq!(status, 200, "{body}");
}

on_both_databases!(ready_is_503_while_a_migration_is_pending);

/// A TCP relay to the test PostgreSQL that the test can cut (every connection dropped, the port refusing) and
/// restore on the same port: the database becoming unreachable and coming back, as the server sees it.
struct Relay {
    port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Relay {
    async fn start(port: u16) -> Relay {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        let _ = outbound.shutdown().await;
                    }
                });
            }
        });
        Relay { port, task: Some(task) }
    }

    /// Drops the listener and every relayed connection (the JoinSet aborts them when the task is aborted).
    async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// A server on a fresh PostgreSQL database that it reaches through a [`Relay`].
async fn app_behind_relay() -> (crate::helpers::TestApp, Relay) {
    let direct = fresh_postgres_database().await;
    let relay = Relay::start(0).await;
    let mut via_relay = url::Url::parse(&direct).unwrap();
    via_relay.set_port(Some(relay.port)).unwrap();
    (spawn_app_on(via_relay.as_str()).await, relay)
}

/// The database goes away: `/ready` answers 503 (and the process stays up); it comes back: `/ready` is 200 again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_503_while_the_database_is_unreachable() {
    let (app, mut relay) = app_behind_relay().await;
    let (status, _) = get(&format!("{}/ready", app.address)).await;
    assert_eq!(status, 200);

    relay.cut().await;
    let asked = std::time::Instant::now();
    let (status, body) = get(&format!("{}/ready", app.address)).await;
    eprintln!("/ready answered {status} in {:?} with the database unreachable", asked.elapsed());
    assert_eq!(status, 503, "{body}");
    assert!(asked.elapsed() < Duration::from_secs(5), "a health check gets its answer quickly");
    assert_eq!(body["error"]["code"], "NOT_READY");
    let (status, _) = get(&format!("{}/health", app.address)).await;
    assert_eq!(status, 200, "the process stays up");

    let _relay = Relay::start(relay.port).await;
    let back = std::time::Instant::now();
    wait_until("/ready to answer 200 again", || async {
        (get(&format!("{}/ready", app.address)).await.0 == 200).then_some(())
    })
    .await;
    eprintln!("/ready answered 200 again {:?} after the database came back", back.elapsed());
}

/// While the database is unreachable, requests that need it fail fast with a code a client can act on: GraphQL
/// `SERVICE_UNAVAILABLE` with `retryAfterSeconds`, REST 503 with `Retry-After` (never `INTERNAL`, never
/// `UNAUTHENTICATED` for a good token); when it is back, the same requests succeed without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_answer_service_unavailable_while_the_database_is_unreachable() {
    let (app, mut relay) = app_behind_relay().await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaigns = "{ campaigns { totalCount } }";
    assert_eq!(
        app.gql(Some(&owner.access_token), campaigns, serde_json::json!({})).await["data"]["campaigns"]["totalCount"],
        0
    );

    relay.cut().await;
    for token in [Some(owner.access_token.as_str()), None] {
        let asked = std::time::Instant::now();
        let query = if token.is_some() { campaigns } else { "{ invitationPreview(token: \"pdi_x\") { email } }" };
        let res = app.gql(token, query, serde_json::json!({})).await;
        eprintln!("GraphQL answered in {:?} with the database unreachable", asked.elapsed());
        assert!(asked.elapsed() < Duration::from_secs(8), "fails fast: {res}");
        assert_eq!(crate::helpers::error_code(&res), Some("SERVICE_UNAVAILABLE"), "{res}");
        assert_eq!(res["errors"][0]["extensions"]["retryAfterSeconds"], 5, "{res}");
    }
    let asked = std::time::Instant::now();
    let res = app
        .client
        .post(format!("{}/v1/leads", app.address))
        .bearer_auth("pdk_some-key")
        .json(&serde_json::json!({ "campaignId": "0192f8a4-0000-7000-8000-000000000000", "type": "form" }))
        .send()
        .await
        .unwrap();
    assert!(asked.elapsed() < Duration::from_secs(8));
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "SERVICE_UNAVAILABLE", "{body}");

    let _relay = Relay::start(relay.port).await;
    wait_until("the same query to succeed again", || async {
        let res = app.gql(Some(&owner.access_token), campaigns, serde_json::json!({})).await;
        res["data"]["campaigns"]["totalCount"].is_number().then_some(())
    })
    .await;
}

/// A server killed with SIGKILL while 16 clients send leads: after a restart every lead that got a 201 is stored,
/// retrying any request with its `Idempotency-Key` creates no second lead, and the cap counter equals the leads.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_under_lead_load_loses_and_duplicates_nothing() {
    let database_url = fresh_postgres_database().await;
    // Set up through an in-process server on the same database; the load goes to a separate process.
    let app = spawn_app_on(&database_url).await;
    let s = crate::traffic::setup(&app, serde_json::json!([{ "metric": "FORM", "window": "DAILY", "limit": 100000 }]))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut victim = Process::start_with(&database_url, dir.path(), &[("WORKERS", "2")]);
    victim.wait_ready().await;

    let campaign = s.campaign.clone();
    let body = move |i: usize, n: usize| serde_json::json!({ "campaignId": campaign, "type": "form", "externalId": format!("c{i}-{n}") });
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..16 {
        let (client, url, key, sent) = (client.clone(), victim.url.clone(), s.key.clone(), sent.clone());
        let body = body.clone();
        clients.spawn(async move {
            // (idempotency key, request number, the id a 201 gave); stops at the first request without an answer.
            let mut answered = Vec::new();
            for n in 0.. {
                let res = client
                    .post(format!("{url}/v1/leads"))
                    .bearer_auth(&key)
                    .header("idempotency-key", format!("c{i}-{n}"))
                    .json(&body(i, n))
                    .send()
                    .await;
                sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Ok(res) = res else { return (i, answered, n) };
                assert_eq!(res.status(), 201, "before the kill every lead is accepted");
                let v: Value = res.json().await.unwrap_or(Value::Null);
                answered.push((n, v["id"].as_str().unwrap_or_default().to_owned()));
            }
            unreachable!()
        });
    }
    wait_until("200 leads sent", || async { (sent.load(std::sync::atomic::Ordering::Relaxed) >= 200).then_some(()) })
        .await;
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    let mut results = Vec::new();
    while let Some(r) = clients.join_next().await {
        results.push(r.unwrap());
    }
    let accepted: usize = results.iter().map(|(_, a, _)| a.len()).sum();

    let mut restarted = Process::start_with(&database_url, dir.path(), &[]);
    restarted.wait_ready().await;
    // Every request again, with its key: answered ones replay their lead; the one cut off is stored at most once.
    let mut ids = std::collections::BTreeSet::new();
    for &(i, ref answered, cut) in &results {
        for n in 0..=cut {
            let res = client
                .post(format!("{}/v1/leads", restarted.url))
                .bearer_auth(&s.key)
                .header("idempotency-key", format!("c{i}-{n}"))
                .json(&body(i, n))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            let v: Value = res.json().await.unwrap();
            let id = v["id"].as_str().unwrap_or_default().to_owned();
            if let Some((_, first)) = answered.iter().find(|(m, _)| *m == n) {
                assert_eq!(&id, first, "a retry of an accepted lead replays it");
            }
            ids.insert(id);
        }
    }
    let stored = app.count("SELECT COUNT(*) FROM leads").await;
    eprintln!("{accepted} leads accepted before SIGKILL; {stored} stored after every request was retried");
    assert!(accepted >= 150, "the load ran: {accepted}");
    assert_eq!(stored, ids.len() as i64, "one lead per idempotency key, none lost, none doubled");
    let counted =
        app.count("SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM cap_counters WHERE period = 'DAILY'").await;
    assert_eq!(counted, stored, "the cap counter equals the stored leads");
}
