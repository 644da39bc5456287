//! Persisted documents: the browser app's operations (`frontend/graphql/*.graphql`) run by id, `sha256:<hex>` of the
//! file's bytes (computed here independently of the server), and `PERSISTED_ONLY_FOR_APP` limits the app's requests
//! (anonymous, session access tokens) to them while reporting tokens keep sending any document.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::*;

const AUTH: &str = include_str!("../../../../frontend/graphql/auth.graphql");
const CAMPAIGNS: &str = include_str!("../../../../frontend/graphql/campaigns.graphql");
const TRAFFIC: &str = include_str!("../../../../frontend/graphql/traffic.graphql");

fn id(document: &str) -> String {
    let hex: String = Sha256::digest(document.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// POSTs a raw GraphQL request body; every answer here is a 200 with `data` and/or `errors`.
async fn post(app: &TestApp, token: Option<&str>, body: Value) -> Value {
    let mut req = app.client.post(format!("{}/graphql", app.address)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// One operation of a persisted document, by id.
async fn persisted(app: &TestApp, token: Option<&str>, document: &str, operation: &str, variables: Value) -> Value {
    post(app, token, json!({ "documentId": id(document), "operationName": operation, "variables": variables })).await
}

on_both_databases!(runs_by_id_like_the_text, app_only);

async fn runs_by_id_like_the_text(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("ann@persisted.test", "Acme").await;
    app.create_campaign(&owner.access_token, "Solar NY").await;
    app.create_campaign(&owner.access_token, "Solar NJ").await;
    let token = Some(owner.access_token.as_str());

    let vars = json!({ "first": 20 });
    let by_id = persisted(&app, token, CAMPAIGNS, "Campaigns", vars.clone()).await;
    assert_eq!(by_id["errors"], Value::Null, "{by_id}");
    assert_eq!(by_id["data"]["campaigns"]["totalCount"], 2, "{by_id}");
    let as_text =
        post(&app, token, json!({ "query": CAMPAIGNS, "operationName": "Campaigns", "variables": vars })).await;
    assert_eq!(by_id["data"], as_text["data"]);

    // Unknown ids, and an id with the document's text besides.
    for unknown in [id("query { me { id } }"), "sha256:0".to_owned(), "nonsense".to_owned()] {
        let res = post(&app, token, json!({ "documentId": unknown, "operationName": "Campaigns" })).await;
        assert_eq!(error_code(&res), Some("PERSISTED_DOCUMENT_NOT_FOUND"), "{res}");
        assert_eq!(res["data"], Value::Null);
    }
    let both =
        post(&app, token, json!({ "documentId": id(CAMPAIGNS), "query": CAMPAIGNS, "operationName": "Campaigns" }))
            .await;
    assert_eq!(error_code(&both), Some("VALIDATION"), "{both}");
    assert_eq!(error_field(&both), Some("documentId"));

    // The limits and validation apply to a persisted document as to any other.
    let wrong = persisted(&app, token, CAMPAIGNS, "NoSuchOperation", json!({})).await;
    assert_eq!(error_code(&wrong), Some("GRAPHQL_VALIDATION_FAILED"), "{wrong}");
    assert!(by_id["extensions"]["cost"]["requested"].as_u64().is_some_and(|n| n > 0), "{by_id}");
}

async fn app_only(db: Db) {
    let app = spawn_app_with(db, &[("PERSISTED_ONLY_FOR_APP", "1")]).await;
    let free_form = json!({ "query": "{ metricDefinitions { name } }" });

    // Anonymous: free-form refused, before anything runs; persisted documents work.
    let res = post(&app, None, free_form.clone()).await;
    assert_eq!(error_code(&res), Some("PERSISTED_DOCUMENT_REQUIRED"), "{res}");
    assert_eq!(res["data"], Value::Null);
    let res = post(&app, None, json!({ "query": AUTH, "operationName": "SignUp" })).await;
    assert_eq!(error_code(&res), Some("PERSISTED_DOCUMENT_REQUIRED"), "the app's own text is free-form too: {res}");
    let input = json!({ "email": "ann@persisted.test", "password": PASSWORD, "organizationName": "Acme" });
    let res = persisted(&app, None, AUTH, "SignUp", json!({ "input": input })).await;
    let access = res["data"]["signUp"]["accessToken"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);

    // A session's access token: the same.
    let session = Some(access.as_str());
    let res = post(&app, session, free_form.clone()).await;
    assert_eq!(error_code(&res), Some("PERSISTED_DOCUMENT_REQUIRED"), "{res}");
    let input =
        json!({ "name": "Solar NY", "timeZone": "America/New_York", "landingUrl": "https://example.com/solar" });
    let res = persisted(&app, session, CAMPAIGNS, "CreateCampaign", json!({ "input": input })).await;
    assert_eq!(res["errors"], Value::Null, "{res}");
    let res = persisted(&app, session, CAMPAIGNS, "Campaigns", json!({ "first": 5 })).await;
    assert_eq!(res["data"]["campaigns"]["totalCount"], 1, "{res}");

    // A reporting token sends any document within the limits.
    let vars = json!({ "name": "BI", "scope": "REPORTS" });
    let res = persisted(&app, session, TRAFFIC, "CreateApiKey", vars).await;
    let reports = res["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    let res = post(&app, Some(&reports), free_form.clone()).await;
    assert_eq!(res["errors"], Value::Null, "{res}");
    assert!(res["data"]["metricDefinitions"].as_array().is_some_and(|m| !m.is_empty()), "{res}");
    let res = post(&app, Some(&reports), json!({ "query": "{ campaigns(first: 5) { totalCount } }" })).await;
    assert_eq!(error_code(&res), Some("FORBIDDEN"), "a reporting token still reads only reports: {res}");
    let res = persisted(&app, Some(&reports), AUTH, "Logout", json!({})).await;
    assert_ne!(error_code(&res), Some("PERSISTED_DOCUMENT_REQUIRED"), "{res}");

    // An API key for leads is no GraphQL credential (as without the setting); a token the server does not accept is
    // told so, rather than run as anonymous.
    let res = persisted(&app, session, TRAFFIC, "CreateApiKey", json!({ "name": "Leads", "scope": "LEADS" })).await;
    let leads = res["data"]["createApiKey"]["key"].as_str().unwrap_or_else(|| panic!("{res}")).to_owned();
    for token in [leads.as_str(), "not-a-token"] {
        let res = post(&app, Some(token), free_form.clone()).await;
        assert_eq!(error_code(&res), Some("UNAUTHENTICATED"), "{res}");
        assert_eq!(res["data"], Value::Null);
    }
}
