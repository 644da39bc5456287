use sea_orm::entity::prelude::*;

/// An owner's webhook endpoint: Partnerdesk posts the organization's events there as JSON, signed per Standard
/// Webhooks with `secret` (and, for a day after a rotation, with `previous_secret` too).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    /// The URL's host: the relay's per-host limit counts by it.
    pub host: String,
    /// A bit per event (`partnerdesk_services::delivery::webhooks::WebhookEvent::bit`).
    pub events: i32,
    /// `whsec_` and 32 random bytes in base64: the signing key. Kept as is, since signing needs it (it signs what
    /// Partnerdesk sends; it grants no access to Partnerdesk).
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    pub consecutive_failures: i32,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
