//! `/register?token=..`: the invited partner sees who invites it to what, chooses a name and password, and is in.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{self, ApiError};
use crate::components::{ErrorBanner, Field, Loading, field_error};
use crate::format;
use crate::session::{SessionFields, use_session};

#[component]
pub fn Register() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let preview = LocalResource::new({
        let token = token.clone();
        move || {
            let token = token.clone();
            async move { api::run::<api::InvitationPreview>(None, api::invitation_preview::Variables { token }).await.map(|d| d.invitation_preview) }
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get_untracked() != confirm.get_untracked() {
            error.set(Some(ApiError { code: "VALIDATION".into(), message: "The two passwords differ.".into(), field: Some("confirm".into()) }));
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let input = api::accept_invitation::AcceptInvitationInput { token: token.clone(), name: name.get_untracked(), password: password.get_untracked() };
        spawn_local(async move {
            match api::run::<api::AcceptInvitation>(None, api::accept_invitation::Variables { input }).await {
                Ok(d) => {
                    session.start(d.accept_invitation.into_auth());
                    navigate("/portal", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="page auth" id="main">
            <Transition fallback=|| view! { <Loading what="your invitation" /> }>
                {move || preview.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="card">
                            <h1>{match e.code.as_str() {
                                "INVITATION_EXPIRED" => "This invitation has expired",
                                "INVITATION_USED" => "This invitation was already used",
                                "INVITATION_REVOKED" => "This invitation was withdrawn",
                                _ => "This invitation link does not work",
                            }}</h1>
                            <p>{e.message}</p>
                            <p><A href="/login">"Go to log in"</A></p>
                        </div>
                    }.into_any(),
                    Ok(p) => view! {
                        <form class="card" on:submit=submit.clone() novalidate>
                            <h1>{format!("Join {} on Partnerdesk", p.organization_name)}</h1>
                            <p>{format!("{} invites you as a marketing partner for:", p.organization_name)}</p>
                            <ul class="plain campaigns">{p.campaigns.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                            <p class="muted small">{format!("Your account: {} · invitation valid until {}", p.email, format::date_time(&p.expires_at))}</p>
                            <ErrorBanner error=error />
                            <Field label="Your name or company" id="name" value=name error=field_error(error, "name") autocomplete="name" required=true />
                            <Field label="Password" id="password" kind="password" value=password error=field_error(error, "password")
                                autocomplete="new-password" hint="At least 10 characters." required=true />
                            <Field label="Confirm password" id="confirm" kind="password" value=confirm error=field_error(error, "confirm")
                                autocomplete="new-password" required=true />
                            <button type="submit" class="primary" disabled=move || busy.get()>
                                {move || if busy.get() { "Creating your account…" } else { "Create account" }}
                            </button>
                        </form>
                    }.into_any(),
                })}
            </Transition>
        </main>
    }
}
