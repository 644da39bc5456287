//! API keys: partners send leads with theirs, owners decide on leads with theirs; reporting tokens (personal access
//! tokens) read reports for GraphQL clients and CSV downloads. Shown once, stored as a hash.

pub use partnerdesk_storage::entities::api_key::Scope;
use partnerdesk_storage::entities::api_key::{self, Model as ApiKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Set,
    Statement,
};
use uuid::Uuid;

use crate::authz::Principal;
use crate::{Error, Result, Services, tokens};

/// Who an API key stands for: its account, the organization the account owns (if any), and the key's limit.
#[derive(Debug, Clone, Copy)]
pub struct KeyHolder {
    pub key_id: Uuid,
    pub user_id: Uuid,
    /// The key works for this organization only; `None`: for every organization of the account.
    pub organization_id: Option<Uuid>,
    /// The organization the key's account owns.
    pub owner_of: Option<Uuid>,
    pub scope: Scope,
}

/// Reporting tokens start with this; API keys for leads with `pdk_`.
pub const REPORTS_PREFIX: &str = "pdr_";

/// Creates a key for the signed-in account, optionally limited to one of its organizations. Returns the stored
/// record and the key itself, which is never shown again.
pub async fn create(
    s: &Services,
    p: &Principal,
    name: &str,
    scope: Scope,
    organization_id: Option<Uuid>,
) -> Result<(ApiKey, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(Error::validation("name", "Name the key (1 to 120 characters), e.g. the system that will use it."));
    }
    if let Some(org) = organization_id {
        let member = p.owner_of == Some(org) || p.partner_of.iter().any(|m| m.organization_id == org);
        if !member {
            return Err(Error::NotFound("Organization"));
        }
    }
    let key = tokens::random_token(match scope {
        Scope::Leads => "pdk_",
        Scope::Reports => REPORTS_PREFIX,
    });
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(p.user_id),
        organization_id: Set(organization_id),
        name: Set(name.to_owned()),
        prefix: Set(key.chars().take(12).collect()),
        key_hash: Set(tokens::hash(&key)),
        created_at: Set(s.clock.now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        scope: Set(scope),
        rate_window_started_at: Set(None),
        rate_window_requests: Set(0),
    }
    .insert(&s.db)
    .await?;
    Ok((model, key))
}

pub async fn list(s: &Services, p: &Principal) -> Result<Vec<ApiKey>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(p.user_id))
        .order_by_desc(api_key::Column::Id)
        .all(&s.db)
        .await?)
}

pub async fn revoke(s: &Services, p: &Principal, id: Uuid) -> Result<ApiKey> {
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::UserId.eq(p.user_id))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut m: api_key::ActiveModel = key.into();
    m.revoked_at = Set(Some(s.clock.now()));
    Ok(m.update(&s.db).await?)
}

/// The length of the window in which `KEY_RATE_LIMIT` counts a key's requests.
pub const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// The columns a key's check reads: who the key stands for and its rate window.
macro_rules! key_columns {
    () => {
        "id AS key_id, user_id, organization_id AS key_organization_id, scope, revoked_at, rate_window_started_at, \
         rate_window_requests, \
         (SELECT m.organization_id FROM organization_members m WHERE m.user_id = api_keys.user_id) AS owner_of"
    };
}
pub(crate) use key_columns;

/// Counts a request in the key's rate window (`$2` now, `$3` the start of the current window) and records its last
/// use. SET expressions see the row as it was: a window that has passed (or none yet) starts again at this request.
macro_rules! count_request {
    () => {
        "UPDATE api_keys SET last_used_at = $2, \
           rate_window_requests = CASE WHEN rate_window_started_at IS NULL OR rate_window_started_at <= $3 THEN 1 \
                               ELSE rate_window_requests + 1 END, \
           rate_window_started_at = CASE WHEN rate_window_started_at IS NULL OR rate_window_started_at <= $3 THEN $2 \
                                 ELSE rate_window_started_at END "
    };
}

/// A key's check, `$1` its hash, `$2` now, `$3` the start of the current rate window: counts the request and
/// returns the key's holder. One statement: it finds the key, counts the request on the key's row (so all server
/// processes count against one figure) and records the last use.
const AUTHENTICATE_SQL: &str = concat!(count_request!(), "WHERE key_hash = $1 RETURNING ", key_columns!());

/// A key found without counting the request (`$1` its hash): a lead counts it with its own writes
/// ([`Presented::count`]). Public for the embedded default's benchmark floor, which runs it as is.
pub const FIND_SQL: &str = find_sql!();

/// [`FIND_SQL`] as a macro, for statements that read a key with something else (`leads::KEYED_TARGET_SQL`).
macro_rules! find_sql {
    () => {
        concat!("SELECT ", $crate::api_keys::key_columns!(), " FROM api_keys WHERE key_hash = $1")
    };
}
pub(crate) use find_sql;

/// A key as read ([`FIND_SQL`]), before it is checked ([`Row::presented`]).
#[derive(FromQueryResult)]
pub(crate) struct Row {
    key_id: Uuid,
    user_id: Uuid,
    key_organization_id: Option<Uuid>,
    owner_of: Option<Uuid>,
    scope: Scope,
    revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    rate_window_started_at: Option<chrono::DateTime<chrono::Utc>>,
    rate_window_requests: i32,
}

/// A key as presented with a request and found, its request not counted yet.
#[derive(Debug, Clone, Copy)]
pub struct Presented {
    pub holder: KeyHolder,
    /// When its rate window started, if it has one.
    window_started_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The holder of a presented key; `UNAUTHENTICATED` for an unknown or revoked one, `RATE_LIMITED` when the key has
/// made more than `KEY_RATE_LIMIT` requests in its current one-minute window. The request is counted.
pub async fn authenticate(s: &Services, presented: &str) -> Result<KeyHolder> {
    let now = s.clock.now();
    let row = read(s, AUTHENTICATE_SQL, vec![presented_hash(presented).into(), now.into(), (now - RATE_WINDOW).into()])
        .await?;
    if let (Some(limit), Some(started)) = (s.key_rate_limit, row.rate_window_started_at) {
        if i64::from(row.rate_window_requests) > i64::from(limit) {
            return Err(rate_limited(started, now));
        }
    }
    Ok(holder(&row))
}

/// The presented key, its request not counted: the caller writes [`Presented::count`] with its own writes (one
/// statement for a lead), or runs it alone ([`Presented::count_alone`]). `RATE_LIMITED` already when the key's window
/// is full.
pub async fn find(s: &Services, presented: &str) -> Result<Presented> {
    let row = read(s, FIND_SQL, vec![presented_hash(presented).into()]).await?;
    row.presented(s)
}

/// What a presented key is looked up by.
pub(crate) fn presented_hash(presented: &str) -> String {
    tokens::hash(presented.trim())
}

impl Row {
    /// The key, unless it was revoked (`UNAUTHENTICATED`).
    pub(crate) fn active(self) -> Result<Self> {
        if self.revoked_at.is_some() {
            return Err(Error::Unauthenticated("This API key was revoked."));
        }
        Ok(self)
    }

    /// An active key presented with a request ([`find`], or read with a lead's target): `RATE_LIMITED` when its
    /// window is full.
    pub(crate) fn presented(&self, s: &Services) -> Result<Presented> {
        let now = s.clock.now();
        if let (Some(limit), Some(started)) = (s.key_rate_limit, self.rate_window_started_at) {
            if started > now - RATE_WINDOW && i64::from(self.rate_window_requests) >= i64::from(limit) {
                return Err(rate_limited(started, now));
            }
        }
        Ok(Presented { holder: holder(self), window_started_at: self.rate_window_started_at })
    }
}

/// The answer for a key that is not found.
pub(crate) const UNKNOWN: Error =
    Error::Unauthenticated("This API key is not valid. Send `Authorization: Bearer <API key>` with an active key.");

impl Presented {
    /// The write that counts this request ([`count_statement`]), for a batch ([`Presented::rate_limited`] the error
    /// when its guard finds no row).
    pub fn count(&self, s: &Services) -> Statement {
        count_statement(s.db.get_database_backend(), self.holder.key_id, s.key_rate_limit, s.clock.now())
    }

    /// Counts this request by itself (one that wrote nothing else: refused, or a test lead).
    pub async fn count_alone(&self, s: &Services) -> Result<()> {
        s.db.execute_raw(self.count(s)).await?;
        Ok(())
    }

    /// The answer when [`Presented::count`] found the window full.
    pub fn rate_limited(&self, s: &Services) -> Error {
        let now = s.clock.now();
        rate_limited(self.window_started_at.unwrap_or(now), now)
    }
}

/// Counts a request of key `key_id` and records its use: with a `limit` per window, it returns a row only while the
/// window has room (a guarded write). Public for the embedded default's benchmark floor, which runs it as is.
pub fn count_statement(
    backend: sea_orm::DbBackend,
    key_id: Uuid,
    limit: Option<u32>,
    now: chrono::DateTime<chrono::Utc>,
) -> Statement {
    let mut values: Vec<sea_orm::Value> = vec![key_id.into(), now.into(), (now - RATE_WINDOW).into()];
    let mut sql = String::from(concat!(count_request!(), "WHERE id = $1"));
    if let Some(limit) = limit {
        sql.push_str(
            " AND (rate_window_started_at IS NULL OR rate_window_started_at <= $3 OR rate_window_requests < $4)",
        );
        values.push(i32::try_from(limit).unwrap_or(i32::MAX).into());
    }
    sql.push_str(" RETURNING 1");
    Statement::from_sql_and_values(backend, sql, values)
}

async fn read(s: &Services, sql: &str, values: Vec<sea_orm::Value>) -> Result<Row> {
    Row::find_by_statement(Statement::from_sql_and_values(s.db.get_database_backend(), sql, values))
        .one(&s.db)
        .await?
        .ok_or(UNKNOWN)?
        .active()
}

fn rate_limited(started: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> Error {
    Error::RateLimited { retry_after_secs: (started + RATE_WINDOW - now).num_seconds().max(1) }
}

fn holder(row: &Row) -> KeyHolder {
    KeyHolder {
        key_id: row.key_id,
        user_id: row.user_id,
        organization_id: row.key_organization_id,
        owner_of: row.owner_of,
        scope: row.scope,
    }
}
