//! IANA time zone names from the browser's own list (`Intl.supportedValuesOf`): nothing to ship.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn intl() -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &"Intl".into()).ok()
}

/// Zones ICU (and so Chromium) still lists under their old names, with today's IANA names.
const RENAMED: [(&str, &str); 12] = [
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Asia/Katmandu", "Asia/Kathmandu"),
    ("Asia/Rangoon", "Asia/Yangon"),
    ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("Atlantic/Faeroe", "Atlantic/Faroe"),
    ("America/Godthab", "America/Nuuk"),
    ("Pacific/Truk", "Pacific/Chuuk"),
    ("Pacific/Ponape", "Pacific/Pohnpei"),
    ("Pacific/Enderbury", "Pacific/Kanton"),
    ("Africa/Asmera", "Africa/Asmara"),
    ("Asia/Ulan_Bator", "Asia/Ulaanbaatar"),
];

fn current_name(zone: String) -> String {
    RENAMED.iter().find(|(old, _)| *old == zone).map(|(_, new)| (*new).to_owned()).unwrap_or(zone)
}

pub fn all() -> Vec<String> {
    let mut zones: Vec<String> = intl()
        .and_then(|intl| {
            let f = Reflect::get(&intl, &"supportedValuesOf".into()).ok()?.dyn_into::<Function>().ok()?;
            f.call1(&intl, &"timeZone".into()).ok()?.dyn_into::<Array>().ok()
        })
        .map(|a| a.iter().filter_map(|v| v.as_string()).map(current_name).collect())
        .unwrap_or_default();
    if !zones.iter().any(|z| z == "UTC") {
        zones.push("UTC".into());
    }
    zones.sort();
    zones.dedup();
    zones
}

/// The zone the browser runs in, e.g. `Europe/Berlin`; `UTC` when it cannot tell.
pub fn browser_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&Array::new(), &js_sys::Object::new()).resolved_options();
    Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .map(current_name)
        .unwrap_or_else(|| "UTC".into())
}
