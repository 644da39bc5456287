//! Reports read in a time zone other than each campaign's own (`filter.timeZone`). The daily rows keep campaign days,
//! which cannot be cut at another zone's midnight, so these reports add up the raw clicks and leads of the period
//! instead: exact in any zone, and slower than the daily rows (hence a bounded period).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use partnerdesk_domain::metrics::Totals;
use partnerdesk_domain::windows::start_of_day;
use partnerdesk_storage::entities::{campaign, click, lead};
use sea_orm::{ActiveEnum as _, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::leads::{Kind, Status};
use crate::stats::{Audience, Dimension, OrderField, Query, Report, Row};
use crate::{Error, Result, Services};

/// The longest period such a report may cover.
const MAX_DAYS: i64 = 366;

#[derive(FromQueryResult)]
struct Event {
    campaign_id: Uuid,
    partner_id: Uuid,
    created_at: DateTime<Utc>,
    payout: i64,
    sub1: Option<String>,
    sub2: Option<String>,
    sub3: Option<String>,
    sub4: Option<String>,
    sub5: Option<String>,
}

#[derive(FromQueryResult)]
struct ClickEvent {
    #[sea_orm(nested)]
    e: Event,
    counted: bool,
}

#[derive(FromQueryResult)]
struct LeadEvent {
    #[sea_orm(nested)]
    e: Event,
    kind: Kind,
    status: Status,
}

type GroupKey = (Option<NaiveDate>, Option<Uuid>, Option<Uuid>, Option<&'static str>, [Option<String>; 5], String);

fn bucket(d: Dimension, day: NaiveDate) -> NaiveDate {
    match d {
        Dimension::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Dimension::Month => day.with_day(1).unwrap_or(day),
        _ => day,
    }
}

pub async fn report(s: &Services, audience: &Audience, q: &Query, tz: Tz) -> Result<Report> {
    let f = &q.filter;
    let (Some(from), Some(to)) = (f.from, f.to) else {
        return Err(Error::validation("filter.from", "A report in a chosen time zone needs a first and a last day."));
    };
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Error::validation("filter.to", "A report in a chosen time zone covers at most 366 days."));
    }
    let (start, end) = (start_of_day(tz, from), start_of_day(tz, to + Duration::days(1)));
    let wants = |t: &str| f.types.is_empty() || f.types.contains(&t);
    // Such a report adds up raw events, and raw clicks are kept for `CLICK_RETENTION_DAYS` only.
    let horizon = crate::retention::click_horizon(s.clock.now(), s.click_retention);
    if wants("CLICK") && start < horizon {
        let first = (horizon + Duration::days(1)).with_timezone(&tz).date_naive();
        return Err(Error::validation(
            "filter.from",
            format!(
                "Raw clicks are kept for {} days: a report with clicks in a chosen time zone starts on {first} at the \
                 earliest. Leave out the time zone (each campaign's own days go back to the start), or leave out CLICK.",
                s.click_retention.num_days()
            ),
        ));
    }

    macro_rules! events {
        ($entity:ident, $model:ty, [$($extra:ident),*]) => {{
            let mut q = $entity::Entity::find()
                .select_only()
                .columns([
                    $entity::Column::CampaignId, $entity::Column::PartnerId, $entity::Column::CreatedAt,
                    $entity::Column::Payout, $entity::Column::Sub1, $entity::Column::Sub2, $entity::Column::Sub3,
                    $entity::Column::Sub4, $entity::Column::Sub5, $($entity::Column::$extra),*
                ])
                .filter($entity::Column::CreatedAt.gte(start))
                .filter($entity::Column::CreatedAt.lt(end));
            q = match audience {
                Audience::Organization(o) => q.filter($entity::Column::OrganizationId.eq(*o)),
                Audience::Partner(ms) => q.filter($entity::Column::PartnerId.is_in(ms.iter().map(|m| m.partner_id))),
            };
            if !f.partner_ids.is_empty() {
                q = q.filter($entity::Column::PartnerId.is_in(f.partner_ids.clone()));
            }
            if !f.campaign_ids.is_empty() {
                q = q.filter($entity::Column::CampaignId.is_in(f.campaign_ids.clone()));
            }
            q.into_model::<$model>().all(&s.db).await?
        }};
    }
    let clicks = if wants("CLICK") { events!(click, ClickEvent, [Counted]) } else { Vec::new() };
    let leads = if wants("FORM") || wants("CALL") { events!(lead, LeadEvent, [Kind, Status]) } else { Vec::new() };

    let campaign_ids: Vec<Uuid> =
        clicks.iter().map(|c| c.e.campaign_id).chain(leads.iter().map(|l| l.e.campaign_id)).collect();
    let currency: HashMap<Uuid, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.currency))
        .collect();

    let key = |e: &Event, kind: &'static str| -> GroupKey {
        let day = e.created_at.with_timezone(&tz).date_naive();
        let mut k: GroupKey = (None, None, None, None, Default::default(), String::new());
        for d in &q.group_by {
            match d {
                Dimension::Day | Dimension::Week | Dimension::Month => k.0 = Some(bucket(*d, day)),
                Dimension::Campaign => k.1 = Some(e.campaign_id),
                Dimension::Partner => k.2 = Some(e.partner_id),
                Dimension::Type => k.3 = Some(kind),
                Dimension::SubId(i) => {
                    let subs = [&e.sub1, &e.sub2, &e.sub3, &e.sub4, &e.sub5];
                    k.4[*i] = subs[*i].clone().filter(|v| !v.is_empty());
                }
            }
        }
        k.5 = currency.get(&e.campaign_id).cloned().unwrap_or_default();
        k
    };
    let mut groups: BTreeMap<GroupKey, Totals> = BTreeMap::new();
    for c in &clicks {
        groups.entry(key(&c.e, "CLICK")).or_default().add(&Totals::of_click(c.counted, c.e.payout));
    }
    for l in &leads {
        let kind = match l.kind {
            Kind::Form => "FORM",
            Kind::Call => "CALL",
        };
        if wants(kind) {
            let lead = Totals::of_lead(l.kind == Kind::Call, &l.status.to_value(), l.e.payout);
            groups.entry(key(&l.e, kind)).or_default().add(&lead);
        }
    }

    let mut totals: BTreeMap<String, Totals> = BTreeMap::new();
    for ((.., cur), t) in &groups {
        totals.entry(cur.clone()).or_default().add(t);
    }
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|((day, campaign_id, partner_id, kind, subs, currency), totals)| Row {
            day,
            campaign_id,
            partner_id,
            kind: kind.map(str::to_owned),
            subs,
            currency,
            totals,
        })
        .collect();
    let (field, desc) = q.order;
    if field != OrderField::Group {
        let value = |r: &Row| -> Option<f64> {
            let t = &r.totals;
            match field {
                OrderField::Clicks => Some(t.clicks as f64),
                OrderField::Submitted => Some(t.submitted() as f64),
                OrderField::Approved => Some(t.approved as f64),
                OrderField::Rejected => Some(t.rejected as f64),
                OrderField::Converted => Some(t.converted as f64),
                OrderField::Returned => Some(t.returned as f64),
                OrderField::ReturnRate => t.return_rate(),
                OrderField::Earnings => Some(t.earnings as f64),
                OrderField::ApprovalRate => t.approval_rate(),
                OrderField::ConversionRate => t.conversion_rate(),
                OrderField::Epc => (t.clicks > 0).then(|| t.earnings as f64 / t.clicks as f64),
                OrderField::Group => None,
            }
        };
        // Stable: rows with equal values keep the grouping order; unknown rates go last either way.
        rows.sort_by(|a, b| match (value(a), value(b)) {
            (Some(x), Some(y)) if desc => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
    let total_count = rows.len() as u64;
    let start = usize::try_from(q.offset).unwrap_or(usize::MAX).min(rows.len());
    let mut page: Vec<Row> = rows.split_off(start);
    let has_next_page = page.len() as u64 > q.first;
    page.truncate(usize::try_from(q.first).unwrap_or(usize::MAX));
    Ok(Report {
        rows: page,
        has_next_page,
        total_count,
        totals: totals
            .into_iter()
            .map(|(currency, totals)| Row {
                day: None,
                campaign_id: None,
                partner_id: None,
                kind: None,
                subs: Default::default(),
                currency,
                totals,
            })
            .collect(),
    })
}
