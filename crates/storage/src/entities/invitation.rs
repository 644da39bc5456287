use sea_orm::entity::prelude::*;

/// A registration invitation. The token is never stored: it is derived from the server secret, the id and
/// `token_version` (so the mail relay can render it at send time), and only its SHA-256 is kept for lookup.
/// A resend bumps the version: the previous link stops working.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_id: Uuid,
    pub invited_by: Uuid,
    pub token_hash: String,
    pub token_version: i32,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub send_count: i32,
    pub last_sent_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
