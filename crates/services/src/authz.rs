//! Who may do what: the one place that decides. API layers turn the request's credentials into an [`Actor`]
//! and ask here before calling a use case; the scopes handed back are the only way to reach tenant data.

pub use partnerdesk_storage::entities::api_key::Scope;
pub use partnerdesk_storage::entities::user::Role;
use uuid::Uuid;

use crate::{Error, Result};

/// The authenticated identity carried by an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub role: Role,
    /// A reporting token (personal access token) stands for its user, but only to read reports.
    pub reports_only: bool,
}

/// Whoever is making the request.
#[derive(Debug, Clone)]
pub enum Actor {
    Anonymous,
    /// Credentials were presented but not accepted (expired, forged); the reason is safe to show.
    Rejected(&'static str),
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

/// Proof that the caller is a registered marketing partner: partner queries find its own record by `user_id`.
#[derive(Debug, Clone, Copy)]
pub struct PartnerScope {
    organization_id: Uuid,
    user_id: Uuid,
}

impl PartnerScope {
    pub fn organization_id(&self) -> Uuid {
        self.organization_id
    }
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }
}

fn principal(actor: &Actor) -> Result<Principal> {
    match actor {
        Actor::User(p) => Ok(*p),
        Actor::Rejected(why) => Err(Error::Unauthenticated(why)),
        Actor::Anonymous => Err(Error::Unauthenticated("Sign in first: this needs an access token.")),
    }
}

/// Any signed-in user (owner or partner): `me`, and nothing that touches other rows. Not a reporting token.
pub fn signed_in(actor: &Actor) -> Result<Principal> {
    let p = principal(actor)?;
    if p.reports_only {
        return Err(Error::Forbidden);
    }
    Ok(p)
}

/// An organization's owner: campaigns and, later, partners, caps and leads of that organization only.
pub fn owner(actor: &Actor) -> Result<OwnerScope> {
    let p = signed_in(actor)?;
    match p.role {
        Role::Owner => Ok(OwnerScope { organization_id: p.organization_id, user_id: p.user_id }),
        Role::Partner => Err(Error::Forbidden),
    }
}

/// A marketing partner: its own record and the campaigns it is assigned to, nothing else.
pub fn partner(actor: &Actor) -> Result<PartnerScope> {
    let p = signed_in(actor)?;
    match p.role {
        Role::Partner => Ok(PartnerScope { organization_id: p.organization_id, user_id: p.user_id }),
        Role::Owner => Err(Error::Forbidden),
    }
}

/// Who may read statistics: an owner sees its organization's, a partner only its own.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    Owner(OwnerScope),
    Partner(PartnerScope),
}

/// Also a reporting token: reports are what it is for.
pub fn reader(actor: &Actor) -> Result<Reader> {
    let p = principal(actor)?;
    Ok(match p.role {
        Role::Owner => Reader::Owner(OwnerScope { organization_id: p.organization_id, user_id: p.user_id }),
        Role::Partner => Reader::Partner(PartnerScope { organization_id: p.organization_id, user_id: p.user_id }),
    })
}

/// An owner's API key acts as its owner (deciding on leads over REST); a partner's key is not an owner's.
pub fn owner_key(holder: &crate::api_keys::KeyHolder) -> Result<OwnerScope> {
    match (holder.partner_id, holder.scope) {
        (None, Scope::Leads) => Ok(OwnerScope { organization_id: holder.organization_id, user_id: holder.user_id }),
        _ => Err(Error::Forbidden),
    }
}

/// A partner's API key sends its leads; a reporting token does not.
pub fn sender_key(holder: &crate::api_keys::KeyHolder) -> Result<Uuid> {
    match (holder.partner_id, holder.scope) {
        (Some(p), Scope::Leads) => Ok(p),
        _ => Err(Error::Refused { code: "FORBIDDEN", message: "Send leads with a partner's API key.".into() }),
    }
}

/// What a reporting token (personal access token) may do, as the actor of a GraphQL request or a CSV download.
pub fn reporting_actor(holder: &crate::api_keys::KeyHolder) -> Actor {
    match holder.scope {
        Scope::Reports => Actor::User(Principal {
            user_id: holder.user_id,
            organization_id: holder.organization_id,
            role: if holder.partner_id.is_some() { Role::Partner } else { Role::Owner },
            reports_only: true,
        }),
        Scope::Leads => {
            Actor::Rejected("This is an API key for leads: GraphQL takes an access token or a reporting token.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_to_scopes() {
        let owner_p = Principal {
            user_id: Uuid::now_v7(),
            organization_id: Uuid::now_v7(),
            role: Role::Owner,
            reports_only: false,
        };
        let partner_p = Principal { role: Role::Partner, ..owner_p };
        assert_eq!(owner(&Actor::User(owner_p)).map(|s| s.organization_id()).ok(), Some(owner_p.organization_id));
        assert!(matches!(owner(&Actor::User(partner_p)), Err(Error::Forbidden)));
        assert!(matches!(owner(&Actor::Anonymous), Err(Error::Unauthenticated(_))));
        assert!(matches!(signed_in(&Actor::Rejected("expired")), Err(Error::Unauthenticated("expired"))));
        assert!(signed_in(&Actor::User(partner_p)).is_ok());
        assert!(partner(&Actor::User(partner_p)).is_ok());
        assert!(matches!(partner(&Actor::User(owner_p)), Err(Error::Forbidden)));
        // A reporting token reads reports and nothing else.
        let token = Actor::User(Principal { reports_only: true, ..owner_p });
        assert!(matches!(reader(&token), Ok(Reader::Owner(_))));
        assert!(matches!(signed_in(&token), Err(Error::Forbidden)));
        assert!(matches!(owner(&token), Err(Error::Forbidden)));
    }
}
