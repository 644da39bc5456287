pub mod auth;
pub mod campaigns;
pub mod dashboard;
pub mod instructions;
pub mod lead_quality;
pub mod leads;
pub mod partners;
pub mod portal;
pub mod postbacks;
pub mod register;
pub mod returns;
pub mod webhooks;

use leptos::prelude::*;

use crate::router::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <main class="page narrow" id="main">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/campaigns">"Go to your campaigns"</A></p>
        </main>
    }
}
