//! Backups (docs/operations.md): a `pg_dump` of a running app, restored with `pg_restore` into a fresh database,
//! serves the same figures, sessions, keys and caps.

use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, fresh_postgres_database, spawn_app, spawn_app_on};
use crate::traffic::{Setup, post_lead, setup};

/// What the owner and the partner see: report totals, leads and cap usage.
async fn views(app: &TestApp, s: &Setup) -> (Value, Value) {
    let owner = app
        .gql(
            Some(&s.owner.access_token),
            "{ report(groupBy: [PARTNER]) { totals { currency clicks submitted approved rejected earnings } \
               nodes { partner { email } submitted earnings } } \
               leads { totalCount nodes { id status reason payout } } }",
            json!({}),
        )
        .await;
    let partner = app
        .gql(
            Some(&s.partner.access_token),
            "{ myPartnerAccount { campaigns { name capUsage { metric window limit used remaining } } } \
               myLeads { totalCount nodes { id status } } }",
            json!({}),
        )
        .await;
    assert!(owner["errors"].is_null() && partner["errors"].is_null(), "{owner} {partner}");
    (owner["data"].clone(), partner["data"].clone())
}

fn run(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required for this test (Debian's postgresql-client): {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_restored_into_a_fresh_database_serves_the_same_figures() {
    let app = spawn_app(Db::Postgres).await;
    let s = setup(&app, json!([{ "metric": "FORM", "window": "DAILY", "limit": 5 }])).await;
    let mut ids = Vec::new();
    for sub in ["a", "b", "c"] {
        let body = json!({ "campaignId": s.campaign, "type": "form", "subIds": { "sub1": sub } });
        let (status, res) = post_lead(&app, &s.key, &body, None).await;
        assert_eq!(status, 201, "{res}");
        ids.push(res["id"].as_str().unwrap_or_default().to_owned());
    }
    for (id, status, reason) in [(&ids[0], "APPROVED", None), (&ids[1], "REJECTED", Some("Outside the area"))] {
        let res = app
            .gql(
                Some(&s.owner.access_token),
                "mutation($id: ID!, $s: LeadStatus!, $r: String) { setLeadStatus(ids: [$id], status: $s, reason: $r) { id } }",
                json!({ "id": id, "s": status, "r": reason }),
            )
            .await;
        assert!(res["errors"].is_null(), "{res}");
    }
    let before = views(&app, &s).await;
    assert_eq!(before.0["report"]["totals"][0]["submitted"], 3, "{}", before.0);
    assert_eq!(before.1["myPartnerAccount"]["campaigns"][0]["capUsage"][0]["used"], 3, "{}", before.1);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partnerdesk.dump");
    let file = file.to_str().unwrap_or_default();
    run("pg_dump", &["--format=custom", "--no-owner", "--file", file, &app.database_url]);
    let restored = fresh_postgres_database().await;
    run("pg_restore", &["--no-owner", "--exit-on-error", "--dbname", &restored, file]);

    // A server on the restored database (same JWT_SECRET): the same figures for the same sessions.
    let copy = spawn_app_on(&restored).await;
    assert_eq!(views(&copy, &s).await, before);
    // Refresh tokens, API keys and cap counters carry on where they were.
    let refreshed = copy
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": s.owner.refresh_token }),
        )
        .await;
    assert!(refreshed["data"]["refreshSession"]["accessToken"].is_string(), "{refreshed}");
    for expected in [201, 201, 429] {
        let (status, res) = post_lead(&copy, &s.key, &json!({ "campaignId": s.campaign, "type": "form" }), None).await;
        assert_eq!(status, expected, "the daily cap of 5 goes on counting from 3: {res}");
    }
    // The original is untouched by what the copy took.
    assert_eq!(views(&app, &s).await, before);
}
