//! Persisted documents: the browser app's GraphQL operations (`frontend/graphql/*.graphql`), compiled into the
//! server and known by `sha256:<hex>` of each file's exact bytes. The app's build computes the same ids
//! (`frontend/build.rs`) and sends `{"documentId", "operationName", "variables"}` without a `query` (the
//! GraphQL-over-HTTP persisted documents convention). With `PERSISTED_ONLY_FOR_APP`, a request that comes as the app
//! (anonymous, or with a session's access token) may run only these; a reporting token sends any document.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use async_graphql::{ErrorExtensionValues, ServerError};
use partnerdesk_graphql::Actor;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The app's documents, as its build reads them.
const DOCUMENTS: [&str; 8] = [
    include_str!("../../../frontend/graphql/auth.graphql"),
    include_str!("../../../frontend/graphql/campaigns.graphql"),
    include_str!("../../../frontend/graphql/partners.graphql"),
    include_str!("../../../frontend/graphql/postbacks.graphql"),
    include_str!("../../../frontend/graphql/stats.graphql"),
    include_str!("../../../frontend/graphql/traffic.graphql"),
    include_str!("../../../frontend/graphql/webhooks.graphql"),
    include_str!("../../../frontend/graphql/quality.graphql"),
];

static BY_ID: LazyLock<HashMap<String, &'static str>> =
    LazyLock::new(|| DOCUMENTS.iter().map(|text| (document_id(text), *text)).collect());

/// `sha256:` and the lowercase hex SHA-256 of the document's bytes.
pub fn document_id(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().fold(String::from("sha256:"), |mut id, b| {
        let _ = write!(id, "{b:02x}");
        id
    })
}

/// The stored document with this id.
pub fn find(id: &str) -> Option<&'static str> {
    BY_ID.get(id).copied()
}

/// The body of `POST /graphql`: a GraphQL request, or a persisted document's id in place of its `query`.
#[derive(Deserialize)]
pub struct Body {
    #[serde(flatten)]
    request: async_graphql::Request,
    #[serde(default, rename = "documentId")]
    document_id: Option<String>,
}

/// The request to execute: a `documentId` replaced by its document. Refused, as a GraphQL response with one coded
/// error: an unknown id (`PERSISTED_DOCUMENT_NOT_FOUND`), both `query` and `documentId` (`VALIDATION`), and, when
/// `persisted_only` is set, a free-form `query` from the app (`PERSISTED_DOCUMENT_REQUIRED`) or from a credential
/// the server did not accept (`UNAUTHENTICATED`, with the reason).
pub fn request(
    body: Body,
    actor: &Actor,
    persisted_only: bool,
) -> Result<async_graphql::Request, Box<async_graphql::Response>> {
    let Body { mut request, document_id } = body;
    let Some(id) = document_id else {
        if !persisted_only {
            return Ok(request);
        }
        return match actor {
            Actor::User(p) if p.reports_only => Ok(request),
            // Answered by the resolvers as usual (SERVICE_UNAVAILABLE, RATE_LIMITED); nothing runs for them.
            Actor::Unavailable | Actor::RateLimited { .. } => Ok(request),
            Actor::Rejected(why) => Err(refuse("UNAUTHENTICATED", why)),
            Actor::Anonymous | Actor::User(_) => Err(refuse(
                "PERSISTED_DOCUMENT_REQUIRED",
                "This server runs only the app's persisted documents for the app: send `documentId` instead of \
                 `query`, or authenticate with a reporting token to send your own documents.",
            )),
        };
    };
    if !request.query.is_empty() {
        return Err(refuse("VALIDATION", "Send either `query` or `documentId`, not both."));
    }
    let Some(text) = find(&id) else {
        return Err(refuse("PERSISTED_DOCUMENT_NOT_FOUND", "No persisted document has this `documentId`."));
    };
    text.clone_into(&mut request.query);
    Ok(request)
}

fn refuse(code: &str, message: &str) -> Box<async_graphql::Response> {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    if code == "VALIDATION" {
        ext.set("field", "documentId");
    }
    e.extensions = Some(ext);
    Box::new(async_graphql::Response::from_errors(vec![e]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sha256_of_the_bytes() {
        // sha256("") is well known.
        assert_eq!(document_id(""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        for text in DOCUMENTS {
            assert_eq!(find(&document_id(text)), Some(text));
        }
        assert_eq!(find("sha256:00"), None);
    }
}
