//! Cap windows in a campaign's time zone. A daily window starts at local midnight and a monthly one on the 1st at
//! local midnight, whatever the UTC offset does in between (23- and 25-hour days, 30-minute shifts, UTC+14).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Global,
    Daily,
    Monthly,
}

/// The window an instant falls in: a stable key for its counter, and its bounds in UTC (`None`: never resets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// `all`, `2026-03-08` or `2026-03`.
    pub key: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub resets_at: Option<DateTime<Utc>>,
}

/// The first instant of `date` in `tz`: local midnight, or, where a DST gap swallows midnight, the first local time
/// that exists that day.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..(24 * 4) {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The calendar day an instant falls on in `tz`, as `YYYY-MM-DD`: the key of the day's statistics.
pub fn local_day(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).date_naive().format("%Y-%m-%d").to_string()
}

pub fn window(period: Period, tz: Tz, now: DateTime<Utc>) -> Window {
    let local = now.with_timezone(&tz).date_naive();
    match period {
        Period::Global => Window { key: "all".into(), starts_at: None, resets_at: None },
        Period::Daily => {
            let next = local.succ_opt().unwrap_or(local);
            Window {
                key: local.format("%Y-%m-%d").to_string(),
                starts_at: Some(start_of_day(tz, local)),
                resets_at: Some(start_of_day(tz, next)),
            }
        }
        Period::Monthly => {
            let first = local.with_day(1).unwrap_or(local);
            let next = if first.month() == 12 {
                NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
            }
            .unwrap_or(first);
            Window {
                key: local.format("%Y-%m").to_string(),
                starts_at: Some(start_of_day(tz, first)),
                resets_at: Some(start_of_day(tz, next)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    #[test]
    fn new_york_spring_forward_day_has_23_hours() {
        // 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT.
        let w = window(Period::Daily, tz("America/New_York"), utc("2026-03-08T12:00:00Z"));
        assert_eq!(w.key, "2026-03-08");
        assert_eq!(w.starts_at, Some(utc("2026-03-08T05:00:00Z")));
        assert_eq!(w.resets_at, Some(utc("2026-03-09T04:00:00Z")));
        assert_eq!(w.resets_at.zip(w.starts_at).map(|(r, s)| r - s), Some(Duration::hours(23)));
    }

    #[test]
    fn new_york_fall_back_day_has_25_hours() {
        let w = window(Period::Daily, tz("America/New_York"), utc("2026-11-01T12:00:00Z"));
        assert_eq!(w.starts_at, Some(utc("2026-11-01T04:00:00Z")));
        assert_eq!(w.resets_at, Some(utc("2026-11-02T05:00:00Z")));
        // 23:30 local on Oct 31 (EDT) is still the 31st; 00:30 local on Nov 1 is the 1st.
        assert_eq!(window(Period::Daily, tz("America/New_York"), utc("2026-11-01T03:30:00Z")).key, "2026-10-31");
        assert_eq!(window(Period::Daily, tz("America/New_York"), utc("2026-11-01T04:30:00Z")).key, "2026-11-01");
    }

    #[test]
    fn lord_howe_shifts_by_30_minutes() {
        // Australia/Lord_Howe: +10:30 in winter, +11:00 in summer; DST starts 2026-10-04 at 02:00 local.
        let w = window(Period::Daily, tz("Australia/Lord_Howe"), utc("2026-10-04T06:00:00Z"));
        assert_eq!(w.key, "2026-10-04");
        assert_eq!(w.starts_at, Some(utc("2026-10-03T13:30:00Z")));
        assert_eq!(w.resets_at, Some(utc("2026-10-04T13:00:00Z")));
        assert_eq!(w.resets_at.zip(w.starts_at).map(|(r, s)| r - s), Some(Duration::minutes(23 * 60 + 30)));
    }

    #[test]
    fn kiritimati_is_fourteen_hours_ahead() {
        // 2026-11-25T10:00Z is already 2026-11-26 00:00 in Pacific/Kiritimati (UTC+14).
        let w = window(Period::Daily, tz("Pacific/Kiritimati"), utc("2026-11-25T10:00:00Z"));
        assert_eq!(w.key, "2026-11-26");
        assert_eq!(w.starts_at, Some(utc("2026-11-25T10:00:00Z")));
        assert_eq!(window(Period::Daily, tz("Pacific/Kiritimati"), utc("2026-11-25T09:59:59Z")).key, "2026-11-25");
    }

    #[test]
    fn months_end_in_the_local_zone() {
        let ny = tz("America/New_York");
        let w = window(Period::Monthly, ny, utc("2026-03-01T04:59:59Z"));
        assert_eq!(w.key, "2026-02");
        assert_eq!(w.starts_at, Some(utc("2026-02-01T05:00:00Z")));
        assert_eq!(w.resets_at, Some(utc("2026-03-01T05:00:00Z")));
        let dec = window(Period::Monthly, ny, utc("2026-12-31T23:00:00Z"));
        assert_eq!((dec.key.as_str(), dec.resets_at), ("2026-12", Some(utc("2027-01-01T05:00:00Z"))));
        // A leap day belongs to February.
        assert_eq!(window(Period::Daily, Tz::UTC, utc("2028-02-29T12:00:00Z")).key, "2028-02-29");
        assert_eq!(
            window(Period::Monthly, Tz::UTC, utc("2028-02-29T12:00:00Z")).resets_at,
            Some(utc("2028-03-01T00:00:00Z"))
        );
        assert_eq!(window(Period::Global, ny, utc("2026-01-01T00:00:00Z")).resets_at, None);
    }

    #[test]
    fn a_gap_at_midnight_starts_the_day_at_the_first_existing_time() {
        // America/Santiago springs forward at 24:00 -> 01:00: on 2026-09-06 local midnight does not exist.
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap_or_default();
        let start = start_of_day(tz("America/Santiago"), day);
        assert_eq!(
            start.with_timezone(&tz("America/Santiago")).format("%Y-%m-%d %H:%M").to_string(),
            "2026-09-06 01:00"
        );
    }
}
