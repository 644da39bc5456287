//! Traffic over GraphQL: API keys, leads (submit, decide, read), cap usage and tracking links.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_domain::Money;
use partnerdesk_services::api_keys;
use partnerdesk_services::leads::{self, LeadFilter, NewLead};
use partnerdesk_services::partners::Assignment;
use partnerdesk_services::{Error, Services, authz, caps};
use partnerdesk_storage::entities::{api_key, cap, lead, lead_history};

use crate::error::Res;
use crate::ids;
use crate::partners::{CapMetric, CapWindow};
use crate::query::actor;
use crate::types::{TotalCount, connection};
use crate::types::{load_one, services};

pub(crate) fn tracking_url(s: &Services, a: &Assignment) -> Option<String> {
    a.tracking_code.as_ref().map(|c| format!("{}/c/{c}", s.public_url))
}

#[derive(SimpleObject, Clone)]
pub struct CapUsage {
    pub metric: CapMetric,
    pub window: CapWindow,
    pub limit: i64,
    /// Counted in the current window.
    pub used: i64,
    pub remaining: i64,
    /// When the window starts again (midnight or the 1st in the campaign's time zone); null for a global cap.
    pub resets_at: Option<DateTime<Utc>>,
}

impl From<caps::Usage> for CapUsage {
    fn from(u: caps::Usage) -> Self {
        CapUsage {
            metric: u.cap.metric.into(),
            window: u.cap.period.into(),
            limit: u.cap.limit_count,
            used: u.used,
            remaining: u.remaining(),
            resets_at: u.resets_at,
        }
    }
}

/// The usage of many assignments' caps (each with its campaign's time zone) in one query, by assignment.
pub(crate) async fn usage_by_assignment(
    s: &Services,
    caps: Vec<(cap::Model, chrono_tz::Tz)>,
) -> Res<std::collections::HashMap<uuid::Uuid, Vec<CapUsage>>> {
    let mut by: std::collections::HashMap<uuid::Uuid, Vec<CapUsage>> = std::collections::HashMap::new();
    if caps.is_empty() {
        return Ok(by);
    }
    for u in caps::usage(s, &caps).await? {
        by.entry(u.cap.assignment_id).or_default().push(u.into());
    }
    Ok(by)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::lead::Kind")]
pub enum LeadType {
    Form,
    Call,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::lead::Status")]
pub enum LeadStatus {
    Received,
    Approved,
    Rejected,
    Converted,
    /// Found bad after approval, within the campaign's return window: its payout is reversed.
    Returned,
}

/// A key of your account. It acts with your memberships: it sends leads to the campaigns of every advertiser you
/// are a partner of, and decides on the leads of the organization you own.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ApiKey {
    pub id: ID,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub scope: ApiKeyScope,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub organization_id: Option<uuid::Uuid>,
}

#[ComplexObject]
impl ApiKey {
    /// The one organization this key works for; null: every organization of your account.
    async fn organization(&self, ctx: &Context<'_>) -> Res<Option<crate::types::Organization>> {
        let Some(id) = self.organization_id else { return Ok(None) };
        let found = partnerdesk_services::accounts::organizations(services(ctx)?, &[id]).await?;
        Ok(found.into_iter().next().map(Into::into))
    }
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        Self {
            id: ids::id(k.id),
            name: k.name,
            prefix: k.prefix,
            scope: k.scope.into(),
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            organization_id: k.organization_id,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
#[graphql(remote = "partnerdesk_services::api_keys::Scope")]
pub enum ApiKeyScope {
    /// Sends leads as a partner (`POST /v1/leads`) and decides on them as an owner (`POST /v1/leads/{id}/status`).
    #[default]
    Leads,
    /// A personal access token for GraphQL clients and CSV downloads: reads `report`, `metricDefinitions`,
    /// `statsChanged` and `GET /v1/reports.csv` with its user's rights, and nothing else.
    Reports,
}

#[derive(SimpleObject)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// The key itself: shown this once, never again.
    pub key: String,
}

#[derive(SimpleObject)]
pub struct LeadEvent {
    pub from_status: Option<LeadStatus>,
    pub to_status: LeadStatus,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<lead_history::Model> for LeadEvent {
    fn from(e: lead_history::Model) -> Self {
        Self {
            from_status: e.from_status.map(Into::into),
            to_status: e.to_status.into(),
            reason: e.reason,
            at: e.created_at,
        }
    }
}

/// A lead, with its status and, when rejected, the reason.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Lead {
    pub id: ID,
    pub campaign_id: ID,
    pub partner_id: ID,
    #[graphql(name = "type")]
    pub kind: LeadType,
    pub status: LeadStatus,
    /// Why it was rejected or returned (a return's reason label, and the owner's text).
    pub reason: Option<String>,
    /// A return's reason code.
    pub reason_code: Option<String>,
    pub external_id: Option<String>,
    pub click_id: Option<ID>,
    pub sub_ids: Vec<Option<String>>,
    pub fields: Json<serde_json::Value>,
    pub caller_number: Option<String>,
    pub duration_seconds: Option<i32>,
    /// Fixed when received, in the campaign's currency.
    pub payout: rust_decimal::Decimal,
    /// What it earns the partner now: the payout once approved, else 0.
    pub earned: rust_decimal::Decimal,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    organization_id: uuid::Uuid,
    #[graphql(skip)]
    partner_uuid: uuid::Uuid,
    #[graphql(skip)]
    history: Option<Vec<lead_history::Model>>,
}

impl From<lead::Model> for Lead {
    fn from(l: lead::Model) -> Self {
        Self {
            id: ids::id(l.id),
            campaign_id: ids::id(l.campaign_id),
            partner_id: ids::id(l.partner_id),
            kind: l.kind.into(),
            status: l.status.into(),
            reason: l.reason.clone(),
            reason_code: l.reason_code.clone(),
            external_id: l.external_id.clone(),
            click_id: l.click_id.map(ids::id),
            sub_ids: vec![l.sub1.clone(), l.sub2.clone(), l.sub3.clone(), l.sub4.clone(), l.sub5.clone()],
            fields: Json(serde_json::from_str(&l.fields).unwrap_or_default()),
            caller_number: l.caller_number.clone(),
            duration_seconds: l.duration_seconds,
            payout: Money::from_units(l.payout).amount(),
            earned: Money::from_units(leads::earned(&l)).amount(),
            created_at: l.created_at,
            updated_at: l.updated_at,
            organization_id: l.organization_id,
            partner_uuid: l.partner_id,
            history: None,
        }
    }
}

/// Loads the partners of a page of leads in one query.
pub struct PartnerLoader(pub Services);

impl async_graphql::dataloader::Loader<uuid::Uuid> for PartnerLoader {
    type Value = partnerdesk_services::partners::Partner;
    type Error = crate::error::ApiError;

    async fn load(
        &self,
        keys: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, Self::Value>, Self::Error> {
        Ok(partnerdesk_services::partners::by_ids(&self.0, keys).await?.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// Who sent a lead.
#[derive(SimpleObject)]
pub struct LeadPartner {
    pub id: ID,
    pub email: String,
    pub name: Option<String>,
}

impl From<partnerdesk_services::partners::Partner> for LeadPartner {
    fn from(p: partnerdesk_services::partners::Partner) -> Self {
        LeadPartner { id: ids::id(p.id), email: p.email, name: p.name }
    }
}

#[ComplexObject]
impl Lead {
    async fn partner(&self, ctx: &Context<'_>) -> Res<LeadPartner> {
        let p = load_one::<PartnerLoader>(ctx, self.partner_uuid).await?.ok_or(Error::NotFound("Marketing partner"))?;
        Ok(p.into())
    }

    /// The partner's dispute of its rejection or return, if any.
    async fn dispute(&self, ctx: &Context<'_>) -> Res<Option<crate::quality::LeadDispute>> {
        let id = ids::parse(&self.id, "Lead")?;
        Ok(load_one::<crate::quality::DisputeLoader>(ctx, id).await?.map(Into::into))
    }

    /// Every status change, oldest first (the first is its receipt).
    async fn history(&self, ctx: &Context<'_>) -> Res<Vec<LeadEvent>> {
        if let Some(h) = &self.history {
            return Ok(h.iter().cloned().map(LeadEvent::from).collect());
        }
        let id = ids::parse(&self.id, "Lead")?;
        // The lead itself was read with the caller's rights; its history is read by its own partner record.
        let own = authz::Membership { organization_id: self.organization_id, partner_id: self.partner_uuid };
        let (_, h) = leads::get(services(ctx)?, &authz::Audience::Partner(vec![own]), id).await?;
        Ok(h.into_iter().map(LeadEvent::from).collect())
    }
}

#[derive(InputObject)]
pub struct SubmitLeadInput {
    pub campaign_id: ID,
    #[graphql(name = "type")]
    pub kind: LeadType,
    pub external_id: Option<String>,
    pub click_id: Option<ID>,
    /// `{"sub1": "..", .., "sub5": ".."}`
    pub sub_ids: Option<Json<serde_json::Map<String, serde_json::Value>>>,
    /// The form's fields: strings, numbers, booleans.
    pub fields: Option<Json<serde_json::Map<String, serde_json::Value>>>,
    /// Calls: the caller's number, e.g. +12125550123.
    pub caller_number: Option<String>,
    /// Calls: the call's length.
    pub duration_seconds: Option<i64>,
    /// A test lead, as `"test": true` over REST: checked and answered exactly as a real one (`CAP_REACHED` and
    /// `DUPLICATE_LEAD` included), and nothing is stored, counted or sent; the lead answered is what would have been.
    pub test: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct LeadFilterInput {
    /// One advertiser's leads, for a partner that works with several.
    pub organization_id: Option<ID>,
    pub campaign_id: Option<ID>,
    pub partner_id: Option<ID>,
    pub status: Option<LeadStatus>,
    /// Leads with a dispute in this state (`OPEN`: waiting for your answer).
    pub dispute: Option<crate::quality::DisputeStatus>,
    #[graphql(name = "type")]
    pub kind: Option<LeadType>,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
}

fn filter(f: LeadFilterInput) -> Res<LeadFilter> {
    Ok(LeadFilter {
        organization_id: f.organization_id.as_ref().map(|o| ids::parse(o, "Organization")).transpose()?,
        campaign_id: f.campaign_id.as_ref().map(|c| ids::parse(c, "Campaign")).transpose()?,
        partner_id: f.partner_id.as_ref().map(|p| ids::parse(p, "Marketing partner")).transpose()?,
        status: f.status.map(Into::into),
        dispute: f.dispute.map(Into::into),
        kind: f.kind.map(Into::into),
        from: f.from,
        to: f.to,
    })
}

#[derive(Default)]
pub struct TrafficQuery;

#[Object]
impl TrafficQuery {
    /// Your account's API keys and reporting tokens, newest first.
    async fn api_keys(&self, ctx: &Context<'_>) -> Res<Vec<ApiKey>> {
        let p = authz::signed_in(actor(ctx))?;
        Ok(api_keys::list(services(ctx)?, p).await?.into_iter().map(ApiKey::from).collect())
    }

    /// Your organization's leads, newest first.
    async fn leads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "None: every lead.")] filter: Option<LeadFilterInput>,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Res<Connection<String, Lead, TotalCount>> {
        let scope = authz::owner(actor(ctx))?;
        let (first, after_id) = ids::page_args(first, after.as_deref())?;
        let audience = authz::Audience::Organization(scope.organization_id());
        let page =
            leads::list(services(ctx)?, &audience, self::filter(filter.unwrap_or_default())?, first, after_id).await?;
        Ok(connection(page, after_id.is_some(), |l| l.id, Lead::from))
    }

    /// The signed-in partner's own leads with every advertiser (or `filter.organizationId`'s), newest first.
    async fn my_leads(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "None: every lead.")] filter: Option<LeadFilterInput>,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Res<Connection<String, Lead, TotalCount>> {
        let scope = authz::partner(actor(ctx))?;
        let (first, after_id) = ids::page_args(first, after.as_deref())?;
        let audience = authz::Audience::Partner(scope.memberships().to_vec());
        let page =
            leads::list(services(ctx)?, &audience, self::filter(filter.unwrap_or_default())?, first, after_id).await?;
        Ok(connection(page, after_id.is_some(), |l| l.id, Lead::from))
    }

    /// One lead with its history: an owner's organization's, or a partner's own.
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> Res<Lead> {
        let s = services(ctx)?;
        let id = ids::parse(&id, "Lead")?;
        // An account that owns an organization and partners with others sees both kinds of lead.
        for audience in authz::audiences(actor(ctx))? {
            match leads::get(s, &audience, id).await {
                Err(Error::NotFound(_)) => continue,
                found => {
                    let (l, h) = found?;
                    return Ok(Lead { history: Some(h), ..Lead::from(l) });
                }
            }
        }
        Err(Error::NotFound("Lead").into())
    }
}

#[derive(Default)]
pub struct TrafficMutation;

#[Object]
impl TrafficMutation {
    /// A new key for the signed-in account: with scope LEADS (the default) it sends leads to every advertiser the
    /// account partners with and decides on the leads of the organization it owns, over REST; with scope REPORTS it
    /// is a read-only personal access token for reports. `organizationId` limits it to one of the account's
    /// organizations.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(desc = "LEADS when omitted.")] scope: Option<ApiKeyScope>,
        organization_id: Option<ID>,
    ) -> Res<CreatedApiKey> {
        let p = authz::signed_in(actor(ctx))?;
        let org = organization_id.as_ref().map(|o| ids::parse(o, "Organization")).transpose()?;
        let (k, key) = api_keys::create(services(ctx)?, p, &name, scope.unwrap_or_default().into(), org).await?;
        Ok(CreatedApiKey { api_key: k.into(), key })
    }

    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Res<ApiKey> {
        let p = authz::signed_in(actor(ctx))?;
        Ok(api_keys::revoke(services(ctx)?, p, ids::parse(&id, "API key")?).await?.into())
    }

    /// Sends a lead as the signed-in partner, like `POST /v1/leads`.
    async fn submit_lead(&self, ctx: &Context<'_>, input: SubmitLeadInput) -> Res<Lead> {
        let sender = authz::sender(actor(ctx))?;
        let s = services(ctx)?;
        let sub_ids = input
            .sub_ids
            .map(|m| {
                m.0.into_iter()
                    .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let new = NewLead {
            campaign_id: input.campaign_id.0,
            kind: match input.kind {
                LeadType::Form => "form",
                LeadType::Call => "call",
            }
            .to_owned(),
            external_id: input.external_id,
            click_id: input.click_id.map(|c| c.0),
            sub_ids,
            fields: input.fields.map(|f| f.0).unwrap_or_default(),
            caller_number: input.caller_number,
            duration_seconds: input.duration_seconds,
            test: input.test.unwrap_or(false),
        };
        Ok(leads::submit(s, &sender, new).await?.into())
    }

    /// Approves, rejects (with a reason the partner sees), converts or returns (with `reasonCode`, one of
    /// `returnReasons`; `OTHER` needs a `reason`) up to 500 leads, all or none.
    async fn set_lead_status(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        status: LeadStatus,
        reason: Option<String>,
        reason_code: Option<String>,
    ) -> Res<Vec<Lead>> {
        let scope = authz::owner(actor(ctx))?;
        let ids = ids.iter().map(|i| ids::parse(i, "Lead")).collect::<Result<Vec<_>, _>>()?;
        let (reason, code) = (reason.as_deref(), reason_code.as_deref());
        let updated = leads::set_status(services(ctx)?, &scope, &ids, status.into(), reason, code).await?;
        Ok(updated.into_iter().map(Lead::from).collect())
    }
}
