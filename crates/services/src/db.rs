//! Connecting, and the few things that differ between SQLite and PostgreSQL.

use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Opens a pool. SQLite runs in WAL mode with a busy timeout, so readers never block the one writer.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    // Every statement is a TRACE event of target `sqlx::query` (off unless RUST_LOG asks for it): what the
    // statement-count test counts, and what to turn on when a request does more work than it should.
    opts.sqlx_logging(true)
        .sqlx_logging_level(tracing::log::LevelFilter::Trace)
        .connect_timeout(Duration::from_secs(3))
        // Requests fail fast (SERVICE_UNAVAILABLE) rather than queue while the database is unreachable.
        .acquire_timeout(Duration::from_secs(5))
        // Each idle connection is pinged before a request gets it (sqlx's default, relied on): one the database
        // dropped meanwhile (`pg_terminate_backend`, a restart, a failover) is replaced instead of failing the request.
        // Only requests whose connection drops while they use it answer SERVICE_UNAVAILABLE (tests/api/faults.rs).
        .test_before_acquire(true);
    if url.starts_with("sqlite:") {
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(16).min_connections(1);
    }
    Database::connect(opts).await.with_context(|| format!("cannot connect to {}", redact(url)))
}

/// A URL fit for a log line: the password, if any, replaced by `***`.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Begins a transaction that writes. On SQLite it takes the write lock at `BEGIN` (`IMMEDIATE`), so two
/// writers queue on the busy timeout instead of failing when a read lock would have to be upgraded.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// True when `e` is a unique-constraint violation of the index named `constraint`.
pub fn is_unique_violation(e: &DbErr, constraint: &str) -> bool {
    let msg = e.to_string();
    // PostgreSQL names the index; SQLite names the indexed columns.
    msg.contains(constraint)
        || (msg.contains("UNIQUE constraint failed")
            && constraint_columns(constraint).is_some_and(|cols| msg.contains(cols)))
}

fn constraint_columns(constraint: &str) -> Option<&'static str> {
    match constraint {
        "users_email_key" => Some("users.email"),
        "marketing_partners_org_email_key" => Some("marketing_partners.organization_id, marketing_partners.email"),
        "idempotency_keys_pkey" => Some("idempotency_keys.api_key_id, idempotency_keys.idempotency_key"),
        _ => None,
    }
}

/// True when `e` says the database could not be reached or dropped the connection (as opposed to a statement the
/// database refused): the request did nothing and may be retried.
pub fn is_unavailable(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    let sqlx = match e {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(x))
        | DbErr::Exec(RuntimeErr::SqlxError(x))
        | DbErr::Query(RuntimeErr::SqlxError(x)) => x,
        _ => return false,
    };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        // PostgreSQL: connection exceptions (08...), and the server shutting down or terminating the backend (57P0x).
        Sqlx::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P0")),
        _ => false,
    }
}

static OUTAGE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Logs a database outage once, however many requests it fails, until [`available`] says it is over.
pub(crate) fn outage(e: &DbErr) {
    if !OUTAGE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::error!(error = %e, "database unavailable: requests answer SERVICE_UNAVAILABLE until it is back");
    }
}

/// The database answered again (the mail relay's poll says so every second): ends an outage, logged once.
pub fn available() {
    if OUTAGE.swap(false, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!("database available again");
    }
}

pub fn backend(db: &impl ConnectionTrait) -> DbBackend {
    db.get_database_backend()
}
