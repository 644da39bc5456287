//! The `partnerdesk` server: configuration, telemetry and the actix-web application.

pub mod config;
mod http;
mod limits;
mod metrics;
pub mod persisted;
mod reports;
mod rest;
pub mod simulate;
mod spa;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
