//! Routes: health, readiness, GraphQL, and JSON errors for everything that is not found or not acceptable.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{InternalError, JsonPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};
use partnerdesk_graphql::{Actor, ClientAddress, REFRESH_COOKIE, RefreshCookie, SessionDeadline};
use partnerdesk_migrations::{Migrator, MigratorTrait as _};
use partnerdesk_services::{Error, Services, api_keys, authz};
use serde_json::json;
use tracing::Instrument as _;

use crate::startup::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>, body_limit: usize) {
    cfg.app_data(state)
        .app_data(web::JsonConfig::default().limit(body_limit).error_handler(json_error))
        .app_data(web::PayloadConfig::new(body_limit))
        .route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready))
        .configure(crate::rest::configure)
        .configure(crate::reports::configure)
        .service(web::resource("/graphql/ws").route(web::get().to(graphql_ws)))
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql))
                .route(web::get().to(graphiql))
                .default_service(web::to(method_not_allowed)),
        )
        .default_service(web::to(crate::spa::serve));
}

/// `{"error":{"code","message"}}`: the shape of every HTTP error.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": { "code": code, "message": message } }))
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let resp = match &err {
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("The request body is larger than {limit} bytes."),
        ),
        JsonPayloadError::ContentType => error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the request body as JSON with Content-Type: application/json.",
        ),
        JsonPayloadError::Payload(p) if crate::limits::body_timed_out(p) => crate::limits::body_timeout_response(),
        other => {
            error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", &format!("The request body is not valid: {other}"))
        }
    };
    InternalError::from_response(err, resp).into()
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 when the database answers and every migration is applied; 503 otherwise (load balancers route by it). The
/// answer comes within 2 s: a health check should not wait for the pool's 5 s acquire timeout to learn the database
/// is gone.
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db = &state.services.db;
    let check = async {
        match db.ping().await {
            Err(e) => Some(format!("The database does not answer: {e}")),
            Ok(()) => match Migrator::get_pending_migrations_read_only(db).await {
                Ok(pending) if pending.is_empty() => None,
                Ok(pending) => Some(format!("{} database migration(s) are pending.", pending.len())),
                Err(e) => Some(format!("Cannot read the migration state: {e}")),
            },
        }
    };
    let problem = tokio::time::timeout(std::time::Duration::from_secs(2), check)
        .await
        .unwrap_or_else(|_| Some("The database did not answer within 2 s.".to_owned()));
    match problem {
        None => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Some(message) => {
            tracing::warn!(%message, "not ready");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "NOT_READY", &message)
        }
    }
}

async fn graphql(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<crate::persisted::Body>,
) -> HttpResponse {
    let from = client(&req);
    let cookie = RefreshCookie {
        enabled: req.headers().get("x-refresh-cookie").is_some_and(|v| v == "1"),
        token: req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()).filter(|v| !v.is_empty()),
        secure: state.secure_cookies || from.https,
    };
    let actor = actor(&req, &state.services).await;
    if let Actor::RateLimited { retry_after_secs } = actor {
        // Refused before anything runs: 429 with Retry-After, and the GraphQL error a client reads.
        let error = Error::RateLimited { retry_after_secs };
        return HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, retry_after_secs.to_string()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({ "errors": [{
                "message": error.to_string(),
                "extensions": { "code": error.code(), "retryAfterSeconds": retry_after_secs },
            }] }));
    }
    let request = match crate::persisted::request(body.into_inner(), &actor, state.persisted_only_for_app) {
        Ok(request) => request,
        Err(refused) => return HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(refused),
    };
    let request = request.data(actor).data(ClientAddress(from.ip.map(|ip| ip.to_string()))).data(cookie);
    let response = state.schema.execute(request).await;
    let mut http = HttpResponse::Ok();
    for (name, value) in &response.http_headers {
        if let Ok(v) = value.to_str() {
            http.append_header((name.as_str(), v));
        }
    }
    http.insert_header((header::CACHE_CONTROL, "no-store")).json(response)
}

/// GraphQL subscriptions over WebSocket (graphql-ws and the older subscriptions-transport-ws protocol). The access
/// token comes in the connection_init payload as `{"authorization": "Bearer <token>"}`, since browsers cannot set
/// headers on a WebSocket; the subscription ends when that token expires.
async fn graphql_ws(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> actix_web::Result<HttpResponse> {
    let services = state.services.clone();
    async_graphql_actix_web::GraphQLSubscription::new(state.schema.clone())
        .on_connection_init(move |init: serde_json::Value| async move {
            let mut data = async_graphql::Data::default();
            let bearer = init.get("authorization").or_else(|| init.get("Authorization")).and_then(|v| v.as_str());
            let actor = match bearer {
                None => Actor::Anonymous,
                Some(value) => match value.strip_prefix("Bearer ") {
                    None => Actor::Rejected("The authorization value must be `Bearer <access token>`."),
                    Some(token) => {
                        let (actor, until) = actor_for(&services, token.trim()).await;
                        if let Some(until) = until {
                            let left = (until - services.clock.now()).to_std().unwrap_or_default();
                            data.insert(SessionDeadline(tokio::time::Instant::now() + left));
                        }
                        actor
                    }
                },
            };
            data.insert(actor);
            Ok(data)
        })
        .keepalive_timeout(std::time::Duration::from_secs(60))
        .start(&req, payload)
}

/// GraphiQL: `graphiql.html`, which `scripts/build-frontend` writes beside the app with GraphiQL's and React's
/// standalone builds as hashed assets (served by this server, no CDN).
async fn graphiql(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    crate::spa::graphiql(&req, &state.frontend_dir).await
}

/// Who is calling: anonymous, a verified access token or reporting token, or a token we refuse (and say why).
pub async fn actor(req: &HttpRequest, s: &Services) -> Actor {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Actor::Anonymous;
    };
    match value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) {
        None => Actor::Rejected("The Authorization header must be `Bearer <access token>`."),
        Some(token) => actor_for(s, token.trim()).await.0,
    }
}

/// The actor a bearer token stands for, and until when (an access token expires; a reporting token lasts until it
/// is revoked). The account's memberships are read here, for this request.
async fn actor_for(s: &Services, token: &str) -> (Actor, Option<chrono::DateTime<chrono::Utc>>) {
    let (user_id, limit, until, reports_only) = if token.starts_with(api_keys::REPORTS_PREFIX) {
        match api_keys::authenticate(s, token).await {
            Ok(holder) if holder.scope == authz::Scope::Reports => (holder.user_id, holder.organization_id, None, true),
            Ok(_) => {
                let why = "This is an API key for leads: GraphQL takes an access token or a reporting token.";
                return (Actor::Rejected(why), None);
            }
            Err(Error::Unauthenticated(why)) => return (Actor::Rejected(why), None),
            Err(e) => return checking_failed(e),
        }
    } else {
        match s.tokens.verify_access_until(token, s.clock.now()) {
            Ok((user_id, until)) => (user_id, None, Some(until), false),
            Err(why) => return (Actor::Rejected(why), None),
        }
    };
    match authz::principal(s, user_id, reports_only, limit).await {
        Ok(Some(p)) => (Actor::User(p), until),
        Ok(None) => (Actor::Rejected("This account no longer exists."), None),
        Err(e) => checking_failed(e),
    }
}

fn checking_failed(e: Error) -> (Actor, Option<chrono::DateTime<chrono::Utc>>) {
    match e {
        // Logged once per outage where it was detected; the request answers SERVICE_UNAVAILABLE.
        Error::Unavailable => return (Actor::Unavailable, None),
        Error::RateLimited { retry_after_secs } => return (Actor::RateLimited { retry_after_secs }, None),
        _ => {}
    }
    tracing::error!(error = %e, "checking a token");
    (Actor::Rejected("The token could not be checked. Try again."), None)
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    error_response(StatusCode::NOT_FOUND, "NOT_FOUND", &format!("No such endpoint: {} {}", req.method(), req.path()))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        &format!("{} is not supported here; use POST (or GET for GraphiQL).", req.method()),
    )
}

/// Who sent a request: its address, and whether it came over https. Both from the TCP peer, unless the peer is in
/// `TRUSTED_PROXIES`: then from its `X-Forwarded-For` and `X-Forwarded-Proto` (a client's own are ignored).
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub ip: Option<std::net::IpAddr>,
    pub https: bool,
}

pub fn client(req: &HttpRequest) -> Client {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return Client { ip: None, https: false };
    };
    let Some(proxies) = req.app_data::<web::Data<AppState>>().map(|s| &s.trusted_proxies) else {
        return Client { ip: Some(peer.to_canonical()), https: false };
    };
    if !proxies.contains(peer) {
        return Client { ip: Some(peer.to_canonical()), https: false };
    }
    let headers = req.headers();
    let forwarded = headers.get_all("x-forwarded-for").filter_map(|v| v.to_str().ok());
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    Client { ip: Some(proxies.client_address(peer, forwarded)), https }
}

/// One tracing span per request with a fresh request id and the client's address, echoed in the `x-request-id`
/// response header. Only the path is recorded, never the query string (it may carry tokens).
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = uuid::Uuid::now_v7().to_string();
    let client = client(req.request()).ip.map(|ip| ip.to_string()).unwrap_or_default();
    let span =
        tracing::info_span!("http", request_id = %request_id, %client, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let elapsed_ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
    span.in_scope(|| tracing::info!(status, %elapsed_ms, "request"));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
    }
    Ok(res)
}
