use sea_orm::entity::prelude::*;

use super::lead;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    /// Waiting for the owner's answer.
    #[sea_orm(string_value = "OPEN")]
    Open,
    /// The decision stays; the owner replied why.
    #[sea_orm(string_value = "UPHELD")]
    Upheld,
    /// The lead went back to its status before the decision (a return's payout restored).
    #[sea_orm(string_value = "REVERSED")]
    Reversed,
}

/// A partner's dispute of a rejection or a return: once per lead.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_disputes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub lead_id: Uuid,
    pub organization_id: Uuid,
    pub partner_id: Uuid,
    /// REJECTED or RETURNED.
    pub disputed_status: lead::Status,
    pub message: String,
    pub opened_by: Uuid,
    pub opened_at: DateTimeUtc,
    pub status: Status,
    pub reply: Option<String>,
    pub answered_by: Option<Uuid>,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
