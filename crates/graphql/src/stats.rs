//! Statistics over GraphQL: custom reports (any cut of the numbers) and what each metric means.

use std::collections::HashMap;

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject, Subscription};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt as _};
use partnerdesk_domain::Money;
use partnerdesk_domain::metrics::DEFINITIONS;
use partnerdesk_services::stats::{self, Dimension, OrderField};
use partnerdesk_services::{Error, Services, authz, campaigns};
use rust_decimal::Decimal;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::error::Res;
use crate::ids;
use crate::query::actor;
use crate::traffic::{LeadPartner, PartnerLoader};
use crate::types::{Role, load_one, services};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum EventType {
    Click,
    Form,
    Call,
}

impl EventType {
    fn key(self) -> &'static str {
        match self {
            Self::Click => "CLICK",
            Self::Form => "FORM",
            Self::Call => "CALL",
        }
    }
}

/// How report rows are grouped. Days, weeks (from Monday) and months are those of each campaign's time zone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReportDimension {
    Day,
    Week,
    Month,
    Campaign,
    Partner,
    Type,
    #[graphql(name = "SUB_ID1")]
    SubId1,
    #[graphql(name = "SUB_ID2")]
    SubId2,
    #[graphql(name = "SUB_ID3")]
    SubId3,
    #[graphql(name = "SUB_ID4")]
    SubId4,
    #[graphql(name = "SUB_ID5")]
    SubId5,
}

impl From<ReportDimension> for Dimension {
    fn from(d: ReportDimension) -> Self {
        match d {
            ReportDimension::Day => Dimension::Day,
            ReportDimension::Week => Dimension::Week,
            ReportDimension::Month => Dimension::Month,
            ReportDimension::Campaign => Dimension::Campaign,
            ReportDimension::Partner => Dimension::Partner,
            ReportDimension::Type => Dimension::Type,
            ReportDimension::SubId1 => Dimension::SubId(0),
            ReportDimension::SubId2 => Dimension::SubId(1),
            ReportDimension::SubId3 => Dimension::SubId(2),
            ReportDimension::SubId4 => Dimension::SubId(3),
            ReportDimension::SubId5 => Dimension::SubId(4),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_services::stats::OrderField")]
pub enum ReportOrderField {
    /// The grouping itself: days in order, then campaign, partner, type and sub-ids.
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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(InputObject)]
pub struct ReportOrder {
    pub field: ReportOrderField,
    #[graphql(default)]
    pub direction: SortDirection,
}

#[derive(InputObject, Default)]
pub struct ReportFilter {
    /// Advertisers: a partner that works with several sees only these organizations' traffic.
    pub organization_ids: Option<Vec<ID>>,
    pub campaign_ids: Option<Vec<ID>>,
    /// Owners only; a partner always sees its own traffic alone.
    pub partner_ids: Option<Vec<ID>>,
    pub types: Option<Vec<EventType>>,
    /// First day, inclusive, in each campaign's time zone.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    /// Read `from`, `to` and DAY / WEEK / MONTH in this IANA zone instead of each campaign's own. Such a report adds
    /// up the raw events of the period (at most 366 days, `from` and `to` required) and is slower.
    pub time_zone: Option<String>,
}

fn parse_ids(ids: Option<Vec<ID>>, what: &'static str) -> Res<Vec<Uuid>> {
    Ok(ids.unwrap_or_default().iter().map(|i| ids::parse(i, what)).collect::<Result<_, _>>()?)
}

impl ReportFilter {
    pub(crate) fn into_filter(self) -> Res<stats::Filter> {
        Ok(stats::Filter {
            organization_ids: parse_ids(self.organization_ids, "Organization")?,
            campaign_ids: parse_ids(self.campaign_ids, "Campaign")?,
            partner_ids: parse_ids(self.partner_ids, "Marketing partner")?,
            types: self.types.unwrap_or_default().into_iter().map(EventType::key).collect(),
            from: self.from,
            to: self.to,
            time_zone: self.time_zone.as_deref().map(|z| stats::parse_zone(z, "filter.timeZone")).transpose()?,
        })
    }
}

/// A campaign as a report row names it.
#[derive(SimpleObject, Clone)]
pub struct ReportCampaign {
    pub id: ID,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
}

/// Loads the campaigns a page of report rows names, in one query.
pub struct CampaignLoader(pub Services);

impl Loader<Uuid> for CampaignLoader {
    type Value = ReportCampaign;
    type Error = crate::error::ApiError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, ReportCampaign>, Self::Error> {
        Ok(campaigns::by_ids(&self.0, keys)
            .await?
            .into_iter()
            .map(|c| {
                (c.id, ReportCampaign { id: ids::id(c.id), name: c.name, time_zone: c.time_zone, currency: c.currency })
            })
            .collect())
    }
}

fn rate(r: Option<f64>) -> Option<f64> {
    r.map(|v| (v * 1e6).round() / 1e6)
}

/// One row of a report: the values it is grouped by (null when not grouped by them) and every metric.
/// `metricDefinitions` says what each metric means; a rate is null when its denominator is zero.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ReportRow {
    /// The day, or the first day of the week or month.
    pub day: Option<NaiveDate>,
    #[graphql(name = "type")]
    pub kind: Option<EventType>,
    pub sub_id1: Option<String>,
    pub sub_id2: Option<String>,
    pub sub_id3: Option<String>,
    pub sub_id4: Option<String>,
    pub sub_id5: Option<String>,
    /// Every amount of the row is in this currency: rows never add up different currencies.
    pub currency: String,
    pub clicks: i64,
    pub clicks_not_counted: i64,
    pub forms: i64,
    pub calls: i64,
    pub submitted: i64,
    pub approved: i64,
    pub rejected: i64,
    pub converted: i64,
    /// Approved leads returned later (still counted as approved).
    pub returned: i64,
    pub approval_rate: Option<f64>,
    pub conversion_rate: Option<f64>,
    /// Returned ÷ approved.
    pub return_rate: Option<f64>,
    /// The partner's earnings; for the owner, the cost.
    pub earnings: Decimal,
    pub epc: Option<Decimal>,
    #[graphql(skip)]
    campaign_id: Option<Uuid>,
    #[graphql(skip)]
    partner_id: Option<Uuid>,
}

#[ComplexObject]
impl ReportRow {
    async fn campaign(&self, ctx: &Context<'_>) -> Res<Option<ReportCampaign>> {
        let Some(id) = self.campaign_id else { return Ok(None) };
        load_one::<CampaignLoader>(ctx, id).await
    }

    async fn partner(&self, ctx: &Context<'_>) -> Res<Option<LeadPartner>> {
        let Some(id) = self.partner_id else { return Ok(None) };
        Ok(load_one::<PartnerLoader>(ctx, id).await?.map(LeadPartner::from))
    }
}

impl From<stats::Row> for ReportRow {
    fn from(r: stats::Row) -> Self {
        let t = r.totals;
        let [sub1, sub2, sub3, sub4, sub5] = r.subs;
        Self {
            day: r.day,
            kind: r.kind.as_deref().and_then(|k| match k {
                "CLICK" => Some(EventType::Click),
                "FORM" => Some(EventType::Form),
                "CALL" => Some(EventType::Call),
                _ => None,
            }),
            sub_id1: sub1,
            sub_id2: sub2,
            sub_id3: sub3,
            sub_id4: sub4,
            sub_id5: sub5,
            currency: r.currency,
            clicks: t.clicks,
            clicks_not_counted: t.clicks_not_counted,
            forms: t.forms,
            calls: t.calls,
            submitted: t.submitted(),
            approved: t.approved,
            rejected: t.rejected,
            converted: t.converted,
            returned: t.returned,
            approval_rate: rate(t.approval_rate()),
            conversion_rate: rate(t.conversion_rate()),
            return_rate: rate(t.return_rate()),
            earnings: Money::from_units(t.earnings).amount(),
            epc: t.epc(),
            campaign_id: r.campaign_id,
            partner_id: r.partner_id,
        }
    }
}

/// A report page's extras: how many rows in all, and the sums over all of them.
#[derive(SimpleObject)]
pub struct ReportSummary {
    /// Rows in the whole report, over every page.
    pub total_count: u64,
    /// The sums over every row of the report (not just this page), one per currency.
    pub totals: Vec<ReportRow>,
}

pub type ReportConnection = Connection<String, ReportRow, ReportSummary>;

fn offset_cursor(n: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("row:{n}"))
}

fn parse_offset_cursor(c: &str) -> Res<u64> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("row:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            Error::validation("after", "This cursor is not valid: pass an endCursor from a previous page.").into()
        })
}

/// The arguments of `report`, also taken by the `statsChanged` subscription's report.
pub(crate) async fn run_report(
    ctx: &Context<'_>,
    role: Option<Role>,
    filter: ReportFilter,
    group_by: Vec<ReportDimension>,
    order_by: Option<ReportOrder>,
    first: Option<i32>,
    after: Option<String>,
) -> Res<ReportConnection> {
    let audience = authz::reader(actor(ctx), role.map(Into::into))?;
    let s = services(ctx)?;
    let offset = after.as_deref().map(parse_offset_cursor).transpose()?.map_or(0, |n| n + 1);
    let first = u64::try_from(first.unwrap_or(100)).unwrap_or(0);
    let order = order_by.map_or((OrderField::Group, false), |o| (o.field.into(), o.direction == SortDirection::Desc));
    let dims: Vec<Dimension> = group_by.into_iter().map(Dimension::from).collect();
    let look = ctx.look_ahead();
    let parts = stats::Parts {
        rows: look.field("nodes").exists() || look.field("edges").exists() || look.field("pageInfo").exists(),
        total_count: look.field("totalCount").exists(),
        totals: look.field("totals").exists(),
    };
    let query = stats::Query { filter: filter.into_filter()?, group_by: dims, order, first, offset, parts };
    let report = stats::report(s, &audience, &query).await?;
    let mut conn = Connection::with_additional_fields(
        offset > 0,
        report.has_next_page,
        ReportSummary {
            total_count: report.total_count,
            totals: report.totals.into_iter().map(ReportRow::from).collect(),
        },
    );
    conn.edges.extend(
        report.rows.into_iter().enumerate().map(|(i, r)| Edge::new(offset_cursor(offset + i as u64), r.into())),
    );
    Ok(conn)
}

/// What a metric means, as dashboards show it in a tooltip.
#[derive(SimpleObject)]
pub struct MetricDefinition {
    /// The field name in reports, e.g. `approvalRate`.
    pub name: String,
    pub label: String,
    pub description: String,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Any cut of the numbers: rows grouped by `groupBy` (none: one row of totals per currency) with every
    /// metric, plus totals over the whole report. Owners see their organization's traffic, partners their own.
    /// Figures are live: they change in the same transaction as the events and decisions behind them.
    // One Rust argument per GraphQL argument.
    #[allow(clippy::too_many_arguments)]
    async fn report(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            name = "as",
            desc = "Whose figures, for an account that owns an organization and also partners with others: OWNER \
                    (the organization's traffic, the default for an owner) or PARTNER (its own traffic with every \
                    advertiser, the default otherwise)."
        )]
        role: Option<Role>,
        filter: Option<ReportFilter>,
        #[graphql(desc = "Grouped by nothing: one row per currency.")] group_by: Option<Vec<ReportDimension>>,
        #[graphql(desc = "By the grouping, ascending, when omitted.")] order_by: Option<ReportOrder>,
        #[graphql(default = 100, desc = "Page size, 1 to 1000.")] first: Option<i32>,
        after: Option<String>,
    ) -> Res<ReportConnection> {
        run_report(ctx, role, filter.unwrap_or_default(), group_by.unwrap_or_default(), order_by, first, after).await
    }

    /// What every metric means. Needs no sign-in.
    async fn metric_definitions(&self) -> Vec<MetricDefinition> {
        DEFINITIONS
            .iter()
            .map(|d| MetricDefinition {
                name: d.name.to_owned(),
                label: d.label.to_owned(),
                description: d.description.to_owned(),
            })
            .collect()
    }
}

/// Until when a subscription may run: its access token's expiry. The client then reconnects with a fresh token.
#[derive(Debug, Clone, Copy)]
pub struct SessionDeadline(pub tokio::time::Instant);

/// Figures the subscriber may see have changed. Select `report(..)` on it to receive the new figures.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct StatsChange {
    pub at: DateTime<Utc>,
    /// The side the subscription was opened for.
    #[graphql(skip)]
    pub role: Option<Role>,
}

#[ComplexObject]
impl StatsChange {
    /// The same as the `report` query, read when the change is announced.
    async fn report(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReportFilter>,
        group_by: Option<Vec<ReportDimension>>,
        order_by: Option<ReportOrder>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<String>,
    ) -> Res<ReportConnection> {
        let (role, filter, group_by) = (self.role, filter.unwrap_or_default(), group_by.unwrap_or_default());
        run_report(ctx, role, filter, group_by, order_by, first, after).await
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Over graphql-ws at `/graphql/ws` (send `{"authorization": "Bearer <access token>"}` as the connection_init
    /// payload). Fires once at once, then within a second of any event or decision that moves figures the caller
    /// may see, whichever server process took it. Ends when the access token expires: reconnect with a fresh one.
    async fn stats_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "as", desc = "Whose figures, as for `report`.")] role: Option<Role>,
    ) -> Result<impl Stream<Item = StatsChange> + use<>, crate::error::ApiError> {
        let audience = authz::reader(actor(ctx), role.map(Into::into))?;
        let s = services(ctx)?;
        let rx = s.live.subscribe();
        let clock = s.clock.clone();
        let deadline = ctx.data_opt::<SessionDeadline>().map(|d| d.0);
        let changes = futures_util::stream::unfold((rx, true), move |(mut rx, first)| {
            let clock = clock.clone();
            let audience = audience.clone();
            async move {
                if !first {
                    loop {
                        match rx.recv().await {
                            Ok(c) if !c.concerns(&audience) => continue,
                            Ok(_) | Err(RecvError::Lagged(_)) => break,
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
                Some((StatsChange { at: clock.now(), role }, (rx, false)))
            }
        });
        let end = async move {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        Ok(changes.take_until(Box::pin(end)))
    }
}
