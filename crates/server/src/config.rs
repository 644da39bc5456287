//! Configuration from the environment, validated at start-up. A bad value is one line naming the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

/// A configuration problem, already phrased for the operator: `VARIABLE: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn bad(var: &str, msg: impl std::fmt::Display) -> ConfigError {
    ConfigError(format!("{var}: {msg}"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen_addr: SocketAddr,
    /// Where `GET /metrics` (Prometheus) is served, on a listener of its own; `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// The built browser app, served at every path that is not an API route.
    pub frontend_dir: PathBuf,
    /// Where users reach the app; links in emails start with it. `None`: the address the server listens on.
    pub public_url: Option<url::Url>,
    pub jwt_secret: SecretString,
    pub log_format: LogFormat,
    pub log_filter: String,
    /// HTTP worker threads (default: one per CPU).
    pub workers: usize,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// `smtp://user:pass@host:port` (add `?tls=required` for STARTTLS) or `smtps://...`; without it, emails are
    /// written as `.eml` files to `DATA_DIR/outbox`.
    pub smtp_url: Option<SecretString>,
    pub mail_from: String,
    /// How often the mail relay looks for due emails.
    pub outbox_poll: std::time::Duration,
    /// First retry delay of a failed email; each further failure doubles it.
    pub mail_retry_base: chrono::Duration,
    /// Proxies (load balancers) whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed; nobody by default.
    pub trusted_proxies: TrustedProxies,
    /// Raw clicks older than this many days are deleted by the hourly housekeeping (their figures stay).
    pub click_retention_days: i64,
    /// Requests per minute allowed to one API key or reporting token, across all processes; `None`: unlimited.
    pub key_rate_limit: Option<u32>,
    /// Requests that come as the browser app (anonymous, or with a session's access token) may only run the app's
    /// persisted documents (`documentId`); reporting tokens still send any document.
    pub persisted_only_for_app: bool,
    /// Postbacks may reach loopback and private addresses (tests, self-hosted trackers).
    pub postback_allow_private: bool,
    /// First retry delay of a failed postback; each further failure doubles it, up to an hour.
    pub postback_retry_base: chrono::Duration,
    /// Postback requests in flight to one host, per process.
    pub postback_host_concurrency: usize,
}

/// Requests per minute per API key or reporting token when `KEY_RATE_LIMIT` is not set: 100 a second, more than a
/// partner's lead traffic or a reporting client normally needs, and a bound on what one leaked key can do.
pub const DEFAULT_KEY_RATE_LIMIT: u32 = 6_000;

pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

impl Config {
    /// Reads the process environment. Creates `DATA_DIR` when the database or the generated secret live in it.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let listen_addr = var("LISTEN_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse::<SocketAddr>()
            .map_err(|_| bad("LISTEN_ADDR", "expected an IP address and port such as 127.0.0.1:8080 or 0.0.0.0:80"))?;
        let metrics_addr = match var("METRICS_ADDR").as_deref().map(str::trim) {
            None | Some("off") => None,
            Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
                bad("METRICS_ADDR", "expected an IP address and port such as 127.0.0.1:9100, or off (no metrics)")
            })?),
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match var("DATABASE_URL") {
            Some(url) => validate_database_url(&url)?,
            None => {
                ensure_dir(&data_dir)?;
                format!("sqlite:{}", data_dir.join("partnerdesk.db").display())
            }
        };
        let frontend_dir = PathBuf::from(var("FRONTEND_DIR").unwrap_or_else(|| "./frontend/dist".into()));
        let public_url = var("PUBLIC_URL")
            .map(|u| {
                url::Url::parse(u.trim_end_matches('/'))
                    .ok()
                    .filter(|p| matches!(p.scheme(), "http" | "https") && p.host_str().is_some())
                    .ok_or_else(|| {
                        bad("PUBLIC_URL", "expected an absolute http(s) URL such as https://partners.example.com")
                    })
            })
            .transpose()?;
        let jwt_secret = match var("JWT_SECRET") {
            Some(s) if s.len() >= 32 => SecretString::from(s),
            Some(_) => return Err(bad("JWT_SECRET", "must be at least 32 characters long")),
            None => load_or_create_secret(&data_dir)?,
        };
        let log_format = match var("LOG_FORMAT").as_deref().unwrap_or("pretty") {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => return Err(bad("LOG_FORMAT", format!("expected pretty or json, got {other:?}"))),
        };
        let log_filter = var("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.into());
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| bad("RUST_LOG", e))?;
        let workers = match var("WORKERS") {
            Some(w) => w
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| bad("WORKERS", "expected a number from 1 to 256"))?,
            None => std::thread::available_parallelism().map_or(2, usize::from),
        };
        let smtp_url = var("SMTP_URL")
            .map(|u| {
                let scheme = u.split_once("://").map(|(s, _)| s).unwrap_or_default();
                if matches!(scheme, "smtp" | "smtps") {
                    Ok(SecretString::from(u))
                } else {
                    Err(bad("SMTP_URL", "expected smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]"))
                }
            })
            .transpose()?;
        let mail_from = var("MAIL_FROM").unwrap_or_else(|| "Partnerdesk <no-reply@partnerdesk.localhost>".into());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad("MAIL_FROM", "expected an address such as \"Partnerdesk <no-reply@example.com>\""));
        }
        let millis = |name: &str, default: u64| -> Result<u64, ConfigError> {
            var(name).map_or(Ok(default), |v| {
                v.parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(name, "expected a positive number of milliseconds"))
            })
        };
        let outbox_poll = std::time::Duration::from_millis(millis("OUTBOX_POLL_MS", 1000)?);
        let retry_ms = i64::try_from(millis("MAIL_RETRY_BASE_MS", 30_000)?).unwrap_or(30_000);
        let click_retention_days = match var("CLICK_RETENTION_DAYS") {
            None => partnerdesk_services::retention::DEFAULT_CLICK_RETENTION_DAYS,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=36_600).contains(d))
                .ok_or_else(|| bad("CLICK_RETENTION_DAYS", "expected a number of days from 1 to 36600"))?,
        };
        let key_rate_limit = match var("KEY_RATE_LIMIT").as_deref().map(str::trim) {
            None => Some(DEFAULT_KEY_RATE_LIMIT),
            Some("off") => None,
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                bad("KEY_RATE_LIMIT", "expected a number of requests per minute (at least 1), or off")
            })?),
        };
        let persisted_only_for_app = match var("PERSISTED_ONLY_FOR_APP").as_deref().map(str::trim) {
            None | Some("0" | "false" | "off") => false,
            Some("1" | "true" | "on") => true,
            Some(_) => return Err(bad("PERSISTED_ONLY_FOR_APP", "expected 1 or 0 (true/false, on/off)")),
        };
        let postback_allow_private = match var("POSTBACK_ALLOW_PRIVATE").as_deref().map(str::trim) {
            None | Some("0" | "false" | "off") => false,
            Some("1" | "true" | "on") => true,
            Some(_) => return Err(bad("POSTBACK_ALLOW_PRIVATE", "expected 1 or 0 (true/false, on/off)")),
        };
        let postback_retry_ms = i64::try_from(millis("POSTBACK_RETRY_BASE_MS", 30_000)?).unwrap_or(30_000);
        let postback_host_concurrency = match var("POSTBACK_HOST_CONCURRENCY") {
            None => 4,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=32).contains(n))
                .ok_or_else(|| bad("POSTBACK_HOST_CONCURRENCY", "expected a number from 1 to 32"))?,
        };
        let trusted_proxies = var("TRUSTED_PROXIES")
            .map(|v| TrustedProxies::parse(&v).map_err(|e| bad("TRUSTED_PROXIES", e)))
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            persisted_only_for_app,
            postback_allow_private,
            postback_retry_base: chrono::Duration::milliseconds(postback_retry_ms),
            postback_host_concurrency,
            key_rate_limit,
            trusted_proxies,
            click_retention_days,
            smtp_url,
            mail_from,
            outbox_poll,
            mail_retry_base: chrono::Duration::milliseconds(retry_ms),
            listen_addr,
            metrics_addr,
            database_url,
            data_dir,
            frontend_dir,
            public_url,
            jwt_secret,
            log_format,
            log_filter,
            workers,
            body_limit: 1024 * 1024,
        })
    }

    pub fn jwt_secret_bytes(&self) -> &[u8] {
        self.jwt_secret.expose_secret().as_bytes()
    }
}

/// A list of networks (`10.0.0.0/8, 127.0.0.1/32, fd00::/8`; a bare address is one host) of trusted proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, prefix) = item.split_once('/').unwrap_or((item, ""));
            let wrong = || {
                format!("{item:?} is not a network; expected a comma-separated list such as 10.0.0.0/8,127.0.0.1/32")
            };
            let addr = addr.trim().parse::<IpAddr>().map_err(|_| wrong())?.to_canonical();
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix.trim() {
                "" => max,
                p => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(wrong)?,
            };
            nets.push((addr, prefix));
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(*n).into(), *prefix, 32) == masked(u32::from(a).into(), *prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(*n), *prefix, 128) == masked(u128::from(a), *prefix, 128)
            }
            _ => false,
        })
    }

    /// The client's address: the TCP peer, unless the peer is a trusted proxy; then the right-most address of
    /// `X-Forwarded-For` (every value, in order) that is not itself a trusted proxy. Each proxy appends the address
    /// it received the request from, so whatever a client writes there itself stays to the left and is never taken.
    /// If every hop is trusted, the left-most; if a hop is not an address, the last good one before it.
    pub fn client_address<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
        for hop in hops.into_iter().rev() {
            let hop = hop.trim();
            let Some(ip) = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip())) else {
                break;
            };
            client = ip.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

fn masked(bits: u128, prefix: u8, width: u32) -> u128 {
    let host_bits = width - u32::from(prefix);
    if host_bits >= 128 { 0 } else { (bits >> host_bits) << host_bits }
}

fn validate_database_url(url: &str) -> Result<String, ConfigError> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "sqlite" => Ok(url.to_owned()),
        "postgres" | "postgresql" => url::Url::parse(url)
            .ok()
            .filter(|u| u.host_str().is_some())
            .map(|_| url.to_owned())
            .ok_or_else(|| bad("DATABASE_URL", "expected postgres://user@host:port/database")),
        _ => {
            Err(bad("DATABASE_URL", "expected a sqlite: path (e.g. sqlite:./data/partnerdesk.db) or a postgres:// URL"))
        }
    }
}

fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    std::fs::create_dir_all(dir).map_err(|e| bad("DATA_DIR", format!("cannot create {}: {e}", dir.display())))
}

/// The JWT secret kept in `DATA_DIR/jwt_secret` (mode 0600), generated on first run.
fn load_or_create_secret(data_dir: &Path) -> Result<SecretString, ConfigError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;

    let path = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let s = existing.trim().to_owned();
        if s.len() >= 32 {
            return Ok(SecretString::from(s));
        }
        return Err(bad(
            "JWT_SECRET",
            format!("{} holds fewer than 32 characters; delete it to generate a new one", path.display()),
        ));
    }
    ensure_dir(data_dir)?;
    let bytes: [u8; 32] = rand::random();
    let secret = hex::encode(bytes);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| bad("JWT_SECRET", format!("cannot write {}: {e}", path.display())))?;
    f.write_all(secret.as_bytes()).map_err(|e| bad("JWT_SECRET", format!("cannot write {}: {e}", path.display())))?;
    Ok(SecretString::from(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const SECRET: (&str, &str) = ("JWT_SECRET", "0123456789abcdef0123456789abcdef");
    const PG: (&str, &str) = ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test");

    #[test]
    fn bad_values_name_their_variable() {
        let err = |vars: &[(&str, &str)]| config(vars).err().map(|e| e.0).unwrap_or_default();
        assert!(err(&[SECRET, ("DATABASE_URL", "nonsense")]).starts_with("DATABASE_URL: "));
        assert!(err(&[SECRET, ("DATABASE_URL", "mysql://x/y")]).starts_with("DATABASE_URL: "));
        assert!(err(&[SECRET, PG, ("LISTEN_ADDR", "localhost")]).starts_with("LISTEN_ADDR: "));
        assert!(err(&[SECRET, PG, ("METRICS_ADDR", "9100")]).starts_with("METRICS_ADDR: "));
        assert!(err(&[SECRET, PG, ("LOG_FORMAT", "xml")]).starts_with("LOG_FORMAT: "));
        assert!(err(&[SECRET, PG, ("PUBLIC_URL", "partners.example.com")]).starts_with("PUBLIC_URL: "));
        assert!(err(&[PG, ("JWT_SECRET", "short")]).starts_with("JWT_SECRET: "));
        assert!(err(&[SECRET, PG, ("RUST_LOG", "info,[")]).starts_with("RUST_LOG: "));
        assert!(err(&[SECRET, PG, ("WORKERS", "0")]).starts_with("WORKERS: "));
        assert!(err(&[SECRET, PG, ("SMTP_URL", "mail.example.com")]).starts_with("SMTP_URL: "));
        assert!(err(&[SECRET, PG, ("MAIL_FROM", "nobody")]).starts_with("MAIL_FROM: "));
        assert!(err(&[SECRET, PG, ("OUTBOX_POLL_MS", "-5")]).starts_with("OUTBOX_POLL_MS: "));
        assert!(err(&[SECRET, PG, ("CLICK_RETENTION_DAYS", "0")]).starts_with("CLICK_RETENTION_DAYS: "));
        assert!(err(&[SECRET, PG, ("TRUSTED_PROXIES", "10.0.0.0/33")]).starts_with("TRUSTED_PROXIES: "));
        assert!(err(&[SECRET, PG, ("TRUSTED_PROXIES", "10.0.0.0/8,nginx")]).starts_with("TRUSTED_PROXIES: "));
    }

    #[test]
    fn defaults() -> Result<(), ConfigError> {
        let c = config(&[SECRET, PG])?;
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:8080");
        assert!(c.metrics_addr.is_none(), "no metrics listener unless asked");
        assert!(config(&[SECRET, PG, ("METRICS_ADDR", "off")])?.metrics_addr.is_none());
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(c.public_url.is_none());
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.key_rate_limit, Some(DEFAULT_KEY_RATE_LIMIT));
        Ok(())
    }

    #[test]
    fn persisted_only_for_app_is_off_unless_asked() -> Result<(), ConfigError> {
        assert!(!config(&[SECRET, PG])?.persisted_only_for_app);
        assert!(config(&[SECRET, PG, ("PERSISTED_ONLY_FOR_APP", "1")])?.persisted_only_for_app);
        assert!(!config(&[SECRET, PG, ("PERSISTED_ONLY_FOR_APP", "0")])?.persisted_only_for_app);
        let e = config(&[SECRET, PG, ("PERSISTED_ONLY_FOR_APP", "yes please")]).err().map(|e| e.0).unwrap_or_default();
        assert!(e.starts_with("PERSISTED_ONLY_FOR_APP: "), "{e}");
        Ok(())
    }

    #[test]
    fn key_rate_limit_is_a_positive_number_or_off() -> Result<(), ConfigError> {
        assert_eq!(config(&[SECRET, PG, ("KEY_RATE_LIMIT", "120")])?.key_rate_limit, Some(120));
        assert_eq!(config(&[SECRET, PG, ("KEY_RATE_LIMIT", "off")])?.key_rate_limit, None);
        for bad in ["0", "-5", "lots", "1.5"] {
            let e = config(&[SECRET, PG, ("KEY_RATE_LIMIT", bad)]).err().map(|e| e.0).unwrap_or_default();
            assert!(e.starts_with("KEY_RATE_LIMIT"), "{bad}: {e}");
        }
        Ok(())
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn trusted_proxies_match_their_networks() -> Result<(), String> {
        let t = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,192.168.1.77/24")?;
        assert!(t.contains(ip("10.200.3.4")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(t.contains(ip("::ffff:127.0.0.1")), "an IPv4-mapped peer is its IPv4 address");
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        assert!(t.contains(ip("192.168.1.5")), "host bits of the network are ignored");
        assert!(TrustedProxies::parse("0.0.0.0/0")?.contains(ip("8.8.8.8")));
        assert!(TrustedProxies::parse("")?.is_empty());
        Ok(())
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() -> Result<(), String> {
        let t = TrustedProxies::parse("10.0.0.0/8")?;
        let client = |peer: &str, xff: &[&str]| t.client_address(ip(peer), xff.iter().copied()).to_string();
        // From an untrusted peer the header is ignored, whatever it says.
        assert_eq!(client("203.0.113.9", &["1.2.3.4"]), "203.0.113.9");
        // Through one proxy.
        assert_eq!(client("10.0.0.2", &["198.51.100.7"]), "198.51.100.7");
        // A forged left part stays to the left: the proxy appended the real peer.
        assert_eq!(client("10.0.0.2", &["1.1.1.1, 198.51.100.7"]), "198.51.100.7");
        // Two proxies, and several header lines.
        assert_eq!(client("10.0.0.2", &["1.1.1.1, 198.51.100.7", "10.0.0.3"]), "198.51.100.7");
        // No header from a proxy: the proxy itself.
        assert_eq!(client("10.0.0.2", &[]), "10.0.0.2");
        // Garbage before a trusted hop: the last good hop.
        assert_eq!(client("10.0.0.2", &["nonsense, 10.0.0.5"]), "10.0.0.5");
        // Ports and IPv6.
        assert_eq!(client("10.0.0.2", &["198.51.100.7:4711"]), "198.51.100.7");
        assert_eq!(client("10.0.0.2", &["2001:db8::1"]), "2001:db8::1");
        Ok(())
    }
}
