//! The HTTP API for machines: partners' lead ingestion, owners' lead decisions, and tracking-link clicks.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use partnerdesk_services::api_keys::{self, KeyHolder};
use partnerdesk_services::clicks::{self, Outcome};
use partnerdesk_services::leads::{self, Idempotency, NewLead, Status};
use partnerdesk_services::{Error, authz};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::startup::AppState;

/// Largest lead body accepted.
pub const LEAD_BODY_LIMIT: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/leads", web::post().to(submit_lead))
        .route("/v1/leads/status", web::post().to(set_statuses))
        .route("/v1/campaigns/{id}/posting-instructions.md", web::get().to(posting_instructions))
        .route("/v1/leads/{id}/status", web::post().to(set_status))
        .route("/c/{code}", web::get().to(click))
        .route("/c/{code}", web::head().to(click));
}

/// A service error as `{"error":{"code","message",..}}` with the matching HTTP status.
pub fn error(e: Error) -> HttpResponse {
    let status = match &e {
        Error::Validation { .. } | Error::Fields(_) => StatusCode::BAD_REQUEST,
        Error::Duplicate { .. } => StatusCode::CONFLICT,
        Error::Unauthenticated(_) | Error::InvalidCredentials => StatusCode::UNAUTHORIZED,
        Error::Forbidden => StatusCode::FORBIDDEN,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::RateLimited { .. } | Error::CapReached { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Refused { code, .. } if *code == "IDEMPOTENCY_CONFLICT" => StatusCode::CONFLICT,
        Error::Refused { .. } => StatusCode::FORBIDDEN,
        Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Error::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut body = json!({ "code": e.code(), "message": e.to_string() });
    if let Error::Unexpected(cause) = &e {
        tracing::error!(error = %format!("{cause:#}"), "internal error");
        body["message"] = json!("Something went wrong on our side. Try again later.");
    }
    if let Some(obj) = body.as_object_mut() {
        obj.extend(e.details());
    }
    let retry_after = e.retry_after_secs();
    let mut resp = HttpResponse::build(status);
    if let Some(secs) = retry_after {
        resp.insert_header((header::RETRY_AFTER, secs.to_string()));
    }
    resp.json(json!({ "error": body }))
}

/// The key of `Authorization: Bearer <API key>`.
fn presented(req: &HttpRequest) -> Result<&str, Error> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(Error::Unauthenticated("Send `Authorization: Bearer <API key>`."))
}

async fn key_holder(req: &HttpRequest, state: &AppState) -> Result<KeyHolder, Error> {
    api_keys::authenticate(&state.services, presented(req)?).await
}

/// Reads at most `limit` bytes of body; more is `PAYLOAD_TOO_LARGE`.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<web::Bytes, HttpResponse> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if crate::limits::body_timed_out(&e) {
                crate::limits::body_timeout_response()
            } else {
                error(Error::validation("body", "The request body could not be read."))
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(crate::http::error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!("The request body is larger than {limit} bytes."),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn parse_json(body: &[u8]) -> Result<Value, Error> {
    serde_json::from_slice(body).map_err(|e| Error::validation("body", format!("The body is not valid JSON: {e}.")))
}

/// `POST /v1/leads` with a partner's API key. An `Idempotency-Key` makes retries safe: the same key and body replay
/// the first answer; the same key with another body is `IDEMPOTENCY_CONFLICT`. The key and the lead's target are
/// read in one statement; a bad key is answered as such whatever the body.
async fn submit_lead(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let presented = match presented(&req) {
        Ok(k) => k,
        Err(e) => return error(e),
    };
    let (response, key) = match lead_request(&req, payload).await {
        Ok(lead) => lead_answer(&state, presented, lead).await,
        // A body at fault is answered as such once the key is known good (or the key's fault is the answer).
        Err(fault) => match api_keys::find(&state.services, presented).await {
            Ok(key) => {
                if let BodyFault::Lead(e) = &fault {
                    state.metrics.lead(Err(e));
                }
                (fault.response(), Some(key))
            }
            Err(e) => (error(e), None),
        },
    };
    // Every request counts in the key's rate window: a stored lead's count is one of its writes; any other request
    // (refused, replayed, a test lead) is counted here.
    if let Some(key) = key {
        match key.count_alone(&state.services).await {
            Ok(()) | Err(Error::Unavailable) => {}
            Err(e) => tracing::warn!(error = %e, "an API key's request not counted"),
        }
    }
    response
}

/// A lead request as read: the lead, its `Idempotency-Key` (none for a test lead), and its body's hash.
struct LeadRequest {
    lead: leads::Valid,
    idempotency_key: Option<String>,
    request_hash: String,
}

/// What is wrong with a lead request's body or headers.
enum BodyFault {
    /// The body could not be read, or is too large.
    Body(HttpResponse),
    /// The lead is not valid (counted in the lead metrics).
    Lead(Error),
    /// The `Idempotency-Key` header is not valid.
    Header(Error),
}

impl BodyFault {
    fn response(self) -> HttpResponse {
        match self {
            BodyFault::Body(r) => r,
            BodyFault::Lead(e) | BodyFault::Header(e) => error(e),
        }
    }
}

/// Reads and checks a lead request's body and headers (not its key).
async fn lead_request(req: &HttpRequest, payload: web::Payload) -> Result<LeadRequest, BodyFault> {
    let body = read_body(payload, LEAD_BODY_LIMIT).await.map_err(BodyFault::Body)?;
    let idempotency_key = match req.headers().get("idempotency-key").map(|v| v.to_str().map(str::trim)) {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 255 => Some(k.to_owned()),
        Some(_) => {
            let e = Error::validation("Idempotency-Key", "An Idempotency-Key is 1 to 255 visible ASCII characters.");
            return Err(BodyFault::Header(e));
        }
    };
    let mut input = parse_json(&body).and_then(|v| NewLead::from_json(&v)).map_err(BodyFault::Lead)?;
    // A test lead (the header, or `"test": true`) is answered as a real one and leaves nothing: no idempotency
    // record either.
    input.test |= req.headers().get("x-test-lead").is_some_and(|v| v.as_bytes() == b"1" || v.as_bytes() == b"true");
    let idempotency_key = idempotency_key.filter(|_| !input.test);
    let lead = input.validate().map_err(BodyFault::Lead)?;
    Ok(LeadRequest { lead, idempotency_key, request_hash: hex::encode(Sha256::digest(&body)) })
}

/// The answer to a well-formed lead request, and its key when the request is still to be counted (no lead stored).
async fn lead_answer(
    state: &AppState,
    presented: &str,
    request: LeadRequest,
) -> (HttpResponse, Option<api_keys::Presented>) {
    let LeadRequest { lead, idempotency_key, request_hash } = request;
    let test = lead.is_test();
    let keyed = match leads::read_keyed(&state.services, presented, &lead).await {
        Ok(keyed) => keyed,
        Err(e) => return (error(e), None),
    };
    let key = keyed.key;
    if let Some(idem) = &idempotency_key {
        match replay_or_conflict(state, &key.holder, idem, &request_hash).await {
            Ok(Some(resp)) => return (resp, Some(key)),
            Ok(None) => {}
            Err(e) => return (error(e), Some(key)),
        }
    }
    let result = async {
        let sender = authz::sender_key(&key.holder)?;
        let idempotency =
            idempotency_key.as_deref().map(|k| Idempotency { key: k, request_hash: request_hash.clone() });
        leads::submit_keyed(&state.services, &sender, presented, keyed, lead, idempotency).await
    }
    .await;
    match result {
        Ok(lead) if test => {
            let mut receipt = leads::receipt(&lead);
            receipt["test"] = serde_json::Value::Bool(true);
            (HttpResponse::Created().json(receipt), Some(key))
        }
        Ok(lead) => {
            state.metrics.lead(Ok(()));
            (HttpResponse::Created().json(leads::receipt(&lead)), None)
        }
        // Another request with this key won the race: its answer is replayed, and was counted there.
        Err(Error::Refused { code: "IDEMPOTENCY_RACE", .. }) => {
            let replayed =
                replay_or_conflict(state, &key.holder, idempotency_key.as_deref().unwrap_or_default(), &request_hash)
                    .await;
            let answer = match replayed {
                Ok(Some(resp)) => resp,
                Ok(None) => error(Error::Unexpected(anyhow::anyhow!("idempotency record vanished"))),
                Err(e) => error(e),
            };
            (answer, Some(key))
        }
        Err(e) => {
            if !test {
                state.metrics.lead(Err(&e));
            }
            (error(e), Some(key))
        }
    }
}

async fn replay_or_conflict(
    state: &AppState,
    holder: &KeyHolder,
    key: &str,
    hash: &str,
) -> Result<Option<HttpResponse>, Error> {
    let Some(stored) = leads::replay(&state.services, holder, key).await? else {
        return Ok(None);
    };
    if stored.request_hash != hash {
        return Err(Error::Refused {
            code: "IDEMPOTENCY_CONFLICT",
            message: "This Idempotency-Key was used with a different request body.".into(),
        });
    }
    let status = StatusCode::from_u16(u16::try_from(stored.response_status).unwrap_or(200)).unwrap_or(StatusCode::OK);
    Ok(Some(
        HttpResponse::build(status)
            .insert_header(("idempotent-replayed", "true"))
            .content_type("application/json")
            .body(stored.response_body),
    ))
}

/// `POST /v1/leads/{id}/status` with an API key of the account that owns the lead's organization:
/// `{"status": "APPROVED" | "REJECTED" | "CONVERTED" | "RETURNED", "reason", "reasonCode"}`.
async fn set_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let id = uuid::Uuid::parse_str(&path).map_err(|_| Error::NotFound("Lead"));
    match decide(&state, &req, payload, move |_| Ok(vec![id?])).await {
        Ok(updated) => match updated.first() {
            Some(l) => HttpResponse::Ok().json(decision(l)),
            None => error(Error::NotFound("Lead")),
        },
        Err(resp) => resp,
    }
}

/// `POST /v1/leads/status`, the same for up to 500 leads at once, all or none: `{"ids": [..], "status", ..}`;
/// answers `{"leads": [{"id", "status"}, ..]}`.
async fn set_statuses(state: web::Data<AppState>, req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let ids = |v: &Value| -> Result<Vec<uuid::Uuid>, Error> {
        let bad = || Error::validation("ids", "ids is a list of lead ids.");
        let list = v.get("ids").and_then(Value::as_array).ok_or_else(bad)?;
        list.iter()
            .map(|i| i.as_str().and_then(|i| uuid::Uuid::parse_str(i).ok()).ok_or(Error::NotFound("Lead")))
            .collect()
    };
    match decide(&state, &req, payload, ids).await {
        Ok(updated) => HttpResponse::Ok().json(json!({ "leads": updated.iter().map(decision).collect::<Vec<_>>() })),
        Err(resp) => resp,
    }
}

fn decision(l: &leads::Lead) -> Value {
    json!({ "id": l.id.to_string(), "status": format!("{:?}", l.status).to_uppercase() })
}

/// A decision by an owner's API key: the body's status, reason and reason code, for the leads `ids` reads; the
/// error answer when it fails.
async fn decide(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    ids: impl FnOnce(&Value) -> Result<Vec<uuid::Uuid>, Error>,
) -> Result<Vec<leads::Lead>, HttpResponse> {
    let scope = key_holder(req, state).await.and_then(|h| authz::owner_key(&h)).map_err(error)?;
    let body = read_body(payload, LEAD_BODY_LIMIT).await?;
    decide_body(state, &scope, &body, ids).await.map_err(error)
}

async fn decide_body(
    state: &AppState,
    scope: &authz::OwnerScope,
    body: &[u8],
    ids: impl FnOnce(&Value) -> Result<Vec<uuid::Uuid>, Error>,
) -> Result<Vec<leads::Lead>, Error> {
    let v = parse_json(body)?;
    let ids = ids(&v)?;
    let status = match v.get("status").and_then(Value::as_str) {
        Some("APPROVED") => Status::Approved,
        Some("REJECTED") => Status::Rejected,
        Some("CONVERTED") => Status::Converted,
        Some("RETURNED") => Status::Returned,
        _ => return Err(Error::validation("status", "status is APPROVED, REJECTED, CONVERTED or RETURNED.")),
    };
    let text = |field: &str| match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(r)) => Ok(Some(r.as_str())),
        Some(_) => Err(Error::validation(field, format!("{field} must be a string."))),
    };
    let (reason, code) = (text("reason")?, text("reasonCode")?);
    leads::set_status(&state.services, scope, &ids, status, reason, code).await
}

/// `GET /v1/campaigns/{id}/posting-instructions.md` with an access token: the posting instructions (the GraphQL
/// `postingInstructions.markdown`) as a Markdown download, for the campaign's partners and its owner.
async fn posting_instructions(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let s = &state.services;
    let actor = crate::http::actor(&req, s).await;
    let result = async {
        let audiences = authz::audiences(&actor)?;
        let id = uuid::Uuid::parse_str(&path).map_err(|_| Error::NotFound("Campaign"))?;
        partnerdesk_services::quality::instructions(s, &audiences, id).await
    }
    .await;
    match result {
        Ok(i) => {
            let name: String = i
                .campaign
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect();
            HttpResponse::Ok()
                .content_type("text/markdown; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"posting-instructions-{}.md\"", name.trim_matches('-')),
                ))
                .body(i.markdown)
        }
        Err(e) => error(e),
    }
}

/// `GET /c/{code}?sub1..sub5`: records the click and redirects. `HEAD` shows where it would go, recording nothing.
async fn click(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let query = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let subs: [Option<String>; 5] = std::array::from_fn(|i| {
        query.get(&format!("sub{}", i + 1)).map(|v| v.chars().take(255).collect()).filter(|v: &String| !v.is_empty())
    });
    let record = req.method() != actix_web::http::Method::HEAD;
    let outcome = clicks::follow(&state.services, &path, subs, record).await;
    if record {
        state.metrics.click(outcome.as_ref());
    }
    match outcome {
        Ok(Outcome::Landing(url)) | Ok(Outcome::Fallback { url, .. }) => {
            let mut resp = HttpResponse::Found();
            match HeaderValue::from_str(&url) {
                Ok(v) => resp
                    .insert_header((header::LOCATION, v))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish(),
                Err(_) => error(Error::Unexpected(anyhow::anyhow!("redirect URL is not a header value"))),
            }
        }
        Ok(Outcome::Refused { reason, message }) => {
            HttpResponse::TooManyRequests().json(json!({ "error": { "code": reason, "message": message } }))
        }
        Err(e) => error(e),
    }
}
