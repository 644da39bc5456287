//! Faults an operator meets in production, each checked the way the operator would and each printing its figures:
//! the database terminating every connection of a server under load, the database stopped for 20 s and started
//! again, and bad input at the edges (oversized request heads, clients that send a byte a second, 1,000 idle
//! WebSockets).
//!
//! The edges have nothing to do with the database and run on SQLite only.
//!
//! A forged `X-Forwarded-For` from a peer that is no trusted proxy, which must not move the login limiter, is
//! `proxies::a_forged_forwarded_for_from_an_untrusted_peer_is_ignored` (on both databases).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use partnerdesk_storage::sea_orm::sqlx::{self, Connection as _, PgConnection};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{Db, TestApp, error_code, fresh_postgres_database, spawn_app, spawn_app_on, wait_until};
use crate::smtp::{SmtpSink, free_port};
use crate::startup::Process;

// ---------------------------------------------------------------------------------------------------------------
// pg_terminate_backend under load

const READS: &str = "{ campaigns(first: 5) { totalCount } leads(first: 5) { totalCount } }";

/// One request as a client saw it.
struct Sent {
    started: Instant,
    finished: Instant,
    /// Succeeded (201, or GraphQL data without errors).
    ok: bool,
    /// A lead's idempotency key, body and the id its 201 gave.
    lead: Option<(String, Value, Option<String>)>,
}

/// What one client saw: its requests, and every answer that is neither a success nor `SERVICE_UNAVAILABLE`.
#[derive(Default)]
struct ClientLog {
    sent: Vec<Sent>,
    unexpected: Vec<String>,
}

/// What the clients share: where to send, as whom, and when to stop.
#[derive(Clone)]
struct Load {
    url: String,
    key: String,
    token: String,
    campaign: String,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
}

/// Client `i` sends leads (`reads == false`) or GraphQL reads until `stop`, and checks every failure's shape.
async fn load_client(i: usize, reads: bool, load: Load) -> ClientLog {
    let Load { url, key, token, campaign, stop, done } = load;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut log = ClientLog::default();
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let (ok, lead) = if reads {
            let res =
                client.post(format!("{url}/graphql")).bearer_auth(&token).json(&json!({ "query": READS })).send().await;
            let answer = match res {
                Ok(res) if res.status() == 200 => res.json::<Value>().await.map_err(|e| e.to_string()),
                Ok(res) => Err(format!("HTTP {}: {}", res.status(), res.text().await.unwrap_or_default())),
                Err(e) => Err(format!("no answer: {e}")),
            };
            match answer {
                Ok(v) if v.get("errors").is_none() && v["data"]["campaigns"]["totalCount"] == 1 => (true, None),
                Ok(v)
                    if v["errors"].as_array().is_some_and(|errs| {
                        errs.iter().all(|e| {
                            e["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                                && e["extensions"]["retryAfterSeconds"] == 5
                        })
                    }) =>
                {
                    (false, None)
                }
                Ok(v) => {
                    log.unexpected.push(format!("GraphQL: {v}"));
                    (false, None)
                }
                Err(e) => {
                    log.unexpected.push(format!("GraphQL: {e}"));
                    (false, None)
                }
            }
        } else {
            let idem = format!("c{i}-{n}");
            let body =
                json!({ "campaignId": campaign, "type": "form", "externalId": idem, "fields": { "zip": "10001" } });
            let res = client
                .post(format!("{url}/v1/leads"))
                .bearer_auth(&key)
                .header("idempotency-key", &idem)
                .json(&body)
                .send()
                .await;
            let mut id = None;
            match res {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    let v: Value = res.json().await.unwrap_or(Value::Null);
                    match status {
                        201 => id = v["id"].as_str().map(str::to_owned),
                        503 if v["error"]["code"] == "SERVICE_UNAVAILABLE" && retry_after.as_deref() == Some("5") => {}
                        _ => log.unexpected.push(format!("lead: HTTP {status} (Retry-After {retry_after:?}): {v}")),
                    }
                }
                Err(e) => log.unexpected.push(format!("lead: no answer: {e}")),
            }
            (id.is_some(), Some((idem, body, id)))
        };
        log.sent.push(Sent { started, finished: Instant::now(), ok, lead });
        done.fetch_add(1, Ordering::Relaxed);
    }
    log
}

/// 16 clients (12 sending leads, 4 reading over GraphQL) against a server process on PostgreSQL; the database
/// terminates every connection of the server's database four times during the run. Every request is answered
/// within a few seconds, every failure is a 503 `SERVICE_UNAVAILABLE` with `Retry-After` (GraphQL: the code and
/// `retryAfterSeconds`), never a 500; the server recovers by itself; retrying each failed lead with its
/// `Idempotency-Key` stores every lead exactly once, and the cap counter equals the stored leads.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_connection_terminated_by_the_database_under_load_fails_fast_and_recovers() {
    const ROUNDS: usize = 4;
    const BETWEEN: usize = 200;
    let database_url = fresh_postgres_database().await;
    let app = spawn_app_on(&database_url).await;
    let s = crate::traffic::setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 100000 }])).await;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Process::start_with(&database_url, dir.path(), &[("WORKERS", "2"), ("KEY_RATE_LIMIT", "off")]);
    server.wait_ready().await;

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let load = Load {
        url: server.url.clone(),
        key: s.key.clone(),
        token: s.owner.access_token.clone(),
        campaign: s.campaign.clone(),
        stop: stop.clone(),
        done: done.clone(),
    };
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..16 {
        clients.spawn(load_client(i, i >= 12, load.clone()));
    }

    // From the test's own connection (to another database of the same PostgreSQL), every few hundred requests.
    let admin_url =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let db_name = url::Url::parse(&database_url).unwrap().path().trim_start_matches('/').to_owned();
    let mut kills = Vec::new();
    for round in 1..=ROUNDS + 1 {
        wait_until(&format!("{BETWEEN} more requests answered"), || async {
            (done.load(Ordering::Relaxed) >= round * BETWEEN).then_some(())
        })
        .await;
        if round > ROUNDS {
            break;
        }
        let (terminated,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()) x WHERE t",
        )
        .bind(&db_name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        kills.push((Instant::now(), terminated));
    }
    stop.store(true, Ordering::Relaxed);
    let mut logs = Vec::new();
    while let Some(log) = clients.join_next().await {
        logs.push(log.unwrap());
    }
    assert!(server.child.try_wait().unwrap().is_none(), "the server process is still running");

    let sent: Vec<&Sent> = logs.iter().flat_map(|l| &l.sent).collect();
    let unexpected: Vec<&String> = logs.iter().flat_map(|l| &l.unexpected).collect();
    let failures = sent.iter().filter(|r| !r.ok).count();
    let max_latency = sent.iter().map(|r| r.finished - r.started).max().unwrap_or_default();
    // Recovery after each termination: the first success of a request sent after it.
    let recovery: Vec<Duration> = kills
        .iter()
        .map(|(at, _)| {
            sent.iter().filter(|r| r.ok && r.started >= *at).map(|r| r.finished - *at).min().unwrap_or(Duration::MAX)
        })
        .collect();
    eprintln!(
        "pg_terminate_backend x{ROUNDS} under load (16 clients): {} requests ({} leads, {} GraphQL reads), {failures} \
         failed with SERVICE_UNAVAILABLE, {} other answers; max latency {max_latency:?}; backends terminated per round \
         {:?}; first success after each termination {recovery:?}",
        sent.len(),
        sent.iter().filter(|r| r.lead.is_some()).count(),
        sent.iter().filter(|r| r.lead.is_none()).count(),
        unexpected.len(),
        kills.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
    );
    assert!(unexpected.is_empty(), "every failure is SERVICE_UNAVAILABLE: {unexpected:#?}");
    assert!(max_latency < Duration::from_secs(6), "no request waits past a few seconds: {max_latency:?}");
    assert!(kills.iter().all(|(_, n)| *n > 0), "each round terminated the server's connections: {kills:?}");
    assert!(recovery.iter().all(|d| *d < Duration::from_secs(5)), "the server recovers by itself: {recovery:?}");

    // Every lead that did not get a 201, again with its key: now accepted (or replayed, had it been stored).
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut keys = std::collections::BTreeMap::new();
    for (idem, body, id) in sent.iter().filter_map(|r| r.lead.as_ref()) {
        let id = match id {
            Some(id) => id.clone(),
            None => {
                let res = client
                    .post(format!("{}/v1/leads", server.url))
                    .bearer_auth(&s.key)
                    .header("idempotency-key", idem)
                    .json(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "a retry after recovery is accepted");
                let v: Value = res.json().await.unwrap();
                v["id"].as_str().unwrap().to_owned()
            }
        };
        assert!(keys.insert(idem.clone(), id).is_none(), "one request per key");
    }
    let stored = app.count("SELECT COUNT(*) FROM leads").await;
    let distinct = app.count("SELECT COUNT(DISTINCT external_id) FROM leads").await;
    assert_eq!((stored, distinct), (keys.len() as i64, keys.len() as i64), "every lead stored exactly once");
    let ids: std::collections::BTreeSet<&String> = keys.values().collect();
    assert_eq!(ids.len(), keys.len(), "each key has a lead of its own");
    let counted =
        app.count("SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM cap_counters WHERE period = 'DAILY'").await;
    assert_eq!(counted, stored, "the cap counter equals the stored leads");
}

// ---------------------------------------------------------------------------------------------------------------
// The database stopped and started again

/// A PostgreSQL cluster of the test's own (Debian's `initdb` and `pg_ctl`) on a free port in a temporary directory,
/// so the machine's shared server is never touched. As root it runs as the `postgres` user (initdb refuses root).
/// Stopped when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// Where `initdb` is: `PG_BINDIR`, else the newest `/usr/lib/postgresql/<version>/bin`.
    fn bindir() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("PG_BINDIR") {
            return Some(dir.into());
        }
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    }

    /// Creates and starts the cluster; `None` when PostgreSQL's server binaries are not installed.
    fn start() -> Option<Cluster> {
        let bin = Self::bindir()?;
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let chown = Command::new("chown").arg("postgres:").arg(dir.path()).status().unwrap();
            assert!(chown.success(), "chown postgres {}", dir.path().display());
        }
        let cluster = Cluster { bin, dir, port: free_port(), as_postgres };
        let data = cluster.data();
        cluster
            .run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "--no-locale", "-E", "UTF8"]);
        cluster.start_server();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn command(&self, tool: &str) -> Command {
        if self.as_postgres {
            let runuser = if Path::new("/usr/sbin/runuser").exists() { "/usr/sbin/runuser" } else { "runuser" };
            let mut c = Command::new(runuser);
            c.args(["-u", "postgres", "--"]).arg(self.bin.join(tool));
            c
        } else {
            Command::new(self.bin.join(tool))
        }
    }

    /// `pg_ctl start -w`: returns once the cluster accepts connections.
    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("postgres.log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "-t", "60", "start"]);
    }

    /// `pg_ctl stop -m fast`: every client disconnected, the port closed.
    fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}

async fn status_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The server's PostgreSQL stopped for 20 s and started again. Meanwhile `/ready` answers 503 (quickly), `/health`
/// 200, the process stays up, and API calls answer 503 `SERVICE_UNAVAILABLE` quickly. An invitation email queued
/// before the stop, which the mail relay could not deliver then (its SMTP server was down), is delivered after the
/// database is back; `/ready` is 200 within 5 s of the database accepting connections again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_stopped_for_20_s_and_started_again() {
    const OUTAGE: Duration = Duration::from_secs(20);
    let Some(cluster) = Cluster::start() else {
        eprintln!(
            "SKIPPED the_database_stopped_for_20_s_and_started_again: PostgreSQL's server binaries (initdb, pg_ctl) \
             are not installed (Debian's `postgresql` package; ./scripts/test installs it), or set PG_BINDIR"
        );
        return;
    };
    let mut c = PgConnection::connect(&cluster.url("postgres")).await.unwrap();
    sqlx::query("CREATE DATABASE partnerdesk").execute(&mut c).await.unwrap();
    c.close().await.unwrap();
    let url = cluster.url("partnerdesk");
    let smtp_port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let dir = tempfile::tempdir().unwrap();
    let mut server = Process::start_with(
        &url,
        dir.path(),
        &[("SMTP_URL", &smtp_url), ("MAIL_RETRY_BASE_MS", "2000"), ("OUTBOX_POLL_MS", "100")],
    );
    server.wait_ready().await;
    let app = TestApp::at(&server.url, reqwest::Client::new(), &url, tempfile::tempdir().unwrap()).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: AddMarketingPartnerInput!) { addMarketingPartner(input: $i) { assignment { partner { id } } } }",
            json!({ "i": { "campaignId": campaign, "email": "pat@partner.test" } }),
        )
        .await;
    assert!(res.get("errors").is_none(), "{res}");
    // The relay tried and failed (nothing listens on the SMTP port yet): the email waits in the outbox.
    let queued =
        "SELECT COUNT(*) FROM email_outbox WHERE status = 'PENDING' AND attempts >= 1 AND last_error IS NOT NULL";
    wait_until("the first delivery attempt to fail", || async { (app.count(queued).await == 1).then_some(()) }).await;

    cluster.stop();
    let down = Instant::now();
    // From now on the SMTP server is up: whatever it receives was sent after the database went away.
    let sink = SmtpSink::start_on(smtp_port).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let (mut rounds, mut slowest_ready, mut slowest_api) = (0, Duration::ZERO, Duration::ZERO);
    let timed = |what: &'static str, req: reqwest::RequestBuilder| async move {
        let asked = Instant::now();
        let res = req.send().await.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (status, body) = status_of(res).await;
        (asked.elapsed(), status, body, retry_after)
    };
    let mut every = tokio::time::interval(Duration::from_secs(1));
    // Checks at least once a second, each round within the pool's 5 s acquire timeout, until 20 s are nearly over.
    while down.elapsed() + Duration::from_secs(6) < OUTAGE {
        every.tick().await;
        let (ready, health, graphql, rest) = tokio::join!(
            timed("/ready", client.get(format!("{}/ready", server.url))),
            timed("/health", client.get(format!("{}/health", server.url))),
            timed(
                "GraphQL",
                client
                    .post(format!("{}/graphql", server.url))
                    .bearer_auth(&owner.access_token)
                    .json(&json!({ "query": "{ campaigns { totalCount } }" }))
            ),
            timed(
                "REST",
                client
                    .post(format!("{}/v1/leads", server.url))
                    .bearer_auth("pdk_some-key")
                    .json(&json!({ "campaignId": campaign, "type": "form" }))
            ),
        );
        assert_eq!((ready.1, ready.2["error"]["code"].as_str()), (503, Some("NOT_READY")), "{}", ready.2);
        slowest_ready = slowest_ready.max(ready.0);
        assert_eq!(health.1, 200, "/health answers while the database is down");
        assert_eq!((graphql.1, error_code(&graphql.2)), (200, Some("SERVICE_UNAVAILABLE")), "{}", graphql.2);
        assert_eq!(graphql.2["errors"][0]["extensions"]["retryAfterSeconds"], 5);
        assert_eq!((rest.1, rest.2["error"]["code"].as_str()), (503, Some("SERVICE_UNAVAILABLE")), "{}", rest.2);
        assert_eq!(rest.3.as_deref(), Some("5"), "Retry-After");
        slowest_api = slowest_api.max(graphql.0).max(rest.0);
        assert!(server.child.try_wait().unwrap().is_none(), "the process stays up");
        rounds += 1;
    }
    // The rest of the 20 s.
    tokio::time::sleep(OUTAGE.saturating_sub(down.elapsed())).await;
    assert!(sink.messages().is_empty(), "nothing can be sent while the outbox is unreachable");

    cluster.start_server();
    let back = Instant::now();
    wait_until("/ready to answer 200 again", || async {
        let res = client.get(format!("{}/ready", server.url)).send().await.ok()?;
        (res.status() == 200).then_some(())
    })
    .await;
    let ready_after = back.elapsed();
    let res = app.gql(Some(&owner.access_token), "{ campaigns { totalCount } }", json!({})).await;
    assert_eq!(res["data"]["campaigns"]["totalCount"], 1, "{res}");
    let mail = sink.wait_for(1).await;
    let delivered_after = back.elapsed();
    assert_eq!(mail[0].to, ["pat@partner.test"]);
    crate::smtp::invitation_link(&mail[0].data);
    wait_until("the outbox row to be SENT", || async {
        (app.count("SELECT COUNT(*) FROM email_outbox WHERE status = 'SENT'").await == 1).then_some(())
    })
    .await;
    assert!(server.child.try_wait().unwrap().is_none(), "the process stayed up throughout");
    eprintln!(
        "database stopped for {:?}: {rounds} rounds of checks, /ready 503 in at most {slowest_ready:?}, API 503 in at \
         most {slowest_api:?}; after `pg_ctl start` returned, /ready 200 in {ready_after:?}, the queued invitation \
         delivered in {delivered_after:?}",
        back - down
    );
    assert!(slowest_ready < Duration::from_secs(3), "/ready answers quickly: {slowest_ready:?}");
    assert!(slowest_api < Duration::from_secs(6), "API calls fail fast: {slowest_api:?}");
    assert!(ready_after < Duration::from_secs(5), "ready within 5 s of the database's return: {ready_after:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Edges

/// Writes `request` on a new connection and reads until the server closes it (or `limit` passes); returns what it
/// read and when the connection was closed.
async fn raw_exchange(address: &str, request: &[u8], limit: Duration) -> (String, Option<Duration>) {
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://")).await.unwrap();
    let started = Instant::now();
    // The server may answer and close before it has read everything.
    let _ = stream.write_all(request).await;
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed.then(|| started.elapsed()))
}

/// A request whose head is too large (a 64 KiB header; a 200 KiB one; 100 headers) is answered 431 (or 400)
/// at once, and the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_request_heads_are_refused_quickly() {
    let app = spawn_app(Db::Sqlite).await;
    let big = "a".repeat(64 * 1024);
    let asked = Instant::now();
    let res = app.client.get(format!("{}/health", app.address)).header("x-big", &big).send().await.unwrap();
    let (status, body) = status_of(res).await;
    let took = asked.elapsed();
    assert_eq!((status, body["error"]["code"].as_str()), (431, Some("HEADERS_TOO_LARGE")), "{body}");
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("cookie", format!("pd_refresh={big}"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 431, "also on the API");

    // Beyond what actix-web buffers for a head: 431 and the connection closed.
    let huge = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n", "b".repeat(200 * 1024));
    let (huge_answer, huge_closed) = raw_exchange(&app.address, huge.as_bytes(), Duration::from_secs(5)).await;
    assert!(huge_closed.is_some(), "the connection is closed");
    assert!(huge_answer.is_empty() || huge_answer.starts_with("HTTP/1.1 431"), "{huge_answer}");
    // More header lines than taken: 400.
    let many: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET /health HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let (many_answer, many_closed) = raw_exchange(&app.address, many.as_bytes(), Duration::from_secs(5)).await;
    assert!(many_answer.starts_with("HTTP/1.1 4"), "{many_answer}");
    eprintln!(
        "64 KiB header: 431 in {took:?}; 200 KiB header: {:?}, closed after {huge_closed:?}; 100 headers: {:?}, \
         closed after {many_closed:?}",
        huge_answer.lines().next(),
        many_answer.lines().next()
    );

    let res = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 200, "the server keeps answering");
    let res = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(res["data"]["__typename"], "QueryRoot");
    assert!(took < Duration::from_secs(2), "refused quickly: {took:?}");
}

/// A client that sends its body one byte a second is answered 408 and cut off within the body deadline (10 s), and
/// one that sends its head that slowly within actix-web's 5 s; other clients are served meanwhile without delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    let app = spawn_app(Db::Sqlite).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let trickle = |head: String, body: &'static [u8]| {
        let host = host.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
            let started = Instant::now();
            stream.write_all(head.as_bytes()).await.unwrap();
            let (mut read, mut write) = stream.into_split();
            let writer = tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(1));
                for b in body.iter().cycle() {
                    every.tick().await;
                    if write.write_all(&[*b]).await.is_err() {
                        return;
                    }
                }
            });
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            let closed = tokio::time::timeout(Duration::from_secs(30), async {
                loop {
                    match read.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
            })
            .await;
            writer.abort();
            assert!(closed.is_ok(), "the slow client was not cut off within 30 s");
            (started.elapsed(), String::from_utf8_lossy(&got).into_owned())
        }
    };
    let slow_body = tokio::spawn(trickle(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            .to_owned(),
        b"{\"query\": \"{ __typename }\"}                                ",
    ));
    let slow_head = tokio::spawn(trickle("POST /graphql HTTP/1.1\r\n".to_owned(), b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaa"));

    // Meanwhile other clients are served as usual.
    let (mut served, mut slowest) = (0, Duration::ZERO);
    while !slow_body.is_finished() || !slow_head.is_finished() {
        let asked = Instant::now();
        let res = app.gql(None, "{ __typename }", json!({})).await;
        assert_eq!(res["data"]["__typename"], "QueryRoot");
        slowest = slowest.max(asked.elapsed());
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (body_cut, body_answer) = slow_body.await.unwrap();
    let (head_cut, head_answer) = slow_head.await.unwrap();
    eprintln!(
        "slow body cut off after {body_cut:?} ({:?}), slow head after {head_cut:?} ({:?}); meanwhile {served} other \
         requests served, the slowest in {slowest:?}",
        body_answer.lines().next(),
        head_answer.lines().next()
    );
    assert!(body_answer.starts_with("HTTP/1.1 408"), "{body_answer}");
    assert!(body_answer.contains("REQUEST_TIMEOUT"), "{body_answer}");
    assert!(body_cut < Duration::from_secs(13), "the body deadline is 10 s: {body_cut:?}");
    assert!(head_cut < Duration::from_secs(8), "actix-web's head deadline is 5 s: {head_cut:?}");
    assert!(slowest < Duration::from_secs(1), "others are not held up: {slowest:?}");
}

/// `VmRSS` and `VmHWM` (peak) of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
}

/// Raises this process's soft limit of open files to `want` (as `ulimit -n` would; a server started afterwards
/// inherits it), or fails saying what is needed.
fn ensure_open_files(want: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let parse = |v: &str| if v == "unlimited" { u64::MAX } else { v.parse().unwrap() };
    let mut values = line.split_whitespace().skip(3).map(parse);
    let (soft, hard) = (values.next().unwrap(), values.next().unwrap());
    if soft >= want {
        return;
    }
    let raised = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={want}:{}", hard.max(want)))
        .status()
        .is_ok_and(|s| s.success());
    assert!(raised, "this test needs {want} open files (ulimit -n is {soft}, hard {hard}): raise `ulimit -n`");
}

/// 1,000 idle graphql-ws connections to a server process (each past `connection_init`): the server stays within
/// 200 MB RSS and keeps answering while they are open and after they are dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_websockets_stay_within_200_mb() {
    const SOCKETS: usize = 1000;
    ensure_open_files(4096);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("partnerdesk.db").display());
    let mut server = Process::start_with(&url, dir.path(), &[]);
    server.wait_ready().await;
    let pid = server.child.id();
    let ws_url = format!("{}/graphql/ws", server.url.replace("http://", "ws://"));
    let open = |ws_url: String| async move {
        let mut req = ws_url.into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        ws.send(Message::text(json!({ "type": "connection_init", "payload": {} }).to_string())).await.unwrap();
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.contains("connection_ack") => return ws,
                Some(Ok(_)) => {}
                other => panic!("no connection_ack: {other:?}"),
            }
        }
    };
    let answers = |url: String| async move {
        let client = reqwest::Client::new();
        let asked = Instant::now();
        let health = client.get(format!("{url}/health")).send().await.unwrap().status();
        let res: Value = client
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((health.as_u16(), &res["data"]["__typename"]), (200, &json!("QueryRoot")), "{res}");
        asked.elapsed()
    };

    let (before, _) = memory_kib(pid);
    let files_before = open_files(pid);
    let started = Instant::now();
    let sockets: Vec<_> =
        futures_util::stream::iter(0..SOCKETS).map(|_| open(ws_url.clone())).buffer_unordered(50).collect().await;
    let opened_in = started.elapsed();
    let (open_rss, _) = memory_kib(pid);
    let files_open = open_files(pid);
    let during = answers(server.url.clone()).await;
    // One more subscriber is served as usual.
    drop(open(ws_url.clone()).await);

    drop(sockets);
    wait_until("the server to close the dropped sockets", || async {
        (open_files(pid) < files_before + 20).then_some(())
    })
    .await;
    let after = answers(server.url.clone()).await;
    let (after_rss, peak) = memory_kib(pid);
    assert!(server.child.try_wait().unwrap().is_none(), "the server is still running");
    eprintln!(
        "{SOCKETS} idle WebSockets opened in {opened_in:?}: server RSS {} MiB before, {} MiB with them open ({} open \
         files), {} MiB after they were dropped, peak {} MiB; answered in {during:?} while open, {after:?} after",
        before / 1024,
        open_rss / 1024,
        files_open,
        after_rss / 1024,
        peak / 1024
    );
    assert!(files_open >= files_before + SOCKETS, "the sockets were open at the server: {files_open}");
    assert!(peak < 200 * 1024, "the server stays within 200 MB RSS: peak {} MiB", peak / 1024);
}
