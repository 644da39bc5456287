use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use partnerdesk_mailer::Mailer;
use partnerdesk_migrations::{Migrator, MigratorTrait as _};
use partnerdesk_services::delivery::outbox::{self, RelaySettings};
use partnerdesk_services::delivery::{HttpRelaySettings, run_http_relay};
use partnerdesk_services::tokens::TokenKeys;
use partnerdesk_services::{Clock, LoginLimits, Services, db};
use sea_orm::{DatabaseConnection, DbBackend};
use secrecy::ExposeSecret as _;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::{Config, TrustedProxies};
use crate::http;

/// The running application: bound, migrated, ready to serve. `main` and the tests start the very same thing.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub struct AppState {
    pub services: Services,
    pub schema: partnerdesk_graphql::AppSchema,
    /// The built browser app (`index.html` and hashed assets).
    pub frontend_dir: std::path::PathBuf,
    /// Cookies get `Secure` when the public URL is https (or a trusted proxy says the request came over https).
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: TrustedProxies,
    /// `PERSISTED_ONLY_FOR_APP`: the app's requests may only run persisted documents (see `persisted`).
    pub persisted_only_for_app: bool,
    /// False until this process has applied (or found applied) every migration: until then every route but
    /// `/health` answers 503, so a load balancer routes nothing here.
    pub migrated: Arc<AtomicBool>,
    /// This process's Prometheus metrics (served on `METRICS_ADDR` when set).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Hourly chores: delete what is past its time (`retention::prune`: raw clicks after `CLICK_RETENTION_DAYS`, spent
/// idempotency keys, expired sessions); fold the statistics of finished days (`stats::fold`).
async fn housekeeping(s: Services) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match partnerdesk_services::retention::prune(&s.db, s.clock.now(), s.click_retention).await {
            Ok(p) if p != Default::default() => tracing::info!(
                clicks = p.clicks,
                idempotency_keys = p.idempotency_keys,
                refresh_tokens = p.refresh_tokens,
                login_windows = p.login_windows,
                delivery_attempts = p.delivery_attempts,
                events = p.events,
                fingerprints = p.fingerprints,
                "old rows removed"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping"),
        }
        match partnerdesk_services::stats::fold(&s.db, s.clock.now()).await {
            Ok(n) if n > 0 => tracing::info!(campaign_days = n, "statistics of finished days folded"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "folding statistics"),
        }
    }
}

/// Connects and migrates the database and assembles the services. `default_url` is where users reach the app when
/// `PUBLIC_URL` is not set.
pub async fn connect(config: &Config, clock: Clock, default_url: &str) -> anyhow::Result<Services> {
    let services = connect_unmigrated(config, clock, default_url).await?;
    migrate(&services.db, &config.database_url).await?;
    Ok(services)
}

/// An arbitrary but fixed key for `pg_advisory_lock`: the bytes of "pd-migra".
pub const MIGRATION_LOCK_KEY: i64 = 0x7064_2d6d_6967_7261;

/// Applies pending migrations and returns how many there were. On PostgreSQL this happens under a session advisory
/// lock held on a connection of its own: when several processes start at once (replicas, a rolling deploy, a
/// `migrate` job), one applies and the others wait, then find nothing left to do. The lock goes with the connection,
/// so a process that dies while migrating releases it.
pub async fn migrate(conn: &DatabaseConnection, url: &str) -> anyhow::Result<usize> {
    use sea_orm::sqlx::{Connection as _, PgConnection};

    let lock = if conn.get_database_backend() == DbBackend::Postgres {
        let mut lock =
            PgConnection::connect(url).await.with_context(|| format!("cannot connect to {}", db::redact(url)))?;
        let (free,): (bool,) = sea_orm::sqlx::query_as("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .fetch_one(&mut lock)
            .await
            .context("taking the migration lock")?;
        if !free {
            tracing::info!("another process is applying migrations: waiting for it");
            sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut lock)
                .await
                .context("waiting for the migration lock")?;
        }
        Some(lock)
    } else {
        None
    };
    let pending = Migrator::get_pending_migrations(conn).await.context("reading the migration state")?.len();
    Migrator::up(conn, None).await.context("applying database migrations")?;
    if let Some(mut lock) = lock {
        sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut lock)
            .await
            .context("releasing the migration lock")?;
        let _ = lock.close().await;
    }
    Ok(pending)
}

/// Connects and assembles the services, without touching the schema.
async fn connect_unmigrated(config: &Config, clock: Clock, default_url: &str) -> anyhow::Result<Services> {
    let conn = db::connect(&config.database_url).await?;
    let public_url = match &config.public_url {
        Some(u) => u.as_str().trim_end_matches('/').to_owned(),
        None => default_url.to_owned(),
    };
    Ok(Services {
        db: conn,
        clock,
        tokens: Arc::new(TokenKeys::new(config.jwt_secret_bytes())),
        login_limits: LoginLimits::default(),
        public_url,
        outbox_wakeup: Arc::new(tokio::sync::Notify::new()),
        deliveries_wakeup: Arc::new(tokio::sync::Notify::new()),
        allow_private_destinations: config.postback_allow_private,
        live: Arc::default(),
        click_retention: chrono::Duration::days(config.click_retention_days),
        key_rate_limit: config.key_rate_limit,
        senders: Arc::default(),
        links: Arc::default(),
    })
}

/// While this process's migrations are not done, every route but `/health` answers 503 `NOT_READY`.
async fn until_migrated(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let migrated = req.app_data::<web::Data<AppState>>().is_none_or(|state| state.migrated.load(Ordering::Acquire));
    if migrated || req.path() == "/health" {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let res = http::error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "NOT_READY",
        "Database migrations are being applied; try again in a moment.",
    );
    Ok(req.into_response(res).map_into_right_body())
}

impl Application {
    /// Binds `LISTEN_ADDR` (port 0 picks a free port), connects, starts answering (`/ready` is 503 meanwhile) and
    /// applies pending migrations; returns once they are applied.
    pub async fn build(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen_addr)
            .with_context(|| format!("LISTEN_ADDR: cannot bind {}", config.listen_addr))?;
        let addr = listener.local_addr()?;
        let metrics_listener = config
            .metrics_addr
            .map(|a| TcpListener::bind(a).with_context(|| format!("METRICS_ADDR: cannot bind {a}")))
            .transpose()?;
        let metrics = Arc::new(crate::metrics::Metrics::new()?);
        let services = connect_unmigrated(config, clock, &format!("http://{addr}")).await?;
        let mailer = Mailer::new(
            &config.mail_from,
            config.smtp_url.as_ref().map(|u| u.expose_secret()),
            config.data_dir.join("outbox"),
        )?;
        let migrated = Arc::new(AtomicBool::new(false));
        let state = web::Data::new(AppState {
            schema: partnerdesk_graphql::build_schema(services.clone()),
            services: services.clone(),
            frontend_dir: config.frontend_dir.clone(),
            secure_cookies: config.public_url.as_ref().is_some_and(|u| u.scheme() == "https"),
            trusted_proxies: config.trusted_proxies.clone(),
            persisted_only_for_app: config.persisted_only_for_app,
            migrated: migrated.clone(),
            metrics: metrics.clone(),
        });
        let body_limit = config.body_limit;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(until_migrated))
                .wrap(actix_web::middleware::from_fn(crate::limits::edge_limits))
                .wrap(actix_web::middleware::from_fn(http::request_span))
                .wrap(actix_web::middleware::from_fn(crate::metrics::track))
                .configure(|cfg| http::configure(cfg, state.clone(), body_limit))
        })
        .workers(config.workers)
        .shutdown_timeout(30)
        .disable_signals()
        .listen(listener)?
        .run();
        let metrics_server = match metrics_listener {
            Some(l) => {
                let maddr = l.local_addr()?;
                let server = crate::metrics::serve(l, metrics, services.clone())?;
                tracing::info!("metrics on http://{maddr}/metrics");
                let handle = server.handle();
                tokio::spawn(server);
                Some((maddr.port(), handle))
            }
            None => None,
        };
        let metrics_handle = metrics_server.as_ref().map(|(_, h)| h.clone());
        // Signal handlers are in place before the address is announced: a SIGTERM right after start is graceful too.
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let handle = server.handle();
        let stopper = handle.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("shutting down: finishing requests in flight");
            if let Some(m) = &metrics_handle {
                m.stop(true).await;
            }
            stopper.stop(true).await;
        });
        let server = tokio::spawn(server);
        // Two lines: the address as soon as it answers (503 but /health), and `listening on` once it serves, which
        // scripts and tests wait for.
        tracing::info!("answering on http://{addr}: 503 until the database migrations are applied");
        if let Err(e) = migrate(&services.db, &config.database_url).await {
            handle.stop(false).await;
            if let Some((_, m)) = &metrics_server {
                m.stop(false).await;
            }
            return Err(e);
        }
        migrated.store(true, Ordering::Release);
        let relay = RelaySettings { poll: config.outbox_poll, retry_base: config.mail_retry_base };
        tokio::spawn(outbox::run_relay(services.clone(), mailer, relay));
        let postbacks = HttpRelaySettings {
            poll: config.outbox_poll,
            retry_base: config.postback_retry_base,
            per_host: config.postback_host_concurrency,
            disable_after: partnerdesk_services::delivery::DISABLE_AFTER,
            allow_private: config.postback_allow_private,
        };
        tokio::spawn(run_http_relay(services.clone(), postbacks));
        tokio::spawn(housekeeping(services.clone()));
        tokio::spawn(partnerdesk_services::live::run(services));
        tracing::info!("listening on http://{addr}");
        Ok(Self { port: addr.port(), metrics_port: metrics_server.map(|(port, _)| port), server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener (`METRICS_ADDR`), if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting and lets in-flight requests finish (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await.map_err(std::io::Error::other)?
    }
}
