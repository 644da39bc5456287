//! Partnerdesk in the browser: a Leptos single-page app over the GraphQL API.

mod api;
mod app;
mod components;
mod format;
mod live;
mod pages;
mod session;
mod time_zones;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
