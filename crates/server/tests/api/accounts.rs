use chrono::Duration;
use serde_json::json;

use crate::helpers::{Db, PASSWORD, error_code, error_field, session, spawn_app};

const ME: &str = "{ me { id email organization { name } advertisers { name } } }";

async fn sign_up_signs_the_owner_in(db: Db) {
    let app = spawn_app(db).await;
    let res = app
        .gql(
            None,
            "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken expiresAt user { email organization { name } } } }",
            json!({ "i": { "email": "  Ann.Lee@Example.COM ", "password": PASSWORD, "organizationName": " Acme Leads " } }),
        )
        .await;
    let p = &res["data"]["signUp"];
    assert_eq!(p["user"], json!({ "email": "ann.lee@example.com", "organization": { "name": "Acme Leads" } }), "{res}");
    let expires = chrono::DateTime::parse_from_rfc3339(p["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(expires.with_timezone(&chrono::Utc) - app.clock.now(), Duration::minutes(15));

    let token = p["accessToken"].as_str().unwrap();
    let me = app.gql(Some(token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ann.lee@example.com");
    assert_eq!(me["data"]["me"]["organization"]["name"], "Acme Leads");
    assert_eq!(me["data"]["me"]["advertisers"], json!([]), "an owner is no one's partner yet");

    // Secrets are stored only as hashes.
    let hash =
        app.count("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'").await;
    assert_eq!(hash, 1);
    let refresh = p["refreshToken"].as_str().unwrap();
    let raw = app.count(&format!("SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = '{refresh}'")).await;
    assert_eq!(raw, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM refresh_tokens").await, 1);
}

async fn sign_up_validates_and_writes_nothing_on_error(db: Db) {
    let app = spawn_app(db).await;
    let cases = [
        (json!({ "email": "not-an-email", "password": PASSWORD, "organizationName": "Acme" }), "email"),
        (json!({ "email": "a@example.com", "password": "short", "organizationName": "Acme" }), "password"),
        (json!({ "email": "a@example.com", "password": PASSWORD, "organizationName": "   " }), "organizationName"),
        (
            json!({ "email": "a@example.com", "password": PASSWORD, "organizationName": "x".repeat(121) }),
            "organizationName",
        ),
    ];
    for (input, field) in cases {
        let res = app
            .gql(None, "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }", json!({ "i": input }))
            .await;
        assert_eq!(error_code(&res), Some("VALIDATION"), "{res}");
        assert_eq!(error_field(&res), Some(field), "{res}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 0);

    app.sign_up("ann@example.com", "Acme").await;
    let res = app
        .gql(
            None,
            "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
            json!({ "i": { "email": "ANN@example.com", "password": PASSWORD, "organizationName": "Other" } }),
        )
        .await;
    assert_eq!(error_code(&res), Some("CONFLICT"));
    assert_eq!(error_field(&res), Some("email"));
    assert_eq!(app.count("SELECT COUNT(*) FROM organizations").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

async fn wrong_password_and_unknown_email_look_the_same(db: Db) {
    let app = spawn_app(db).await;
    app.sign_up("ann@example.com", "Acme").await;
    let wrong = app.login("ann@example.com", "not the password").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    assert_eq!(error_code(&wrong), Some("INVALID_CREDENTIALS"));
    assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
    assert_eq!(wrong["errors"][0]["extensions"], unknown["errors"][0]["extensions"]);
    let ok = app.login("Ann@Example.com", PASSWORD).await;
    assert_eq!(ok["data"]["login"]["user"]["email"], "ann@example.com", "{ok}");
}

async fn failed_logins_are_limited_per_account_across_processes(db: Db) {
    let a = spawn_app(db).await;
    let b = a.another_process().await;
    a.sign_up("ann@example.com", "Acme").await;
    for i in 0..5 {
        let app = if i % 2 == 0 { &a } else { &b };
        assert_eq!(error_code(&app.login("ann@example.com", "wrong password!").await), Some("INVALID_CREDENTIALS"));
    }
    // Even the right password is refused now, on either process.
    for app in [&a, &b] {
        let res = app.login("ann@example.com", PASSWORD).await;
        assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
        let retry = res["errors"][0]["extensions"]["retryAfterSeconds"].as_i64().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
    }
    a.clock.advance(Duration::minutes(15));
    session(&b.login("ann@example.com", PASSWORD).await, "login");
}

async fn failed_logins_are_limited_per_client_address(db: Db) {
    let app = spawn_app(db).await;
    app.sign_up("ann@example.com", "Acme").await;
    for i in 0..30 {
        let res = app.login(&format!("guess{i}@example.com"), "wrong password!").await;
        assert_eq!(error_code(&res), Some("INVALID_CREDENTIALS"), "attempt {i}: {res}");
    }
    assert_eq!(error_code(&app.login("ann@example.com", PASSWORD).await), Some("RATE_LIMITED"));
    app.clock.advance(Duration::minutes(16));
    session(&app.login("ann@example.com", PASSWORD).await, "login");
}

const REFRESH: &str =
    "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken user { email } } }";

async fn refresh_rotates_and_reuse_revokes_the_family(db: Db) {
    let app = spawn_app(db).await;
    let first = app.sign_up("ann@example.com", "Acme").await;
    let second = session(&app.gql(None, REFRESH, json!({ "t": first.refresh_token })).await, "refreshSession");
    assert_ne!(second.refresh_token, first.refresh_token);
    let me = app.gql(Some(&second.access_token), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ann@example.com");

    // The first token was used: presenting it again means it leaked. It fails, and so does its successor.
    let reuse = app.gql(None, REFRESH, json!({ "t": first.refresh_token })).await;
    assert_eq!(error_code(&reuse), Some("UNAUTHENTICATED"));
    let after = app.gql(None, REFRESH, json!({ "t": second.refresh_token })).await;
    assert_eq!(error_code(&after), Some("UNAUTHENTICATED"));

    // Other logins (other families) are unaffected.
    let other = session(&app.login("ann@example.com", PASSWORD).await, "login");
    session(&app.gql(None, REFRESH, json!({ "t": other.refresh_token })).await, "refreshSession");

    let garbage = app.gql(None, REFRESH, json!({ "t": "pdr_not-a-token" })).await;
    assert_eq!(error_code(&garbage), Some("UNAUTHENTICATED"));
}

async fn refresh_tokens_expire_after_30_days(db: Db) {
    let app = spawn_app(db).await;
    let s = app.sign_up("ann@example.com", "Acme").await;
    app.clock.advance(Duration::days(30));
    assert_eq!(error_code(&app.gql(None, REFRESH, json!({ "t": s.refresh_token })).await), Some("UNAUTHENTICATED"));
}

async fn logout_ends_the_session(db: Db) {
    let app = spawn_app(db).await;
    let s = app.sign_up("ann@example.com", "Acme").await;
    let res =
        app.gql(None, "mutation($t: String!) { logout(refreshToken: $t) }", json!({ "t": s.refresh_token })).await;
    assert_eq!(res["data"]["logout"], true);
    assert_eq!(error_code(&app.gql(None, REFRESH, json!({ "t": s.refresh_token })).await), Some("UNAUTHENTICATED"));
}

async fn access_tokens_expire_and_bad_ones_are_refused(db: Db) {
    let app = spawn_app(db).await;
    let s = app.sign_up("ann@example.com", "Acme").await;
    app.clock.advance(Duration::minutes(14));
    assert!(app.gql(Some(&s.access_token), ME, json!({})).await["data"]["me"].is_object());
    app.clock.advance(Duration::minutes(1));
    let expired = app.gql(Some(&s.access_token), ME, json!({})).await;
    assert_eq!(error_code(&expired), Some("UNAUTHENTICATED"));
    assert!(expired["errors"][0]["message"].as_str().unwrap().contains("expired"));
    // The refresh token still works after the access token expired.
    let fresh = session(&app.gql(None, REFRESH, json!({ "t": s.refresh_token })).await, "refreshSession");

    let mut tampered = fresh.access_token.clone();
    tampered.pop();
    tampered.push('x');
    assert_eq!(error_code(&app.gql(Some(&tampered), ME, json!({})).await), Some("UNAUTHENTICATED"));
    let res = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("authorization", format!("Token {}", fresh.access_token))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(error_code(&res), Some("UNAUTHENTICATED"));
}

/// The browser app asks (`X-Refresh-Cookie: 1`) for its refresh token as an HttpOnly cookie, never in the body.
async fn browser_sessions_keep_the_refresh_token_in_an_http_only_cookie(db: Db) {
    let app = spawn_app(db).await;
    app.sign_up("ann@example.com", "Acme").await;
    let post = |query: &str, variables: serde_json::Value, cookie: Option<String>| {
        let mut req = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("x-refresh-cookie", "1")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(c) = cookie {
            req = req.header("cookie", format!("pd_refresh={c}"));
        }
        req.send()
    };
    let cookie_of = |res: &reqwest::Response| {
        let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        for part in ["HttpOnly", "SameSite=Strict", "Path=/graphql"] {
            assert!(set.contains(part), "{set}");
        }
        set.split(';').next().unwrap().trim_start_matches("pd_refresh=").to_owned()
    };

    let res = post(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken } }",
        json!({ "i": { "email": "ann@example.com", "password": PASSWORD } }),
        None,
    )
    .await
    .unwrap();
    let first = cookie_of(&res);
    assert!(first.starts_with("pdr_"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["data"]["login"]["refreshToken"].is_null(), "{body}");
    assert!(body["data"]["login"]["accessToken"].is_string());

    // After a reload the app has no token in memory: the cookie alone brings the session back, rotated.
    let refresh = "mutation { refreshSession { accessToken user { email } } }";
    let res = post(refresh, json!({}), Some(first.clone())).await.unwrap();
    let second = cookie_of(&res);
    assert_ne!(second, first);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["data"]["refreshSession"]["user"]["email"], "ann@example.com");

    let res = post("mutation { logout }", json!({}), Some(second.clone())).await.unwrap();
    let cleared = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("pd_refresh=;") && cleared.contains("Max-Age=0"), "{cleared}");
    let body: serde_json::Value = post(refresh, json!({}), Some(second)).await.unwrap().json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
    let body: serde_json::Value = post(refresh, json!({}), None).await.unwrap().json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

on_both_databases!(
    browser_sessions_keep_the_refresh_token_in_an_http_only_cookie,
    sign_up_signs_the_owner_in,
    sign_up_validates_and_writes_nothing_on_error,
    wrong_password_and_unknown_email_look_the_same,
    failed_logins_are_limited_per_account_across_processes,
    failed_logins_are_limited_per_client_address,
    refresh_rotates_and_reuse_revokes_the_family,
    refresh_tokens_expire_after_30_days,
    logout_ends_the_session,
    access_tokens_expire_and_bad_ones_are_refused,
);
