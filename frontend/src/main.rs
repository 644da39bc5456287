//! Partnerdesk in the browser: a Leptos single-page app over the GraphQL API.

mod api;
mod app;
mod components;
mod format;
mod live;
mod pages;
mod router;
mod session;
mod time_zones;

/// This browser's `localStorage`, where the app keeps a few choices (none when the browser refuses it).
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
