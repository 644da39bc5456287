//! Partner postbacks: the settings (one account's, for all its campaigns with every advertiser or for one
//! campaign), the deliveries an event writes in its own transaction, the values of its macros, the log, tests,
//! retries and replays.

use chrono::{DateTime, SecondsFormat, Utc};
use partnerdesk_domain::Money;
use partnerdesk_storage::entities::delivery::{self, Channel, Status};
use partnerdesk_storage::entities::postback::{self, Method};
use partnerdesk_storage::entities::{campaign, campaign_assignment, delivery_attempt, lead, marketing_partner};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, Set, Statement, Value,
};
use sha2::Digest;
use uuid::Uuid;

use super::Event;
use super::macros::{self, Encoding, Values};
use crate::authz::{OwnerScope, PartnerScope};
use crate::page::{Page, check_first};
use crate::{Error, Result, Services};

/// Postbacks one account may have.
pub const MAX_POSTBACKS: u64 = 50;
/// The longest URL template.
pub const MAX_URL: usize = 2048;
/// The longest body template.
pub const MAX_BODY: usize = 8192;

/// A postback as its partner writes it.
#[derive(Debug, Clone)]
pub struct PostbackInput {
    /// One campaign; none: every campaign of the account, with every advertiser.
    pub campaign_id: Option<Uuid>,
    pub events: Vec<Event>,
    pub method: Method,
    pub url: String,
    pub body: Option<String>,
}

/// The id a receiver sees for a delivery (`{delivery_id}`): the same for every attempt and replay of one event to
/// one postback, different for each postback.
pub fn delivery_id(destination_id: Uuid, event_id: Uuid) -> Uuid {
    let digest =
        sha2::Sha256::new().chain_update(destination_id.as_bytes()).chain_update(event_id.as_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The deliveries of one event of the partner account `user_id` on `campaign_id`, one per postback that wants it: a
/// source of [`super::QUEUE`], queued in the event's own batch or transaction.
pub fn on_event(
    backend: DbBackend,
    event: Event,
    event_id: Uuid,
    organization_id: Uuid,
    user_id: Uuid,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> Statement {
    Statement::from_sql_and_values(
        backend,
        "SELECT id, $1, $2, $3, 'PENDING', 0, $4, $4, 'POSTBACK' FROM postbacks \
         WHERE user_id = $5 AND (campaign_id IS NULL OR campaign_id = $6) AND (events & $7) <> 0",
        [
            event_id.into(),
            event.name().into(),
            organization_id.into(),
            now.into(),
            user_id.into(),
            campaign_id.into(),
            event.bit().into(),
        ],
    )
}

/// The deliveries of lead history rows written earlier in the same transaction (a status change of many leads),
/// all reaching the same status.
pub(crate) fn on_history(backend: DbBackend, event: Event, history_ids: &[Uuid], now: DateTime<Utc>) -> Statement {
    let mut values: Vec<Value> = vec![event.name().into(), now.into(), event.bit().into()];
    let list: Vec<String> = history_ids
        .iter()
        .map(|id| {
            values.push((*id).into());
            format!("${}", values.len())
        })
        .collect();
    Statement::from_sql_and_values(
        backend,
        format!(
            "{}SELECT p.id, h.id, $1, l.organization_id, 'PENDING', 0, $2, $2, 'POSTBACK' \
             FROM lead_history h JOIN leads l ON l.id = h.lead_id \
             JOIN marketing_partners mp ON mp.id = l.partner_id \
             JOIN postbacks p ON p.user_id = mp.user_id AND (p.campaign_id IS NULL OR p.campaign_id = l.campaign_id) \
             WHERE (p.events & $3) <> 0 AND h.id IN ({})",
            super::QUEUE,
            list.join(", ")
        ),
        values,
    )
}

/// Sample values: what a test sends, and what templates are checked with when saved.
fn sample(event_id: Uuid, campaign: Option<&campaign::Model>, now: DateTime<Utc>) -> Values {
    Values::from([
        ("lead_id", event_id.to_string()),
        ("external_id", "test-external-id".to_owned()),
        ("click_id", Uuid::nil().to_string()),
        ("event", Event::Test.name().to_owned()),
        ("status", "RECEIVED".to_owned()),
        ("reason", String::new()),
        ("payout", "0".to_owned()),
        ("currency", campaign.map_or("USD".to_owned(), |c| c.currency.clone())),
        ("campaign_id", campaign.map(|c| c.id.to_string()).unwrap_or_default()),
        ("campaign_name", campaign.map_or("Test campaign".to_owned(), |c| c.name.clone())),
        ("sub1", "sub1".to_owned()),
        ("sub2", "sub2".to_owned()),
        ("sub3", "sub3".to_owned()),
        ("sub4", "sub4".to_owned()),
        ("sub5", "sub5".to_owned()),
        ("event_time", now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        ("delivery_id", event_id.to_string()),
    ])
}

#[derive(Debug, FromQueryResult)]
struct LeadEvent {
    to_status: lead::Status,
    reason: Option<String>,
    created_at: DateTime<Utc>,
    lead_id: Uuid,
    external_id: Option<String>,
    click_id: Option<Uuid>,
    payout: i64,
    sub1: Option<String>,
    sub2: Option<String>,
    sub3: Option<String>,
    sub4: Option<String>,
    sub5: Option<String>,
    campaign_id: Uuid,
    campaign_name: String,
    currency: String,
}

#[derive(Debug, FromQueryResult)]
struct ClickEvent {
    created_at: DateTime<Utc>,
    payout: i64,
    sub1: Option<String>,
    sub2: Option<String>,
    sub3: Option<String>,
    sub4: Option<String>,
    sub5: Option<String>,
    campaign_id: Uuid,
    campaign_name: String,
    currency: String,
}

/// The macro values of a delivery's event, read when it is sent; none when the event is no longer stored.
pub(crate) async fn values(s: &Services, row: &delivery::Model, pb: &postback::Model) -> Result<Option<Values>> {
    let backend = s.db.get_database_backend();
    let event = Event::parse(&row.event);
    let mut v = match event {
        None => return Ok(None),
        Some(Event::Test) => {
            let campaign = match pb.campaign_id {
                Some(id) => campaign::Entity::find_by_id(id).one(&s.db).await?,
                None => None,
            };
            sample(row.event_id, campaign.as_ref(), row.created_at)
        }
        Some(Event::ClickCounted) => {
            let Some(c) = ClickEvent::find_by_statement(Statement::from_sql_and_values(
                backend,
                "SELECT k.created_at, k.payout, k.sub1, k.sub2, k.sub3, k.sub4, k.sub5, c.id AS campaign_id, \
                        c.name AS campaign_name, c.currency \
                 FROM clicks k JOIN campaigns c ON c.id = k.campaign_id WHERE k.id = $1",
                [row.event_id.into()],
            ))
            .one(&s.db)
            .await?
            else {
                return Ok(None);
            };
            let subs = [c.sub1, c.sub2, c.sub3, c.sub4, c.sub5];
            common(row.event_id, "", &c.campaign_id, c.campaign_name, c.currency, c.payout, subs, c.created_at)
        }
        Some(_) => {
            let Some(l) = LeadEvent::find_by_statement(Statement::from_sql_and_values(
                backend,
                "SELECT h.to_status, h.reason, h.created_at, l.id AS lead_id, l.external_id, l.click_id, l.payout, \
                        l.sub1, l.sub2, l.sub3, l.sub4, l.sub5, c.id AS campaign_id, c.name AS campaign_name, \
                        c.currency \
                 FROM lead_history h JOIN leads l ON l.id = h.lead_id JOIN campaigns c ON c.id = l.campaign_id \
                 WHERE h.id = $1",
                [row.event_id.into()],
            ))
            .one(&s.db)
            .await?
            else {
                return Ok(None);
            };
            // What the partner earns with this step: nothing for a rejected lead.
            // What the event earns: nothing for a rejection, the payout taken back for a return.
            let payout = match l.to_status {
                lead::Status::Rejected => 0,
                lead::Status::Returned => -l.payout,
                _ => l.payout,
            };
            let subs = [l.sub1, l.sub2, l.sub3, l.sub4, l.sub5];
            let mut v = common(
                l.click_id.map(|c| c.to_string()).unwrap_or_default(),
                &l.to_status.to_value(),
                &l.campaign_id,
                l.campaign_name,
                l.currency,
                payout,
                subs,
                l.created_at,
            );
            v.insert("lead_id", l.lead_id.to_string());
            v.insert("external_id", l.external_id.unwrap_or_default());
            v.insert("reason", l.reason.unwrap_or_default());
            v
        }
    };
    v.insert("event", row.event.clone());
    v.insert("delivery_id", delivery_id(row.destination_id, row.event_id).to_string());
    Ok(Some(v))
}

#[allow(clippy::too_many_arguments)]
fn common(
    click_id: impl ToString,
    status: &str,
    campaign_id: &Uuid,
    campaign_name: String,
    currency: String,
    payout: i64,
    subs: [Option<String>; 5],
    at: DateTime<Utc>,
) -> Values {
    let mut v = Values::from([
        ("click_id", click_id.to_string()),
        ("status", status.to_owned()),
        ("campaign_id", campaign_id.to_string()),
        ("campaign_name", campaign_name),
        ("currency", currency),
        ("payout", Money::from_units(payout).amount().normalize().to_string()),
        ("event_time", at.to_rfc3339_opts(SecondsFormat::Secs, true)),
    ]);
    for (name, sub) in ["sub1", "sub2", "sub3", "sub4", "sub5"].into_iter().zip(subs) {
        v.insert(name, sub.unwrap_or_default());
    }
    v
}

/// Checks a postback as written: its campaign is one of the account's, its URL and body are valid with every macro
/// known, and its address is public (unless `POSTBACK_ALLOW_PRIVATE`). Returns the URL's host.
async fn check(s: &Services, scope: &PartnerScope, input: &PostbackInput) -> Result<String> {
    let campaign = match input.campaign_id {
        None => None,
        Some(id) => {
            let partner_ids = scope.partner_ids();
            let assigned = campaign_assignment::Entity::find()
                .filter(campaign_assignment::Column::CampaignId.eq(id))
                .filter(campaign_assignment::Column::PartnerId.is_in(partner_ids))
                .filter(campaign_assignment::Column::Status.ne(campaign_assignment::Status::Removed))
                .count(&s.db)
                .await?;
            if assigned == 0 {
                return Err(Error::NotFound("Campaign"));
            }
            campaign::Entity::find_by_id(id).one(&s.db).await?
        }
    };
    if input.events.is_empty() || input.events.contains(&Event::Test) {
        return Err(Error::validation("events", "Choose at least one event to send."));
    }
    let url = input.url.trim();
    if url.is_empty() {
        return Err(Error::validation("url", "Enter the URL your tracker receives postbacks on."));
    }
    if url.chars().count() > MAX_URL {
        return Err(Error::validation("url", format!("A postback URL has at most {MAX_URL} characters.")));
    }
    let known = || macros::MACROS.iter().map(|m| format!("{{{m}}}")).collect::<Vec<_>>().join(" ");
    if let Some(name) = macros::unknown(url) {
        return Err(Error::validation("url", format!("Unknown macro {{{name}}}. Known macros: {}.", known())));
    }
    let values = sample(Uuid::nil(), campaign.as_ref(), s.clock.now());
    let parsed = super::check_destination(s, &macros::render(url, &values, Encoding::Url), "A postback URL").await?;
    // The host is the template's own: a macro cannot choose where a postback goes.
    let host = url::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if host.as_deref() != parsed.host_str() {
        return Err(Error::validation("url", "Macros go in the path or the query, not in the host name."));
    }
    match (&input.body, input.method) {
        (Some(_), Method::Get) => {
            return Err(Error::validation("body", "A GET postback sends its values in the URL and has no body."));
        }
        (Some(body), _) if body.chars().count() > MAX_BODY => {
            return Err(Error::validation("body", format!("A body has at most {MAX_BODY} characters.")));
        }
        (Some(body), method) => {
            if let Some(name) = macros::unknown(body) {
                return Err(Error::validation("body", format!("Unknown macro {{{name}}}. Known macros: {}.", known())));
            }
            if method == Method::PostJson {
                let rendered = macros::render(body, &values, Encoding::Json);
                if let Err(e) = serde_json::from_str::<serde_json::Value>(&rendered) {
                    return Err(Error::validation(
                        "body",
                        format!("Not valid JSON once the macros are filled in: {e}. Put macros inside quotes."),
                    ));
                }
            }
        }
        (None, _) => {}
    }
    Ok(host.unwrap_or_default())
}

fn bits(events: &[Event]) -> i32 {
    events.iter().fold(0, |b, e| b | e.bit())
}

fn body_of(input: &PostbackInput) -> Option<String> {
    input.body.as_ref().map(|b| b.trim().to_owned()).filter(|b| !b.is_empty())
}

/// Adds a postback to the partner's account.
pub async fn create(s: &Services, scope: &PartnerScope, mut input: PostbackInput) -> Result<postback::Model> {
    input.body = body_of(&input);
    let host = check(s, scope, &input).await?;
    let count = postback::Entity::find().filter(postback::Column::UserId.eq(scope.user_id())).count(&s.db).await?;
    if count >= MAX_POSTBACKS {
        return Err(Error::validation("url", format!("An account has at most {MAX_POSTBACKS} postbacks.")));
    }
    let now = s.clock.now();
    Ok(postback::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(scope.user_id()),
        campaign_id: Set(input.campaign_id),
        events: Set(bits(&input.events)),
        method: Set(input.method),
        url: Set(input.url.trim().to_owned()),
        host: Set(host),
        body: Set(input.body),
        consecutive_failures: Set(0),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&s.db)
    .await?)
}

/// One of the account's own postbacks.
async fn own(s: &Services, scope: &PartnerScope, id: Uuid) -> Result<postback::Model> {
    postback::Entity::find_by_id(id)
        .filter(postback::Column::UserId.eq(scope.user_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Postback"))
}

pub async fn update(s: &Services, scope: &PartnerScope, id: Uuid, mut input: PostbackInput) -> Result<postback::Model> {
    let pb = own(s, scope, id).await?;
    input.body = body_of(&input);
    let host = check(s, scope, &input).await?;
    let mut m: postback::ActiveModel = pb.into();
    m.host = Set(host);
    m.campaign_id = Set(input.campaign_id);
    m.events = Set(bits(&input.events));
    m.method = Set(input.method);
    m.url = Set(input.url.trim().to_owned());
    m.body = Set(input.body);
    m.updated_at = Set(s.clock.now());
    Ok(m.update(&s.db).await?)
}

/// Disables a postback (its deliveries wait) or enables it again (what is due goes out, failures count from 0).
pub async fn set_enabled(s: &Services, scope: &PartnerScope, id: Uuid, enabled: bool) -> Result<postback::Model> {
    let pb = own(s, scope, id).await?;
    super::set_destination_enabled(s, "postbacks", pb.id, enabled).await?;
    own(s, scope, id).await
}

/// Deletes a postback with its deliveries and log, in one transaction.
pub async fn delete(s: &Services, scope: &PartnerScope, id: Uuid) -> Result<()> {
    let pb = own(s, scope, id).await?;
    super::forget_destination(s, "postbacks", pb.id).await
}

/// The account's postbacks, oldest first.
pub async fn mine(s: &Services, scope: &PartnerScope) -> Result<Vec<postback::Model>> {
    Ok(postback::Entity::find()
        .filter(postback::Column::UserId.eq(scope.user_id()))
        .order_by_asc(postback::Column::Id)
        .all(&s.db)
        .await?)
}

/// The postbacks of a partner that apply to the owner's campaigns (for all campaigns, or one of this
/// organization's), read-only. A partner that has not registered has none.
pub async fn of_partner(s: &Services, scope: &OwnerScope, partner_id: Uuid) -> Result<Vec<postback::Model>> {
    let record = marketing_partner::Entity::find_by_id(partner_id)
        .filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Marketing partner"))?;
    let Some(user_id) = record.user_id else { return Ok(Vec::new()) };
    Ok(visible_to_owner(scope, postback::Entity::find().filter(postback::Column::UserId.eq(user_id)))
        .order_by_asc(postback::Column::Id)
        .all(&s.db)
        .await?)
}

/// Postbacks for all campaigns or for one of the owner's organization.
fn visible_to_owner(scope: &OwnerScope, q: sea_orm::Select<postback::Entity>) -> sea_orm::Select<postback::Entity> {
    q.filter(
        sea_orm::Condition::any().add(postback::Column::CampaignId.is_null()).add(
            postback::Column::CampaignId.in_subquery(
                Query::select()
                    .column(campaign::Column::Id)
                    .from(campaign::Entity)
                    .and_where(campaign::Column::OrganizationId.eq(scope.organization_id()))
                    .to_owned(),
            ),
        ),
    )
}

/// Who reads a postback's log: its partner (every attempt), or the owner of an organization whose partner it is
/// (the attempts of that organization's events only).
pub enum Reader<'a> {
    Partner(&'a PartnerScope),
    Owner(&'a OwnerScope),
}

/// One page of a postback's delivery log, newest first.
pub async fn log(
    s: &Services,
    readers: &[Reader<'_>],
    id: Uuid,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<delivery_attempt::Model>> {
    // Checked before the postback is looked up, so a bad page size is VALIDATION whoever asks.
    check_first(first, "attempts")?;
    let mut found = None;
    for reader in readers {
        let pb = match reader {
            Reader::Partner(scope) => match own(s, scope, id).await {
                Ok(p) => Some((p, None)),
                Err(Error::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            Reader::Owner(scope) => {
                let q = postback::Entity::find_by_id(id).filter(
                    postback::Column::UserId.in_subquery(
                        Query::select()
                            .column(marketing_partner::Column::UserId)
                            .from(marketing_partner::Entity)
                            .and_where(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
                            .to_owned(),
                    ),
                );
                visible_to_owner(scope, q).one(&s.db).await?.map(|p| (p, Some(scope.organization_id())))
            }
        };
        if pb.is_some() {
            found = pb;
            break;
        }
    }
    let (pb, organization) = found.ok_or(Error::NotFound("Postback"))?;
    super::attempts(s, pb.id, organization, first, after).await
}

/// Queues a test event (sample values) for the postback, sent by the relay like any other; returns its event id.
pub async fn send_test(s: &Services, scope: &PartnerScope, id: Uuid) -> Result<Uuid> {
    let pb = own(s, scope, id).await?;
    super::queue_test(s, Channel::Postback, pb.id).await
}

/// Sends a delivery again now, whatever became of it (failed, delivered, or waiting for its next retry).
pub async fn retry(s: &Services, scope: &PartnerScope, id: Uuid, event_id: Uuid) -> Result<()> {
    let pb = own(s, scope, id).await?;
    super::retry_delivery(s, pb.id, event_id).await
}

/// Sends again every event of `[from, to)` (at most 31 days) that the postback wants, to this postback only:
/// for a tracker that was down or is new. Events already delivered go again with the same `{delivery_id}`, so a
/// receiver that keeps ids drops them. Returns how many events were queued.
pub async fn replay(
    s: &Services,
    scope: &PartnerScope,
    id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64> {
    let pb = own(s, scope, id).await?;
    super::replay(s, from, to, |backend, now| {
        let when = |column: &str| {
            let cases: String = [
                lead::Status::Received,
                lead::Status::Approved,
                lead::Status::Rejected,
                lead::Status::Converted,
                lead::Status::Returned,
            ]
            .into_iter()
            .map(|st| {
                let e = Event::of_lead(st);
                let value = if column == "name" { format!("'{}'", e.name()) } else { e.bit().to_string() };
                format!(" WHEN '{}' THEN {value}", st.to_value())
            })
            .collect();
            format!("CASE h.to_status{cases} END")
        };
        let leads = Statement::from_sql_and_values(
            backend,
            format!(
                "{}SELECT p.id, h.id, {}, l.organization_id, 'PENDING', 0, $1, $1, 'POSTBACK' \
                 FROM postbacks p JOIN marketing_partners mp ON mp.user_id = p.user_id \
                 JOIN leads l ON l.partner_id = mp.id AND (p.campaign_id IS NULL OR p.campaign_id = l.campaign_id) \
                 JOIN lead_history h ON h.lead_id = l.id \
                 WHERE p.id = $2 AND h.created_at >= $3 AND h.created_at < $4 AND (p.events & {}) <> 0{}",
                super::QUEUE,
                when("name"),
                when("bit"),
                super::REQUEUE
            ),
            [now.into(), pb.id.into(), from.into(), to.into()],
        );
        let clicks = Statement::from_sql_and_values(
            backend,
            format!(
                "{}SELECT p.id, k.id, $5, k.organization_id, 'PENDING', 0, $1, $1, 'POSTBACK' \
                 FROM postbacks p JOIN marketing_partners mp ON mp.user_id = p.user_id \
                 JOIN clicks k ON k.partner_id = mp.id AND (p.campaign_id IS NULL OR p.campaign_id = k.campaign_id) \
                 WHERE p.id = $2 AND k.created_at >= $3 AND k.created_at < $4 AND k.counted = $6 \
                   AND (p.events & $7) <> 0{}",
                super::QUEUE,
                super::REQUEUE
            ),
            [
                now.into(),
                pb.id.into(),
                from.into(),
                to.into(),
                Event::ClickCounted.name().into(),
                true.into(),
                Event::ClickCounted.bit().into(),
            ],
        );
        vec![leads, clicks]
    })
    .await
}

/// How many of a postback's deliveries are in `status` now (`PENDING`: due or waiting; `FAILED`: given up).
pub async fn deliveries_in(s: &Services, id: Uuid, status: Status) -> Result<u64> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::DestinationId.eq(id))
        .filter(delivery::Column::Status.eq(status))
        .count(&s.db)
        .await?)
}
