//! Prometheus metrics, served as `GET /metrics` on a listener of their own (`METRICS_ADDR`, off by default) so they
//! are never public by accident. Each [`Application`](crate::Application) has its own registry: counters count this
//! process's traffic only. The outbox figures are read from the database at scrape time and are the same on every
//! process; when the database cannot be read they are left out of the scrape (logged once per outage) and the rest
//! is served as usual.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{App, HttpResponse, HttpServer, web};
use partnerdesk_services::clicks::Outcome;
use partnerdesk_services::{Error, Services};
use partnerdesk_storage::entities::{delivery, email_outbox};
use prometheus::{Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use sea_orm::{ColumnTrait as _, DbBackend, EntityTrait, PaginatorTrait as _, QueryFilter as _, QueryOrder as _};
use sea_orm::{DatabaseConnection, QuerySelect as _};

use crate::startup::AppState;

/// How long a scrape waits for the database before it leaves the outbox figures out.
const DB_TIMEOUT: Duration = Duration::from_secs(2);

/// This process's counters and gauges.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    leads: IntCounterVec,
    clicks: IntCounterVec,
    cap_refusals: IntCounterVec,
    pool_open: IntGauge,
    pool_in_use: IntGauge,
    pool_max: IntGauge,
    live_subscriptions: IntGauge,
    /// The last scrape could not read the database (so the next failure is not logged again).
    db_failing: AtomicBool,
}

fn register<M: prometheus::core::Collector + Clone + 'static>(r: &Registry, m: M) -> prometheus::Result<M> {
    r.register(Box::new(m.clone()))?;
    Ok(m)
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let r = Registry::new();
        let counter = |name: &str, help: &str, label: &str| {
            register(&r, IntCounterVec::new(Opts::new(name, format!("{help} (this process).")), &[label])?)
        };
        let gauge = |name: &str, help: &str| register(&r, IntGauge::new(name, format!("{help} (this process)."))?);
        Ok(Self {
            requests: register(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "partnerdesk_http_requests_total",
                        "HTTP requests answered, by method, route pattern (other: no API route) and status (this process).",
                    ),
                    &["method", "route", "status"],
                )?,
            )?,
            latency: register(
                &r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "partnerdesk_http_request_duration_seconds",
                        "Time to answer an HTTP request, by method and route pattern (this process).",
                    ),
                    &["method", "route"],
                )?,
            )?,
            leads: counter(
                "partnerdesk_leads_total",
                "Leads sent to POST /v1/leads, by outcome: accepted, or the error code of the refusal; replays of an Idempotency-Key are not counted",
                "outcome",
            )?,
            clicks: counter(
                "partnerdesk_clicks_total",
                "Tracking-link clicks (GET /c/{code}), by outcome: accepted, or the reason it was not counted (sent to the fallback URL or refused)",
                "outcome",
            )?,
            cap_refusals: counter(
                "partnerdesk_cap_refusals_total",
                "Clicks and leads refused because a cap was full, by metric (click, form, call)",
                "metric",
            )?,
            pool_open: gauge("partnerdesk_db_pool_connections", "Database connections open in the pool")?,
            pool_in_use: gauge("partnerdesk_db_pool_connections_in_use", "Database connections in use")?,
            pool_max: gauge("partnerdesk_db_pool_max_connections", "Most database connections the pool opens")?,
            live_subscriptions: gauge(
                "partnerdesk_live_subscriptions",
                "Open GraphQL subscriptions (live dashboards)",
            )?,
            registry: r,
            db_failing: AtomicBool::new(false),
        })
    }

    /// The outcome of a lead that reached validation (`Ok`: accepted).
    pub fn lead(&self, outcome: Result<(), &Error>) {
        let label = match outcome {
            Ok(()) => "accepted",
            Err(e) => {
                if let Error::CapReached { metric, .. } = e {
                    self.cap_refusals.with_label_values(&[metric.to_ascii_lowercase()]).inc();
                }
                e.code()
            }
        };
        self.leads.with_label_values(&[label]).inc();
    }

    /// The outcome of a recorded click.
    pub fn click(&self, outcome: Result<&Outcome, &Error>) {
        let label = match outcome {
            Ok(Outcome::Landing(_)) => "accepted",
            Ok(Outcome::Fallback { reason, .. } | Outcome::Refused { reason, .. }) => reason,
            Err(e) => e.code(),
        };
        if label == "CAP_REACHED" {
            self.cap_refusals.with_label_values(&["click"]).inc();
        }
        self.clicks.with_label_values(&[label]).inc();
    }

    /// Everything, in the Prometheus text format.
    async fn render(&self, s: &Services) -> prometheus::Result<String> {
        self.read_pool(&s.db);
        self.live_subscriptions.set(i64::try_from(s.live.subscribers()).unwrap_or(i64::MAX));
        let mut families = self.registry.gather();
        let queues = match tokio::time::timeout(DB_TIMEOUT, read_queues(s)).await {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", DB_TIMEOUT.as_secs())),
        };
        match queues {
            Ok(queues) => {
                if self.db_failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("metrics: the outbox figures can be read again");
                }
                for q in queues {
                    families.extend(q.gather()?);
                }
                families.sort_by(|a, b| a.name().cmp(b.name()));
            }
            Err(error) => {
                if !self.db_failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(%error, "metrics: cannot read the outbox figures; left out until the database answers");
                }
            }
        }
        TextEncoder::new().encode_to_string(&families)
    }

    fn read_pool(&self, db: &DatabaseConnection) {
        let (size, idle, max) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let p = db.get_postgres_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            DbBackend::Sqlite => {
                let p = db.get_sqlite_connection_pool();
                (p.size(), p.num_idle(), p.options().get_max_connections())
            }
            _ => return,
        };
        self.pool_open.set(i64::from(size));
        self.pool_in_use.set(i64::from(size).saturating_sub(i64::try_from(idle).unwrap_or(0)));
        self.pool_max.set(i64::from(max));
    }
}

/// A delivery queue (the email outbox, postback deliveries) as the database has it now: the same on every process.
struct Queue {
    /// Metric names start with it: `partnerdesk_outbox`, `partnerdesk_postback`.
    prefix: &'static str,
    /// What is queued: `emails`, `deliveries`.
    noun: &'static str,
    pending: i64,
    failed: i64,
    oldest_due_seconds: f64,
}

impl Queue {
    fn gather(&self) -> prometheus::Result<Vec<prometheus::proto::MetricFamily>> {
        let r = Registry::new();
        let (prefix, noun) = (self.prefix, self.noun);
        let int = |name: String, help: String, v: i64| {
            register(&r, IntGauge::new(name, format!("{help} (database-wide: the same on every process)."))?)
                .map(|g| g.set(v))
        };
        let capital = format!("{}{}", noun[..1].to_uppercase(), &noun[1..]);
        int(
            format!("{prefix}_pending_{noun}"),
            format!("{capital} waiting to be sent, due or retrying later"),
            self.pending,
        )?;
        int(format!("{prefix}_failed_{noun}"), format!("{capital} given up"), self.failed)?;
        register(
            &r,
            Gauge::new(
                format!("{prefix}_oldest_due_age_seconds"),
                format!(
                    "How long the longest-waiting due one of the {noun} has been due; 0 when none is due \
                     (database-wide: the same on every process)."
                ),
            )?,
        )?
        .set(self.oldest_due_seconds);
        Ok(r.gather())
    }
}

/// A queue's figures: rows `PENDING` (due or not), `FAILED`, and the oldest due one's wait.
async fn read_queue<E: EntityTrait>(
    s: &Services,
    (prefix, noun): (&'static str, &'static str),
    status: E::Column,
    next_attempt_at: E::Column,
) -> Result<Queue, sea_orm::DbErr>
where
    E::Model: Sync,
{
    let now = s.clock.now();
    let pending = E::find().filter(status.eq("PENDING"));
    let oldest_due: Option<chrono::DateTime<chrono::Utc>> = pending
        .clone()
        .filter(next_attempt_at.lte(now))
        .select_only()
        .column(next_attempt_at)
        .order_by_asc(next_attempt_at)
        .into_tuple()
        .one(&s.db)
        .await?;
    let failed = E::find().filter(status.eq("FAILED")).count(&s.db).await?;
    Ok(Queue {
        prefix,
        noun,
        pending: i64::try_from(pending.count(&s.db).await?).unwrap_or(i64::MAX),
        failed: i64::try_from(failed).unwrap_or(i64::MAX),
        oldest_due_seconds: oldest_due.map_or(0.0, |t| (now - t).to_std().map_or(0.0, |d| d.as_secs_f64())),
    })
}

/// Both queues' figures.
async fn read_queues(s: &Services) -> Result<[Queue; 2], sea_orm::DbErr> {
    Ok([
        read_queue::<email_outbox::Entity>(
            s,
            ("partnerdesk_outbox", "emails"),
            email_outbox::Column::Status,
            email_outbox::Column::NextAttemptAt,
        )
        .await?,
        read_queue::<delivery::Entity>(
            s,
            ("partnerdesk_outbound", "deliveries"),
            delivery::Column::Status,
            delivery::Column::NextAttemptAt,
        )
        .await?,
    ])
}

/// Counts every request of the main listener by method, matched route pattern and status, and times it.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let method = match *req.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let res = next.call(req).await;
    if let Some(m) = metrics {
        let (route, status) = match &res {
            Ok(r) => (r.request().match_pattern(), r.status()),
            Err(e) => (None, e.as_response_error().status_code()),
        };
        let route = route.unwrap_or_else(|| "other".to_owned());
        m.requests.with_label_values(&[method, &route, status.as_str()]).inc();
        m.latency.with_label_values(&[method, &route]).observe(started.elapsed().as_secs_f64());
    }
    res
}

async fn scrape(metrics: web::Data<Arc<Metrics>>, services: web::Data<Services>) -> HttpResponse {
    match metrics.render(&services).await {
        Ok(text) => HttpResponse::Ok().content_type(prometheus::TEXT_FORMAT).body(text),
        Err(e) => {
            tracing::error!(error = %e, "metrics: encoding");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The metrics listener: `GET /metrics` and nothing else, one worker.
pub fn serve(listener: TcpListener, metrics: Arc<Metrics>, services: Services) -> std::io::Result<Server> {
    let metrics = web::Data::new(metrics);
    let services = web::Data::new(services);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(services.clone())
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(crate::http::not_found))
    })
    .workers(1)
    .shutdown_timeout(5)
    .disable_signals()
    .listen(listener)?
    .run())
}
