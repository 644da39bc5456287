use sea_orm::entity::prelude::*;

/// Events counted toward one cap window: `used` never passes the cap's limit (checked in the same statement).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cap_counters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assignment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: super::cap::Metric,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: super::cap::Period,
    /// `all`, `2026-03-08` or `2026-03`, in the campaign's time zone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub window_key: String,
    pub used: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
