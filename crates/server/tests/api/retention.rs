//! Raw data does not grow without bound: old clicks, spent idempotency keys and expired sessions are deleted by the
//! housekeeping (`retention::prune`), and the figures stay what they were.

use chrono::Duration;
use partnerdesk_services::retention;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, error_code, error_field, spawn_app_with};
use crate::traffic::{Setup, post_lead, setup};

async fn report(app: &TestApp, s: &Setup, vars: Value) -> Value {
    let q = "query($f: ReportFilter) { report(filter: $f, groupBy: [DAY]) { totals { clicks submitted earnings } \
             nodes { day clicks submitted } } }";
    app.gql(Some(&s.owner.access_token), q, vars).await
}

async fn click(app: &TestApp, s: &Setup) {
    let portal =
        app.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = portal["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert_eq!(no_redirect.get(format!("{link}?sub1=x")).send().await.unwrap().status(), 302);
}

on_both_databases!(old_clicks_keys_and_sessions_go_and_the_figures_stay);

async fn old_clicks_keys_and_sessions_go_and_the_figures_stay(db: Db) {
    let app = spawn_app_with(db, &[("CLICK_RETENTION_DAYS", "30")]).await;
    let s = setup(&app, json!([])).await;
    for _ in 0..3 {
        click(&app, &s).await;
    }
    let body = json!({ "campaignId": s.campaign, "type": "form" });
    assert_eq!(post_lead(&app, &s.key, &body, Some("order-1")).await.0, 201);
    let before = report(&app, &s, json!({})).await;
    assert_eq!(before["data"]["report"]["totals"][0]["clicks"], 3, "{before}");

    // 31 days on: the clicks are past the 30 days kept, the idempotency key past its 48 hours, the sessions of the
    // setup past their 30 days. One new click is within the period.
    app.clock.advance(Duration::days(31));
    let s = Setup {
        owner: crate::helpers::session(&app.login(&s.owner.email, crate::helpers::PASSWORD).await, "login"),
        partner: crate::helpers::session(&app.login(&s.partner.email, crate::helpers::PASSWORD).await, "login"),
        ..s
    };
    click(&app, &s).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 4);
    let sessions = app.count("SELECT COUNT(*) FROM refresh_tokens").await;

    let pruned = retention::prune(&app.db, app.clock.now(), Duration::days(30)).await.unwrap();
    assert_eq!((pruned.clicks, pruned.idempotency_keys), (3, 1), "{pruned:?}");
    assert!(pruned.refresh_tokens >= 2, "the setup's expired sessions: {pruned:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 1, "the recent click stays");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 1, "leads are kept");
    assert_eq!(app.count("SELECT COUNT(*) FROM idempotency_keys").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM refresh_tokens").await, sessions - pruned.refresh_tokens as i64);
    // Running it again finds nothing more.
    assert_eq!(retention::prune(&app.db, app.clock.now(), Duration::days(30)).await.unwrap(), Default::default());

    // The figures of the old days are the rollups': unchanged; today's click adds to them.
    let after = report(&app, &s, json!({})).await;
    assert_eq!(after["data"]["report"]["totals"][0]["clicks"], 4, "{after}");
    assert_eq!(after["data"]["report"]["nodes"][0], before["data"]["report"]["nodes"][0], "{after}");
    // The sessions still in use work.
    let me = app.gql(Some(&s.owner.access_token), "{ me { email } }", json!({})).await;
    assert!(me["errors"].is_null(), "{me}");

    // A report in a chosen zone adds up raw events: with clicks it cannot reach before the period kept.
    let today = app.clock.now().date_naive();
    let old = json!({ "f": { "from": (today - Duration::days(40)).to_string(), "to": today.to_string(), "timeZone": "UTC" } });
    let res = report(&app, &s, old).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("filter.from")), "{res}");
    assert!(res["errors"][0]["message"].as_str().unwrap_or_default().contains("30 days"), "{res}");
    let leads_only = json!({ "f": { "from": (today - Duration::days(40)).to_string(), "to": today.to_string(),
                                    "timeZone": "UTC", "types": ["FORM"] } });
    let res = report(&app, &s, leads_only).await;
    assert_eq!(res["data"]["report"]["totals"][0]["submitted"], 1, "{res}");
}
