use serde_json::{Value, json};

use crate::helpers::{Db, error_code, error_field, spawn_app};

const FIELDS: &str =
    "id name status timeZone landingUrl fallbackUrl currency clickPayout formPayout callPayout createdAt updatedAt";

fn create_q() -> String {
    format!("mutation($i: CreateCampaignInput!) {{ createCampaign(input: $i) {{ {FIELDS} }} }}")
}

fn update_q() -> String {
    format!("mutation($id: ID!, $i: UpdateCampaignInput!) {{ updateCampaign(id: $id, input: $i) {{ {FIELDS} }} }}")
}

async fn create_edit_archive_and_restore(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("ann@example.com", "Acme").await;
    let t = Some(owner.access_token.as_str());
    let input = json!({
        "name": "  Solar Leads NY ", "timeZone": "America/New_York", "landingUrl": "https://example.com/solar",
        "fallbackUrl": "https://example.com/sorry", "currency": "usd",
        "clickPayout": "0.1", "formPayout": "19.9999", "callPayout": "45"
    });
    let res = app.gql(t, &create_q(), json!({ "i": input })).await;
    let c = &res["data"]["createCampaign"];
    assert_eq!(c["name"], "Solar Leads NY", "{res}");
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["timeZone"], "America/New_York");
    assert_eq!(c["currency"], "USD");
    assert_eq!(
        (&c["clickPayout"], &c["formPayout"], &c["callPayout"]),
        (&json!("0.10"), &json!("19.9999"), &json!("45.00"))
    );
    assert!(c["createdAt"].as_str().unwrap().ends_with("+00:00"));
    let id = c["id"].as_str().unwrap().to_owned();

    // A partial update leaves everything else as it was; null clears the fallback URL.
    app.clock.advance(chrono::Duration::seconds(5));
    let res = app
        .gql(
            t,
            &update_q(),
            json!({ "id": id, "i": { "formPayout": "20", "fallbackUrl": null, "timeZone": "Europe/Berlin" } }),
        )
        .await;
    let u = &res["data"]["updateCampaign"];
    assert_eq!(u["formPayout"], "20.00", "{res}");
    assert_eq!(u["fallbackUrl"], Value::Null);
    assert_eq!(u["timeZone"], "Europe/Berlin");
    assert_eq!(u["name"], "Solar Leads NY");
    assert_eq!(u["clickPayout"], "0.10");
    assert_ne!(u["updatedAt"], c["updatedAt"]);
    assert_eq!(u["createdAt"], c["createdAt"]);

    let res = app
        .gql(t, &format!("mutation($id: ID!) {{ archiveCampaign(id: $id) {{ {FIELDS} }} }}"), json!({ "id": id }))
        .await;
    assert_eq!(res["data"]["archiveCampaign"]["status"], "ARCHIVED");
    let res = app.gql(t, &format!("query($id: ID!) {{ campaign(id: $id) {{ {FIELDS} }} }}"), json!({ "id": id })).await;
    assert_eq!(res["data"]["campaign"]["status"], "ARCHIVED");
    assert_eq!(res["data"]["campaign"]["formPayout"], "20.00");
    let res = app.gql(t, &update_q(), json!({ "id": id, "i": { "status": "ACTIVE" } })).await;
    assert_eq!(res["data"]["updateCampaign"]["status"], "ACTIVE");

    let res = app.gql(t, "query($id: ID!) { campaign(id: $id) { id } }", json!({ "id": "not-a-uuid" })).await;
    assert_eq!(error_code(&res), Some("NOT_FOUND"));
}

async fn payouts_are_exact_decimals_in_storage(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("ann@example.com", "Acme").await;
    for payout in ["0.1", "0.2"] {
        let input =
            json!({ "name": payout, "timeZone": "UTC", "landingUrl": "https://example.com", "clickPayout": payout });
        let res = app.gql(Some(&owner.access_token), &create_q(), json!({ "i": input })).await;
        assert!(res["errors"].is_null(), "{res}");
    }
    // 0.1 + 0.2 is exactly 0.3: stored as integer 1/10,000 units, summed by the database.
    assert_eq!(app.count("SELECT CAST(SUM(click_payout) AS BIGINT) FROM campaigns").await, 3000);
}

async fn bad_input_is_a_validation_error_beside_its_field(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("ann@example.com", "Acme").await;
    let t = Some(owner.access_token.as_str());
    let valid = json!({ "name": "Solar", "timeZone": "America/New_York", "landingUrl": "https://example.com/solar" });
    let cases = [
        ("name", json!("   ")),
        ("name", json!("x".repeat(121))),
        ("timeZone", json!("Mars/Olympus_Mons")),
        ("landingUrl", json!("example.com/solar")),
        ("landingUrl", json!("javascript:alert(1)")),
        ("fallbackUrl", json!("ftp://example.com")),
        ("currency", json!("DOLLARS")),
        ("clickPayout", json!("-1")),
        ("formPayout", json!("0.00001")),
        ("callPayout", json!("1000000001")),
    ];
    for (field, value) in cases {
        let mut input = valid.clone();
        input[field] = value.clone();
        let res = app.gql(t, &create_q(), json!({ "i": input })).await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{field}={value}: {res}");
        assert_eq!(error_field(&res), Some(field), "{field}={value}: {res}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM campaigns").await, 0);

    let id = app.create_campaign(&owner.access_token, "Solar").await;
    let res =
        app.gql(t, &update_q(), json!({ "id": id, "i": { "name": "Renamed", "timeZone": "Nowhere/City" } })).await;
    assert_eq!(error_field(&res), Some("timeZone"));
    let res = app.gql(t, "query($id: ID!) { campaign(id: $id) { name timeZone } }", json!({ "id": id })).await;
    assert_eq!(res["data"]["campaign"], json!({ "name": "Solar", "timeZone": "America/New_York" }));
}

async fn campaigns_page_newest_first_with_status_filter(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("ann@example.com", "Acme").await;
    let t = Some(owner.access_token.as_str());
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(app.create_campaign(&owner.access_token, &format!("Campaign {i:02}")).await);
    }
    let q = "query($first: Int, $after: String, $status: CampaignStatus) { campaigns(first: $first, after: $after, status: $status) \
             { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id name } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let res = app.gql(t, q, json!({ "first": 10, "after": after })).await;
        let page = &res["data"]["campaigns"];
        assert_eq!(page["totalCount"], 25, "{res}");
        seen.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    ids.reverse();
    assert_eq!(seen, ids, "every campaign once, newest first");

    for id in &ids[..3] {
        app.gql(t, "mutation($id: ID!) { archiveCampaign(id: $id) { id } }", json!({ "id": id })).await;
    }
    let archived = app.gql(t, q, json!({ "status": "ARCHIVED" })).await;
    assert_eq!(archived["data"]["campaigns"]["totalCount"], 3);
    let active = app.gql(t, q, json!({ "status": "ACTIVE", "first": 100 })).await;
    assert_eq!(active["data"]["campaigns"]["nodes"].as_array().unwrap().len(), 22);

    for first in [0, 101] {
        let res = app.gql(t, q, json!({ "first": first })).await;
        assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("first")), "{res}");
    }
    let res = app.gql(t, q, json!({ "after": "garbage!" })).await;
    assert_eq!((error_code(&res), error_field(&res)), (Some("VALIDATION"), Some("after")));
}

on_both_databases!(
    create_edit_archive_and_restore,
    payouts_are_exact_decimals_in_storage,
    bad_input_is_a_validation_error_beside_its_field,
    campaigns_page_newest_first_with_status_filter,
);
