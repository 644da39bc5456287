//! Lead quality through the real API: declared fields checked and normalised (every failing field named, nothing
//! written), test leads answered as real ones and leaving nothing, duplicates refused with their evidence and exact
//! under concurrency, windows that expire, the posting instructions.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, TestApp, error_code, error_field, session, spawn_app};
use crate::traffic::{Setup, api_key, partner_on, post_lead, setup};

const SET_FIELDS: &str = "mutation($c: ID!, $i: LeadFieldsInput!) { setLeadFields(campaignId: $c, input: $i) { \
    leadFields { key type required } unknownFields phoneCountry } }";
const SET_RULE: &str = "mutation($c: ID, $r: DuplicateRuleInput) { setDuplicateRule(campaignId: $c, rule: $r) { \
    fields windowHours scope } }";

fn declaration() -> Value {
    json!({
        "unknownFields": "REFUSE",
        "fields": [
            { "key": "email", "label": "Email", "type": "EMAIL", "required": true },
            { "key": "phone", "label": "Phone", "type": "PHONE", "required": true },
            { "key": "zip", "label": "ZIP", "type": "US_ZIP", "required": false },
            { "key": "state", "label": "State", "type": "US_STATE", "required": false },
            { "key": "home", "label": "Home", "type": "ENUM", "required": false, "values": ["Own", "Rent"] },
            { "key": "born", "label": "Date of birth", "type": "DATE", "required": false },
            { "key": "bio", "label": "About", "type": "TEXT", "required": false, "maxLength": 20 },
            { "key": "consent", "label": "Consent certificate", "type": "CONSENT_PROOF", "required": true },
        ]
    })
}

async fn declare(app: &TestApp, s: &Setup) {
    let res = app.gql(Some(&s.owner.access_token), SET_FIELDS, json!({ "c": s.campaign, "i": declaration() })).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(res["data"]["setLeadFields"]["leadFields"].as_array().map(Vec::len), Some(8));
}

fn lead(campaign: &str, fields: Value) -> Value {
    json!({ "campaignId": campaign, "type": "form", "fields": fields })
}

fn person(phone: &str, email: &str) -> Value {
    json!({ "email": email, "phone": phone, "consent": "https://cert.trustedform.com/abc123" })
}

/// A lead that fails is refused with every failing field, before anything is written (not counted toward caps);
/// a good one is stored normalised.
async fn declared_fields_are_checked_and_normalised(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 1 }])).await;
    declare(&app, &s).await;

    let bad = lead(
        &s.campaign,
        json!({ "email": "ann@", "zip": "2134", "state": "New York", "home": "lease", "born": "2023-02-29",
                "bio": "x".repeat(21), "colour": "blue", "consent": "http://cert.trustedform.com/abc" }),
    );
    let (status, body) = post_lead(&app, &s.key, &bad, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION");
    let got: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap().to_owned(), f["code"].as_str().unwrap().to_owned()))
        .collect();
    let want = [
        ("email", "INVALID"),
        ("phone", "REQUIRED"),
        ("zip", "INVALID"),
        ("state", "INVALID"),
        ("home", "NOT_ALLOWED"),
        ("born", "INVALID"),
        ("bio", "TOO_LONG"),
        ("consent", "INVALID"),
        ("colour", "UNKNOWN_FIELD"),
    ];
    assert_eq!(got, want.map(|(f, c)| (f.to_owned(), c.to_owned())), "{body}");
    assert!(body["error"]["fields"][6]["message"].as_str().unwrap().contains("20"), "{body}");
    // 10,000 characters and more: refused by length, named.
    let huge = lead(&s.campaign, json!({ "email": format!("{}@example.com", "a".repeat(10_000)) }));
    let (status, body) = post_lead(&app, &s.key, &huge, None).await;
    assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (400, Some("TOO_LONG")), "{body}");
    // Invalid UTF-8 in a value: the body is refused as a whole, clearly.
    let mut raw = format!(r#"{{"campaignId":"{}","type":"form","fields":{{"email":""#, s.campaign).into_bytes();
    raw.extend_from_slice(b"\xff\xfe\"}}");
    let res = app
        .client
        .post(format!("{}/v1/leads", app.address))
        .bearer_auth(&s.key)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status, &body["error"]["code"], &body["error"]["field"]), (400, &json!("VALIDATION"), &json!("body")));
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM cap_counters").await, 0, "refused leads take no cap");

    let mut good = person("+1 (212) 555-0100", " Ann.Lee@Example.COM ");
    good["zip"] = json!("02134-1234");
    good["state"] = json!("ny");
    good["home"] = json!("rENT");
    good["born"] = json!("1980-02-29");
    let (status, body) = post_lead(&app, &s.key, &lead(&s.campaign, good), None).await;
    assert_eq!(status, 201, "{body}");
    let res = app
        .gql(Some(&s.owner.access_token), "query($id: ID!) { lead(id: $id) { fields } }", json!({ "id": body["id"] }))
        .await;
    assert_eq!(
        res["data"]["lead"]["fields"],
        json!({ "email": "ann.lee@example.com", "phone": "+12125550100", "zip": "02134", "state": "NY",
                "home": "Rent", "born": "1980-02-29", "consent": "https://cert.trustedform.com/abc123" }),
        "{res}"
    );

    // Declarations are checked too.
    let mut bad = declaration();
    bad["fields"][1]["key"] = json!("1phone");
    let res = app.gql(Some(&s.owner.access_token), SET_FIELDS, json!({ "c": s.campaign, "i": bad })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("fields.1")), "{res}");
    let mut bad = declaration();
    bad["phoneCountry"] = json!("XX");
    let res = app.gql(Some(&s.owner.access_token), SET_FIELDS, json!({ "c": s.campaign, "i": bad })).await;
    assert_eq!(error_field(&res), Some("phoneCountry"), "{res}");
    // An empty list makes the campaign free-form again.
    let res = app.gql(Some(&s.owner.access_token), SET_FIELDS, json!({ "c": s.campaign, "i": { "fields": [] } })).await;
    assert_eq!(res["data"]["setLeadFields"]["leadFields"], json!([]), "{res}");
}

/// `"test": true` or `X-Test-Lead: 1`: the answer a real lead would get, including CAP_REACHED and DUPLICATE_LEAD,
/// and nothing stored, counted or sent.
async fn test_leads_answer_as_real_ones_and_leave_nothing(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 1 }])).await;
    declare(&app, &s).await;
    let rule = json!({ "fields": ["phone"], "windowHours": 24, "scope": "CAMPAIGN" });
    let res = app.gql(Some(&s.owner.access_token), SET_RULE, json!({ "c": s.campaign, "r": rule })).await;
    assert!(res["errors"].is_null(), "{res}");

    let mut body = lead(&s.campaign, person("212 555 0100", "ann@example.com"));
    body["test"] = json!(true);
    let (status, answer) = post_lead(&app, &s.key, &body, None).await;
    assert_eq!((status, &answer["status"], &answer["test"]), (201, &json!("RECEIVED"), &json!(true)), "{answer}");
    let header = |body: &Value| {
        app.client
            .post(format!("{}/v1/leads", app.address))
            .bearer_auth(&s.key)
            .header("X-Test-Lead", "1")
            .header("Idempotency-Key", "same-key")
            .json(body)
            .send()
    };
    let res = header(&lead(&s.campaign, json!({ "email": "bad" }))).await.unwrap();
    assert_eq!(res.status().as_u16(), 400, "a test lead is checked as a real one");
    let res = header(&lead(&s.campaign, person("212 555 0100", "ann@example.com"))).await.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    for table in ["leads", "lead_history", "cap_counters", "lead_fingerprints", "idempotency_keys", "daily_stats"] {
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }

    // A real lead fills the cap and claims the phone: tests now get what real leads would.
    let (status, _) = post_lead(&app, &s.key, &lead(&s.campaign, person("2125550100", "ann@example.com")), None).await;
    assert_eq!(status, 201);
    let mut same = lead(&s.campaign, person("+12125550100", "bo@example.com"));
    same["test"] = json!(true);
    let (status, answer) = post_lead(&app, &s.key, &same, None).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("DUPLICATE_LEAD")), "{answer}");
    let mut other = lead(&s.campaign, person("+12125550199", "bo@example.com"));
    other["test"] = json!(true);
    let (status, answer) = post_lead(&app, &s.key, &other, None).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("CAP_REACHED")), "{answer}");

    // The same over GraphQL (`submitLead(input: {test: true})`, the posting instructions page's form), with the
    // evidence in `extensions` as REST puts it beside the code.
    let submit = "mutation($i: SubmitLeadInput!) { submitLead(input: $i) { status payout } }";
    let gql_test = |fields: Value| json!({ "campaignId": s.campaign, "type": "FORM", "fields": fields, "test": true });
    let res = app
        .gql(Some(&s.partner.access_token), submit, json!({ "i": gql_test(person("+12125550100", "c@example.com")) }))
        .await;
    let e = &res["errors"][0]["extensions"];
    assert_eq!(
        (&e["code"], &e["field"], &e["samePartner"]),
        (&json!("DUPLICATE_LEAD"), &json!("phone"), &json!(true)),
        "{res}"
    );
    assert!(e["firstReceivedAt"].as_str().is_some_and(|t| t.ends_with('Z')), "{res}");
    let res = app
        .gql(Some(&s.partner.access_token), submit, json!({ "i": gql_test(person("+12125550199", "c@example.com")) }))
        .await;
    let e = &res["errors"][0]["extensions"];
    assert_eq!(
        (&e["code"], &e["metric"], &e["window"], &e["limit"]),
        (&json!("CAP_REACHED"), &json!("FORM"), &json!("DAILY"), &json!(1)),
        "{res}"
    );
    let res = app.gql(Some(&s.partner.access_token), submit, json!({ "i": gql_test(json!({ "email": "bad" })) })).await;
    let fields: Vec<&str> = res["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["email", "phone", "consent"], "{res}");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM cap_counters").await, 1);
}

/// A duplicate is refused with the field that matched, when the first lead came and whether from the same partner;
/// it takes no cap; the window expires; an organization rule spans campaigns.
async fn duplicates_are_refused_with_their_evidence(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "GLOBAL", "limit": 3 }])).await;
    declare(&app, &s).await;
    let rule = json!({ "fields": ["phone", "email"], "windowHours": 24, "scope": "CAMPAIGN" });
    let res = app.gql(Some(&s.owner.access_token), SET_RULE, json!({ "c": s.campaign, "r": rule })).await;
    assert_eq!(res["data"]["setDuplicateRule"]["fields"], json!(["phone", "email"]), "{res}");
    let first_at = app.clock.now();
    let (status, _) =
        post_lead(&app, &s.key, &lead(&s.campaign, person("212 555 0100", "ann@example.com")), None).await;
    assert_eq!(status, 201);

    app.clock.advance(Duration::hours(2));
    // The same phone written another way.
    let again = lead(&s.campaign, person("+1 (212) 555-0100", "other@example.com"));
    let (status, body) = post_lead(&app, &s.key, &again, None).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        (&body["error"]["code"], &body["error"]["field"], &body["error"]["samePartner"]),
        (&json!("DUPLICATE_LEAD"), &json!("phone"), &json!(true))
    );
    let at: chrono::DateTime<chrono::Utc> = body["error"]["firstReceivedAt"].as_str().unwrap().parse().unwrap();
    assert!((at - first_at).num_milliseconds().abs() < 1000, "{body}");
    // The email alone is enough, and from another partner it says only "another source".
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let (sam, _) = partner_on(&app, &owner, &s.campaign, "sam@partner.test", json!([])).await;
    let sam_key = api_key(&app, &sam).await;
    let (status, body) =
        post_lead(&app, &sam_key, &lead(&s.campaign, person("212 555 0199", "ANN@example.com")), None).await;
    assert_eq!((status, &body["error"]["field"], &body["error"]["samePartner"]), (409, &json!("email"), &json!(false)));
    assert!(!body.to_string().contains("pat@partner.test"), "never who: {body}");
    // Refused duplicates took no cap: two more distinct people fit the cap of 3.
    for n in ["0101", "0102"] {
        let (status, body) = post_lead(
            &app,
            &s.key,
            &lead(&s.campaign, person(&format!("212 555 {n}"), &format!("{n}@example.com"))),
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    // The window is over after 24 hours: the person may come again (the cap, now full, answers instead).
    app.clock.advance(Duration::hours(23));
    let (status, body) = post_lead(&app, &s.key, &again, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("CAP_REACHED")), "{body}");
    let pruned = partnerdesk_services::retention::prune(&app.db, app.clock.now(), Duration::days(90)).await.unwrap();
    assert_eq!(pruned.fingerprints, 2, "the first lead's phone and email claims expired: {pruned:?}");

    // The organization's rule spans its campaigns: forever, by phone.
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let org_rule = json!({ "fields": ["phone"], "scope": "ORGANIZATION" });
    let res = app.gql(Some(&owner.access_token), SET_RULE, json!({ "r": org_rule })).await;
    assert_eq!(res["data"]["setDuplicateRule"]["windowHours"], Value::Null, "{res}");
    let roofing = app.create_campaign(&owner.access_token, "Roofing").await;
    let (ray, _) = partner_on(&app, &owner, &roofing, "ray@partner.test", json!([])).await;
    let ray_key = api_key(&app, &ray).await;
    let free = |phone: &str| lead(&roofing, json!({ "phone": phone }));
    assert_eq!(post_lead(&app, &ray_key, &free("+44 20 7946 0958"), None).await.0, 201);
    let (status, body) = post_lead(&app, &ray_key, &free("+44 20 7946 0958"), None).await;
    assert_eq!((status, &body["error"]["field"]), (409, &json!("phone")), "{body}");
    app.clock.advance(Duration::days(400));
    assert_eq!(post_lead(&app, &ray_key, &free("+44 20 7946 0958"), None).await.0, 409, "forever");
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login");
    let res = app.gql(Some(&owner.access_token), "{ organizationDuplicateRule { scope } }", json!({})).await;
    assert_eq!(res["data"]["organizationDuplicateRule"]["scope"], "ORGANIZATION");
    // A rule on a field the campaign does not declare is refused.
    let rule = json!({ "fields": ["ssn"], "windowHours": 24, "scope": "CAMPAIGN" });
    let res = app.gql(Some(&owner.access_token), SET_RULE, json!({ "c": s.campaign, "r": rule })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("fields")), "{res}");
}

/// 32 clients send the same phone number at once (over two processes on PostgreSQL): exactly one is accepted.
async fn simultaneous_duplicates_are_caught(db: Db) {
    let a = spawn_app(db).await;
    let b = if db == Db::Postgres { Some(a.another_process().await) } else { None };
    let s = setup(&a, json!([])).await;
    declare(&a, &s).await;
    let rule = json!({ "fields": ["phone"], "windowHours": 720, "scope": "ORGANIZATION" });
    let res = a.gql(Some(&s.owner.access_token), SET_RULE, json!({ "c": s.campaign, "r": rule })).await;
    assert!(res["errors"].is_null(), "{res}");
    let mut tasks = Vec::new();
    for i in 0..32 {
        let app = if i % 2 == 1 { b.as_ref().unwrap_or(&a) } else { &a };
        let (address, client, key) = (app.address.clone(), app.client.clone(), s.key.clone());
        let body = lead(
            &s.campaign,
            person(if i % 3 == 0 { "+1 212 555 0100" } else { "(212) 555-0100" }, &format!("p{i}@example.com")),
        );
        tasks.push(tokio::spawn(async move {
            let res = client.post(format!("{address}/v1/leads")).bearer_auth(key).json(&body).send().await.unwrap();
            res.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 31, "{statuses:?}");
    assert_eq!(a.count("SELECT COUNT(*) FROM leads").await, 1);
    assert_eq!(a.count("SELECT COUNT(*) FROM lead_fingerprints").await, 1);
}

/// The instructions are generated from the declaration, for the partner on the campaign (and its owner); the example
/// they give is a valid lead; anyone else is told the campaign does not exist.
async fn posting_instructions_follow_the_declaration(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    declare(&app, &s).await;
    let rule = json!({ "fields": ["phone"], "windowHours": 48, "scope": "CAMPAIGN" });
    app.gql(Some(&s.owner.access_token), SET_RULE, json!({ "c": s.campaign, "r": rule })).await;
    let q = "query($c: ID!) { postingInstructions(campaignId: $c) { endpoint fields { key required } exampleLead curl \
             markdown duplicateRules { fields windowHours } } }";
    let res = app.gql(Some(&s.partner.access_token), q, json!({ "c": s.campaign })).await;
    let i = &res["data"]["postingInstructions"];
    assert!(i["endpoint"].as_str().is_some_and(|e| e.starts_with("http") && e.ends_with("/v1/leads")), "{res}");
    assert_eq!(i["fields"].as_array().map(Vec::len), Some(8));
    let md = i["markdown"].as_str().unwrap();
    for needle in
        ["| `phone` | Phone |", "| yes |", "`DUPLICATE_LEAD`", "in the last 48 hours", "X-Test-Lead: 1", "CAP_REACHED"]
    {
        assert!(md.contains(needle), "{needle} in:\n{md}");
    }
    assert!(i["curl"].as_str().unwrap().contains("X-Test-Lead: 1"));
    // The example is valid as it stands: sent as a test lead, it is accepted.
    let mut example = i["exampleLead"].clone();
    example["test"] = json!(true);
    let (status, body) = post_lead(&app, &s.key, &example, None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads").await, 0);
    // The same Markdown as a download.
    let download = |token: Option<String>| {
        let url = format!("{}/v1/campaigns/{}/posting-instructions.md", app.address, s.campaign);
        let mut req = app.client.get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let res = req.send().await.unwrap();
            let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            let disposition =
                res.headers().get("content-disposition").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (res.status().as_u16(), kind, disposition, res.text().await.unwrap())
        }
    };
    let (status, kind, disposition, text) = download(Some(s.partner.access_token.clone())).await;
    assert_eq!((status, kind.as_str()), (200, "text/markdown; charset=utf-8"), "{text}");
    assert_eq!(disposition, "attachment; filename=\"posting-instructions-solar.md\"");
    assert_eq!(text, md);
    assert_eq!(download(None).await.0, 401);
    // The owner reads them; another organization does not know the campaign.
    let res = app.gql(Some(&s.owner.access_token), q, json!({ "c": s.campaign })).await;
    assert!(res["errors"].is_null(), "{res}");
    let other = app.sign_up("owner@beta.test", "Beta").await;
    let res = app.gql(Some(&other.access_token), q, json!({ "c": s.campaign })).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"), "{res}");
    assert_eq!(download(Some(other.access_token.clone())).await.0, 404);
}

const DECIDE: &str = "mutation($ids: [ID!]!, $s: LeadStatus!, $r: String, $c: String) { \
    setLeadStatus(ids: $ids, status: $s, reason: $r, reasonCode: $c) { id status reason reasonCode } }";

/// An approved or converted lead is returned with one of the organization's reasons, within the campaign's window;
/// its payout is reversed in the figures (report and CSV), the partner sees why; invalid returns change nothing.
async fn returns_reverse_the_payout_within_the_window(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let (status, body) = post_lead(&app, &s.key, &lead(&s.campaign, json!({ "name": "Ann" })), None).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let owner = s.owner.access_token.clone();
    let decide = |ids: Vec<&String>, status: &'static str, reason: Option<&'static str>, code: Option<&'static str>| {
        let vars = json!({ "ids": ids, "s": status, "r": reason, "c": code });
        let (app, owner) = (&app, owner.clone());
        async move { app.gql(Some(&owner), DECIDE, vars).await }
    };
    decide(vec![&ids[0], &ids[1], &ids[2]], "APPROVED", None, None).await;
    decide(vec![&ids[1]], "CONVERTED", None, None).await;

    // What a return needs: a known code (OTHER with a text), a lead approved or converted; a batch is all or none.
    let res = decide(vec![&ids[0]], "RETURNED", None, None).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("reasonCode")), "{res}");
    let res = decide(vec![&ids[0]], "RETURNED", None, Some("BORED")).await;
    assert_eq!(error_field(&res), Some("reasonCode"), "{res}");
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("BAD_CONTACT_DATA"), "lists the codes: {res}");
    let res = decide(vec![&ids[0]], "RETURNED", None, Some("OTHER")).await;
    assert_eq!(error_field(&res), Some("reason"), "{res}");
    let res = decide(vec![&ids[0], &ids[3]], "RETURNED", None, Some("FRAUD")).await;
    assert_eq!(error_field(&res), Some("status"), "a received lead cannot be returned: {res}");
    let res = decide(vec![&ids[3]], "APPROVED", None, Some("FRAUD")).await;
    assert_eq!(error_field(&res), Some("reasonCode"), "only a return takes a code: {res}");
    assert_eq!(app.count("SELECT COUNT(*) FROM leads WHERE status = 'RETURNED'").await, 0);

    let res = decide(vec![&ids[0]], "RETURNED", Some("the phone is not in service"), Some("bad_contact_data")).await;
    assert_eq!(
        res["data"]["setLeadStatus"][0],
        json!({ "id": ids[0], "status": "RETURNED", "reason": "Bad contact data: the phone is not in service",
                "reasonCode": "BAD_CONTACT_DATA" }),
        "{res}"
    );
    // A buying system returns the converted one over REST with the owner's key (one lead, or up to 500 at once,
    // all or none: a batch with a received lead changes nothing).
    let owner_key = api_key(&app, &s.owner).await;
    let bulk = |body: Value| {
        let (app, key) = (&app, owner_key.clone());
        async move {
            let res = app.client.post(format!("{}/v1/leads/status", app.address)).bearer_auth(key).json(&body).send();
            let res = res.await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = bulk(json!({ "ids": [ids[1], ids[3]], "status": "RETURNED", "reasonCode": "FRAUD" })).await;
    assert_eq!((status, &body["error"]["field"]), (400, &json!("status")), "{body}");
    let (status, body) = bulk(json!({ "ids": [ids[1]], "status": "RETURNED", "reasonCode": "FRAUD" })).await;
    assert_eq!((status, &body["leads"][0]["status"]), (200, &json!("RETURNED")), "{body}");

    // The figures: 3 approved (2 of them returned), no conversion left, one payout of 12.50 earned.
    let q = "{ report(groupBy: [CAMPAIGN]) { totals { approved converted returned returnRate earnings } } }";
    let res = app.gql(Some(&owner), q, json!({})).await;
    assert_eq!(
        res["data"]["report"]["totals"][0],
        json!({ "approved": 3, "converted": 0, "returned": 2, "returnRate": 0.666667, "earnings": "12.50" }),
        "{res}"
    );
    let csv = app
        .client
        .get(format!("{}/v1/reports.csv?groupBy=CAMPAIGN", app.address))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains(",3,0,0,2,") && csv.contains(",0.666667,"), "{csv}");
    // The partner reads why.
    let res = app
        .gql(
            Some(&s.partner.access_token),
            "query($id: ID!) { lead(id: $id) { status reason earned } }",
            json!({ "id": ids[1] }),
        )
        .await;
    assert_eq!(res["data"]["lead"], json!({ "status": "RETURNED", "reason": "Fraud", "earned": "0.00" }), "{res}");

    // Past the window (30 days from receipt by default), no more returns.
    app.clock.advance(Duration::days(31));
    let owner = session(&app.login("owner@acme.test", PASSWORD).await, "login").access_token;
    let res = app.gql(Some(&owner), DECIDE, json!({ "ids": [ids[2]], "s": "RETURNED", "c": "FRAUD" })).await;
    assert_eq!(error_field(&res), Some("status"), "{res}");
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("return window of 30 days"), "{res}");
    // The organization's own reasons replace the defaults; OTHER stays.
    let res = app
        .gql(
            Some(&owner),
            "mutation { setReturnReasons(reasons: [{ code: \"no_answer\", label: \"Never answered\" }]) { code } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["setReturnReasons"], json!([{ "code": "NO_ANSWER" }, { "code": "OTHER" }]), "{res}");
    let res = app
        .gql(
            Some(&owner),
            "mutation($c: ID!) { updateCampaign(id: $c, input: { returnWindowDays: 60 }) { returnWindowDays } }",
            json!({ "c": s.campaign }),
        )
        .await;
    assert_eq!(res["data"]["updateCampaign"]["returnWindowDays"], 60, "{res}");
    let res = app.gql(Some(&owner), DECIDE, json!({ "ids": [ids[2]], "s": "RETURNED", "c": "FRAUD" })).await;
    assert_eq!(error_field(&res), Some("reasonCode"), "{res}");
    let res = app.gql(Some(&owner), DECIDE, json!({ "ids": [ids[2]], "s": "RETURNED", "c": "NO_ANSWER" })).await;
    assert_eq!(res["data"]["setLeadStatus"][0]["reason"], "Never answered", "{res}");
}

/// The partner disputes a return and a rejection once each, within the window; the owner upholds one with a reply
/// and reverses the other (the payout restored); counts of open disputes on both sides; every step is kept.
async fn disputes_are_upheld_or_reversed(db: Db) {
    let app = spawn_app(db).await;
    let s = setup(&app, json!([])).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, body) = post_lead(&app, &s.key, &lead(&s.campaign, json!({ "name": "Ann" })), None).await;
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let (owner, partner) = (s.owner.access_token.clone(), s.partner.access_token.clone());
    let gql = |token: &str, q: &str, vars: Value| {
        let (app, token, q) = (&app, token.to_owned(), q.to_owned());
        async move { app.gql(Some(&token), &q, vars).await }
    };
    gql(&owner, DECIDE, json!({ "ids": [ids[0], ids[1]], "s": "APPROVED" })).await;
    gql(&owner, DECIDE, json!({ "ids": [ids[2]], "s": "REJECTED", "r": "Out of area" })).await;
    const DISPUTE: &str =
        "mutation($id: ID!, $m: String!) { disputeLead(leadId: $id, message: $m) { status disputedStatus message } }";
    const ANSWER: &str = "mutation($id: ID!, $r: Boolean!, $t: String) { answerDispute(leadId: $id, reverse: $r, reply: $t) { status reply } }";
    let res = gql(&partner, DISPUTE, json!({ "id": ids[0], "m": "Why?" })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("leadId")), "an approved lead: {res}");
    gql(&owner, DECIDE, json!({ "ids": [ids[0]], "s": "RETURNED", "c": "FRAUD" })).await;
    let res = gql(&partner, DISPUTE, json!({ "id": ids[0], "m": "  " })).await;
    assert_eq!(error_field(&res), Some("message"), "{res}");
    let res = gql(&partner, DISPUTE, json!({ "id": ids[0], "m": "The consumer confirmed by phone." })).await;
    assert_eq!(
        res["data"]["disputeLead"],
        json!({ "status": "OPEN", "disputedStatus": "RETURNED", "message": "The consumer confirmed by phone." }),
        "{res}"
    );
    let res = gql(&partner, DISPUTE, json!({ "id": ids[0], "m": "Again" })).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "once per lead: {res}");
    gql(&partner, DISPUTE, json!({ "id": ids[2], "m": "The ZIP is in your area." })).await;
    let count = |token: String, role: &'static str| {
        let app = &app;
        async move {
            let q = format!("{{ openDisputes(as: {role}) }}");
            app.gql(Some(&token), &q, json!({})).await["data"]["openDisputes"].clone()
        }
    };
    assert_eq!(count(owner.clone(), "OWNER").await, 2);
    assert_eq!(count(partner.clone(), "PARTNER").await, 2);
    let res = gql(&owner, "{ leads(filter: { dispute: OPEN }) { totalCount } }", json!({})).await;
    assert_eq!(res["data"]["leads"]["totalCount"], 2, "{res}");

    // Upheld: a reply is required; the rejection stays.
    let res = gql(&owner, ANSWER, json!({ "id": ids[2], "r": false })).await;
    assert_eq!(error_field(&res), Some("reply"), "{res}");
    let res = gql(&owner, ANSWER, json!({ "id": ids[2], "r": false, "t": "94105 is outside our states." })).await;
    assert_eq!(res["data"]["answerDispute"]["status"], "UPHELD", "{res}");
    // Reversed: back to APPROVED, the payout earned again.
    let res = gql(&owner, ANSWER, json!({ "id": ids[0], "r": true, "t": "Confirmed." })).await;
    assert_eq!(res["data"]["answerDispute"]["status"], "REVERSED", "{res}");
    let res = gql(&owner, ANSWER, json!({ "id": ids[0], "r": true })).await;
    assert_eq!(error_code(&res), Some("CONFLICT"), "answered once: {res}");
    let q = "{ report(groupBy: [CAMPAIGN]) { totals { approved rejected returned earnings } } }";
    let res = gql(&owner, q, json!({})).await;
    assert_eq!(
        res["data"]["report"]["totals"][0],
        json!({ "approved": 2, "rejected": 1, "returned": 0, "earnings": "25.00" }),
        "{res}"
    );
    assert_eq!(count(owner.clone(), "OWNER").await, 0);
    // The partner reads each step: the reply, and the history with the reversal.
    let q =
        "query($id: ID!) { lead(id: $id) { status dispute { status reply } history { fromStatus toStatus reason } } }";
    let res = gql(&partner, q, json!({ "id": ids[2] })).await;
    assert_eq!(res["data"]["lead"]["dispute"], json!({ "status": "UPHELD", "reply": "94105 is outside our states." }));
    let res = gql(&partner, q, json!({ "id": ids[0] })).await;
    let history = res["data"]["lead"]["history"].as_array().unwrap().clone();
    let steps: Vec<(Value, Value)> = history.iter().map(|h| (h["fromStatus"].clone(), h["toStatus"].clone())).collect();
    assert_eq!(
        steps,
        [
            (Value::Null, json!("RECEIVED")),
            (json!("RECEIVED"), json!("APPROVED")),
            (json!("APPROVED"), json!("RETURNED")),
            (json!("RETURNED"), json!("APPROVED")),
        ],
        "{res}"
    );
    assert_eq!(history[3]["reason"], "Dispute reversed: Confirmed.");

    // Past the window from the decision, no dispute.
    gql(&owner, DECIDE, json!({ "ids": [ids[1]], "s": "RETURNED", "c": "DUPLICATE" })).await;
    app.clock.advance(Duration::days(31));
    let partner = session(&app.login("pat@partner.test", PASSWORD).await, "login").access_token;
    let res = gql(&partner, DISPUTE, json!({ "id": ids[1], "m": "Late" })).await;
    assert_eq!(error_field(&res), Some("leadId"), "{res}");
}

on_both_databases!(
    declared_fields_are_checked_and_normalised,
    test_leads_answer_as_real_ones_and_leave_nothing,
    duplicates_are_refused_with_their_evidence,
    simultaneous_duplicates_are_caught,
    posting_instructions_follow_the_declaration,
    returns_reverse_the_payout_within_the_window,
    disputes_are_upheld_or_reversed,
);
