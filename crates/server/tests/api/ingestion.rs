//! What the lead ingestion and decision paths guarantee, pinned at the API before they are rewritten (issue 15): a
//! daily cap and the report's days on a 23-hour and a 25-hour day in the campaign's zone, replays of an
//! `Idempotency-Key` from either process, and the 500-lead limit of `setLeadStatus`.

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, TestApp, error_code, error_field, spawn_app, spawn_app_at};
use crate::traffic::{Setup, post_lead, setup};

fn utc(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}")).with_timezone(&Utc)
}

fn form(campaign: &str) -> Value {
    json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Ann", "zip": "10001" } })
}

/// The partner's daily form cap as the portal shows it: (used, resetsAt).
async fn daily_usage(app: &TestApp) -> (i64, DateTime<Utc>) {
    // Signed in anew each time: the clock moves by hours, longer than an access token lives.
    let login = app.login("pat@partner.test", PASSWORD).await;
    let token = login["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("{login}"));
    let res = app
        .gql(Some(token), "{ myPartnerAccount { campaigns { capUsage { window used resetsAt } } } }", json!({}))
        .await;
    let usage = &res["data"]["myPartnerAccount"]["campaigns"][0]["capUsage"][0];
    assert_eq!(usage["window"], "DAILY", "{res}");
    (usage["used"].as_i64().unwrap(), utc(usage["resetsAt"].as_str().unwrap()))
}

/// What one lead at an instant gets: `None` accepted, `Some(resetsAt)` refused by the daily cap.
type Step<'a> = (&'a str, Option<&'a str>);

/// A New York campaign with a daily form cap of 3, the clock starting at the first step: each step's lead is accepted
/// or refused as said; the cap's usage resets exactly at the local midnights given; the owner's report by DAY shows
/// `days` (local day, leads).
async fn cap_and_days_across(db: Db, steps: &[Step<'_>], usage_at: &[(&str, i64, &str)], days: &[(&str, i64)]) {
    let app = spawn_app_at(db, utc(steps[0].0)).await;
    let s: Setup = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 3 }])).await;
    for (at, refused) in steps {
        let by = utc(at) - app.clock.now();
        assert!(by >= Duration::zero(), "steps go forward: {at}");
        app.clock.advance(by);
        let (status, body) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
        match refused {
            None => assert_eq!(status, 201, "a lead at {at} is accepted: {body}"),
            Some(resets_at) => {
                assert_eq!((status, &body["error"]["code"]), (429, &json!("CAP_REACHED")), "at {at}: {body}");
                assert_eq!(utc(body["error"]["resetsAt"].as_str().unwrap()), utc(resets_at), "at {at}: {body}");
            }
        }
        if let Some((_, used, resets_at)) = usage_at.iter().find(|(t, _, _)| t == at) {
            assert_eq!(daily_usage(&app).await, (*used, utc(resets_at)), "cap usage at {at}");
        }
    }
    let owner = app.login("owner@acme.test", PASSWORD).await;
    let token = owner["data"]["login"]["accessToken"].as_str().unwrap();
    let res = app.gql(Some(token), "{ report(groupBy: [DAY]) { nodes { day submitted } } }", json!({})).await;
    let mut got: Vec<(String, i64)> = res["data"]["report"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|n| (n["day"].as_str().unwrap().to_owned(), n["submitted"].as_i64().unwrap()))
        .collect();
    got.sort();
    let want: Vec<(String, i64)> = days.iter().map(|(d, n)| ((*d).to_owned(), *n)).collect();
    assert_eq!(got, want, "leads per local day");
    let accepted = steps.iter().filter(|(_, refused)| refused.is_none()).count();
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, i64::try_from(accepted).unwrap());
}

/// 2026-03-08 in New York has 23 hours: midnight EST is 05:00 UTC, at 07:00 UTC 02:00 EST becomes 03:00 EDT, and
/// the next midnight (EDT) is 04:00 UTC on the 9th. The cap resets at both midnights, 23 hours apart; leads either
/// side of the jump count on the 8th.
async fn a_23_hour_day_in_the_campaign_zone(db: Db) {
    let steps = [
        ("2026-03-08T04:59:59Z", None),                         // 7th, 23:59:59 EST
        ("2026-03-08T05:00:00Z", None),                         // 8th, 00:00 EST: a new day
        ("2026-03-08T06:59:59Z", None),                         // 01:59:59 EST
        ("2026-03-08T07:00:00Z", None),                         // 03:00 EDT, a second later
        ("2026-03-08T07:00:01Z", Some("2026-03-09T04:00:00Z")), // 3 on the 8th: full until midnight EDT
        ("2026-03-09T03:59:59Z", Some("2026-03-09T04:00:00Z")), // 8th, 23:59:59 EDT
        ("2026-03-09T04:00:00Z", None),                         // 9th, 00:00 EDT, 23 hours after the last midnight
    ];
    let usage = [
        ("2026-03-08T04:59:59Z", 1, "2026-03-08T05:00:00Z"),
        ("2026-03-08T05:00:00Z", 1, "2026-03-09T04:00:00Z"),
        ("2026-03-08T07:00:00Z", 3, "2026-03-09T04:00:00Z"),
        ("2026-03-09T04:00:00Z", 1, "2026-03-10T04:00:00Z"),
    ];
    cap_and_days_across(db, &steps, &usage, &[("2026-03-07", 1), ("2026-03-08", 3), ("2026-03-09", 1)]).await;
}

/// 2026-11-01 in New York has 25 hours: midnight EDT is 04:00 UTC, at 06:00 UTC 02:00 EDT becomes 01:00 EST again,
/// and the next midnight (EST) is 05:00 UTC on the 2nd. The cap is still full 24 hours after the day began and resets
/// an hour later; leads either side of the repeated hour count on the 1st.
async fn a_25_hour_day_in_the_campaign_zone(db: Db) {
    let steps = [
        ("2026-11-01T03:59:59Z", None),                         // Oct 31st, 23:59:59 EDT
        ("2026-11-01T04:00:00Z", None),                         // Nov 1st, 00:00 EDT: a new day
        ("2026-11-01T05:59:59Z", None),                         // 01:59:59 EDT
        ("2026-11-01T06:00:00Z", None),                         // 01:00 EST, a second later
        ("2026-11-01T06:00:01Z", Some("2026-11-02T05:00:00Z")), // 3 on the 1st: full until midnight EST
        ("2026-11-02T04:00:00Z", Some("2026-11-02T05:00:00Z")), // 1st, 23:00 EST: 24 hours in, still the 1st
        ("2026-11-02T04:59:59Z", Some("2026-11-02T05:00:00Z")), // 1st, 23:59:59 EST
        ("2026-11-02T05:00:00Z", None),                         // 2nd, 00:00 EST, 25 hours after the last midnight
    ];
    let usage = [
        ("2026-11-01T03:59:59Z", 1, "2026-11-01T04:00:00Z"),
        ("2026-11-01T04:00:00Z", 1, "2026-11-02T05:00:00Z"),
        ("2026-11-01T06:00:00Z", 3, "2026-11-02T05:00:00Z"),
        ("2026-11-02T05:00:00Z", 1, "2026-11-03T05:00:00Z"),
    ];
    cap_and_days_across(db, &steps, &usage, &[("2026-10-31", 1), ("2026-11-01", 3), ("2026-11-02", 1)]).await;
}

/// `POST /v1/leads` with an `Idempotency-Key`: (status, `Idempotent-Replayed` header, body).
async fn post_keyed(app: &TestApp, api_key: &str, body: &Value, key: &str) -> (u16, Option<String>, Value) {
    let res = app
        .client
        .post(format!("{}/v1/leads", app.address))
        .bearer_auth(api_key)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let replayed = res.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), replayed, res.json().await.unwrap_or(Value::Null))
}

/// Requests with one `Idempotency-Key`, racing on two processes, make one lead: one answer is the original, every
/// other says `Idempotent-Replayed: true` with the same status and body; later replays on either process too. No
/// replay takes anything from a cap.
async fn replays_are_marked_and_answered_by_any_process(db: Db) {
    let a = spawn_app(db).await;
    let b = a.another_process().await;
    let s = setup(&a, json!([{ "metric": "FORM", "window": "DAILY", "limit": 2 }])).await;
    let body = form(&s.campaign);

    let racing = futures_util::stream::iter(0..8)
        .map(|i| {
            let app = if i % 2 == 0 { &a } else { &b };
            post_keyed(app, &s.key, &body, "order-7")
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let originals: Vec<_> = racing.iter().filter(|(_, replayed, _)| replayed.is_none()).collect();
    assert_eq!(originals.len(), 1, "exactly one answer is not a replay: {racing:?}");
    let (_, _, first) = originals[0].clone();
    assert_eq!(first["status"], "RECEIVED", "{first}");
    for (status, replayed, answer) in &racing {
        assert_eq!((*status, answer), (201, &first));
        assert!(replayed.is_none() || replayed.as_deref() == Some("true"), "{replayed:?}");
    }
    for app in [&a, &b] {
        assert_eq!(post_keyed(app, &s.key, &body, "order-7").await, (201, Some("true".to_owned()), first.clone()));
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM leads").await, 1);

    // Nine answers, one lead: the cap of 2 still has room for exactly one more.
    let (status, replayed, second) = post_keyed(&b, &s.key, &body, "order-8").await;
    assert_eq!((status, replayed), (201, None), "{second}");
    assert_ne!(second["id"], first["id"]);
    let (status, refused) = post_lead(&a, &s.key, &body, None).await;
    assert_eq!((status, &refused["error"]["code"]), (429, &json!("CAP_REACHED")), "{refused}");
    assert_eq!(post_keyed(&a, &s.key, &body, "order-8").await, (201, Some("true".to_owned()), second));

    // The same key with another body is a conflict, not a replay, on either process.
    let mut other = body.clone();
    other["fields"]["name"] = json!("Bob");
    for app in [&a, &b] {
        let (status, replayed, conflict) = post_keyed(app, &s.key, &other, "order-7").await;
        assert_eq!((status, replayed, &conflict["error"]["code"]), (409, None, &json!("IDEMPOTENCY_CONFLICT")));
    }
    assert_eq!(a.count("SELECT COUNT(*) FROM leads").await, 2);
}

/// `setLeadStatus` decides up to 500 leads at once; 501 are refused as a whole (VALIDATION on `ids`) and change
/// nothing: no status, no history, no report figure.
async fn set_lead_status_takes_500_leads_and_refuses_501(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let lead = form(&s.campaign);
    let ids: Vec<String> = futures_util::stream::iter(0..501)
        .map(|_| post_lead(&app, &s.key, &lead, None))
        .buffer_unordered(8)
        .map(|(status, body)| {
            assert_eq!(status, 201, "{body}");
            body["id"].as_str().unwrap().to_owned()
        })
        .collect()
        .await;
    let t = Some(s.owner.access_token.as_str());
    let set = "mutation($ids: [ID!]!) { setLeadStatus(ids: $ids, status: APPROVED) { id status } }";
    let totals = "{ report { totals { submitted approved } } }";

    let res = app.gql(t, set, json!({ "ids": ids })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("ids")), "{res}");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads WHERE status <> 'RECEIVED'").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM lead_history").await, 501, "only each lead's RECEIVED row");
    let report = app.gql(t, totals, json!({})).await;
    assert_eq!(report["data"]["report"]["totals"], json!([{ "submitted": 501, "approved": 0 }]), "{report}");

    let res = app.gql(t, set, json!({ "ids": ids[..500] })).await;
    let decided = res["data"]["setLeadStatus"].as_array().unwrap_or_else(|| panic!("{res}"));
    assert_eq!(decided.len(), 500);
    assert!(decided.iter().all(|l| l["status"] == "APPROVED"), "{res}");
    let last = app.gql(t, "query($id: ID!) { lead(id: $id) { status } }", json!({ "id": ids[500] })).await;
    assert_eq!(last["data"]["lead"]["status"], "RECEIVED", "{last}");
    let report = app.gql(t, totals, json!({})).await;
    assert_eq!(report["data"]["report"]["totals"], json!([{ "submitted": 501, "approved": 500 }]), "{report}");
}

on_both_databases!(
    a_23_hour_day_in_the_campaign_zone,
    a_25_hour_day_in_the_campaign_zone,
    replays_are_marked_and_answered_by_any_process,
    set_lead_status_takes_500_leads_and_refuses_501,
);
