use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::helpers::{Db, TestApp, spawn_app};
use crate::traffic::{api_key, partner_on, post_lead, setup};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-ws (graphql-transport-ws) client with one subscription.
pub struct Subscription {
    ws: Socket,
}

impl Subscription {
    pub async fn open(app: &TestApp, token: Option<&str>, query: &str) -> Subscription {
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut req = url.into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let init = match token {
            Some(t) => json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {t}") } }),
            None => json!({ "type": "connection_init", "payload": {} }),
        };
        ws.send(Message::text(init.to_string())).await.unwrap();
        let mut sub = Subscription { ws };
        assert_eq!(sub.message().await["type"], "connection_ack");
        let start = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
        sub.ws.send(Message::text(start.to_string())).await.unwrap();
        sub
    }

    async fn message(&mut self) -> Value {
        loop {
            let next = tokio::time::timeout(std::time::Duration::from_secs(20), self.ws.next())
                .await
                .expect("no message from the server within 20 s")
                .expect("the server closed the socket")
                .unwrap();
            if let Message::Text(t) = next {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "ping" && v["type"] != "pong" {
                    return v;
                }
            }
        }
    }

    /// The next result (`data`) or error of the subscription.
    pub async fn next(&mut self) -> Value {
        let m = self.message().await;
        match m["type"].as_str() {
            Some("next") => m["payload"].clone(),
            Some("error") => json!({ "errors": m["payload"] }),
            _ => panic!("unexpected message {m}"),
        }
    }
}

const LIVE: &str = "subscription { statsChanged { at report { totals { submitted approved approvalRate } } } }";

fn totals(msg: &Value) -> Value {
    assert!(msg["errors"].is_null(), "{msg}");
    msg["data"]["statsChanged"]["report"]["totals"].clone()
}

/// Dashboards open on one process move when leads arrive at another (PostgreSQL), or at the same one (SQLite);
/// each subscriber hears only changes to what it may see.
async fn dashboards_move_live_across_processes(db: Db) {
    let app = spawn_app(db).await;
    let other = match db {
        Db::Postgres => Some(app.another_process().await),
        Db::Sqlite => None,
    };
    let ingest = other.as_ref().unwrap_or(&app);
    let s = setup(&app, json!([])).await;
    let (second, _) = partner_on(&app, &s.owner, &s.campaign, "sam@partner.test", json!([])).await;
    let second_key = api_key(&app, &second).await;

    let mut pat = Subscription::open(&app, Some(&s.partner.access_token), LIVE).await;
    let mut sam = Subscription::open(&app, Some(&second.access_token), LIVE).await;
    let mut owner = Subscription::open(&app, Some(&s.owner.access_token), LIVE).await;
    for sub in [&mut pat, &mut sam, &mut owner] {
        assert_eq!(totals(&sub.next().await), json!([]), "the first message comes at once, with the figures");
    }

    let lead = json!({ "campaignId": s.campaign, "type": "form", "fields": { "name": "Ann" } });
    let (status, body) = post_lead(ingest, &s.key, &lead, None).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(totals(&pat.next().await)[0]["submitted"], 1);
    assert_eq!(totals(&owner.next().await)[0]["submitted"], 1);

    // Sam's next message is about Sam's own lead: Pat's did not wake Sam's dashboard.
    assert_eq!(post_lead(ingest, &second_key, &lead, None).await.0, 201);
    assert_eq!(totals(&sam.next().await)[0]["submitted"], 1);
    assert_eq!(totals(&owner.next().await)[0]["submitted"], 2);

    // The owner approves Pat's lead on the other process: Pat's approval rate moves.
    let id = body["id"].as_str().unwrap();
    let res = ingest
        .gql(
            Some(&s.owner.access_token),
            "mutation($id: ID!) { setLeadStatus(ids: [$id], status: APPROVED) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(res["errors"].is_null(), "{res}");
    let t = totals(&pat.next().await);
    assert_eq!((t[0]["approved"].clone(), t[0]["approvalRate"].clone()), (json!(1), json!(1.0)));
}

/// A subscription needs a valid access token, like every query.
async fn subscriptions_need_a_token(db: Db) {
    let app = spawn_app(db).await;
    for token in [None, Some("not-a-token")] {
        let mut sub = Subscription::open(&app, token, LIVE).await;
        let msg = sub.next().await;
        assert_eq!(msg["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{msg}");
    }
}

on_both_databases!(dashboards_move_live_across_processes, subscriptions_need_a_token);
