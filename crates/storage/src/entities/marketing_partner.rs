use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    /// Invited, not registered yet: cannot sign in.
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Paused on every campaign.
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    /// The invitation was withdrawn before registration.
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

/// An affiliate or publisher of one organization, identified by email; a user once registered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "marketing_partners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub user_id: Option<Uuid>,
    pub status: Status,
    pub registered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
