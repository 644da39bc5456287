//! `partnerdesk-bench seed` writes one organization, one campaign and N registered partners with API keys and caps
//! straight into a migrated database; `partnerdesk-bench load` posts leads at the servers with C concurrent clients
//! for D seconds and prints throughput and latency percentiles as JSON. `seed-events`, `reports` and `live` are the
//! reporting benchmark (`bench/reports.sh`): a year of clicks and leads, report latency against the naive
//! `GROUP BY`, and the time from a lead on one process to a dashboard's live message on another. `ceiling` serves the
//! floors' statements over HTTP and nothing else (bench/ceiling.sh).

mod ceiling;
mod live;
mod measure;
mod receive;
mod seed_events;
mod sqlite_floor;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use sea_orm::{ConnectionTrait, Database, Statement, Value};
use sha2::{Digest, Sha256};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seed a migrated database: prints the campaign id; keys are `pdk_bench_<i>`.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 500)]
        partners: usize,
        /// Postbacks per partner (on lead.received, GET `<url>/pb?l={lead_id}`), the j-th to `--postback-urls`[j].
        #[arg(long, default_value_t = 0)]
        postbacks: usize,
        #[arg(long, value_delimiter = ',')]
        postback_urls: Vec<String>,
        /// Declare 6 lead fields and a phone duplicate rule on the campaign (issue 17's benchmark).
        #[arg(long)]
        quality: bool,
    },
    /// Drive load: `--urls` round-robin, `--keys` partners (1 = one hot partner).
    Load {
        #[arg(long, value_delimiter = ',')]
        urls: Vec<String>,
        #[arg(long)]
        campaign: String,
        #[arg(long, default_value_t = 500)]
        keys: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Leads per second in all (each client paced); 0: as fast as the server answers.
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Send 6 fields per lead (email, phone, zip, state, an enum, a name), each lead another person.
        #[arg(long)]
        people: bool,
    },
    /// The floor under the embedded default: the server's statements for one lead or click on SQLite, run by this
    /// program with the server's settings, `--clients` at once; prints `{"ops_per_s", "p50_ms", "p99_ms", "errors"}`.
    SqliteFloor {
        #[arg(long)]
        database_url: String,
        /// `leads` or `clicks`.
        #[arg(long)]
        what: String,
        #[arg(long, default_value_t = 8)]
        clients: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// The ceiling of this stack (bench/ceiling.sh): an HTTP server sending the floors' own statements and doing
    /// nothing else, `POST /v1/leads` (ingest-batch.sql) and `GET /c/bench<i>?sub1=src<j>&sub2=ad<k>` (click.sql).
    Ceiling {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        port: u16,
        /// The folder holding ingest-batch.sql and click.sql.
        #[arg(long)]
        bench_dir: String,
        /// click.sql's branch for assignments with a click cap.
        #[arg(long)]
        capped: bool,
        /// Connections in the pool (the server's: 16).
        #[arg(long, default_value_t = 16)]
        pool: u32,
        /// The seeded campaign: each lead's statement after the server's read of the key and the target.
        #[arg(long)]
        reads: Option<uuid::Uuid>,
    },
    /// A postback receiver: prints how long after each lead its postback arrived (JSON) after `--seconds`.
    Receive {
        #[arg(long)]
        port: u16,
        #[arg(long, default_value_t = 40)]
        seconds: u64,
        #[arg(long, default_value_t = 0)]
        delay_ms: u64,
    },
    /// Migrate and seed an empty database for the reporting benchmark: 1 organization, 20 campaigns, 500
    /// partners, N events over the past year, the `daily_stats` rollup filled from them. Prints timings as JSON.
    SeedEvents {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1_000_000)]
        events: i64,
        /// Also recompute the rollup in Rust with the app's own stats code and compare (memory grows with N).
        #[arg(long)]
        verify: bool,
    },
    /// Measure report queries through a running server, and the naive GROUP BY on the database: Markdown rows.
    Reports {
        #[arg(long)]
        url: String,
        #[arg(long)]
        database_url: String,
        /// The event count, as the table's first column shows it.
        #[arg(long)]
        events: String,
        #[arg(long, default_value_t = 200)]
        runs: usize,
        #[arg(long, default_value_t = 20)]
        naive_runs: usize,
        /// Stop a measurement after this many seconds, once it has 10 runs.
        #[arg(long, default_value_t = 180)]
        budget_seconds: u64,
    },
    /// Live at scale: `--subscribers` partner dashboards over the processes `--urls`, then `--leads` leads; prints
    /// the delay from each lead to each of its partner's dashboards (bench/live.sh).
    LiveScale {
        #[arg(long, value_delimiter = ',')]
        urls: Vec<String>,
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        jwt_secret: String,
        #[arg(long)]
        campaign: String,
        #[arg(long, default_value_t = 10_000)]
        subscribers: usize,
        #[arg(long, default_value_t = 200)]
        leads: usize,
    },
    /// Live latency: subscribe on `--subscribe-url`, post leads one at a time to `--ingest-url`. Prints JSON.
    Live {
        #[arg(long)]
        ingest_url: String,
        #[arg(long)]
        subscribe_url: String,
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1000)]
        leads: usize,
        #[arg(long, default_value_t = 200)]
        max_pause_ms: u64,
    },
}

pub fn key(i: usize) -> String {
    format!("pdk_bench_{i:05}_0123456789abcdef0123456789abcdef")
}

/// The declaration `seed --quality` gives the campaign, and the duplicate rule.
const QUALITY_FIELDS: &str = r#"[{"key":"email","label":"Email","type":"email","required":true},
{"key":"phone","label":"Phone","type":"phone","required":true},{"key":"zip","label":"ZIP","type":"us_zip","required":true},
{"key":"state","label":"State","type":"us_state","required":true},
{"key":"home","label":"Home","type":"enum","required":true,"values":["Own","Rent"]},
{"key":"name","label":"Name","type":"text","required":true,"maxLength":100}]"#;
const QUALITY_RULE: &str = r#"{"fields":["phone"],"windowHours":720,"scope":"CAMPAIGN"}"#;

async fn seed(
    url: &str,
    partners: usize,
    postbacks: usize,
    postback_urls: &[String],
    quality: bool,
) -> anyhow::Result<()> {
    let db = Database::connect(url).await.context("connect")?;
    let b = db.get_database_backend();
    let now = chrono::Utc::now();
    let org = uuid::Uuid::now_v7();
    let owner = uuid::Uuid::now_v7();
    let campaign = uuid::Uuid::now_v7();
    let exec = |sql: &str, values: Vec<Value>| Statement::from_sql_and_values(b, sql, values);
    db.execute_raw(exec(
        "INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Bench', $2)",
        vec![org.into(), now.into()],
    ))
    .await?;
    db.execute_raw(exec(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ($1, 'bench-owner@bench.test', 'x', $2, $2)",
        vec![owner.into(), now.into()],
    ))
    .await?;
    db.execute_raw(exec(
        "INSERT INTO organization_members (organization_id, user_id, role, created_at) VALUES ($1, $2, 'OWNER', $3)",
        vec![org.into(), owner.into(), now.into()],
    ))
    .await?;
    db.execute_raw(exec(
        "INSERT INTO campaigns (id, organization_id, name, status, time_zone, landing_url, currency, click_payout, form_payout, call_payout, created_at, updated_at) \
         VALUES ($1, $2, 'Bench', 'ACTIVE', 'America/New_York', 'https://example.com', 'USD', 0, 125000, 0, $3, $3)",
        vec![campaign.into(), org.into(), now.into()],
    ))
    .await?;
    if quality {
        db.execute_raw(exec(
            "UPDATE campaigns SET lead_fields = $1, duplicate_rule = $2 WHERE id = $3",
            vec![QUALITY_FIELDS.into(), QUALITY_RULE.into(), campaign.into()],
        ))
        .await?;
    }
    for i in 0..partners {
        let (partner, user, assignment) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        let email = format!("p{i}@bench.test");
        db.execute_raw(exec(
            "INSERT INTO users (id, email, password_hash, name, created_at, updated_at) VALUES ($1, $2, 'x', 'Bench', $3, $3)",
            vec![user.into(), email.clone().into(), now.into()],
        ))
        .await?;
        db.execute_raw(exec(
            "INSERT INTO marketing_partners (id, organization_id, email, name, user_id, status, registered_at, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Bench', $4, 'ACTIVE', $5, $5, $5)",
            vec![partner.into(), org.into(), email.into(), user.into(), now.into()],
        ))
        .await?;
        db.execute_raw(exec(
            "INSERT INTO campaign_assignments (id, organization_id, partner_id, campaign_id, status, tracking_code, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'ACTIVE', $5, $6, $6)",
            vec![assignment.into(), org.into(), partner.into(), campaign.into(), format!("bench{i}").into(), now.into()],
        ))
        .await?;
        // Caps on: global, daily and monthly form caps far above what a run sends, so every lead updates 3 counters.
        for (period, limit) in [("GLOBAL", 1_000_000_000_i64), ("DAILY", 100_000_000), ("MONTHLY", 500_000_000)] {
            db.execute_raw(exec(
                "INSERT INTO caps (id, assignment_id, metric, period, limit_count) VALUES ($1, $2, 'FORM', $3, $4)",
                vec![uuid::Uuid::now_v7().into(), assignment.into(), period.into(), limit.into()],
            ))
            .await?;
        }
        db.execute_raw(exec(
            "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, created_at) VALUES ($1, $2, 'bench', 'pdk_bench', $3, $4)",
            vec![uuid::Uuid::now_v7().into(), user.into(), hex::encode(Sha256::digest(key(i).as_bytes())).into(), now.into()],
        ))
        .await?;
        for j in 0..postbacks {
            let base = postback_urls.get(j % postback_urls.len().max(1)).context("--postback-urls")?;
            let host = url::Url::parse(base)?.host_str().unwrap_or_default().to_owned();
            db.execute_raw(exec(
                "INSERT INTO postbacks (id, user_id, campaign_id, events, method, url, host, body, consecutive_failures, \
                 disabled_at, created_at, updated_at) VALUES ($1, $2, NULL, 1, 'GET', $3, $4, NULL, 0, NULL, $5, $5)",
                vec![
                    uuid::Uuid::now_v7().into(),
                    user.into(),
                    format!("{base}/pb?l={{lead_id}}").into(),
                    host.into(),
                    now.into(),
                ],
            ))
            .await?;
        }
    }
    println!("{campaign}");
    Ok(())
}

async fn load(
    urls: Vec<String>,
    campaign: String,
    keys: usize,
    concurrency: usize,
    seconds: u64,
    rate: u64,
    people: bool,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (client, stop, campaign) = (client.clone(), stop.clone(), campaign.clone());
        let url = format!("{}/v1/leads", urls[w % urls.len()]);
        // Paced: each client sends every `concurrency / rate` seconds, the clients' starts spread over one period.
        let period = (rate > 0).then(|| Duration::from_secs_f64(concurrency as f64 / rate as f64));
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0_u64;
            let mut n = w;
            let mut next = tokio::time::Instant::now() + period.unwrap_or_default().mul_f64(w as f64 / concurrency as f64);
            while !stop.load(Ordering::Relaxed) {
                if let Some(period) = period {
                    tokio::time::sleep_until(next).await;
                    next += period;
                }
                let fields = if people {
                    // Another person every lead: a valid North American number (exchange 200-999) per n.
                    let line = 2_000_000 + n % 8_000_000;
                    serde_json::json!({ "email": format!("Lead.{n}@Example.com"), "phone": format!("(212) {}-{:04}", line / 10_000, line % 10_000),
                                        "zip": "10001-1234", "state": "ny", "home": "rent", "name": "Bench Lead" })
                } else {
                    serde_json::json!({ "name": "Bench Lead", "zip": "10001", "phone": "+12125550123" })
                };
                let body = serde_json::json!({ "campaignId": campaign, "type": "form", "fields": fields });
                let t = Instant::now();
                let res = client.post(&url).bearer_auth(key(n % keys)).json(&body).send().await;
                match res {
                    Ok(r) if r.status().as_u16() == 201 => latencies.push(t.elapsed()),
                    _ => errors += 1,
                }
                n += concurrency;
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (l, e) = w.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({ "leads": all.len(), "errors": errors, "leads_per_s": (all.len() as f64 / elapsed).round(),
                            "p50_ms": (pct(0.50) * 10.0).round() / 10.0, "p99_ms": (pct(0.99) * 10.0).round() / 10.0 })
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed { database_url, partners, postbacks, postback_urls, quality } => {
            seed(&database_url, partners, postbacks, &postback_urls, quality).await
        }
        Command::Load { urls, campaign, keys, concurrency, seconds, rate, people } => {
            load(urls, campaign, keys, concurrency, seconds, rate, people).await
        }
        Command::Ceiling { database_url, port, bench_dir, capped, pool, reads } => {
            ceiling::serve(&database_url, port, &bench_dir, capped, pool, reads).await
        }
        Command::Receive { port, seconds, delay_ms } => receive::run(port, seconds, delay_ms).await,
        Command::SqliteFloor { database_url, what, clients, seconds } => {
            sqlite_floor::run(&database_url, &what, clients, seconds).await
        }
        Command::SeedEvents { database_url, events, verify } => seed_events::run(&database_url, events, verify).await,
        Command::Reports { url, database_url, events, runs, naive_runs, budget_seconds } => {
            let budget = Duration::from_secs(budget_seconds);
            measure::run(&url, &database_url, &events, (runs, naive_runs), budget).await
        }
        Command::LiveScale { urls, database_url, jwt_secret, campaign, subscribers, leads } => {
            live::scale(&urls, &database_url, &jwt_secret, &campaign, subscribers, leads).await
        }
        Command::Live { ingest_url, subscribe_url, database_url, leads, max_pause_ms } => {
            live::run(&ingest_url, &subscribe_url, &database_url, leads, max_pause_ms).await
        }
    }
}
