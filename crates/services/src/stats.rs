//! Statistics: counters per campaign, partner, day (in the campaign's time zone), event type and sub-ids, kept in
//! `daily_stats`, and the same per campaign and day only in `campaign_stats` (for reports without partners, sub-ids
//! or types, which would otherwise add up about as many rows as there are events). Both change in the same
//! transaction as the event or status change that moves them, so a report never disagrees with the leads list.
//! Reports add these rows up; they never scan the raw events (except in a chosen time zone: `stats_in_zone`).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use partnerdesk_domain::metrics::Totals;
use partnerdesk_domain::windows::local_day;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, FromQueryResult, Statement, Value};
use uuid::Uuid;

pub use crate::authz::Audience;
use crate::leads::{Kind, Lead, Status};
use crate::{Error, Result, Services};

/// The row an event is counted in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub campaign_id: Uuid,
    pub partner_id: Uuid,
    pub day: String,
    pub kind: &'static str,
    pub subs: [String; 5],
    pub organization_id: Uuid,
}

impl Key {
    pub fn new(
        organization_id: Uuid,
        campaign_id: Uuid,
        partner_id: Uuid,
        kind: &'static str,
        subs: [&Option<String>; 5],
        tz: Tz,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            campaign_id,
            partner_id,
            day: local_day(tz, at),
            kind,
            subs: subs.map(|s| s.clone().unwrap_or_default()),
            organization_id,
        }
    }

    pub fn of_lead(l: &Lead, tz: Tz) -> Self {
        let kind = match l.kind {
            Kind::Form => "FORM",
            Kind::Call => "CALL",
        };
        Self::new(
            l.organization_id,
            l.campaign_id,
            l.partner_id,
            kind,
            [&l.sub1, &l.sub2, &l.sub3, &l.sub4, &l.sub5],
            tz,
            l.created_at,
        )
    }
}

/// What one change adds to a row's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    /// Counted clicks, or leads submitted.
    pub counted: i64,
    pub not_counted: i64,
    pub approved: i64,
    pub rejected: i64,
    pub converted: i64,
    pub returned: i64,
    pub earnings: i64,
}

impl Delta {
    /// A lead's move from `from` (none: it arrives) to `to`: what the lead adds as it stands after, less what it
    /// added before ([`Totals::of_lead`], the one definition).
    pub fn of_move(from: Option<Status>, to: Status, payout: i64) -> Self {
        use sea_orm::ActiveEnum as _;
        let of = |st: Status| Totals::of_lead(false, &st.to_value(), payout);
        let t = of(to).minus(&from.map(of).unwrap_or_default());
        Self {
            counted: t.forms,
            not_counted: 0,
            approved: t.approved,
            rejected: t.rejected,
            converted: t.converted,
            returned: t.returned,
            earnings: t.earnings,
        }
    }

    pub fn add(&mut self, o: Delta) {
        self.counted += o.counted;
        self.not_counted += o.not_counted;
        self.approved += o.approved;
        self.rejected += o.rejected;
        self.converted += o.converted;
        self.returned += o.returned;
        self.earnings += o.earnings;
    }
}

/// How many rows of `campaign_stats` share one campaign and day while the day takes events. Each event's transaction
/// holds its row's lock until commit, so one campaign's concurrent events queue on these rows: with 32 the ingest
/// benchmark's one-campaign floor loses 13 % of its throughput, with 4 a third (bench/README.md). Once a day is over,
/// `fold` moves its shards into shard 0, so a year's report adds up one row per campaign and day. Reads add every
/// row of a day up, so this can change without a migration.
pub const SHARDS: u128 = 32;

impl Delta {
    /// The same change as `campaign_stats` counts it: clicks, forms and calls apart.
    fn totals(self, kind: &str) -> Totals {
        let of = |k: &str| if kind == k { self.counted } else { 0 };
        Totals {
            clicks: of("CLICK"),
            clicks_not_counted: self.not_counted,
            forms: of("FORM"),
            calls: of("CALL"),
            approved: self.approved,
            rejected: self.rejected,
            converted: self.converted,
            returned: self.returned,
            earnings: self.earnings,
        }
    }
}

/// Adds `d` to the row of `key` (and to its campaign's day in `campaign_stats`), creating them at zero. Call inside
/// the event's transaction.
pub async fn add(conn: &impl ConnectionTrait, key: &Key, d: Delta) -> Result<()> {
    add_all(conn, [(key.clone(), d)]).await
}

/// Adds several changes in one order for every transaction (the `daily_stats` rows by key, then the
/// `campaign_stats` rows by key), so concurrent transactions never wait for each other in a circle.
pub async fn add_all(conn: &impl ConnectionTrait, changes: impl IntoIterator<Item = (Key, Delta)>) -> Result<()> {
    for statement in statements(conn.get_database_backend(), changes) {
        conn.execute_raw(statement).await?;
    }
    Ok(())
}

/// The upserts that add `changes`, in the order [`add_all`] runs them: for a [`crate::db::Batch`].
pub fn statements(backend: DbBackend, changes: impl IntoIterator<Item = (Key, Delta)>) -> Vec<Statement> {
    let mut rows: BTreeMap<Key, Delta> = BTreeMap::new();
    let mut coarse: BTreeMap<(Uuid, String, i16), (Uuid, Totals)> = BTreeMap::new();
    for (k, d) in changes {
        let shard = (k.partner_id.as_u128() % SHARDS) as i16;
        let row = coarse.entry((k.campaign_id, k.day.clone(), shard)).or_insert((k.organization_id, Totals::default()));
        row.1.add(&d.totals(k.kind));
        rows.entry(k).or_default().add(d);
    }
    let mut out = Vec::with_capacity(rows.len() + coarse.len());
    for (k, d) in &rows {
        let mut values: Vec<Value> = vec![
            k.organization_id.into(),
            k.campaign_id.into(),
            k.partner_id.into(),
            k.day.clone().into(),
            k.kind.into(),
        ];
        values.extend(k.subs.clone().map(Value::from));
        values.extend(
            [d.counted, d.not_counted, d.approved, d.rejected, d.converted, d.returned, d.earnings].map(Value::from),
        );
        out.push(Statement::from_sql_and_values(
            backend,
            "INSERT INTO daily_stats AS s (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, \
             sub5, counted, not_counted, approved, rejected, converted, returned, earnings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, sub5) DO UPDATE SET \
             counted = s.counted + excluded.counted, not_counted = s.not_counted + excluded.not_counted, \
             approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected, \
             converted = s.converted + excluded.converted, returned = s.returned + excluded.returned, \
             earnings = s.earnings + excluded.earnings",
            values,
        ));
    }
    for ((campaign, day, shard), (org, t)) in coarse {
        out.push(campaign_day(backend, org, campaign, &day, shard, &t));
    }
    out
}

fn campaign_day(backend: DbBackend, org: Uuid, campaign: Uuid, day: &str, shard: i16, t: &Totals) -> Statement {
    let mut values: Vec<Value> = vec![org.into(), campaign.into(), day.into(), shard.into()];
    values.extend(
        [t.clicks, t.clicks_not_counted, t.forms, t.calls, t.approved, t.rejected, t.converted, t.returned, t.earnings]
            .map(Value::from),
    );
    Statement::from_sql_and_values(
        backend,
        "INSERT INTO campaign_stats AS s (organization_id, campaign_id, day, shard, clicks, clicks_not_counted, \
         forms, calls, approved, rejected, converted, returned, earnings) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (campaign_id, day, shard) DO UPDATE SET clicks = s.clicks + excluded.clicks, \
         clicks_not_counted = s.clicks_not_counted + excluded.clicks_not_counted, \
         forms = s.forms + excluded.forms, calls = s.calls + excluded.calls, \
         approved = s.approved + excluded.approved, rejected = s.rejected + excluded.rejected, \
         converted = s.converted + excluded.converted, returned = s.returned + excluded.returned, \
         earnings = s.earnings + excluded.earnings",
        values,
    )
}

#[derive(FromQueryResult)]
struct CampaignDay {
    organization_id: Uuid,
    campaign_id: Uuid,
    day: String,
}

/// The nine figures of a report row or of a `campaign_stats` row, as columns named like `Totals`' fields.
#[derive(FromQueryResult)]
struct Figures {
    clicks: i64,
    clicks_not_counted: i64,
    forms: i64,
    calls: i64,
    approved: i64,
    rejected: i64,
    converted: i64,
    returned: i64,
    earnings: i64,
}

impl From<Figures> for Totals {
    fn from(f: Figures) -> Self {
        Totals {
            clicks: f.clicks,
            clicks_not_counted: f.clicks_not_counted,
            forms: f.forms,
            calls: f.calls,
            approved: f.approved,
            rejected: f.rejected,
            converted: f.converted,
            returned: f.returned,
            earnings: f.earnings,
        }
    }
}

/// Moves the shards of every campaign day before the day before yesterday (UTC; no time zone's day is still open
/// by then) into shard 0, one campaign day per transaction. Exact while events and decisions keep arriving: the
/// transaction locks shard 0 first and then takes each shard out in shard order, the order in which every event's
/// transaction locks a day's rows, and adds what it took out to shard 0. A late decision on an old lead lands in its
/// partner's shard again and is folded on the next run. Returns how many campaign days were folded.
pub async fn fold(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let cutoff = (now - chrono::Duration::days(2)).format("%Y-%m-%d").to_string();
    let backend = db.get_database_backend();
    let mut folded = 0;
    loop {
        let days = CampaignDay::find_by_statement(Statement::from_sql_and_values(
            backend,
            "SELECT organization_id, campaign_id, day FROM campaign_stats WHERE shard > 0 AND day < $1 \
             GROUP BY organization_id, campaign_id, day LIMIT 200",
            [cutoff.clone().into()],
        ))
        .all(db)
        .await?;
        if days.is_empty() {
            return Ok(folded);
        }
        for d in days {
            let txn = crate::db::begin_write(db).await?;
            txn.execute_raw(campaign_day(backend, d.organization_id, d.campaign_id, &d.day, 0, &Totals::default()))
                .await?;
            let shards: Vec<i16> = txn
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT shard FROM campaign_stats WHERE campaign_id = $1 AND day = $2 AND shard > 0 ORDER BY shard",
                    [d.campaign_id.into(), d.day.clone().into()],
                ))
                .await?
                .iter()
                .map(|r| r.try_get_by_index(0))
                .collect::<std::result::Result<_, _>>()?;
            let mut sum = Totals::default();
            for shard in shards {
                let taken = Figures::find_by_statement(Statement::from_sql_and_values(
                    backend,
                    "DELETE FROM campaign_stats WHERE campaign_id = $1 AND day = $2 AND shard = $3 RETURNING clicks, \
                     clicks_not_counted, forms, calls, approved, rejected, converted, returned, earnings",
                    [d.campaign_id.into(), d.day.clone().into(), shard.into()],
                ))
                .one(&txn)
                .await?;
                if let Some(t) = taken {
                    sum.add(&t.into());
                }
            }
            txn.execute_raw(campaign_day(backend, d.organization_id, d.campaign_id, &d.day, 0, &sum)).await?;
            txn.commit().await?;
            folded += 1;
        }
    }
}

/// A way to cut a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Day,
    /// Weeks start on Monday.
    Week,
    Month,
    Campaign,
    Partner,
    Type,
    /// sub1 to sub5 (0 to 4).
    SubId(usize),
}

/// What a report's rows are sorted by (then by their grouping, ascending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderField {
    Group,
    Clicks,
    Submitted,
    Approved,
    Rejected,
    Converted,
    Returned,
    Earnings,
    ApprovalRate,
    ConversionRate,
    ReturnRate,
    Epc,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Advertisers, for a partner that works with several: only their traffic.
    pub organization_ids: Vec<Uuid>,
    pub campaign_ids: Vec<Uuid>,
    pub partner_ids: Vec<Uuid>,
    /// `CLICK`, `FORM`, `CALL`; empty: all.
    pub types: Vec<&'static str>,
    /// First and last day, inclusive, each in its campaign's time zone (or in `time_zone`).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Read days in this zone instead of each campaign's: the report is then added up from the raw events.
    pub time_zone: Option<Tz>,
}

/// An IANA zone name for `filter.timeZone`.
pub fn parse_zone(name: &str, field: &str) -> Result<Tz> {
    name.trim()
        .parse()
        .map_err(|_| Error::validation(field, format!("{name:?} is not an IANA time zone such as America/New_York.")))
}

/// One row: the values of the grouping (the others are None), the currency, and the sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The day, or the first day of the week or month.
    pub day: Option<NaiveDate>,
    pub campaign_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub kind: Option<String>,
    pub subs: [Option<String>; 5],
    pub currency: String,
    pub totals: Totals,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub has_next_page: bool,
    pub total_count: u64,
    /// The sums over every row, one per currency (amounts in different currencies are never added).
    pub totals: Vec<Row>,
}

/// Which parts of a report the caller reads; the others are not computed.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    pub rows: bool,
    pub total_count: bool,
    pub totals: bool,
}

/// A report request: which rows, grouped and sorted how, which page, which parts.
#[derive(Debug, Clone)]
pub struct Query {
    pub filter: Filter,
    pub group_by: Vec<Dimension>,
    /// The field, and true for descending.
    pub order: (OrderField, bool),
    pub first: u64,
    pub offset: u64,
    pub parts: Parts,
}

/// The most rows one report page may ask for.
pub const MAX_REPORT_PAGE: u64 = 1000;
/// The longest period a report may cover, in days.
const MAX_DAYS: i64 = 3 * 366;

fn group_expr(d: Dimension, backend: DbBackend) -> String {
    match d {
        Dimension::Day => "s.day".into(),
        Dimension::Week => match backend {
            DbBackend::Postgres => "to_char(date_trunc('week', CAST(s.day AS date)), 'YYYY-MM-DD')".into(),
            _ => "date(s.day, '-6 days', 'weekday 1')".into(),
        },
        Dimension::Month => "substr(s.day, 1, 7) || '-01'".into(),
        Dimension::Campaign => "s.campaign_id".into(),
        Dimension::Partner => "s.partner_id".into(),
        Dimension::Type => "s.kind".into(),
        Dimension::SubId(i) => format!("s.sub{}", i + 1),
    }
}

fn column(d: Dimension) -> String {
    match d {
        Dimension::Day | Dimension::Week | Dimension::Month => "g_day".into(),
        Dimension::Campaign => "g_campaign".into(),
        Dimension::Partner => "g_partner".into(),
        Dimension::Type => "g_kind".into(),
        Dimension::SubId(i) => format!("g_sub{}", i + 1),
    }
}

/// The figures from `daily_stats`.
const SUMS: &str = "CAST(SUM(CASE WHEN s.kind = 'CLICK' THEN s.counted ELSE 0 END) AS BIGINT) AS clicks, \
    CAST(SUM(s.not_counted) AS BIGINT) AS clicks_not_counted, \
    CAST(SUM(CASE WHEN s.kind = 'FORM' THEN s.counted ELSE 0 END) AS BIGINT) AS forms, \
    CAST(SUM(CASE WHEN s.kind = 'CALL' THEN s.counted ELSE 0 END) AS BIGINT) AS calls, \
    CAST(SUM(s.approved) AS BIGINT) AS approved, CAST(SUM(s.rejected) AS BIGINT) AS rejected, \
    CAST(SUM(s.converted) AS BIGINT) AS converted, CAST(SUM(s.returned) AS BIGINT) AS returned, \
    CAST(SUM(s.earnings) AS BIGINT) AS earnings";

/// The same from `campaign_stats`.
const COARSE_SUMS: &str = "CAST(SUM(s.clicks) AS BIGINT) AS clicks, \
    CAST(SUM(s.clicks_not_counted) AS BIGINT) AS clicks_not_counted, CAST(SUM(s.forms) AS BIGINT) AS forms, \
    CAST(SUM(s.calls) AS BIGINT) AS calls, CAST(SUM(s.approved) AS BIGINT) AS approved, \
    CAST(SUM(s.rejected) AS BIGINT) AS rejected, CAST(SUM(s.converted) AS BIGINT) AS converted, \
    CAST(SUM(s.returned) AS BIGINT) AS returned, CAST(SUM(s.earnings) AS BIGINT) AS earnings";

fn order_expr(o: OrderField) -> Option<&'static str> {
    Some(match o {
        OrderField::Group => return None,
        OrderField::Clicks => "clicks",
        OrderField::Submitted => "forms + calls",
        OrderField::Approved => "approved",
        OrderField::Rejected => "rejected",
        OrderField::Converted => "converted",
        OrderField::Returned => "returned",
        OrderField::ReturnRate => "CASE WHEN approved > 0 THEN returned * 1.0 / approved END",
        OrderField::Earnings => "earnings",
        OrderField::ApprovalRate => "CASE WHEN approved + rejected > 0 THEN approved * 1.0 / (approved + rejected) END",
        OrderField::ConversionRate => "CASE WHEN forms + calls > 0 THEN converted * 1.0 / (forms + calls) END",
        OrderField::Epc => "CASE WHEN clicks > 0 THEN earnings * 1.0 / clicks END",
    })
}

#[derive(FromQueryResult)]
struct Sums {
    g_day: Option<String>,
    g_campaign: Option<Uuid>,
    g_partner: Option<Uuid>,
    g_kind: Option<String>,
    g_sub1: Option<String>,
    g_sub2: Option<String>,
    g_sub3: Option<String>,
    g_sub4: Option<String>,
    g_sub5: Option<String>,
    currency: String,
    #[sea_orm(nested)]
    figures: Figures,
}

impl From<Sums> for Row {
    fn from(s: Sums) -> Self {
        let sub = |v: Option<String>| v.filter(|v| !v.is_empty());
        Row {
            day: s.g_day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            campaign_id: s.g_campaign,
            partner_id: s.g_partner,
            kind: s.g_kind,
            subs: [sub(s.g_sub1), sub(s.g_sub2), sub(s.g_sub3), sub(s.g_sub4), sub(s.g_sub5)],
            currency: s.currency,
            totals: s.figures.into(),
        }
    }
}

/// Adds up the audience's rows that pass `filter`, grouped by `group_by` (and always by currency).
pub async fn report(s: &Services, audience: &Audience, q: &Query) -> Result<Report> {
    let Query { filter, group_by, order, first, offset, parts } = q;
    let (order, first, offset, parts) = (*order, *first, *offset, *parts);
    if first == 0 || first > MAX_REPORT_PAGE {
        return Err(Error::validation("first", format!("Ask for 1 to {MAX_REPORT_PAGE} report rows per page.")));
    }
    let periods = group_by.iter().filter(|d| matches!(d, Dimension::Day | Dimension::Week | Dimension::Month));
    if periods.count() > 1 {
        return Err(Error::validation("groupBy", "Group by one of DAY, WEEK and MONTH, not several."));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to < from {
            return Err(Error::validation("filter.to", "The last day comes before the first."));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(Error::validation("filter.to", "A report covers at most three years."));
        }
    }
    let audience = audience.clone().within(&filter.organization_ids);
    if let Some(tz) = filter.time_zone {
        return crate::stats_in_zone::report(s, &audience, q, tz).await;
    }
    let backend = s.db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let param = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        format!("${}", values.len())
    };
    // A partner's rows are its own partner records' (partner ids are unique across organizations).
    let mut sql_where = match &audience {
        Audience::Organization(o) => format!("s.organization_id = {}", param(&mut values, (*o).into())),
        Audience::Partner(ms) if ms.is_empty() => "1 = 0".to_owned(),
        Audience::Partner(ms) => {
            let list: Vec<String> = ms.iter().map(|m| param(&mut values, m.partner_id.into())).collect();
            format!("s.partner_id IN ({})", list.join(", "))
        }
    };
    for (col, ids) in [("s.campaign_id", &filter.campaign_ids), ("s.partner_id", &filter.partner_ids)] {
        if !ids.is_empty() {
            let list: Vec<String> = ids.iter().map(|id| param(&mut values, (*id).into())).collect();
            sql_where += &format!(" AND {col} IN ({})", list.join(", "));
        }
    }
    if !filter.types.is_empty() {
        let list: Vec<String> = filter.types.iter().map(|t| param(&mut values, (*t).into())).collect();
        sql_where += &format!(" AND s.kind IN ({})", list.join(", "));
    }
    if let Some(from) = filter.from {
        sql_where += &format!(" AND s.day >= {}", param(&mut values, from.format("%Y-%m-%d").to_string().into()));
    }
    if let Some(to) = filter.to {
        sql_where += &format!(" AND s.day <= {}", param(&mut values, to.format("%Y-%m-%d").to_string().into()));
    }

    // Without partners, sub-ids and types in the filter or the grouping, the coarse rollup has every figure needed.
    let coarse = matches!(audience, Audience::Organization(_))
        && filter.partner_ids.is_empty()
        && filter.types.is_empty()
        && group_by.iter().all(|d| !matches!(d, Dimension::Partner | Dimension::SubId(_) | Dimension::Type));
    let (table, sums) = if coarse { ("campaign_stats", COARSE_SUMS) } else { ("daily_stats", SUMS) };
    let grouped = |dims: &[Dimension]| -> (String, Vec<String>) {
        let all = [
            Dimension::Day,
            Dimension::Campaign,
            Dimension::Partner,
            Dimension::Type,
            Dimension::SubId(0),
            Dimension::SubId(1),
            Dimension::SubId(2),
            Dimension::SubId(3),
            Dimension::SubId(4),
        ];
        let mut select = Vec::new();
        let mut keys = Vec::new();
        for slot in all {
            let chosen = dims.iter().find(|d| column(**d) == column(slot));
            match chosen {
                Some(d) => {
                    let e = group_expr(*d, backend);
                    select.push(format!("{e} AS {}", column(slot)));
                    keys.push(e);
                }
                None => select.push(format!("NULL AS {}", column(slot))),
            }
        }
        keys.push("c.currency".into());
        (
            format!(
                "SELECT {}, c.currency, {sums} FROM {table} s JOIN campaigns c ON c.id = s.campaign_id \
                 WHERE {sql_where} GROUP BY {}",
                select.join(", "),
                keys.join(", ")
            ),
            keys,
        )
    };
    let (rows_sql, _) = grouped(group_by);
    let mut order_by: Vec<String> = order_expr(order.0)
        .map(|e| format!("{e} {} NULLS LAST", if order.1 { "DESC" } else { "ASC" }))
        .into_iter()
        .collect();
    order_by.extend(group_by.iter().map(|d| format!("{} ASC", column(*d))));
    order_by.push("currency ASC".into());
    let page_sql =
        format!("SELECT * FROM ({rows_sql}) g ORDER BY {} LIMIT {} OFFSET {offset}", order_by.join(", "), first + 1);
    let rows = if parts.rows {
        Sums::find_by_statement(Statement::from_sql_and_values(backend, page_sql, values.clone())).all(&s.db).await?
    } else {
        Vec::new()
    };
    let count = if parts.total_count {
        s.db.query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) FROM ({rows_sql}) g"),
            values.clone(),
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0)
    } else {
        0
    };
    let totals = if parts.totals {
        let (totals_sql, _) = grouped(&[]);
        Sums::find_by_statement(Statement::from_sql_and_values(
            backend,
            format!("SELECT * FROM ({totals_sql}) g ORDER BY currency"),
            values,
        ))
        .all(&s.db)
        .await?
    } else {
        Vec::new()
    };
    let mut rows: Vec<Row> = rows.into_iter().map(Row::from).collect();
    let has_next_page = rows.len() as u64 > first;
    rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
    Ok(Report {
        rows,
        has_next_page,
        total_count: u64::try_from(count).unwrap_or(0),
        totals: totals.into_iter().map(Row::from).collect(),
    })
}
