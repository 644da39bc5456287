//! Partner postbacks against a real HTTP receiver on loopback (`POSTBACK_ALLOW_PRIVATE=1`, as a self-hoster sets
//! it): each event arrives once with its macros encoded where they land; failures are logged and retried or given
//! up by the rules; a rolled-back lead sends nothing; two processes send each delivery once; the address rules hold
//! at save time and at send time; a postback that keeps failing is disabled and its partner emailed; tests, retries
//! and replays.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, Session, TestApp, error_code, error_field, session, spawn_app_with, wait_until};
use crate::traffic::{api_key, partner_on, post_lead};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub raw_query: String,
    pub content_type: String,
    pub body: String,
    pub headers: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    hits: Mutex<Vec<Hit>>,
    answer: AtomicU16,
    delay_ms: AtomicU64,
}

/// A tracker's postback endpoint: records every request and answers with the status it is told to.
pub struct Receiver {
    pub address: String,
    state: Arc<State>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = Arc::new(State { answer: AtomicU16::new(200), ..State::default() });
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(record)))
            .listen(listener)
            .unwrap()
            .workers(1)
            .disable_signals()
            .run();
        tokio::spawn(server);
        Receiver { address, state }
    }

    pub fn answer(&self, status: u16) {
        self.state.answer.store(status, Ordering::SeqCst);
    }

    pub fn delay(&self, ms: u64) {
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    /// Waits until `n` requests to `path` have arrived, and returns them.
    pub async fn wait_for(&self, path: &str, n: usize) -> Vec<Hit> {
        wait_until(&format!("{n} postback(s) on {path}"), || async {
            let hits: Vec<Hit> = self.hits().into_iter().filter(|h| h.path == path).collect();
            (hits.len() >= n).then_some(hits)
        })
        .await
    }
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let hit = Hit {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect(),
        raw_query: req.query_string().to_owned(),
        content_type: req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
    };
    state.hits.lock().unwrap().push(hit);
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let status = actix_web::http::StatusCode::from_u16(state.answer.load(Ordering::SeqCst)).unwrap();
    HttpResponse::build(status).body(format!("answered {}", status.as_u16()))
}

const CREATE: &str =
    "mutation($i: PostbackInput!) { createPostback(input: $i) { id events method enabled campaignId } }";
const LOG: &str = "query($id: ID!) { postbackDeliveries(postbackId: $id, first: 100) { totalCount nodes { \
    eventId deliveryId event attempt method url statusCode response error nextRetryAt } } }";
const ALLOW: (&str, &str) = ("POSTBACK_ALLOW_PRIVATE", "1");

pub async fn create_postback(app: &TestApp, user: &Session, input: Value) -> String {
    let res = app.gql(Some(&user.access_token), CREATE, json!({ "i": input })).await;
    res["data"]["createPostback"]["id"].as_str().unwrap_or_else(|| panic!("createPostback: {res}")).to_owned()
}

async fn log(app: &TestApp, user: &Session, postback: &str) -> Vec<Value> {
    let res = app.gql(Some(&user.access_token), LOG, json!({ "id": postback })).await;
    res["data"]["postbackDeliveries"]["nodes"].as_array().unwrap_or_else(|| panic!("postbackDeliveries: {res}")).clone()
}

/// A campaign with a $12.50 form payout, one registered partner and its API key.
async fn program(app: &TestApp) -> (Session, String, Session, String, String) {
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Solar NY", "timeZone": "America/New_York", "landingUrl": "https://example.com/solar",
                           "formPayout": "12.50", "clickPayout": "0.40" } }),
        )
        .await;
    let campaign = res["data"]["createCampaign"]["id"].as_str().unwrap().to_owned();
    let (pat, partner_id) = partner_on(app, &owner, &campaign, "pat@partner.test", json!([])).await;
    let key = api_key(app, &pat).await;
    (owner, campaign, pat, partner_id, key)
}

async fn lead(app: &TestApp, key: &str, campaign: &str, external: &str) -> String {
    let body = json!({ "campaignId": campaign, "type": "form", "externalId": external, "fields": { "name": "Ann" },
                       "subIds": { "sub1": "a b&c=d/é", "sub2": "x" } });
    let (status, res) = post_lead(app, key, &body, None).await;
    assert_eq!(status, 201, "{res}");
    res["id"].as_str().unwrap().to_owned()
}

async fn decide(app: &TestApp, owner: &Session, ids: &[&str], status: &str, reason: Option<&str>) {
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($ids: [ID!]!, $s: LeadStatus!, $r: String) { setLeadStatus(ids: $ids, status: $s, reason: $r) { status } }",
            json!({ "ids": ids, "s": status, "r": reason }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
}

/// Each event reaches the tracker once, with every macro filled in and encoded for where it lands (URL, form or
/// JSON); the log shows each attempt; the owner sees the partner's postbacks and their attempts for its campaign.
async fn each_outcome_reaches_the_tracker(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let (owner, campaign, pat, partner_id, key) = program(&app).await;
    let macros = "lead={lead_id}&ext={external_id}&ev={event}&st={status}&why={reason}&p={payout}&cur={currency}\
                  &cid={campaign_id}&cn={campaign_name}&s1={sub1}&s2={sub2}&s5={sub5}&d={delivery_id}&t={event_time}";
    let get = create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED", "LEAD_APPROVED", "LEAD_REJECTED"], "url": format!("{}/pb?{macros}", rx.address) }),
    )
    .await;
    let post_json = create_postback(
        &app,
        &pat,
        json!({ "campaignId": campaign, "events": ["LEAD_APPROVED"], "method": "POST_JSON",
                "url": format!("{}/json", rx.address),
                "body": "{\"id\": \"{lead_id}\", \"payout\": \"{payout}\", \"campaign\": \"{campaign_name}\", \"sub\": \"{sub1}\"}" }),
    )
    .await;
    let form = create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_REJECTED"], "method": "POST_FORM", "url": format!("{}/form", rx.address) }),
    )
    .await;

    let first = lead(&app, &key, &campaign, "ext 1/2").await;
    let hits = rx.wait_for("/pb", 1).await;
    let q = &hits[0].query;
    assert_eq!(hits[0].method, "GET");
    assert_eq!(q["lead"], first);
    assert_eq!(q["ext"], "ext 1/2");
    assert_eq!((q["ev"].as_str(), q["st"].as_str(), q["why"].as_str()), ("lead.received", "RECEIVED", ""));
    assert_eq!((q["p"].as_str(), q["cur"].as_str()), ("12.5", "USD"));
    assert_eq!((q["cid"].as_str(), q["cn"].as_str()), (campaign.as_str(), "Solar NY"));
    assert_eq!((q["s1"].as_str(), q["s2"].as_str(), q["s5"].as_str()), ("a b&c=d/é", "x", ""));
    assert!(hits[0].raw_query.contains("s1=a%20b%26c%3Dd%2F%C3%A9&"), "{}", hits[0].raw_query);
    assert!(hits[0].raw_query.contains("cn=Solar%20NY&"), "{}", hits[0].raw_query);
    let at = chrono::DateTime::parse_from_rfc3339(&q["t"]).unwrap();
    assert_eq!(at.offset().local_minus_utc(), 0);
    assert!(q["t"].ends_with('Z'), "{}", q["t"]);
    uuid::Uuid::parse_str(&q["d"]).unwrap();

    // Approved: the GET postback and the JSON one (for this campaign, approvals only).
    decide(&app, &owner, &[&first], "APPROVED", None).await;
    let hits = rx.wait_for("/pb", 2).await;
    assert_eq!((hits[1].query["ev"].as_str(), hits[1].query["st"].as_str()), ("lead.approved", "APPROVED"));
    assert_ne!(hits[1].query["d"], hits[0].query["d"], "each event has its own delivery id");
    let json_hit = rx.wait_for("/json", 1).await.remove(0);
    assert_eq!(json_hit.method, "POST");
    assert_eq!(json_hit.content_type, "application/json");
    let body: Value = serde_json::from_str(&json_hit.body).unwrap();
    assert_eq!(body, json!({ "id": first, "payout": "12.5", "campaign": "Solar NY", "sub": "a b&c=d/é" }));

    // Rejected, with the owner's reason: the payout sent is what the partner earns, nothing; the form postback
    // without a body of its own sends every macro.
    let second = lead(&app, &key, &campaign, "ext-2").await;
    decide(&app, &owner, &[&second], "REJECTED", Some("Duplicate & out of area")).await;
    let hits = rx.wait_for("/pb", 4).await;
    let rejected = hits.iter().find(|h| h.query["ev"] == "lead.rejected").unwrap();
    assert_eq!((rejected.query["why"].as_str(), rejected.query["p"].as_str()), ("Duplicate & out of area", "0"));
    let form_hit = rx.wait_for("/form", 1).await.remove(0);
    assert_eq!(form_hit.content_type, "application/x-www-form-urlencoded");
    let fields: BTreeMap<String, String> = url::form_urlencoded::parse(form_hit.body.as_bytes()).into_owned().collect();
    assert_eq!(fields["lead_id"], second);
    assert_eq!(fields["reason"], "Duplicate & out of area");
    assert_eq!(fields["event"], "lead.rejected");
    assert_eq!(fields.len(), 17, "every macro: {fields:?}");

    // The partner's log: one attempt per event, answered 200, newest first.
    let entries = wait_until("the GET postback's 4 attempts in its log", || async {
        let entries = log(&app, &pat, &get).await;
        (entries.len() == 4).then_some(entries)
    })
    .await;
    for e in &entries {
        assert_eq!((e["statusCode"].as_i64(), e["attempt"].as_i64()), (Some(200), Some(1)), "{e}");
        assert!(e["nextRetryAt"].is_null() && e["error"].is_null(), "{e}");
        assert_eq!(e["response"], "answered 200");
    }
    // Newest first (the last two may have gone out together: compare them as a set).
    let events: Vec<&str> = entries.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(events[2..], ["lead.approved", "lead.received"]);
    assert_eq!(events[..2].iter().collect::<BTreeSet<_>>(), ["lead.received", "lead.rejected"].iter().collect());
    let sent: BTreeSet<String> = rx.hits().iter().filter(|h| h.path == "/pb").map(|h| h.query["d"].clone()).collect();
    let logged: BTreeSet<String> = entries.iter().map(|e| e["deliveryId"].as_str().unwrap().to_owned()).collect();
    assert_eq!((sent.len(), &sent), (4, &logged));
    assert_eq!(log(&app, &pat, &post_json).await.len(), 1);
    assert_eq!(log(&app, &pat, &form).await.len(), 1);

    // The owner sees the partner's postbacks that apply to its campaigns, and their attempts, and cannot change them.
    let res = app
        .gql(
            Some(&owner.access_token),
            "query($p: ID!) { partnerPostbacks(partnerId: $p) { id url events } }",
            json!({ "p": partner_id }),
        )
        .await;
    assert_eq!(res["data"]["partnerPostbacks"].as_array().map(Vec::len), Some(3), "{res}");
    assert_eq!(log(&app, &owner, &get).await.len(), 4);
    let res = app
        .gql(Some(&owner.access_token), "mutation($id: ID!) { deletePostback(id: $id) }", json!({ "id": get }))
        .await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "{res}");
}

/// A lead refused at its cap rolls back, and with it its deliveries: nothing is sent for it.
async fn a_refused_lead_sends_nothing(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let campaign = app.create_campaign(&owner.access_token, "Solar NY").await;
    let caps = json!([{ "metric": "FORM", "window": "DAILY", "limit": 1 }]);
    let (pat, _) = partner_on(&app, &owner, &campaign, "pat@partner.test", caps).await;
    let key = api_key(&app, &pat).await;
    create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/pb?l={{lead_id}}", rx.address) }),
    )
    .await;
    let accepted = lead(&app, &key, &campaign, "one").await;
    let body = json!({ "campaignId": campaign, "type": "form", "externalId": "two" });
    let (status, res) = post_lead(&app, &key, &body, None).await;
    assert_eq!((status, res["error"]["code"].as_str()), (429, Some("CAP_REACHED")), "{res}");
    // A third lead on another campaign without a cap is the marker: once it has arrived, the refused one would have.
    let other = app.create_campaign(&owner.access_token, "Roofing").await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($c: ID!, $e: String!) { addMarketingPartner(input: { campaignId: $c, email: $e }) { existingPartner } }",
            json!({ "c": other, "e": "pat@partner.test" }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let marker = lead(&app, &key, &other, "three").await;
    let hits = rx.wait_for("/pb", 2).await;
    // Deliveries to one host go out concurrently (`POSTBACK_HOST_CONCURRENCY`): they may arrive in either order.
    let mut sent: Vec<&str> = hits.iter().map(|h| h.query["l"].as_str()).collect();
    sent.sort_unstable();
    let mut expected = [accepted.as_str(), marker.as_str()];
    expected.sort_unstable();
    assert_eq!(sent, expected);
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries").await, 2);
}

/// 503 and no answer are retried with backoff until the tracker is back; a 400 is not retried; "Retry now" sends a
/// failed one again; each delivery is acknowledged once.
async fn failures_are_retried_by_the_rules(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW, ("POSTBACK_RETRY_BASE_MS", "30000")]).await;
    let (_owner, campaign, pat, _, key) = program(&app).await;
    let pb = create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/pb?l={{lead_id}}", rx.address) }),
    )
    .await;
    rx.answer(503);
    let first = lead(&app, &key, &campaign, "one").await;
    let entries = wait_until("the first failed attempt", || async {
        let e = log(&app, &pat, &pb).await;
        (e.len() == 1).then_some(e)
    })
    .await;
    assert_eq!((entries[0]["statusCode"].as_i64(), entries[0]["response"].as_str()), (Some(503), Some("answered 503")));
    let next = chrono::DateTime::parse_from_rfc3339(entries[0]["nextRetryAt"].as_str().unwrap()).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - app.clock.now();
    assert!(wait >= chrono::Duration::seconds(24) && wait <= chrono::Duration::seconds(36), "retry in {wait}");
    // Not before it is due.
    assert_eq!(rx.hits().len(), 1);
    // Down for a while: the second attempt waits about a minute.
    app.clock.advance(chrono::Duration::seconds(37));
    rx.wait_for("/pb", 2).await;
    let entries = wait_until("the second attempt", || async {
        let e = log(&app, &pat, &pb).await;
        (e.len() == 2).then_some(e)
    })
    .await;
    let next = chrono::DateTime::parse_from_rfc3339(entries[0]["nextRetryAt"].as_str().unwrap()).unwrap();
    let wait = next.with_timezone(&chrono::Utc) - app.clock.now();
    assert!(wait >= chrono::Duration::seconds(48) && wait <= chrono::Duration::seconds(72), "retry in {wait}");
    // Back: the next attempt delivers, and nothing more is sent.
    rx.answer(200);
    app.clock.advance(chrono::Duration::seconds(73));
    let hits = rx.wait_for("/pb", 3).await;
    assert!(hits.iter().all(|h| h.query["l"] == first));
    let entries = wait_until("the delivered attempt", || async {
        let e = log(&app, &pat, &pb).await;
        (e.len() == 3).then_some(e)
    })
    .await;
    assert_eq!((entries[0]["statusCode"].as_i64(), entries[0]["attempt"].as_i64()), (Some(200), Some(3)));
    assert!(entries[0]["nextRetryAt"].is_null());

    // A 400 is final.
    rx.answer(400);
    lead(&app, &key, &campaign, "two").await;
    let entries = wait_until("the refused attempt", || async {
        let e = log(&app, &pat, &pb).await;
        (e.len() == 4).then_some(e)
    })
    .await;
    assert_eq!(entries[0]["statusCode"].as_i64(), Some(400));
    assert!(entries[0]["nextRetryAt"].is_null(), "{}", entries[0]);
    let res = app.gql(Some(&pat.access_token), "{ postbacks { failedDeliveries pendingDeliveries } }", json!({})).await;
    assert_eq!(res["data"]["postbacks"][0], json!({ "failedDeliveries": 1, "pendingDeliveries": 0 }), "{res}");
    // Hours later it has not been tried again; "Retry now" sends it.
    app.clock.advance(chrono::Duration::hours(3));
    rx.answer(200);
    let pat = session(&app.login("pat@partner.test", PASSWORD).await, "login");
    let event = entries[0]["eventId"].as_str().unwrap().to_owned();
    let res = app
        .gql(
            Some(&pat.access_token),
            "mutation($p: ID!, $e: ID!) { retryPostbackDelivery(postbackId: $p, eventId: $e) }",
            json!({ "p": pb, "e": event }),
        )
        .await;
    assert_eq!(res["data"]["retryPostbackDelivery"], true, "{res}");
    let hits = rx.wait_for("/pb", 5).await;
    assert_eq!(hits.len(), 5, "the 400 went once, then once on request");
    let entries = wait_until("the retried attempt", || async {
        let e = log(&app, &pat, &pb).await;
        (e.len() == 5).then_some(e)
    })
    .await;
    assert_eq!((entries[0]["statusCode"].as_i64(), entries[0]["attempt"].as_i64()), (Some(200), Some(2)));

    // The log is kept 90 days, then the hourly housekeeping removes it with the finished deliveries.
    let later = app.clock.now() + chrono::Duration::days(91);
    let pruned = partnerdesk_services::retention::prune(&app.db, later, chrono::Duration::days(90)).await.unwrap();
    assert_eq!(pruned.delivery_attempts, 5, "{pruned:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries").await, 0);
}

/// Two processes share the work: 40 leads, each delivered exactly once.
async fn two_processes_deliver_each_once(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let other = app.another_process_with(&[ALLOW]).await;
    let (_owner, campaign, pat, _, key) = program(&app).await;
    create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/pb?d={{delivery_id}}&l={{lead_id}}", rx.address) }),
    )
    .await;
    let mut sent = BTreeSet::new();
    for i in 0..40 {
        let target = if i % 2 == 0 { &app } else { &other };
        sent.insert(lead(target, &key, &campaign, &format!("e{i}")).await);
    }
    let hits = rx.wait_for("/pb", 40).await;
    // Every delivery is settled: none is left to send twice.
    wait_until("every delivery settled", || async {
        (app.count("SELECT COUNT(*) FROM deliveries WHERE status = 'DELIVERED'").await == 40).then_some(())
    })
    .await;
    let hits_now = rx.hits();
    assert_eq!(hits_now.len(), 40, "no repeats: {:?}", hits.len());
    let got: BTreeSet<String> = hits_now.iter().map(|h| h.query["l"].clone()).collect();
    assert_eq!(got, sent);
    assert_eq!(app.count("SELECT COUNT(*) FROM delivery_attempts").await, 40);
}

/// Without `POSTBACK_ALLOW_PRIVATE` a postback cannot point at loopback or private addresses, by literal or by
/// name, when saved; and a name re-pointed at one after saving is refused when sent.
async fn internal_addresses_are_refused(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[]).await;
    let (_owner, campaign, pat, _, key) = program(&app).await;
    for url in [
        "http://127.0.0.1:9/pb",
        "http://10.0.0.8/pb",
        "http://[::1]/pb",
        "http://169.254.169.254/latest",
        "http://localhost:8080/pb",
    ] {
        let res =
            app.gql(Some(&pat.access_token), CREATE, json!({ "i": { "events": ["LEAD_RECEIVED"], "url": url } })).await;
        assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("url")), "{url}: {res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains("internal address"), "{res}");
    }
    for (input, field, says) in [
        (json!({ "events": ["LEAD_RECEIVED"], "url": "ftp://tracker.example/pb" }), "url", "http://"),
        (
            json!({ "events": ["LEAD_RECEIVED"], "url": "https://tracker.example/pb?x={payot}" }),
            "url",
            "Unknown macro {payot}",
        ),
        (json!({ "events": [], "url": "https://tracker.example/pb" }), "events", "at least one event"),
        (json!({ "events": ["LEAD_RECEIVED"], "url": "https://{sub1}.tracker.example/pb" }), "url", "not in the host"),
        (
            json!({ "events": ["LEAD_RECEIVED"], "url": format!("https://tracker.example/{}", "a".repeat(2048)) }),
            "url",
            "2048",
        ),
        (
            json!({ "events": ["LEAD_RECEIVED"], "url": "https://tracker.example/pb", "body": "x={lead_id}" }),
            "body",
            "GET postback",
        ),
        (
            json!({ "events": ["LEAD_RECEIVED"], "method": "POST_JSON", "url": "https://tracker.example/pb", "body": "{\"id\": {lead_id}}" }),
            "body",
            "Not valid JSON",
        ),
    ] {
        let res = app.gql(Some(&pat.access_token), CREATE, json!({ "i": input })).await;
        assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some(field)), "{res}");
        assert!(res["errors"][0]["message"].as_str().unwrap().contains(says), "{says}: {res}");
    }
    // Saved while the name pointed elsewhere (written straight to the database here), now resolving to loopback.
    let url = format!("{}/pb", rx.address.replace("127.0.0.1", "localhost"));
    let user_id = app.user_id(&pat).await;
    let id = uuid::Uuid::now_v7();
    let now = app.clock.now();
    use partnerdesk_storage::entities::postback;
    use partnerdesk_storage::sea_orm::{ActiveModelTrait, Set};
    postback::ActiveModel {
        id: Set(id),
        user_id: Set(uuid::Uuid::parse_str(&user_id).unwrap()),
        campaign_id: Set(None),
        events: Set(1),
        method: Set(postback::Method::Get),
        url: Set(url),
        host: Set("localhost".into()),
        body: Set(None),
        consecutive_failures: Set(0),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    lead(&app, &key, &campaign, "one").await;
    let entries = wait_until("the refused attempt", || async {
        let e = log(&app, &pat, &id.to_string()).await;
        (!e.is_empty()).then_some(e)
    })
    .await;
    assert!(entries[0]["statusCode"].is_null(), "{}", entries[0]);
    assert!(entries[0]["error"].as_str().unwrap().contains("internal addresses"), "{}", entries[0]);
    assert!(entries[0]["nextRetryAt"].is_string());
    assert!(rx.hits().is_empty());
}

/// A postback refused 20 times in a row is disabled and its partner emailed; its deliveries wait; enabled again,
/// they go out.
async fn a_failing_postback_is_disabled_and_resumed(db: Db) {
    let (rx, rx_ok) = (Receiver::start().await, Receiver::start().await);
    let app = spawn_app_with(db, &[ALLOW]).await;
    let (_owner, campaign, pat, _, key) = program(&app).await;
    let failing = create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/gone?l={{lead_id}}", rx.address) }),
    )
    .await;
    create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/ok?l={{lead_id}}", rx_ok.address) }),
    )
    .await;
    rx.answer(410);
    for i in 0..20 {
        lead(&app, &key, &campaign, &format!("e{i}")).await;
    }
    rx.wait_for("/gone", 20).await;
    let disabled = wait_until("the postback disabled", || async {
        let res = app.gql(Some(&pat.access_token), "{ postbacks { id enabled consecutiveFailures } }", json!({})).await;
        let pb = res["data"]["postbacks"].as_array()?.iter().find(|p| p["id"] == failing.as_str())?.clone();
        (pb["enabled"] == false).then_some(pb)
    })
    .await;
    assert_eq!(disabled["consecutiveFailures"], 20);
    let mail = wait_until("the email about it", || async {
        app.eml_files().into_iter().find(|m| m.contains("To: pat@partner.test") && m.contains("disabled"))
    })
    .await;
    assert!(mail.contains("20"), "{mail}");
    assert_eq!(rx_ok.wait_for("/ok", 20).await.len(), 20, "the other postback kept working");
    // A new lead: the disabled postback waits (the other one shows the relay went past it).
    rx.answer(200);
    let waiting = lead(&app, &key, &campaign, "late").await;
    rx_ok.wait_for("/ok", 21).await;
    assert_eq!(rx.hits().iter().filter(|h| h.path == "/gone").count(), 20);
    let res = app
        .gql(
            Some(&pat.access_token),
            "mutation($id: ID!) { setPostbackEnabled(id: $id, enabled: true) { enabled consecutiveFailures } }",
            json!({ "id": failing }),
        )
        .await;
    assert_eq!(res["data"]["setPostbackEnabled"], json!({ "enabled": true, "consecutiveFailures": 0 }), "{res}");
    let hits = rx.wait_for("/gone", 21).await;
    assert_eq!(hits[20].query["l"], waiting);
}

/// "Send test" sends sample values; a replay sends a period's events again to one postback, with their delivery ids.
async fn tests_and_replays(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let (owner, campaign, pat, _, key) = program(&app).await;
    let before = app.clock.now();
    let a = lead(&app, &key, &campaign, "a").await;
    let b = lead(&app, &key, &campaign, "b").await;
    decide(&app, &owner, &[&a], "APPROVED", None).await;
    // Added afterwards: it missed these events.
    let pb = create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED", "LEAD_APPROVED"], "url": format!("{}/pb?l={{lead_id}}&ev={{event}}&d={{delivery_id}}", rx.address) }),
    )
    .await;
    let res =
        app.gql(Some(&pat.access_token), "mutation($id: ID!) { sendTestPostback(id: $id) }", json!({ "id": pb })).await;
    assert!(res["data"]["sendTestPostback"].is_string(), "{res}");
    let test = rx.wait_for("/pb", 1).await.remove(0);
    assert_eq!(test.query["ev"], "test");

    let replay = "mutation($id: ID!, $f: DateTime!, $t: DateTime!) { replayPostback(id: $id, from: $f, to: $t) }";
    let after = app.clock.now() + chrono::Duration::seconds(1);
    let res = app.gql(Some(&pat.access_token), replay, json!({ "id": pb, "f": before, "t": after })).await;
    assert_eq!(res["data"]["replayPostback"], 3, "{res}");
    let hits = rx.wait_for("/pb", 4).await;
    let got: BTreeSet<(String, String)> =
        hits[1..].iter().map(|h| (h.query["l"].clone(), h.query["ev"].clone())).collect();
    let want: BTreeSet<(String, String)> = [(&a, "lead.received"), (&b, "lead.received"), (&a, "lead.approved")]
        .into_iter()
        .map(|(l, e)| (l.clone(), e.to_owned()))
        .collect();
    assert_eq!(got, want);
    // Again: the same delivery ids, so a receiver that keeps them drops the repeats.
    wait_until("the replay settled", || async {
        (app.count("SELECT COUNT(*) FROM deliveries WHERE status = 'DELIVERED'").await == 4).then_some(())
    })
    .await;
    let res = app.gql(Some(&pat.access_token), replay, json!({ "id": pb, "f": before, "t": after })).await;
    assert_eq!(res["data"]["replayPostback"], 3, "{res}");
    let hits = rx.wait_for("/pb", 7).await;
    let first: BTreeSet<&str> = hits[1..4].iter().map(|h| h.query["d"].as_str()).collect();
    let again: BTreeSet<&str> = hits[4..].iter().map(|h| h.query["d"].as_str()).collect();
    assert_eq!(first, again);

    let res = app
        .gql(Some(&pat.access_token), replay, json!({ "id": pb, "f": before - chrono::Duration::days(32), "t": after }))
        .await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("to")), "{res}");
}

/// A tracker that answers slowly holds only its own host's slots (`POSTBACK_HOST_CONCURRENCY`): another host's
/// deliveries go out meanwhile.
async fn a_slow_tracker_holds_only_its_own_slots(db: Db) {
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.delay(6000);
    let app = spawn_app_with(db, &[ALLOW, ("POSTBACK_HOST_CONCURRENCY", "2")]).await;
    let (_owner, campaign, pat, _, key) = program(&app).await;
    create_postback(
        &app,
        &pat,
        json!({ "events": ["LEAD_RECEIVED"], "url": format!("{}/slow?l={{lead_id}}", slow.address) }),
    )
    .await;
    // Another host name for the same machine: its own slots.
    let fast_url = format!("{}/fast?l={{lead_id}}", fast.address.replace("127.0.0.1", "localhost"));
    create_postback(&app, &pat, json!({ "events": ["LEAD_RECEIVED"], "url": fast_url })).await;
    for i in 0..4 {
        lead(&app, &key, &campaign, &format!("e{i}")).await;
    }
    slow.wait_for("/slow", 2).await;
    fast.wait_for("/fast", 4).await;
    assert_eq!(slow.hits().len(), 2, "two requests at a time to the slow host, the others wait their turn");
    slow.wait_for("/slow", 4).await;
    wait_until("every delivery settled", || async {
        (app.count("SELECT COUNT(*) FROM deliveries WHERE status = 'DELIVERED'").await == 8).then_some(())
    })
    .await;
}

/// Owner webhooks on both databases: lead events as signed JSON, the same `webhook-id` on a retry with a signature
/// of its own timestamp, both secrets during a rotation's overlap and only the new one after it. (The signatures are
/// checked with the npm `standardwebhooks` library in e2e/tests/webhooks.test.mjs.)
async fn webhooks_carry_lead_events_signed(db: Db) {
    use partnerdesk_services::delivery::webhooks::sign;
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let (owner, campaign, _pat, partner_id, key) = program(&app).await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($u: String!) { createWebhookEndpoint(input: { url: $u, events: [LEAD_RECEIVED, LEAD_STATUS_CHANGED] }) { secret endpoint { id } } }",
            json!({ "u": format!("{}/hooks", rx.address) }),
        )
        .await;
    let secret = res["data"]["createWebhookEndpoint"]["secret"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    let endpoint = res["data"]["createWebhookEndpoint"]["endpoint"]["id"].as_str().unwrap().to_owned();
    let verify = |hit: &Hit, secret: &str| {
        let (id, ts) = (&hit.headers["webhook-id"], hit.headers["webhook-timestamp"].parse::<i64>().unwrap());
        let want = sign(secret, id, ts, &hit.body).unwrap();
        hit.headers["webhook-signature"].split(' ').any(|s| s == want)
    };

    rx.answer(503);
    let lead_id = lead(&app, &key, &campaign, "crm-7").await;
    let first = rx.wait_for("/hooks", 1).await.remove(0);
    assert!(verify(&first, &secret), "{first:?}");
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["type"], "lead.received");
    assert_eq!(body["data"]["id"], lead_id);
    assert_eq!(body["data"]["partnerId"], partner_id);
    assert_eq!((body["data"]["status"].as_str(), body["data"]["payout"].as_str()), (Some("RECEIVED"), Some("12.5")));
    assert_eq!(body["data"]["subIds"][0], "a b&c=d/é");
    // The failure is recorded (its retry set from the clock of that moment) before the receiver comes back and the
    // clock moves: the hit arrives at the receiver before the relay has read its answer.
    wait_until("the first attempt's 503 in the endpoint's log", || async {
        let res = app
            .gql(
                Some(&owner.access_token),
                "query($id: ID!) { webhookDeliveries(endpointId: $id) { nodes { statusCode } } }",
                json!({ "id": endpoint }),
            )
            .await;
        (res["data"]["webhookDeliveries"]["nodes"][0]["statusCode"].as_i64() == Some(503)).then_some(())
    })
    .await;
    // Retried later: the same id, a signature of the new timestamp.
    rx.answer(200);
    app.clock.advance(chrono::Duration::seconds(40));
    let again = rx.wait_for("/hooks", 2).await.remove(1);
    assert_eq!(again.headers["webhook-id"], first.headers["webhook-id"]);
    assert_eq!(again.body, first.body);
    assert_eq!(
        again.headers["webhook-timestamp"].parse::<i64>().unwrap()
            - first.headers["webhook-timestamp"].parse::<i64>().unwrap(),
        40
    );
    assert!(verify(&again, &secret));

    // Rotated: both secrets sign for a day, then only the new one.
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }",
            json!({ "id": endpoint }),
        )
        .await;
    let rotated = res["data"]["rotateWebhookSecret"]["secret"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    decide(&app, &owner, &[&lead_id], "APPROVED", None).await;
    let changed = rx.wait_for("/hooks", 3).await.remove(2);
    assert!(verify(&changed, &secret) && verify(&changed, &rotated), "{changed:?}");
    let body: Value = serde_json::from_str(&changed.body).unwrap();
    assert_eq!(
        (body["type"].as_str(), body["data"]["fromStatus"].as_str()),
        (Some("lead.status_changed"), Some("RECEIVED"))
    );
    app.clock.advance(chrono::Duration::hours(25));
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let res = app
        .gql(Some(&owner.access_token), "mutation($id: ID!) { sendTestWebhook(id: $id) }", json!({ "id": endpoint }))
        .await;
    assert!(res["data"]["sendTestWebhook"].is_string(), "{res}");
    let test = rx.wait_for("/hooks", 4).await.remove(3);
    assert_eq!(test.headers["webhook-signature"].split(' ').count(), 1);
    assert!(verify(&test, &rotated) && !verify(&test, &secret));
}

/// The organization's events besides leads: a partner registered, paused everywhere (twice: the second changes
/// nothing), paused on one campaign and removed from it; a cap filled by the lead that took its last unit (once: the refused lead after it sends nothing);
/// each as signed JSON with its data, and a replay of the period sends them again with the same ids.
async fn webhooks_carry_organization_events(db: Db) {
    let rx = Receiver::start().await;
    let app = spawn_app_with(db, &[ALLOW]).await;
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let events = "[PARTNER_REGISTERED, PARTNER_STATUS_CHANGED, CAP_REACHED, INVITATION_DELIVERY_FAILED]";
    let res = app
        .gql(
            Some(&owner.access_token),
            &format!(
                "mutation($u: String!) {{ createWebhookEndpoint(input: {{ url: $u, events: {events} }}) {{ endpoint {{ id events }} }} }}"
            ),
            json!({ "u": format!("{}/org", rx.address) }),
        )
        .await;
    let endpoint = res["data"]["createWebhookEndpoint"]["endpoint"]["id"].as_str().unwrap_or_else(|| panic!("{res}"));
    assert_eq!(res["data"]["createWebhookEndpoint"]["endpoint"]["events"].as_array().map(Vec::len), Some(4));
    let campaign = app.create_campaign(&owner.access_token, "Solar").await;
    let caps = json!([{ "metric": "FORM", "window": "DAILY", "limit": 2 }]);
    let (pat, partner_id) = partner_on(&app, &owner, &campaign, "pat@partner.test", caps).await;
    let registered = rx.wait_for("/org", 1).await.remove(0);
    let body: Value = serde_json::from_str(&registered.body).unwrap();
    assert_eq!(body["type"], "partner.registered", "{body}");
    assert_eq!(
        (&body["data"]["id"], &body["data"]["email"], &body["data"]["name"], &body["data"]["status"]),
        (&json!(partner_id), &json!("pat@partner.test"), &json!("Pat"), &json!("ACTIVE"))
    );
    assert!(registered.headers["webhook-signature"].starts_with("v1,"));

    // The second lead fills the daily cap of 2: one cap.reached; the third is refused and sends nothing more.
    let key = api_key(&app, &pat).await;
    lead(&app, &key, &campaign, "a").await;
    lead(&app, &key, &campaign, "b").await;
    let refused = json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Bo" } });
    assert_eq!(post_lead(&app, &key, &refused, None).await.0, 429);
    let filled = rx.wait_for("/org", 2).await.remove(1);
    let body: Value = serde_json::from_str(&filled.body).unwrap();
    assert_eq!(body["type"], "cap.reached", "{body}");
    assert_eq!(
        (&body["data"]["campaignId"], &body["data"]["partnerId"], &body["data"]["metric"], &body["data"]["period"]),
        (&json!(campaign), &json!(partner_id), &json!("FORM"), &json!("DAILY"))
    );
    assert_eq!(body["data"]["limit"], 2);
    assert!(body["data"]["resetsAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");

    // Paused everywhere, resumed on the campaign... then removed from it: three status changes.
    let call = |q: &'static str| {
        let (app, token, p, c) = (&app, owner.access_token.clone(), partner_id.clone(), campaign.clone());
        async move {
            let res = app.gql(Some(&token), q, json!({ "p": p, "c": c })).await;
            assert!(res["errors"].is_null(), "{res}");
        }
    };
    call("mutation($p: ID!) { pausePartner(partnerId: $p) { status } }").await;
    call("mutation($p: ID!) { pausePartner(partnerId: $p) { status } }").await;
    call("mutation($p: ID!, $c: ID!) { pausePartner(partnerId: $p, campaignId: $c) { status } }").await;
    call("mutation($p: ID!, $c: ID!) { removePartner(partnerId: $p, campaignId: $c) }").await;
    let hits = rx.wait_for("/org", 5).await;
    let mut steps: Vec<(Value, Value, Value)> = hits[2..]
        .iter()
        .map(|h| {
            let b: Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(b["type"], "partner.status_changed", "{b}");
            (b["data"]["fromStatus"].clone(), b["data"]["status"].clone(), b["data"]["campaignId"].clone())
        })
        .collect();
    // Sent concurrently: in any order.
    let mut want = vec![
        (json!("ACTIVE"), json!("PAUSED"), Value::Null),
        (json!("ACTIVE"), json!("PAUSED"), json!(campaign)),
        (json!("PAUSED"), json!("REMOVED"), json!(campaign)),
    ];
    let key = |s: &(Value, Value, Value)| format!("{:?}", s);
    steps.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(steps, want, "pausing twice changes nothing the second time");

    // A replay of the day sends the five again, with the ids they had.
    let now = app.clock.now();
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!, $f: DateTime!, $t: DateTime!) { replayWebhookEndpoint(id: $id, from: $f, to: $t) }",
            json!({ "id": endpoint, "f": now - chrono::Duration::hours(1), "t": now + chrono::Duration::hours(1) }),
        )
        .await;
    // Five events stored in all: the lead that left room in the cap wrote none.
    assert_eq!(res["data"]["replayWebhookEndpoint"], 5, "{res}");
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE type = 'cap.reached'").await, 1);
    let again = rx.wait_for("/org", 10).await;
    let ids = |hits: &[Hit]| hits.iter().map(|h| h.headers["webhook-id"].clone()).collect::<BTreeSet<_>>();
    assert_eq!(ids(&again[5..]), ids(&again[..5]));
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!, $f: DateTime!, $t: DateTime!) { replayWebhookEndpoint(id: $id, from: $f, to: $t) }",
            json!({ "id": endpoint, "f": now, "t": now + chrono::Duration::days(32) }),
        )
        .await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("to")), "{res}");
}

on_both_databases!(
    each_outcome_reaches_the_tracker,
    a_refused_lead_sends_nothing,
    failures_are_retried_by_the_rules,
    two_processes_deliver_each_once,
    internal_addresses_are_refused,
    a_failing_postback_is_disabled_and_resumed,
    tests_and_replays,
    a_slow_tracker_holds_only_its_own_slots,
    webhooks_carry_lead_events_signed,
    webhooks_carry_organization_events,
);
