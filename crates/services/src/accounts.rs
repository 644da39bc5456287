//! Sign-up, login, session refresh with rotation and reuse detection, logout.

use chrono::{DateTime, Utc};
use partnerdesk_domain::{Email, OrganizationName, Password};
use partnerdesk_storage::entities::organization_member::{self, MemberRole};
use partnerdesk_storage::entities::{organization, refresh_token, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tracing::instrument;
use uuid::Uuid;

use crate::authz::Principal;
use crate::error::FieldExt;
use crate::{Error, Result, Services, db, passwords, throttle, tokens};

/// What a successful sign-up, login or refresh returns.
#[derive(Debug)]
pub struct Session {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: user::Model,
}

pub struct SignUp {
    pub email: String,
    pub password: String,
    pub organization_name: String,
}

/// Creates an organization and its first owner, and signs the owner in.
#[instrument(skip_all)]
pub async fn sign_up(s: &Services, input: SignUp) -> Result<Session> {
    let email = Email::parse(&input.email).field("email")?;
    let password = Password::parse(&input.password).field("password")?;
    let org_name = OrganizationName::parse(&input.organization_name).field("organizationName")?;
    if user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&s.db).await?.is_some() {
        return Err(email_taken());
    }
    let hash = passwords::hash(password.expose().to_owned()).await?;
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    let org = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(org_name.into_inner()),
        duplicate_rule: Set(None),
        return_reasons: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let new_user = create_user(&txn, &email, hash, None, now)
        .await
        .map_err(|e| if db::is_unique_violation(&e, "users_email_key") { email_taken() } else { e.into() })?;
    organization_member::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(new_user.id),
        role: Set(MemberRole::Owner),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let session = start_session(s, &txn, new_user, Uuid::now_v7()).await?;
    txn.commit().await?;
    tracing::info!(user_id = %session.user.id, organization_id = %org.id, "owner signed up");
    Ok(session)
}

fn email_taken() -> Error {
    Error::Conflict {
        field: Some("email".into()),
        message: "An account with this email already exists. Sign in instead.".into(),
    }
}

/// Checks the password; limits failures per account and per client address across all server processes.
#[instrument(skip_all)]
pub async fn login(s: &Services, email: &str, password: &str, client_address: Option<&str>) -> Result<Session> {
    let email = Email::parse(email).field("email")?;
    let keys = throttle::keys(&s.login_limits, email.as_str(), client_address);
    throttle::check(s, &keys).await?;
    let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(&s.db).await?;
    let ok = passwords::verify(password.to_owned(), found.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(found) = found.filter(|_| ok) else {
        throttle::record_failure(s, &keys).await?;
        tracing::info!("failed login");
        return Err(Error::InvalidCredentials);
    };
    throttle::clear(s, &keys[0].0).await?;
    let txn = db::begin_write(&s.db).await?;
    let session = start_session(s, &txn, found, Uuid::now_v7()).await?;
    txn.commit().await?;
    Ok(session)
}

/// Exchanges a refresh token for a new pair. The presented token is used up; presenting a used token again
/// means it leaked, so the whole family (every session descended from that login) is revoked.
#[instrument(skip_all)]
pub async fn refresh(s: &Services, token: &str) -> Result<Session> {
    let invalid = || Error::Unauthenticated("The session has ended. Sign in again.");
    let now = s.clock.now();
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::hash(token)))
        .one(&s.db)
        .await?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    let txn = db::begin_write(&s.db).await?;
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        drop(txn);
        revoke_family(s, row.family_id).await?;
        tracing::warn!(user_id = %row.user_id, family_id = %row.family_id, "refresh token reused; session family revoked");
        return Err(invalid());
    }
    let found = user::Entity::find_by_id(row.user_id).one(&txn).await?.ok_or_else(invalid)?;
    let session = start_session(s, &txn, found, row.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to, on every device that shares it. Unknown tokens are ignored.
#[instrument(skip_all)]
pub async fn logout(s: &Services, token: &str) -> Result<()> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(tokens::hash(token)))
        .one(&s.db)
        .await?;
    if let Some(row) = row {
        revoke_family(s, row.family_id).await?;
    }
    Ok(())
}

async fn revoke_family(s: &Services, family_id: Uuid) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(s.clock.now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&s.db)
        .await?;
    Ok(())
}

/// A new account: a login with no membership yet (the caller adds one in the same transaction).
pub(crate) async fn create_user(
    conn: &impl ConnectionTrait,
    email: &Email,
    password_hash: String,
    name: Option<String>,
    now: DateTime<Utc>,
) -> std::result::Result<user::Model, sea_orm::DbErr> {
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(password_hash),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
}

/// The account with this email, if there is one.
pub async fn find_by_email(conn: &impl ConnectionTrait, email: &Email) -> Result<Option<user::Model>> {
    Ok(user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(conn).await?)
}

pub(crate) async fn start_session(
    s: &Services,
    conn: &impl ConnectionTrait,
    u: user::Model,
    family_id: Uuid,
) -> Result<Session> {
    let now = s.clock.now();
    let (access_token, access_expires_at) = s.tokens.issue_access(u.id, now)?;
    let refresh = tokens::random_token("pdr_");
    let refresh_expires_at = now + tokens::REFRESH_TTL;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(u.id),
        family_id: Set(family_id),
        token_hash: Set(tokens::hash(&refresh)),
        created_at: Set(now),
        expires_at: Set(refresh_expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(Session { access_token, access_expires_at, refresh_token: refresh, refresh_expires_at, user: u })
}

pub async fn user(s: &Services, p: &Principal) -> Result<user::Model> {
    user::Entity::find_by_id(p.user_id)
        .one(&s.db)
        .await?
        .ok_or(Error::Unauthenticated("This account no longer exists."))
}

/// The organizations of these ids, in the order asked for (ids come from the caller's own memberships).
pub async fn organizations(s: &Services, ids: &[Uuid]) -> Result<Vec<organization::Model>> {
    let mut found =
        organization::Entity::find().filter(organization::Column::Id.is_in(ids.to_vec())).all(&s.db).await?;
    found.sort_by_key(|o| ids.iter().position(|id| *id == o.id));
    Ok(found)
}
