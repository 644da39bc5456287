//! The floor under the embedded default (issue 15, item 4): the statements the server runs on SQLite for one lead
//! or one click, run by a minimal program on the same file with the same settings (`db::connect`: WAL, synchronous
//! NORMAL, a busy timeout, 8 connections; writes in `BEGIN IMMEDIATE`), `clients` at once, without HTTP, JSON or
//! validation (a lead's count of its API key's request runs too). The writes are built by the server's own builders
//! (the key's count, caps, stats, postbacks, webhooks). As the server keeps a sender's key and target, and a link's
//! target, between requests (`kept`), the floor reads each once, before the clock starts, with the server's own SQL
//! (`leads::KEYED_TARGET_SQL`, `clicks::TARGET_SQL`), and each write transaction starts with the server's check that
//! `config_generation` has not moved since.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use partnerdesk_services::delivery::{self, Event, postbacks, webhooks};
use partnerdesk_services::leads::{Kind, Lead, Status};
use partnerdesk_services::{api_keys, caps, clicks, db, kept, leads, stats};
use partnerdesk_storage::entities::cap::{self, Metric, Period};
use partnerdesk_storage::entities::{click, lead, lead_history};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, QueryTrait, Set, Statement};
use uuid::Uuid;

#[derive(FromQueryResult)]
struct Sender {
    user_id: Uuid,
    campaign_id: Uuid,
    tracking_code: String,
    /// The partner's API key, as stored (its SHA-256).
    key_hash: String,
}

/// What the floor uses of either read's row (`payout`: the form or click payout).
struct Target {
    assignment_id: Uuid,
    campaign_id: Uuid,
    organization_id: Uuid,
    time_zone: String,
    payout: i64,
    partner_id: Uuid,
    cap_id: Option<Uuid>,
    cap_period: Option<Period>,
    cap_limit: Option<i64>,
}

/// What a process keeps of one sender: its key (leads only), its target's rows and the generation they were read at.
struct Read {
    key_id: Option<Uuid>,
    rows: Vec<Target>,
    generation: i64,
}

#[derive(FromQueryResult)]
struct LeadRow {
    key_id: Uuid,
    assignment_id: Uuid,
    campaign_id: Uuid,
    organization_id: Uuid,
    time_zone: String,
    form_payout: i64,
    partner_id: Uuid,
    cap_id: Option<Uuid>,
    cap_period: Option<Period>,
    cap_limit: Option<i64>,
    generation: i64,
}

#[derive(FromQueryResult)]
struct ClickRow {
    assignment_id: Uuid,
    campaign_id: Uuid,
    organization_id: Uuid,
    time_zone: String,
    click_payout: i64,
    partner_id: Uuid,
    cap_id: Option<Uuid>,
    cap_period: Option<Period>,
    cap_limit: Option<i64>,
    generation: i64,
}

/// A sender's key and target (a lead), or its link's target (a click), read as the server reads them.
async fn read(conn: &sea_orm::DatabaseConnection, leads: bool, s: &Sender) -> anyhow::Result<Read> {
    let backend = conn.get_database_backend();
    let (key_id, generation, rows): (_, _, Vec<Target>) = if leads {
        let values = [s.key_hash.clone().into(), s.campaign_id.into(), "FORM".into()];
        let rows = LeadRow::find_by_statement(Statement::from_sql_and_values(backend, leads::KEYED_TARGET_SQL, values))
            .all(conn)
            .await?;
        let key_id = rows.first().map(|r| r.key_id);
        let generation = rows.first().map_or(0, |r| r.generation);
        let rows = rows
            .into_iter()
            .map(|r| Target {
                assignment_id: r.assignment_id,
                campaign_id: r.campaign_id,
                organization_id: r.organization_id,
                time_zone: r.time_zone,
                payout: r.form_payout,
                partner_id: r.partner_id,
                cap_id: r.cap_id,
                cap_period: r.cap_period,
                cap_limit: r.cap_limit,
            })
            .collect();
        (key_id, generation, rows)
    } else {
        let values = [s.tracking_code.clone().into()];
        let rows = ClickRow::find_by_statement(Statement::from_sql_and_values(backend, clicks::TARGET_SQL, values))
            .all(conn)
            .await?;
        let generation = rows.first().map_or(0, |r| r.generation);
        let rows = rows
            .into_iter()
            .map(|r| Target {
                assignment_id: r.assignment_id,
                campaign_id: r.campaign_id,
                organization_id: r.organization_id,
                time_zone: r.time_zone,
                payout: r.click_payout,
                partner_id: r.partner_id,
                cap_id: r.cap_id,
                cap_period: r.cap_period,
                cap_limit: r.cap_limit,
            })
            .collect();
        (None, generation, rows)
    };
    anyhow::ensure!(!rows.is_empty(), "no target for {}", s.tracking_code);
    Ok(Read { key_id, rows, generation })
}

/// One lead or click, written as the server writes it from what it keeps.
async fn one(conn: &sea_orm::DatabaseConnection, leads: bool, s: &Sender, read: &Read) -> anyhow::Result<()> {
    let backend = conn.get_database_backend();
    let Read { key_id, rows, generation } = read;
    let t = &rows[0];
    let metric = if leads { Metric::Form } else { Metric::Click };
    let mut caps: Vec<cap::Model> = rows
        .iter()
        .filter_map(|r| {
            Some(cap::Model {
                id: r.cap_id?,
                assignment_id: r.assignment_id,
                metric,
                period: r.cap_period?,
                limit_count: r.cap_limit?,
            })
        })
        .collect();
    caps.sort_by_key(|c| c.period);
    let now = chrono::Utc::now();
    let tz = caps::time_zone(&t.time_zone);
    let user_id = s.user_id;
    let txn = db::begin_write(conn).await?;
    let still = kept::generation_check(backend, *generation);
    txn.query_one_raw(still).await?.ok_or_else(|| anyhow::anyhow!("config_generation moved"))?;
    if let Some(id) = *key_id {
        // The key's count of the request, the first write of a lead (the bench's servers run without a rate limit).
        txn.query_one_raw(api_keys::count_statement(backend, id, None, now)).await?;
    }
    for c in &caps {
        let (counter, _) = caps::counter(backend, c, tz, now);
        txn.query_one_raw(counter).await?.ok_or_else(|| anyhow::anyhow!("cap full"))?;
    }
    let sub1 = Some("newsletter".to_owned());
    let mut writes = Vec::new();
    if leads {
        let l = Lead {
            id: Uuid::now_v7(),
            organization_id: t.organization_id,
            campaign_id: t.campaign_id,
            partner_id: t.partner_id,
            assignment_id: t.assignment_id,
            kind: Kind::Form,
            status: Status::Received,
            reason: None,
            reason_code: None,
            external_id: None,
            click_id: None,
            sub1,
            sub2: None,
            sub3: None,
            sub4: None,
            sub5: None,
            fields: r#"{"name":"Bench Lead","zip":"10001"}"#.into(),
            caller_number: None,
            duration_seconds: None,
            payout: t.payout,
            created_at: now,
            updated_at: now,
        };
        writes.push(lead::Entity::insert(l.clone().into_active_model()).build(backend));
        let step = Uuid::now_v7();
        let history = lead_history::ActiveModel {
            id: Set(step),
            lead_id: Set(l.id),
            from_status: Set(None),
            to_status: Set(Status::Received),
            reason: Set(None),
            user_id: Set(None),
            created_at: Set(now),
        };
        writes.push(lead_history::Entity::insert(history).build(backend));
        writes.push(delivery::queue(postbacks::on_event(
            backend,
            Event::LeadReceived,
            step,
            t.organization_id,
            user_id,
            t.campaign_id,
            now,
        )));
        writes.push(delivery::queue(webhooks::on_received(backend, step, t.organization_id, now)));
        let figures = [(stats::Key::of_lead(&l, tz), stats::Delta::of_move(None, Status::Received, l.payout))];
        writes.extend(stats::statements(backend, figures));
    } else {
        let id = Uuid::now_v7();
        let row = click::ActiveModel {
            id: Set(id),
            organization_id: Set(t.organization_id),
            campaign_id: Set(t.campaign_id),
            partner_id: Set(t.partner_id),
            assignment_id: Set(t.assignment_id),
            counted: Set(true),
            reason: Set(None),
            payout: Set(t.payout),
            sub1: Set(sub1.clone()),
            sub2: Set(None),
            sub3: Set(None),
            sub4: Set(None),
            sub5: Set(None),
            created_at: Set(now),
        };
        writes.push(click::Entity::insert(row).build(backend));
        let none = None;
        let key = stats::Key::new(
            t.organization_id,
            t.campaign_id,
            t.partner_id,
            "CLICK",
            [&sub1, &none, &none, &none, &none],
            tz,
            now,
        );
        let delta = stats::Delta { counted: 1, earnings: t.payout, ..Default::default() };
        writes.extend(stats::statements(backend, [(key, delta)]));
        writes.push(delivery::queue(postbacks::on_event(
            backend,
            Event::ClickCounted,
            id,
            t.organization_id,
            user_id,
            t.campaign_id,
            now,
        )));
    }
    for w in writes {
        txn.execute_raw(w).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Runs `clients` loops for `seconds` over the seeded partners and prints `{"ops_per_s", "p50_ms", "p99_ms",
/// "errors"}`.
pub async fn run(url: &str, what: &str, clients: usize, seconds: u64) -> anyhow::Result<()> {
    let leads = match what {
        "leads" => true,
        "clicks" => false,
        _ => anyhow::bail!("--what is leads or clicks"),
    };
    let conn = db::connect(url).await?;
    let senders: Arc<Vec<Sender>> = Arc::new(
        Sender::find_by_statement(Statement::from_string(
            conn.get_database_backend(),
            "SELECT p.user_id, a.campaign_id, a.tracking_code, k.key_hash FROM campaign_assignments a \
             JOIN marketing_partners p ON p.id = a.partner_id JOIN api_keys k ON k.user_id = p.user_id \
             ORDER BY a.tracking_code",
        ))
        .all(&conn)
        .await?,
    );
    anyhow::ensure!(!senders.is_empty(), "seed the database first");
    let mut reads = Vec::with_capacity(senders.len());
    for s in senders.iter() {
        reads.push(read(&conn, leads, s).await?);
    }
    let reads = Arc::new(reads);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (conn, stop, senders, reads) = (conn.clone(), stop.clone(), senders.clone(), reads.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0_u64, w);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let i = n % senders.len();
                match one(&conn, leads, &senders[i], &reads[i]).await {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                n += clients;
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| (d.as_secs_f64() * 10_000.0).round() / 10.0)
    };
    println!(
        "{}",
        serde_json::json!({ "ops_per_s": (all.len() as f64 / elapsed).round(), "p50_ms": pct(0.5),
                            "p99_ms": pct(0.99), "errors": errors })
    );
    Ok(())
}
