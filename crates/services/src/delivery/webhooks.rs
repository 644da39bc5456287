//! Owners' webhook endpoints: the organization's events as JSON, signed per the Standard Webhooks specification
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`), sent
//! through the same deliveries queue, relay and log as partner postbacks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, KeyInit, Mac};
use partnerdesk_domain::Money;
use partnerdesk_storage::entities::delivery::{self, Channel};
use partnerdesk_storage::entities::{cap, delivery_attempt, lead, webhook_endpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, Set, Statement, Value,
};
use uuid::Uuid;

use crate::authz::OwnerScope;
use crate::page::Page;
use crate::{Error, Result, Services};

/// Endpoints one organization may have.
pub const MAX_ENDPOINTS: u64 = 20;
/// How long the secret before a rotation keeps signing beside the new one.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

/// What an endpoint may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookEvent {
    /// A partner's lead was accepted.
    LeadReceived,
    /// An owner approved, rejected or converted a lead.
    LeadStatusChanged,
    /// An invited partner registered (or accepted with the account it has).
    PartnerRegistered,
    /// The owner paused, resumed or removed a partner (everywhere or on one campaign), or revoked its invitation.
    PartnerStatusChanged,
    /// A lead or click took the last unit of a cap in its window.
    CapReached,
    /// An invitation email failed for good.
    InvitationDeliveryFailed,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 6] = [
        WebhookEvent::LeadReceived,
        WebhookEvent::LeadStatusChanged,
        WebhookEvent::PartnerRegistered,
        WebhookEvent::PartnerStatusChanged,
        WebhookEvent::CapReached,
        WebhookEvent::InvitationDeliveryFailed,
    ];

    /// The payload's `type`.
    pub fn name(self) -> &'static str {
        match self {
            WebhookEvent::LeadReceived => "lead.received",
            WebhookEvent::LeadStatusChanged => "lead.status_changed",
            WebhookEvent::PartnerRegistered => "partner.registered",
            WebhookEvent::PartnerStatusChanged => "partner.status_changed",
            WebhookEvent::CapReached => "cap.reached",
            WebhookEvent::InvitationDeliveryFailed => "invitation.delivery_failed",
        }
    }

    pub fn bit(self) -> i32 {
        match self {
            WebhookEvent::LeadReceived => 1,
            WebhookEvent::LeadStatusChanged => 2,
            WebhookEvent::PartnerRegistered => 4,
            WebhookEvent::PartnerStatusChanged => 8,
            WebhookEvent::CapReached => 16,
            WebhookEvent::InvitationDeliveryFailed => 32,
        }
    }

    pub fn set(bits: i32) -> Vec<WebhookEvent> {
        WebhookEvent::ALL.into_iter().filter(|e| bits & e.bit() != 0).collect()
    }

    /// Whether the event is a lead's step (a `lead_history` row) rather than a row of `events`.
    fn of_lead(self) -> bool {
        matches!(self, WebhookEvent::LeadReceived | WebhookEvent::LeadStatusChanged)
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// `v1,<signature>` of one message with one secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: the current secret's signature, and the previous secret's during the overlap
/// after a rotation (receivers accept a message when any one matches).
pub fn signatures(e: &webhook_endpoint::Model, id: &str, timestamp: i64, body: &str, now: DateTime<Utc>) -> String {
    let mut all: Vec<String> = sign(&e.secret, id, timestamp, body).into_iter().collect();
    if let (Some(previous), Some(until)) = (&e.previous_secret, e.previous_secret_until)
        && now < until
    {
        all.extend(sign(previous, id, timestamp, body));
    }
    all.join(" ")
}

/// The deliveries of one event, one per endpoint of its organization that wants it: a source of [`super::QUEUE`],
/// queued in the event's own transaction or batch.
fn deliveries(
    backend: DbBackend,
    e: WebhookEvent,
    event_id: Uuid,
    organization_id: Uuid,
    now: DateTime<Utc>,
) -> Statement {
    Statement::from_sql_and_values(
        backend,
        "SELECT id, $1, $2, $3, 'PENDING', 0, $4, $4, 'WEBHOOK' FROM webhook_endpoints \
         WHERE organization_id = $3 AND (events & $5) <> 0",
        [event_id.into(), e.name().into(), organization_id.into(), now.into(), e.bit().into()],
    )
}

/// The deliveries of a lead's receipt (its history row `event_id`): a source of [`super::QUEUE`].
pub fn on_received(backend: DbBackend, event_id: Uuid, organization_id: Uuid, now: DateTime<Utc>) -> Statement {
    deliveries(backend, WebhookEvent::LeadReceived, event_id, organization_id, now)
}

/// An organization event: its `events` row (`data` being the webhook's `data`, as it is now), an
/// `INSERT .. SELECT .. WHERE` that a batch may make conditional ([`crate::db::Batch::push_if`]), and the source of
/// its deliveries.
pub(crate) fn event_writes(
    backend: DbBackend,
    e: WebhookEvent,
    organization_id: Uuid,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> [Statement; 2] {
    debug_assert!(!e.of_lead());
    let id = Uuid::now_v7();
    let row = Statement::from_sql_and_values(
        backend,
        "INSERT INTO events (id, organization_id, type, data, created_at) SELECT $1, $2, $3, $4, $5 WHERE 1 = 1",
        [id.into(), organization_id.into(), e.name().into(), data.to_string().into(), now.into()],
    );
    [row, deliveries(backend, e, id, organization_id, now)]
}

/// Records an organization event in the transaction `conn` of the change it reports.
pub(crate) async fn emit(
    conn: &impl ConnectionTrait,
    e: WebhookEvent,
    organization_id: Uuid,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let [row, deliveries] = event_writes(conn.get_database_backend(), e, organization_id, data, now);
    conn.execute_raw(row).await?;
    conn.execute_raw(super::queue(deliveries)).await?;
    Ok(())
}

/// `cap.reached` written into a lead's or click's batch: it lands only when the counter at position `counter` (a
/// guarded write of the batch) returns the cap's limit, i.e. this event took the cap's last unit.
pub(crate) fn on_cap_filled(
    batch: &mut crate::db::Batch,
    backend: DbBackend,
    counter: usize,
    cap: &cap::Model,
    owner: (Uuid, Uuid, Uuid),
    resets_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) {
    let (organization_id, campaign_id, partner_id) = owner;
    let data = serde_json::json!({
        "campaignId": campaign_id,
        "partnerId": partner_id,
        "metric": crate::partners::metric_name(cap.metric),
        "period": crate::partners::period_name(cap.period),
        "limit": cap.limit_count,
        "resetsAt": resets_at.map(rfc3339),
    });
    let [row, deliveries] = event_writes(backend, WebhookEvent::CapReached, organization_id, data, now);
    batch.push_if(row, counter, cap.limit_count);
    batch.push_deliveries_if(deliveries, counter, cap.limit_count);
}

/// The deliveries of status changes recorded earlier in the same transaction (their history rows).
pub(crate) fn on_status_changes(backend: DbBackend, history_ids: &[Uuid], now: DateTime<Utc>) -> Statement {
    let e = WebhookEvent::LeadStatusChanged;
    let mut values: Vec<Value> = vec![e.name().into(), now.into(), e.bit().into()];
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
            "{}SELECT w.id, h.id, $1, l.organization_id, 'PENDING', 0, $2, $2, 'WEBHOOK' \
             FROM lead_history h JOIN leads l ON l.id = h.lead_id \
             JOIN webhook_endpoints w ON w.organization_id = l.organization_id AND (w.events & $3) <> 0 \
             WHERE h.id IN ({})",
            super::QUEUE,
            list.join(", ")
        ),
        values,
    )
}

#[derive(Debug, FromQueryResult)]
struct LeadStep {
    from_status: Option<lead::Status>,
    to_status: lead::Status,
    reason: Option<String>,
    at: DateTime<Utc>,
    id: Uuid,
    campaign_id: Uuid,
    partner_id: Uuid,
    kind: lead::Kind,
    external_id: Option<String>,
    click_id: Option<Uuid>,
    sub1: Option<String>,
    sub2: Option<String>,
    sub3: Option<String>,
    sub4: Option<String>,
    sub5: Option<String>,
    /// A JSON object, as stored.
    fields: String,
    payout: i64,
    currency: String,
    created_at: DateTime<Utc>,
}

/// The JSON body of a delivery: `{"type", "timestamp", "data"}`, `data` being the lead as the API shows it with the
/// step (`fromStatus`, `status`, `reason`). None when the event is no longer stored.
pub(crate) async fn payload(s: &Services, row: &delivery::Model) -> Result<Option<String>> {
    if row.event == super::Event::Test.name() {
        let body = serde_json::json!({ "type": "test", "timestamp": rfc3339(row.created_at), "data": {} });
        return Ok(Some(body.to_string()));
    }
    let of_lead = WebhookEvent::ALL.into_iter().any(|e| e.of_lead() && e.name() == row.event);
    if !of_lead {
        return organization_event(s, row).await;
    }
    use sea_orm::ActiveEnum as _;
    let Some(l) = LeadStep::find_by_statement(Statement::from_sql_and_values(
        s.db.get_database_backend(),
        "SELECT h.from_status, h.to_status, h.reason, h.created_at AS at, l.id, l.campaign_id, l.partner_id, l.kind, \
                l.external_id, l.click_id, l.sub1, l.sub2, l.sub3, l.sub4, l.sub5, l.fields, l.payout, c.currency, \
                l.created_at \
         FROM lead_history h JOIN leads l ON l.id = h.lead_id JOIN campaigns c ON c.id = l.campaign_id \
         WHERE h.id = $1",
        [row.event_id.into()],
    ))
    .one(&s.db)
    .await?
    else {
        return Ok(None);
    };
    let body = serde_json::json!({
        "type": row.event,
        "timestamp": rfc3339(l.at),
        "data": {
            "id": l.id,
            "campaignId": l.campaign_id,
            "partnerId": l.partner_id,
            "type": l.kind.to_value(),
            "fromStatus": l.from_status.map(|s| s.to_value()),
            "status": l.to_status.to_value(),
            "reason": l.reason,
            "externalId": l.external_id,
            "clickId": l.click_id,
            "subIds": [l.sub1, l.sub2, l.sub3, l.sub4, l.sub5],
            "fields": serde_json::from_str::<serde_json::Value>(&l.fields).unwrap_or_default(),
            "payout": Money::from_units(l.payout).amount().normalize().to_string(),
            "currency": l.currency,
            "createdAt": rfc3339(l.created_at),
        }
    });
    Ok(Some(body.to_string()))
}

#[derive(Debug, FromQueryResult)]
struct StoredEvent {
    data: String,
    created_at: DateTime<Utc>,
}

/// The body of an organization event: its `data` as stored when it happened.
async fn organization_event(s: &Services, row: &delivery::Model) -> Result<Option<String>> {
    let stored = StoredEvent::find_by_statement(Statement::from_sql_and_values(
        s.db.get_database_backend(),
        "SELECT data, created_at FROM events WHERE id = $1",
        [row.event_id.into()],
    ))
    .one(&s.db)
    .await?;
    Ok(stored.map(|e| {
        let data = serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default();
        serde_json::json!({ "type": row.event, "timestamp": rfc3339(e.created_at), "data": data }).to_string()
    }))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An endpoint as its owner writes it.
#[derive(Debug, Clone)]
pub struct EndpointInput {
    pub url: String,
    pub events: Vec<WebhookEvent>,
}

async fn check(s: &Services, input: &EndpointInput) -> Result<String> {
    if input.events.is_empty() {
        return Err(Error::validation("events", "Choose at least one event to send."));
    }
    let url = input.url.trim();
    if url.chars().count() > super::postbacks::MAX_URL {
        return Err(Error::validation("url", format!("A URL has at most {} characters.", super::postbacks::MAX_URL)));
    }
    let parsed = super::check_destination(s, url, "An endpoint URL").await?;
    Ok(parsed.host_str().unwrap_or_default().to_ascii_lowercase())
}

fn bits(events: &[WebhookEvent]) -> i32 {
    events.iter().fold(0, |b, e| b | e.bit())
}

/// Adds an endpoint; returns it with its secret, shown this once.
pub async fn create(
    s: &Services,
    scope: &OwnerScope,
    input: EndpointInput,
) -> Result<(webhook_endpoint::Model, String)> {
    let host = check(s, &input).await?;
    let count = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(scope.organization_id()))
        .count(&s.db)
        .await?;
    if count >= MAX_ENDPOINTS {
        return Err(Error::validation(
            "url",
            format!("An organization has at most {MAX_ENDPOINTS} webhook endpoints."),
        ));
    }
    let now = s.clock.now();
    let secret = new_secret();
    let e = webhook_endpoint::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(scope.organization_id()),
        url: Set(input.url.trim().to_owned()),
        host: Set(host),
        events: Set(bits(&input.events)),
        secret: Set(secret.clone()),
        previous_secret: Set(None),
        previous_secret_until: Set(None),
        consecutive_failures: Set(0),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&s.db)
    .await?;
    Ok((e, secret))
}

async fn own(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<webhook_endpoint::Model> {
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::OrganizationId.eq(scope.organization_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Webhook endpoint"))
}

pub async fn update(
    s: &Services,
    scope: &OwnerScope,
    id: Uuid,
    input: EndpointInput,
) -> Result<webhook_endpoint::Model> {
    let e = own(s, scope, id).await?;
    let host = check(s, &input).await?;
    let mut m: webhook_endpoint::ActiveModel = e.into();
    m.url = Set(input.url.trim().to_owned());
    m.host = Set(host);
    m.events = Set(bits(&input.events));
    m.updated_at = Set(s.clock.now());
    Ok(m.update(&s.db).await?)
}

/// A new secret, shown this once; the previous one keeps signing beside it for [`ROTATION_OVERLAP`].
pub async fn rotate(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<(webhook_endpoint::Model, String)> {
    let e = own(s, scope, id).await?;
    let now = s.clock.now();
    let secret = new_secret();
    let mut m: webhook_endpoint::ActiveModel = e.clone().into();
    m.previous_secret = Set(Some(e.secret));
    m.previous_secret_until = Set(Some(now + ROTATION_OVERLAP));
    m.secret = Set(secret.clone());
    m.updated_at = Set(now);
    Ok((m.update(&s.db).await?, secret))
}

pub async fn set_enabled(s: &Services, scope: &OwnerScope, id: Uuid, enabled: bool) -> Result<webhook_endpoint::Model> {
    let e = own(s, scope, id).await?;
    super::set_destination_enabled(s, "webhook_endpoints", e.id, enabled).await?;
    own(s, scope, id).await
}

pub async fn delete(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<()> {
    let e = own(s, scope, id).await?;
    super::forget_destination(s, "webhook_endpoints", e.id).await
}

/// The organization's endpoints, oldest first.
pub async fn list(s: &Services, scope: &OwnerScope) -> Result<Vec<webhook_endpoint::Model>> {
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(scope.organization_id()))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(&s.db)
        .await?)
}

pub async fn log(
    s: &Services,
    scope: &OwnerScope,
    id: Uuid,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<delivery_attempt::Model>> {
    let e = own(s, scope, id).await?;
    super::attempts(s, e.id, None, first, after).await
}

pub async fn send_test(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<Uuid> {
    let e = own(s, scope, id).await?;
    super::queue_test(s, Channel::Webhook, e.id).await
}

pub async fn retry(s: &Services, scope: &OwnerScope, id: Uuid, event_id: Uuid) -> Result<()> {
    let e = own(s, scope, id).await?;
    super::retry_delivery(s, e.id, event_id).await
}

/// Sends again every event of `[from, to)` (at most 31 days) that the endpoint wants, to this endpoint only, with
/// the `webhook-id` each had. Returns how many events were queued.
pub async fn replay(s: &Services, scope: &OwnerScope, id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<u64> {
    let e = own(s, scope, id).await?;
    super::replay(s, from, to, |backend, now| {
        let (received, changed) = (WebhookEvent::LeadReceived, WebhookEvent::LeadStatusChanged);
        let steps = Statement::from_sql_and_values(
            backend,
            format!(
                "{}SELECT w.id, h.id, CASE WHEN h.from_status IS NULL THEN $5 ELSE $6 END, w.organization_id, \
                        'PENDING', 0, $1, $1, 'WEBHOOK' \
                 FROM webhook_endpoints w JOIN leads l ON l.organization_id = w.organization_id \
                 JOIN lead_history h ON h.lead_id = l.id \
                 WHERE w.id = $2 AND h.created_at >= $3 AND h.created_at < $4 \
                   AND (w.events & CASE WHEN h.from_status IS NULL THEN $7 ELSE $8 END) <> 0{}",
                super::QUEUE,
                super::REQUEUE
            ),
            [
                now.into(),
                e.id.into(),
                from.into(),
                to.into(),
                received.name().into(),
                changed.name().into(),
                received.bit().into(),
                changed.bit().into(),
            ],
        );
        let bits: String = WebhookEvent::ALL
            .into_iter()
            .filter(|e| !e.of_lead())
            .map(|e| format!(" WHEN '{}' THEN {}", e.name(), e.bit()))
            .collect();
        let others = Statement::from_sql_and_values(
            backend,
            format!(
                "{}SELECT w.id, v.id, v.type, v.organization_id, 'PENDING', 0, $1, $1, 'WEBHOOK' \
                 FROM webhook_endpoints w JOIN events v ON v.organization_id = w.organization_id \
                 WHERE w.id = $2 AND v.created_at >= $3 AND v.created_at < $4 \
                   AND (w.events & CASE v.type{bits} ELSE 0 END) <> 0{}",
                super::QUEUE,
                super::REQUEUE
            ),
            [now.into(), e.id.into(), from.into(), to.into()],
        );
        vec![steps, others]
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's example: secret, id, timestamp and body, and the signature it gives.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn secrets_are_32_random_bytes() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.starts_with("whsec_") && a != b);
        assert_eq!(STANDARD.decode(&a[6..]).map(|k| k.len()).ok(), Some(32));
    }
}
