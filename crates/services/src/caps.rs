//! Exact caps. A cap is checked and counted in the statement that increments its window's counter, inside the
//! transaction that records the event: the counter row is locked until commit, so however many processes run, at
//! most `limit` events are ever counted in a window, and a rejected attempt changes nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use partnerdesk_domain::windows::{self, Window};
use partnerdesk_storage::entities::cap::{self, Metric, Period};
use partnerdesk_storage::entities::cap_counter;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, Statement};
use uuid::Uuid;

use crate::partners::{metric_name, period_name};
use crate::{Error, Result, Services};

fn domain_period(p: Period) -> windows::Period {
    match p {
        Period::Global => windows::Period::Global,
        Period::Daily => windows::Period::Daily,
        Period::Monthly => windows::Period::Monthly,
    }
}

pub fn window_of(period: Period, tz: Tz, now: DateTime<Utc>) -> Window {
    windows::window(domain_period(period), tz, now)
}

pub fn time_zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The statement that counts one event in `c`'s current window, returning a row only when the cap had room, and
/// the `CAP_REACHED` error to answer when it returns none: a guarded write of a [`crate::db::Batch`] ([`count_in`]).
pub fn counter(backend: DbBackend, c: &cap::Model, tz: Tz, now: DateTime<Utc>) -> (Statement, Error) {
    let w = window_of(c.period, tz, now);
    let statement = Statement::from_sql_and_values(
        backend,
        "INSERT INTO cap_counters (assignment_id, metric, period, window_key, used) VALUES ($1, $2, $3, $4, 1) \
         ON CONFLICT (assignment_id, metric, period, window_key) \
         DO UPDATE SET used = cap_counters.used + 1 WHERE cap_counters.used < $5 RETURNING used",
        [
            c.assignment_id.into(),
            metric_name(c.metric).into(),
            period_name(c.period).into(),
            w.key.clone().into(),
            c.limit_count.into(),
        ],
    );
    let full = Error::CapReached {
        metric: metric_name(c.metric),
        window: period_name(c.period),
        limit: c.limit_count,
        resets_at: w.resets_at,
    };
    (statement, full)
}

/// Counts one event against every cap in `batch`: each counter is guarded with `first_guard` plus its position in
/// the returned list, the `CAP_REACHED` error to answer when that cap is full; an event that takes a cap's last unit writes
/// `cap.reached` for the organization's webhooks. `owner` is (organization, campaign, partner).
pub fn count_in(
    batch: &mut crate::db::Batch,
    backend: DbBackend,
    caps: &[cap::Model],
    owner: (Uuid, Uuid, Uuid),
    first_guard: usize,
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<Error> {
    let mut full = Vec::with_capacity(caps.len());
    for c in caps {
        let (statement, error) = counter(backend, c, tz, now);
        let resets_at = match &error {
            Error::CapReached { resets_at, .. } => *resets_at,
            _ => None,
        };
        let at = batch.push_guarded(statement, first_guard + full.len());
        crate::delivery::webhooks::on_cap_filled(batch, backend, at, c, owner, resets_at, now);
        full.push(error);
    }
    full
}

/// How much of a cap is used in its current window.
#[derive(Debug, Clone)]
pub struct Usage {
    pub cap: cap::Model,
    pub used: i64,
    pub resets_at: Option<DateTime<Utc>>,
}

impl Usage {
    pub fn remaining(&self) -> i64 {
        (self.cap.limit_count - self.used).max(0)
    }
}

/// Usage of every cap of the given assignments (each with its campaign's time zone), in one query.
pub async fn usage(s: &Services, caps: &[(cap::Model, Tz)]) -> Result<Vec<Usage>> {
    let now = s.clock.now();
    let windows: Vec<Window> = caps.iter().map(|(c, tz)| window_of(c.period, *tz, now)).collect();
    let ids: Vec<Uuid> = caps.iter().map(|(c, _)| c.assignment_id).collect();
    let counters: HashMap<(Uuid, Metric, Period, String), i64> = cap_counter::Entity::find()
        .filter(cap_counter::Column::AssignmentId.is_in(ids))
        .filter(cap_counter::Column::WindowKey.is_in(windows.iter().map(|w| w.key.clone())))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| ((c.assignment_id, c.metric, c.period, c.window_key), c.used))
        .collect();
    Ok(caps
        .iter()
        .zip(windows)
        .map(|((c, _), w)| Usage {
            used: counters.get(&(c.assignment_id, c.metric, c.period, w.key.clone())).copied().unwrap_or(0),
            cap: c.clone(),
            resets_at: w.resets_at,
        })
        .collect())
}
