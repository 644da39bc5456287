//! `partnerdesk-bench live`: a partner's dashboard subscription (`statsChanged` over graphql-ws) on one server
//! process; leads posted one at a time to another; the time from sending each `POST /v1/leads` to the
//! subscription's message, with a random pause of 0 to `--max-pause-ms` between leads.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::{SinkExt as _, StreamExt as _};
use rand::RngExt as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::measure::{Client, pct};
use crate::seed_events::partner_email;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next graphql-ws message other than ping / pong (a ping is answered).
async fn message(ws: &mut Socket, within: Duration) -> anyhow::Result<Value> {
    loop {
        let next = tokio::time::timeout(within, ws.next())
            .await
            .context("no message from the server in time")?
            .context("the server closed the socket")??;
        if let Message::Text(t) = next {
            let v: Value = serde_json::from_str(&t)?;
            match v["type"].as_str() {
                Some("ping") => ws.send(Message::text(json!({ "type": "pong" }).to_string())).await?,
                Some("pong") => {}
                _ => return Ok(v),
            }
        }
    }
}

/// A subscription result; anything else (an error, a completion) is an error here.
async fn next_change(ws: &mut Socket, within: Duration) -> anyhow::Result<Value> {
    let m = message(ws, within).await?;
    anyhow::ensure!(m["type"] == "next" && m["payload"]["errors"].is_null(), "unexpected message {m}");
    Ok(m)
}

pub async fn run(
    ingest_url: &str,
    subscribe_url: &str,
    database_url: &str,
    leads: usize,
    max_pause_ms: u64,
) -> anyhow::Result<()> {
    let email = partner_email(0);
    let client = Client::new(subscribe_url)?;
    let token = client.login(&email).await?;
    let created = client
        .gql(
            Some(&token),
            "mutation($name: String!) { createApiKey(name: $name) { key } }",
            json!({ "name": "bench live" }),
        )
        .await?;
    let key = created["createApiKey"]["key"].as_str().context("createApiKey answered no key")?.to_owned();
    let db = partnerdesk_services::db::connect(database_url).await?;
    let campaign: uuid::Uuid = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a.campaign_id FROM campaign_assignments a JOIN marketing_partners p ON p.id = a.partner_id \
             WHERE p.email = $1 ORDER BY a.campaign_id LIMIT 1",
            [email.clone().into()],
        ))
        .await?
        .context("the partner has no campaign")?
        .try_get_by_index(0)?;

    let mut req = format!("{}/graphql/ws", subscribe_url.replacen("http://", "ws://", 1)).into_client_request()?;
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.context("websocket")?;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    ws.send(Message::text(init.to_string())).await?;
    let ack = message(&mut ws, Duration::from_secs(10)).await?;
    anyhow::ensure!(ack["type"] == "connection_ack", "expected connection_ack, got {ack}");
    let start =
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { statsChanged { at } }" } });
    ws.send(Message::text(start.to_string())).await?;
    next_change(&mut ws, Duration::from_secs(10)).await.context("the first message, sent at once")?;

    let http = reqwest::Client::new();
    let url = format!("{ingest_url}/v1/leads");
    let body = json!({ "campaignId": campaign.to_string(), "type": "form", "fields": { "name": "x" } });
    let mut latencies = Vec::with_capacity(leads);
    let mut stray = 0_usize;
    let mut pinged = Instant::now();
    for _ in 0..leads {
        let pause = rand::rng().random_range(0..=max_pause_ms);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        // The server closes a graphql-ws connection that sends nothing for 60 s: ping as the browser's client does.
        if pinged.elapsed() > Duration::from_secs(20) {
            ws.send(Message::text(json!({ "type": "ping" }).to_string())).await?;
            pinged = Instant::now();
        }
        // A message that arrives unasked would be taken for the next lead's: drop it first.
        while let Ok(m) = tokio::time::timeout(Duration::ZERO, ws.next()).await {
            match m {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t)?;
                    anyhow::ensure!(matches!(v["type"].as_str(), Some("next" | "pong")), "unexpected message {v}");
                    stray += usize::from(v["type"] == "next");
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => anyhow::bail!("the server closed the socket"),
            }
        }
        let t = Instant::now();
        let post = async {
            let res = http.post(&url).bearer_auth(&key).json(&body).send().await?;
            let status = res.status();
            anyhow::ensure!(status.as_u16() == 201, "POST /v1/leads answered {status}: {}", res.text().await?);
            Ok(())
        };
        // The message can come before the POST's answer: wait for both at once, time the message.
        let heard = async {
            next_change(&mut ws, Duration::from_secs(10)).await?;
            Ok::<Duration, anyhow::Error>(t.elapsed())
        };
        let (posted, heard) = tokio::join!(post, heard);
        posted?;
        latencies.push(heard?);
    }
    latencies.sort();
    let mean = latencies.iter().map(Duration::as_secs_f64).sum::<f64>() / latencies.len().max(1) as f64 * 1000.0;
    println!(
        "{}",
        json!({ "leads": latencies.len(), "p50_ms": pct(&latencies, 0.50), "p99_ms": pct(&latencies, 0.99),
                "max_ms": pct(&latencies, 1.0), "mean_ms": (mean * 10.0).round() / 10.0, "stray_messages": stray })
    );
    Ok(())
}
