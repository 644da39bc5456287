//! GraphQL for real clients and hostile ones: introspection as tools send it is answered, ordinary selections stay
//! bounded, hostile documents are refused quickly with a code while the server keeps answering, and every error a
//! bad document gets carries `extensions.code`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Db, spawn_app};

/// `{ a { b { ... { leaf } } } }`.
fn chain(names: &[&str]) -> String {
    format!("{{ {}{} }}", names.join(" { "), " }".repeat(names.len() - 1))
}

fn codes(res: &Value) -> Vec<&str> {
    res["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>")).collect())
        .unwrap_or_default()
}

async fn introspection_is_answered_and_ordinary_depth_still_limited(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@example.com", "Acme").await;

    // graphql-js 16's TypeRef fragment nests `ofType` nine times under __schema > types > fields > args > type: 15
    // fields deep, three more than ordinary selections may go. Here 17 deep, answered in full.
    let mut names = vec!["__type(name: \"Campaign\")", "fields", "type"];
    names.extend(["ofType"; 13]);
    names.push("name");
    let res = app.gql(None, &chain(&names), json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(res["data"]["__type"]["fields"][0]["type"]["ofType"]["ofType"], Value::Null, "{res}");

    // Introspection has its own limit: 21 fields deep is refused, saying which limit and by how much.
    let mut names = vec!["__schema", "types"];
    names.extend(["ofType"; 18]);
    names.push("name");
    let res = app.gql(None, &chain(&names), json!({})).await;
    assert_eq!(codes(&res), ["QUERY_TOO_DEEP"], "{res}");
    let ext = &res["errors"][0]["extensions"];
    assert_eq!((&ext["limit"], &ext["max"], &ext["actual"]), (&json!("introspectionDepth"), &json!(20), &json!(21)));
    assert!(res["data"].is_null());

    // Ordinary selections: 12 deep passes validation, 13 is refused, even next to __schema or inside a fragment.
    let ok = chain(&["campaigns(first: 1)", "nodes", "__typename"]);
    let res = app.gql(Some(&owner.access_token), &ok, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    let too_deep = format!(
        "{{ __schema {{ queryType {{ name }} }} ...F }} fragment F on QueryRoot {}",
        chain(&[["me"; 1].as_slice(), &["organization"; 11], &["id"]].concat())
    );
    let res = app.gql(Some(&owner.access_token), &too_deep, json!({})).await;
    assert_eq!(codes(&res), ["QUERY_TOO_DEEP"], "{res}");
    let ext = &res["errors"][0]["extensions"];
    assert_eq!((&ext["limit"], &ext["max"], &ext["actual"]), (&json!("depth"), &json!(12), &json!(13)));
    assert!(res["errors"][0]["message"].as_str().unwrap().contains("1 over the limit of 12"), "{res}");
}

/// 30 fragments, each spreading the next one twice: 2^30 fields once expanded, from 1.5 KB of text.
fn fragment_bomb(levels: usize) -> String {
    let mut doc = String::from("query Bomb { ...F0 }\n");
    for i in 0..levels {
        doc.push_str(&format!("fragment F{i} on QueryRoot {{ ...F{n} ...F{n} }}\n", n = i + 1));
    }
    doc.push_str(&format!("fragment F{levels} on QueryRoot {{ __typename }}\n"));
    doc
}

async fn hostile_documents_are_refused_fast_while_others_are_answered(db: Db) {
    let app = spawn_app(db).await;
    let aliases = |n: usize| (0..n).map(|i| format!("a{i}:__typename ")).collect::<String>();
    let nesting = format!("{{ {}__typename{} }}", "me { ".repeat(200), " }".repeat(200));
    let directives = |n: usize| format!("{{ __typename {} }}", "@include(if: true) ".repeat(n));
    let huge = format!("{{ __typename }} # {}", "x".repeat(100_000));
    let mut chain_of_fragments = String::from("{ ...F0 }\n");
    for i in 0..40 {
        chain_of_fragments.push_str(&format!("fragment F{i} on QueryRoot {{ ...F{} }}\n", i + 1));
    }
    chain_of_fragments.push_str("fragment F40 on QueryRoot { __typename }\n");
    let cases: [(&str, String, &str, &str); 9] = [
        ("exponential fragment spreads", fragment_bomb(30), "QUERY_TOO_COMPLEX", "fields"),
        ("40 fragment levels", fragment_bomb(40), "QUERY_TOO_COMPLEX", "fields"),
        ("10,000 aliases", format!("{{ {} }}", aliases(10_000)), "QUERY_TOO_LARGE", "bytes"),
        ("1,000 aliases", format!("{{ {} }}", aliases(1_000)), "QUERY_TOO_COMPLEX", "aliases"),
        ("200-level nesting", nesting, "QUERY_TOO_DEEP", "nesting"),
        ("1,000 directives", directives(1_000), "QUERY_TOO_LARGE", "tokens"),
        ("150 directives", directives(150), "QUERY_TOO_COMPLEX", "directives"),
        ("100 KB document", huge, "QUERY_TOO_LARGE", "bytes"),
        ("a chain of 40 fragments", chain_of_fragments, "QUERY_TOO_DEEP", "recursion"),
    ];
    for (what, doc, code, limit) in cases {
        // Each is sent while an ordinary request is in flight: both are answered.
        let started = Instant::now();
        let (res, ok) = tokio::join!(
            async {
                let res = app.gql(None, &doc, json!({})).await;
                (res, started.elapsed())
            },
            app.gql(None, "{ __typename }", json!({}))
        );
        let (res, took) = res;
        assert_eq!(ok["data"]["__typename"], "QueryRoot", "{what}: {ok}");
        assert_eq!(codes(&res), [code], "{what}: {res}");
        assert_eq!(res["errors"][0]["extensions"]["limit"], limit, "{what}: {res}");
        assert!(res["data"].is_null(), "{what}: {res}");
        // The check is linear in the document's size: milliseconds (a generous bound keeps a busy CI green).
        assert!(took < Duration::from_secs(1), "{what} took {took:?}");
        eprintln!("{what}: refused in {took:?}");
    }

    // A 5 MB string variable never reaches GraphQL: the body is over the HTTP limit (1 MiB).
    let started = Instant::now();
    let big = json!({ "query": "query($s: String) { __typename }", "variables": { "s": "x".repeat(5 << 20) } });
    let res = app.client.post(format!("{}/graphql", app.address)).json(&big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "PAYLOAD_TOO_LARGE");
    assert!(started.elapsed() < Duration::from_secs(1), "5 MB variable took {:?}", started.elapsed());

    // A batch of 1,000 operations in one body is refused as a whole, with a code.
    let batch: Vec<Value> = (0..1_000).map(|_| json!({ "query": "{ __typename }" })).collect();
    let res = app.client.post(format!("{}/graphql", app.address)).json(&batch).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "BAD_REQUEST");

    // A moderately expanding document within the limits is still answered, expanded.
    let res = app.gql(None, &fragment_bomb(10), json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(res["data"]["__typename"], "QueryRoot");
}

async fn every_error_of_a_bad_document_has_a_code(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@example.com", "Acme").await;
    let token = Some(owner.access_token.as_str());
    let cases: [(&str, &str, Value, &str); 9] = [
        ("syntax error", "{ campaigns(first: 1) { nodes { id }", json!({}), "GRAPHQL_PARSE_FAILED"),
        ("unknown field", "{ campaigns(first: 1) { nodes { nope } } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        ("unknown argument", "{ campaigns(firstest: 1) { totalCount } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        ("missing variable", "query($n: Int!) { campaigns(first: $n) { totalCount } }", json!({}), "VALIDATION"),
        ("undeclared variable", "{ campaigns(first: $n) { totalCount } }", json!({}), "GRAPHQL_VALIDATION_FAILED"),
        (
            "unknown operation name",
            "query A { __typename } query B { __typename }",
            json!({}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ("literal of the wrong type", "{ campaigns(first: \"ten\") { totalCount } }", json!({}), "VALIDATION"),
        (
            "variable of the wrong type",
            "query($n: Int) { campaigns(first: $n) { totalCount } }",
            json!({ "n": "ten" }),
            "VALIDATION",
        ),
        (
            "decimal that does not parse",
            "mutation($p: Decimal) { setPartnerPayouts(campaignId: \"x\", partnerId: \"y\", clickPayout: $p) { clickPayoutOverride } }",
            json!({ "p": "a lot" }),
            "VALIDATION",
        ),
    ];
    for (what, doc, vars, code) in cases {
        let res = app.gql(token, doc, vars).await;
        let got = codes(&res);
        assert!(!got.is_empty(), "{what}: no error: {res}");
        assert!(got.iter().all(|c| *c == code), "{what}: expected {code}: {res}");
    }

    // A variable left out is an absent argument: an optional filter or scope takes its default.
    let res = app.gql(token, "query($f: LeadFilterInput) { leads(filter: $f) { totalCount } }", json!({})).await;
    assert_eq!(res["data"]["leads"]["totalCount"], 0, "{res}");
    let res = app
        .gql(
            token,
            "mutation($s: ApiKeyScope) { createApiKey(name: \"BI\", scope: $s) { apiKey { scope } } }",
            json!({}),
        )
        .await;
    assert_eq!(res["data"]["createApiKey"]["apiKey"]["scope"], "LEADS", "{res}");
    // Left out where the input needs a value, it is the caller's VALIDATION, never INTERNAL.
    let doc = "mutation($c: [CapInput!]) { addMarketingPartner(input: { campaignId: \"x\", email: \"a@b.co\", caps: $c }) { assignment { id } } }";
    let res = app.gql(token, doc, json!({})).await;
    assert_eq!(codes(&res), ["VALIDATION"], "{res}");

    // A bad argument names its path.
    let res = app.gql(token, "{ campaigns(first: \"ten\") { totalCount } }", json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "first", "{res}");
    let res = app.gql(token, "query($n: Int!) { campaigns(first: $n) { totalCount } }", json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "first", "{res}");
    let payouts = "mutation($p: Decimal) { setPartnerPayouts(campaignId: \"x\", partnerId: \"y\", clickPayout: $p) { clickPayoutOverride } }";
    let res = app.gql(token, payouts, json!({ "p": "a lot" })).await;
    assert_eq!(res["errors"][0]["extensions"]["field"], "clickPayout", "{res}");
    let res = app
        .gql(token, "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }", json!({ "i": { "email": 5 } }))
        .await;
    assert_eq!(codes(&res), ["VALIDATION"], "{res}");
    assert!(res["errors"][0]["extensions"]["field"].as_str().unwrap().starts_with("input"), "{res}");
}

async fn the_cost_of_a_document_is_returned(db: Db) {
    let app = spawn_app(db).await;
    let owner = app.sign_up("owner@example.com", "Acme").await;
    let token = Some(owner.access_token.as_str());
    // campaigns, totalCount, nodes, id, name: 5 fields.
    let res = app.gql(token, "{ campaigns(first: 5) { totalCount nodes { id name } } }", json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(res["extensions"]["cost"], json!({ "requested": 5, "limit": 2000 }), "{res}");
    // A fragment counts once per spread: __typename + 3 x (me, id, email) = 10.
    let doc = "{ __typename a: me { ...U } b: me { ...U } c: me { ...U } } fragment U on User { id email }";
    let res = app.gql(token, doc, json!({})).await;
    assert!(res["errors"].is_null(), "{res}");
    assert_eq!(res["extensions"]["cost"]["requested"], 10, "{res}");
    // A refused document says what it would have cost.
    let res = app.gql(token, &fragment_bomb(12), json!({})).await;
    assert_eq!(res["errors"][0]["extensions"]["actual"], 1 << 12, "{res}");
}

on_both_databases!(
    introspection_is_answered_and_ordinary_depth_still_limited,
    hostile_documents_are_refused_fast_while_others_are_answered,
    every_error_of_a_bad_document_has_a_code,
    the_cost_of_a_document_is_returned,
);
