//! `partnerdesk-bench receive`: a tracker's postback endpoint for the postback rows of `bench/run.sh`. A minimal
//! HTTP/1.1 server on 127.0.0.1 (keep-alive, answers 200 after `--delay-ms`) that takes each request's `l` query value
//! as the lead id (`{lead_id}`, a UUIDv7 made when the server received the lead) and records how long after that the
//! postback arrived. After `--seconds` it prints JSON: arrivals, p50 / p99 / max of that delay in ms.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub async fn run(port: u16, seconds: u64, delay_ms: u64) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let delays: Arc<Mutex<Vec<f64>>> = Arc::default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                let delays = delays.clone();
                tokio::spawn(async move { let _ = serve(stream, delays, delay_ms).await; });
            }
            () = tokio::time::sleep_until(deadline) => break,
        }
    }
    let mut all = delays.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    all.sort_by(f64::total_cmp);
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied();
    let round = |v: Option<f64>| v.map_or(0.0, |v| (v * 10.0).round() / 10.0);
    println!(
        "{}",
        serde_json::json!({ "received": all.len(), "p50_ms": round(pct(0.5)), "p99_ms": round(pct(0.99)),
                            "max_ms": round(all.last().copied()) })
    );
    Ok(())
}

async fn serve(stream: TcpStream, delays: Arc<Mutex<Vec<f64>>>, delay_ms: u64) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut first = String::new();
        if reader.read_line(&mut first).await? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        let received = Instant::now();
        if let Some(made) = lead_time(&first) {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let ms = now.as_secs_f64() * 1000.0 - made;
            delays.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(ms.max(0.0));
        }
        if delay_ms > 0 {
            tokio::time::sleep_until((received + Duration::from_millis(delay_ms)).into()).await;
        }
        reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await?;
    }
}

/// The milliseconds since the epoch at which the lead of `GET /path?l=<uuid v7> HTTP/1.1` was made.
fn lead_time(request_line: &str) -> Option<f64> {
    let target = request_line.split_whitespace().nth(1)?;
    let query = target.split_once('?')?.1;
    let id = query.split('&').find_map(|kv| kv.strip_prefix("l="))?;
    let (secs, nanos) = uuid::Uuid::parse_str(id).ok()?.get_timestamp()?.to_unix();
    Some(secs as f64 * 1000.0 + f64::from(nanos) / 1e6)
}
