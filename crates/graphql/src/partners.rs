//! Marketing partners: the owner's Marketing Partners tab and single view, the invitation flow, the partner portal.

use std::collections::HashMap;

use async_graphql::connection::Connection;
use async_graphql::dataloader::Loader;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_domain::Money;
use partnerdesk_services::delivery::outbox;
use partnerdesk_services::partners::{self, Assignment, CapInput, EffectiveStatus, Partner};
use partnerdesk_services::{authz, invitations};
use partnerdesk_storage::entities::{campaign, cap, email_outbox, marketing_partner};

use crate::error::Res;
use crate::ids;
use crate::mutation::deliver;
use crate::query::actor;
use crate::types::{AuthPayload, Campaign, TotalCount, connection, load_one, services};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::cap::Metric")]
pub enum CapMetric {
    Click,
    Form,
    Call,
}

/// GLOBAL: ever. DAILY: since midnight, MONTHLY: since the first of the month, both in the campaign's time zone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::cap::Period")]
pub enum CapWindow {
    Global,
    Daily,
    Monthly,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::marketing_partner::Status")]
pub enum PartnerStatus {
    /// Invited, not registered yet.
    Invited,
    Active,
    Paused,
    /// The invitation was withdrawn.
    Revoked,
}

impl From<EffectiveStatus> for PartnerStatus {
    fn from(s: EffectiveStatus) -> Self {
        match s {
            EffectiveStatus::Invited => Self::Invited,
            EffectiveStatus::Active => Self::Active,
            EffectiveStatus::Paused => Self::Paused,
            EffectiveStatus::Revoked => Self::Revoked,
        }
    }
}

fn effective(s: PartnerStatus) -> EffectiveStatus {
    match s {
        PartnerStatus::Invited => EffectiveStatus::Invited,
        PartnerStatus::Active => EffectiveStatus::Active,
        PartnerStatus::Paused => EffectiveStatus::Paused,
        PartnerStatus::Revoked => EffectiveStatus::Revoked,
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::email_outbox::Status")]
pub enum DeliveryStatus {
    /// Queued or being retried.
    Pending,
    Sent,
    /// Every attempt failed: send the invitation again.
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_storage::entities::email_outbox::Kind")]
pub enum EmailKind {
    Invitation,
    Assignment,
    /// The partner's postback was disabled after failing repeatedly.
    Postback,
    /// A webhook endpoint was disabled after failing repeatedly.
    Webhook,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum InvitationState {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

#[derive(SimpleObject, Clone)]
pub struct Cap {
    pub metric: CapMetric,
    pub window: CapWindow,
    pub limit: i64,
}

impl From<cap::Model> for Cap {
    fn from(c: cap::Model) -> Self {
        Self { metric: c.metric.into(), window: c.period.into(), limit: c.limit_count }
    }
}

#[derive(InputObject, Clone, Copy)]
#[graphql(name = "CapInput")]
pub struct CapInputGql {
    pub metric: CapMetric,
    pub window: CapWindow,
    /// A whole number of 1 or more.
    pub limit: i64,
}

fn cap_inputs(caps: &[CapInputGql]) -> Vec<CapInput> {
    caps.iter().map(|c| CapInput { metric: c.metric.into(), period: c.window.into(), limit: c.limit }).collect()
}

/// A marketing partner of your organization.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MarketingPartner {
    pub id: ID,
    pub email: String,
    /// Given at registration.
    pub name: Option<String>,
    pub status: PartnerStatus,
    pub invited_at: DateTime<Utc>,
    pub registered_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub row: Partner,
    /// Its campaigns, when the page that lists it read them for all its partners at once.
    #[graphql(skip)]
    campaigns: Option<<AssignmentsLoader as Loader<uuid::Uuid>>::Value>,
}

impl From<Partner> for MarketingPartner {
    fn from(p: Partner) -> Self {
        Self {
            id: ids::id(p.id),
            email: p.email.clone(),
            name: p.name.clone(),
            status: p.status.into(),
            invited_at: p.created_at,
            registered_at: p.registered_at,
            row: p,
            campaigns: None,
        }
    }
}

#[ComplexObject]
impl MarketingPartner {
    /// The campaigns this partner is on, with its caps on each.
    async fn campaigns(&self, ctx: &Context<'_>) -> Res<Vec<PartnerAssignment>> {
        let rows = match &self.campaigns {
            Some(rows) => rows.clone(),
            None => load_one::<AssignmentsLoader>(ctx, self.row.id).await?.unwrap_or_default(),
        };
        Ok(rows
            .into_iter()
            .map(|(a, c, caps, usage)| PartnerAssignment::new(a, self.row.clone(), Some(c), caps, usage))
            .collect())
    }

    /// Every invitation, newest first, with the delivery status of its latest email.
    async fn invitations(&self, ctx: &Context<'_>) -> Res<Vec<Invitation>> {
        let s = services(ctx)?;
        let rows = partners::invitations_of(s, self.row.id).await?;
        let ids: Vec<_> = rows.iter().map(|i| i.id).collect();
        let mut latest = outbox::latest_for_invitations(s, &ids).await?;
        let now = s.clock.now();
        Ok(rows.into_iter().map(|i| Invitation::new(&i, latest.remove(&i.id), now)).collect())
    }

    /// Every email sent to this partner, newest first.
    async fn emails(&self, ctx: &Context<'_>) -> Res<Vec<EmailDelivery>> {
        Ok(partners::emails_of(services(ctx)?, self.row.id).await?.into_iter().map(EmailDelivery::from).collect())
    }
}

/// A partner on a campaign.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PartnerAssignment {
    /// This partner's payout overrides; null: the campaign's payout applies.
    pub click_payout_override: Option<rust_decimal::Decimal>,
    pub form_payout_override: Option<rust_decimal::Decimal>,
    pub call_payout_override: Option<rust_decimal::Decimal>,
    pub id: ID,
    /// All things considered: INVITED until registered, PAUSED when paused here or everywhere.
    pub status: PartnerStatus,
    pub caps: Vec<Cap>,
    pub added_at: DateTime<Utc>,
    #[graphql(skip)]
    partner: Partner,
    #[graphql(skip)]
    campaign_row: Option<campaign::Model>,
    #[graphql(skip)]
    row: Assignment,
    #[graphql(skip)]
    usage: Vec<crate::traffic::CapUsage>,
}

impl PartnerAssignment {
    pub(crate) fn new(
        a: Assignment,
        partner: Partner,
        campaign_row: Option<campaign::Model>,
        caps: Vec<cap::Model>,
        usage: Vec<crate::traffic::CapUsage>,
    ) -> Self {
        let money = |v: Option<i64>| v.map(|u| Money::from_units(u).amount());
        Self {
            click_payout_override: money(a.click_payout),
            form_payout_override: money(a.form_payout),
            call_payout_override: money(a.call_payout),
            id: ids::id(a.id),
            status: partners::effective_status(&partner, &a).into(),
            caps: caps.into_iter().map(Cap::from).collect(),
            added_at: a.created_at,
            partner,
            campaign_row,
            row: a,
            usage,
        }
    }

    /// One assignment with its caps, after a change to it.
    async fn load(s: &partnerdesk_services::Services, partner: Partner, a: Assignment) -> Res<Self> {
        let caps = partners::caps_of(s, &[a.id]).await?.remove(&a.id).unwrap_or_default();
        let campaign = partnerdesk_services::campaigns::by_ids(s, &[a.campaign_id]).await?.into_iter().next();
        let tz = partnerdesk_services::caps::time_zone(campaign.as_ref().map_or("UTC", |c| c.time_zone.as_str()));
        let mut usage = crate::traffic::usage_by_assignment(s, caps.iter().map(|c| (c.clone(), tz)).collect()).await?;
        let usage = usage.remove(&a.id).unwrap_or_default();
        Ok(Self::new(a, partner, campaign, caps, usage))
    }

    async fn campaign_model(&self, ctx: &Context<'_>) -> Res<campaign::Model> {
        if let Some(c) = &self.campaign_row {
            return Ok(c.clone());
        }
        let scope = authz::owner(actor(ctx))?;
        Ok(partnerdesk_services::campaigns::get(services(ctx)?, &scope, self.row.campaign_id).await?)
    }
}

#[ComplexObject]
impl PartnerAssignment {
    async fn partner(&self) -> MarketingPartner {
        self.partner.clone().into()
    }

    async fn campaign(&self, ctx: &Context<'_>) -> Res<Campaign> {
        Ok(self.campaign_model(ctx).await?.into())
    }

    /// The partner's tracking link for this campaign.
    async fn tracking_url(&self, ctx: &Context<'_>) -> Res<Option<String>> {
        Ok(crate::traffic::tracking_url(services(ctx)?, &self.row))
    }

    /// How much of each cap is used in its current window.
    async fn cap_usage(&self) -> Vec<crate::traffic::CapUsage> {
        self.usage.clone()
    }
}

/// Loads the campaigns and caps of a page of partners in three queries.
pub struct AssignmentsLoader(pub partnerdesk_services::Services);

impl Loader<uuid::Uuid> for AssignmentsLoader {
    type Value = Vec<(Assignment, campaign::Model, Vec<cap::Model>, Vec<crate::traffic::CapUsage>)>;
    type Error = crate::error::ApiError;

    async fn load(&self, keys: &[uuid::Uuid]) -> Result<HashMap<uuid::Uuid, Self::Value>, Self::Error> {
        let by_partner = partners::assignments_of(&self.0, keys).await?;
        let ids: Vec<uuid::Uuid> = by_partner.values().flatten().map(|(a, _)| a.id).collect();
        let mut caps = partners::caps_of(&self.0, &ids).await?;
        let zoned = by_partner
            .values()
            .flatten()
            .flat_map(|(a, c)| {
                let tz = partnerdesk_services::caps::time_zone(&c.time_zone);
                caps.get(&a.id).into_iter().flatten().map(move |k| (k.clone(), tz))
            })
            .collect();
        let mut usage = crate::traffic::usage_by_assignment(&self.0, zoned).await?;
        Ok(by_partner
            .into_iter()
            .map(|(p, rows)| {
                let rows = rows
                    .into_iter()
                    .map(|(a, c)| {
                        let k = caps.remove(&a.id).unwrap_or_default();
                        let u = usage.remove(&a.id).unwrap_or_default();
                        (a, c, k, u)
                    })
                    .collect();
                (p, rows)
            })
            .collect())
    }
}

#[derive(SimpleObject)]
pub struct Invitation {
    pub id: ID,
    pub state: InvitationState,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// How many times it was sent (a resend counts).
    pub send_count: i32,
    pub last_sent_at: DateTime<Utc>,
    /// Of the latest email for this invitation.
    pub delivery_status: Option<DeliveryStatus>,
    pub delivery_error: Option<String>,
}

impl Invitation {
    fn new(i: &partners::Invitation, latest: Option<email_outbox::Model>, now: DateTime<Utc>) -> Self {
        let state = if i.accepted_at.is_some() {
            InvitationState::Accepted
        } else if i.revoked_at.is_some() {
            InvitationState::Revoked
        } else if i.expires_at <= now {
            InvitationState::Expired
        } else {
            InvitationState::Pending
        };
        Self {
            id: ids::id(i.id),
            state,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
            revoked_at: i.revoked_at,
            send_count: i.send_count,
            last_sent_at: i.last_sent_at,
            delivery_status: latest.as_ref().map(|e| e.status.into()),
            delivery_error: latest.and_then(|e| e.last_error),
        }
    }
}

#[derive(SimpleObject)]
pub struct EmailDelivery {
    pub id: ID,
    pub kind: EmailKind,
    pub subject: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<email_outbox::Model> for EmailDelivery {
    fn from(e: email_outbox::Model) -> Self {
        Self {
            id: ids::id(e.id),
            kind: e.kind.into(),
            subject: e.subject,
            status: e.status.into(),
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

#[derive(InputObject)]
pub struct AddMarketingPartnerInput {
    pub campaign_id: ID,
    pub email: String,
    /// Optional caps; at most one per metric and window.
    #[graphql(default)]
    pub caps: Vec<CapInputGql>,
}

#[derive(SimpleObject)]
pub struct AddMarketingPartnerPayload {
    pub assignment: PartnerAssignment,
    /// The email already belonged to a partner of your organization: it was assigned, not invited again.
    pub existing_partner: bool,
}

/// A new email registers with a name and a password. An email that already has an account accepts signed in as
/// that account (`Authorization: Bearer`); the name is then optional (the account's name when omitted).
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    pub token: String,
    /// Your name or your company's.
    pub name: Option<String>,
    /// At least 10 characters; for a new account only.
    pub password: Option<String>,
}

#[derive(SimpleObject)]
pub struct InvitationPreview {
    pub organization_name: String,
    pub email: String,
    pub campaigns: Vec<String>,
    pub expires_at: DateTime<Utc>,
    /// The invited email already has a Partnerdesk account: log in as it to accept, instead of registering.
    pub account_exists: bool,
}

/// A campaign as the partner sees it: its payouts, its caps in the campaign's time zone, its status.
#[derive(SimpleObject)]
pub struct AssignedCampaign {
    /// Send clicks here; add sub1..sub5 query parameters to tag them.
    pub tracking_url: Option<String>,
    pub cap_usage: Vec<crate::traffic::CapUsage>,
    pub id: ID,
    pub name: String,
    pub status: PartnerStatus,
    pub time_zone: String,
    pub currency: String,
    pub click_payout: rust_decimal::Decimal,
    pub form_payout: rust_decimal::Decimal,
    pub call_payout: rust_decimal::Decimal,
    pub caps: Vec<Cap>,
    /// Whose campaign it is.
    pub advertiser: crate::types::Organization,
}

/// The account's partner record with one advertiser.
#[derive(SimpleObject)]
pub struct PartnerMembership {
    /// Your partner id with this advertiser (`partnerId` of its leads and report rows).
    pub partner_id: ID,
    pub organization: crate::types::Organization,
    /// The name this advertiser sees.
    pub name: Option<String>,
    /// PAUSED when this advertiser paused your traffic on all its campaigns.
    pub status: PartnerStatus,
}

/// The partner portal: every advertiser the account works with, and all their campaigns.
#[derive(SimpleObject)]
pub struct PartnerAccount {
    pub email: String,
    pub name: Option<String>,
    /// Oldest first.
    pub advertisers: Vec<PartnerMembership>,
    pub campaigns: Vec<AssignedCampaign>,
}

#[ComplexObject]
impl Campaign {
    /// The campaign's marketing partners, newest first.
    async fn marketing_partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
        status: Option<PartnerStatus>,
        #[graphql(desc = "Part of an email or name.")] search: Option<String>,
    ) -> Res<Connection<String, PartnerAssignment, TotalCount>> {
        let scope = authz::owner(actor(ctx))?;
        let s = services(ctx)?;
        let (first, after_id) = ids::page_args(first, after.as_deref())?;
        let campaign_id = ids::parse(&self.id, "Campaign")?;
        let page = partners::list_for_campaign(
            s,
            &scope,
            campaign_id,
            status.map(effective),
            search.as_deref(),
            first,
            after_id,
        )
        .await?;
        let ids: Vec<_> = page.items.iter().map(|(a, _)| a.id).collect();
        let mut caps = partners::caps_of(s, &ids).await?;
        let tz = partnerdesk_services::caps::time_zone(&self.time_zone);
        let zoned = caps.values().flatten().map(|k| (k.clone(), tz)).collect();
        let mut usage = crate::traffic::usage_by_assignment(s, zoned).await?;
        Ok(connection(
            page,
            after_id.is_some(),
            |(a, _)| a.id,
            |(a, p)| {
                let c = caps.remove(&a.id).unwrap_or_default();
                let u = usage.remove(&a.id).unwrap_or_default();
                PartnerAssignment::new(a, p, None, c, u)
            },
        ))
    }
}

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// Every marketing partner of your organization, newest first.
    async fn marketing_partners(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
        status: Option<PartnerStatus>,
        #[graphql(desc = "Part of an email or name.")] search: Option<String>,
    ) -> Res<Connection<String, MarketingPartner, TotalCount>> {
        let scope = authz::owner(actor(ctx))?;
        let (first, after_id) = ids::page_args(first, after.as_deref())?;
        let status = status.map(marketing_partner::Status::from);
        let s = services(ctx)?;
        let page = partners::list(s, &scope, status, search.as_deref(), first, after_id).await?;
        // The page's campaigns in one batch of queries, whatever the page's size and however the resolvers of its
        // partners are scheduled (a loader's batch window can split a page in two on a busy machine).
        let look = ctx.look_ahead();
        let prefetch = look.field("nodes").field("campaigns").exists()
            || look.field("edges").field("node").field("campaigns").exists();
        let mut campaigns = HashMap::new();
        if prefetch {
            let ids: Vec<uuid::Uuid> = page.items.iter().map(|p| p.id).collect();
            campaigns = AssignmentsLoader(s.clone()).load(&ids).await?;
        }
        Ok(connection(
            page,
            after_id.is_some(),
            |p| p.id,
            |p| {
                let rows = prefetch.then(|| campaigns.remove(&p.id).unwrap_or_default());
                MarketingPartner { campaigns: rows, ..MarketingPartner::from(p) }
            },
        ))
    }

    /// The Marketing Partner Single View: profile, campaigns and caps, invitation history.
    async fn marketing_partner(&self, ctx: &Context<'_>, id: ID) -> Res<MarketingPartner> {
        let scope = authz::owner(actor(ctx))?;
        Ok(partners::get(services(ctx)?, &scope, ids::parse(&id, "Marketing partner")?).await?.into())
    }

    /// What an invitation link opens: who invites, to which campaigns, until when. Needs no sign-in.
    async fn invitation_preview(&self, ctx: &Context<'_>, token: String) -> Res<InvitationPreview> {
        let p = invitations::preview(services(ctx)?, &token).await?;
        Ok(InvitationPreview {
            organization_name: p.organization_name,
            email: p.email,
            campaigns: p.campaigns,
            expires_at: p.expires_at,
            account_exists: p.account_exists,
        })
    }

    /// The signed-in partner's advertisers and all their campaigns, with payouts and caps.
    async fn my_partner_account(&self, ctx: &Context<'_>) -> Res<PartnerAccount> {
        let scope = authz::partner(actor(ctx))?;
        let s = services(ctx)?;
        let user = partnerdesk_services::accounts::user(s, authz::signed_in(actor(ctx))?).await?;
        let portal = invitations::portal(s, &scope).await?;
        let zoned = portal
            .campaigns
            .iter()
            .flat_map(|pc| {
                let tz = partnerdesk_services::caps::time_zone(&pc.campaign.time_zone);
                pc.caps.iter().map(move |k| (k.clone(), tz))
            })
            .collect();
        let mut usage = crate::traffic::usage_by_assignment(s, zoned).await?;
        let orgs: HashMap<uuid::Uuid, crate::types::Organization> =
            portal.memberships.iter().map(|(_, o)| (o.id, o.clone().into())).collect();
        let campaigns = portal
            .campaigns
            .into_iter()
            .filter_map(|pc| {
                let (a, c) = (pc.assignment, pc.campaign);
                Some(AssignedCampaign {
                    tracking_url: crate::traffic::tracking_url(s, &a),
                    cap_usage: usage.remove(&a.id).unwrap_or_default(),
                    id: ids::id(c.id),
                    status: partners::effective_status(&pc.partner, &a).into(),
                    advertiser: orgs.get(&c.organization_id)?.clone(),
                    name: c.name,
                    time_zone: c.time_zone,
                    currency: c.currency,
                    click_payout: Money::from_units(a.click_payout.unwrap_or(c.click_payout)).amount(),
                    form_payout: Money::from_units(a.form_payout.unwrap_or(c.form_payout)).amount(),
                    call_payout: Money::from_units(a.call_payout.unwrap_or(c.call_payout)).amount(),
                    caps: pc.caps.into_iter().map(Cap::from).collect(),
                })
            })
            .collect();
        Ok(PartnerAccount {
            email: user.email,
            name: user.name,
            advertisers: portal
                .memberships
                .into_iter()
                .map(|(p, o)| PartnerMembership {
                    partner_id: ids::id(p.id),
                    organization: o.into(),
                    name: p.name,
                    status: p.status.into(),
                })
                .collect(),
            campaigns,
        })
    }
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Invites `email` to a campaign, optionally with caps, and emails a registration link. An email that is
    /// already a partner of your organization is assigned (and told by email); one already on the campaign is
    /// `CONFLICT`.
    async fn add_marketing_partner(
        &self,
        ctx: &Context<'_>,
        input: AddMarketingPartnerInput,
    ) -> Res<AddMarketingPartnerPayload> {
        let scope = authz::owner(actor(ctx))?;
        let s = services(ctx)?;
        let campaign_id = ids::parse(&input.campaign_id, "Campaign")?;
        let added = partners::add(s, &scope, campaign_id, &input.email, &cap_inputs(&input.caps)).await?;
        Ok(AddMarketingPartnerPayload {
            assignment: PartnerAssignment::load(s, added.partner, added.assignment).await?,
            existing_partner: added.existing_partner,
        })
    }

    /// Replaces the partner's caps on the campaign; takes effect on the next request.
    async fn update_partner_caps(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        partner_id: ID,
        caps: Vec<CapInputGql>,
    ) -> Res<PartnerAssignment> {
        let scope = authz::owner(actor(ctx))?;
        let s = services(ctx)?;
        let partner_id = ids::parse(&partner_id, "Marketing partner")?;
        let a = partners::update_caps(s, &scope, ids::parse(&campaign_id, "Campaign")?, partner_id, &cap_inputs(&caps))
            .await?;
        PartnerAssignment::load(s, partners::get(s, &scope, partner_id).await?, a).await
    }

    /// Pays this partner differently from the campaign's payouts (null: the campaign's). Applies to events recorded
    /// from now on; recorded ones keep their payout.
    async fn set_partner_payouts(
        &self,
        ctx: &Context<'_>,
        campaign_id: ID,
        partner_id: ID,
        click_payout: Option<rust_decimal::Decimal>,
        form_payout: Option<rust_decimal::Decimal>,
        call_payout: Option<rust_decimal::Decimal>,
    ) -> Res<PartnerAssignment> {
        let scope = authz::owner(actor(ctx))?;
        let s = services(ctx)?;
        let partner_id = ids::parse(&partner_id, "Marketing partner")?;
        let campaign_id = ids::parse(&campaign_id, "Campaign")?;
        let a =
            partners::set_payouts(s, &scope, campaign_id, partner_id, [click_payout, form_payout, call_payout]).await?;
        PartnerAssignment::load(s, partners::get(s, &scope, partner_id).await?, a).await
    }

    /// Emails the invitation again with a new link (the old link stops working); at most once a minute.
    async fn resend_invitation(&self, ctx: &Context<'_>, partner_id: ID) -> Res<MarketingPartner> {
        let scope = authz::owner(actor(ctx))?;
        Ok(partners::resend_invitation(services(ctx)?, &scope, ids::parse(&partner_id, "Marketing partner")?)
            .await?
            .into())
    }

    /// Withdraws an unanswered invitation.
    async fn revoke_invitation(&self, ctx: &Context<'_>, partner_id: ID) -> Res<MarketingPartner> {
        let scope = authz::owner(actor(ctx))?;
        Ok(partners::revoke_invitation(services(ctx)?, &scope, ids::parse(&partner_id, "Marketing partner")?)
            .await?
            .into())
    }

    /// Pauses the partner on one campaign, or on all of them when `campaignId` is omitted.
    async fn pause_partner(&self, ctx: &Context<'_>, partner_id: ID, campaign_id: Option<ID>) -> Res<MarketingPartner> {
        set_paused(ctx, partner_id, campaign_id, true).await
    }

    /// Resumes the partner on one campaign, or everywhere when `campaignId` is omitted.
    async fn resume_partner(
        &self,
        ctx: &Context<'_>,
        partner_id: ID,
        campaign_id: Option<ID>,
    ) -> Res<MarketingPartner> {
        set_paused(ctx, partner_id, campaign_id, false).await
    }

    /// Takes the partner off the campaign; adding the email again restores it.
    async fn remove_partner(&self, ctx: &Context<'_>, partner_id: ID, campaign_id: ID) -> Res<bool> {
        let scope = authz::owner(actor(ctx))?;
        partners::remove(
            services(ctx)?,
            &scope,
            ids::parse(&partner_id, "Marketing partner")?,
            ids::parse(&campaign_id, "Campaign")?,
        )
        .await?;
        Ok(true)
    }

    /// Accepts an invitation with the link's token and signs in: a new email registers (name, password); an email
    /// that already has an account must be signed in as it, and gains this advertiser. Only the invited email's
    /// account can accept (another signed-in account gets `FORBIDDEN`, naming the invited address).
    async fn accept_invitation(&self, ctx: &Context<'_>, input: AcceptInvitationInput) -> Res<AuthPayload> {
        let acceptance = invitations::Acceptance {
            token: &input.token,
            name: input.name.as_deref(),
            password: input.password.as_deref(),
        };
        let session = invitations::accept(services(ctx)?, actor(ctx), acceptance).await?;
        Ok(deliver(ctx, session))
    }
}

async fn set_paused(ctx: &Context<'_>, partner_id: ID, campaign_id: Option<ID>, paused: bool) -> Res<MarketingPartner> {
    let scope = authz::owner(actor(ctx))?;
    let campaign_id = campaign_id.as_ref().map(|c| ids::parse(c, "Campaign")).transpose()?;
    Ok(partners::set_paused(services(ctx)?, &scope, ids::parse(&partner_id, "Marketing partner")?, campaign_id, paused)
        .await?
        .into())
}
