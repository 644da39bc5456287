//! The partner's side of an invitation: preview it, accept it (register), and the partner portal's data.

use partnerdesk_domain::Password;
use partnerdesk_storage::entities::campaign;
use partnerdesk_storage::entities::invitation::{self, Model as Invitation};
use partnerdesk_storage::entities::marketing_partner::{self, Status as PartnerStatus};
use partnerdesk_storage::entities::{organization, user};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use tracing::instrument;
use uuid::Uuid;

use crate::accounts::{self, Session};
use crate::authz::{PartnerScope, Role};
use crate::error::FieldExt;
use crate::partners::{self, Assignment, Cap, Partner};
use crate::{Error, Result, Services, db, passwords, tokens};

pub struct Preview {
    pub organization_name: String,
    pub email: String,
    pub campaigns: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

fn refused(code: &'static str, message: &str) -> Error {
    Error::Refused { code, message: message.to_owned() }
}

/// The invitation a token opens, if it can still be used.
async fn usable(s: &Services, token: &str) -> Result<(Invitation, Partner)> {
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(tokens::hash(token.trim())))
        .one(&s.db)
        .await?
        .ok_or_else(|| {
            refused(
                "INVITATION_INVALID",
                "This invitation link is not valid. Ask for a new invitation, or check that you copied the whole link.",
            )
        })?;
    if inv.accepted_at.is_some() {
        return Err(refused(
            "INVITATION_USED",
            "This invitation was already used. Log in with the account you created.",
        ));
    }
    if inv.revoked_at.is_some() {
        return Err(refused(
            "INVITATION_REVOKED",
            "This invitation was withdrawn. Ask the campaign owner for a new one.",
        ));
    }
    if inv.expires_at <= s.clock.now() {
        return Err(refused(
            "INVITATION_EXPIRED",
            "This invitation has expired. Ask the campaign owner to send it again.",
        ));
    }
    let partner = marketing_partner::Entity::find_by_id(inv.partner_id)
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Marketing partner"))?;
    Ok((inv, partner))
}

pub async fn preview(s: &Services, token: &str) -> Result<Preview> {
    let (inv, partner) = usable(s, token).await?;
    let org = organization::Entity::find_by_id(inv.organization_id)
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Organization"))?;
    Ok(Preview {
        organization_name: org.name,
        email: partner.email.clone(),
        campaigns: partners::campaign_names(&s.db, partner.id).await?,
        expires_at: inv.expires_at,
    })
}

/// Registers the invited partner: creates its user, uses the token up and signs it in, all in one transaction.
#[instrument(skip_all)]
pub async fn accept(s: &Services, token: &str, name: &str, password: &str) -> Result<Session> {
    let name = partnerdesk_domain::OrganizationName::parse(name)
        .map_err(|_| Error::validation("name", "Enter your name or your company's name (at most 120 characters)."))?
        .into_inner();
    let password = Password::parse(password).field("password")?;
    let (inv, partner) = usable(s, token).await?;
    let hash = passwords::hash(password.expose().to_owned()).await?;
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    // Claim the token first: of two concurrent registrations, only one gets past this.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, sea_orm::sea_query::Expr::value(now))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::TokenHash.eq(tokens::hash(token.trim())))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(refused(
            "INVITATION_USED",
            "This invitation was already used. Log in with the account you created.",
        ));
    }
    let new_user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(partner.organization_id),
        email: Set(partner.email.clone()),
        password_hash: Set(hash),
        role: Set(Role::Partner),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e, "users_email_key") {
            Error::Conflict {
                field: None,
                message: "This email already has a Partnerdesk account. Log in with it, or ask to be invited with another email.".into(),
            }
        } else {
            e.into()
        }
    })?;
    let mut m = partner.into_active_model();
    m.user_id = Set(Some(new_user.id));
    m.name = Set(Some(name));
    m.status = Set(PartnerStatus::Active);
    m.registered_at = Set(Some(now));
    m.updated_at = Set(now);
    m.update(&txn).await?;
    let session = accounts::start_session(s, &txn, new_user, Uuid::now_v7()).await?;
    txn.commit().await?;
    tracing::info!(user_id = %session.user.id, "marketing partner registered");
    Ok(session)
}

/// What the partner portal shows: the partner's own record, and its campaigns with payouts and caps.
pub struct Portal {
    pub organization_name: String,
    pub partner: Partner,
    pub campaigns: Vec<(Assignment, campaign::Model, Vec<Cap>)>,
}

pub async fn portal(s: &Services, scope: &PartnerScope) -> Result<Portal> {
    let partner = marketing_partner::Entity::find()
        .filter(marketing_partner::Column::UserId.eq(scope.user_id()))
        .filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Marketing partner"))?;
    let org = organization::Entity::find_by_id(partner.organization_id)
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Organization"))?;
    let assignments = partners::assignments_of(s, &[partner.id]).await?.remove(&partner.id).unwrap_or_default();
    let ids: Vec<Uuid> = assignments.iter().map(|(a, _)| a.id).collect();
    let mut caps = partners::caps_of(s, &ids).await?;
    let campaigns = assignments.into_iter().map(|(a, c)| {
        let caps = caps.remove(&a.id).unwrap_or_default();
        (a, c, caps)
    });
    Ok(Portal { organization_name: org.name, partner, campaigns: campaigns.collect() })
}
