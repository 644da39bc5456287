use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Metric {
    #[sea_orm(string_value = "CLICK")]
    Click,
    #[sea_orm(string_value = "FORM")]
    Form,
    #[sea_orm(string_value = "CALL")]
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Period {
    #[sea_orm(string_value = "GLOBAL")]
    Global,
    /// From midnight in the campaign's time zone.
    #[sea_orm(string_value = "DAILY")]
    Daily,
    /// From the first of the month in the campaign's time zone.
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
}

/// At most `limit_count` events of `metric` per `period` for one assignment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "caps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub metric: Metric,
    pub period: Period,
    pub limit_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
