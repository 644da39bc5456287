use crate::Invalid;

fn bounded(raw: &str, what: &str, max: usize) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::new(format!("Enter a {what}.")));
    }
    if s.chars().count() > max {
        return Err(Invalid::new(format!("A {what} has at most {max} characters.")));
    }
    if s.chars().any(char::is_control) {
        return Err(Invalid::new(format!("A {what} cannot contain control characters.")));
    }
    Ok(s.to_owned())
}

/// A campaign's display name: trimmed, 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignName(String);

impl CampaignName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded(raw, "campaign name", 120).map(Self)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// An organization's display name: trimmed, 1 to 120 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationName(String);

impl OrganizationName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded(raw, "organization name", 120).map(Self)
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new password: 10 to 1,024 characters. Never logged, never stored: only its argon2id hash is.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(Invalid::new(format!("A password has at least {} characters.", Self::MIN_CHARS)));
        }
        if n > 1024 {
            return Err(Invalid::new("A password has at most 1,024 characters."));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An IANA time zone name such as `America/New_York`; a campaign's days and months follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.trim().parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            Invalid::new(format!("\"{}\" is not an IANA time zone name such as America/New_York.", raw.trim()))
        })
    }
    pub fn name(self) -> &'static str {
        self.0.name()
    }
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }
}

/// An absolute http(s) URL, at most 2,048 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = raw.trim();
        if s.len() > 2048 {
            return Err(Invalid::new("A URL has at most 2,048 characters."));
        }
        let url = url::Url::parse(s)
            .map_err(|_| Invalid::new(format!("\"{s}\" is not an absolute URL such as https://example.com/offer.")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(Invalid::new("A URL starts with http:// or https:// and names a host."));
        }
        Ok(Self(url))
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(CampaignName::parse("  Solar leads ").map(CampaignName::into_inner), Ok("Solar leads".into()));
        assert!(CampaignName::parse("   ").is_err());
        assert!(CampaignName::parse(&"x".repeat(121)).is_err());
        assert!(CampaignName::parse("a\u{0}b").is_err());
    }

    #[test]
    fn passwords_have_ten_characters() {
        assert!(Password::parse("123456789").is_err());
        assert!(Password::parse("1234567890").is_ok());
        assert_eq!(format!("{:?}", Password::parse("secret-secret")), "Ok(Password(***))");
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(TimeZone::parse("America/New_York").map(TimeZone::name), Ok("America/New_York"));
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn urls_are_absolute_http() {
        assert!(HttpUrl::parse("https://example.com/offer?a=1").is_ok());
        for bad in ["example.com", "ftp://example.com", "javascript:alert(1)", "https://", "/relative"] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
