//! Lead quality over GraphQL: a campaign's declared fields, duplicate rules, and the posting instructions partners
//! read.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_domain::fields::{FieldSpec, FieldType, UnknownFields};
use partnerdesk_services::quality::{self, DuplicateRule as Rule, DuplicateScope as Scope};
use partnerdesk_services::{authz, disputes};
use partnerdesk_storage::entities::lead_dispute;

use crate::error::Res;
use crate::ids;
use crate::query::actor;
use crate::types::{Campaign, services};

/// What a lead field holds; values are normalised before they are stored.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "FieldType")]
pub enum LeadFieldType {
    Text,
    /// Stored lower-case.
    Email,
    /// Stored as E.164 (`+12125550100`); national numbers are read in the campaign's `phoneCountry`.
    Phone,
    /// Five digits (ZIP+4 is cut to five).
    UsZip,
    /// Two-letter code, upper-case.
    UsState,
    /// ISO 3166-1 alpha-2, upper-case.
    Country,
    Integer,
    /// Exact; stored as a string.
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    Boolean,
    /// One of `values` (matched in any case, stored as declared).
    Enum,
    /// `http` or `https`.
    Url,
    /// The version of the consent text the consumer agreed to.
    ConsentVersion,
    /// The consent certificate's `https` URL (TrustedForm, Jornaya).
    ConsentProof,
}

/// What happens to a lead's fields the campaign does not declare.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "UnknownFields")]
pub enum UnknownFieldsPolicy {
    Keep,
    /// `VALIDATION` with `UNKNOWN_FIELD` for each.
    Refuse,
}

/// One field a campaign's leads carry.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "LeadFieldInput")]
pub struct LeadField {
    /// The key in a lead's `fields`: letters, digits and `_`, starting with a letter.
    pub key: String,
    pub label: String,
    #[graphql(name = "type")]
    pub kind: LeadFieldType,
    pub required: bool,
    /// For text-like types (text, email, url, consent): the longest value, up to 10,000.
    pub max_length: Option<u32>,
    /// An enum's allowed values.
    #[graphql(default)]
    pub values: Vec<String>,
}

impl From<FieldSpec> for LeadField {
    fn from(f: FieldSpec) -> Self {
        Self {
            key: f.key,
            label: f.label,
            kind: f.kind.into(),
            required: f.required,
            max_length: f.max_length,
            values: f.values,
        }
    }
}

impl From<LeadField> for FieldSpec {
    fn from(f: LeadField) -> Self {
        Self {
            key: f.key.trim().to_owned(),
            label: f.label.trim().to_owned(),
            kind: f.kind.into(),
            required: f.required,
            max_length: f.max_length,
            values: f.values,
        }
    }
}

/// Where a duplicate is sought.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "Scope")]
pub enum DuplicateScope {
    /// Leads of the same campaign.
    Campaign,
    /// Leads of every campaign of the organization.
    Organization,
}

/// Who counts as the same person: a lead whose value of any of `fields` matches a lead accepted within the window
/// is refused with `DUPLICATE_LEAD`.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "DuplicateRuleInput")]
pub struct DuplicateRule {
    /// Field keys, each enough on its own (`phone`, or `email`); `callerNumber` is a call's number.
    pub fields: Vec<String>,
    /// Hours a first lead blocks its matches (1 to 87,600); empty: forever.
    pub window_hours: Option<i64>,
    pub scope: DuplicateScope,
}

impl From<Rule> for DuplicateRule {
    fn from(r: Rule) -> Self {
        Self { fields: r.fields, window_hours: r.window_hours, scope: r.scope.into() }
    }
}

impl From<DuplicateRule> for Rule {
    fn from(r: DuplicateRule) -> Self {
        Self {
            fields: r.fields.into_iter().map(|f| f.trim().to_owned()).collect(),
            window_hours: r.window_hours,
            scope: r.scope.into(),
        }
    }
}

#[derive(InputObject)]
pub struct LeadFieldsInput {
    /// The full list, in the order forms and instructions show it; empty: free-form fields.
    pub fields: Vec<LeadField>,
    #[graphql(default_with = "UnknownFieldsPolicy::Keep")]
    pub unknown_fields: UnknownFieldsPolicy,
    /// ISO 3166-1 alpha-2: national phone numbers are read as this country's (default US).
    #[graphql(default_with = "String::from(\"US\")")]
    pub phone_country: String,
}

/// How to post leads to one campaign, generated from its declared fields.
#[derive(SimpleObject)]
pub struct PostingInstructions {
    pub campaign_id: ID,
    pub campaign_name: String,
    /// `POST` leads here with an API key.
    pub endpoint: String,
    /// Empty: the campaign takes free-form fields.
    pub fields: Vec<LeadField>,
    pub unknown_fields: UnknownFieldsPolicy,
    pub phone_country: String,
    /// The campaign's rule, then the organization's.
    pub duplicate_rules: Vec<DuplicateRule>,
    /// A valid lead body.
    pub example_lead: Json<serde_json::Value>,
    /// A `curl` command sending the example as a test lead (`X-Test-Lead: 1`).
    pub curl: String,
    /// All of it as a Markdown document, for download.
    pub markdown: String,
}

/// A reason an owner may return a lead for; `OTHER` is always there and needs a text.
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "ReturnReasonInput")]
pub struct ReturnReason {
    /// `A-Z`, digits and `_`, such as `BAD_CONTACT_DATA`.
    pub code: String,
    pub label: String,
}

/// Where a dispute stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "lead_dispute::Status")]
pub enum DisputeStatus {
    /// Waiting for the owner's answer.
    Open,
    /// The decision stays; the owner replied why.
    Upheld,
    /// The lead went back to its status before the decision (a return's payout restored).
    Reversed,
}

/// A partner's dispute of a rejection or a return, and the owner's answer.
#[derive(SimpleObject)]
pub struct LeadDispute {
    pub lead_id: ID,
    /// The decision disputed: REJECTED or RETURNED.
    pub disputed_status: crate::traffic::LeadStatus,
    pub message: String,
    pub opened_at: DateTime<Utc>,
    pub status: DisputeStatus,
    pub reply: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<lead_dispute::Model> for LeadDispute {
    fn from(d: lead_dispute::Model) -> Self {
        Self {
            lead_id: ids::id(d.lead_id),
            disputed_status: d.disputed_status.into(),
            message: d.message,
            opened_at: d.opened_at,
            status: d.status.into(),
            reply: d.reply,
            answered_at: d.answered_at,
        }
    }
}

/// Loads the disputes of a page of leads in one query.
pub struct DisputeLoader(pub partnerdesk_services::Services);

impl async_graphql::dataloader::Loader<uuid::Uuid> for DisputeLoader {
    type Value = lead_dispute::Model;
    type Error = crate::error::ApiError;

    async fn load(
        &self,
        keys: &[uuid::Uuid],
    ) -> Result<std::collections::HashMap<uuid::Uuid, Self::Value>, Self::Error> {
        Ok(disputes::of_leads(&self.0, keys).await?.into_iter().map(|d| (d.lead_id, d)).collect())
    }
}

#[derive(Default)]
pub struct QualityQuery;

#[Object]
impl QualityQuery {
    /// How to post leads to a campaign: for its owner and the partners on it.
    async fn posting_instructions(&self, ctx: &Context<'_>, campaign_id: ID) -> Res<PostingInstructions> {
        let audiences = authz::audiences(actor(ctx))?;
        let id = ids::parse(&campaign_id, "Campaign")?;
        let i = quality::instructions(services(ctx)?, &audiences, id).await?;
        Ok(PostingInstructions {
            campaign_id: ids::id(i.campaign.id),
            campaign_name: i.campaign.name,
            endpoint: i.endpoint,
            fields: i.fields.into_iter().map(Into::into).collect(),
            unknown_fields: i.unknown_fields.into(),
            phone_country: i.phone_country,
            duplicate_rules: i.duplicate_rules.into_iter().map(Into::into).collect(),
            example_lead: Json(i.example),
            curl: i.curl,
            markdown: i.markdown,
        })
    }

    /// The reasons the organization returns leads for (`setLeadStatus(status: RETURNED, reasonCode)`).
    async fn return_reasons(&self, ctx: &Context<'_>) -> Res<Vec<ReturnReason>> {
        let scope = authz::owner(actor(ctx))?;
        let reasons = quality::return_reasons(services(ctx)?, scope.organization_id()).await?;
        Ok(reasons.into_iter().map(|r| ReturnReason { code: r.code, label: r.label }).collect())
    }

    /// Disputes waiting for an answer: for the owner, its organization's; for a partner (`as: PARTNER`), its own.
    async fn open_disputes(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "as")] role: Option<crate::types::Role>,
    ) -> Res<u64> {
        // A signed-in account (not a reporting token), read as its owner or partner side.
        authz::signed_in(actor(ctx))?;
        let audience = authz::reader(actor(ctx), role.map(Into::into))?;
        Ok(disputes::open_count(services(ctx)?, &audience).await?)
    }

    /// The organization's duplicate rule, applied to every campaign beside the campaign's own.
    async fn organization_duplicate_rule(&self, ctx: &Context<'_>) -> Res<Option<DuplicateRule>> {
        let scope = authz::owner(actor(ctx))?;
        Ok(quality::organization_rule(services(ctx)?, &scope).await?.map(Into::into))
    }
}

#[derive(Default)]
pub struct QualityMutation;

#[Object]
impl QualityMutation {
    /// Declares what a campaign's leads carry; leads that do not are refused with every failing field named.
    async fn set_lead_fields(&self, ctx: &Context<'_>, campaign_id: ID, input: LeadFieldsInput) -> Res<Campaign> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&campaign_id, "Campaign")?;
        let specs = input.fields.into_iter().map(Into::into).collect();
        let c =
            quality::set_fields(services(ctx)?, &scope, id, specs, input.unknown_fields.into(), &input.phone_country)
                .await?;
        Ok(c.into())
    }

    /// Replaces the organization's return reasons (`OTHER` stays, last). Returns the list now in force.
    async fn set_return_reasons(&self, ctx: &Context<'_>, reasons: Vec<ReturnReason>) -> Res<Vec<ReturnReason>> {
        let scope = authz::owner(actor(ctx))?;
        let list = reasons.into_iter().map(|r| quality::ReturnReason { code: r.code, label: r.label }).collect();
        let set = quality::set_return_reasons(services(ctx)?, &scope, list).await?;
        Ok(set.into_iter().map(|r| ReturnReason { code: r.code, label: r.label }).collect())
    }

    /// Disputes your rejected or returned lead, once, within the campaign's return window from the decision.
    async fn dispute_lead(&self, ctx: &Context<'_>, lead_id: ID, message: String) -> Res<LeadDispute> {
        let scope = authz::partner(actor(ctx))?;
        let id = ids::parse(&lead_id, "Lead")?;
        Ok(disputes::open(services(ctx)?, &scope, id, &message).await?.into())
    }

    /// Answers a dispute: `reverse: false` upholds the decision (a reply is required), `reverse: true` sends the lead
    /// back to its status before it (a return's payout restored).
    async fn answer_dispute(
        &self,
        ctx: &Context<'_>,
        lead_id: ID,
        reverse: bool,
        reply: Option<String>,
    ) -> Res<LeadDispute> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&lead_id, "Lead")?;
        let (d, _) = disputes::answer(services(ctx)?, &scope, id, reverse, reply.as_deref()).await?;
        Ok(d.into())
    }

    /// Sets the duplicate rule of a campaign, or without `campaignId` of the organization (every campaign); without
    /// `rule`, removes it. Returns the rule now in force there.
    async fn set_duplicate_rule(
        &self,
        ctx: &Context<'_>,
        campaign_id: Option<ID>,
        rule: Option<DuplicateRule>,
    ) -> Res<Option<DuplicateRule>> {
        let scope = authz::owner(actor(ctx))?;
        let id = campaign_id.map(|c| ids::parse(&c, "Campaign")).transpose()?;
        Ok(quality::set_rule(services(ctx)?, &scope, id, rule.map(Into::into)).await?.map(Into::into))
    }
}
