use sea_orm::entity::prelude::*;

/// One attempt to deliver: what was sent and what came back, for the destination's log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub destination_id: Uuid,
    pub event_id: Uuid,
    pub event: String,
    pub organization_id: Option<Uuid>,
    /// 1 for the first attempt of the delivery.
    pub attempt: i32,
    pub method: String,
    /// As sent, with secret query values masked.
    pub url: String,
    /// None when no answer came (refused address, connection error, timeout).
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// The first 1 KiB of the answer's body.
    pub response: Option<String>,
    pub error: Option<String>,
    /// When the next attempt is due; none when this one ended the delivery.
    pub next_retry_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
