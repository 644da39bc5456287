use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, Session, TestApp, error_code, session, spawn_app, wait_until};
use crate::tenancy::ok;

/// An owner, a campaign (America/New_York, form payout 12.50, fallback URL) and a registered partner on it with
/// `caps`, holding a partner API key.
pub struct Setup {
    pub owner: Session,
    pub partner: Session,
    pub campaign: String,
    pub partner_id: String,
    pub key: String,
}

pub async fn setup(app: &TestApp, caps: Value) -> Setup {
    let owner = app.sign_up("owner@acme.test", "Acme").await;
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "name": "Solar", "timeZone": "America/New_York", "landingUrl": "https://example.com/solar?utm=pd",
                           "fallbackUrl": "https://example.com/sorry", "formPayout": "12.50", "clickPayout": "0.35", "callPayout": "40" } }),
        )
        .await;
    let campaign = res["data"]["createCampaign"]["id"].as_str().unwrap().to_owned();
    let (partner, partner_id) = partner_on(app, &owner, &campaign, "pat@partner.test", caps).await;
    let key = api_key(app, &partner).await;
    Setup { owner, partner, campaign, partner_id, key }
}

pub async fn partner_on(app: &TestApp, owner: &Session, campaign: &str, email: &str, caps: Value) -> (Session, String) {
    let res = app
        .gql(
            Some(&owner.access_token),
            "mutation($i: AddMarketingPartnerInput!) { addMarketingPartner(input: $i) { assignment { partner { id } } } }",
            json!({ "i": { "campaignId": campaign, "email": email, "caps": caps } }),
        )
        .await;
    let partner_id = res["data"]["addMarketingPartner"]["assignment"]["partner"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{res}"))
        .to_owned();
    let token = app.invitation_token(email).await;
    let accepted = app
        .gql(
            None,
            "mutation($t: String!) { acceptInvitation(input: { token: $t, name: \"Pat\", password: \"correct horse battery staple\" }) { accessToken refreshToken user { email } } }",
            json!({ "t": token }),
        )
        .await;
    (session(&accepted, "acceptInvitation"), partner_id)
}

pub async fn api_key(app: &TestApp, user: &Session) -> String {
    let res = app
        .gql(Some(&user.access_token), "mutation { createApiKey(name: \"CRM\") { key apiKey { prefix } } }", json!({}))
        .await;
    let key = res["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    assert!(key.starts_with(res["data"]["createApiKey"]["apiKey"]["prefix"].as_str().unwrap()));
    key
}

/// `POST /v1/leads`; returns the status and the JSON body.
pub async fn post_lead(app: &TestApp, key: &str, body: &Value, idempotency: Option<&str>) -> (u16, Value) {
    let mut req = app.client.post(format!("{}/v1/leads", app.address)).bearer_auth(key).json(body);
    if let Some(k) = idempotency {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// `POST /v1/leads/{id}/status` with an API key; returns the status and the JSON body.
pub async fn post_status(app: &TestApp, key: &str, lead_id: &str, body: &Value) -> (u16, Value) {
    let url = format!("{}/v1/leads/{lead_id}/status", app.address);
    let res = app.client.post(url).bearer_auth(key).json(body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

fn form(campaign: &str) -> Value {
    json!({ "campaignId": campaign, "type": "form", "fields": { "name": "Ann", "zip": "10001" }, "subIds": { "sub1": "banner" } })
}

/// Two server processes on one database, 32 concurrent clients, a daily form cap of 100, 1,000 attempts: exactly
/// 100 leads are accepted, 900 answered CAP_REACHED, and the counter equals the stored rows.
async fn caps_hold_exactly_under_concurrency(db: Db) {
    let a = spawn_app(db).await;
    let b = if db == Db::Postgres { Some(a.another_process().await) } else { None };
    let s = setup(&a, json!([{ "metric": "FORM", "window": "DAILY", "limit": 100 }])).await;
    let addresses: Vec<String> =
        std::iter::once(a.address.clone()).chain(b.as_ref().map(|b| b.address.clone())).collect();
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let body = form(&s.campaign);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for w in 0..32 {
        let (client, key, body, next) = (client.clone(), s.key.clone(), body.clone(), next.clone());
        let url = format!("{}/v1/leads", addresses[w % addresses.len()]);
        workers.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 1000 {
                let res = client.post(&url).bearer_auth(&key).json(&body).send().await.unwrap();
                let status = res.status().as_u16();
                let v: Value = res.json().await.unwrap();
                codes.push(if status == 201 {
                    "ACCEPTED".to_owned()
                } else {
                    v["error"]["code"].as_str().unwrap_or("?").to_owned()
                });
            }
            codes
        }));
    }
    let mut accepted = 0;
    let mut capped = 0;
    for w in workers {
        for code in w.await.unwrap() {
            match code.as_str() {
                "ACCEPTED" => accepted += 1,
                "CAP_REACHED" => capped += 1,
                other => panic!("unexpected answer {other}"),
            }
        }
    }
    assert_eq!((accepted, capped), (100, 900));
    assert_eq!(a.count("SELECT COUNT(*) FROM leads").await, 100);
    assert_eq!(a.count("SELECT CAST(SUM(used) AS BIGINT) FROM cap_counters").await, 100);
}

/// Accepted per window = min(limit, attempts), over random sequences of days and attempts (daily cap 3, monthly 20,
/// global 40, New York time).
async fn windows_reset_in_the_campaign_time_zone(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 3 }, { "metric": "FORM", "window": "MONTHLY", "limit": 20 }, { "metric": "FORM", "window": "GLOBAL", "limit": 40 }])).await;
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // Accepted so far per New York day and month, and in all.
    let mut per_day = std::collections::HashMap::<String, i64>::new();
    let mut per_month = std::collections::HashMap::<String, i64>::new();
    let mut total = 0_i64;
    for _step in 0..25 {
        // Forward 14 to 33 hours: some steps stay on the same local day, some skip one.
        app.clock.advance(Duration::hours(14 + i64::try_from(rand(20)).unwrap()));
        let now = app.clock.now().with_timezone(&chrono_tz::America::New_York);
        let (day, month) = (now.format("%Y-%m-%d").to_string(), now.format("%Y-%m").to_string());
        let attempts = i64::try_from(rand(6)).unwrap();
        let mut accepted = 0;
        for _ in 0..attempts {
            let (status, body) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
            if status == 201 {
                accepted += 1;
            } else {
                assert_eq!(body["error"]["code"], "CAP_REACHED", "{body}");
                assert!(body["error"]["resetsAt"].is_string() || body["error"]["window"] == "GLOBAL", "{body}");
            }
        }
        let room = (3 - per_day.get(&day).copied().unwrap_or(0))
            .min(20 - per_month.get(&month).copied().unwrap_or(0))
            .min(40 - total)
            .max(0);
        assert_eq!(accepted, attempts.min(room), "at {now}");
        *per_day.entry(day).or_default() += accepted;
        *per_month.entry(month).or_default() += accepted;
        total += accepted;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, total);
    // A lead refused by a full cap leaves every counter as it was, those with room included: each window's
    // counters add up to the leads accepted.
    for period in ["DAILY", "MONTHLY", "GLOBAL"] {
        let sql = format!("SELECT CAST(COALESCE(SUM(used), 0) AS BIGINT) FROM cap_counters WHERE period = '{period}'");
        assert_eq!(app.count(&sql).await, total, "{period} counters");
    }
}

async fn cap_reached_says_which_cap_and_when_it_resets(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 2 }])).await;
    for _ in 0..2 {
        assert_eq!(post_lead(&app, &s.key, &form(&s.campaign), None).await.0, 201);
    }
    let (status, body) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
    assert_eq!(status, 429);
    let e = &body["error"];
    assert_eq!(
        (&e["code"], &e["metric"], &e["window"], &e["limit"]),
        (&json!("CAP_REACHED"), &json!("FORM"), &json!("DAILY"), &json!(2)),
        "{body}"
    );
    let resets = chrono::DateTime::parse_from_rfc3339(e["resetsAt"].as_str().unwrap()).unwrap();
    let local = resets.with_timezone(&chrono_tz::America::New_York);
    assert_eq!(local.format("%H:%M").to_string(), "00:00", "resets at midnight in New York");

    // The partner sees the full cap and when it resets; the owner sees the same.
    let portal = app.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl capUsage { metric window limit used remaining resetsAt } } } }", json!({})).await;
    let usage = &portal["data"]["myPartnerAccount"]["campaigns"][0]["capUsage"][0];
    assert_eq!((&usage["used"], &usage["remaining"]), (&json!(2), &json!(0)), "{portal}");
    assert_eq!(usage["resetsAt"], e["resetsAt"]);

    // Raising the cap takes effect on the next request; lowering it below usage means reached.
    let caps = "mutation($c: ID!, $p: ID!, $caps: [CapInput!]!) { updatePartnerCaps(campaignId: $c, partnerId: $p, caps: $caps) { id } }";
    app.gql(
        Some(&s.owner.access_token),
        caps,
        json!({ "c": s.campaign, "p": s.partner_id, "caps": [{ "metric": "FORM", "window": "DAILY", "limit": 3 }] }),
    )
    .await;
    assert_eq!(post_lead(&app, &s.key, &form(&s.campaign), None).await.0, 201);
    app.gql(
        Some(&s.owner.access_token),
        caps,
        json!({ "c": s.campaign, "p": s.partner_id, "caps": [{ "metric": "FORM", "window": "DAILY", "limit": 1 }] }),
    )
    .await;
    assert_eq!(post_lead(&app, &s.key, &form(&s.campaign), None).await.0, 429);

    // Tomorrow in New York the window starts again.
    let tomorrow = resets.with_timezone(&chrono::Utc) - app.clock.now() + Duration::seconds(1);
    app.clock.advance(tomorrow);
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    assert_eq!(post_lead(&app, &s.key, &form(&s.campaign), None).await.0, 201);
    let view = app
        .gql(
            Some(&owner.access_token),
            "query($c: ID!) { campaign(id: $c) { marketingPartners { nodes { capUsage { used limit } } } } }",
            json!({ "c": s.campaign }),
        )
        .await;
    assert_eq!(
        view["data"]["campaign"]["marketingPartners"]["nodes"][0]["capUsage"],
        json!([{ "used": 1, "limit": 1 }]),
        "{view}"
    );
}

async fn idempotency_keys_replay_and_conflict(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let body = form(&s.campaign);
    let (s1, first) = post_lead(&app, &s.key, &body, Some("order-42")).await;
    let (s2, again) = post_lead(&app, &s.key, &body, Some("order-42")).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first, again);
    let mut other = body.clone();
    other["fields"]["name"] = json!("Bob");
    let (s3, conflict) = post_lead(&app, &s.key, &other, Some("order-42")).await;
    assert_eq!((s3, conflict["error"]["code"].as_str()), (409, Some("IDEMPOTENCY_CONFLICT")));
    // Concurrent requests with one key make one lead.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (client, url, key, body) =
                (app.client.clone(), format!("{}/v1/leads", app.address), s.key.clone(), body.clone());
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(key)
                    .header("idempotency-key", "race")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.json::<Value>().await.unwrap()["id"].clone())
            })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let (status, id) = t.await.unwrap();
        assert_eq!(status, 201);
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 2);
    let (status, res) = post_lead(&app, &s.key, &body, Some(&"k".repeat(256))).await;
    assert_eq!((status, res["error"]["field"].as_str()), (400, Some("Idempotency-Key")));
}

/// Bad requests get a 4xx JSON error and write nothing.
async fn bad_lead_requests_write_nothing(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "GLOBAL", "limit": 5 }])).await;
    let other_campaign = app.create_campaign(&s.owner.access_token, "Other").await;
    let (_, b_partner_id) = partner_on(&app, &s.owner, &other_campaign, "bob@partner.test", json!([])).await;
    let revoked = api_key(&app, &s.partner).await;
    let keys = app.gql(Some(&s.partner.access_token), "{ apiKeys { id prefix } }", json!({})).await;
    let revoked_id = keys["data"]["apiKeys"][0]["id"].clone();
    app.gql(
        Some(&s.partner.access_token),
        "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
        json!({ "id": revoked_id }),
    )
    .await;
    assert!(!b_partner_id.is_empty());
    let url = format!("{}/v1/leads", app.address);
    let raw = |key: Option<&str>, body: Vec<u8>| {
        let mut req = app.client.post(&url).header("content-type", "application/json").body(body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send()
    };
    let c = &s.campaign;
    // (what, API key, body, status, code)
    type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("malformed JSON", Some(&s.key), b"{\"campaignId\": ".to_vec(), 400, "VALIDATION"),
        ("wrong type", Some(&s.key), json!({ "campaignId": c, "type": 7 }).to_string().into_bytes(), 400, "VALIDATION"),
        ("not an object", Some(&s.key), b"[1,2]".to_vec(), 400, "VALIDATION"),
        (
            "unknown campaign",
            Some(&s.key),
            json!({ "campaignId": "0192f8a4-0000-7000-8000-000000000000", "type": "form" }).to_string().into_bytes(),
            403,
            "NOT_ASSIGNED",
        ),
        (
            "another partner's campaign",
            Some(&s.key),
            json!({ "campaignId": other_campaign, "type": "form" }).to_string().into_bytes(),
            403,
            "NOT_ASSIGNED",
        ),
        (
            "oversize body",
            Some(&s.key),
            json!({ "campaignId": c, "type": "form", "fields": { "x": "a".repeat(70_000) } }).to_string().into_bytes(),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "10,000-character field",
            Some(&s.key),
            json!({ "campaignId": c, "type": "form", "fields": { "bio": "a".repeat(10_000) } })
                .to_string()
                .into_bytes(),
            400,
            "VALIDATION",
        ),
        (
            "invalid UTF-8",
            Some(&s.key),
            b"{\"campaignId\": \"\xff\xfe\", \"type\": \"form\"}".to_vec(),
            400,
            "VALIDATION",
        ),
        (
            "call without a number",
            Some(&s.key),
            json!({ "campaignId": c, "type": "call", "durationSeconds": 30 }).to_string().into_bytes(),
            400,
            "VALIDATION",
        ),
        ("missing key", None, form(c).to_string().into_bytes(), 401, "UNAUTHENTICATED"),
        ("revoked key", Some(&revoked), form(c).to_string().into_bytes(), 401, "UNAUTHENTICATED"),
        ("unknown key", Some("pdk_nope"), form(c).to_string().into_bytes(), 401, "UNAUTHENTICATED"),
        // A bad key is the answer whatever the body: the body is not judged for a caller not known.
        ("unknown key, malformed JSON", Some("pdk_nope"), b"{\"campaignId\": ".to_vec(), 401, "UNAUTHENTICATED"),
        (
            "revoked key, call without a number",
            Some(&revoked),
            json!({ "campaignId": c, "type": "call", "durationSeconds": 30 }).to_string().into_bytes(),
            401,
            "UNAUTHENTICATED",
        ),
        (
            "unknown key, oversize body",
            Some("pdk_nope"),
            json!({ "campaignId": c, "type": "form", "fields": { "x": "a".repeat(70_000) } }).to_string().into_bytes(),
            401,
            "UNAUTHENTICATED",
        ),
        (
            "revoked key, another partner's campaign",
            Some(&revoked),
            json!({ "campaignId": other_campaign, "type": "form" }).to_string().into_bytes(),
            401,
            "UNAUTHENTICATED",
        ),
    ];
    for (what, key, body, status, code) in cases {
        let res = raw(key, body).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{what}");
        let v: Value = res.json().await.unwrap_or_else(|_| panic!("{what}: not JSON"));
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(v["error"]["message"].is_string(), "{what}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM cap_counters").await, 0);

    // A paused partner is told so.
    app.gql(
        Some(&s.owner.access_token),
        "mutation($p: ID!, $c: ID) { pausePartner(partnerId: $p, campaignId: $c) { id } }",
        json!({ "p": s.partner_id, "c": c }),
    )
    .await;
    let (status, body) = post_lead(&app, &s.key, &form(c), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("PARTNER_PAUSED")));
}

const LEAD_Q: &str =
    "query($id: ID!) { lead(id: $id) { status reason earned payout history { fromStatus toStatus reason } } }";

/// RECEIVED -> APPROVED | REJECTED (with a reason); APPROVED -> CONVERTED; both sides see status and reason.
async fn owner_decides_and_partner_sees_status_and_reason(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, body) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
        assert_eq!((status, &body["status"]), (201, &json!("RECEIVED")));
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let t = Some(s.owner.access_token.as_str());
    let set = "mutation($ids: [ID!]!, $s: LeadStatus!, $r: String) { setLeadStatus(ids: $ids, status: $s, reason: $r) { status } }";
    let res = app.gql(t, set, json!({ "ids": [ids[0]], "s": "REJECTED" })).await;
    assert_eq!(
        (error_code(&res), res["errors"][0]["extensions"]["field"].as_str()),
        (Some("VALIDATION"), Some("reason"))
    );
    let res = app.gql(t, set, json!({ "ids": [ids[0]], "s": "REJECTED", "r": "Duplicate phone number" })).await;
    assert_eq!(res["data"]["setLeadStatus"], json!([{ "status": "REJECTED" }]), "{res}");
    // All or nothing: one invalid transition (a rejected lead cannot be approved) changes none.
    let res = app.gql(t, set, json!({ "ids": [ids[1], ids[0]], "s": "APPROVED" })).await;
    assert_eq!(error_code(&res), Some("VALIDATION"));
    assert_eq!(app.count("SELECT COUNT(*) FROM leads WHERE status = 'APPROVED'").await, 0);
    let res = app.gql(t, set, json!({ "ids": [ids[1], ids[2]], "s": "APPROVED" })).await;
    assert_eq!(res["data"]["setLeadStatus"].as_array().unwrap().len(), 2, "{res}");

    // The owner's buying system converts over REST with an owner API key; a partner key may not.
    let owner_key = api_key(&app, &s.owner).await;
    assert_eq!(post_status(&app, &s.key, &ids[1], &json!({ "status": "CONVERTED" })).await.0, 403);
    let (status, body) = post_status(&app, &owner_key, &ids[1], &json!({ "status": "CONVERTED" })).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "CONVERTED");
    assert_eq!(post_status(&app, &owner_key, &ids[1], &json!({ "status": "APPROVED" })).await.0, 400);

    let p = Some(s.partner.access_token.as_str());
    let rejected = app.gql(p, LEAD_Q, json!({ "id": ids[0] })).await;
    assert_eq!(
        rejected["data"]["lead"],
        json!({ "status": "REJECTED", "reason": "Duplicate phone number", "earned": "0.00", "payout": "12.50",
                "history": [{ "fromStatus": null, "toStatus": "RECEIVED", "reason": null },
                            { "fromStatus": "RECEIVED", "toStatus": "REJECTED", "reason": "Duplicate phone number" }] }),
        "{rejected}"
    );
    let converted = app.gql(p, LEAD_Q, json!({ "id": ids[1] })).await;
    assert_eq!(
        (&converted["data"]["lead"]["status"], &converted["data"]["lead"]["earned"]),
        (&json!("CONVERTED"), &json!("12.50"))
    );
    let mine =
        app.gql(p, "{ myLeads(filter: { status: REJECTED }) { totalCount nodes { reason subIds } } }", json!({})).await;
    assert_eq!(mine["data"]["myLeads"]["totalCount"], 1, "{mine}");
    assert_eq!(mine["data"]["myLeads"]["nodes"][0]["subIds"][0], "banner");

    // Another partner of the same organization sees none of these.
    let (other, _) = partner_on(&app, &s.owner, &s.campaign, "bob@partner.test", json!([])).await;
    let res = app.gql(Some(&other.access_token), LEAD_Q, json!({ "id": ids[0] })).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"));
    let res = app.gql(Some(&other.access_token), "{ myLeads { totalCount } }", json!({})).await;
    assert_eq!(res["data"]["myLeads"]["totalCount"], 0);
    let res = app
        .gql(
            t,
            "query($c: ID) { leads(filter: { campaignId: $c, type: FORM }) { totalCount } }",
            json!({ "c": s.campaign }),
        )
        .await;
    assert_eq!(res["data"]["leads"]["totalCount"], 3);
}

/// Tracking links: counted clicks land with a click id; capped or paused clicks go to the fallback (or get a 429);
/// HEAD counts nothing.
async fn clicks_redirect_and_respect_caps(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "CLICK", "window": "DAILY", "limit": 2 }])).await;
    let portal =
        app.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = portal["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("{}/c/", app.address)), "{link}");
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let head = no_redirect.head(&link).send().await.unwrap();
    assert_eq!(head.status(), 302);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks").await, 0, "HEAD is not counted");
    let mut click_id = String::new();
    for _ in 0..2 {
        let res = no_redirect.get(format!("{link}?sub1=banner&sub2=top")).send().await.unwrap();
        assert_eq!(res.status(), 302);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("https://example.com/solar?utm=pd&pd_click_id="), "{location}");
        click_id = location.rsplit('=').next().unwrap().to_owned();
    }
    let res = no_redirect.get(&link).send().await.unwrap();
    assert_eq!(res.headers()["location"], "https://example.com/sorry", "the third click goes to the fallback");
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks WHERE counted = TRUE AND payout = 3500").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks WHERE counted = FALSE AND reason = 'CAP_REACHED'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM clicks WHERE sub1 = 'banner' AND sub2 = 'top'").await, 2);

    // The click id travels with the lead.
    let mut lead = form(&s.campaign);
    lead["clickId"] = json!(click_id);
    assert_eq!(post_lead(&app, &s.key, &lead, None).await.0, 201);
    lead["clickId"] = json!("0192f8a4-0000-7000-8000-000000000000");
    assert_eq!(post_lead(&app, &s.key, &lead, None).await.0, 400);

    // Without a fallback URL a refused click is a 429 JSON.
    app.gql(
        Some(&s.owner.access_token),
        "mutation($c: ID!) { updateCampaign(id: $c, input: { fallbackUrl: null }) { id } }",
        json!({ "c": s.campaign }),
    )
    .await;
    let res = no_redirect.get(&link).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "CAP_REACHED");
    let res = no_redirect.get(format!("{}/c/unknown-code", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

async fn api_keys_are_shown_once_and_stored_hashed(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    assert_eq!(app.count(&format!("SELECT COUNT(*) FROM api_keys WHERE key_hash = '{}'", s.key)).await, 0);
    let keys = app
        .gql(
            Some(&s.partner.access_token),
            "{ apiKeys { prefix lastUsedAt revokedAt organization { id } } }",
            json!({}),
        )
        .await;
    let k = &keys["data"]["apiKeys"][0];
    assert!(k["lastUsedAt"].is_null());
    assert_eq!(k["organization"], Value::Null, "a key works for every organization of its account");
    assert_eq!(
        k.as_object().unwrap().values().filter(|v| v.as_str() == Some(&s.key)).count(),
        0,
        "the key is never shown again"
    );
    post_lead(&app, &s.key, &form(&s.campaign), None).await;
    wait_until("last use recorded", || async {
        let keys = app.gql(Some(&s.partner.access_token), "{ apiKeys { lastUsedAt } }", json!({})).await;
        keys["data"]["apiKeys"][0]["lastUsedAt"].as_str().map(str::to_owned)
    })
    .await;
    let res =
        app.gql(Some(&s.partner.access_token), "mutation { createApiKey(name: \"  \") { key } }", json!({})).await;
    assert_eq!(error_code(&res), Some("VALIDATION"));
}

/// A payout is fixed when the lead is recorded: the campaign's, or the partner's override.
async fn payouts_are_fixed_when_recorded(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let t = Some(s.owner.access_token.as_str());
    let (_, first) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
    let res = app
        .gql(t, "mutation($c: ID!, $p: ID!) { setPartnerPayouts(campaignId: $c, partnerId: $p, formPayout: \"15.25\") { formPayoutOverride clickPayoutOverride } }", json!({ "c": s.campaign, "p": s.partner_id }))
        .await;
    assert_eq!(
        res["data"]["setPartnerPayouts"],
        json!({ "formPayoutOverride": "15.25", "clickPayoutOverride": null }),
        "{res}"
    );
    let res = app.gql(t, "mutation($c: ID!, $p: ID!) { setPartnerPayouts(campaignId: $c, partnerId: $p, formPayout: \"-1\") { id } }", json!({ "c": s.campaign, "p": s.partner_id })).await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "formPayout");
    let (_, second) = post_lead(&app, &s.key, &form(&s.campaign), None).await;
    app.gql(
        t,
        "mutation($c: ID!) { updateCampaign(id: $c, input: { formPayout: \"99\" }) { id } }",
        json!({ "c": s.campaign }),
    )
    .await;
    let p = Some(s.partner.access_token.as_str());
    let payout = |id: &Value| app.gql(p, "query($id: ID!) { lead(id: $id) { payout earned } }", json!({ "id": id }));
    assert_eq!(payout(&first["id"]).await["data"]["lead"], json!({ "payout": "12.50", "earned": "0.00" }));
    assert_eq!(payout(&second["id"]).await["data"]["lead"], json!({ "payout": "15.25", "earned": "0.00" }));
    let portal = app.gql(p, "{ myPartnerAccount { campaigns { formPayout } } }", json!({})).await;
    assert_eq!(portal["data"]["myPartnerAccount"]["campaigns"][0]["formPayout"], "15.25");
}

const PAUSE: &str = "mutation($p: ID!, $c: ID) { pausePartner(partnerId: $p, campaignId: $c) { id } }";
const RESUME: &str = "mutation($p: ID!, $c: ID) { resumePartner(partnerId: $p, campaignId: $c) { id } }";
const SET_CAPS: &str = "mutation($c: ID!, $p: ID!, $caps: [CapInput!]!) { updatePartnerCaps(campaignId: $c, partnerId: $p, caps: $caps) { id } }";

/// A process keeps API keys and their leads' targets between leads; what another process changes (a pause, a lower
/// cap, declared fields, a revoked key) holds for the very next lead the first one takes, with no notice and no wait.
async fn changes_in_another_process_hold_for_the_next_lead(db: Db) {
    let a = spawn_app(db).await;
    let s = setup(&a, json!([{ "metric": "FORM", "window": "GLOBAL", "limit": 10 }])).await;
    let b = a.another_process().await;
    let owner = s.owner.access_token.as_str();
    let lead_in_a = |body: Value| {
        let a = &a;
        let key = s.key.clone();
        async move {
            let (status, res) = post_lead(a, &key, &body, None).await;
            (status, res["error"]["code"].as_str().map(str::to_owned))
        }
    };
    let taken = (201, None);
    let refused = |status: u16, code: &str| (status, Some(code.to_owned()));
    let c = s.campaign.as_str();
    assert_eq!(lead_in_a(form(c)).await, taken);
    assert_eq!(lead_in_a(form(c)).await, taken);

    ok(&b, owner, PAUSE, json!({ "p": s.partner_id, "c": c })).await;
    assert_eq!(lead_in_a(form(c)).await, refused(403, "PARTNER_PAUSED"));
    ok(&b, owner, RESUME, json!({ "p": s.partner_id, "c": c })).await;
    assert_eq!(lead_in_a(form(c)).await, taken);

    // 3 leads counted: a limit of 3 set in B is full for A's next lead.
    let limit =
        |n: i64| json!({ "c": c, "p": s.partner_id, "caps": [{ "metric": "FORM", "window": "GLOBAL", "limit": n }] });
    ok(&b, owner, SET_CAPS, limit(3)).await;
    assert_eq!(lead_in_a(form(c)).await, refused(429, "CAP_REACHED"));
    ok(&b, owner, SET_CAPS, limit(10)).await;
    assert_eq!(lead_in_a(form(c)).await, taken);

    // An email declared required in B: A refuses a lead without one, and takes it again once B drops the rule.
    let fields = "mutation($c: ID!, $i: LeadFieldsInput!) { setLeadFields(campaignId: $c, input: $i) { id } }";
    let email = json!([{ "key": "email", "label": "Email", "type": "EMAIL", "required": true }]);
    ok(&b, owner, fields, json!({ "c": c, "i": { "fields": email } })).await;
    assert_eq!(lead_in_a(form(c)).await, refused(400, "VALIDATION"));
    let with_email = json!({ "campaignId": c, "type": "form", "fields": { "email": "ann@example.com" } });
    assert_eq!(lead_in_a(with_email).await, taken);
    ok(&b, owner, fields, json!({ "c": c, "i": { "fields": [] } })).await;
    assert_eq!(lead_in_a(form(c)).await, taken);

    let partner = s.partner.access_token.as_str();
    let keys = ok(&b, partner, "{ apiKeys { id } }", json!({})).await;
    let revoke = "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }";
    let revoked = ok(&b, partner, revoke, json!({ "id": keys["apiKeys"][0]["id"] })).await;
    assert!(revoked["revokeApiKey"]["revokedAt"].is_string(), "{revoked}");
    assert_eq!(lead_in_a(form(c)).await, refused(401, "UNAUTHENTICATED"));
    assert_eq!(a.count("SELECT COUNT(*) FROM leads").await, 6);
}

/// The same for tracking links: a pause, a lower click cap and a new landing page set in another process hold for
/// the next click.
async fn link_changes_in_another_process_hold_for_the_next_click(db: Db) {
    let a = spawn_app(db).await;
    let s = setup(&a, json!([{ "metric": "CLICK", "window": "DAILY", "limit": 10 }])).await;
    let b = a.another_process().await;
    let owner = s.owner.access_token.as_str();
    let portal =
        a.gql(Some(&s.partner.access_token), "{ myPartnerAccount { campaigns { trackingUrl } } }", json!({})).await;
    let link = portal["data"]["myPartnerAccount"]["campaigns"][0]["trackingUrl"].as_str().unwrap().to_owned();
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let click_in_a = || {
        let (client, link) = (&no_redirect, &link);
        async move {
            let res = client.get(link).send().await.unwrap();
            let location = res.headers()["location"].to_str().unwrap();
            location.split("pd_click_id").next().unwrap_or_default().to_owned()
        }
    };
    let (landing, fallback) = ("https://example.com/solar?utm=pd&", "https://example.com/sorry");
    assert_eq!(click_in_a().await, landing);
    assert_eq!(click_in_a().await, landing);
    let (c, p) = (s.campaign.as_str(), s.partner_id.as_str());
    ok(&b, owner, PAUSE, json!({ "p": p, "c": c })).await;
    assert_eq!(click_in_a().await, fallback);
    ok(&b, owner, RESUME, json!({ "p": p, "c": c })).await;
    assert_eq!(click_in_a().await, landing);
    let limit = |n: i64| json!({ "c": c, "p": p, "caps": [{ "metric": "CLICK", "window": "DAILY", "limit": n }] });
    ok(&b, owner, SET_CAPS, limit(3)).await;
    assert_eq!(click_in_a().await, fallback);
    ok(&b, owner, SET_CAPS, limit(10)).await;
    let moved =
        "mutation($c: ID!) { updateCampaign(id: $c, input: { landingUrl: \"https://example.com/roof\" }) { id } }";
    ok(&b, owner, moved, json!({ "c": c })).await;
    assert_eq!(click_in_a().await, "https://example.com/roof?");
    assert_eq!(a.count("SELECT COUNT(*) FROM clicks WHERE counted = TRUE").await, 4);
    let reasons = "SELECT COUNT(*) FROM clicks WHERE counted = FALSE AND reason IN ('PARTNER_PAUSED', 'CAP_REACHED')";
    assert_eq!(a.count(reasons).await, 2);
}

on_both_databases!(
    payouts_are_fixed_when_recorded,
    caps_hold_exactly_under_concurrency,
    windows_reset_in_the_campaign_time_zone,
    cap_reached_says_which_cap_and_when_it_resets,
    idempotency_keys_replay_and_conflict,
    bad_lead_requests_write_nothing,
    owner_decides_and_partner_sees_status_and_reason,
    clicks_redirect_and_respect_caps,
    api_keys_are_shown_once_and_stored_hashed,
    changes_in_another_process_hold_for_the_next_lead,
    link_changes_in_another_process_hold_for_the_next_click,
);
