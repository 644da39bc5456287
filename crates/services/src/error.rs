use sea_orm::DbErr;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a use case can fail. The API layers map each variant to a stable code
/// (`extensions.code` in GraphQL, `{"error":{"code"}}` over HTTP); only `Unexpected` hides its message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Validation { field: String, message: String },
    /// A lead's fields against its campaign's declaration: every failing field at once.
    #[error("{}", fields_message(.0))]
    Fields(Vec<partnerdesk_domain::fields::FieldError>),
    /// The same person (by the field `field`) already came as a lead within a duplicate rule's window.
    #[error("A lead with this {field} already arrived at {} ({}); the campaign takes the same person once{}.",
        first_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        if *same_partner { "from you" } else { "from another source" },
        window_hours.map(|h| format!(" every {h} hours")).unwrap_or_default())]
    Duplicate { field: String, first_at: chrono::DateTime<chrono::Utc>, same_partner: bool, window_hours: Option<i64> },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("You are not allowed to do this.")]
    Forbidden,
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("Too many failed attempts. Try again in {} minute(s).", ((retry_after_secs + 59) / 60).max(1))]
    RateLimited { retry_after_secs: i64 },
    /// A cap of the partner on this campaign is full for the current window.
    #[error("The {window} {metric} cap of {limit} is reached.{}", resets_at.map(|r| format!(" It resets at {}.", r.to_rfc3339())).unwrap_or_default())]
    CapReached {
        metric: &'static str,
        window: &'static str,
        limit: i64,
        resets_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// A refusal with its own code, e.g. `INVITATION_EXPIRED`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// The database cannot be reached (connections refused, dropped or timed out): nothing was done, try again.
    #[error("The service cannot reach its database right now. Try again in a few seconds.")]
    Unavailable,
    #[error("internal error")]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation { field: field.to_owned(), message: message.into() }
    }

    /// The machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } | Self::Fields(_) => "VALIDATION",
            Self::Duplicate { .. } => "DUPLICATE_LEAD",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Refused { code, .. } => code,
            Self::Unavailable => "SERVICE_UNAVAILABLE",
            Self::CapReached { .. } => "CAP_REACHED",
            Self::Unexpected(_) => "INTERNAL",
        }
    }

    /// What a client needs besides the code and message, the same over REST (beside `code` in `{"error": ..}`)
    /// and GraphQL (in `extensions`): the field(s) at fault, a duplicate's first arrival, a full cap's window,
    /// when to retry.
    pub fn details(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let at = |t: &chrono::DateTime<chrono::Utc>| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let mut d = serde_json::Map::new();
        match self {
            Self::Validation { field, .. } | Self::Conflict { field: Some(field), .. } => {
                d.insert("field".into(), json!(field));
            }
            Self::Fields(errors) => {
                d.insert("field".into(), json!(errors.first().map_or("", |e| e.field.as_str())));
                d.insert("fields".into(), json!(errors));
            }
            Self::Duplicate { field, first_at, same_partner, .. } => {
                d.insert("field".into(), json!(field));
                d.insert("firstReceivedAt".into(), at(first_at));
                d.insert("samePartner".into(), json!(same_partner));
            }
            Self::CapReached { metric, window, limit, resets_at } => {
                d.insert("metric".into(), json!(metric));
                d.insert("window".into(), json!(window));
                d.insert("limit".into(), json!(limit));
                // As the GraphQL `DateTime` scalar writes it, so that it equals `capUsage.resetsAt`.
                d.insert("resetsAt".into(), json!(resets_at.map(|r| r.to_rfc3339())));
            }
            Self::RateLimited { retry_after_secs } => {
                d.insert("retryAfterSeconds".into(), json!(retry_after_secs));
            }
            Self::Unavailable => {
                d.insert("retryAfterSeconds".into(), json!(RETRY_AFTER_UNAVAILABLE_SECS));
            }
            _ => {}
        }
        d
    }

    /// Seconds a client should wait before trying again, when the error says.
    pub fn retry_after_secs(&self) -> Option<i64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Unavailable => Some(RETRY_AFTER_UNAVAILABLE_SECS),
            _ => None,
        }
    }
}

fn fields_message(errors: &[partnerdesk_domain::fields::FieldError]) -> String {
    let all: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    all.join(" ")
}

impl From<DbErr> for Error {
    fn from(e: DbErr) -> Self {
        if crate::db::is_unavailable(&e) {
            crate::db::outage(&e);
            return Self::Unavailable;
        }
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
}

impl From<crate::db::BatchError> for Error {
    /// For a batch whose guards the caller does not expect to fire (or has already handled).
    fn from(e: crate::db::BatchError) -> Self {
        match e {
            crate::db::BatchError::Db(e) => e.into(),
            crate::db::BatchError::Guard(id) => {
                Self::Unexpected(anyhow::anyhow!("a batch write guarded {id} found no row"))
            }
        }
    }
}

/// How long a client should wait before trying again after [`Error::Unavailable`].
pub const RETRY_AFTER_UNAVAILABLE_SECS: i64 = 5;

/// Attaches an input field's name to a domain validation failure.
pub(crate) trait FieldExt<T> {
    fn field(self, name: &str) -> Result<T>;
}

impl<T> FieldExt<T> for std::result::Result<T, partnerdesk_domain::Invalid> {
    fn field(self, name: &str) -> Result<T> {
        self.map_err(|e| Error::validation(name, e.0))
    }
}
