//! `partnerdesk-bench seed-events`: a migrated database with 1 organization (its owner signed up through the app's
//! own `accounts::sign_up`), 20 campaigns in several time zones, 500 registered partners on 4 campaigns each and N
//! clicks and leads over the past 365 days, generated inside PostgreSQL (`INSERT ... SELECT generate_series`), then
//! the `daily_stats` rollup filled from them in one `INSERT ... SELECT ... GROUP BY`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use partnerdesk_migrations::{Migrator, MigratorTrait as _};
use partnerdesk_services::authz::{self, Actor};
use partnerdesk_services::campaigns::{self, NewCampaign};
use partnerdesk_services::leads::Status;
use partnerdesk_services::stats::{self, Delta, Key};
use partnerdesk_services::{Clock, LoginLimits, Services, accounts, db, tokens};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

pub const OWNER: &str = "owner@bench-reports.test";
pub const PASSWORD: &str = "bench-password-123";
pub const PARTNERS: i64 = 500;
const CAMPAIGNS: i64 = 20;
const PER_PARTNER: i64 = 4;
/// Rows per `INSERT ... SELECT`: one statement per batch keeps each transaction and sort a manageable size.
const BATCH: i64 = 1_000_000;
const ZONES: [&str; 5] = ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"];
const SUB1: &str = "ARRAY['google', 'facebook', 'newsletter', 'tiktok', 'native']";

/// The email of partner `i` (0-based); every partner's password is [`PASSWORD`].
pub fn partner_email(i: i64) -> String {
    format!("partner{i:03}@bench-reports.test")
}

/// A UUIDv7 for the time `ts` (an SQL expression), as the app's ids are: id order is time order.
fn uuid7(ts: &str) -> String {
    format!(
        "CAST(lpad(to_hex(CAST(floor(extract(epoch FROM {ts}) * 1000) AS bigint)), 12, '0') || '7' \
         || substr(md5(random()::text), 1, 3) || substr('89ab', 1 + floor(random() * 4)::int, 1) \
         || substr(md5(random()::text), 1, 15) AS uuid)"
    )
}

/// sub1: empty for 30 % of events, else one of five sources.
fn sub1(r: &str) -> String {
    format!("CASE WHEN {r} < 0.3 THEN NULL ELSE ({SUB1})[1 + floor(({r} - 0.3) / 0.7 * 5)::int] END")
}

fn stmt(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// One statement in its own transaction, with room to sort and hash in memory.
async fn bulk(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> anyhow::Result<u64> {
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL work_mem = '512MB'; SET LOCAL synchronous_commit = off").await?;
    let n = txn.execute_raw(stmt(sql, values)).await?.rows_affected();
    txn.commit().await?;
    Ok(n)
}

/// The assignments numbered 0..n-1, with each event type's payout.
const ASSIGNMENTS: &str = "a AS MATERIALIZED (
    SELECT CAST(row_number() OVER (ORDER BY ca.id) - 1 AS int) AS n, ca.id, ca.organization_id, ca.campaign_id,
           ca.partner_id, COALESCE(ca.click_payout, c.click_payout) AS click_payout,
           COALESCE(ca.form_payout, c.form_payout) AS form_payout, COALESCE(ca.call_payout, c.call_payout) AS call_payout
    FROM campaign_assignments ca JOIN campaigns c ON c.id = ca.campaign_id WHERE ca.organization_id = $1)";

/// Events $5..=$6 of a kind, evenly spread from $2 in steps of $3 seconds, each on a random one of $4 assignments.
const EVENTS: &str = "e AS (
    SELECT i, $2::timestamptz + (i + random()) * $3 * interval '1 second' AS t,
           floor(random() * $4)::int AS n, random() AS r, random() AS s
    FROM generate_series($5::bigint, $6::bigint) i)";

pub async fn run(url: &str, events: i64, verify: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = db::connect(url).await?;
    Migrator::up(&db, None).await.context("migrations")?;
    let s = Services {
        db: db.clone(),
        clock: Clock::system(),
        tokens: Arc::new(tokens::TokenKeys::new(b"bench-seed-only-bench-seed-only-bench-seed-only")),
        login_limits: LoginLimits::default(),
        public_url: "http://127.0.0.1".into(),
        outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
        deliveries_wakeup: Arc::new(tokio::sync::Notify::new()),
        allow_private_destinations: false,
        live: Arc::default(),
        click_retention: chrono::Duration::days(3660),
        key_rate_limit: None,
        senders: Arc::default(),
        links: Arc::default(),
    };

    // The owner and the organization through the app's sign-up; its argon2 hash is reused for every partner.
    let signup =
        accounts::SignUp { email: OWNER.into(), password: PASSWORD.into(), organization_name: "Bench Reports".into() };
    let session = accounts::sign_up(&s, signup).await.context("owner sign-up")?;
    let principal = authz::principal(&s, session.user.id, false, None).await?.context("the owner's account")?;
    let scope = authz::owner(&Actor::User(principal))?;
    let owner = session.user;
    let org = scope.organization_id();
    for i in 0..CAMPAIGNS {
        let zone = ZONES[usize::try_from(i).unwrap_or(0) % ZONES.len()];
        let new = NewCampaign {
            name: format!("Bench {i:02} {zone}"),
            time_zone: zone.into(),
            landing_url: "https://example.com/offer".into(),
            fallback_url: None,
            currency: Some("USD".into()),
            click_payout: Some(Decimal::new(20 + i, 2)),
            form_payout: Some(Decimal::new(1000 + 50 * i, 2)),
            call_payout: Some(Decimal::new(3000 + 100 * i, 2)),
            return_window_days: None,
        };
        campaigns::create(&s, &scope, new).await.with_context(|| format!("campaign {i}"))?;
    }
    let hash = owner.password_hash.clone();
    let now = Utc::now();
    db.execute_raw(stmt(
        &format!(
            "INSERT INTO users (id, email, password_hash, name, created_at, updated_at) \
             SELECT {}, 'partner' || lpad(i::text, 3, '0') || '@bench-reports.test', $1, \
                    'Partner partner' || lpad(i::text, 3, '0'), $2, $2 \
             FROM generate_series(0, $3 - 1) i ORDER BY i",
            uuid7("$2::timestamptz")
        ),
        vec![hash.into(), now.into(), PARTNERS.into()],
    ))
    .await?;
    db.execute_raw(stmt(
        &format!(
            "INSERT INTO marketing_partners (id, organization_id, email, name, user_id, status, registered_at, \
             created_at, updated_at) \
             SELECT {}, $1, u.email, u.name, u.id, 'ACTIVE', $2, $2, $2 \
             FROM users u WHERE u.email LIKE '%@bench-reports.test' ORDER BY u.email",
            uuid7("$2::timestamptz")
        ),
        vec![org.into(), now.into()],
    ))
    .await?;
    // Partner p is on campaigns p, p+5, p+10 and p+15 (mod 20): 100 partners per campaign.
    db.execute_raw(stmt(
        &format!(
            "WITH p AS (SELECT id, row_number() OVER (ORDER BY email) - 1 AS n FROM marketing_partners \
                        WHERE organization_id = $1), \
                  c AS (SELECT id, row_number() OVER (ORDER BY name) - 1 AS n FROM campaigns WHERE organization_id = $1) \
             INSERT INTO campaign_assignments (id, organization_id, partner_id, campaign_id, status, tracking_code, \
                                               created_at, updated_at) \
             SELECT {}, $1, p.id, c.id, 'ACTIVE', md5(random()::text), $2, $2 \
             FROM p CROSS JOIN generate_series(0, $3 - 1) k JOIN c ON c.n = (p.n + k * ($4 / $3)) % $4 \
             ORDER BY p.n, k",
            uuid7("$2::timestamptz")
        ),
        vec![org.into(), now.into(), PER_PARTNER.into(), CAMPAIGNS.into()],
    ))
    .await?;
    let assignments = PARTNERS * PER_PARTNER;
    eprintln!("accounts, campaigns, partners: {:.1} s", started.elapsed().as_secs_f64());

    // 70 % clicks (92 % of them counted), 25 % forms, 5 % calls, each kind spread evenly over the past 365 days.
    let t = Instant::now();
    let start = now - chrono::Duration::days(365);
    let calls = events * 5 / 100;
    let forms = events * 25 / 100;
    let clicks = events - forms - calls;
    let clicks_sql = format!(
        "WITH {ASSIGNMENTS}, {EVENTS} \
         INSERT INTO clicks (id, organization_id, campaign_id, partner_id, assignment_id, counted, reason, payout, \
                             sub1, created_at) \
         SELECT {}, a.organization_id, a.campaign_id, a.partner_id, a.id, e.r < 0.92, \
                CASE WHEN e.r < 0.92 THEN NULL ELSE 'CAP_REACHED' END, CASE WHEN e.r < 0.92 THEN a.click_payout ELSE 0 END, \
                {}, e.t \
         FROM e JOIN a ON a.n = e.n ORDER BY e.i",
        uuid7("e.t"),
        sub1("e.s")
    );
    // Statuses: 20 % received, 35 % approved, 25 % rejected, 20 % converted.
    let leads_sql = |kind: &str| {
        let (payout, caller, duration) = match kind {
            "CALL" => ("a.call_payout", "'+12125550123'", "90 + floor(e.r * 600)::int"),
            _ => ("a.form_payout", "NULL", "NULL"),
        };
        format!(
            "WITH {ASSIGNMENTS}, {EVENTS} \
             INSERT INTO leads (id, organization_id, campaign_id, partner_id, assignment_id, kind, status, reason, \
                                fields, caller_number, duration_seconds, payout, sub1, created_at, updated_at) \
             SELECT {}, a.organization_id, a.campaign_id, a.partner_id, a.id, '{kind}', \
                    CASE WHEN e.r < 0.20 THEN 'RECEIVED' WHEN e.r < 0.55 THEN 'APPROVED' \
                         WHEN e.r < 0.80 THEN 'REJECTED' ELSE 'CONVERTED' END, \
                    CASE WHEN e.r >= 0.55 AND e.r < 0.80 THEN 'Duplicate phone number' END, \
                    '{{\"name\":\"Bench Lead\",\"zip\":\"10001\"}}', {caller}, {duration}, {payout}, {}, e.t, e.t \
             FROM e JOIN a ON a.n = e.n ORDER BY e.i",
            uuid7("e.t"),
            sub1("e.s")
        )
    };
    for (what, count, sql) in
        [("clicks", clicks, clicks_sql), ("forms", forms, leads_sql("FORM")), ("calls", calls, leads_sql("CALL"))]
    {
        let step = 365.0 * 86_400.0 / (count.max(1) as f64);
        let mut lo = 0;
        while lo < count {
            let hi = (lo + BATCH).min(count) - 1;
            let values = vec![org.into(), start.into(), step.into(), assignments.into(), lo.into(), hi.into()];
            bulk(&db, &sql, values).await.with_context(|| format!("inserting {what}"))?;
            lo = hi + 1;
            eprintln!("{what}: {lo} of {count} ({:.1} s)", t.elapsed().as_secs_f64());
        }
    }
    let events_s = t.elapsed().as_secs_f64();

    // The rollup, as the app's incremental path writes it: the day in the campaign's time zone, '' for no sub-id;
    // counted = counted clicks or submitted leads; approved counts converted leads too; earnings = counted clicks'
    // payouts + approved and converted leads' payouts. Rows go in day by day, in no order within a day, as the
    // app creates them (a row is born at its first event).
    let t = Instant::now();
    let rollup_rows = bulk(
        &db,
        "INSERT INTO daily_stats (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5, \
                                  counted, not_counted, approved, rejected, converted, earnings) \
         SELECT e.organization_id, e.campaign_id, e.partner_id, \
                to_char(e.created_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD') AS day, e.kind, \
                COALESCE(e.sub1, ''), COALESCE(e.sub2, ''), COALESCE(e.sub3, ''), COALESCE(e.sub4, ''), COALESCE(e.sub5, ''), \
                SUM(e.counted), SUM(e.not_counted), SUM(e.approved), SUM(e.rejected), SUM(e.converted), SUM(e.earnings) \
         FROM ( \
           SELECT organization_id, campaign_id, partner_id, created_at, 'CLICK' AS kind, sub1, sub2, sub3, sub4, sub5, \
                  CASE WHEN counted THEN 1 ELSE 0 END AS counted, CASE WHEN counted THEN 0 ELSE 1 END AS not_counted, \
                  0 AS approved, 0 AS rejected, 0 AS converted, CASE WHEN counted THEN payout ELSE 0 END AS earnings \
           FROM clicks WHERE organization_id = $1 \
           UNION ALL \
           SELECT organization_id, campaign_id, partner_id, created_at, kind, sub1, sub2, sub3, sub4, sub5, 1, 0, \
                  CASE WHEN status IN ('APPROVED', 'CONVERTED') THEN 1 ELSE 0 END, \
                  CASE WHEN status = 'REJECTED' THEN 1 ELSE 0 END, CASE WHEN status = 'CONVERTED' THEN 1 ELSE 0 END, \
                  CASE WHEN status IN ('APPROVED', 'CONVERTED') THEN payout ELSE 0 END \
           FROM leads WHERE organization_id = $1 \
         ) e JOIN campaigns c ON c.id = e.campaign_id \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 \
         ORDER BY day, random()",
        vec![org.into()],
    )
    .await
    .context("filling daily_stats")?;
    let rollup_s = t.elapsed().as_secs_f64();
    eprintln!("daily_stats: {rollup_rows} rows ({rollup_s:.1} s)");
    // The coarse rollup per campaign and day, as the app leaves it: finished days folded into shard 0 (`stats::fold`),
    // the last days spread over the app's number of shards (which partner lands in which shard only matters for the
    // row count; reads add the shards up).
    let t = Instant::now();
    let coarse_rows = bulk(
        &db,
        "INSERT INTO campaign_stats (organization_id, campaign_id, day, shard, clicks, clicks_not_counted, forms, \
                                     calls, approved, rejected, converted, earnings) \
         SELECT organization_id, campaign_id, day, \
                CASE WHEN day < to_char(now() - interval '2 days', 'YYYY-MM-DD') THEN 0 \
                     ELSE abs(hashtext(partner_id::text)) % $2 END, \
                SUM(CASE WHEN kind = 'CLICK' THEN counted ELSE 0 END), SUM(not_counted), \
                SUM(CASE WHEN kind = 'FORM' THEN counted ELSE 0 END), SUM(CASE WHEN kind = 'CALL' THEN counted ELSE 0 END), \
                SUM(approved), SUM(rejected), SUM(converted), SUM(earnings) \
         FROM daily_stats WHERE organization_id = $1 GROUP BY 1, 2, 3, 4 ORDER BY day, random()",
        vec![org.into(), (stats::SHARDS as i32).into()],
    )
    .await
    .context("filling campaign_stats")?;
    let coarse_s = t.elapsed().as_secs_f64();
    eprintln!("campaign_stats: {coarse_rows} rows ({coarse_s:.1} s)");

    // Hint bits and the visibility map set, statistics fresh: the state autovacuum leaves a table in.
    let t = Instant::now();
    db.execute_unprepared(
        "VACUUM (ANALYZE) clicks, leads, daily_stats, campaign_stats, campaigns, campaign_assignments, marketing_partners, users",
    )
    .await?;
    let vacuum_s = t.elapsed().as_secs_f64();
    eprintln!("vacuum analyze: {vacuum_s:.1} s");
    if verify {
        let t = Instant::now();
        verify_rollup(&db, org).await?;
        eprintln!(
            "daily_stats equals the app's own computation from the raw events ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }
    let size: i64 = db
        .query_one_raw(stmt("SELECT pg_database_size(current_database())", vec![]))
        .await?
        .context("database size")?
        .try_get_by_index(0)?;
    println!(
        "{}",
        serde_json::json!({
            "events": events, "clicks": clicks, "forms": forms, "calls": calls, "daily_stats_rows": rollup_rows,
            "campaign_stats_rows": coarse_rows, "seconds_campaign_stats": (coarse_s * 10.0).round() / 10.0,
            "seconds_total": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "seconds_events": (events_s * 10.0).round() / 10.0, "seconds_rollup": (rollup_s * 10.0).round() / 10.0,
            "seconds_vacuum_analyze": (vacuum_s * 10.0).round() / 10.0,
            "database_mb": size / (1024 * 1024),
        })
    );
    Ok(())
}

/// Recomputes the rollup from the raw events with the app's own key (`stats::Key`, the day by chrono-tz) and
/// deltas (`stats::Delta::of_status`, the click path's counted / not counted), and compares it with `daily_stats`.
async fn verify_rollup(db: &DatabaseConnection, org: Uuid) -> anyhow::Result<()> {
    let zones: HashMap<Uuid, Tz> = db
        .query_all_raw(stmt("SELECT id, time_zone FROM campaigns WHERE organization_id = $1", vec![org.into()]))
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get_by_index::<Uuid>(0)?, r.try_get_by_index::<String>(1)?.parse().unwrap_or(Tz::UTC))))
        .collect::<anyhow::Result<_>>()?;
    let mut want: BTreeMap<Key, Delta> = BTreeMap::new();
    let mut add = |key: Key, d: Delta| want.entry(key).or_default().add(d);
    let events = "SELECT campaign_id, partner_id, created_at, sub1, sub2, sub3, sub4, sub5, {cols} FROM {table} \
                  WHERE organization_id = $1";
    let subs = |r: &sea_orm::QueryResult| -> anyhow::Result<[Option<String>; 5]> {
        Ok([
            r.try_get_by_index(3)?,
            r.try_get_by_index(4)?,
            r.try_get_by_index(5)?,
            r.try_get_by_index(6)?,
            r.try_get_by_index(7)?,
        ])
    };
    let key = |r: &sea_orm::QueryResult, kind: &'static str, subs: &[Option<String>; 5]| -> anyhow::Result<Key> {
        let campaign: Uuid = r.try_get_by_index(0)?;
        let at: DateTime<Utc> = r.try_get_by_index(2)?;
        let tz = zones.get(&campaign).copied().unwrap_or(Tz::UTC);
        let [s1, s2, s3, s4, s5] = subs;
        Ok(Key::new(org, campaign, r.try_get_by_index(1)?, kind, [s1, s2, s3, s4, s5], tz, at))
    };
    let clicks = events.replace("{cols}", "counted, payout").replace("{table}", "clicks");
    for r in db.query_all_raw(stmt(&clicks, vec![org.into()])).await? {
        let (counted, payout): (bool, i64) = (r.try_get_by_index(8)?, r.try_get_by_index(9)?);
        let d = if counted {
            Delta { counted: 1, earnings: payout, ..Default::default() }
        } else {
            Delta { not_counted: 1, ..Default::default() }
        };
        add(key(&r, "CLICK", &subs(&r)?)?, d);
    }
    let leads = events.replace("{cols}", "kind, status, payout").replace("{table}", "leads");
    for r in db.query_all_raw(stmt(&leads, vec![org.into()])).await? {
        let kind = match r.try_get_by_index::<String>(8)?.as_str() {
            "CALL" => "CALL",
            _ => "FORM",
        };
        let (status, payout): (String, i64) = (r.try_get_by_index(9)?, r.try_get_by_index(10)?);
        let k = key(&r, kind, &subs(&r)?)?;
        // The status changes the lead went through, each as `leads::set_status` records it.
        let path: &[Status] = match status.as_str() {
            "APPROVED" => &[Status::Received, Status::Approved],
            "REJECTED" => &[Status::Received, Status::Rejected],
            "CONVERTED" => &[Status::Received, Status::Approved, Status::Converted],
            _ => &[Status::Received],
        };
        let mut from = None;
        for to in path {
            add(k.clone(), Delta::of_move(from, *to, payout));
            from = Some(*to);
        }
    }
    let rows = db
        .query_all_raw(stmt(
            "SELECT campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5, counted, not_counted, approved, \
                    rejected, converted, returned, earnings FROM daily_stats WHERE organization_id = $1",
            vec![org.into()],
        ))
        .await?;
    anyhow::ensure!(rows.len() == want.len(), "daily_stats has {} rows, the events make {}", rows.len(), want.len());
    for r in rows {
        let kind = match r.try_get_by_index::<String>(3)?.as_str() {
            "CLICK" => "CLICK",
            "CALL" => "CALL",
            _ => "FORM",
        };
        let key = Key {
            campaign_id: r.try_get_by_index(0)?,
            partner_id: r.try_get_by_index(1)?,
            day: r.try_get_by_index(2)?,
            kind,
            subs: [
                r.try_get_by_index(4)?,
                r.try_get_by_index(5)?,
                r.try_get_by_index(6)?,
                r.try_get_by_index(7)?,
                r.try_get_by_index(8)?,
            ],
            organization_id: org,
        };
        let got = Delta {
            counted: r.try_get_by_index(9)?,
            not_counted: r.try_get_by_index(10)?,
            approved: r.try_get_by_index(11)?,
            rejected: r.try_get_by_index(12)?,
            converted: r.try_get_by_index(13)?,
            returned: r.try_get_by_index(14)?,
            earnings: r.try_get_by_index(15)?,
        };
        anyhow::ensure!(
            want.get(&key) == Some(&got),
            "row {key:?}: daily_stats has {got:?}, the events make {:?}",
            want.get(&key)
        );
    }
    // campaign_stats, its shards added up, equals daily_stats added up per campaign and day.
    let sums = |table: &str, clicks: &str, forms: &str, calls: &str| {
        format!(
            "SELECT campaign_id, day, SUM({clicks}), SUM({forms}), SUM({calls}), SUM(approved), SUM(rejected), \
             SUM(converted), SUM(earnings) FROM {table} WHERE organization_id = $1 GROUP BY 1, 2"
        )
    };
    let differ: i64 = db
        .query_one_raw(stmt(
            &format!(
                "SELECT COUNT(*) FROM (({fine} EXCEPT {coarse}) UNION ALL ({coarse} EXCEPT {fine})) d",
                fine = sums(
                    "daily_stats",
                    "CASE WHEN kind = 'CLICK' THEN counted ELSE 0 END",
                    "CASE WHEN kind = 'FORM' THEN counted ELSE 0 END",
                    "CASE WHEN kind = 'CALL' THEN counted ELSE 0 END"
                ),
                coarse = sums("campaign_stats", "clicks", "forms", "calls")
            ),
            vec![org.into()],
        ))
        .await?
        .context("comparing campaign_stats")?
        .try_get_by_index(0)?;
    anyhow::ensure!(differ == 0, "campaign_stats differs from daily_stats in {differ} rows");
    Ok(())
}
