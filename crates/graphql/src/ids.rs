//! Opaque ids and cursors. Ids are UUIDs as text; cursors are base64url and mean nothing to clients.

use async_graphql::ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use partnerdesk_services::Error;
use uuid::Uuid;

pub fn id(u: Uuid) -> ID {
    ID(u.to_string())
}

/// An id that is not ours cannot name anything: `NOT_FOUND`, like an id of another organization.
pub fn parse(id: &ID, what: &'static str) -> Result<Uuid, Error> {
    Uuid::parse_str(&id.0).map_err(|_| Error::NotFound(what))
}

pub fn cursor(u: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(u.as_bytes())
}

pub fn parse_cursor(c: &str) -> Result<Uuid, Error> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| Uuid::from_slice(&b).ok())
        .ok_or_else(|| Error::validation("after", "This cursor is not valid: pass an endCursor from a previous page."))
}

/// `first` (default 20) and the decoded `after` cursor of a list field.
pub fn page_args(first: Option<i32>, after: Option<&str>) -> Result<(u64, Option<Uuid>), Error> {
    let after = after.map(parse_cursor).transpose()?;
    Ok((u64::try_from(first.unwrap_or(20)).unwrap_or(0), after))
}
