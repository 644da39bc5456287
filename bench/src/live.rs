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

/// `partnerdesk-bench live-scale`: `subscribers` partner dashboards (`statsChanged` over graphql-ws) spread over the
/// server processes `urls`, as many per partner of the `seed`ed database (sessions minted with the servers'
/// `JWT_SECRET`, as sign-in would issue them); then `leads` leads one after another, each for a partner drawn at
/// random and sent to the processes in turn; for each, the time from sending `POST /v1/leads` to each of that
/// partner's dashboards' message. Prints the figures as JSON once every lead was heard or timed out.
pub async fn scale(
    urls: &[String],
    database_url: &str,
    jwt_secret: &str,
    campaign: &str,
    subscribers: usize,
    leads: usize,
) -> anyhow::Result<()> {
    use std::collections::HashMap;
    use std::sync::Arc;
    use tokio::sync::{Semaphore, mpsc};

    let db = partnerdesk_services::db::connect(database_url).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT p.user_id, a.tracking_code FROM marketing_partners p \
             JOIN campaign_assignments a ON a.partner_id = p.id WHERE a.tracking_code LIKE 'bench%'",
        ))
        .await?;
    // Partner i of the seed: its tracking code is `bench<i>` and its API key `key(i)`.
    let mut partners: Vec<(usize, uuid::Uuid)> = rows
        .iter()
        .map(|r| {
            let code: String = r.try_get_by_index(1)?;
            let i = code.trim_start_matches("bench").parse::<usize>().unwrap_or(usize::MAX);
            Ok::<_, anyhow::Error>((i, r.try_get_by_index(0)?))
        })
        .collect::<Result<_, _>>()?;
    partners.sort();
    anyhow::ensure!(!partners.is_empty(), "seed the database first");
    let keys = partnerdesk_services::tokens::TokenKeys::new(jwt_secret.as_bytes());
    let now = chrono::Utc::now();

    // Every socket reports (partner, when) for each message it gets.
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let opening = Arc::new(Semaphore::new(100));
    let mut opened = Vec::with_capacity(subscribers);
    let started = Instant::now();
    for n in 0..subscribers {
        let (i, user) = partners[n % partners.len()];
        let (token, _) = keys.issue_access(user, now)?;
        let url = format!("{}/graphql/ws", urls[n % urls.len()].replacen("http://", "ws://", 1));
        let (tx, opening) = (tx.clone(), opening.clone());
        opened.push(tokio::spawn(async move {
            let permit = opening.acquire_owned().await?;
            let mut req = url.into_client_request()?;
            req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await.context("websocket")?;
            let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
            ws.send(Message::text(init.to_string())).await?;
            let ack = message(&mut ws, Duration::from_secs(30)).await?;
            anyhow::ensure!(ack["type"] == "connection_ack", "expected connection_ack, got {ack}");
            let start = json!({ "id": "1", "type": "subscribe",
                                "payload": { "query": "subscription { statsChanged(as: PARTNER) { at } }" } });
            ws.send(Message::text(start.to_string())).await?;
            next_change(&mut ws, Duration::from_secs(30)).await?;
            drop(permit);
            tokio::spawn(async move {
                let mut ping = tokio::time::interval(Duration::from_secs(20));
                loop {
                    tokio::select! {
                        m = ws.next() => match m {
                            Some(Ok(Message::Text(t))) => {
                                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                                if v["type"] == "next" && tx.send((i, Instant::now())).is_err() {
                                    return;
                                }
                            }
                            Some(Ok(_)) => {}
                            _ => return,
                        },
                        _ = ping.tick() => {
                            if ws.send(Message::text(json!({ "type": "ping" }).to_string())).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
            Ok::<(), anyhow::Error>(())
        }));
    }
    let mut connected = 0;
    let mut failed = 0;
    for o in opened {
        match o.await? {
            Ok(()) => connected += 1,
            Err(_) => failed += 1,
        }
    }
    let connect_s = started.elapsed().as_secs_f64();
    // How many dashboards each partner has open.
    let mut open: HashMap<usize, usize> = HashMap::new();
    for n in 0..connected.min(subscribers) {
        *open.entry(partners[n % partners.len()].0).or_default() += 1;
    }
    println!("{}", json!({ "connected": connected, "failed": failed, "connect_s": (connect_s * 10.0).round() / 10.0 }));

    let http = reqwest::Client::new();
    let body = json!({ "campaignId": campaign, "type": "form", "fields": { "name": "x" } });
    let (mut latencies, mut missed, mut stray) = (Vec::new(), 0_usize, 0_usize);
    for l in 0..leads {
        tokio::time::sleep(Duration::from_millis(rand::rng().random_range(50..=250))).await;
        while rx.try_recv().is_ok() {
            stray += 1;
        }
        let (i, _) = partners[rand::rng().random_range(0..partners.len())];
        let want = open.get(&i).copied().unwrap_or(0);
        let t = Instant::now();
        let res = http
            .post(format!("{}/v1/leads", urls[l % urls.len()]))
            .bearer_auth(crate::key(i))
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(res.status().as_u16() == 201, "POST /v1/leads answered {}", res.status());
        let mut heard = 0;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while heard < want {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((p, at))) if p == i => {
                    heard += 1;
                    latencies.push(at.duration_since(t));
                }
                Ok(Some(_)) => stray += 1,
                _ => break,
            }
        }
        missed += want - heard;
    }
    latencies.sort();
    println!(
        "{}",
        json!({ "subscribers": connected, "leads": leads, "notified": latencies.len(), "missed": missed,
                "stray_messages": stray, "p50_ms": pct(&latencies, 0.50), "p99_ms": pct(&latencies, 0.99),
                "max_ms": pct(&latencies, 1.0) })
    );
    Ok(())
}
