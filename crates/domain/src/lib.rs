//! Partnerdesk's vocabulary: validated newtypes and rules, with no I/O.
//!
//! Every constructor is a `parse` that returns [`Invalid`] with a message a user can act on;
//! the service layer attaches the name of the input field.

mod clock;
mod email;
pub mod fields;
pub mod metrics;
mod money;
mod text;
pub mod windows;

pub use clock::Clock;
pub use email::Email;
pub use money::{Currency, Money};
pub use text::{CampaignName, HttpUrl, OrganizationName, Password, TimeZone};

/// A value that failed validation, with a message fit to show beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
