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
        if event.metadata().target() == "sqlx::query" && in_request {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
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
    // The SQLite and PostgreSQL runs share the counter: one runs at a time.
    static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
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

on_both_databases!(a_page_costs_the_same_statements_whatever_its_size);
