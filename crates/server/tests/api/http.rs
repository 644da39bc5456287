use serde_json::{Value, json};

use crate::helpers::{Db, spawn_app};

async fn health_ready_and_not_found(db: Db) {
    let app = spawn_app(db).await;
    let res = app.client.get(format!("{}/health", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "status": "ok" }));

    let res = app.client.get(format!("{}/ready", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let res = app.client.get(format!("{}/no/such/page", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(body["error"]["message"].as_str().unwrap().contains("/no/such/page"));
}

async fn graphql_endpoint_rejects_bad_requests_with_json(db: Db) {
    let app = spawn_app(db).await;
    let url = format!("{}/graphql", app.address);

    let huge = json!({ "query": "{ me { id } }", "variables": { "x": "a".repeat(2 * 1024 * 1024) } });
    let res = app.client.post(&url).json(&huge).send().await.unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "PAYLOAD_TOO_LARGE");

    let res = app.client.post(&url).header("content-type", "text/plain").body("{ me { id } }").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "UNSUPPORTED_MEDIA_TYPE");

    let res = app.client.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "BAD_REQUEST");

    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("graphiql"));

    let res = app.client.delete(&url).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

async fn query_depth_is_limited(db: Db) {
    let app = spawn_app(db).await;
    // __type(name:) { ofType { ofType { ... name } } }, nested deeper than the limit of 12.
    let inner = (0..15).fold("name".to_owned(), |inner, _| format!("ofType {{ {inner} }}"));
    let deep = format!("{{ __type(name: \"Campaign\") {{ {inner} }} }}");
    let res = app.gql(None, &deep, json!({})).await;
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{res}");
    assert!(res["data"].is_null());
}

on_both_databases!(health_ready_and_not_found, graphql_endpoint_rejects_bad_requests_with_json, query_depth_is_limited);
