//! Connecting, and the few things that differ between SQLite and PostgreSQL.

use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
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
        // A connection idle for a second or more is pinged before a request gets it: one the database dropped
        // meanwhile (`pg_terminate_backend`, a restart, a failover) is replaced instead of failing the request.
        // A busy connection goes straight to the next request (a ping on every checkout would be one more round trip
        // per statement); a request whose connection drops while it uses it, or dropped less than a second before,
        // answers SERVICE_UNAVAILABLE and may be retried (tests/api/faults.rs).
        .test_before_acquire_if_idle_for(Duration::from_secs(1));
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
        "lead_disputes_pkey" => Some("lead_disputes.lead_id"),
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

/// Writes that take effect together or not at all. On PostgreSQL they travel as **one statement**: each write a
/// data-modifying CTE, run in the order given, and a guarded write that returns no row aborts the whole statement
/// through `pd_guard` (a function of migration m20261203_000010), so nothing of it remains. One round trip instead of
/// one per write plus `BEGIN` and `COMMIT`, which on PostgreSQL is where the time of a small write goes. On SQLite
/// (no network between the process and its file) the same statements run in a write transaction.
///
/// The outbound deliveries a batch queues (postbacks, webhooks) are *sources*, each a `SELECT` of the columns of
/// [`crate::delivery::QUEUE`], one row per destination; they are written last, all in one `INSERT .. UNION ALL ..`
/// (each write of a statement costs PostgreSQL its own setup, even one that finds nothing to write).
///
/// Every write of a batch reads the database as it was before the batch: a write cannot see what an earlier one of
/// the same batch wrote (foreign keys are checked at the end, so a row may refer to one inserted before it).
#[derive(Default)]
pub struct Batch {
    writes: Vec<(Statement, Run)>,
    deliveries: Vec<(Statement, Run)>,
}

/// When a write of a batch runs.
#[derive(Clone, Copy)]
enum Run {
    Always,
    /// Must return a row, else the batch is undone with this guard id.
    Guarded(usize),
    /// Only when the write at this position returned this value in its first column.
    If {
        write: usize,
        returned: i64,
    },
}

/// Why a batch wrote nothing.
#[derive(Debug)]
pub enum BatchError {
    /// The guarded write with this id returned no row.
    Guard(usize),
    Db(DbErr),
}

impl From<DbErr> for BatchError {
    fn from(e: DbErr) -> Self {
        Self::Db(e)
    }
}

/// The SQLSTATE `pd_guard` raises, its message being the guard's id.
const GUARD_SQLSTATE: &str = "PD001";

/// What a batch that ran wrote.
#[derive(Debug)]
pub struct Written {
    deliveries: i64,
}

impl Written {
    /// Whether it queued an outbound delivery: the relay is woken only then (each wake-up is a claim query).
    pub fn queued_deliveries(&self) -> bool {
        self.deliveries > 0
    }
}

impl Batch {
    pub fn push(&mut self, write: Statement) {
        self.writes.push((write, Run::Always));
    }

    /// A write that must return a row (it ends in `RETURNING`; or a `SELECT`, a check of what the batch relies on);
    /// when it returns none, the batch writes nothing and
    /// [`Batch::run`] fails with [`BatchError::Guard`]`(id)`. Returns its position, for [`Batch::push_if`].
    pub fn push_guarded(&mut self, write: Statement, id: usize) -> usize {
        self.writes.push((write, Run::Guarded(id)));
        self.writes.len() - 1
    }

    /// A write that runs only when the guarded write at position `write` returned `returned` in its first column
    /// (the cap counter that a lead fills, say). Its SQL is an `INSERT .. SELECT .. WHERE ..`: on PostgreSQL the
    /// condition is appended to that `WHERE`.
    pub fn push_if(&mut self, statement: Statement, write: usize, returned: i64) {
        debug_assert!(matches!(self.writes.get(write), Some((_, Run::Guarded(_)))));
        self.writes.push((statement, Run::If { write, returned }));
    }

    /// Queues the deliveries of `source` (a `SELECT .. WHERE ..` of [`crate::delivery::QUEUE`]'s columns).
    pub fn push_deliveries(&mut self, source: Statement) {
        self.deliveries.push((source, Run::Always));
    }

    /// [`Batch::push_deliveries`], only when the guarded write at position `write` returned `returned`.
    pub fn push_deliveries_if(&mut self, source: Statement, write: usize, returned: i64) {
        debug_assert!(matches!(self.writes.get(write), Some((_, Run::Guarded(_)))));
        self.deliveries.push((source, Run::If { write, returned }));
    }

    pub async fn run(self, db: &DatabaseConnection) -> Result<Written, BatchError> {
        self.execute(db, true).await
    }

    /// Runs the batch and undoes it: the answer [`Batch::run`] would give now, with nothing written (a test lead).
    pub async fn rehearse(self, db: &DatabaseConnection) -> Result<Written, BatchError> {
        self.execute(db, false).await
    }

    async fn execute(self, db: &DatabaseConnection, keep: bool) -> Result<Written, BatchError> {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                let queues = !self.deliveries.is_empty();
                let last = self.writes.len();
                let statement = self.into_one_statement();
                let outcome = if keep {
                    db.query_one_raw(statement).await
                } else {
                    let txn = db.begin().await?;
                    let outcome = txn.query_one_raw(statement).await;
                    txn.rollback().await?;
                    outcome
                };
                match outcome {
                    // The statement's one row: each write's count, in order; the deliveries' last.
                    Ok(row) => Ok(Written {
                        deliveries: match row {
                            Some(r) if queues => r.try_get_by_index::<i64>(last).unwrap_or(0),
                            _ => 0,
                        },
                    }),
                    Err(e) => Err(guard_of(&e).map_or(BatchError::Db(e), BatchError::Guard)),
                }
            }
            _ => {
                let txn = begin_write(db).await?;
                let mut returned = vec![None; self.writes.len()];
                let mut deliveries = 0;
                for (i, (write, run)) in self.writes.into_iter().enumerate() {
                    match run {
                        Run::Always => {
                            txn.execute_raw(write).await?;
                        }
                        Run::Guarded(id) => match txn.query_one_raw(write).await? {
                            Some(row) => returned[i] = row.try_get_by_index::<i64>(0).ok(),
                            None => {
                                txn.rollback().await?;
                                return Err(BatchError::Guard(id));
                            }
                        },
                        Run::If { write: w, returned: value } => {
                            if returned[w] == Some(value) {
                                txn.execute_raw(write).await?;
                            }
                        }
                    }
                }
                for (source, run) in self.deliveries {
                    if let Run::If { write: w, returned: value } = run {
                        if returned[w] != Some(value) {
                            continue;
                        }
                    }
                    let queued = txn.execute_raw(crate::delivery::queue(source)).await?.rows_affected();
                    deliveries += i64::try_from(queued).unwrap_or(i64::MAX);
                }
                if keep {
                    txn.commit().await?;
                } else {
                    txn.rollback().await?;
                }
                Ok(Written { deliveries })
            }
        }
    }

    /// `WITH w0 AS (..), w1 AS (..) SELECT pd_guard((SELECT count(*) FROM w0), '7'), (SELECT count(*) FROM w1), ..`:
    /// the select reads the writes in order, so they run in order (and lock rows in the same order in every batch of
    /// the same shape), and each write's placeholders are renumbered after the ones before it. The deliveries come
    /// last, one write of every source. A condition's value is a placeholder too, so that batches of one shape are
    /// one prepared statement whatever their caps' limits.
    fn into_one_statement(self) -> Statement {
        let mut sql = String::from("WITH ");
        let mut select = String::from(" SELECT ");
        let mut values = Vec::new();
        let count = self.writes.len();
        let condition = |run: Run, values: &mut Vec<sea_orm::Value>| match run {
            Run::If { write, returned } => {
                values.push(returned.into());
                format!(" AND EXISTS (SELECT 1 FROM w{write} AS r(v) WHERE r.v = ${})", values.len())
            }
            Run::Always | Run::Guarded(_) => String::new(),
        };
        for (i, (write, run)) in self.writes.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
                select.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ({}", renumber(&write.sql, values.len())));
            values.extend(write.values.map(|v| v.0).unwrap_or_default());
            sql.push_str(&condition(run, &mut values));
            if !write.sql.contains("RETURNING") && !write.sql.starts_with("SELECT") {
                sql.push_str(" RETURNING 1");
            }
            sql.push(')');
            match run {
                Run::Guarded(id) => select.push_str(&format!("pd_guard((SELECT count(*) FROM w{i}), '{id}')")),
                Run::Always | Run::If { .. } => select.push_str(&format!("(SELECT count(*) FROM w{i})")),
            }
        }
        if !self.deliveries.is_empty() {
            let mut union = Vec::with_capacity(self.deliveries.len());
            for (source, run) in self.deliveries {
                let mut one = renumber(&source.sql, values.len());
                values.extend(source.values.map(|v| v.0).unwrap_or_default());
                one.push_str(&condition(run, &mut values));
                union.push(one);
            }
            let separator = if count > 0 { ", " } else { "" };
            sql.push_str(&format!(
                "{separator}w{count} AS ({}{} RETURNING 1)",
                crate::delivery::QUEUE,
                union.join(" UNION ALL ")
            ));
            select.push_str(&format!("{separator}(SELECT count(*) FROM w{count})"));
        }
        sql.push_str(&select);
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }
}

/// `sql` with every placeholder `$n` made `$(n + offset)`.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut n = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            n.push(*d);
            chars.next();
        }
        match n.parse::<usize>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&n),
        }
    }
    out
}

/// The guard id of `pd_guard`'s error.
fn guard_of(e: &DbErr) -> Option<usize> {
    use sea_orm::RuntimeErr;
    let (DbErr::Exec(RuntimeErr::SqlxError(x)) | DbErr::Query(RuntimeErr::SqlxError(x))) = e else {
        return None;
    };
    match x.as_ref() {
        sea_orm::sqlx::Error::Database(d) if d.code().as_deref() == Some(GUARD_SQLSTATE) => d.message().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_after_the_writes_before() {
        assert_eq!(renumber("VALUES ($1, $2, $10) WHERE x < $3", 4), "VALUES ($5, $6, $14) WHERE x < $7");
        assert_eq!(renumber("a = $1", 0), "a = $1");
        let mut b = Batch::default();
        b.push(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO t VALUES ($1, $2)",
            [1.into(), 2.into()],
        ));
        let at = b.push_guarded(
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE u SET n = n + 1 WHERE id = $1 RETURNING n",
                [3.into()],
            ),
            7,
        );
        assert_eq!(at, 1);
        b.push_if(
            Statement::from_sql_and_values(DbBackend::Postgres, "INSERT INTO e SELECT $1 WHERE 1 = 1", [4.into()]),
            at,
            10,
        );
        b.push_deliveries(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT a, $1 FROM d WHERE x = $2",
            [5.into(), 6.into()],
        ));
        b.push_deliveries_if(
            Statement::from_sql_and_values(DbBackend::Postgres, "SELECT b, $1 FROM d WHERE y", [7.into()]),
            at,
            10,
        );
        let s = b.into_one_statement();
        assert_eq!(
            s.sql,
            format!(
                "WITH w0 AS (INSERT INTO t VALUES ($1, $2) RETURNING 1), w1 AS (UPDATE u SET n = n + 1 WHERE id = $3 RETURNING n), \
                 w2 AS (INSERT INTO e SELECT $4 WHERE 1 = 1 AND EXISTS (SELECT 1 FROM w1 AS r(v) WHERE r.v = $5) RETURNING 1), \
                 w3 AS ({}SELECT a, $6 FROM d WHERE x = $7 UNION ALL \
                 SELECT b, $8 FROM d WHERE y AND EXISTS (SELECT 1 FROM w1 AS r(v) WHERE r.v = $9) RETURNING 1) \
                 SELECT (SELECT count(*) FROM w0), pd_guard((SELECT count(*) FROM w1), '7'), (SELECT count(*) FROM w2), \
                 (SELECT count(*) FROM w3)",
                crate::delivery::QUEUE
            )
        );
        assert_eq!(s.values.map(|v| v.0.len()), Some(9));
    }
}
