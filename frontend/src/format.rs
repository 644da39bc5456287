//! How values read on screen.

use crate::api::CapData;

pub fn date(rfc3339: &str) -> String {
    rfc3339.chars().take(10).collect()
}

pub fn date_time(rfc3339: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    String::from(d.to_locale_string("en-GB", &wasm_bindgen::JsValue::UNDEFINED))
}

pub fn metric_label(metric: &str) -> &'static str {
    match metric {
        "CLICK" => "Clicks",
        "FORM" => "Forms",
        "CALL" => "Calls",
        _ => "Events",
    }
}

pub fn window_label(window: &str) -> &'static str {
    match window {
        "GLOBAL" => "Global",
        "DAILY" => "Daily",
        "MONTHLY" => "Monthly",
        _ => "",
    }
}

/// "Forms: 50 / day, America/New_York"; global caps need no zone.
pub fn cap_line(cap: &CapData, time_zone: Option<&str>) -> String {
    let what = metric_label(&cap.metric);
    match (cap.window.as_str(), time_zone) {
        ("DAILY", Some(tz)) => format!("{what}: {} / day, {tz}", cap.limit),
        ("MONTHLY", Some(tz)) => format!("{what}: {} / month, {tz}", cap.limit),
        ("DAILY", None) => format!("{what}: {} / day", cap.limit),
        ("MONTHLY", None) => format!("{what}: {} / month", cap.limit),
        _ => format!("{what}: {} in total", cap.limit),
    }
}

pub fn partner_status_label(status: &str) -> &'static str {
    match status {
        "INVITED" => "Invited",
        "ACTIVE" => "Active",
        "PAUSED" => "Paused",
        "REVOKED" => "Revoked",
        _ => "Unknown",
    }
}

/// An instant shown in a time zone, e.g. "Nov 26, 00:00" in America/New_York.
pub fn in_zone(rfc3339: &str, time_zone: &str) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    let options = js_sys::Object::new();
    for (k, v) in [
        ("timeZone", time_zone),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("hourCycle", "h23"),
    ] {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    }
    String::from(d.to_locale_string("en-US", &options))
}

pub fn lead_status_label(status: &str) -> &'static str {
    match status {
        "RECEIVED" => "Received",
        "APPROVED" => "Approved",
        "REJECTED" => "Rejected",
        "CONVERTED" => "Converted",
        "RETURNED" => "Returned",
        _ => "Unknown",
    }
}

/// "today", "this month" or "in total" for a cap window.
pub fn window_phrase(window: &str) -> &'static str {
    match window {
        "DAILY" => "today",
        "MONTHLY" => "this month",
        _ => "in total",
    }
}
