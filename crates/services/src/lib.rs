//! Partnerdesk's use cases as async functions over the database, the clock and the token keys.
//!
//! Callers first ask [`authz`] what the actor may do; it hands back a scope ([`authz::OwnerScope`]) that every
//! tenant-owned query filters by, so another organization's rows are simply not found.

pub mod accounts;
pub mod api_keys;
pub mod authz;
pub mod campaigns;
pub mod caps;
pub mod clicks;
pub mod db;
pub mod delivery;
pub mod disputes;
mod error;
pub mod invitations;
pub mod kept;
pub mod leads;
pub mod live;
pub mod page;
pub mod partners;
mod passwords;
pub mod quality;
pub mod retention;
pub mod stats;
mod stats_in_zone;
mod throttle;
pub mod tokens;

use std::sync::Arc;

pub use error::{Error, RETRY_AFTER_UNAVAILABLE_SECS, Result};
pub use partnerdesk_domain::Clock;
pub use sea_orm::DatabaseConnection;
pub use throttle::LoginLimits;

/// What every service function needs; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub clock: Clock,
    pub tokens: Arc<tokens::TokenKeys>,
    pub login_limits: LoginLimits,
    /// Where users reach the app; links in emails start with it (no trailing slash).
    pub public_url: String,
    /// Wakes this process's mail relay when a transaction wrote an email.
    pub outbox_wakeup: Arc<tokio::sync::Notify>,
    /// Wakes this process's postback relay when a transaction wrote deliveries.
    pub deliveries_wakeup: Arc<tokio::sync::Notify>,
    /// Postbacks may point at loopback and private addresses (`POSTBACK_ALLOW_PRIVATE`, tests and self-hosters).
    pub allow_private_destinations: bool,
    /// Tells open dashboards in every process that figures changed.
    pub live: Arc<live::Live>,
    /// How long raw clicks are kept (`CLICK_RETENTION_DAYS`); their figures stay in the rollups.
    pub click_retention: chrono::Duration,
    /// Requests per minute allowed to one API key or reporting token (`KEY_RATE_LIMIT`); `None`: no limit.
    pub key_rate_limit: Option<u32>,
    /// API keys and the targets of their leads, as this process last read them ([`kept`]).
    pub senders: Arc<leads::Senders>,
    /// Tracking links' targets, as this process last read them ([`kept`]).
    pub links: Arc<clicks::Links>,
}
