//! `partnerdesk-bench reports`: p50 / p95 of report queries through a running server's GraphQL API (the partner
//! dashboard's own `Dashboard` document, one-year daily reports), and, in the same run on the same database, of the
//! naive `GROUP BY` over the raw `clicks` and `leads` for the same cuts. Prints Markdown table rows.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{NaiveDate, NaiveTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::seed_events::{OWNER, PASSWORD, partner_email};

/// The app's GraphQL documents for the partner dashboard, taken from the frontend's file.
const STATS_GRAPHQL: &str = include_str!("../../frontend/graphql/stats.graphql");

/// One top-level definition (`query Dashboard`, `fragment Metrics`) of a GraphQL file: from its first line to the
/// first line that is a lone `}`.
fn definition(doc: &str, head: &str) -> anyhow::Result<String> {
    let start = doc.find(head).with_context(|| format!("{head} not found in stats.graphql"))?;
    let end = doc[start..].find("\n}").with_context(|| format!("{head} has no end"))?;
    Ok(doc[start..start + end + 2].to_owned())
}

pub struct Client {
    http: reqwest::Client,
    url: String,
    /// Access tokens by email, with when they were issued (they last 15 minutes).
    tokens: RefCell<HashMap<String, (String, Instant)>>,
}

impl Client {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().build()?,
            url: format!("{url}/graphql"),
            tokens: RefCell::default(),
        })
    }

    /// Runs a GraphQL operation; any error in the answer is an error here.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Json) -> anyhow::Result<Json> {
        let mut req = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res: Json = req.send().await?.error_for_status()?.json().await?;
        anyhow::ensure!(res["errors"].is_null(), "GraphQL errors: {}", res["errors"]);
        Ok(res["data"].clone())
    }

    pub async fn login(&self, email: &str) -> anyhow::Result<String> {
        let data = self
            .gql(
                None,
                "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                json!({ "input": { "email": email, "password": PASSWORD } }),
            )
            .await?;
        data["login"]["accessToken"].as_str().map(str::to_owned).context("login answered no access token")
    }

    /// An access token for `email` at most `max_age` old: the last one, or a new login.
    pub async fn token(&self, email: &str, max_age: Duration) -> anyhow::Result<String> {
        let cached = self.tokens.borrow().get(email).filter(|(_, at)| at.elapsed() < max_age).map(|(t, _)| t.clone());
        if let Some(t) = cached {
            return Ok(t);
        }
        let t = self.login(email).await?;
        self.tokens.borrow_mut().insert(email.to_owned(), (t.clone(), Instant::now()));
        Ok(t)
    }
}

/// The p-th percentile (0..1) of sorted durations, in milliseconds: the sample at rank floor(n * p).
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(0.0, |d| (d.as_secs_f64() * 10_000.0).round() / 10.0)
}

/// Runs `f` `warmup` times unmeasured, then `runs` times, or fewer (but at least 10) once `budget` is spent; the
/// sorted durations.
async fn time<F, Fut>(warmup: usize, runs: usize, budget: Duration, mut f: F) -> anyhow::Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..warmup {
        f().await?;
    }
    let started = Instant::now();
    let mut all = Vec::with_capacity(runs);
    while all.len() < runs && (all.len() < 10 || started.elapsed() < budget) {
        let t = Instant::now();
        f().await?;
        all.push(t.elapsed());
    }
    all.sort();
    Ok(all)
}

/// Whose events a naive query reads.
#[derive(Clone, Copy)]
enum Cut {
    Partner(Uuid),
    Campaign(Uuid),
    Organization,
}

/// How a naive query groups.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    Totals,
    Day,
    Campaign,
}

/// The naive query: the report's sums computed from the raw events, the day in each campaign's time zone. The
/// `created_at` bounds (a day's margin around the period, for every time zone) let it skip what an index could.
fn naive_sql(cut: Cut, group: Group) -> String {
    let filter = match cut {
        Cut::Partner(_) => "e.organization_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND e.partner_id = $6",
        Cut::Campaign(_) => {
            "e.organization_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND e.campaign_id = $6"
        }
        Cut::Organization => "e.organization_id = $1 AND e.created_at >= $2 AND e.created_at < $3",
    };
    let (select, group_by) = match group {
        Group::Totals => ("NULL AS g", ""),
        Group::Day => ("day AS g", "GROUP BY day ORDER BY day"),
        Group::Campaign => {
            ("CAST(campaign_id AS text) AS g", "GROUP BY campaign_id ORDER BY submitted DESC, campaign_id")
        }
    };
    format!(
        "SELECT {select}, CAST(SUM(clicks) AS BIGINT) AS clicks, CAST(SUM(not_counted) AS BIGINT) AS not_counted, \
                CAST(SUM(forms + calls) AS BIGINT) AS submitted, CAST(SUM(approved) AS BIGINT) AS approved, \
                CAST(SUM(rejected) AS BIGINT) AS rejected, CAST(SUM(converted) AS BIGINT) AS converted, \
                CAST(SUM(earnings) AS BIGINT) AS earnings \
         FROM ( \
           SELECT e.campaign_id, to_char(e.created_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD') AS day, \
                  CASE WHEN e.counted THEN 1 ELSE 0 END AS clicks, CASE WHEN e.counted THEN 0 ELSE 1 END AS not_counted, \
                  0 AS forms, 0 AS calls, 0 AS approved, 0 AS rejected, 0 AS converted, \
                  CASE WHEN e.counted THEN e.payout ELSE 0 END AS earnings \
           FROM clicks e JOIN campaigns c ON c.id = e.campaign_id WHERE {filter} \
           UNION ALL \
           SELECT e.campaign_id, to_char(e.created_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD'), 0, 0, \
                  CASE WHEN e.kind = 'FORM' THEN 1 ELSE 0 END, CASE WHEN e.kind = 'CALL' THEN 1 ELSE 0 END, \
                  CASE WHEN e.status IN ('APPROVED', 'CONVERTED') THEN 1 ELSE 0 END, \
                  CASE WHEN e.status = 'REJECTED' THEN 1 ELSE 0 END, CASE WHEN e.status = 'CONVERTED' THEN 1 ELSE 0 END, \
                  CASE WHEN e.status IN ('APPROVED', 'CONVERTED') THEN e.payout ELSE 0 END \
           FROM leads e JOIN campaigns c ON c.id = e.campaign_id WHERE {filter} \
         ) x WHERE day BETWEEN $4 AND $5 {group_by}"
    )
}

/// Runs a naive query; its rows as (group, clicks, submitted, approved, earnings).
async fn naive(
    db: &DatabaseConnection,
    org: Uuid,
    cut: Cut,
    group: Group,
    (from, to): (NaiveDate, NaiveDate),
) -> anyhow::Result<Vec<(Option<String>, i64, i64, i64, i64)>> {
    let margin = chrono::Duration::days(1);
    let mut values: Vec<Value> = vec![
        org.into(),
        (from.and_time(NaiveTime::MIN).and_utc() - margin).into(),
        (to.and_time(NaiveTime::MIN).and_utc() + margin + margin).into(),
        from.format("%Y-%m-%d").to_string().into(),
        to.format("%Y-%m-%d").to_string().into(),
    ];
    match cut {
        Cut::Partner(id) | Cut::Campaign(id) => values.push(id.into()),
        Cut::Organization => {}
    }
    let rows =
        db.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, naive_sql(cut, group), values)).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get_by_index(0)?,
                r.try_get_by_index(1)?,
                r.try_get_by_index(3)?,
                r.try_get_by_index(4)?,
                r.try_get_by_index(7)?,
            ))
        })
        .collect()
}

/// A report row's (clicks, submitted, approved, earnings in 1/10,000).
fn figures(row: &Json) -> anyhow::Result<(i64, i64, i64, i64)> {
    let earnings: f64 = row["earnings"].as_str().context("earnings")?.parse()?;
    Ok((
        row["clicks"].as_i64().context("clicks")?,
        row["submitted"].as_i64().context("submitted")?,
        row["approved"].as_i64().context("approved")?,
        (earnings * 10_000.0).round() as i64,
    ))
}

/// Prints one measurement's figures to stderr as it finishes.
fn progress(m: &Measured, started: Instant) {
    eprintln!(
        "{}: API p50 {} ms p95 {} ms; naive p50 {} ms p95 {} ms ({:.0} s)",
        m.what,
        pct(&m.api, 0.5),
        pct(&m.api, 0.95),
        pct(&m.naive, 0.5),
        pct(&m.naive, 0.95),
        started.elapsed().as_secs_f64()
    );
}

struct Measured {
    what: &'static str,
    api: Vec<Duration>,
    naive: Vec<Duration>,
}

/// Tokens used inside a measurement are renewed (untimed, before it starts) when older than this ...
const FRESH: Duration = Duration::from_secs(5 * 60);
/// ... and, should a measurement outlast that, inside it when older than this.
const MAX_AGE: Duration = Duration::from_secs(12 * 60);

pub async fn run(
    url: &str,
    database_url: &str,
    events: &str,
    (runs, naive_runs): (usize, usize),
    budget: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = partnerdesk_services::db::connect(database_url).await?;
    let client = Client::new(url)?;
    let one = |sql: &'static str, values: Vec<Value>| {
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values))
                .await?
                .with_context(|| format!("no row for {sql}"))?;
            Ok::<Uuid, anyhow::Error>(row.try_get_by_index(0)?)
        }
    };
    let org = one(
        "SELECT m.organization_id FROM organization_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
        vec![OWNER.into()],
    )
    .await?;
    let partner = one("SELECT id FROM marketing_partners WHERE email = $1", vec![partner_email(0).into()]).await?;
    let campaign =
        one("SELECT id FROM campaigns WHERE organization_id = $1 ORDER BY name LIMIT 1", vec![org.into()]).await?;

    let metrics = definition(STATS_GRAPHQL, "fragment Metrics on ReportRow")?;
    let dashboard = format!("{}\n\n{metrics}", definition(STATS_GRAPHQL, "query Dashboard(")?);
    let daily = format!(
        "query Daily($filter: ReportFilter!) {{\n  report(filter: $filter, groupBy: [DAY], first: 1000) {{\n    nodes {{\n      day\n      ...Metrics\n    }}\n  }}\n}}\n\n{metrics}"
    );

    let today = Utc::now().date_naive();
    let days = |n: i64| chrono::Duration::days(n);
    let month = (today - days(29), today);
    let previous = (today - days(59), today - days(30));
    let year = (today - days(364), today);
    let filter = |(from, to): (NaiveDate, NaiveDate), campaign: Option<Uuid>| {
        let mut f = json!({ "from": from.to_string(), "to": to.to_string() });
        if let Some(c) = campaign {
            f["campaignIds"] = json!([c.to_string()]);
        }
        f
    };

    let mut out = Vec::new();
    let partner_login = partner_email(0);

    // (a) The partner's dashboard: the last 30 days against the 30 before.
    let vars = json!({ "filter": filter(month, None), "previous": filter(previous, None) });
    let answer = client.gql(Some(&client.token(&partner_login, FRESH).await?), &dashboard, vars.clone()).await?;
    let naive_daily = naive(&db, org, Cut::Partner(partner), Group::Day, month).await?;
    check("partner dashboard, per day", &answer["daily"]["nodes"], &naive_daily)?;
    let naive_campaigns = naive(&db, org, Cut::Partner(partner), Group::Campaign, month).await?;
    anyhow::ensure!(
        answer["campaigns"]["nodes"].as_array().map(Vec::len) == Some(naive_campaigns.len()),
        "partner dashboard: per-campaign rows differ from the naive query's"
    );
    let (c, d, e, v, doc) = (&client, &db, partner_login.as_str(), &vars, dashboard.as_str());
    let api =
        time(
            2,
            runs,
            budget,
            || async move { c.gql(Some(&c.token(e, MAX_AGE).await?), doc, v.clone()).await.map(drop) },
        )
        .await?;
    let cut = Cut::Partner(partner);
    let naive_t = time(1, naive_runs, budget, || async move {
        naive(d, org, cut, Group::Totals, month).await?;
        naive(d, org, cut, Group::Totals, previous).await?;
        naive(d, org, cut, Group::Day, month).await?;
        naive(d, org, cut, Group::Campaign, month).await?;
        Ok(())
    })
    .await?;
    out.push(Measured { what: "partner `Dashboard` (last 30 days + previous 30; 4 reports)", api, naive: naive_t });
    out.last().into_iter().for_each(|m| progress(m, started));

    // (b) One year per day: the partner's, the owner's for one campaign, the owner's for the whole organization.
    let cases = [
        ("partner, one year per day", partner_login.as_str(), Cut::Partner(partner), None),
        ("owner, one campaign, one year per day", OWNER, Cut::Campaign(campaign), Some(campaign)),
        ("owner, whole organization, one year per day", OWNER, Cut::Organization, None),
    ];
    for (what, email, cut, campaign) in cases {
        let vars = json!({ "filter": filter(year, campaign) });
        let answer = client.gql(Some(&client.token(email, FRESH).await?), &daily, vars.clone()).await?;
        check(what, &answer["report"]["nodes"], &naive(&db, org, cut, Group::Day, year).await?)?;
        let (c, d, v, doc) = (&client, &db, &vars, daily.as_str());
        let api = time(2, runs, budget, || async move {
            c.gql(Some(&c.token(email, MAX_AGE).await?), doc, v.clone()).await.map(drop)
        })
        .await?;
        let naive_t =
            time(1, naive_runs, budget, || async move { naive(d, org, cut, Group::Day, year).await.map(drop) }).await?;
        out.push(Measured { what, api, naive: naive_t });
        out.last().into_iter().for_each(|m| progress(m, started));
    }

    for m in out {
        let (p50, p95) = (pct(&m.api, 0.50), pct(&m.api, 0.95));
        let (n50, n95) = (pct(&m.naive, 0.50), pct(&m.naive, 0.95));
        let ratio = match n50 / p50 {
            r if !r.is_finite() => "—".into(),
            r if r < 10.0 => format!("{r:.1}x"),
            r => format!("{r:.0}x"),
        };
        let n = format!("{} / {}", m.api.len(), m.naive.len());
        println!("| {events} | {} | {p50} | {p95} | {n50} | {n95} | {ratio} | {n} |", m.what);
    }
    Ok(())
}

/// The report's rows must be the naive query's: same days, same clicks, submitted, approved and earnings.
fn check(what: &str, nodes: &Json, naive: &[(Option<String>, i64, i64, i64, i64)]) -> anyhow::Result<()> {
    let nodes = nodes.as_array().with_context(|| format!("{what}: no rows"))?;
    anyhow::ensure!(nodes.len() == naive.len(), "{what}: {} report rows, {} naive rows", nodes.len(), naive.len());
    for (n, (day, clicks, submitted, approved, earnings)) in nodes.iter().zip(naive) {
        anyhow::ensure!(
            n["day"].as_str() == day.as_deref() && figures(n)? == (*clicks, *submitted, *approved, *earnings),
            "{what}: report row {n} differs from the naive {day:?} {clicks} {submitted} {approved} {earnings}"
        );
    }
    eprintln!("{what}: {} rows, equal to the naive GROUP BY's", nodes.len());
    Ok(())
}
