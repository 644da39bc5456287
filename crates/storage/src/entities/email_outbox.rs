use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Every attempt failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "INVITATION")]
    Invitation,
    /// A registered partner was added to another campaign.
    #[sea_orm(string_value = "ASSIGNMENT")]
    Assignment,
    /// A partner's postback was disabled after failing repeatedly.
    #[sea_orm(string_value = "POSTBACK")]
    Postback,
    /// An owner's webhook endpoint was disabled after failing repeatedly.
    #[sea_orm(string_value = "WEBHOOK")]
    Webhook,
}

/// An email written in the same transaction as the change it reports, sent by the relay. Invitation bodies hold
/// the placeholder `{{INVITATION_URL}}`; the relay fills in the link when it sends.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_id: Option<Uuid>,
    pub invitation_id: Option<Uuid>,
    pub kind: Kind,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: Status,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
