use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    /// Taken off the campaign; kept for its history.
    #[sea_orm(string_value = "REMOVED")]
    Removed,
}

/// A partner's place on one campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub partner_id: Uuid,
    pub campaign_id: Uuid,
    pub status: Status,
    /// Payout overrides for this partner, in 1/10,000 units; `None`: the campaign's.
    pub click_payout: Option<i64>,
    pub form_payout: Option<i64>,
    pub call_payout: Option<i64>,
    /// The code of the partner's tracking link, `/c/{code}`.
    pub tracking_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::marketing_partner::Entity",
        from = "Column::PartnerId",
        to = "super::marketing_partner::Column::Id"
    )]
    Partner,
}

impl Related<super::marketing_partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
