use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{ErrorBanner, Field, field_error};
use crate::router::{A, Redirect, use_navigate, use_query_map};
use crate::session::{State, use_session};

/// Sends signed-in visitors on to their campaigns.
fn already_signed_in() -> impl Fn() -> bool {
    let session = use_session();
    move || matches!(session.state.get(), State::SignedIn(_))
}

/// Where to go after logging in: the page that sent the visitor here, if it is one of ours.
fn next_page() -> String {
    use_query_map()
        .read_untracked()
        .get("next")
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into())
}

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let next = next_page();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let signed_in = already_signed_in();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let next = next.clone();
        spawn_local(async move {
            let input = api::login::LoginInput { email: email.get_untracked(), password: password.get_untracked() };
            match api::run::<api::Login>(None, api::login::Variables { input }).await {
                Ok(data) => {
                    session.start(data.login.into_auth());
                    navigate(&next, Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <Show when=signed_in>
            <Redirect path="/" />
        </Show>
        <main class="page auth" id="main">
            <form class="card" on:submit=submit novalidate>
                <h1>"Log in to Partnerdesk"</h1>
                <ErrorBanner error=error />
                <Field label="Email" id="email" kind="email" value=email error=field_error(error, "email")
                    autocomplete="email" required=true />
                <Field label="Password" id="password" kind="password" value=password
                    error=field_error(error, "password") autocomplete="current-password" required=true />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in" }}
                </button>
                <p class="muted">"New to Partnerdesk? " <A href="/signup">"Create an account"</A></p>
            </form>
        </main>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let organization = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let signed_in = already_signed_in();

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let input = api::sign_up::SignUpInput {
                email: email.get_untracked(),
                password: password.get_untracked(),
                organization_name: organization.get_untracked(),
            };
            match api::run::<api::SignUp>(None, api::sign_up::Variables { input }).await {
                Ok(data) => {
                    session.start(data.sign_up.into_auth());
                    navigate("/campaigns", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <Show when=signed_in>
            <Redirect path="/" />
        </Show>
        <main class="page auth" id="main">
            <form class="card" on:submit=submit novalidate>
                <h1>"Create your Partnerdesk account"</h1>
                <p class="muted">"You will own your organization's campaigns and invite marketing partners to them."</p>
                <ErrorBanner error=error />
                <Field label="Organization name" id="organizationName" value=organization
                    error=field_error(error, "organizationName") autocomplete="organization" required=true />
                <Field label="Email" id="email" kind="email" value=email error=field_error(error, "email")
                    autocomplete="email" required=true />
                <Field label="Password" id="password" kind="password" value=password
                    error=field_error(error, "password") autocomplete="new-password"
                    hint="At least 10 characters." required=true />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating account…" } else { "Sign up" }}
                </button>
                <p class="muted">"Already have an account? " <A href="/login">"Log in"</A></p>
            </form>
        </main>
    }
}
