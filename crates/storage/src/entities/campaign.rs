use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub status: Status,
    /// IANA name; the campaign's days and months follow it.
    pub time_zone: String,
    pub landing_url: String,
    pub fallback_url: Option<String>,
    pub currency: String,
    /// Payouts in 1/10,000 of the currency unit.
    pub click_payout: i64,
    pub form_payout: i64,
    pub call_payout: i64,
    /// The declared lead fields, a JSON array of `partnerdesk_domain::fields::FieldSpec`; none: free-form fields.
    pub lead_fields: Option<String>,
    /// `KEEP` or `REFUSE`: what happens to fields a lead carries that are not declared.
    pub unknown_fields: String,
    /// ISO 3166-1 alpha-2: national phone numbers are read as this country's.
    pub phone_country: String,
    /// A JSON duplicate rule (`partnerdesk_services::quality::DuplicateRule`), or none.
    pub duplicate_rule: Option<String>,
    /// Days after its receipt during which an approved lead may be returned (0: no returns).
    pub return_window_days: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
