use sea_orm::entity::prelude::*;

/// A click on a tracking link. Not counted (with a reason) when the partner was capped, paused or removed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clicks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Uuid,
    pub partner_id: Uuid,
    pub assignment_id: Uuid,
    pub counted: bool,
    pub reason: Option<String>,
    /// 1/10,000 units, fixed when recorded; 0 when not counted.
    pub payout: i64,
    pub sub1: Option<String>,
    pub sub2: Option<String>,
    pub sub3: Option<String>,
    pub sub4: Option<String>,
    pub sub5: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
