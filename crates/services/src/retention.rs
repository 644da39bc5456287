//! What is not kept forever: raw clicks after the retention period (their figures stay in the rollups), idempotency
//! keys after 48 hours, expired sessions and finished login-limit windows, postback and webhook deliveries finished, attempts
//! logged and organization events recorded more than 90 days ago, duplicate claims whose window is over. Run by each process's hourly housekeeping;
//! deletes in small batches, so a backlog never holds long locks.

use chrono::{DateTime, Duration, Utc};
use partnerdesk_storage::entities::{
    click, delivery, delivery_attempt, idempotency_key, login_throttle, refresh_token,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::Result;

/// Raw clicks kept by default (`CLICK_RETENTION_DAYS`).
pub const DEFAULT_CLICK_RETENTION_DAYS: i64 = 90;
/// Idempotency keys are kept at least 24 hours and at most this long.
const IDEMPOTENCY_TTL: Duration = Duration::hours(48);
/// How long postback delivery logs are kept.
pub const DELIVERY_LOG_DAYS: i64 = 90;
/// Rows deleted per statement.
pub const BATCH: u64 = 2_000;

/// How many rows each kind lost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub clicks: u64,
    pub idempotency_keys: u64,
    pub refresh_tokens: u64,
    pub login_windows: u64,
    pub delivery_attempts: u64,
    /// Organization events (what webhooks carry besides leads' steps).
    pub events: u64,
    /// Duplicate claims whose window is over.
    pub fingerprints: u64,
}

/// The smallest UUIDv7 of the millisecond `at`: every id generated before `at` sorts below it (ids are UUIDv7, so
/// the primary key doubles as a time index).
pub fn first_id_at(at: DateTime<Utc>) -> Uuid {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    bytes[6] = 0x70;
    bytes[8] = 0x80;
    Uuid::from_bytes(bytes)
}

/// A new UUIDv7 for an event at `at` (the service clock's time, so that ids sort by it).
pub fn id_at(at: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(at.timestamp()).unwrap_or(0);
    Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, at.timestamp_subsec_nanos()))
}

/// The oldest instant whose raw clicks are still kept.
pub fn click_horizon(now: DateTime<Utc>, retention: Duration) -> DateTime<Utc> {
    now - retention
}

/// Deletes what is past its time (see the module comment).
pub async fn prune(db: &DatabaseConnection, now: DateTime<Utc>, click_retention: Duration) -> Result<Pruned> {
    let mut pruned = Pruned::default();
    let before = first_id_at(click_horizon(now, click_retention));
    loop {
        let ids: Vec<Uuid> = click::Entity::find()
            .select_only()
            .column(click::Column::Id)
            .filter(click::Column::Id.lt(before))
            .order_by_asc(click::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            break;
        }
        let n = ids.len() as u64;
        pruned.clicks +=
            click::Entity::delete_many().filter(click::Column::Id.is_in(ids)).exec(db).await?.rows_affected;
        if n < BATCH {
            break;
        }
        tokio::task::yield_now().await;
    }
    pruned.idempotency_keys = idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(now - IDEMPOTENCY_TTL))
        .exec(db)
        .await?
        .rows_affected;
    pruned.refresh_tokens = refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected;
    // A day is longer than any login-limit window: such a counter no longer limits anything.
    pruned.login_windows = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lt(now - Duration::days(1)))
        .exec(db)
        .await?
        .rows_affected;
    let log_horizon = now - Duration::days(DELIVERY_LOG_DAYS);
    pruned.delivery_attempts = delivery_attempt::Entity::delete_many()
        .filter(delivery_attempt::Column::CreatedAt.lt(log_horizon))
        .exec(db)
        .await?
        .rows_affected;
    delivery::Entity::delete_many().filter(delivery::Column::FinishedAt.lt(log_horizon)).exec(db).await?;
    // Tables the application writes with statements of its own (no entity): `DELETE .. WHERE <column> < $1`.
    let before = |sql: &'static str, at: DateTime<Utc>| {
        db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(), sql, [at.into()]))
    };
    pruned.events = before("DELETE FROM events WHERE created_at < $1", log_horizon).await?.rows_affected();
    pruned.fingerprints = before("DELETE FROM lead_fingerprints WHERE expires_at < $1", now).await?.rows_affected();
    Ok(pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_id_of_a_millisecond_sorts_below_every_later_id_and_above_earlier_ones() {
        let now = Utc::now();
        let bound = first_id_at(now);
        assert_eq!(bound.get_version_num(), 7);
        let later = id_at(now);
        assert!(bound <= later && later < first_id_at(now + Duration::milliseconds(1)));
        let earlier = first_id_at(now - Duration::milliseconds(1));
        assert!(earlier < bound);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, 1_700_000_000, 0);
        assert!(Uuid::new_v7(ts) >= first_id_at(DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()));
        assert!(Uuid::new_v7(ts) < first_id_at(DateTime::from_timestamp(1_700_000_000, 1_000_000).unwrap_or_default()));
    }
}
