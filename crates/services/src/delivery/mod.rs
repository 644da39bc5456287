//! Everything Partnerdesk sends outward: emails and HTTP calls (partner postbacks). One mechanism for all: a row is
//! written in the transaction of the event that causes it, and a relay in every server process claims due rows with
//! a lease ([`claim`]: `FOR UPDATE SKIP LOCKED` on PostgreSQL), sends them, and records the outcome; failures retry
//! with exponential backoff.

pub(crate) mod emails;
mod http;
mod macros;
pub mod outbox;
pub mod postbacks;
pub mod webhooks;

use chrono::Duration;
use partnerdesk_storage::entities::delivery::{self, Channel, Status};
use partnerdesk_storage::entities::delivery_attempt;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, Value,
};
use uuid::Uuid;

pub use http::{HttpRelaySettings, run_http_relay};
pub use macros::MACROS;

use crate::page::{Page, check_first};
use crate::{Error, Result, Services, db};

/// How a delivery is queued: a *source*, a `SELECT` of these columns (one row per destination that wants the event),
/// follows it, alone ([`queue`]) or with the other sources of a [`crate::db::Batch`].
pub const QUEUE: &str = "INSERT INTO deliveries (destination_id, event_id, event, organization_id, status, attempts, \
                         next_attempt_at, created_at, channel) ";

/// The write that queues the deliveries of `source`.
pub fn queue(source: Statement) -> Statement {
    Statement { sql: format!("{QUEUE}{}", source.sql), ..source }
}

/// Failures in a row after which a postback is disabled and its partner emailed.
pub const DISABLE_AFTER: i32 = 20;

/// Delay before attempt `n + 1` after `n` failures: `base`, 2 x `base`, 4 x `base`, ... up to `max`.
pub fn backoff(base: Duration, failures: i32, max: Duration) -> Duration {
    (base * 2_i32.saturating_pow(u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0))).min(max)
}

/// `d` moved by up to a fifth either way, so that retries of many rows that failed together spread out.
pub fn jitter(d: Duration) -> Duration {
    let spread = d.num_milliseconds() / 5;
    if spread <= 0 {
        return d;
    }
    let r: u64 = rand::random();
    d + Duration::milliseconds((r % (2 * spread as u64 + 1)) as i64 - spread)
}

/// What a claim takes: rows of `table` identified by `key` (a column, or a tuple of columns), with the columns
/// `status`, `attempts`, `next_attempt_at` and `locked_until`.
pub(crate) struct Queue {
    pub table: &'static str,
    pub key: &'static str,
    /// The columns the claim returns: the model's, named (SQLite's `RETURNING *` after an `ALTER TABLE .. ADD
    /// COLUMN` gives the driver a column count it does not expect).
    pub columns: &'static str,
    /// How long a claimed row stays reserved for the process sending it.
    pub lease: Duration,
}

/// Reserves up to `limit` due rows for this process and counts the attempt, in one statement. `filter`: more
/// conditions on the rows (SQL over the queue's own columns; its values follow the two of the claim).
pub(crate) async fn claim<E: EntityTrait>(
    s: &Services,
    queue: &Queue,
    limit: usize,
    filter: &str,
    values: Vec<Value>,
) -> Result<Vec<E::Model>> {
    let backend = s.db.get_database_backend();
    let now = s.clock.now();
    let lock = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let Queue { table, key, columns: returning, lease } = queue;
    let columns = key.trim_start_matches('(').trim_end_matches(')');
    let sql = format!(
        "UPDATE {table} SET locked_until = $1, attempts = attempts + 1 WHERE {key} IN (\
           SELECT {columns} FROM {table} WHERE status = 'PENDING' AND next_attempt_at <= $2 \
           AND (locked_until IS NULL OR locked_until <= $2) {filter} ORDER BY next_attempt_at LIMIT {limit} {lock}) \
         RETURNING {returning}"
    );
    let mut all: Vec<Value> = vec![(now + *lease).into(), now.into()];
    all.extend(values);
    Ok(E::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, all)).all(&s.db).await?)
}

/// The events a destination may ask for: a lead's steps and counted clicks; `Test` is sent on request only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    LeadReceived,
    LeadApproved,
    LeadRejected,
    LeadConverted,
    ClickCounted,
    /// An approved or converted lead was returned: `{payout}` is the payout taken back, negative.
    LeadReturned,
    Test,
}

impl Event {
    pub const ALL: [Event; 6] = [
        Event::LeadReceived,
        Event::LeadApproved,
        Event::LeadRejected,
        Event::LeadConverted,
        Event::ClickCounted,
        Event::LeadReturned,
    ];

    /// As sent in `{event}` and stored.
    pub fn name(self) -> &'static str {
        match self {
            Event::LeadReceived => "lead.received",
            Event::LeadApproved => "lead.approved",
            Event::LeadRejected => "lead.rejected",
            Event::LeadConverted => "lead.converted",
            Event::ClickCounted => "click.counted",
            Event::LeadReturned => "lead.returned",
            Event::Test => "test",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().chain([Event::Test]).find(|e| e.name() == name)
    }

    /// Its bit in a destination's event set.
    pub fn bit(self) -> i32 {
        match self {
            Event::LeadReceived => 1,
            Event::LeadApproved => 2,
            Event::LeadRejected => 4,
            Event::LeadConverted => 8,
            Event::ClickCounted => 16,
            Event::LeadReturned => 32,
            Event::Test => 0,
        }
    }

    /// The event of a lead reaching `status`.
    pub fn of_lead(status: partnerdesk_storage::entities::lead::Status) -> Event {
        use partnerdesk_storage::entities::lead::Status;
        match status {
            Status::Received => Event::LeadReceived,
            Status::Approved => Event::LeadApproved,
            Status::Rejected => Event::LeadRejected,
            Status::Converted => Event::LeadConverted,
            Status::Returned => Event::LeadReturned,
        }
    }

    /// The events of a set of bits.
    pub fn set(bits: i32) -> Vec<Event> {
        Event::ALL.into_iter().filter(|e| bits & e.bit() != 0).collect()
    }
}

/// One page of a destination's delivery log, newest first; `organization`: only the attempts of that
/// organization's events (an owner reading a partner's postback).
pub(crate) async fn attempts(
    s: &Services,
    destination_id: Uuid,
    organization: Option<Uuid>,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<delivery_attempt::Model>> {
    check_first(first, "attempts")?;
    let mut q = delivery_attempt::Entity::find().filter(delivery_attempt::Column::DestinationId.eq(destination_id));
    if let Some(org) = organization {
        q = q.filter(delivery_attempt::Column::OrganizationId.eq(org));
    }
    let total = q.clone().count(&s.db).await?;
    if let Some(after) = after {
        q = q.filter(delivery_attempt::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(delivery_attempt::Column::Id).limit(first + 1).all(&s.db).await?;
    Ok(Page::from_rows(rows, first, total))
}

/// Queues a test event for a destination, sent by the relay like any other; returns its event id.
pub(crate) async fn queue_test(s: &Services, channel: Channel, destination_id: Uuid) -> Result<Uuid> {
    let now = s.clock.now();
    let event_id = Uuid::now_v7();
    delivery::ActiveModel {
        destination_id: Set(destination_id),
        event_id: Set(event_id),
        event: Set(Event::Test.name().to_owned()),
        organization_id: Set(None),
        status: Set(Status::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_status_code: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
        channel: Set(channel),
    }
    .insert(&s.db)
    .await?;
    s.deliveries_wakeup.notify_one();
    Ok(event_id)
}

/// Sends one delivery again now, whatever became of it (failed, delivered, or waiting for its next retry); its
/// retry period starts again.
pub(crate) async fn retry_delivery(s: &Services, destination_id: Uuid, event_id: Uuid) -> Result<()> {
    let now = s.clock.now();
    let done = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(Status::Pending.to_value()))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::FinishedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .col_expr(delivery::Column::CreatedAt, Expr::value(now))
        // Taken from an attempt in flight, if any: its outcome leaves this one due (`http::record`).
        .col_expr(delivery::Column::LockedUntil, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None))
        .filter(delivery::Column::DestinationId.eq(destination_id))
        .filter(delivery::Column::EventId.eq(event_id))
        .exec(&s.db)
        .await?;
    if done.rows_affected == 0 {
        return Err(Error::NotFound("Delivery"));
    }
    s.deliveries_wakeup.notify_one();
    Ok(())
}

/// A replay covers at most this many days.
pub const MAX_REPLAY_DAYS: i64 = 31;

/// Ends a replay's `INSERT INTO deliveries .. SELECT`: a delivery that exists (delivered or given up) is due again,
/// with its id, so a receiver that keeps ids drops what it had. One being sent at that moment loses its lease: the
/// outcome of that attempt leaves the replay due.
pub(crate) const REQUEUE: &str = " ON CONFLICT (destination_id, event_id) DO UPDATE SET status = 'PENDING', \
     next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at, finished_at = NULL, \
     locked_until = NULL";

/// Queues again, for one destination, every event of `[from, to)` (at most [`MAX_REPLAY_DAYS`]): `statements`
/// (given the backend and now) write the deliveries, in one transaction. Returns how many were queued.
pub(crate) async fn replay(
    s: &Services,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    statements: impl FnOnce(DbBackend, chrono::DateTime<chrono::Utc>) -> Vec<Statement>,
) -> Result<u64> {
    if to <= from {
        return Err(Error::validation("to", "The period ends after it starts."));
    }
    if to - from > Duration::days(MAX_REPLAY_DAYS) {
        return Err(Error::validation("to", format!("A replay covers at most {MAX_REPLAY_DAYS} days.")));
    }
    let txn = db::begin_write(&s.db).await?;
    let mut queued = 0;
    for statement in statements(s.db.get_database_backend(), s.clock.now()) {
        queued += txn.execute_raw(statement).await?.rows_affected();
    }
    txn.commit().await?;
    s.deliveries_wakeup.notify_one();
    Ok(queued)
}

/// Parses a destination's URL as it will be sent and checks it: `http` or `https` with a host, and a public address
/// unless `POSTBACK_ALLOW_PRIVATE`. `what` begins the message ("A postback URL").
pub(crate) async fn check_destination(s: &Services, url: &str, what: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(url).map_err(|e| Error::validation("url", format!("Not a valid URL: {e}.")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::validation("url", format!("{what} starts with http:// or https:// and names a host.")));
    }
    http::check_address(&parsed, s.allow_private_destinations)
        .await
        .map_err(|message| Error::validation("url", message))?;
    Ok(parsed)
}

/// Disables a destination (a row of `table`: its deliveries wait) or enables it again (what is due goes out, its
/// failures count from 0).
pub(crate) async fn set_destination_enabled(s: &Services, table: &str, id: Uuid, enabled: bool) -> Result<()> {
    let now = s.clock.now();
    let sql = if enabled {
        format!("UPDATE {table} SET disabled_at = NULL, consecutive_failures = 0, updated_at = $1 WHERE id = $2")
    } else {
        format!("UPDATE {table} SET disabled_at = COALESCE(disabled_at, $1), updated_at = $1 WHERE id = $2")
    };
    s.db.execute_raw(Statement::from_sql_and_values(s.db.get_database_backend(), sql, [now.into(), id.into()])).await?;
    if enabled {
        s.deliveries_wakeup.notify_one();
    }
    Ok(())
}

/// Deletes a destination (a row of `table`) with its deliveries and log, in one transaction.
pub(crate) async fn forget_destination(s: &Services, table: &str, id: Uuid) -> Result<()> {
    let txn = db::begin_write(&s.db).await?;
    delivery_attempt::Entity::delete_many().filter(delivery_attempt::Column::DestinationId.eq(id)).exec(&txn).await?;
    delivery::Entity::delete_many().filter(delivery::Column::DestinationId.eq(id)).exec(&txn).await?;
    let backend = txn.get_database_backend();
    txn.execute_raw(Statement::from_sql_and_values(backend, format!("DELETE FROM {table} WHERE id = $1"), [id.into()]))
        .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_ceiling() {
        let (base, max) = (Duration::seconds(30), Duration::hours(1));
        assert_eq!(backoff(base, 1, max), Duration::seconds(30));
        assert_eq!(backoff(base, 2, max), Duration::seconds(60));
        assert_eq!(backoff(base, 4, max), Duration::seconds(240));
        assert_eq!(backoff(base, 12, max), Duration::hours(1));
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..1000 {
            let j = jitter(Duration::seconds(100));
            assert!(j >= Duration::seconds(80) && j <= Duration::seconds(120), "{j}");
        }
    }

    #[test]
    fn events_round_trip_through_names_and_bits() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.name()), Some(e));
            assert_eq!(Event::set(e.bit()), vec![e]);
        }
        assert_eq!(Event::set(1 | 8), vec![Event::LeadReceived, Event::LeadConverted]);
    }
}
