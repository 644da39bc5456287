use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Refused by the receiver (a 4xx other than 408 and 429) or retried for longer than the retry period.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

/// The kind of destination a delivery goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Channel {
    /// A partner's postback (`postbacks`).
    #[sea_orm(string_value = "POSTBACK")]
    Postback,
    /// An owner's webhook endpoint (`webhook_endpoints`).
    #[sea_orm(string_value = "WEBHOOK")]
    Webhook,
}

/// One event to send to one destination, written in the event's own transaction and sent by a relay.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub destination_id: Uuid,
    /// The lead history row, click or test the delivery reports; with the destination, its stable id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    /// `lead.received`, `click.counted`, `test`, ...
    pub event: String,
    /// The advertiser the event belongs to (none for a test).
    pub organization_id: Option<Uuid>,
    pub status: Status,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub last_status_code: Option<i32>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub channel: Channel,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
