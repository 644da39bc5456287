//! Behind a load balancer: `X-Forwarded-For` and `X-Forwarded-Proto` count only from `TRUSTED_PROXIES`.

use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, TestApp, error_code, session, spawn_app, spawn_app_with};

/// `login` sent with extra headers; returns the body and the `Set-Cookie` header, if any.
async fn login_with(app: &TestApp, headers: &[(&str, &str)], email: &str, password: &str) -> (Value, Option<String>) {
    let mut req = app.client.post(format!("{}/graphql", app.address)).json(&json!({
        "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken user { id email } } }",
        "variables": { "i": { "email": email, "password": password } },
    }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    (res.json().await.unwrap(), cookie)
}

/// 30 failed logins, each claiming another address in `X-Forwarded-For`, from a peer that is no trusted proxy: the
/// header is ignored, the peer itself is counted, and it is locked out.
async fn a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(db: Db) {
    let app = spawn_app(db).await;
    app.sign_up("ann@example.com", "Acme").await;
    for i in 0..30 {
        let forged = format!("203.0.113.{i}");
        let (res, _) =
            login_with(&app, &[("x-forwarded-for", &forged)], &format!("guess{i}@example.com"), "wrong password!")
                .await;
        assert_eq!(error_code(&res), Some("INVALID_CREDENTIALS"), "attempt {i}: {res}");
    }
    let (res, _) = login_with(&app, &[("x-forwarded-for", "198.51.100.200")], "ann@example.com", PASSWORD).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
    let (res, _) = login_with(&app, &[], "ann@example.com", PASSWORD).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "{res}");
}

/// Behind a trusted proxy each forwarded client has its own counter: one is locked out, another still logs in. A
/// client's own `X-Forwarded-For` (left of what the proxy appended) changes nothing.
async fn behind_a_trusted_proxy_clients_are_counted_apart(db: Db) {
    let app = spawn_app_with(db, &[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    app.sign_up("ann@example.com", "Acme").await;
    for i in 0..30 {
        // As nginx sends it: whatever the client claimed, then the address nginx saw.
        let hops = format!("203.0.113.{i}, 198.51.100.1");
        let (res, _) =
            login_with(&app, &[("x-forwarded-for", &hops)], &format!("guess{i}@example.com"), "wrong password!").await;
        assert_eq!(error_code(&res), Some("INVALID_CREDENTIALS"), "attempt {i}: {res}");
    }
    let (res, _) = login_with(&app, &[("x-forwarded-for", "198.51.100.1")], "ann@example.com", PASSWORD).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "the failing client is locked out: {res}");
    let (res, _) =
        login_with(&app, &[("x-forwarded-for", "198.51.100.2, 198.51.100.1")], "ann@example.com", PASSWORD).await;
    assert_eq!(error_code(&res), Some("RATE_LIMITED"), "a forged left-hand address does not help: {res}");
    let (res, _) = login_with(&app, &[("x-forwarded-for", "198.51.100.2")], "ann@example.com", PASSWORD).await;
    session(&res, "login");
    // The proxy itself (no header) is another client again.
    let (res, _) = login_with(&app, &[], "ann@example.com", PASSWORD).await;
    session(&res, "login");
}

/// The browser's refresh cookie is `Secure` when a trusted proxy says the request came over https, and only then.
async fn x_forwarded_proto_https_from_a_trusted_proxy_makes_the_cookie_secure(db: Db) {
    let browser = [("x-refresh-cookie", "1"), ("x-forwarded-proto", "https")];
    let trusted = spawn_app_with(db, &[("TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    trusted.sign_up("ann@example.com", "Acme").await;
    let (res, cookie) = login_with(&trusted, &browser, "ann@example.com", PASSWORD).await;
    assert!(res["data"]["login"].is_object(), "{res}");
    let cookie = cookie.unwrap_or_default();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    let (_, cookie) = login_with(&trusted, &browser[..1], "ann@example.com", PASSWORD).await;
    assert!(!cookie.unwrap_or_default().contains("Secure"), "plain http through the proxy");

    let untrusted = spawn_app_with(db, &[("TRUSTED_PROXIES", "10.0.0.0/8")]).await;
    untrusted.sign_up("ann@example.com", "Acme").await;
    let (res, cookie) = login_with(&untrusted, &browser, "ann@example.com", PASSWORD).await;
    assert!(res["data"]["login"].is_object(), "{res}");
    let cookie = cookie.unwrap_or_default();
    assert!(cookie.contains("HttpOnly") && !cookie.contains("Secure"), "{cookie}");
}

on_both_databases!(
    a_forged_forwarded_for_from_an_untrusted_peer_is_ignored,
    behind_a_trusted_proxy_clients_are_counted_apart,
    x_forwarded_proto_https_from_a_trusted_proxy_makes_the_cookie_secure,
);
