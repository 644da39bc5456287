//! Leads: received from partners (with exact caps), decided on by owners, read by both.

use std::sync::Arc;

use partnerdesk_storage::entities::campaign::Status as CampaignStatus;
use partnerdesk_storage::entities::campaign_assignment::Status as AssignmentStatus;
use partnerdesk_storage::entities::cap::{self, Metric};
pub use partnerdesk_storage::entities::lead::{Kind, Model as Lead, Status};
use partnerdesk_storage::entities::lead_history::{self, Model as LeadEvent};
use partnerdesk_storage::entities::marketing_partner::Status as PartnerStatus;
use partnerdesk_storage::entities::{campaign, click, idempotency_key, lead};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement,
};
use serde_json::{Map, Value};
use tracing::instrument;
use uuid::Uuid;

use crate::api_keys::{self, KeyHolder, Presented};
use crate::authz::{Audience, OwnerScope, Sender};
use crate::delivery::{Event, postbacks, webhooks};
use crate::page::{self, Page};
use crate::{Error, Result, Services, caps, db, kept, partners, quality, stats};

/// Most leads one `setLeadStatus` may change.
pub const MAX_BATCH: usize = 500;
const MAX_FIELDS: usize = 50;

/// A lead as submitted, before validation (from JSON over HTTP or from GraphQL).
#[derive(Debug, Default, Clone)]
pub struct NewLead {
    pub campaign_id: String,
    pub kind: String,
    pub external_id: Option<String>,
    pub click_id: Option<String>,
    pub sub_ids: Vec<(String, String)>,
    pub fields: Map<String, Value>,
    pub caller_number: Option<String>,
    pub duration_seconds: Option<i64>,
    /// A test lead (`"test": true`, or the header `X-Test-Lead: 1`): checked and answered exactly as a real one,
    /// nothing stored, counted or sent.
    pub test: bool,
}

fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::validation(field, message)
}

fn opt_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(key, format!("{key} must be a string."))),
    }
}

impl NewLead {
    /// Reads the JSON body of `POST /v1/leads`; wrong types are `VALIDATION` errors naming the field.
    pub fn from_json(body: &Value) -> Result<Self> {
        let obj = body.as_object().ok_or_else(|| bad("body", "The body must be a JSON object."))?;
        let known = [
            "campaignId",
            "type",
            "externalId",
            "clickId",
            "subIds",
            "fields",
            "callerNumber",
            "durationSeconds",
            "test",
        ];
        if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(bad(k, format!("Unknown field {k:?}. Known fields: {}.", known.join(", "))));
        }
        let sub_ids = match obj.get("subIds") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(bad(&format!("subIds.{k}"), "A sub-id is a string.")),
                })
                .collect::<Result<_>>()?,
            Some(_) => return Err(bad("subIds", "subIds must be an object such as {\"sub1\": \"banner-a\"}.")),
        };
        let fields = match obj.get("fields") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(bad("fields", "fields must be an object of the form's fields.")),
        };
        let duration_seconds = match obj.get("durationSeconds") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(v.as_i64().ok_or_else(|| bad("durationSeconds", "durationSeconds must be a whole number."))?)
            }
        };
        Ok(Self {
            campaign_id: opt_str(obj, "campaignId")?.ok_or_else(|| bad("campaignId", "campaignId is required."))?,
            kind: opt_str(obj, "type")?.ok_or_else(|| bad("type", "type is required: \"form\" or \"call\"."))?,
            external_id: opt_str(obj, "externalId")?,
            click_id: opt_str(obj, "clickId")?,
            sub_ids,
            fields,
            caller_number: opt_str(obj, "callerNumber")?,
            duration_seconds,
            test: match obj.get("test") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(bad("test", "test is true or false.")),
            },
        })
    }
}

/// A lead whose shape is valid ([`NewLead::validate`]); its campaign's own rules are checked when it is recorded.
#[derive(Clone)]
pub struct Valid {
    campaign_id: Uuid,
    test: bool,
    kind: Kind,
    external_id: Option<String>,
    click_id: Option<Uuid>,
    subs: [Option<String>; 5],
    fields: Map<String, Value>,
    caller_number: Option<String>,
    duration_seconds: Option<i32>,
}

impl Valid {
    /// A test lead: answered as a real one, it leaves nothing.
    pub fn is_test(&self) -> bool {
        self.test
    }
}

impl NewLead {
    /// Checks the lead's shape: `VALIDATION` naming the first field at fault.
    pub fn validate(self) -> Result<Valid> {
        let input = self;
        let test = input.test;
        let campaign_id = Uuid::parse_str(input.campaign_id.trim())
            .map_err(|_| bad("campaignId", "campaignId is not a campaign id."))?;
        let kind = match input.kind.to_ascii_lowercase().as_str() {
            "form" => Kind::Form,
            "call" => Kind::Call,
            _ => return Err(bad("type", "type is \"form\" or \"call\".")),
        };
        let external_id = input.external_id.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        if external_id.as_ref().is_some_and(|e| e.chars().count() > 255) {
            return Err(bad("externalId", "externalId has at most 255 characters."));
        }
        let click_id = input
            .click_id
            .filter(|c| !c.trim().is_empty())
            .map(|c| {
                Uuid::parse_str(c.trim()).map_err(|_| {
                    bad("clickId", "clickId is the id our tracking link appended to your landing page URL.")
                })
            })
            .transpose()?;
        let mut subs: [Option<String>; 5] = Default::default();
        for (k, v) in input.sub_ids {
            let slot = match k.as_str() {
                "sub1" => 0,
                "sub2" => 1,
                "sub3" => 2,
                "sub4" => 3,
                "sub5" => 4,
                _ => return Err(bad(&format!("subIds.{k}"), "Sub-ids are sub1 to sub5.")),
            };
            if v.chars().count() > 255 {
                return Err(bad(&format!("subIds.{k}"), "A sub-id has at most 255 characters."));
            }
            subs[slot] = Some(v).filter(|v| !v.is_empty());
        }
        if input.fields.len() > MAX_FIELDS {
            return Err(bad("fields", format!("A lead has at most {MAX_FIELDS} fields.")));
        }
        for (k, v) in &input.fields {
            if k.is_empty() || k.chars().count() > 64 {
                return Err(bad("fields", "A field name has 1 to 64 characters."));
            }
            match v {
                // Lengths are the campaign's to decide (its declaration, or the free-form limit).
                Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {}
                _ => {
                    return Err(bad(
                        &format!("fields.{k}"),
                        "A field value is a string, a number, true/false or null.",
                    ));
                }
            }
        }
        let (caller_number, duration_seconds) = match kind {
            Kind::Form => (None, None),
            Kind::Call => {
                let number =
                    input.caller_number.map(|n| n.trim().replace([' ', '-', '(', ')'], "")).unwrap_or_default();
                let digits = number.strip_prefix('+').unwrap_or(&number);
                if !(7..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad("callerNumber", "A call needs callerNumber, a phone number such as +12125550123."));
                }
                let duration =
                    input.duration_seconds.ok_or_else(|| bad("durationSeconds", "A call needs durationSeconds."))?;
                let duration = i32::try_from(duration)
                    .ok()
                    .filter(|d| (0..=86_400).contains(d))
                    .ok_or_else(|| bad("durationSeconds", "durationSeconds is 0 to 86400."))?;
                (Some(number), Some(duration))
            }
        };
        Ok(Valid {
            campaign_id,
            test,
            kind,
            external_id,
            click_id,
            subs,
            fields: input.fields,
            caller_number,
            duration_seconds,
        })
    }
}

fn refused(code: &'static str, message: &str) -> Error {
    Error::Refused { code, message: message.to_owned() }
}

/// A lead sent with an API key (`POST /v1/leads`): the key, whose count of the request is one of the lead's writes,
/// and the request's `Idempotency-Key`, if any.
struct ViaKey<'a> {
    key: &'a Presented,
    idempotency: Option<Idempotency<'a>>,
}

/// An `Idempotency-Key` (per API key) and the hash of the request body it came with.
#[derive(Clone)]
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: String,
}

/// The answer a successful submission gives, and replays for its idempotency key.
pub fn receipt(l: &Lead) -> Value {
    serde_json::json!({ "id": l.id.to_string(), "status": "RECEIVED" })
}

/// The columns of a lead's target (`Target`): its assignment, campaign (with its declared fields and duplicate rule),
/// the organization's duplicate rule, the partner record and the metric's caps (one row per cap). Each is named: SQLite
/// does not promise a name to an unnamed column read through a nested join.
macro_rules! target_columns {
    () => {
        "a.id AS assignment_id, a.status AS assignment_status, a.form_payout AS form_override, \
         a.call_payout AS call_override, c.id AS campaign_id, c.organization_id AS organization_id, \
         c.status AS campaign_status, c.time_zone AS time_zone, c.form_payout AS form_payout, \
         c.call_payout AS call_payout, p.id AS partner_id, p.status AS partner_status, k.id AS cap_id, \
         k.period AS cap_period, k.limit_count AS cap_limit, c.lead_fields AS lead_fields, \
         c.unknown_fields AS unknown_fields, c.phone_country AS phone_country, c.duplicate_rule AS duplicate_rule, \
         o.duplicate_rule AS organization_rule"
    };
}

/// The tables [`target_columns`] come from, `$3` the metric whose caps are read.
macro_rules! target_tables {
    () => {
        "campaign_assignments a \
         JOIN campaigns c ON c.id = a.campaign_id \
         JOIN organizations o ON o.id = c.organization_id \
         JOIN marketing_partners p ON p.id = a.partner_id \
         LEFT JOIN caps k ON k.assignment_id = a.id AND k.metric = $3"
    };
}

/// The read of a lead's target, `$1` the sender's account, `$2` the campaign, `$3` the metric, `$4` the
/// organization a key is limited to (or NULL). Public for the embedded default's benchmark floor, which runs it as is.
pub const TARGET_SQL: &str = concat!(
    "SELECT ",
    target_columns!(),
    " FROM ",
    target_tables!(),
    " WHERE p.user_id = $1 AND a.campaign_id = $2 AND a.status <> 'REMOVED' AND ($4 IS NULL OR c.organization_id = $4)"
);

/// A lead's API key and its target in one read: the key by its hash (`$1`, as `api_keys::FIND_SQL` finds it), and
/// [`TARGET_SQL`]'s target for the key's account in campaign `$2` (metric `$3`) within the key's organization, if it is
/// limited to one, with `config_generation`'s count as read in the same snapshot. No row for an unknown key; one row
/// with empty target columns where its account has no target. Public for the benchmark's ceiling, which sends it as
/// the server does.
pub const KEYED_TARGET_SQL: &str = concat!(
    "SELECT ak.*, (SELECT n FROM config_generation) AS generation, ",
    target_columns!(),
    " FROM (",
    crate::api_keys::find_sql!(),
    ") ak LEFT JOIN (",
    target_tables!(),
    ") ON p.user_id = ak.user_id AND a.campaign_id = $2 AND a.status <> 'REMOVED' \
     AND (ak.key_organization_id IS NULL OR c.organization_id = ak.key_organization_id)"
);

/// A lead's API key and its target, read together ([`read_keyed`]).
#[derive(Clone)]
pub struct Keyed {
    pub key: Presented,
    target: Arc<[Target]>,
    /// `config_generation` when they were read: the lead's writes check it first.
    generation: i64,
    /// Served by this process's [`Senders`], not read for this request.
    cached: bool,
}

/// A [`Senders`] entry's key: the API key's hash, the campaign, the metric.
type SenderKey = (String, Uuid, &'static str);

/// What this process keeps of API keys and their leads' targets ([`kept`]): only what would take a lead (an active
/// key, an active assignment, partner and campaign).
pub type Senders = kept::Kept<SenderKey, Keyed>;

fn sender_key(presented: &str, lead: &Valid) -> SenderKey {
    (api_keys::presented_hash(presented), lead.campaign_id, partners::metric_name(metric(lead.kind)))
}

/// The API key presented with a lead and the lead's target, from this process's [`Senders`] or read in one
/// statement: `UNAUTHENTICATED` for an unknown or revoked key, `RATE_LIMITED` for a key whose window is full (whatever
/// the lead); the target is checked when the lead is recorded ([`submit_keyed`]).
pub async fn read_keyed(s: &Services, presented: &str, lead: &Valid) -> Result<Keyed> {
    let key = sender_key(presented, lead);
    if let Some(keyed) = s.senders.get(&key) {
        return Ok(Keyed { cached: true, ..keyed });
    }
    let keyed = read_keyed_now(s, &key).await?;
    let takes_leads = keyed.target.first().is_some_and(|t| {
        t.assignment_status == AssignmentStatus::Active
            && t.partner_status == PartnerStatus::Active
            && t.campaign_status == CampaignStatus::Active
    });
    if takes_leads {
        s.senders.put(key, keyed.clone());
    }
    Ok(keyed)
}

/// [`KEYED_TARGET_SQL`] for a key hash, campaign and metric.
async fn read_keyed_now(s: &Services, (hash, campaign_id, metric): &SenderKey) -> Result<Keyed> {
    #[derive(FromQueryResult)]
    struct Row {
        #[sea_orm(nested)]
        key: api_keys::Row,
        generation: i64,
        #[sea_orm(nested)]
        target: Option<Target>,
    }
    let values = [hash.clone().into(), (*campaign_id).into(), (*metric).into()];
    let rows =
        Row::find_by_statement(Statement::from_sql_and_values(s.db.get_database_backend(), KEYED_TARGET_SQL, values))
            .all(&s.db)
            .await?;
    let mut rows = rows.into_iter();
    let first = rows.next().ok_or(api_keys::UNKNOWN)?;
    let generation = first.generation;
    let key = first.key.active()?.presented(s)?;
    let target = first.target.into_iter().chain(rows.filter_map(|r| r.target)).collect();
    Ok(Keyed { key, target, generation, cached: false })
}

/// The caps a lead of this kind counts against.
fn metric(kind: Kind) -> Metric {
    match kind {
        Kind::Form => Metric::Form,
        Kind::Call => Metric::Call,
    }
}

/// Records a lead from a signed-in partner ([`store`]); its target is read first.
#[instrument(skip(s, input), fields(user_id = %sender.user_id))]
pub async fn submit(s: &Services, sender: &Sender, input: NewLead) -> Result<Lead> {
    let v = input.validate()?;
    let target = Target::find_by_statement(Statement::from_sql_and_values(
        s.db.get_database_backend(),
        TARGET_SQL,
        [
            sender.user_id.into(),
            v.campaign_id.into(),
            partners::metric_name(metric(v.kind)).into(),
            sender.organization_id.into(),
        ],
    ))
    .all(&s.db)
    .await?;
    store(s, sender, v, &target, None, None).await?.ok_or(Error::Unavailable)
}

/// Records a lead sent with API key `presented` ([`store`]), its target read with the key ([`read_keyed`]). Where
/// what was read no longer holds (`config_generation` moved since), or came from the cache and refused the lead, the
/// key and the target are read again and the lead tried once more with them.
#[instrument(skip_all, fields(user_id = %sender.user_id))]
pub async fn submit_keyed(
    s: &Services,
    sender: &Sender,
    presented: &str,
    mut keyed: Keyed,
    lead: Valid,
    idempotency: Option<Idempotency<'_>>,
) -> Result<Lead> {
    for _ in 0..3 {
        let via = ViaKey { key: &keyed.key, idempotency: idempotency.clone() };
        match store(s, sender, lead.clone(), &keyed.target, Some(keyed.generation), Some(via)).await {
            Ok(Some(stored)) => return Ok(stored),
            Ok(None) => {}
            // Decided on what the cache held: the campaign's declared fields, or the key's rate window as it was.
            Err(Error::Validation { .. } | Error::Fields(_) | Error::RateLimited { .. }) if keyed.cached => {}
            Err(e) => return Err(e),
        }
        s.senders.clear();
        keyed = read_keyed_now(s, &sender_key(presented, &lead)).await?;
    }
    // Changed under every try: rare enough to ask for another.
    Err(Error::Unavailable)
}

/// Records a lead from a partner, `rows` its target as read (`TARGET_SQL`: none when the sender is not on the
/// campaign); with the `generation` of `config_generation` they were read at, `None` (stale, nothing written) when it
/// has moved since. Its caps are checked and counted with the insert, in one transaction: the lead is stored and counted,
/// or nothing happens and the answer is `CAP_REACHED`. The sender's partner record is the one in the campaign's
/// organization: one account sends to every advertiser it works with.
async fn store(
    s: &Services,
    sender: &Sender,
    v: Valid,
    rows: &[Target],
    generation: Option<i64>,
    via: Option<ViaKey<'_>>,
) -> Result<Option<Lead>> {
    let test = v.test;
    let metric = metric(v.kind);
    let t = rows.first().ok_or_else(|| refused("NOT_ASSIGNED", "You are not a partner on this campaign."))?;
    let partner_id = t.partner_id;
    if t.partner_status == PartnerStatus::Paused || t.assignment_status == AssignmentStatus::Paused {
        return Err(refused("PARTNER_PAUSED", "The campaign owner paused your traffic on this campaign."));
    }
    if t.campaign_status != CampaignStatus::Active {
        return Err(refused("CAMPAIGN_NOT_ACTIVE", "This campaign is paused or archived and takes no leads."));
    }
    if let Some(click_id) = v.click_id {
        let known = click::Entity::find_by_id(click_id)
            .filter(click::Column::AssignmentId.eq(t.assignment_id))
            .count(&s.db)
            .await?;
        if known == 0 {
            return Err(bad("clickId", "No click with this id came through your tracking link for this campaign."));
        }
    }
    // The campaign's declaration: every failing field at once, before anything is written.
    let fields = quality::check_fields(t.lead_fields.as_deref(), &t.unknown_fields, &t.phone_country, v.fields)?;
    let caller_number = v.caller_number.as_deref().map(|n| quality::caller_number(n, &t.phone_country)).transpose()?;
    let rules = [
        (t.campaign_id, quality::parse_rule(t.duplicate_rule.as_deref())),
        (t.organization_id, quality::parse_rule(t.organization_rule.as_deref())),
    ];
    let claims = quality::claims(s, rules, t.organization_id, t.campaign_id, &fields, caller_number.as_deref());
    let mut cap_rows: Vec<cap::Model> = rows
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
    cap_rows.sort_by_key(|c| c.period);
    let payout = match v.kind {
        Kind::Form => t.form_override.unwrap_or(t.form_payout),
        Kind::Call => t.call_override.unwrap_or(t.call_payout),
    };
    let now = s.clock.now();
    let tz = caps::time_zone(&t.time_zone);
    let [sub1, sub2, sub3, sub4, sub5] = v.subs;
    let lead = Lead {
        id: Uuid::now_v7(),
        organization_id: t.organization_id,
        campaign_id: t.campaign_id,
        partner_id,
        assignment_id: t.assignment_id,
        kind: v.kind,
        status: Status::Received,
        reason: None,
        reason_code: None,
        external_id: v.external_id,
        click_id: v.click_id,
        sub1,
        sub2,
        sub3,
        sub4,
        sub5,
        fields: Value::Object(fields).to_string(),
        caller_number,
        duration_seconds: v.duration_seconds,
        payout,
        created_at: now,
        updated_at: now,
    };
    // Every write of the lead in one batch (one round trip on PostgreSQL): its caps first, in a fixed order, each
    // guarded so that a full one undoes everything; then the lead, its history, its figures, its idempotency key.
    let backend = s.db.get_database_backend();
    let mut batch = db::Batch::default();
    // The key's count of the request first (guard 0: over its rate limit, nothing is written), then duplicate claims
    // (guards 1..), then caps: a duplicate is told so, and takes no cap.
    let key = via.as_ref().map(|v| v.key).filter(|_| !test);
    if let Some(generation) = generation {
        batch.check_generation(backend, generation);
    }
    if let Some(key) = key {
        batch.push_guarded(key.count(s), 0);
    }
    for (i, c) in claims.iter().enumerate() {
        batch.push_guarded(quality::claim_statement(backend, c, lead.id, partner_id, now), 1 + i);
    }
    let owner = (lead.organization_id, lead.campaign_id, partner_id);
    let mut full = caps::count_in(&mut batch, backend, &cap_rows, owner, 1 + claims.len(), tz, now);
    batch.push(lead::Entity::insert(lead.clone().into_active_model()).build(backend));
    let received = Uuid::now_v7();
    let step = history(received, lead.id, None, Status::Received, None, None, now);
    batch.push(lead_history::Entity::insert(step).build(backend));
    // Its postbacks, written with it: sent if and only if the lead is stored.
    batch.push_deliveries(postbacks::on_event(
        backend,
        Event::LeadReceived,
        received,
        lead.organization_id,
        sender.user_id,
        lead.campaign_id,
        now,
    ));
    batch.push_deliveries(webhooks::on_received(backend, received, lead.organization_id, now));
    let figures = [(stats::Key::of_lead(&lead, tz), stats::Delta::of_move(None, Status::Received, lead.payout))];
    for statement in stats::statements(backend, figures) {
        batch.push(statement);
    }
    if let (Some(key), Some(idem)) = (key, via.and_then(|v| v.idempotency)) {
        // Written with the lead: of two concurrent requests with one key, the second fails here and replays the first.
        let key = idempotency_key::ActiveModel {
            api_key_id: Set(key.holder.key_id),
            idempotency_key: Set(idem.key.to_owned()),
            request_hash: Set(idem.request_hash),
            response_status: Set(201),
            response_body: Set(receipt(&lead).to_string()),
            created_at: Set(now),
        };
        batch.push(idempotency_key::Entity::insert(key).build(backend));
    }
    let outcome = if test { batch.rehearse(&s.db).await } else { batch.run(&s.db).await };
    let written = match outcome {
        Ok(written) => written,
        Err(db::BatchError::Guard(kept::STALE)) => return Ok(None),
        Err(db::BatchError::Guard(0)) => {
            let unexpected = || Error::Unexpected(anyhow::anyhow!("the key's guard failed in a batch without it"));
            return Err(key.map_or_else(unexpected, |k| k.rate_limited(s)));
        }
        Err(db::BatchError::Guard(i)) if i <= claims.len() => {
            return Err(quality::duplicate(s, &claims[i - 1], partner_id).await?);
        }
        Err(db::BatchError::Guard(i)) => return Err(full.swap_remove(i - 1 - claims.len())),
        Err(db::BatchError::Db(e)) if db::is_unique_violation(&e, "idempotency_keys_pkey") => {
            return Err(Error::Refused {
                code: "IDEMPOTENCY_RACE",
                message: "A request with this Idempotency-Key is in flight.".into(),
            });
        }
        Err(db::BatchError::Db(e)) => return Err(e.into()),
    };
    if !test {
        s.live.changed(lead.organization_id, [partner_id]);
        if written.queued_deliveries() {
            s.deliveries_wakeup.notify_one();
        }
    }
    Ok(Some(lead))
}

/// The stored answer for an idempotency key, if a request with it succeeded (kept 24 to 48 hours).
pub async fn replay(s: &Services, holder: &KeyHolder, key: &str) -> Result<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find_by_id((holder.key_id, key.to_owned())).one(&s.db).await?)
}

/// Records a step of a lead's history; returns its id (the event a postback reports).
pub(crate) async fn record(
    conn: &impl ConnectionTrait,
    lead_id: Uuid,
    from: Option<Status>,
    to: Status,
    reason: Option<String>,
    user_id: Option<Uuid>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    history(id, lead_id, from, to, reason, user_id, at).insert(conn).await?;
    Ok(id)
}

/// One step of a lead's history.
fn history(
    id: Uuid,
    lead_id: Uuid,
    from: Option<Status>,
    to: Status,
    reason: Option<String>,
    user_id: Option<Uuid>,
    at: chrono::DateTime<chrono::Utc>,
) -> lead_history::ActiveModel {
    lead_history::ActiveModel {
        id: Set(id),
        lead_id: Set(lead_id),
        from_status: Set(from),
        to_status: Set(to),
        reason: Set(reason),
        user_id: Set(user_id),
        created_at: Set(at),
    }
}

/// What a lead is recorded against, read in one statement.
#[derive(Debug, Clone, FromQueryResult)]
struct Target {
    assignment_id: Uuid,
    assignment_status: AssignmentStatus,
    form_override: Option<i64>,
    call_override: Option<i64>,
    campaign_id: Uuid,
    organization_id: Uuid,
    campaign_status: CampaignStatus,
    time_zone: String,
    form_payout: i64,
    call_payout: i64,
    partner_id: Uuid,
    partner_status: PartnerStatus,
    cap_id: Option<Uuid>,
    cap_period: Option<cap::Period>,
    cap_limit: Option<i64>,
    lead_fields: Option<String>,
    unknown_fields: String,
    phone_country: String,
    duplicate_rule: Option<String>,
    organization_rule: Option<String>,
}

/// Whether a lead may go from `from` to `to`.
pub fn allowed(from: Status, to: Status) -> bool {
    matches!(
        (from, to),
        (Status::Received, Status::Approved | Status::Rejected)
            | (Status::Approved, Status::Converted)
            | (Status::Approved | Status::Converted, Status::Returned)
    )
}

/// Approves, rejects (a reason is required), converts or returns (a reason code of the organization's list is
/// required, within the campaign's return window) up to 500 leads of the organization, all or none.
#[instrument(skip(s, scope, ids, reason), fields(organization_id = %scope.organization_id(), count = ids.len()))]
pub async fn set_status(
    s: &Services,
    scope: &OwnerScope,
    ids: &[Uuid],
    status: Status,
    reason: Option<&str>,
    reason_code: Option<&str>,
) -> Result<Vec<Lead>> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(bad("ids", format!("Pass 1 to {MAX_BATCH} lead ids.")));
    }
    let mut reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if status == Status::Rejected && reason.is_none() {
        return Err(bad("reason", "Say why the lead is rejected: the partner sees the reason."));
    }
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(bad("reason", "A reason has at most 500 characters."));
    }
    if status == Status::Received {
        return Err(bad("status", "A lead cannot go back to RECEIVED."));
    }
    // A return names one of the organization's reasons; the partner reads its label (and the text, if any).
    let code = match (status, reason_code.map(str::trim).filter(|c| !c.is_empty())) {
        (Status::Returned, code) => {
            let r = quality::return_reason(s, scope.organization_id(), code, reason.as_deref()).await?;
            reason = Some(match &reason {
                Some(text) => format!("{}: {text}", r.label),
                None => r.label.clone(),
            });
            Some(r.code)
        }
        (_, Some(_)) => return Err(bad("reasonCode", "Only a return takes a reason code.")),
        (_, None) => None,
    };
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    let found = lead::Entity::find()
        .filter(lead::Column::OrganizationId.eq(scope.organization_id()))
        .filter(lead::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(lead::Column::Id)
        .all(&txn)
        .await?;
    if found.len() != ids.iter().collect::<std::collections::HashSet<_>>().len() {
        return Err(Error::NotFound("Lead"));
    }
    let campaign_ids: Vec<Uuid> = found.iter().map(|l| l.campaign_id).collect();
    let campaigns: std::collections::HashMap<Uuid, (chrono_tz::Tz, i32)> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(campaign_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.id, (caps::time_zone(&c.time_zone), c.return_window_days)))
        .collect();
    let mut changes = Vec::with_capacity(found.len());
    let mut updated = Vec::with_capacity(found.len());
    let mut steps = Vec::with_capacity(found.len());
    for l in found {
        if !allowed(l.status, status) {
            return Err(bad(
                "status",
                format!("Lead {} is {:?}; it cannot become {status:?}.", l.id, l.status).to_uppercase(),
            ));
        }
        let (tz, window) = campaigns.get(&l.campaign_id).copied().unwrap_or((chrono_tz::Tz::UTC, 0));
        if status == Status::Returned && now > l.created_at + chrono::Duration::days(i64::from(window)) {
            return Err(bad(
                "status",
                format!(
                    "Lead {} was received on {}: past its campaign's return window of {window} days.",
                    l.id,
                    l.created_at.format("%Y-%m-%d")
                ),
            ));
        }
        let from = l.status;
        let mut m = l.into_active_model();
        m.status = Set(status);
        if matches!(status, Status::Rejected | Status::Returned) {
            m.reason = Set(reason.clone());
            m.reason_code = Set(code.clone());
        }
        m.updated_at = Set(now);
        let l = m.update(&txn).await?;
        steps.push(record(&txn, l.id, Some(from), status, reason.clone(), Some(scope.user_id()), now).await?);
        changes.push((stats::Key::of_lead(&l, tz), stats::Delta::of_move(Some(from), status, l.payout)));
        updated.push(l);
    }
    stats::add_all(&txn, changes).await?;
    let backend = txn.get_database_backend();
    txn.execute_raw(postbacks::on_history(backend, Event::of_lead(status), &steps, now)).await?;
    txn.execute_raw(webhooks::on_status_changes(backend, &steps, now)).await?;
    txn.commit().await?;
    s.live.changed(scope.organization_id(), updated.iter().map(|l| l.partner_id));
    s.deliveries_wakeup.notify_one();
    Ok(updated)
}

#[derive(Debug, Default, Clone)]
pub struct LeadFilter {
    /// An advertiser, for a partner that works with several.
    pub organization_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub status: Option<Status>,
    /// Leads with a dispute in this state.
    pub dispute: Option<partnerdesk_storage::entities::lead_dispute::Status>,
    pub kind: Option<Kind>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// The rows of `audience`: one organization's leads, or the partner records' own.
fn of(audience: &Audience) -> sea_orm::Select<lead::Entity> {
    match audience {
        Audience::Organization(o) => lead::Entity::find().filter(lead::Column::OrganizationId.eq(*o)),
        Audience::Partner(ms) => {
            lead::Entity::find().filter(lead::Column::PartnerId.is_in(ms.iter().map(|m| m.partner_id)))
        }
    }
}

/// The leads `audience` may see, newest first: an owner's organization's, or a partner's own in every organization
/// it works with.
pub async fn list(
    s: &Services,
    audience: &Audience,
    f: LeadFilter,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<Lead>> {
    page::check_first(first, "leads")?;
    let audience = audience.clone().within(f.organization_id.as_slice());
    let mut q = of(&audience);
    if let Some(c) = f.campaign_id {
        q = q.filter(lead::Column::CampaignId.eq(c));
    }
    if let Some(p) = f.partner_id {
        q = q.filter(lead::Column::PartnerId.eq(p));
    }
    if let Some(st) = f.status {
        q = q.filter(lead::Column::Status.eq(st));
    }
    if let Some(d) = f.dispute {
        use partnerdesk_storage::entities::lead_dispute;
        use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
        let disputed = Query::select()
            .column(lead_dispute::Column::LeadId)
            .from(lead_dispute::Entity)
            .and_where(lead_dispute::Column::Status.eq(d))
            .to_owned();
        q = q.filter(Expr::col((lead::Entity, lead::Column::Id)).in_subquery(disputed));
    }
    if let Some(k) = f.kind {
        q = q.filter(lead::Column::Kind.eq(k));
    }
    if let Some(from) = f.from {
        q = q.filter(lead::Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(lead::Column::CreatedAt.lt(to));
    }
    let total_count = q.clone().count(&s.db).await?;
    if let Some(a) = after {
        q = q.filter(lead::Column::Id.lt(a));
    }
    let items = q.order_by_desc(lead::Column::Id).limit(first + 1).all(&s.db).await?;
    Ok(Page::from_rows(items, first, total_count))
}

/// One lead with its history, if `audience` may see it.
pub async fn get(s: &Services, audience: &Audience, id: Uuid) -> Result<(Lead, Vec<LeadEvent>)> {
    let l = of(audience).filter(lead::Column::Id.eq(id)).one(&s.db).await?.ok_or(Error::NotFound("Lead"))?;
    let history = lead_history::Entity::find()
        .filter(lead_history::Column::LeadId.eq(l.id))
        .order_by_asc(lead_history::Column::Id)
        .all(&s.db)
        .await?;
    Ok((l, history))
}

/// What a lead earns the partner: its fixed payout once approved (and still when converted).
pub fn earned(l: &Lead) -> i64 {
    if matches!(l.status, Status::Approved | Status::Converted) { l.payout } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_transitions() {
        use Status::*;
        assert!(allowed(Received, Approved) && allowed(Received, Rejected) && allowed(Approved, Converted));
        for (a, b) in [
            (Received, Converted),
            (Rejected, Approved),
            (Converted, Approved),
            (Approved, Rejected),
            (Approved, Received),
        ] {
            assert!(!allowed(a, b), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn reads_and_checks_json_bodies() {
        let ok = NewLead::from_json(
            &serde_json::json!({"campaignId": "0192f8a4-0000-7000-8000-000000000000", "type": "call",
            "callerNumber": "+1 212 555 0123", "durationSeconds": 95, "subIds": {"sub2": "x"}}),
        )
        .and_then(NewLead::validate);
        let v = ok.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (v.kind, v.caller_number.as_deref(), v.duration_seconds),
            (Kind::Call, Some("+12125550123"), Some(95))
        );
        assert_eq!(v.subs[1].as_deref(), Some("x"));
        let field_of = |body: serde_json::Value| match NewLead::from_json(&body).and_then(NewLead::validate) {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("{body}: {other:?}", other = other.map(|_| ())),
        };
        let c = "0192f8a4-0000-7000-8000-000000000000";
        assert_eq!(field_of(serde_json::json!([])), "body");
        assert_eq!(field_of(serde_json::json!({"type": "form"})), "campaignId");
        assert_eq!(field_of(serde_json::json!({"campaignId": 5, "type": "form"})), "campaignId");
        assert_eq!(field_of(serde_json::json!({"campaignId": c, "type": "fax"})), "type");
        assert_eq!(field_of(serde_json::json!({"campaignId": c, "type": "call"})), "callerNumber");
        assert_eq!(field_of(serde_json::json!({"campaignId": c, "type": "form", "fields": "name=x"})), "fields");
        assert_eq!(
            field_of(serde_json::json!({"campaignId": c, "type": "form", "subIds": {"sub9": "x"}})),
            "subIds.sub9"
        );
        assert_eq!(field_of(serde_json::json!({"campaignId": c, "type": "form", "extra": 1})), "extra");
    }
}
