use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use partnerdesk_mailer::Mailer;
use partnerdesk_migrations::{Migrator, MigratorTrait as _};
use partnerdesk_services::outbox::{self, RelaySettings};
use partnerdesk_services::tokens::TokenKeys;
use partnerdesk_services::{Clock, LoginLimits, Services, db};
use secrecy::ExposeSecret as _;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::Config;
use crate::http;

/// The running application: bound, migrated, ready to serve. `main` and the tests start the very same thing.
pub struct Application {
    port: u16,
    server: Server,
}

pub struct AppState {
    pub services: Services,
    pub schema: partnerdesk_graphql::AppSchema,
    /// The built browser app (`index.html` and hashed assets).
    pub frontend_dir: std::path::PathBuf,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
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
    let conn = db::connect(&config.database_url).await?;
    Migrator::up(&conn, None).await.context("applying database migrations")?;
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
        live: Arc::default(),
        click_retention: chrono::Duration::days(config.click_retention_days),
    })
}

impl Application {
    /// Binds `LISTEN_ADDR` (port 0 picks a free port), connects and applies pending migrations.
    pub async fn build(config: &Config, clock: Clock) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen_addr)
            .with_context(|| format!("LISTEN_ADDR: cannot bind {}", config.listen_addr))?;
        let addr = listener.local_addr()?;
        let services = connect(config, clock, &format!("http://{addr}")).await?;
        let mailer = Mailer::new(
            &config.mail_from,
            config.smtp_url.as_ref().map(|u| u.expose_secret()),
            config.data_dir.join("outbox"),
        )?;
        let relay = RelaySettings { poll: config.outbox_poll, retry_base: config.mail_retry_base };
        tokio::spawn(outbox::run_relay(services.clone(), mailer, relay));
        tokio::spawn(housekeeping(services.clone()));
        tokio::spawn(partnerdesk_services::live::run(services.clone()));
        let state = web::Data::new(AppState {
            schema: partnerdesk_graphql::build_schema(services.clone()),
            services,
            frontend_dir: config.frontend_dir.clone(),
            secure_cookies: config.public_url.as_ref().is_some_and(|u| u.scheme() == "https"),
        });
        let body_limit = config.body_limit;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::Compress::default())
                .wrap(actix_web::middleware::from_fn(http::request_span))
                .configure(|cfg| http::configure(cfg, state.clone(), body_limit))
        })
        .workers(config.workers)
        .shutdown_timeout(30)
        .disable_signals()
        .listen(listener)?
        .run();
        // Signal handlers are in place before the address is announced: a SIGTERM right after start is graceful too.
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let handle = server.handle();
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("shutting down: finishing requests in flight");
            handle.stop(true).await;
        });
        tracing::info!("listening on http://{addr}");
        Ok(Self { port: addr.port(), server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting and lets in-flight requests finish (up to 30 s).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
