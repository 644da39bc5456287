//! The HTTP relay: sends due deliveries (partner postbacks) from every server process, each claimed by one.
//!
//! Addresses: a destination must not reach the loopback, private, link-local or multicast ranges (checked when a
//! postback is saved, and again when it is sent, by the resolver the connection itself uses, so a name cannot be
//! re-pointed at the internal network in between). `POSTBACK_ALLOW_PRIVATE` lifts this for tests and self-hosters.
//! Concurrency: at most `per_host` requests in flight to one host per process, `in_flight` in all; a slow receiver
//! holds its own host's slots only.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use partnerdesk_storage::entities::delivery::{self, Channel, Status};
use partnerdesk_storage::entities::email_outbox::Kind;
use partnerdesk_storage::entities::postback::{self, Method};
use partnerdesk_storage::entities::{delivery_attempt, marketing_partner, organization_member, user, webhook_endpoint};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait, Set, Statement,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use super::macros::{self, Encoding};
use super::{Queue, backoff, claim, jitter};
use super::{postbacks, webhooks};
use crate::{Error, Result, Services, db};

/// Settings of the HTTP relay.
#[derive(Debug, Clone, Copy)]
pub struct HttpRelaySettings {
    /// How often the relay looks for due deliveries (it also wakes on every event of this process).
    pub poll: StdDuration,
    /// First retry delay; each further failure doubles it, up to an hour.
    pub retry_base: Duration,
    /// Requests in flight to one host, per process (`POSTBACK_HOST_CONCURRENCY`).
    pub per_host: usize,
    /// Failures in a row after which a destination is disabled and its owner emailed.
    pub disable_after: i32,
    /// Whether destinations may be loopback or private addresses (`POSTBACK_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

/// How long one request may take, connection included.
pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// A delivery that keeps failing with errors worth retrying is retried for this long, then `FAILED`.
pub const RETRY_FOR: Duration = Duration::hours(24);
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::hours(1);
/// Requests in flight per process, all hosts together.
const IN_FLIGHT: usize = 32;
/// The part of an answer's body kept in the log.
const RESPONSE_KEPT: usize = 1024;

/// Whether `ip` is an address a destination may not have: loopback, private, link-local, multicast, unspecified,
/// shared (CGNAT), benchmarking, documentation, and their IPv4-mapped and NAT64 forms.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [o0, o1, ..] = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_multicast()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_documentation()
                || o0 == 0
                || (o0 == 100 && (o1 & 0xc0) == 64)
                || (o0 == 198 && (o1 & 0xfe) == 18)
                || o0 >= 240
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || a.to_ipv4_mapped().is_some_and(|v4| internal(IpAddr::V4(v4)))
                || (s[0] == 0x64
                    && s[1] == 0xff9b
                    && internal(IpAddr::V4(std::net::Ipv4Addr::new(
                        (s[6] >> 8) as u8,
                        s[6] as u8,
                        (s[7] >> 8) as u8,
                        s[7] as u8,
                    ))))
        }
    }
}

/// The resolver of the relay's connections: a name's internal addresses are dropped, and a name with nothing else
/// fails to resolve.
struct Guarded {
    allow_private: bool,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || !internal(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to internal addresses, which postbacks may not reach").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks a destination when it is saved: an address literal is checked as is, a name by resolving it now (a name
/// that does not resolve yet is accepted; it is checked again at every send).
pub(crate) async fn check_address(url: &url::Url, allow_private: bool) -> std::result::Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let refused = || format!("{} is an internal address: postbacks go to public addresses only.", host_of(url));
    match url.host() {
        Some(url::Host::Ipv4(a)) if internal(IpAddr::V4(a)) => Err(refused()),
        Some(url::Host::Ipv6(a)) if internal(IpAddr::V6(a)) => Err(refused()),
        Some(url::Host::Domain(d)) => {
            let lookup = tokio::time::timeout(StdDuration::from_secs(3), tokio::net::lookup_host((d, 0))).await;
            match lookup {
                Ok(Ok(addrs)) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    if !addrs.is_empty() && addrs.iter().all(|a| internal(a.ip())) {
                        return Err(format!(
                            "{d} resolves to an internal address: postbacks go to public addresses only."
                        ));
                    }
                    Ok(())
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn host_of(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_owned()
}

/// `url` with the values of query parameters that look secret (tokens, keys, signatures, passwords) and any
/// password in it replaced by `***`.
pub fn mask(url: &url::Url) -> String {
    let mut masked = url.clone();
    if masked.password().is_some() {
        let _ = masked.set_password(Some("***"));
    }
    if url.query().is_some() {
        let secret = |k: &str| {
            let k = k.to_ascii_lowercase();
            ["token", "key", "secret", "pass", "auth", "sig", "hash"].iter().any(|w| k.contains(w))
        };
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) && !v.is_empty() { "***".to_owned() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        masked.query_pairs_mut().clear().extend_pairs(pairs);
    }
    masked.to_string()
}

/// What one attempt came to.
enum Outcome {
    Delivered(u16),
    /// Worth trying again: no answer, a timeout, 408, 429 or 5xx.
    Retry(Option<u16>),
    /// Refused for good: another 4xx, or nothing left to send.
    Failed(Option<u16>),
}

struct Attempt {
    outcome: Outcome,
    method: &'static str,
    url: String,
    latency_ms: i32,
    response: Option<String>,
    error: Option<String>,
}

/// Per-host slots of this process.
struct Hosts {
    per_host: usize,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Hosts {
    /// A slot of `host`, if one is free now.
    fn try_slot(&self, host: &str) -> Option<OwnedSemaphorePermit> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.entry(host.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_host)));
        slot.clone().try_acquire_owned().ok()
    }

    /// Hosts with no free slot in this process: their deliveries are not claimed now.
    fn saturated(&self) -> Vec<String> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // Idle hosts are forgotten.
        slots.retain(|_, s| s.available_permits() < self.per_host);
        slots.iter().filter(|(_, s)| s.available_permits() == 0).map(|(h, _)| h.clone()).collect()
    }
}

/// Runs forever: claims due deliveries, sends each in its own task, records the outcomes.
pub async fn run_http_relay(s: Services, settings: HttpRelaySettings) {
    let client = match reqwest::Client::builder()
        .dns_resolver(Arc::new(Guarded { allow_private: settings.allow_private }))
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Partnerdesk/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "postback relay: cannot build its HTTP client");
            return;
        }
    };
    let per_host = settings.per_host.max(1);
    // A claimed row is sent at once (a row whose host has no free slot is given back): a lease of a few timeouts.
    let lease = Duration::from_std(TIMEOUT * 3).unwrap_or(Duration::minutes(1));
    let queue = Queue {
        table: "deliveries",
        key: "(destination_id, event_id)",
        columns: "destination_id, event_id, event, organization_id, status, attempts, next_attempt_at, locked_until, \
                  last_status_code, created_at, finished_at, channel",
        lease,
    };
    let hosts = Hosts { per_host, slots: Mutex::default() };
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let finished = Arc::new(tokio::sync::Notify::new());
    tracing::info!(per_host, allow_private = settings.allow_private, "postback relay started");
    loop {
        let free = in_flight.available_permits();
        if free == 0 {
            finished.notified().await;
            continue;
        }
        let busy = hosts.saturated();
        let placeholders: Vec<String> = (0..busy.len()).map(|i| format!("${}", i + 3)).collect();
        let hosts_busy =
            if busy.is_empty() { String::new() } else { format!(" OR host IN ({})", placeholders.join(", ")) };
        let filter = format!(
            "AND destination_id NOT IN (SELECT id FROM postbacks WHERE disabled_at IS NOT NULL{hosts_busy}) \
             AND destination_id NOT IN (SELECT id FROM webhook_endpoints WHERE disabled_at IS NOT NULL{hosts_busy})"
        );
        let values = busy.into_iter().map(Into::into).collect();
        let claimed = match claim::<delivery::Entity>(&s, &queue, free, &filter, values).await {
            Ok(rows) => rows,
            Err(e) => {
                relay_error(e);
                Vec::new()
            }
        };
        let full = claimed.len() == free;
        let destinations = match destinations(&s, &claimed).await {
            Ok(found) => found,
            Err(e) => {
                // Nothing was sent: the claims go back at once (or, if the database refuses that too, when their
                // lease expires), and the relay pauses before it claims again.
                relay_error(e);
                if let Err(e) = release(&s, &claimed).await {
                    relay_error(e);
                }
                tokio::time::sleep(settings.poll).await;
                continue;
            }
        };
        let mut put_back = Vec::new();
        for row in claimed {
            // A destination deleted since: its deliveries went with it.
            let Some(dest) = destinations.get(&row.destination_id).cloned() else { continue };
            let (Some(slot), Ok(permit)) = (hosts.try_slot(dest.host()), in_flight.clone().try_acquire_owned()) else {
                put_back.push(row);
                continue;
            };
            let (s, client, finished) = (s.clone(), client.clone(), finished.clone());
            tokio::spawn(async move {
                let id = (row.destination_id, row.event_id);
                if let Err(e) = deliver(&s, &client, settings, row, dest).await {
                    tracing::warn!(destination_id = %id.0, event_id = %id.1, error = %format!("{:#}", anyhow::Error::from(e)), "postback relay: outcome not recorded; the lease will expire and it goes again");
                }
                drop((slot, permit));
                finished.notify_one();
            });
        }
        if let Err(e) = release(&s, &put_back).await {
            relay_error(e);
        }
        if !full || !put_back.is_empty() {
            tokio::select! {
                () = tokio::time::sleep(settings.poll) => {}
                () = s.deliveries_wakeup.notified() => {}
                () = finished.notified() => {}
            }
        }
    }
}

fn relay_error(e: Error) {
    match e {
        // Logged once when the outage began.
        Error::Unavailable => {}
        e => tracing::error!(error = %format!("{:#}", anyhow::Error::from(e)), "postback relay"),
    }
}

/// Gives claimed deliveries back (their host had no free slot): due again at once, the attempt not counted. Only rows
/// still at these claims' attempt numbers (a later claim of a row counts one more).
async fn release(s: &Services, rows: &[delivery::Model]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 3);
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        values.push(r.destination_id.into());
        values.push(r.event_id.into());
        values.push(r.attempts.into());
        keys.push(format!("(${}, ${}, ${})", values.len() - 2, values.len() - 1, values.len()));
    }
    s.db.execute_raw(Statement::from_sql_and_values(
        s.db.get_database_backend(),
        format!(
            "UPDATE deliveries SET locked_until = NULL, attempts = attempts - 1 \
             WHERE (destination_id, event_id, attempts) IN ({})",
            keys.join(", ")
        ),
        values,
    ))
    .await?;
    Ok(())
}

/// Where a delivery goes.
#[derive(Clone)]
enum Destination {
    Postback(postback::Model),
    Webhook(webhook_endpoint::Model),
}

impl Destination {
    fn id(&self) -> Uuid {
        match self {
            Destination::Postback(p) => p.id,
            Destination::Webhook(w) => w.id,
        }
    }

    fn host(&self) -> &str {
        match self {
            Destination::Postback(p) => &p.host,
            Destination::Webhook(w) => &w.host,
        }
    }

    /// Its table, which counts its failures in a row.
    fn table(&self) -> &'static str {
        match self {
            Destination::Postback(_) => "postbacks",
            Destination::Webhook(_) => "webhook_endpoints",
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Destination::Postback(p) => method_name(p.method),
            Destination::Webhook(_) => "POST",
        }
    }
}

/// The destinations of claimed deliveries, by id (a destination deleted since is missing: its deliveries went too).
async fn destinations(s: &Services, rows: &[delivery::Model]) -> Result<HashMap<Uuid, Destination>> {
    let of = |c: Channel| rows.iter().filter(|d| d.channel == c).map(|d| d.destination_id).collect::<Vec<_>>();
    let mut found = HashMap::new();
    let postbacks = of(Channel::Postback);
    if !postbacks.is_empty() {
        for p in postback::Entity::find().filter(postback::Column::Id.is_in(postbacks)).all(&s.db).await? {
            found.insert(p.id, Destination::Postback(p));
        }
    }
    let endpoints = of(Channel::Webhook);
    if !endpoints.is_empty() {
        for w in
            webhook_endpoint::Entity::find().filter(webhook_endpoint::Column::Id.is_in(endpoints)).all(&s.db).await?
        {
            found.insert(w.id, Destination::Webhook(w));
        }
    }
    Ok(found)
}

/// Sends one delivery and records the attempt.
async fn deliver(
    s: &Services,
    client: &reqwest::Client,
    settings: HttpRelaySettings,
    row: delivery::Model,
    dest: Destination,
) -> Result<()> {
    let failed = |url: String, error: String| Attempt {
        outcome: Outcome::Failed(None),
        method: dest.method(),
        url,
        latency_ms: 0,
        response: None,
        error: Some(error),
    };
    let gone = "The event is no longer stored (clicks are kept for CLICK_RETENTION_DAYS).".to_owned();
    let attempt = match &dest {
        Destination::Postback(pb) => match postbacks::values(s, &row, pb).await? {
            None => failed(String::new(), gone),
            Some(values) => {
                let url = macros::render(&pb.url, &values, Encoding::Url);
                match url::Url::parse(&url) {
                    Err(e) => failed(url, format!("Not a valid URL once the macros are filled in: {e}.")),
                    Ok(url) => {
                        let request = postback_request(client, pb, &values, url.clone());
                        send(request, &url, dest.method(), settings.allow_private).await
                    }
                }
            }
        },
        Destination::Webhook(endpoint) => match (webhooks::payload(s, &row).await?, url::Url::parse(&endpoint.url)) {
            (None, _) => failed(endpoint.url.clone(), gone),
            (_, Err(e)) => failed(endpoint.url.clone(), format!("Not a valid URL: {e}.")),
            (Some(body), Ok(url)) => {
                // The id is the same on every attempt, so that receivers can drop repeats; the signature is the
                // attempt's own (its timestamp).
                let id = format!("msg_{}", postbacks::delivery_id(row.destination_id, row.event_id).simple());
                let timestamp = s.clock.now().timestamp();
                let signature = webhooks::signatures(endpoint, &id, timestamp, &body, s.clock.now());
                let request = client
                    .post(url.clone())
                    .header("content-type", "application/json")
                    .header("webhook-id", id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", signature)
                    .body(body);
                send(request, &url, "POST", settings.allow_private).await
            }
        },
    };
    record(s, settings, &row, &dest, attempt).await
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::PostForm | Method::PostJson => "POST",
    }
}

fn postback_request(
    client: &reqwest::Client,
    pb: &postback::Model,
    values: &macros::Values,
    url: url::Url,
) -> reqwest::RequestBuilder {
    match pb.method {
        Method::Get => client.get(url),
        Method::PostForm => {
            let body = match &pb.body {
                Some(t) => macros::render(t, values, Encoding::Form),
                None => macros::default_body(values, Encoding::Form),
            };
            client.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
        }
        Method::PostJson => {
            let body = match &pb.body {
                Some(t) => macros::render(t, values, Encoding::Json),
                None => macros::default_body(values, Encoding::Json),
            };
            client.post(url).header("content-type", "application/json").body(body)
        }
    }
}

async fn send(request: reqwest::RequestBuilder, url: &url::Url, method: &'static str, allow_private: bool) -> Attempt {
    let shown = mask(url);
    // Address literals do not go through the resolver: check them here.
    if let Err(e) = check_literal(url, allow_private) {
        return Attempt {
            outcome: Outcome::Retry(None),
            method,
            url: shown,
            latency_ms: 0,
            response: None,
            error: Some(e),
        };
    }
    let started = Instant::now();
    let answer = request.send().await;
    let latency = |started: Instant| i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match answer {
        Err(e) => Attempt {
            outcome: Outcome::Retry(None),
            method,
            url: shown,
            latency_ms: latency(started),
            response: None,
            error: Some(describe(&e)),
        },
        Ok(mut res) => {
            let status = res.status().as_u16();
            let mut kept: Vec<u8> = Vec::new();
            while kept.len() < RESPONSE_KEPT {
                match res.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            kept.truncate(RESPONSE_KEPT);
            let outcome = match status {
                200..=399 => Outcome::Delivered(status),
                408 | 429 | 500..=599 => Outcome::Retry(Some(status)),
                _ => Outcome::Failed(Some(status)),
            };
            Attempt {
                outcome,
                method,
                url: shown,
                latency_ms: latency(started),
                response: Some(String::from_utf8_lossy(&kept).into_owned()),
                error: None,
            }
        }
    }
}

fn check_literal(url: &url::Url, allow_private: bool) -> std::result::Result<(), String> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(a)) => IpAddr::V4(a),
        Some(url::Host::Ipv6(a)) => IpAddr::V6(a),
        _ => return Ok(()),
    };
    if !allow_private && internal(ip) {
        return Err(format!("{ip} is an internal address, which postbacks may not reach."));
    }
    Ok(())
}

/// A transport error with its causes, without the URL (it is logged masked beside it).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() { format!("No answer within {} s.", TIMEOUT.as_secs()) } else { String::new() };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    if text.is_empty() {
        text = "Could not connect".into();
    }
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(1000).collect()
}

/// The attempt's log row, the delivery's new state and the destination's run of failures, in one transaction; at
/// `disable_after` failures in a row the destination is disabled and its partner emailed, in the same transaction.
async fn record(
    s: &Services,
    settings: HttpRelaySettings,
    row: &delivery::Model,
    dest: &Destination,
    a: Attempt,
) -> Result<()> {
    let now = s.clock.now();
    let (status, code, next) = match a.outcome {
        Outcome::Delivered(code) => (Status::Delivered, Some(code), None),
        Outcome::Failed(code) => (Status::Failed, code, None),
        Outcome::Retry(code) if now < row.created_at + RETRY_FOR => {
            (Status::Pending, code, Some(now + jitter(backoff(settings.retry_base, row.attempts, MAX_DELAY))))
        }
        Outcome::Retry(code) => (Status::Failed, code, None),
    };
    let code = code.map(i32::from);
    let logged = delivery_attempt::ActiveModel {
        // Real time: the log lists attempts in the order they happened.
        id: Set(Uuid::now_v7()),
        destination_id: Set(row.destination_id),
        event_id: Set(row.event_id),
        event: Set(row.event.clone()),
        organization_id: Set(row.organization_id),
        attempt: Set(row.attempts),
        method: Set(a.method.to_owned()),
        url: Set(a.url),
        status_code: Set(code),
        latency_ms: Set(a.latency_ms),
        response: Set(a.response),
        error: Set(a.error.clone()),
        next_retry_at: Set(next),
        created_at: Set(now),
    };
    let backend = s.db.get_database_backend();
    let state = Statement::from_sql_and_values(
        backend,
        // Only while the row is still this attempt's (its lease and its attempt number: two claims can set the same
        // lease time, a later claim of the row counts one more attempt): a replay or a retry asked for during the
        // attempt has made it due again, and stays so.
        "UPDATE deliveries SET status = $1, locked_until = NULL, last_status_code = $2, \
         next_attempt_at = COALESCE($3, next_attempt_at), finished_at = $4 \
         WHERE destination_id = $5 AND event_id = $6 AND locked_until = $7 AND attempts = $8",
        [
            status.to_value().into(),
            code.into(),
            next.into(),
            (if next.is_none() { Some(now) } else { None }).into(),
            row.destination_id.into(),
            row.event_id.into(),
            row.locked_until.into(),
            row.attempts.into(),
        ],
    );
    if status == Status::Delivered {
        // The common case in one batch (one round trip on PostgreSQL): the log row, the delivery's state, and the
        // destination's run of failures ended.
        let mut batch = db::Batch::default();
        batch.push(delivery_attempt::Entity::insert(logged).build(backend));
        batch.push(state);
        batch.push(Statement::from_sql_and_values(
            backend,
            format!("UPDATE {} SET consecutive_failures = 0 WHERE id = $1 AND consecutive_failures <> 0", dest.table()),
            [dest.id().into()],
        ));
        batch.run(&s.db).await?;
        tracing::debug!(destination_id = %dest.id(), event_id = %row.event_id, "delivered");
        return Ok(());
    }
    let txn = db::begin_write(&s.db).await?;
    logged.insert(&txn).await?;
    txn.execute_raw(state).await?;
    // Counted in the row itself: deliveries of one destination finish concurrently, in several processes.
    let mut disable = false;
    let counted = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {} SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
                     RETURNING consecutive_failures",
                dest.table()
            ),
            [dest.id().into()],
        ))
        .await?;
    let failures = counted.map(|r| r.try_get_by_index::<i32>(0)).transpose()?.unwrap_or(0);
    if failures >= settings.disable_after {
        // Only the attempt that disables it sends the email.
        disable = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("UPDATE {} SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL", dest.table()),
                [now.into(), dest.id().into()],
            ))
            .await?
            .rows_affected()
            == 1;
    }
    if disable {
        disabled_email(s, &txn, dest, failures, a.error.as_deref(), code).await?;
    }
    txn.commit().await?;
    if disable {
        s.outbox_wakeup.notify_one();
        tracing::warn!(destination_id = %dest.id(), failures, "destination disabled after failing repeatedly");
    }
    tracing::info!(
        destination_id = %dest.id(),
        event_id = %row.event_id,
        attempt = row.attempts,
        status = ?code,
        error = ?a.error,
        retry = next.is_some(),
        "not delivered"
    );
    Ok(())
}

async fn disabled_email(
    s: &Services,
    txn: &sea_orm::DatabaseTransaction,
    dest: &Destination,
    failures: i32,
    error: Option<&str>,
    code: Option<i32>,
) -> Result<()> {
    let last = match (code, error) {
        (Some(c), _) => format!("HTTP {c}"),
        (None, Some(e)) => e.to_owned(),
        (None, None) => "no answer".to_owned(),
    };
    let shown = |u: &str| url::Url::parse(u).map(|u| mask(&u)).unwrap_or_else(|_| u.to_owned());
    // Who is told: the partner account of a postback (its email filed under one of its advertisers: the outbox is
    // kept per organization), the owner of a webhook endpoint's organization.
    let (user_id, organization_id, partner_id, what, url, page, kind) = match dest {
        Destination::Postback(pb) => {
            let Some(record) = marketing_partner::Entity::find()
                .filter(marketing_partner::Column::UserId.eq(pb.user_id))
                .one(txn)
                .await?
            else {
                return Ok(());
            };
            (
                pb.user_id,
                record.organization_id,
                Some(record.id),
                "postback",
                shown(&pb.url),
                "portal/keys",
                Kind::Postback,
            )
        }
        Destination::Webhook(w) => {
            let Some(owner) = organization_member::Entity::find()
                .filter(organization_member::Column::OrganizationId.eq(w.organization_id))
                .one(txn)
                .await?
            else {
                return Ok(());
            };
            (owner.user_id, w.organization_id, None, "webhook endpoint", shown(&w.url), "api-access", Kind::Webhook)
        }
    };
    let Some(account) = user::Entity::find_by_id(user_id).one(txn).await? else { return Ok(()) };
    let mail = super::emails::destination_disabled(what, &url, failures, &last, &format!("{}/{page}", s.public_url));
    super::outbox::enqueue(txn, s, organization_id, partner_id, None, kind, &account.email, mail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(a: &str) -> IpAddr {
        match a.parse() {
            Ok(ip) => ip,
            Err(e) => panic!("{a}: {e}"),
        }
    }

    #[test]
    fn internal_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "198.18.0.1",
        ] {
            assert!(internal(ip(a)), "{a}");
        }
        for a in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(!internal(ip(a)), "{a}");
        }
    }

    #[test]
    fn secrets_in_urls_are_masked() {
        let Ok(u) = url::Url::parse("https://u:pw@t.example/pb?cid=123&token=abc&api_key=k&sig=s&payout=1") else {
            panic!("a valid URL");
        };
        assert_eq!(mask(&u), "https://u:***@t.example/pb?cid=123&token=***&api_key=***&sig=***&payout=1");
    }
}
