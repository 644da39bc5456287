use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Method {
    /// The values in the URL's query string.
    #[sea_orm(string_value = "GET")]
    Get,
    /// `application/x-www-form-urlencoded` body.
    #[sea_orm(string_value = "POST_FORM")]
    PostForm,
    /// `application/json` body.
    #[sea_orm(string_value = "POST_JSON")]
    PostJson,
}

/// A marketing partner's postback: a URL of its own tracker that Partnerdesk calls on the events it chose, for all
/// its campaigns (with every advertiser) or one campaign. It belongs to the partner's account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "postbacks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub campaign_id: Option<Uuid>,
    /// A bit per event (`partnerdesk_services::delivery::Event::bit`).
    pub events: i32,
    pub method: Method,
    /// With `{macro}` placeholders.
    pub url: String,
    /// The URL's host (no macro may stand in it): the relay's per-host limit counts by it.
    pub host: String,
    /// For POST: the body template; none: every macro, as a form or a JSON object.
    pub body: Option<String>,
    /// Failed attempts in a row; reset by a success.
    pub consecutive_failures: i32,
    /// Set after too many failures in a row or by its partner; deliveries wait until it is enabled again.
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
