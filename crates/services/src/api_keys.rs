//! API keys: partners send leads with theirs, owners decide on leads with theirs; reporting tokens (personal access
//! tokens) read reports for GraphQL clients and CSV downloads. Shown once, stored as a hash.

pub use partnerdesk_storage::entities::api_key::Scope;
use partnerdesk_storage::entities::api_key::{self, Model as ApiKey};
use partnerdesk_storage::entities::marketing_partner;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use crate::authz::{Principal, Role};
use crate::{Error, Result, Services, tokens};

/// Who an API key stands for.
#[derive(Debug, Clone, Copy)]
pub struct KeyHolder {
    pub key_id: Uuid,
    pub organization_id: Uuid,
    pub user_id: Uuid,
    /// Set for a partner's key.
    pub partner_id: Option<Uuid>,
    pub scope: Scope,
}

/// Reporting tokens start with this; API keys for leads with `pdk_`.
pub const REPORTS_PREFIX: &str = "pdr_";

/// Creates a key for the signed-in user (a partner's key sends leads, an owner's decides on them). Returns the
/// stored record and the key itself, which is never shown again.
pub async fn create(s: &Services, p: &Principal, name: &str, scope: Scope) -> Result<(ApiKey, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(Error::validation("name", "Name the key (1 to 120 characters), e.g. the system that will use it."));
    }
    let partner_id = match p.role {
        Role::Owner => None,
        Role::Partner => Some(
            marketing_partner::Entity::find()
                .filter(marketing_partner::Column::UserId.eq(p.user_id))
                .one(&s.db)
                .await?
                .ok_or(Error::NotFound("Marketing partner"))?
                .id,
        ),
    };
    let key = tokens::random_token(match scope {
        Scope::Leads => "pdk_",
        Scope::Reports => REPORTS_PREFIX,
    });
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(p.organization_id),
        partner_id: Set(partner_id),
        user_id: Set(p.user_id),
        name: Set(name.to_owned()),
        prefix: Set(key.chars().take(12).collect()),
        key_hash: Set(tokens::hash(&key)),
        created_at: Set(s.clock.now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        scope: Set(scope),
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

/// The holder of a presented key; `UNAUTHENTICATED` for an unknown or revoked one. Records the last use (at most
/// once a minute, to keep the hot path to one read).
pub async fn authenticate(s: &Services, presented: &str) -> Result<KeyHolder> {
    let unknown = || {
        Error::Unauthenticated("This API key is not valid. Send `Authorization: Bearer <API key>` with an active key.")
    };
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(tokens::hash(presented.trim())))
        .one(&s.db)
        .await?
        .ok_or_else(unknown)?;
    if key.revoked_at.is_some() {
        return Err(Error::Unauthenticated("This API key was revoked."));
    }
    let now = s.clock.now();
    if key.last_used_at.is_none_or(|t| t < now - chrono::Duration::minutes(1)) {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&s.db)
            .await?;
    }
    Ok(KeyHolder {
        key_id: key.id,
        organization_id: key.organization_id,
        user_id: key.user_id,
        partner_id: key.partner_id,
        scope: key.scope,
    })
}
