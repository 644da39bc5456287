//! Failed-login limits, counted in the database so they hold across server processes.

use chrono::Duration;
use partnerdesk_storage::entities::login_throttle;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};

use crate::{Error, Result, Services};

/// How many failed logins are allowed per account and per client address within one window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: i32,
    pub per_address: i32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self { per_account: 5, per_address: 30, window: Duration::minutes(15) }
    }
}

/// The counters a login attempt touches, each with its limit.
pub(crate) fn keys(limits: &LoginLimits, email: &str, address: Option<&str>) -> Vec<(String, i32)> {
    let mut keys = vec![(format!("account:{email}"), limits.per_account)];
    if let Some(a) = address {
        keys.push((format!("address:{a}"), limits.per_address));
    }
    keys
}

/// `RATE_LIMITED` when any counter has reached its limit in the current window.
pub(crate) async fn check(s: &Services, keys: &[(String, i32)]) -> Result<()> {
    let now = s.clock.now();
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.iter().map(|(k, _)| k.clone())))
        .all(&s.db)
        .await?;
    for row in rows {
        let limit = keys.iter().find(|(k, _)| *k == row.key).map_or(i32::MAX, |(_, l)| *l);
        let window_end = row.window_started_at + s.login_limits.window;
        if row.failures >= limit && window_end > now {
            return Err(Error::RateLimited { retry_after_secs: (window_end - now).num_seconds().max(1) });
        }
    }
    Ok(())
}

/// Counts one failure on every key, atomically: a counter whose window has passed starts again at 1.
pub(crate) async fn record_failure(s: &Services, keys: &[(String, i32)]) -> Result<()> {
    let now = s.clock.now();
    let window_start = now - s.login_limits.window;
    let sql = "INSERT INTO login_throttles (key, failures, window_started_at) VALUES ($1, 1, $2) \
               ON CONFLICT (key) DO UPDATE SET \
                 failures = CASE WHEN login_throttles.window_started_at <= $3 THEN 1 \
                                 ELSE login_throttles.failures + 1 END, \
                 window_started_at = CASE WHEN login_throttles.window_started_at <= $3 THEN $2 \
                                          ELSE login_throttles.window_started_at END";
    for (key, _) in keys {
        s.db.execute_raw(Statement::from_sql_and_values(
            s.db.get_database_backend(),
            sql,
            [key.clone().into(), now.into(), window_start.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A successful login clears the account's counter (the address keeps its count).
pub(crate) async fn clear(s: &Services, key: &str) -> Result<()> {
    login_throttle::Entity::delete_many().filter(login_throttle::Column::Key.eq(key)).exec(&s.db).await?;
    Ok(())
}
