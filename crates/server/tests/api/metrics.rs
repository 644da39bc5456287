use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::Duration;
use partnerdesk_storage::entities::email_outbox::{self, Kind, Status};
use partnerdesk_storage::sea_orm::{ActiveModelTrait as _, ConnectionTrait as _, Set};
use serde_json::json;

use crate::helpers::{Db, TestApp, spawn_app, spawn_app_with, wait_until};
use crate::live::Subscription;
use crate::traffic::{post_lead, setup};

/// The value of the series `name` whose labels include `labels`, summed over the others (`None`: no such series).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else { continue };
        let (series_name, series_labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').unwrap_or(rest)),
            None => (series, ""),
        };
        if series_name != name {
            continue;
        }
        let have: Vec<(&str, &str)> = series_labels
            .split("\",")
            .filter_map(|kv| kv.split_once("=\""))
            .map(|(k, v)| (k, v.trim_end_matches('"')))
            .collect();
        if labels.iter().all(|l| have.contains(l)) {
            *found.get_or_insert(0.0) += value.parse::<f64>().unwrap();
        }
    }
    found
}

async fn scrape(app: &TestApp) -> String {
    let url = format!("{}/metrics", app.metrics_address.as_deref().expect("METRICS_ADDR was set"));
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// `promtool check metrics` (Debian's prometheus package) reads the scrape and finds nothing to say.
fn promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus; ./scripts/test installs it)");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "promtool check metrics: {said}\n{text}");
}

/// Real traffic, then what an operator reads on `METRICS_ADDR`: leads and clicks by outcome, cap refusals, requests
/// by route pattern and status with latencies, the outbox, the pool. The main port does not serve it.
async fn metrics_count_what_happened(db: Db) {
    let app = spawn_app_with(db, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 1 }])).await;
    let lead = json!({ "campaignId": s.campaign, "type": "form", "fields": { "name": "Ann" } });
    assert_eq!(post_lead(&app, &s.key, &lead, None).await.0, 201);
    let (status, body) = post_lead(&app, &s.key, &lead, None).await;
    assert_eq!((status, &body["error"]["code"]), (429, &json!("CAP_REACHED")), "{body}");

    let portal =
        app.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = portal["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();
    let code = link.rsplit('/').next().unwrap().to_owned();
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    assert_eq!(no_redirect.get(&link).send().await.unwrap().status(), 302);
    assert_eq!(no_redirect.get(format!("{}/c/unknown-code", app.address)).send().await.unwrap().status(), 404);

    // The outbox as it may be: one invitation due for ten minutes but held by a process that died while sending it
    // (its lease runs two more minutes), one waiting to be retried in an hour, one given up.
    wait_until("the partner's invitation sent", || async {
        (app.count("SELECT COUNT(*) FROM email_outbox WHERE status <> 'SENT'").await == 0).then_some(())
    })
    .await;
    let organization = app.organization_id(&s.owner).await.parse::<uuid::Uuid>().unwrap();
    let now = app.clock.now();
    for (status, due, locked, attempts) in [
        (Status::Pending, now - Duration::minutes(10), Some(now + Duration::minutes(2)), 1),
        (Status::Pending, now + Duration::hours(1), None, 2),
        (Status::Failed, now - Duration::days(1), None, 8),
    ] {
        email_outbox::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            organization_id: Set(organization),
            partner_id: Set(None),
            invitation_id: Set(None),
            kind: Set(Kind::Invitation),
            to_address: Set("sam@partner.test".into()),
            subject: Set("Acme invites you to Partnerdesk".into()),
            text_body: Set("Hello".into()),
            html_body: Set("<p>Hello</p>".into()),
            status: Set(status),
            attempts: Set(attempts),
            next_attempt_at: Set(due),
            locked_until: Set(locked),
            last_error: Set(None),
            created_at: Set(now - Duration::hours(2)),
            sent_at: Set(None),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }

    // A live dashboard open (its first message comes once it is subscribed).
    let mut dashboard =
        Subscription::open(&app, Some(&s.owner.access_token), "subscription { statsChanged { at } }").await;
    assert!(dashboard.next().await["data"]["statsChanged"]["at"].is_string());

    let text = scrape(&app).await;
    let v = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    assert_eq!(v("partnerdesk_leads_total", &[("outcome", "accepted")]), Some(1.0), "{text}");
    assert_eq!(v("partnerdesk_leads_total", &[("outcome", "CAP_REACHED")]), Some(1.0));
    assert_eq!(v("partnerdesk_cap_refusals_total", &[("metric", "form")]), Some(1.0));
    assert_eq!(v("partnerdesk_cap_refusals_total", &[("metric", "click")]), None);
    assert_eq!(v("partnerdesk_clicks_total", &[("outcome", "accepted")]), Some(1.0));
    assert_eq!(v("partnerdesk_clicks_total", &[("outcome", "NOT_FOUND")]), Some(1.0));
    let requests = "partnerdesk_http_requests_total";
    assert_eq!(v(requests, &[("method", "POST"), ("route", "/v1/leads"), ("status", "201")]), Some(1.0));
    assert_eq!(v(requests, &[("method", "POST"), ("route", "/v1/leads"), ("status", "429")]), Some(1.0));
    assert_eq!(v(requests, &[("method", "GET"), ("route", "/c/{code}"), ("status", "302")]), Some(1.0));
    assert_eq!(v(requests, &[("route", "/c/{code}"), ("status", "404")]), Some(1.0));
    assert!(v(requests, &[("method", "POST"), ("route", "/graphql"), ("status", "200")]).unwrap() >= 5.0);
    assert!(!text.contains(&code) && !text.contains("unknown-code"), "route patterns only, never raw paths");
    let latency = "partnerdesk_http_request_duration_seconds";
    assert_eq!(v(&format!("{latency}_count"), &[("route", "/v1/leads")]), Some(2.0));
    assert_eq!(v(&format!("{latency}_bucket"), &[("route", "/v1/leads"), ("le", "+Inf")]), Some(2.0));
    assert!(v(&format!("{latency}_sum"), &[("route", "/v1/leads")]).unwrap() > 0.0);
    assert_eq!(v("partnerdesk_outbox_pending_emails", &[]), Some(2.0));
    assert_eq!(v("partnerdesk_outbox_failed_emails", &[]), Some(1.0));
    assert_eq!(v("partnerdesk_outbox_oldest_due_age_seconds", &[]), Some(600.0));
    // No postbacks here: their queue is empty.
    assert_eq!(v("partnerdesk_outbound_pending_deliveries", &[]), Some(0.0));
    assert_eq!(v("partnerdesk_outbound_failed_deliveries", &[]), Some(0.0));
    assert_eq!(v("partnerdesk_outbound_oldest_due_age_seconds", &[]), Some(0.0));
    assert!(v("partnerdesk_db_pool_connections", &[]).unwrap() >= 1.0);
    assert!(v("partnerdesk_db_pool_connections_in_use", &[]).is_some());
    assert!(v("partnerdesk_db_pool_max_connections", &[]).unwrap() >= 1.0);
    assert_eq!(v("partnerdesk_live_subscriptions", &[]), Some(1.0));
    for name in [requests, latency, "partnerdesk_leads_total", "partnerdesk_outbox_oldest_due_age_seconds"] {
        assert!(text.contains(&format!("# HELP {name} ")), "{name} has no HELP");
    }
    assert!(text.contains("(this process)") && text.contains("(database-wide"), "the HELP says whose figure it is");
    promtool_accepts(&text);

    // The main listener serves the browser app (or a 404) at /metrics, never the metrics.
    let main = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(!main.contains("partnerdesk_"), "{main}");

    // Without METRICS_ADDR nothing listens.
    assert!(spawn_app(db).await.metrics_address.is_none());
}

/// When the database cannot answer the outbox questions, the scrape still succeeds without those figures, and they
/// come back with the database.
async fn a_database_error_leaves_out_only_the_outbox(db: Db) {
    let app = spawn_app_with(db, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    assert_eq!(app.client.get(format!("{}/health", app.address)).send().await.unwrap().status(), 200);
    assert_eq!(sample(&scrape(&app).await, "partnerdesk_outbox_pending_emails", &[]), Some(0.0));
    app.db.execute_unprepared("ALTER TABLE email_outbox RENAME TO email_outbox_away").await.unwrap();
    let text = scrape(&app).await;
    assert_eq!(sample(&text, "partnerdesk_outbox_pending_emails", &[]), None, "{text}");
    assert!(sample(&text, "partnerdesk_db_pool_connections", &[]).is_some(), "{text}");
    assert!(sample(&text, "partnerdesk_http_requests_total", &[]).is_some(), "{text}");
    promtool_accepts(&text);
    app.db.execute_unprepared("ALTER TABLE email_outbox_away RENAME TO email_outbox").await.unwrap();
    assert_eq!(sample(&scrape(&app).await, "partnerdesk_outbox_pending_emails", &[]), Some(0.0));
}

on_both_databases!(metrics_count_what_happened, a_database_error_leaves_out_only_the_outbox);
