use sea_orm::entity::prelude::*;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Scope {
    /// Send leads (as a partner) or decide on them (as an owner).
    #[sea_orm(string_value = "LEADS")]
    Leads,
    /// A personal access token: reads reports (GraphQL and CSV), nothing else.
    #[sea_orm(string_value = "REPORTS")]
    Reports,
}

/// An API key of an account: it acts with the account's memberships (sends leads where the account is a partner,
/// decides on them where it is the owner), limited to one organization when `organization_id` is set. Shown once;
/// only its SHA-256 and a visible prefix are kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// Only this organization's campaigns and leads; `None`: every organization of the account.
    pub organization_id: Option<Uuid>,
    pub name: String,
    pub prefix: String,
    pub key_hash: String,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub scope: Scope,
    /// Start of the key's current one-minute request window (`KEY_RATE_LIMIT`); `None` before its first request.
    pub rate_window_started_at: Option<DateTimeUtc>,
    /// Requests in that window, refused ones included.
    pub rate_window_requests: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
