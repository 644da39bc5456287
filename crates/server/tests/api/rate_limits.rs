//! `KEY_RATE_LIMIT`: requests per minute per API key and per reporting token, counted in the database so that every
//! server process refuses the same key at the same count.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, error_code, spawn_app_with};
use crate::traffic::{post_lead, setup};

on_both_databases!(a_reporting_token_gets_its_minute_across_processes, an_api_key_for_leads_is_limited_too);

const REPORT: &str =
    "{ report(filter: { from: \"2026-01-01\", to: \"2026-01-31\" }, groupBy: [CAMPAIGN]) { nodes { clicks } } }";

/// POST /graphql with a bearer token; the status, the Retry-After header and the body.
async fn graphql(app: &TestApp, token: &str) -> (u16, Option<String>, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .json(&json!({ "query": REPORT }))
        .send()
        .await
        .unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry, res.json().await.unwrap())
}

async fn reporting_token(app: &TestApp, access_token: &str) -> String {
    let res =
        app.gql(Some(access_token), "mutation { createApiKey(name: \"BI\", scope: REPORTS) { key } }", json!({})).await;
    res["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned()
}

async fn a_reporting_token_gets_its_minute_across_processes(db: Db) {
    let app = spawn_app_with(db, &[("KEY_RATE_LIMIT", "4")]).await;
    let other = app.another_process_with(&[("KEY_RATE_LIMIT", "4")]).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let token = reporting_token(&app, &owner.access_token).await;
    let spare = reporting_token(&app, &owner.access_token).await;

    // Four requests, spread over two processes, are the minute's allowance; the fifth is refused by either.
    for (i, process) in [&app, &other, &app, &other].into_iter().enumerate() {
        let (status, _, body) = graphql(process, &token).await;
        assert_eq!(status, 200, "request {i}: {body}");
        assert!(body["data"]["report"]["nodes"].is_array(), "request {i}: {body}");
    }
    for process in [&app, &other] {
        let (status, retry, body) = graphql(process, &token).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "{body}");
        let wait = body["errors"][0]["extensions"]["retryAfterSeconds"].as_i64().unwrap();
        assert!((1..=60).contains(&wait), "{body}");
        assert_eq!(retry, Some(wait.to_string()));
        assert!(body.get("data").is_none_or(Value::is_null), "nothing ran: {body}");
    }
    // The CSV download of the same token is refused too: one allowance per token, whatever the route.
    let csv = app
        .client
        .get(format!("{}/v1/reports.csv?from=2026-01-01&to=2026-01-31&groupBy=CAMPAIGN", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 429);
    assert!(csv.headers().get("retry-after").is_some());
    let csv: Value = csv.json().await.unwrap();
    assert_eq!(csv["error"]["code"], "RATE_LIMITED", "{csv}");

    // Another token of the same account, and the account's own session in the browser app, are not affected.
    assert_eq!(graphql(&app, &spare).await.0, 200);
    assert_eq!(graphql(&app, &owner.access_token).await.0, 200);

    // The next minute the token works again.
    app.clock.advance(Duration::seconds(61));
    let (status, _, body) = graphql(&other, &token).await;
    assert_eq!(status, 200, "{body}");
}

/// A lead's count is one of its own writes; every other request with the key (refused, a test lead, a replay) is
/// counted by itself: all count, in either process.
async fn an_api_key_for_leads_is_limited_too(db: Db) {
    let app = spawn_app_with(db, &[("KEY_RATE_LIMIT", "5")]).await;
    let other = app.another_process_with(&[("KEY_RATE_LIMIT", "5")]).await;
    let s = setup(&app, json!([])).await;
    let lead = |n: u32| json!({ "campaignId": s.campaign, "type": "form", "fields": { "n": n } });
    let (status, body) = post_lead(&app, &s.key, &lead(0), Some("first")).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_lead(&other, &s.key, &json!({ "campaignId": s.campaign, "type": "fax" }), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("VALIDATION")), "{body}");
    let (status, body) =
        post_lead(&app, &s.key, &json!({ "campaignId": s.campaign, "type": "form", "test": true }), None).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_lead(&other, &s.key, &lead(0), Some("first")).await;
    assert_eq!(status, 201, "the replay: {body}");
    let (status, body) = post_lead(&other, &s.key, &lead(1), None).await;
    assert_eq!(status, 201, "the fifth request: {body}");
    for process in [&app, &other] {
        let (status, body) = post_lead(process, &s.key, &lead(2), None).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["error"]["code"], "RATE_LIMITED", "{body}");
        assert!((1..=60).contains(&body["error"]["retryAfterSeconds"].as_i64().unwrap()), "{body}");
    }
    // A refused request stores nothing.
    assert_eq!(app.count("SELECT count(*) FROM leads").await, 2);
    app.clock.advance(Duration::seconds(61));
    assert_eq!(post_lead(&other, &s.key, &lead(4), None).await.0, 201);
}
