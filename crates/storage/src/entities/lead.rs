use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Kind {
    #[sea_orm(string_value = "FORM")]
    Form,
    #[sea_orm(string_value = "CALL")]
    Call,
}

/// RECEIVED -> APPROVED | REJECTED; APPROVED -> CONVERTED; APPROVED | CONVERTED -> RETURNED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "CONVERTED")]
    Converted,
    /// Found bad after approval: its payout is reversed.
    #[sea_orm(string_value = "RETURNED")]
    Returned,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub campaign_id: Uuid,
    pub partner_id: Uuid,
    pub assignment_id: Uuid,
    pub kind: Kind,
    pub status: Status,
    /// Why it was rejected or returned.
    pub reason: Option<String>,
    /// The organization's code of a return's reason.
    pub reason_code: Option<String>,
    pub external_id: Option<String>,
    pub click_id: Option<Uuid>,
    pub sub1: Option<String>,
    pub sub2: Option<String>,
    pub sub3: Option<String>,
    pub sub4: Option<String>,
    pub sub5: Option<String>,
    /// The submitted form fields, a JSON object.
    pub fields: String,
    pub caller_number: Option<String>,
    pub duration_seconds: Option<i32>,
    /// 1/10,000 units, fixed when recorded; earned once approved.
    pub payout: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
