//! Who may do what: the one place that decides. API layers turn the request's credentials into an [`Actor`]
//! (reading the account's memberships afresh on every request, see [`principal`]) and ask here before calling a
//! use case; the scopes handed back are the only way to reach tenant data.
//!
//! An account may own one organization and be a marketing partner of any number of others. Nothing here ever takes
//! an organization id from a token: scopes come from the memberships the account holds at the time of the request.

pub use partnerdesk_storage::entities::api_key::Scope;
use partnerdesk_storage::entities::{marketing_partner, organization_member};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{Error, Result, Services};

/// Which side of the product a request acts on, when an account is both an owner and a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Partner,
}

/// The account's partner record in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub organization_id: Uuid,
    pub partner_id: Uuid,
}

/// The authenticated account and what it belongs to, as read for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    /// A reporting token (personal access token) stands for its account, but only to read reports.
    pub reports_only: bool,
    /// The organization the account owns.
    pub owner_of: Option<Uuid>,
    /// Its partner records, oldest first (registered ones: active or paused).
    pub partner_of: Vec<Membership>,
}

/// Reads the account's memberships (two indexed lookups). `limit`: a key limited to one organization sees only
/// that one. `None` when the account no longer exists.
pub async fn principal(
    s: &Services,
    user_id: Uuid,
    reports_only: bool,
    limit: Option<Uuid>,
) -> Result<Option<Principal>> {
    let within = |org: &Uuid| limit.is_none_or(|l| l == *org);
    let owned =
        organization_member::Entity::find().filter(organization_member::Column::UserId.eq(user_id)).one(&s.db).await?;
    let partner_of: Vec<Membership> = marketing_partner::Entity::find()
        .filter(marketing_partner::Column::UserId.eq(user_id))
        .order_by_asc(marketing_partner::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .filter(|p| within(&p.organization_id))
        .map(|p| Membership { organization_id: p.organization_id, partner_id: p.id })
        .collect();
    if owned.is_none() && partner_of.is_empty() {
        // Every account owns an organization or has accepted an invitation; one with neither no longer exists (or
        // the key's limit points at an organization it left).
        let exists = partnerdesk_storage::entities::user::Entity::find_by_id(user_id).one(&s.db).await?.is_some();
        if !exists {
            return Ok(None);
        }
    }
    Ok(Some(Principal { user_id, reports_only, owner_of: owned.map(|m| m.organization_id).filter(within), partner_of }))
}

/// Whoever is making the request.
#[derive(Debug, Clone)]
pub enum Actor {
    Anonymous,
    /// Credentials were presented but not accepted (expired, forged); the reason is safe to show.
    Rejected(&'static str),
    /// Credentials were presented but could not be checked: the database is unreachable.
    Unavailable,
    /// The API key or reporting token has used up its requests of this minute (`KEY_RATE_LIMIT`).
    RateLimited {
        retry_after_secs: i64,
    },
    User(Principal),
}

/// Proof that the caller owns an organization: every owner query filters by it.
#[derive(Debug, Clone, Copy)]
pub struct OwnerScope {
    organization_id: Uuid,
    user_id: Uuid,
}

impl OwnerScope {
    pub fn organization_id(&self) -> Uuid {
        self.organization_id
    }
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
}

/// Proof that the caller is a registered marketing partner of at least one organization: partner queries reach its
/// own partner records only.
#[derive(Debug, Clone)]
pub struct PartnerScope {
    user_id: Uuid,
    memberships: Vec<Membership>,
}

impl PartnerScope {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }
    pub fn partner_ids(&self) -> Vec<Uuid> {
        self.memberships.iter().map(|m| m.partner_id).collect()
    }
}

/// Whose rows a reader may see: one organization's (its owner), or the partner records of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Organization(Uuid),
    Partner(Vec<Membership>),
}

impl Audience {
    /// Narrowed to these organizations (an advertiser filter); empty: unchanged.
    pub fn within(self, organization_ids: &[Uuid]) -> Audience {
        if organization_ids.is_empty() {
            return self;
        }
        match self {
            // An owner's audience is its organization or nothing.
            Audience::Organization(o) if organization_ids.contains(&o) => Audience::Organization(o),
            Audience::Organization(_) => Audience::Partner(Vec::new()),
            Audience::Partner(ms) => {
                Audience::Partner(ms.into_iter().filter(|m| organization_ids.contains(&m.organization_id)).collect())
            }
        }
    }

    /// The partner ids a partner's audience covers (`None` for an organization: all of its partners).
    pub fn partner_ids(&self) -> Option<Vec<Uuid>> {
        match self {
            Audience::Organization(_) => None,
            Audience::Partner(ms) => Some(ms.iter().map(|m| m.partner_id).collect()),
        }
    }
}

fn user(actor: &Actor) -> Result<&Principal> {
    match actor {
        Actor::User(p) => Ok(p),
        Actor::Rejected(why) => Err(Error::Unauthenticated(why)),
        Actor::Unavailable => Err(Error::Unavailable),
        Actor::RateLimited { retry_after_secs } => Err(Error::RateLimited { retry_after_secs: *retry_after_secs }),
        Actor::Anonymous => Err(Error::Unauthenticated("Sign in first: this needs an access token.")),
    }
}

/// Any signed-in account (owner, partner or both): `me`, its keys. Not a reporting token.
pub fn signed_in(actor: &Actor) -> Result<&Principal> {
    let p = user(actor)?;
    if p.reports_only {
        return Err(Error::Forbidden);
    }
    Ok(p)
}

/// An organization's owner: campaigns, partners, caps and leads of that organization only.
pub fn owner(actor: &Actor) -> Result<OwnerScope> {
    let p = signed_in(actor)?;
    owner_of(p)
}

fn owner_of(p: &Principal) -> Result<OwnerScope> {
    p.owner_of.map(|organization_id| OwnerScope { organization_id, user_id: p.user_id }).ok_or(Error::Forbidden)
}

/// A marketing partner: its own records and the campaigns they are assigned to, in every organization it works with.
pub fn partner(actor: &Actor) -> Result<PartnerScope> {
    let p = signed_in(actor)?;
    partner_of(p)
}

fn partner_of(p: &Principal) -> Result<PartnerScope> {
    if p.partner_of.is_empty() {
        return Err(Error::Forbidden);
    }
    Ok(PartnerScope { user_id: p.user_id, memberships: p.partner_of.clone() })
}

/// Who reads a postback's log: the account's partner side (its own postbacks) and its owner side (its partners'
/// postbacks, for its campaigns' events); at least one of them.
pub fn postback_readers(actor: &Actor) -> Result<(Option<PartnerScope>, Option<OwnerScope>)> {
    let p = signed_in(actor)?;
    let (partner, owner) = (partner_of(p).ok(), owner_of(p).ok());
    if partner.is_none() && owner.is_none() {
        return Err(Error::Forbidden);
    }
    Ok((partner, owner))
}

/// Whose statistics a reader sees. Also a reporting token: reports are what it is for. `role` picks the side for
/// an account that is both; without it, an owner reads as the owner.
pub fn reader(actor: &Actor, role: Option<Role>) -> Result<Audience> {
    let p = user(actor)?;
    let role = role.unwrap_or(if p.owner_of.is_some() { Role::Owner } else { Role::Partner });
    Ok(match role {
        Role::Owner => Audience::Organization(owner_of(p)?.organization_id),
        Role::Partner => Audience::Partner(partner_of(p)?.memberships),
    })
}

/// Every audience of a signed-in account: its organization's rows, then its partner records' (a lead, say, is found
/// in either).
pub fn audiences(actor: &Actor) -> Result<Vec<Audience>> {
    let p = signed_in(actor)?;
    let mut all: Vec<Audience> = p.owner_of.map(Audience::Organization).into_iter().collect();
    if !p.partner_of.is_empty() {
        all.push(Audience::Partner(p.partner_of.clone()));
    }
    if all.is_empty() {
        return Err(Error::Forbidden);
    }
    Ok(all)
}

/// Who sends a lead: an account, through one of its partner records (the lead's campaign decides which).
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub user_id: Uuid,
    /// A key limited to one organization sends only to its campaigns.
    pub organization_id: Option<Uuid>,
}

/// A signed-in partner sending a lead itself.
pub fn sender(actor: &Actor) -> Result<Sender> {
    let scope = partner(actor)?;
    Ok(Sender { user_id: scope.user_id, organization_id: None })
}

/// An API key sends leads for its account; a reporting token does not.
pub fn sender_key(holder: &crate::api_keys::KeyHolder) -> Result<Sender> {
    match holder.scope {
        Scope::Leads => Ok(Sender { user_id: holder.user_id, organization_id: holder.organization_id }),
        Scope::Reports => Err(Error::Refused {
            code: "FORBIDDEN",
            message: "Send leads with an API key, not a reporting token.".into(),
        }),
    }
}

/// An API key acts as its account's owner membership (deciding on leads over REST), within its limit.
pub fn owner_key(holder: &crate::api_keys::KeyHolder) -> Result<OwnerScope> {
    match (holder.scope, holder.owner_of) {
        (Scope::Leads, Some(org)) if holder.organization_id.is_none_or(|l| l == org) => {
            Ok(OwnerScope { organization_id: org, user_id: holder.user_id })
        }
        _ => Err(Error::Forbidden),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(owner: bool, partner_in: &[Uuid]) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            reports_only: false,
            owner_of: owner.then(Uuid::now_v7),
            partner_of: partner_in
                .iter()
                .map(|o| Membership { organization_id: *o, partner_id: Uuid::now_v7() })
                .collect(),
        }
    }

    #[test]
    fn memberships_map_to_scopes() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let owner_p = account(true, &[]);
        let partner_p = account(false, &[a, b]);
        let both = account(true, &[b]);
        let user = |p: &Principal| Actor::User(p.clone());
        assert_eq!(owner(&user(&owner_p)).map(|s| s.organization_id()).ok(), owner_p.owner_of);
        assert!(matches!(owner(&user(&partner_p)), Err(Error::Forbidden)));
        assert!(matches!(owner(&Actor::Anonymous), Err(Error::Unauthenticated(_))));
        assert!(matches!(signed_in(&Actor::Rejected("expired")), Err(Error::Unauthenticated("expired"))));
        assert_eq!(partner(&user(&partner_p)).map(|s| s.memberships().len()).ok(), Some(2));
        assert!(matches!(partner(&user(&owner_p)), Err(Error::Forbidden)));
        // Both: each side on its own, the owner's by default.
        assert!(owner(&user(&both)).is_ok() && partner(&user(&both)).is_ok());
        assert_eq!(reader(&user(&both), None).ok(), Some(Audience::Organization(both.owner_of.unwrap_or_default())));
        assert_eq!(reader(&user(&both), Some(Role::Partner)).ok(), Some(Audience::Partner(both.partner_of.clone())));
        assert!(matches!(reader(&user(&partner_p), Some(Role::Owner)), Err(Error::Forbidden)));
        // A reporting token reads reports and nothing else.
        let token = Actor::User(Principal { reports_only: true, ..owner_p.clone() });
        assert!(matches!(reader(&token, None), Ok(Audience::Organization(_))));
        assert!(matches!(signed_in(&token), Err(Error::Forbidden)));
        assert!(matches!(owner(&token), Err(Error::Forbidden)));
    }

    #[test]
    fn an_advertiser_filter_only_narrows() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let p = account(false, &[a, b]);
        let Audience::Partner(only_a) = Audience::Partner(p.partner_of.clone()).within(&[a, c]) else {
            panic!("a partner's audience stays a partner's");
        };
        assert_eq!(only_a, vec![p.partner_of[0]]);
        assert_eq!(Audience::Organization(a).within(&[]), Audience::Organization(a));
        assert_eq!(Audience::Organization(a).within(&[b]), Audience::Partner(Vec::new()));
    }
}
