//! A campaign's lead fields: what each type accepts, and how a value is normalised before it is stored (and before
//! it is matched for duplicates): email lower-case, phone E.164, ZIP five digits, state and country upper-case,
//! enum values as declared, numbers and dates in one notation.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Email, HttpUrl, Invalid};

/// The most fields a campaign declares.
pub const MAX_FIELDS: usize = 50;
/// The longest value of any field, whatever its declared length.
pub const MAX_VALUE_CHARS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Email,
    Phone,
    UsZip,
    UsState,
    /// ISO 3166-1 alpha-2.
    Country,
    Integer,
    Decimal,
    /// `YYYY-MM-DD`.
    Date,
    Boolean,
    /// One of the declared values.
    Enum,
    Url,
    /// The version of the consent text the consumer agreed to.
    ConsentVersion,
    /// The consent certificate's URL (TrustedForm, Jornaya): `https` only.
    ConsentProof,
}

impl FieldType {
    /// Whether `maxLength` applies (the type is free text of some shape).
    pub fn has_length(self) -> bool {
        matches!(self, Self::Text | Self::Email | Self::Url | Self::ConsentVersion | Self::ConsentProof)
    }

    fn default_max(self) -> usize {
        match self {
            Self::Email => 254,
            Self::Url | Self::ConsentProof => 2048,
            Self::ConsentVersion => 64,
            _ => 255,
        }
    }

    /// How a partner should send it, for the posting instructions.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Email => "email address (stored lower-case)",
            Self::Phone => {
                "phone number, international (+44 20 7946 0958) or national in the campaign's country; stored as E.164"
            }
            Self::UsZip => "US ZIP code, 5 digits or ZIP+4 (stored as 5 digits)",
            Self::UsState => "US state or territory, 2-letter code",
            Self::Country => "country, ISO 3166-1 alpha-2 code",
            Self::Integer => "whole number",
            Self::Decimal => "decimal number (send as a string to keep every digit)",
            Self::Date => "date, YYYY-MM-DD",
            Self::Boolean => "true or false",
            Self::Enum => "one of the listed values",
            Self::Url => "http or https URL",
            Self::ConsentVersion => "version of the consent text the consumer agreed to",
            Self::ConsentProof => "https URL of the consent certificate (TrustedForm, Jornaya)",
        }
    }
}

/// One field a campaign's leads carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSpec {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// The allowed values of an `enum`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Why one field of a lead was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// `REQUIRED`, `INVALID`, `TOO_LONG`, `NOT_ALLOWED` (not one of an enum's values) or `UNKNOWN_FIELD`.
    pub code: &'static str,
    pub message: String,
}

/// What happens to a lead's fields the campaign does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownFields {
    Keep,
    Refuse,
}

impl FieldSpec {
    /// Checks a field as an owner declares it.
    pub fn check(&self) -> Result<(), Invalid> {
        let key_ok = self.key.len() <= 64
            && self.key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && self.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return Err(Invalid::new(format!(
                "\"{}\" is not a field key: 1 to 64 letters, digits and _, starting with a letter.",
                self.key
            )));
        }
        if self.label.trim().is_empty() || self.label.chars().count() > 100 {
            return Err(Invalid::new(format!("The label of {} has 1 to 100 characters.", self.key)));
        }
        if let Some(max) = self.max_length {
            if !self.kind.has_length() {
                return Err(Invalid::new(format!("{} is not text: it takes no maximum length.", self.key)));
            }
            if max == 0 || max as usize > MAX_VALUE_CHARS {
                return Err(Invalid::new(format!("The maximum length of {} is 1 to {MAX_VALUE_CHARS}.", self.key)));
            }
        }
        match self.kind {
            FieldType::Enum => {
                if self.values.is_empty() || self.values.len() > 100 {
                    return Err(Invalid::new(format!("The enum {} lists 1 to 100 values.", self.key)));
                }
                if self.values.iter().any(|v| v.trim().is_empty() || v.chars().count() > 100) {
                    return Err(Invalid::new(format!("Each value of {} has 1 to 100 characters.", self.key)));
                }
                let mut seen = std::collections::HashSet::new();
                if let Some(v) = self.values.iter().find(|v| !seen.insert(v.trim().to_lowercase())) {
                    return Err(Invalid::new(format!("{} lists \"{v}\" twice.", self.key)));
                }
            }
            _ if !self.values.is_empty() => {
                return Err(Invalid::new(format!("Only an enum lists values; {} is not one.", self.key)));
            }
            _ => {}
        }
        Ok(())
    }

    fn error(&self, code: &'static str, message: String) -> FieldError {
        FieldError { field: self.key.clone(), code, message }
    }

    /// The value as stored, or why it is refused. `phone_country` reads national phone numbers.
    pub fn normalize(&self, value: &Value, phone_country: &str) -> Result<Value, FieldError> {
        let label = &self.label;
        let invalid = |what: &str| self.error("INVALID", format!("{label} must be {what}."));
        let text = match value {
            Value::String(s) => s.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(invalid(self.kind.describe())),
        };
        if text.chars().count() > MAX_VALUE_CHARS {
            return Err(self.error("TOO_LONG", format!("{label} has at most {MAX_VALUE_CHARS} characters.")));
        }
        if self.kind.has_length() {
            let max = self.max_length.map_or(self.kind.default_max(), |m| m as usize);
            if text.chars().count() > max {
                return Err(self.error("TOO_LONG", format!("{label} has at most {max} characters.")));
            }
        }
        Ok(match self.kind {
            FieldType::Text | FieldType::ConsentVersion => Value::String(text),
            FieldType::Email => {
                Value::String(Email::parse(&text).map_err(|_| invalid("an email address"))?.as_str().to_owned())
            }
            FieldType::Phone => Value::String(phone(&text, phone_country).map_err(&invalid)?),
            FieldType::UsZip => {
                let zip = match value {
                    // A number lost its leading zeros.
                    Value::Number(n) if n.as_u64().is_some_and(|n| n < 100_000) => {
                        format!("{:05}", n.as_u64().unwrap_or(0))
                    }
                    _ => text.clone(),
                };
                let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
                let five = match zip.len() {
                    _ if !zip.is_ascii() => None,
                    5 => Some(zip.as_str()),
                    9 if digits(&zip) => Some(&zip[..5]),
                    10 if zip.as_bytes()[5] == b'-' && digits(&zip[6..]) => Some(&zip[..5]),
                    _ => None,
                };
                match five.filter(|f| digits(f)) {
                    Some(f) => Value::String(f.to_owned()),
                    None => return Err(invalid("a US ZIP code: 5 digits, or ZIP+4 such as 02134-1234")),
                }
            }
            FieldType::UsState => {
                let s = text.to_ascii_uppercase();
                if !US_STATES.split(' ').any(|c| c == s) {
                    return Err(invalid("a US state or territory code such as NY"));
                }
                Value::String(s)
            }
            FieldType::Country => {
                let s = text.to_ascii_uppercase();
                if !is_country(&s) {
                    return Err(invalid("an ISO 3166-1 alpha-2 country code such as US or GB"));
                }
                Value::String(s)
            }
            FieldType::Integer => {
                let n = match value {
                    Value::Number(n) => n.as_i64(),
                    _ => text.parse::<i64>().ok(),
                };
                Value::from(n.ok_or_else(|| invalid("a whole number"))?)
            }
            FieldType::Decimal => {
                let d = Decimal::from_str_exact(&text)
                    .or_else(|_| Decimal::from_scientific(&text))
                    .map_err(|_| invalid("a decimal number such as 1250.50"))?;
                Value::String(d.normalize().to_string())
            }
            FieldType::Date => {
                let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
                match NaiveDate::from_str(&text).ok().filter(|_| shaped) {
                    Some(d) => Value::String(d.format("%Y-%m-%d").to_string()),
                    None => return Err(invalid("a date as YYYY-MM-DD that exists")),
                }
            }
            FieldType::Boolean => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Value::Bool(true),
                "false" | "no" | "n" | "0" => Value::Bool(false),
                _ => return Err(invalid("true or false")),
            },
            FieldType::Enum => match self.values.iter().find(|v| v.trim().eq_ignore_ascii_case(&text)) {
                Some(v) => Value::String(v.trim().to_owned()),
                None => {
                    return Err(
                        self.error("NOT_ALLOWED", format!("{label} must be one of: {}.", self.values.join(", ")))
                    );
                }
            },
            FieldType::Url | FieldType::ConsentProof => {
                let url = HttpUrl::parse(&text).map_err(|_| invalid("an http or https URL"))?;
                if self.kind == FieldType::ConsentProof && !url.as_str().starts_with("https://") {
                    return Err(invalid("the https URL of a consent certificate (TrustedForm, Jornaya)"));
                }
                Value::String(url.as_str().to_owned())
            }
        })
    }

    /// A valid example value, for the posting instructions.
    pub fn example(&self) -> Value {
        let s = |v: &str| Value::String(v.to_owned());
        match self.kind {
            FieldType::Text => s("Ann Lee"),
            FieldType::Email => s("ann.lee@example.com"),
            FieldType::Phone => s("+12125550100"),
            FieldType::UsZip => s("02134"),
            FieldType::UsState => s("NY"),
            FieldType::Country => s("US"),
            FieldType::Integer => Value::from(42),
            FieldType::Decimal => s("1250.50"),
            FieldType::Date => s("1980-02-29"),
            FieldType::Boolean => Value::Bool(true),
            FieldType::Enum => s(self.values.first().map_or("", |v| v.as_str())),
            FieldType::Url => s("https://example.com/landing"),
            FieldType::ConsentVersion => s("2026-01"),
            FieldType::ConsentProof => s("https://cert.trustedform.com/0123456789abcdef0123456789abcdef01234567"),
        }
    }
}

/// A lead's fields checked against the campaign's: every declared one normalised, missing required ones and bad
/// values reported together (in the declared order, then unknown fields), undeclared ones kept or refused.
pub fn check_lead(
    specs: &[FieldSpec],
    unknown: UnknownFields,
    fields: &Map<String, Value>,
    phone_country: &str,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for spec in specs {
        let value = fields.get(&spec.key).filter(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            _ => true,
        });
        match value {
            None if spec.required => errors.push(FieldError {
                field: spec.key.clone(),
                code: "REQUIRED",
                message: format!("{} is required.", spec.label),
            }),
            None => {}
            Some(v) => match spec.normalize(v, phone_country) {
                Ok(n) => {
                    out.insert(spec.key.clone(), n);
                }
                Err(e) => errors.push(e),
            },
        }
    }
    for (k, v) in fields {
        if specs.iter().any(|s| &s.key == k) {
            continue;
        }
        match unknown {
            UnknownFields::Keep => {
                out.insert(k.clone(), v.clone());
            }
            UnknownFields::Refuse => errors.push(FieldError {
                field: k.clone(),
                code: "UNKNOWN_FIELD",
                message: format!("This campaign takes no field \"{k}\"."),
            }),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Calling codes of the countries whose national numbers are understood (a campaign's phone country is one of them).
const CALLING_CODES: &[(&str, &str)] = &[
    ("US", "1"),
    ("CA", "1"),
    ("PR", "1"),
    ("GB", "44"),
    ("IE", "353"),
    ("AU", "61"),
    ("NZ", "64"),
    ("DE", "49"),
    ("FR", "33"),
    ("ES", "34"),
    ("IT", "39"),
    ("NL", "31"),
    ("BE", "32"),
    ("CH", "41"),
    ("AT", "43"),
    ("SE", "46"),
    ("NO", "47"),
    ("DK", "45"),
    ("FI", "358"),
    ("PL", "48"),
    ("PT", "351"),
    ("CZ", "420"),
    ("GR", "30"),
    ("RO", "40"),
    ("HU", "36"),
    ("UA", "380"),
    ("TR", "90"),
    ("IL", "972"),
    ("AE", "971"),
    ("SA", "966"),
    ("ZA", "27"),
    ("NG", "234"),
    ("KE", "254"),
    ("MX", "52"),
    ("BR", "55"),
    ("AR", "54"),
    ("CO", "57"),
    ("CL", "56"),
    ("PE", "51"),
    ("IN", "91"),
    ("PH", "63"),
    ("SG", "65"),
    ("MY", "60"),
    ("ID", "62"),
    ("TH", "66"),
    ("VN", "84"),
    ("JP", "81"),
    ("KR", "82"),
    ("CN", "86"),
    ("HK", "852"),
    ("TW", "886"),
];

/// Whether national phone numbers of `country` (ISO alpha-2) are understood.
pub fn is_phone_country(country: &str) -> bool {
    CALLING_CODES.iter().any(|(c, _)| *c == country)
}

/// A phone number as E.164 (`+12125550100`): international with `+` (or `00`, `011` from North America), or national
/// in `country`. North American numbers are checked against the numbering plan.
pub fn phone(raw: &str, country: &str) -> Result<String, &'static str> {
    const WHAT: &str = "a phone number such as +1 212 555 0100";
    let s = raw.trim();
    if s.is_empty()
        || !s.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || " -.()/".contains(c) || (c == '+' && i == 0))
    {
        return Err(WHAT);
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let code = CALLING_CODES.iter().find(|(c, _)| *c == country).map_or("1", |(_, code)| code);
    let e164 = if s.starts_with('+') {
        digits
    } else if code == "1" && digits.starts_with("011") {
        digits[3..].to_owned()
    } else if code != "1" && digits.starts_with("00") {
        digits[2..].to_owned()
    } else if code == "1" {
        match digits.len() {
            10 => format!("1{digits}"),
            11 if digits.starts_with('1') => digits,
            _ => return Err(WHAT),
        }
    } else {
        // The trunk prefix 0 is dropped, except in Italy where it is part of the number.
        let national = if country == "IT" { digits.as_str() } else { digits.strip_prefix('0').unwrap_or(&digits) };
        format!("{code}{national}")
    };
    if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
        return Err(WHAT);
    }
    if let Some(nanp) = e164.strip_prefix('1') {
        let b = nanp.as_bytes();
        if b.len() != 10 || !(b'2'..=b'9').contains(&b[0]) || !(b'2'..=b'9').contains(&b[3]) {
            return Err("a North American number: area code and exchange start with 2 to 9, 10 digits in all");
        }
    }
    Ok(format!("+{e164}"))
}

/// US states, the District of Columbia, territories and military post codes.
const US_STATES: &str = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ \
    NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI UM AA AE AP";

/// ISO 3166-1 alpha-2, every officially assigned code.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES \
    ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO \
    IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK \
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR \
    PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK \
    TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

pub fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(kind: FieldType) -> FieldSpec {
        FieldSpec { key: "f".into(), label: "F".into(), kind, required: true, max_length: None, values: vec![] }
    }

    fn norm(kind: FieldType, v: Value) -> Result<Value, &'static str> {
        spec(kind).normalize(&v, "US").map_err(|e| e.code)
    }

    #[test]
    fn every_type_normalises_good_values_and_refuses_bad_ones() {
        use FieldType::*;
        let table: &[(FieldType, Value, Result<Value, &str>)] = &[
            (Text, json!("  Ann Lee "), Ok(json!("Ann Lee"))),
            (Text, json!(42), Ok(json!("42"))),
            (Text, json!("x".repeat(256)), Err("TOO_LONG")),
            (Text, json!({"a": 1}), Err("INVALID")),
            (Email, json!(" Ann.Lee@Example.COM "), Ok(json!("ann.lee@example.com"))),
            (Email, json!("ann@"), Err("INVALID")),
            (Phone, json!("+1 (212) 555-0100"), Ok(json!("+12125550100"))),
            (Phone, json!("(212) 555-0100"), Ok(json!("+12125550100"))),
            (Phone, json!("1-212-555-0100"), Ok(json!("+12125550100"))),
            (Phone, json!(2125550100_i64), Ok(json!("+12125550100"))),
            (Phone, json!("011 44 20 7946 0958"), Ok(json!("+442079460958"))),
            (Phone, json!("+44 20 7946 0958"), Ok(json!("+442079460958"))),
            (Phone, json!("(112) 555-0100"), Err("INVALID")),
            (Phone, json!("212 555 010"), Err("INVALID")),
            (Phone, json!("212-555-0100 x12"), Err("INVALID")),
            (Phone, json!("+1 212 555 0100 99"), Err("INVALID")),
            (UsZip, json!("02134-1234"), Ok(json!("02134"))),
            (UsZip, json!("021341234"), Ok(json!("02134"))),
            (UsZip, json!(2134), Ok(json!("02134"))),
            (UsZip, json!("2134"), Err("INVALID")),
            (UsZip, json!("0213A"), Err("INVALID")),
            (UsState, json!("ny"), Ok(json!("NY"))),
            (UsState, json!("New York"), Err("INVALID")),
            (Country, json!("gb"), Ok(json!("GB"))),
            (Country, json!("UK"), Err("INVALID")),
            (Integer, json!("  42 "), Ok(json!(42))),
            (Integer, json!(4.5), Err("INVALID")),
            (Decimal, json!("1250.50"), Ok(json!("1250.5"))),
            (Decimal, json!(0.1), Ok(json!("0.1"))),
            (Decimal, json!("1,250"), Err("INVALID")),
            (Date, json!("2024-02-29"), Ok(json!("2024-02-29"))),
            (Date, json!("2023-02-29"), Err("INVALID")),
            (Date, json!("2024-2-9"), Err("INVALID")),
            (Date, json!("02/29/2024"), Err("INVALID")),
            (Boolean, json!("Yes"), Ok(json!(true))),
            (Boolean, json!(0), Ok(json!(false))),
            (Boolean, json!("maybe"), Err("INVALID")),
            (Url, json!("https://example.com/a?b=c"), Ok(json!("https://example.com/a?b=c"))),
            (Url, json!("ftp://example.com"), Err("INVALID")),
            (ConsentProof, json!("http://cert.trustedform.com/abc"), Err("INVALID")),
            (ConsentVersion, json!("v".repeat(65)), Err("TOO_LONG")),
        ];
        for (kind, input, want) in table {
            assert_eq!(&norm(*kind, input.clone()), want, "{kind:?} {input}");
        }
        let long = "x".repeat(10_001);
        assert_eq!(norm(Integer, json!(long)), Err("TOO_LONG"), "every type has the hard limit");
    }

    #[test]
    fn enum_values_match_in_any_case_and_are_stored_as_declared() {
        let mut s = spec(FieldType::Enum);
        s.values = vec!["Own".into(), "Rent".into()];
        assert_eq!(s.normalize(&json!("  rENT "), "US").unwrap(), json!("Rent"));
        let e = s.normalize(&json!("lease"), "US").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), ("NOT_ALLOWED", "F must be one of: Own, Rent."));
    }

    #[test]
    fn a_lead_reports_every_failing_field_at_once() {
        let specs = vec![
            FieldSpec {
                key: "email".into(),
                label: "Email".into(),
                kind: FieldType::Email,
                required: true,
                max_length: None,
                values: vec![],
            },
            FieldSpec {
                key: "phone".into(),
                label: "Phone".into(),
                kind: FieldType::Phone,
                required: true,
                max_length: None,
                values: vec![],
            },
            FieldSpec {
                key: "zip".into(),
                label: "ZIP".into(),
                kind: FieldType::UsZip,
                required: false,
                max_length: None,
                values: vec![],
            },
        ];
        let fields = json!({ "email": "bad", "zip": "", "note": "hi" });
        let errors = check_lead(&specs, UnknownFields::Refuse, fields.as_object().unwrap(), "US").unwrap_err();
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(got, [("email", "INVALID"), ("phone", "REQUIRED"), ("note", "UNKNOWN_FIELD")]);
        let fields = json!({ "email": "A@B.CO", "phone": "212 555 0100", "note": "hi" });
        let ok = check_lead(&specs, UnknownFields::Keep, fields.as_object().unwrap(), "US").unwrap();
        assert_eq!(Value::Object(ok), json!({ "email": "a@b.co", "phone": "+12125550100", "note": "hi" }));
    }

    #[test]
    fn national_numbers_follow_the_campaign_country() {
        assert_eq!(phone("020 7946 0958", "GB"), Ok("+442079460958".into()));
        assert_eq!(phone("0044 20 7946 0958", "GB"), Ok("+442079460958".into()));
        assert_eq!(phone("06 1234 5678", "IT"), Ok("+390612345678".into()));
        assert!(is_phone_country("GB") && !is_phone_country("XX"));
    }

    #[test]
    fn declarations_are_checked() {
        let mut s = spec(FieldType::Text);
        s.key = "1st".into();
        assert!(s.check().is_err());
        let mut s = spec(FieldType::Phone);
        s.max_length = Some(10);
        assert!(s.check().is_err(), "a phone has no length");
        let mut s = spec(FieldType::Enum);
        assert!(s.check().is_err(), "an enum lists values");
        s.values = vec!["a".into(), "A".into()];
        assert!(s.check().is_err(), "twice, ignoring case");
        assert_eq!(COUNTRIES.split_whitespace().count(), 249);
    }
}
