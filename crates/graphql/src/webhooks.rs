//! Owners' webhook endpoints over GraphQL: the organization's events, signed per Standard Webhooks.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_services::authz;
use partnerdesk_services::delivery::webhooks::{self, EndpointInput, WebhookEvent as Event};
use partnerdesk_storage::entities::webhook_endpoint;

use crate::error::Res;
use crate::ids;
use crate::postbacks::DeliveryAttempt;
use crate::query::actor;
use crate::types::{TotalCount, connection, services};

/// What an endpoint is sent.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "Event")]
pub enum WebhookEvent {
    /// `lead.received`: a partner's lead was accepted.
    LeadReceived,
    /// `lead.status_changed`: a lead was approved, rejected or converted.
    LeadStatusChanged,
    /// `partner.registered`: an invited partner registered, or accepted with the account it has.
    PartnerRegistered,
    /// `partner.status_changed`: a partner was paused, resumed or removed (everywhere or on one campaign), or its
    /// invitation revoked.
    PartnerStatusChanged,
    /// `cap.reached`: a lead or click took the last unit of a partner's cap in its window.
    CapReached,
    /// `invitation.delivery_failed`: an invitation email failed after its last attempt.
    InvitationDeliveryFailed,
}

/// A URL of yours that Partnerdesk posts your organization's events to, as JSON `{"type", "timestamp", "data"}`,
/// signed per Standard Webhooks (headers `webhook-id`, `webhook-timestamp`, `webhook-signature`).
#[derive(SimpleObject)]
pub struct WebhookEndpoint {
    pub id: ID,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    /// False after 20 failures in a row (you were emailed) or when you disabled it; its deliveries wait.
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i32,
    /// Until then the secret before the last rotation signs too (a second signature in `webhook-signature`).
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<webhook_endpoint::Model> for WebhookEndpoint {
    fn from(e: webhook_endpoint::Model) -> Self {
        Self {
            id: ids::id(e.id),
            url: e.url,
            events: Event::set(e.events).into_iter().map(Into::into).collect(),
            enabled: e.disabled_at.is_none(),
            disabled_at: e.disabled_at,
            consecutive_failures: e.consecutive_failures,
            previous_secret_valid_until: e.previous_secret_until,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret, shown this once.
#[derive(SimpleObject)]
pub struct WebhookEndpointWithSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_...`: give it to your receiver's Standard Webhooks library. Not shown again; rotate it to get a new one.
    pub secret: String,
}

#[derive(InputObject)]
pub struct WebhookEndpointInput {
    /// `http` or `https`, at most 2,048 characters, a public address.
    pub url: String,
    /// At least one.
    pub events: Vec<WebhookEvent>,
}

impl From<WebhookEndpointInput> for EndpointInput {
    fn from(i: WebhookEndpointInput) -> Self {
        Self { url: i.url, events: i.events.into_iter().map(Into::into).collect() }
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Your organization's webhook endpoints, oldest first.
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Res<Vec<WebhookEndpoint>> {
        let scope = authz::owner(actor(ctx))?;
        Ok(webhooks::list(services(ctx)?, &scope).await?.into_iter().map(Into::into).collect())
    }

    /// An endpoint's delivery log, newest first.
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        #[graphql(default = 20, desc = "Page size, 1 to 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Res<Connection<String, DeliveryAttempt, TotalCount>> {
        let scope = authz::owner(actor(ctx))?;
        let (first, after) = ids::page_args(first, after.as_deref())?;
        let id = ids::parse(&endpoint_id, "Webhook endpoint")?;
        let page = webhooks::log(services(ctx)?, &scope, id, first, after).await?;
        Ok(connection(page, after.is_some(), |a| a.id, DeliveryAttempt::from))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Adds an endpoint; the answer holds its signing secret, shown this once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Res<WebhookEndpointWithSecret> {
        let scope = authz::owner(actor(ctx))?;
        let (endpoint, secret) = webhooks::create(services(ctx)?, &scope, input.into()).await?;
        Ok(WebhookEndpointWithSecret { endpoint: endpoint.into(), secret })
    }

    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: WebhookEndpointInput,
    ) -> Res<WebhookEndpoint> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&id, "Webhook endpoint")?;
        Ok(webhooks::update(services(ctx)?, &scope, id, input.into()).await?.into())
    }

    /// A new signing secret, shown this once; the previous one keeps signing beside it for 24 hours, so that you
    /// can switch your receiver without missing a message.
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, id: ID) -> Res<WebhookEndpointWithSecret> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&id, "Webhook endpoint")?;
        let (endpoint, secret) = webhooks::rotate(services(ctx)?, &scope, id).await?;
        Ok(WebhookEndpointWithSecret { endpoint: endpoint.into(), secret })
    }

    /// Pauses an endpoint (its deliveries wait) or enables it again: what is due goes out.
    async fn set_webhook_endpoint_enabled(&self, ctx: &Context<'_>, id: ID, enabled: bool) -> Res<WebhookEndpoint> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&id, "Webhook endpoint")?;
        Ok(webhooks::set_enabled(services(ctx)?, &scope, id, enabled).await?.into())
    }

    /// Deletes an endpoint, its waiting deliveries and its log.
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Res<bool> {
        let scope = authz::owner(actor(ctx))?;
        webhooks::delete(services(ctx)?, &scope, ids::parse(&id, "Webhook endpoint")?).await?;
        Ok(true)
    }

    /// Sends `{"type": "test"}`, signed; the attempt shows in the log. Returns the test's event id.
    async fn send_test_webhook(&self, ctx: &Context<'_>, id: ID) -> Res<ID> {
        let scope = authz::owner(actor(ctx))?;
        Ok(ids::id(webhooks::send_test(services(ctx)?, &scope, ids::parse(&id, "Webhook endpoint")?).await?))
    }

    /// Sends one event to the endpoint again now.
    async fn retry_webhook_delivery(&self, ctx: &Context<'_>, endpoint_id: ID, event_id: ID) -> Res<bool> {
        let scope = authz::owner(actor(ctx))?;
        let id = ids::parse(&endpoint_id, "Webhook endpoint")?;
        webhooks::retry(services(ctx)?, &scope, id, ids::parse(&event_id, "Delivery")?).await?;
        Ok(true)
    }

    /// Sends again every event of `[from, to)` (at most 31 days) that the endpoint wants, each with the
    /// `webhook-id` it had, so a receiver that keeps ids drops what it already has. Returns how many were queued.
    async fn replay_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Res<u64> {
        let scope = authz::owner(actor(ctx))?;
        Ok(webhooks::replay(services(ctx)?, &scope, ids::parse(&id, "Webhook endpoint")?, from, to).await?)
    }
}
