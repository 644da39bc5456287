//! How values read on screen.

use crate::api::CapData;

// One convention across the app (issue 18): dates, times and numbers as the browser's locale writes them (the same
// order as its date inputs), months by name so a day is never mistaken for a month, and the zone named beside every
// time.

/// `Intl` options from pairs.
fn options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let options = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&options, &(*k).into(), &(*v).into());
    }
    options
}

/// An instant or a calendar day, in the browser's locale and `pairs`; the text as it came when it is neither.
fn localized(value: &str, pairs: &[(&str, &str)]) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value));
    if d.get_time().is_nan() {
        return value.to_owned();
    }
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options(pairs));
    format
        .format()
        .call1(&wasm_bindgen::JsValue::NULL, &d)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| value.to_owned())
}

/// The day of an instant in the viewer's zone ("Dec 1, 2026"), or a calendar day as it is ("2026-12-01").
pub fn date(value: &str) -> String {
    let day = [("year", "numeric"), ("month", "short"), ("day", "numeric")];
    if value.len() == 10 {
        return localized(value, &[day.as_slice(), &[("timeZone", "UTC")]].concat());
    }
    localized(value, &day)
}

/// An instant in the viewer's zone, named: "Dec 1, 2026, 14:05 GMT+1".
pub fn date_time(rfc3339: &str) -> String {
    localized(
        rfc3339,
        &[
            ("year", "numeric"),
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("hourCycle", "h23"),
            ("timeZoneName", "short"),
        ],
    )
}

/// Digits after the point in a currency's minor unit (ISO 4217): none for the yen or the won, 3 for the dinars.
fn minor_units(currency: &str) -> usize {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A decimal rounded half away from zero to `digits` places, exactly, digit by digit ("16.1333", 2 -> "16.13";
/// "3.525" -> "3.53"; "9.995" -> "10.00").
pub fn round_decimal(amount: &str, digits: usize) -> Option<String> {
    let trimmed = amount.trim();
    let (negative, unsigned) = trimmed.strip_prefix('-').map_or((false, trimmed), |rest| (true, rest));
    let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut kept: Vec<u8> = whole.bytes().chain(frac.bytes().chain(std::iter::repeat(b'0')).take(digits)).collect();
    if frac.as_bytes().get(digits).is_some_and(|d| *d >= b'5') {
        // One more in the last kept place, carried leftwards.
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let zero = kept.iter().all(|d| *d == b'0');
    let text = String::from_utf8(kept).ok()?;
    let (w, f) = text.split_at(text.len() - digits);
    let w = match w.trim_start_matches('0') {
        "" => "0",
        w => w,
    };
    let sign = if negative && !zero { "-" } else { "" };
    Some(if digits == 0 { format!("{sign}{w}") } else { format!("{sign}{w}.{f}") })
}

/// A number as the browser's locale writes it, with `digits` places and `style` (`decimal` or `percent`).
fn number(value: &wasm_bindgen::JsValue, digits: usize, style: &str) -> Option<String> {
    let digits = digits.to_string();
    let format = js_sys::Intl::NumberFormat::new(
        &js_sys::Array::new(),
        &options(&[("style", style), ("minimumFractionDigits", &digits), ("maximumFractionDigits", &digits)]),
    );
    format.format().call1(&wasm_bindgen::JsValue::NULL, value).ok().and_then(|v| v.as_string())
}

/// A decimal grouped as the browser's locale writes numbers, with `digits` places ("1,234.50").
fn grouped(decimal: &str, digits: usize) -> String {
    // A string is formatted as the exact decimal it spells (Intl.NumberFormat v3), never through a float.
    number(&wasm_bindgen::JsValue::from_str(decimal), digits, "decimal").unwrap_or_else(|| decimal.to_owned())
}

/// A share (0.125) as the browser's locale writes a percentage, with `digits` places ("12.5%"; in German "12,5 %").
/// The browser formats it: the app carries no float formatting of its own.
pub fn percent(share: f64, digits: usize) -> String {
    number(&wasm_bindgen::JsValue::from_f64(share), digits, "percent").unwrap_or_default()
}

/// A number (not an amount of money) with one place, as the browser's locale writes it ("3.5").
pub fn tenths(value: f64) -> String {
    number(&wasm_bindgen::JsValue::from_f64(value), 1, "decimal").unwrap_or_default()
}

/// A drawing coordinate to a tenth ("12.3"): integer arithmetic, so that no float formatting code is needed.
pub fn coordinate(value: f64) -> String {
    let tenths = (value * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}", (tenths / 10).abs(), (tenths % 10).abs())
}

/// An amount in its currency's own minor units, e.g. "16.13 GBP" for 16.1333 (the API and CSV keep the exact value).
pub fn money(amount: &str, currency: &str) -> String {
    let digits = minor_units(currency);
    match round_decimal(amount, digits) {
        Some(rounded) => format!("{} {currency}", grouped(&rounded, digits)),
        None => format!("{amount} {currency}"),
    }
}

/// A price set by the owner (a payout per click, form or call): the currency's minor units, or as many places as
/// it was set with (up to 4), so "0.0125 USD" is not shown as "0.01 USD".
pub fn price(amount: &str, currency: &str) -> String {
    let set = amount.split_once('.').map_or(0, |(_, f)| f.trim_end_matches('0').len());
    let digits = set.clamp(minor_units(currency), 4);
    match round_decimal(amount, digits) {
        Some(rounded) => format!("{} {currency}", grouped(&rounded, digits)),
        None => format!("{amount} {currency}"),
    }
}

/// A count as the browser's locale writes it ("12,345").
pub fn count(n: i64) -> String {
    grouped(&n.to_string(), 0)
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
    localized(
        rfc3339,
        &[
            ("timeZone", time_zone),
            ("month", "short"),
            ("day", "numeric"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("hourCycle", "h23"),
        ],
    )
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
