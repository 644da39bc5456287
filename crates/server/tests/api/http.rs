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

    // Page paths belong to the browser app; anything else unknown is a JSON 404.
    let res = app.client.get(format!("{}/v1/no/such/thing", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(body["error"]["message"].as_str().unwrap().contains("/v1/no/such/thing"));
    let res = app.client.post(format!("{}/no/such/page", app.address)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "NOT_FOUND");
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

    // GraphiQL comes with the built app; until it is built, a page says how.
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("./scripts/build-frontend"));

    let res = app.client.delete(&url).send().await.unwrap();
    assert_eq!(res.status(), 405);
}

async fn serves_the_browser_app_with_cache_rules(db: Db) {
    let app = spawn_app(db).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();

    // Not built yet: a page that says how to build it.
    let res = get("/").await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("./scripts/build-frontend"));

    let dir = app.frontend_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Partnerdesk</title>").unwrap();
    std::fs::write(dir.join("app-0123456789abcdef.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("style-0123456789abcdef.css"), "body{}".repeat(200)).unwrap();
    std::fs::write(dir.join("graphiql.html"), r#"<script src="/graphiql-0123456789abcdef.js"></script>"#).unwrap();

    // GraphiQL: the page the build wrote, whose assets are this server's own (no CDN).
    let res = get("/graphql").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.text().await.unwrap().contains("/graphiql-0123456789abcdef.js"));

    for path in ["/", "/campaigns", "/campaigns/0192/edit", "/register?token=abc"] {
        let res = get(path).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.text().await.unwrap().contains("<title>Partnerdesk</title>"), "{path}");
    }
    let res = get("/app-0123456789abcdef.wasm").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/wasm");
    let cache = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age=31536000") && cache.contains("immutable"), "{cache}");

    let res = app
        .client
        .get(format!("{}/style-0123456789abcdef.css", app.address))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert_eq!(res.headers()["content-encoding"], "gzip");

    // Missing assets and API paths are JSON 404s, not the app.
    for path in ["/app-ffffffffffffffff.wasm", "/v1/nothing", "/graphql/nothing"] {
        let res = get(path).await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "NOT_FOUND", "{path}");
    }
}

on_both_databases!(
    health_ready_and_not_found,
    graphql_endpoint_rejects_bad_requests_with_json,
    serves_the_browser_app_with_cache_rules,
);
