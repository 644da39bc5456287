//! The partner's side of an invitation: preview it, accept it (register), and the partner portal's data.

use std::collections::HashMap;

use partnerdesk_domain::{Email, Password};
use partnerdesk_storage::entities::campaign;
use partnerdesk_storage::entities::invitation::{self, Model as Invitation};
use partnerdesk_storage::entities::marketing_partner::{self, Status as PartnerStatus};
use partnerdesk_storage::entities::organization;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use tracing::instrument;
use uuid::Uuid;

use crate::accounts::{self, Session};
use crate::authz::{Actor, PartnerScope};
use crate::delivery::webhooks::{self, WebhookEvent};
use crate::error::FieldExt;
use crate::partners::{self, Assignment, Cap, Partner};
use crate::{Error, Result, Services, db, passwords, tokens};

pub struct Preview {
    pub organization_name: String,
    pub email: String,
    pub campaigns: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The invited email already has an account: it logs in to accept instead of registering.
    pub account_exists: bool,
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
    let email = Email::parse(&partner.email).field("email")?;
    Ok(Preview {
        organization_name: org.name,
        account_exists: accounts::find_by_email(&s.db, &email).await?.is_some(),
        email: partner.email.clone(),
        campaigns: partners::campaign_names(&s.db, partner.id).await?,
        expires_at: inv.expires_at,
    })
}

pub struct Acceptance<'a> {
    pub token: &'a str,
    /// Required for a new account; an existing account's name is kept when omitted.
    pub name: Option<&'a str>,
    /// Required for a new account only.
    pub password: Option<&'a str>,
}

fn name(name: &str) -> Result<String> {
    Ok(partnerdesk_domain::OrganizationName::parse(name)
        .map_err(|_| Error::validation("name", "Enter your name or your company's name (at most 120 characters)."))?
        .into_inner())
}

/// Accepts an invitation and signs in, all in one transaction. A new email registers (name and password) and gets
/// its account; an email that already has one must be signed in as that account (`actor`), which becomes a partner
/// of one more organization. Only the invited email's account can accept.
#[instrument(skip_all)]
pub async fn accept(s: &Services, actor: &Actor, input: Acceptance<'_>) -> Result<Session> {
    let (inv, partner) = usable(s, input.token).await?;
    let email = Email::parse(&partner.email).field("email")?;
    let existing = accounts::find_by_email(&s.db, &email).await?;
    let now = s.clock.now();
    let (account, partner_name, new_account) = match existing {
        None => {
            let name = name(input.name.unwrap_or_default())?;
            let password = Password::parse(input.password.unwrap_or_default()).field("password")?;
            let hash = passwords::hash(password.expose().to_owned()).await?;
            (None, name, Some(hash))
        }
        Some(account) => {
            let signed_in_as = match actor {
                // A reporting token only reads reports.
                Actor::User(p) if p.reports_only => return Err(Error::Forbidden),
                Actor::Unavailable => return Err(Error::Unavailable),
                Actor::User(p) => Some(p.user_id),
                _ => None,
            };
            match signed_in_as {
                None => {
                    return Err(Error::Refused {
                        code: "UNAUTHENTICATED",
                        message: format!(
                            "{} already has a Partnerdesk account: log in as {} to accept this invitation.",
                            account.email, account.email
                        ),
                    });
                }
                Some(id) if id != account.id => {
                    return Err(Error::Refused {
                        code: "FORBIDDEN",
                        message: format!(
                            "This invitation is for {}. Log out, then log in as {} to accept it.",
                            account.email, account.email
                        ),
                    });
                }
                Some(_) => {}
            }
            let name = match input.name.map(str::trim).filter(|n| !n.is_empty()) {
                Some(n) => self::name(n)?,
                None => account.name.clone().ok_or_else(|| {
                    Error::validation("name", "Enter your name or your company's name, as this advertiser will see it.")
                })?,
            };
            (Some(account), name, None)
        }
    };
    let txn = db::begin_write(&s.db).await?;
    // Claim the token first: of two concurrent acceptances, only one gets past this.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, sea_orm::sea_query::Expr::value(now))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::TokenHash.eq(tokens::hash(input.token.trim())))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(refused(
            "INVITATION_USED",
            "This invitation was already used. Log in with the account you created.",
        ));
    }
    let account = match (account, new_account) {
        // An owner that never gave a name takes the one it gives its first advertiser.
        (Some(a), _) if a.name.is_none() => {
            let mut m = a.into_active_model();
            m.name = Set(Some(partner_name.clone()));
            m.updated_at = Set(now);
            m.update(&txn).await?
        }
        (Some(a), _) => a,
        (None, hash) => accounts::create_user(&txn, &email, hash.unwrap_or_default(), Some(partner_name.clone()), now)
            .await
            .map_err(|e| {
                if db::is_unique_violation(&e, "users_email_key") {
                    Error::Conflict {
                        field: None,
                        message: "An account with this email was just created. Log in with it to accept.".into(),
                    }
                } else {
                    e.into()
                }
            })?,
    };
    let mut m = partner.into_active_model();
    m.user_id = Set(Some(account.id));
    m.name = Set(Some(partner_name));
    m.status = Set(PartnerStatus::Active);
    m.registered_at = Set(Some(now));
    m.updated_at = Set(now);
    let partner = m.update(&txn).await?;
    let data = partners::event_data(&partner, "INVITED", "ACTIVE", None);
    webhooks::emit(&txn, WebhookEvent::PartnerRegistered, partner.organization_id, data, now).await?;
    let session = accounts::start_session(s, &txn, account, Uuid::now_v7()).await?;
    txn.commit().await?;
    tracing::info!(user_id = %session.user.id, organization_id = %inv.organization_id, "marketing partner registered");
    Ok(session)
}

/// One campaign in the partner portal: the assignment, the campaign, its caps, and whose campaign it is.
pub struct PortalCampaign {
    pub assignment: Assignment,
    pub campaign: campaign::Model,
    pub caps: Vec<Cap>,
    pub partner: Partner,
}

/// What the partner portal shows: the account's partner records (one per advertiser) with their organizations, and
/// every campaign they are on with payouts and caps.
pub struct Portal {
    pub memberships: Vec<(Partner, organization::Model)>,
    pub campaigns: Vec<PortalCampaign>,
}

pub async fn portal(s: &Services, scope: &PartnerScope) -> Result<Portal> {
    let records = marketing_partner::Entity::find()
        .filter(marketing_partner::Column::Id.is_in(scope.partner_ids()))
        .filter(marketing_partner::Column::UserId.eq(scope.user_id()))
        .all(&s.db)
        .await?;
    let org_ids: Vec<Uuid> = scope.memberships().iter().map(|m| m.organization_id).collect();
    let orgs: HashMap<Uuid, organization::Model> =
        accounts::organizations(s, &org_ids).await?.into_iter().map(|o| (o.id, o)).collect();
    let mut by_id: HashMap<Uuid, Partner> = records.into_iter().map(|p| (p.id, p)).collect();
    let mut assignments = partners::assignments_of(s, &scope.partner_ids()).await?;
    let ids: Vec<Uuid> = assignments.values().flatten().map(|(a, _)| a.id).collect();
    let mut caps = partners::caps_of(s, &ids).await?;
    let mut memberships = Vec::new();
    let mut campaigns = Vec::new();
    for m in scope.memberships() {
        let (Some(partner), Some(org)) = (by_id.remove(&m.partner_id), orgs.get(&m.organization_id)) else {
            continue;
        };
        for (a, c) in assignments.remove(&partner.id).unwrap_or_default() {
            let caps = caps.remove(&a.id).unwrap_or_default();
            campaigns.push(PortalCampaign { assignment: a, campaign: c, caps, partner: partner.clone() });
        }
        memberships.push((partner, org.clone()));
    }
    Ok(Portal { memberships, campaigns })
}
