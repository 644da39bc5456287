//! Partner postbacks over GraphQL: the settings, the delivery log, tests, retries and replays. Partners manage their
//! own; an owner sees, read-only, those of its partners that apply to its campaigns, and their attempts for its
//! campaigns' events.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_services::authz;
use partnerdesk_services::delivery::postbacks::{self, PostbackInput as Input, Reader};
use partnerdesk_services::delivery::{Event, MACROS};
use partnerdesk_storage::entities::delivery::Status;
use partnerdesk_storage::entities::{delivery_attempt, postback};

use crate::error::Res;
use crate::ids;
use crate::query::actor;
use crate::types::{TotalCount, connection, services};

/// What a postback is sent for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PostbackEvent {
    /// A lead was accepted (`{event}` is `lead.received`).
    LeadReceived,
    LeadApproved,
    /// `{reason}` carries the owner's reason.
    LeadRejected,
    LeadConverted,
    /// A click on the tracking link was counted (`click.counted`).
    ClickCounted,
    /// An approved or converted lead was returned (`lead.returned`): `{payout}` is the payout taken back, negative;
    /// `{reason}` the owner's reason.
    LeadReturned,
}

impl From<PostbackEvent> for Event {
    fn from(e: PostbackEvent) -> Self {
        match e {
            PostbackEvent::LeadReceived => Event::LeadReceived,
            PostbackEvent::LeadApproved => Event::LeadApproved,
            PostbackEvent::LeadRejected => Event::LeadRejected,
            PostbackEvent::LeadConverted => Event::LeadConverted,
            PostbackEvent::ClickCounted => Event::ClickCounted,
            PostbackEvent::LeadReturned => Event::LeadReturned,
        }
    }
}

impl PostbackEvent {
    fn of(e: Event) -> Option<Self> {
        Some(match e {
            Event::LeadReceived => Self::LeadReceived,
            Event::LeadApproved => Self::LeadApproved,
            Event::LeadRejected => Self::LeadRejected,
            Event::LeadConverted => Self::LeadConverted,
            Event::ClickCounted => Self::ClickCounted,
            Event::LeadReturned => Self::LeadReturned,
            Event::Test => return None,
        })
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
#[graphql(remote = "partnerdesk_storage::entities::postback::Method")]
pub enum PostbackMethod {
    /// The values go in the URL.
    #[default]
    Get,
    /// POST with an `application/x-www-form-urlencoded` body.
    PostForm,
    /// POST with an `application/json` body.
    PostJson,
}

/// A URL of your tracker that Partnerdesk calls when your traffic's events happen.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Postback {
    pub id: ID,
    /// The one campaign it is for; null: all your campaigns, with every advertiser.
    pub campaign_id: Option<ID>,
    pub events: Vec<PostbackEvent>,
    pub method: PostbackMethod,
    /// With `{macro}` placeholders, each value percent-encoded.
    pub url: String,
    /// POST only: the body template; null sends every macro (as a form or a JSON object).
    pub body: Option<String>,
    /// False after 20 failures in a row (you were emailed) or when you disabled it; its deliveries wait.
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Failed attempts in a row.
    pub consecutive_failures: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl Postback {
    /// Deliveries waiting to go (due now or at their next retry).
    async fn pending_deliveries(&self, ctx: &Context<'_>) -> Res<u64> {
        let id = ids::parse(&self.id, "Postback")?;
        Ok(postbacks::deliveries_in(services(ctx)?, id, Status::Pending).await?)
    }

    /// Deliveries given up: refused by your tracker, or failing for 24 hours. "Retry now" or a replay sends them again.
    async fn failed_deliveries(&self, ctx: &Context<'_>) -> Res<u64> {
        let id = ids::parse(&self.id, "Postback")?;
        Ok(postbacks::deliveries_in(services(ctx)?, id, Status::Failed).await?)
    }
}

impl From<postback::Model> for Postback {
    fn from(p: postback::Model) -> Self {
        Self {
            id: ids::id(p.id),
            campaign_id: p.campaign_id.map(ids::id),
            events: Event::set(p.events).into_iter().filter_map(PostbackEvent::of).collect(),
            method: p.method.into(),
            url: p.url,
            body: p.body,
            enabled: p.disabled_at.is_none(),
            disabled_at: p.disabled_at,
            consecutive_failures: p.consecutive_failures,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct PostbackInput {
    /// One campaign you are a partner on; omitted: all your campaigns.
    pub campaign_id: Option<ID>,
    /// At least one.
    pub events: Vec<PostbackEvent>,
    #[graphql(default)]
    pub method: PostbackMethod,
    /// `http` or `https`, at most 2,048 characters, a public address. Macros: see `postbackMacros`.
    pub url: String,
    /// POST only. For `POST_JSON`, valid JSON once the macros are filled in (put them inside quotes).
    pub body: Option<String>,
}

impl PostbackInput {
    fn into_input(self) -> Res<Input> {
        Ok(Input {
            campaign_id: self.campaign_id.as_ref().map(|c| ids::parse(c, "Campaign")).transpose()?,
            events: self.events.into_iter().map(Into::into).collect(),
            method: self.method.into(),
            url: self.url,
            body: self.body,
        })
    }
}

/// One attempt to deliver an event to a postback, as the log shows it.
#[derive(SimpleObject)]
pub struct DeliveryAttempt {
    pub id: ID,
    /// The lead history step, click or test the attempt reported.
    pub event_id: ID,
    /// `{delivery_id}` as sent: the same for every attempt of the event.
    pub delivery_id: ID,
    /// `lead.received`, `lead.approved`, `lead.rejected`, `lead.converted`, `click.counted` or `test`.
    pub event: String,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub method: String,
    /// As sent, with secret query values masked.
    pub url: String,
    /// Null when no answer came.
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// The first 1 KiB of the answer.
    pub response: Option<String>,
    pub error: Option<String>,
    /// When it is tried again; null when this attempt ended the delivery.
    pub next_retry_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

impl From<delivery_attempt::Model> for DeliveryAttempt {
    fn from(a: delivery_attempt::Model) -> Self {
        Self {
            id: ids::id(a.id),
            event_id: ids::id(a.event_id),
            delivery_id: ids::id(postbacks::delivery_id(a.destination_id, a.event_id)),
            event: a.event,
            attempt: a.attempt,
            method: a.method,
            url: a.url,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response: a.response,
            error: a.error,
            next_retry_at: a.next_retry_at,
            at: a.created_at,
        }
    }
}

#[derive(Default)]
pub struct PostbackQuery;

#[Object]
impl PostbackQuery {
    /// Your postbacks, oldest first.
    async fn postbacks(&self, ctx: &Context<'_>) -> Res<Vec<Postback>> {
        let scope = authz::partner(actor(ctx))?;
        Ok(postbacks::mine(services(ctx)?, &scope).await?.into_iter().map(Into::into).collect())
    }

    /// The postbacks of one of your organization's partners that apply to your campaigns (read-only).
    async fn partner_postbacks(&self, ctx: &Context<'_>, partner_id: ID) -> Res<Vec<Postback>> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&partner_id, "Marketing partner")?;
        Ok(postbacks::of_partner(services(ctx)?, &scope, id).await?.into_iter().map(Into::into).collect())
    }

    /// A postback's delivery log, newest first: yours, or, as an owner, a partner's attempts for your campaigns.
    async fn postback_deliveries(
        &self,
        ctx: &Context<'_>,
        postback_id: ID,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Res<Connection<String, DeliveryAttempt, TotalCount>> {
        let (partner, owner) = authz::postback_readers(actor(ctx))?;
        let readers: Vec<Reader<'_>> =
            partner.iter().map(Reader::Partner).chain(owner.iter().map(Reader::Owner)).collect();
        let (first, after) = ids::page_args(first, after.as_deref())?;
        let id = ids::parse(&postback_id, "Postback")?;
        let page = postbacks::log(services(ctx)?, &readers, id, first, after).await?;
        Ok(connection(page, after.is_some(), |a| a.id, DeliveryAttempt::from))
    }

    /// The macros postback URLs and bodies may hold, e.g. `{lead_id}`.
    async fn postback_macros(&self) -> Vec<String> {
        MACROS.iter().map(|m| format!("{{{m}}}")).collect()
    }
}

#[derive(Default)]
pub struct PostbackMutation;

#[Object]
impl PostbackMutation {
    /// Adds a postback; the URL's address is checked now and again at every send.
    async fn create_postback(&self, ctx: &Context<'_>, input: PostbackInput) -> Res<Postback> {
        let scope = authz::partner(actor(ctx))?;
        Ok(postbacks::create(services(ctx)?, &scope, input.into_input()?).await?.into())
    }

    async fn update_postback(&self, ctx: &Context<'_>, id: ID, input: PostbackInput) -> Res<Postback> {
        let scope = authz::partner(actor(ctx))?;
        let id = ids::parse(&id, "Postback")?;
        Ok(postbacks::update(services(ctx)?, &scope, id, input.into_input()?).await?.into())
    }

    /// Pauses a postback (its deliveries wait) or enables it again: what is due goes out.
    async fn set_postback_enabled(&self, ctx: &Context<'_>, id: ID, enabled: bool) -> Res<Postback> {
        let scope = authz::partner(actor(ctx))?;
        let id = ids::parse(&id, "Postback")?;
        Ok(postbacks::set_enabled(services(ctx)?, &scope, id, enabled).await?.into())
    }

    /// Deletes a postback, its waiting deliveries and its log.
    async fn delete_postback(&self, ctx: &Context<'_>, id: ID) -> Res<bool> {
        let scope = authz::partner(actor(ctx))?;
        postbacks::delete(services(ctx)?, &scope, ids::parse(&id, "Postback")?).await?;
        Ok(true)
    }

    /// Sends a test event with sample values; the attempt shows in the log. Returns the test's event id.
    async fn send_test_postback(&self, ctx: &Context<'_>, id: ID) -> Res<ID> {
        let scope = authz::partner(actor(ctx))?;
        Ok(ids::id(postbacks::send_test(services(ctx)?, &scope, ids::parse(&id, "Postback")?).await?))
    }

    /// Sends one event to the postback again now (a failed delivery, or one waiting for its next retry).
    async fn retry_postback_delivery(&self, ctx: &Context<'_>, postback_id: ID, event_id: ID) -> Res<bool> {
        let scope = authz::partner(actor(ctx))?;
        let id = ids::parse(&postback_id, "Postback")?;
        postbacks::retry(services(ctx)?, &scope, id, ids::parse(&event_id, "Delivery")?).await?;
        Ok(true)
    }

    /// Sends again every event of a period (at most 31 days) that the postback wants, to this postback only: for a
    /// tracker that was down or is new. Returns how many events were queued.
    async fn replay_postback(&self, ctx: &Context<'_>, id: ID, from: DateTime<Utc>, to: DateTime<Utc>) -> Res<u64> {
        let scope = authz::partner(actor(ctx))?;
        Ok(postbacks::replay(services(ctx)?, &scope, ids::parse(&id, "Postback")?, from, to).await?)
    }
}
