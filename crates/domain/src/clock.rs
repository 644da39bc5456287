use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};

/// The source of "now". Production uses the system clock; tests use a manual one they can move,
/// to stand on an expiry, a DST boundary or a month end.
///
/// Times are truncated to microseconds: what PostgreSQL stores, so a value read back equals the one written.
#[derive(Clone)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl Clock {
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(Mutex::new(truncate(start)))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            None => truncate(Utc::now()),
            Some(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Moves a manual clock forward; a system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(t) = &self.0 {
            let mut now = t.lock().unwrap_or_else(PoisonError::into_inner);
            *now = truncate(*now + by);
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            None => f.write_str("Clock::System"),
            Some(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let start = Utc.with_ymd_and_hms(2026, 3, 8, 6, 59, 0).single().unwrap_or_default();
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(2));
        assert_eq!(clock.now(), start + Duration::minutes(2));
    }

    #[test]
    fn system_clock_has_microsecond_precision() {
        let now = Clock::system().now();
        assert_eq!(now.timestamp_subsec_nanos() % 1000, 0);
    }
}
