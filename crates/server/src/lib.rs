//! The `partnerdesk` server: configuration, telemetry and the actix-web application.

pub mod config;
mod http;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
