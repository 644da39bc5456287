//! No N+1: counts the SQL statements one GraphQL request issues, for a page of 10 and of 50 partners with their
//! campaigns, caps and cap usage; the count must not grow with the page. Its own test binary, so that only this
//! scenario's requests run while it counts (statements are counted inside the request's `http` span).
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared with the API suite; this binary uses a part of them.
#[macro_use]
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use helpers::{Db, spawn_app};
use serde_json::json;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

#[derive(Clone, Default)]
struct Statements(Arc<AtomicUsize>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let in_request = ctx.event_scope(event).is_some_and(|mut scope| scope.any(|span| span.name() == "http"));
        if event.metadata().target() == "sqlx::query" && in_request && !opens_a_connection(event) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Every scenario shares the counter: one runs at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// SQLite's `PRAGMA ...` when the pool opens a connection: the pool's work, not the request's.
fn opens_a_connection(event: &tracing::Event<'_>) -> bool {
    struct Summary(bool);
    impl tracing::field::Visit for Summary {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "summary" {
                self.0 = format!("{value:?}").starts_with("\"PRAGMA");
            }
        }
    }
    let mut pragma = Summary(false);
    event.record(&mut pragma);
    pragma.0
}

fn counter() -> Statements {
    static COUNTER: std::sync::OnceLock<Statements> = std::sync::OnceLock::new();
    COUNTER
        .get_or_init(|| {
            let counter = Statements::default();
            let filter = tracing_subscriber::filter::Targets::new()
                .with_target("sqlx::query", tracing::Level::TRACE)
                .with_target("partnerdesk", tracing::Level::INFO);
            let subscriber = tracing_subscriber::registry().with(counter.clone()).with(filter);
            tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test binary");
            counter
        })
        .clone()
}

const PAGE: &str = "query($n: Int!) { marketingPartners(first: $n) { totalCount nodes { email status
    campaigns { status campaign { name timeZone } caps { metric window limit } capUsage { used remaining resetsAt } } } } }";

async fn a_page_costs_the_same_statements_whatever_its_size(db: Db) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let counter = counter();
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let token = owner.access_token.as_str();
    let campaigns = [app.create_campaign(token, "Solar").await, app.create_campaign(token, "Roofing").await];
    for i in 0..50 {
        for c in &campaigns {
            let res = app
                .gql(
                    Some(token),
                    "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e, caps: [{ metric: FORM, window: DAILY, limit: 10 }, { metric: CLICK, window: MONTHLY, limit: 500 }] }) { existingPartner } }",
                    json!({ "c": c, "e": format!("p{i}@partner.test") }),
                )
                .await;
            assert!(res["errors"].is_null(), "{res}");
        }
    }
    let mut counts = Vec::new();
    for n in [10, 50] {
        let before = counter.0.load(Ordering::SeqCst);
        let res = app.gql(Some(token), PAGE, json!({ "n": n })).await;
        let nodes = res["data"]["marketingPartners"]["nodes"].as_array().unwrap_or_else(|| panic!("{res}"));
        assert_eq!(nodes.len(), n);
        assert!(nodes.iter().all(|p| p["campaigns"].as_array().is_some_and(|c| c.len() == 2)));
        assert_eq!(nodes[0]["campaigns"][0]["capUsage"].as_array().map(Vec::len), Some(2));
        counts.push(counter.0.load(Ordering::SeqCst) - before);
    }
    assert!(counts[0] > 0, "statements were not counted");
    assert_eq!(counts[0], counts[1], "a page of 50 issues more statements than a page of 10: {counts:?}");
    assert!(counts[1] <= 8, "{counts:?} statements for one page");
}

/// The statements one request issued, counted while `request` runs (its own, alone: the scenarios run one at a time).
async fn counted<F: std::future::Future<Output = u16>>(counter: &Statements, request: F) -> (u16, usize) {
    let before = counter.0.load(Ordering::SeqCst);
    let status = request.await;
    (status, counter.0.load(Ordering::SeqCst) - before)
}

/// The traffic paths' round trips. On PostgreSQL a lead is one read of its key and its target, the Idempotency-Key's
/// earlier answer, and one statement for all of its writes (the check that what was read still holds, the key's count
/// of the request, two caps, the lead, its history, two rollups, its postbacks' and webhooks' deliveries, the
/// idempotency key) — 3, where each write was a round trip of its own between BEGIN and COMMIT (13); the key's next
/// lead 2 (its key and target from the process's cache); a click is its read and one statement of writes (its
/// postbacks' deliveries included), the link's next click that statement alone. SQLite runs the writes one by one in
/// a transaction (no network).
async fn traffic_takes_few_round_trips(db: Db) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let counter = counter();
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let caps = json!([{ "metric": "FORM", "window": "DAILY", "limit": 10 }, { "metric": "FORM", "window": "MONTHLY", "limit": 100 },
                      { "metric": "CLICK", "window": "DAILY", "limit": 10 }]);
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: AddMarketingPartnerInput!) { addMarketingPartner(input: $i) { existingPartner } }",
            json!({ "i": { "campaignId": campaign, "email": "pat@partner.test", "caps": caps } }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let token = app.invitation_token("pat@partner.test").await;
    let partner = helpers::session(
        &app.accept_invitation(None, &token, Some("Pat"), Some(helpers::PASSWORD)).await,
        "acceptInvitation",
    );
    let res = app.gql(Some(&partner.access_token), "mutation { createApiKey(name: \"CRM\") { key } }", json!({})).await;
    let key = res["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
    let res =
        app.gql(Some(&partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = res["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();

    let lead =
        json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Ann" }, "subIds": { "sub1": "x" } });
    let post_lead = |idempotency_key: &'static str| {
        let req = app.client.post(format!("{}/v1/leads", app.address)).bearer_auth(&key);
        let req = req.header("idempotency-key", idempotency_key).json(&lead);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let (status, lead_statements) = counted(&counter, post_lead("k1")).await;
    assert_eq!(status, 201);
    // The next lead's key and target come from the process's cache: no read before its writes.
    let (status, cached_lead_statements) = counted(&counter, post_lead("k2")).await;
    assert_eq!(status, 201);
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let click = || async { no_redirect.get(&link).send().await.unwrap().status().as_u16() };
    let (status, click_statements) = counted(&counter, click()).await;
    assert_eq!(status, 302);
    let (status, cached_click_statements) = counted(&counter, click()).await;
    assert_eq!(status, 302);
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM cap_counters WHERE used = 2").await, 3, "the caps counted twice");
    let counts = (lead_statements, cached_lead_statements, click_statements, cached_click_statements);
    eprintln!("{db:?}: statements for a lead, the next, a click, the next: {counts:?}");
    match db {
        Db::Postgres => assert_eq!(counts, (3, 2, 2, 1)),
        Db::Sqlite => assert_eq!(counts, (13, 12, 7, 6)),
    }
}

on_both_databases!(a_page_costs_the_same_statements_whatever_its_size, traffic_takes_few_round_trips);
