pub mod campaign;
pub mod login_throttle;
pub mod organization;
pub mod refresh_token;
pub mod user;
