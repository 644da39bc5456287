//! `{macro}` placeholders in postback URLs and bodies: checked when a postback is saved (an unknown one is named in
//! the error), filled in when it is sent, each value encoded for where it lands.

use std::collections::HashMap;

/// Every macro, in the order the docs list them.
pub const MACROS: [&str; 17] = [
    "lead_id",
    "external_id",
    "click_id",
    "event",
    "status",
    "reason",
    "payout",
    "currency",
    "campaign_id",
    "campaign_name",
    "sub1",
    "sub2",
    "sub3",
    "sub4",
    "sub5",
    "event_time",
    "delivery_id",
];

/// How a value is written where its macro stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Percent-encoded as a URL component (path segment or query value).
    Url,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// The inside of a JSON string.
    Json,
}

/// The macros' values for one event; a missing one is empty.
pub type Values = HashMap<&'static str, String>;

/// The `{name}` placeholders of a template, in order, as (start, end, name).
fn placeholders(template: &str) -> Vec<(usize, usize, &str)> {
    let mut found = Vec::new();
    let bytes = template.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            let rest = &template[i + 1..];
            let len = rest.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            if len > 0 && rest.as_bytes().get(len) == Some(&b'}') {
                found.push((i, i + len + 2, &rest[..len]));
                i += len + 2;
                continue;
            }
        }
        i += 1;
    }
    found
}

/// The first placeholder that is not a known macro.
pub fn unknown(template: &str) -> Option<&str> {
    placeholders(template).into_iter().map(|(_, _, name)| name).find(|name| !MACROS.contains(name))
}

/// `template` with every known macro replaced by its encoded value (unknown ones are left as written).
pub fn render(template: &str, values: &Values, encoding: Encoding) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut last = 0;
    for (start, end, name) in placeholders(template) {
        let Some(known) = MACROS.iter().find(|m| **m == name) else { continue };
        out.push_str(&template[last..start]);
        out.push_str(&encode(values.get(known).map(String::as_str).unwrap_or(""), encoding));
        last = end;
    }
    out.push_str(&template[last..]);
    out
}

fn encode(value: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Url => {
            // RFC 3986 unreserved characters stay; everything else is percent-encoded.
            let mut out = String::with_capacity(value.len());
            for b in value.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
        Encoding::Form => url::form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        Encoding::Json => {
            let quoted = serde_json::Value::String(value.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        }
    }
}

/// The body sent when a POST postback has none of its own: every macro, as a form or a JSON object.
pub fn default_body(values: &Values, encoding: Encoding) -> String {
    match encoding {
        Encoding::Json => {
            let object: serde_json::Map<String, serde_json::Value> = MACROS
                .iter()
                .map(|m| ((*m).to_owned(), serde_json::Value::String(values.get(m).cloned().unwrap_or_default())))
                .collect();
            serde_json::Value::Object(object).to_string()
        }
        Encoding::Url | Encoding::Form => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for m in MACROS {
                form.append_pair(m, values.get(m).map(String::as_str).unwrap_or(""));
            }
            form.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values {
        Values::from([
            ("lead_id", "0193".to_owned()),
            ("sub1", "a b&c=d/é".to_owned()),
            ("reason", "said \"no\"\n".to_owned()),
            ("payout", "12.5".to_owned()),
        ])
    }

    #[test]
    fn values_are_encoded_where_they_land() {
        let v = values();
        assert_eq!(
            render("https://t.example/pb/{lead_id}?s={sub1}&p={payout}&x={click_id}", &v, Encoding::Url),
            "https://t.example/pb/0193?s=a%20b%26c%3Dd%2F%C3%A9&p=12.5&x="
        );
        assert_eq!(render("s={sub1}", &v, Encoding::Form), "s=a+b%26c%3Dd%2F%C3%A9");
        let json = render("{\"why\":\"{reason}\",\"sub\":\"{sub1}\"}", &v, Encoding::Json);
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(parsed["why"], "said \"no\"\n");
        assert_eq!(parsed["sub"], "a b&c=d/é");
    }

    #[test]
    fn unknown_macros_are_named_and_other_braces_left_alone() {
        assert_eq!(unknown("https://t.example/?a={lead_id}&b={payot}"), Some("payot"));
        assert_eq!(unknown("https://t.example/?a={lead_id}&b={}&c={ x }"), None);
        assert_eq!(render("{\"a\": {lead_id}}", &values(), Encoding::Json), "{\"a\": 0193}");
    }

    #[test]
    fn default_bodies_carry_every_macro() {
        let v = values();
        let json: serde_json::Value = serde_json::from_str(&default_body(&v, Encoding::Json)).unwrap_or_default();
        assert_eq!(json.as_object().map(|o| o.len()), Some(MACROS.len()));
        assert_eq!(json["sub1"], "a b&c=d/é");
        let form = default_body(&v, Encoding::Form);
        assert!(form.starts_with("lead_id=0193&external_id=&") && form.contains("sub1=a+b%26c%3Dd%2F%C3%A9"));
    }
}
