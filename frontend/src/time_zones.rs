//! IANA time zone names from the browser's own list (`Intl.supportedValuesOf`): nothing to ship.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn intl() -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &"Intl".into()).ok()
}

pub fn all() -> Vec<String> {
    let mut zones: Vec<String> = intl()
        .and_then(|intl| {
            let f = Reflect::get(&intl, &"supportedValuesOf".into()).ok()?.dyn_into::<Function>().ok()?;
            f.call1(&intl, &"timeZone".into()).ok()?.dyn_into::<Array>().ok()
        })
        .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    if !zones.iter().any(|z| z == "UTC") {
        zones.push("UTC".into());
    }
    zones.sort();
    zones
}

/// The zone the browser runs in, e.g. `Europe/Berlin`; `UTC` when it cannot tell.
pub fn browser_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&Array::new(), &js_sys::Object::new()).resolved_options();
    Reflect::get(&options, &"timeZone".into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| "UTC".into())
}
