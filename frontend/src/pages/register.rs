//! `/register?token=..`: the invited partner sees who invites it to what. A new email chooses a name and password
//! and is in; an email that already has an account (a partner of another advertiser, or an owner) logs in here and
//! accepts with the login it has.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{ErrorBanner, Field, Loading, field_error};
use crate::format;
use crate::router::{A, use_navigate, use_query_map};
use crate::session::{Mode, State, use_session};

#[component]
pub fn Register() -> impl IntoView {
    let token = use_query_map().read_untracked().get("token").unwrap_or_default();
    let preview = api::fetched({
        let token = token.clone();
        move || {
            let token = token.clone();
            async move {
                api::run::<api::InvitationPreview>(None, api::invitation_preview::Variables { token })
                    .await
                    .map(|d| d.invitation_preview)
            }
        }
    });

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
                        <div class="card">
                            <h1>{format!("Join {} on Partnerdesk", p.organization_name)}</h1>
                            <p>{format!("{} invites you as a marketing partner for:", p.organization_name)}</p>
                            <ul class="plain campaigns">{p.campaigns.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                            <p class="muted small">{format!("Your account: {} · invitation valid until {}", p.email, format::date_time(&p.expires_at))}</p>
                            {if p.account_exists {
                                view! { <ExistingAccount token=token.clone() email=p.email /> }.into_any()
                            } else {
                                view! { <NewAccount token=token.clone() /> }.into_any()
                            }}
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </main>
    }
}

/// Starts the session the acceptance returned, on the partner side (an owner who just became a partner, too).
fn enter_portal(session: crate::session::Session, auth: crate::session::Auth) {
    let both = auth.user.is_both();
    session.start(auth);
    if both {
        session.enter(Mode::Partner);
    }
}

/// Runs a form's submission once at a time: `busy` while `work` runs, the last error cleared first.
fn submit_once(
    ev: leptos::ev::SubmitEvent,
    busy: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
    work: impl std::future::Future<Output = ()> + 'static,
) {
    ev.prevent_default();
    if busy.get_untracked() {
        return;
    }
    busy.set(true);
    error.set(None);
    spawn_local(async move {
        work.await;
        busy.set(false);
    });
}

/// A new email: name and password create the account.
#[component]
fn NewAccount(token: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if password.get_untracked() != confirm.get_untracked() {
            error.set(Some(ApiError::invalid("confirm", "The two passwords differ.")));
            return;
        }
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        let input = api::accept_invitation::AcceptInvitationInput {
            token: token.clone(),
            name: Some(name.get_untracked()),
            password: Some(password.get_untracked()),
        };
        spawn_local(async move {
            match api::run::<api::AcceptInvitation>(None, api::accept_invitation::Variables { input }).await {
                Ok(d) => {
                    enter_portal(session, d.accept_invitation.into_auth());
                    navigate("/portal", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <form on:submit=submit novalidate>
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
    }
}

/// Who looks at an invitation for an existing account.
#[derive(Debug, Clone, PartialEq)]
enum Visitor {
    Checking,
    SignedOut,
    /// Signed in as the invited email; `has_name`: the account already has a name (else the form asks for one).
    Invited {
        has_name: bool,
    },
    /// Signed in as another account.
    Other {
        email: String,
    },
}

/// An email that already has an account: log in here (or, signed in as it, just accept); signed in as another
/// account, the server's refusal and a way to switch.
#[component]
fn ExistingAccount(token: String, email: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let token = StoredValue::new(token);
    let invited = StoredValue::new(email);

    // Only a change of who is signed in redraws the form (not each refresh of the access token).
    let visitor = Memo::new(move |_| match session.state.get() {
        State::Checking => Visitor::Checking,
        State::SignedOut => Visitor::SignedOut,
        State::SignedIn(a) if invited.with_value(|i| a.user.email.eq_ignore_ascii_case(i)) => {
            Visitor::Invited { has_name: a.user.name.as_deref().is_some_and(|n| !n.trim().is_empty()) }
        }
        State::SignedIn(a) => Visitor::Other { email: a.user.email },
    });

    // Accepts as the signed-in account (the server checks it is the invited one).
    let accept = {
        let navigate = navigate.clone();
        move |name: Option<String>| {
            let navigate = navigate.clone();
            async move {
                let input =
                    api::accept_invitation::AcceptInvitationInput { token: token.get_value(), name, password: None };
                match api::run::<api::AcceptInvitation>(
                    session.token().as_deref(),
                    api::accept_invitation::Variables { input },
                )
                .await
                {
                    Ok(d) => {
                        enter_portal(session, d.accept_invitation.into_auth());
                        navigate("/portal", Default::default());
                    }
                    Err(e) => error.set(Some(e)),
                }
            }
        }
    };

    let log_in = {
        let accept = accept.clone();
        move |ev: leptos::ev::SubmitEvent| {
            let accept = accept.clone();
            submit_once(ev, busy, error, async move {
                let input = api::login::LoginInput { email: invited.get_value(), password: password.get_untracked() };
                match api::run::<api::Login>(None, api::login::Variables { input }).await {
                    Ok(d) => {
                        let auth = d.login.into_auth();
                        let has_name = auth.user.name.as_deref().is_some_and(|n| !n.trim().is_empty());
                        session.start(auth);
                        // Without a name the form now asks for one; with one, the invitation is accepted at once.
                        if has_name {
                            accept(None).await;
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    let accept_submit = {
        let accept = accept.clone();
        move |ev: leptos::ev::SubmitEvent| {
            let typed = Some(name.get_untracked().trim().to_owned()).filter(|n| !n.is_empty());
            submit_once(ev, busy, error, accept(typed));
        }
    };

    move || {
        match visitor.get() {
        Visitor::Checking => view! { <Loading what="your session" /> }.into_any(),
        Visitor::SignedOut => view! {
            <form on:submit=log_in.clone() novalidate>
                <p class="banner info" role="status">
                    {invited.with_value(|i| format!("You already have a Partnerdesk account with {i}. Log in to accept."))}
                </p>
                <ErrorBanner error=error />
                <div class="field">
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" readonly value=invited.get_value() autocomplete="username" aria-describedby="email-hint" />
                    <p class="hint" id="email-hint">"The invitation is for this address."</p>
                </div>
                <Field label="Password" id="password" kind="password" value=password error=field_error(error, "password")
                    autocomplete="current-password" required=true />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Logging in…" } else { "Log in and accept" }}
                </button>
            </form>
        }.into_any(),
        Visitor::Invited { has_name } => view! {
            <form on:submit=accept_submit.clone() novalidate>
                <p>{invited.with_value(|i| format!("You are logged in as {i}."))}</p>
                <ErrorBanner error=error />
                {(!has_name).then(|| view! {
                    <Field label="Your name or company" id="name" value=name error=field_error(error, "name") autocomplete="name"
                        hint="Shown to the advertisers you work with." required=true />
                })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Accepting…" } else { "Accept invitation" }}
                </button>
            </form>
        }.into_any(),
        Visitor::Other { email } => view! { <OtherAccount token=token.get_value() invited=invited.get_value() signed_in_as=email /> }.into_any(),
    }
    }
}

/// Signed in as another account: the server says why it may not accept (naming the invited address), and the
/// visitor can log out to log in as the invited email.
#[component]
fn OtherAccount(token: String, invited: String, signed_in_as: String) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let busy = RwSignal::new(false);
    // The server decides who may accept; asking it changes nothing when the answer is no.
    let refusal = api::fetched(move || {
        let token = token.clone();
        let navigate = navigate.clone();
        let auth = session.token();
        async move {
            let input = api::accept_invitation::AcceptInvitationInput { token, name: None, password: None };
            match api::run::<api::AcceptInvitation>(auth.as_deref(), api::accept_invitation::Variables { input }).await
            {
                Ok(d) => {
                    enter_portal(session, d.accept_invitation.into_auth());
                    navigate("/portal", Default::default());
                    None
                }
                Err(e) => Some(e.message),
            }
        }
    });
    let switch = move |_| {
        busy.set(true);
        spawn_local(async move {
            let _ = session.logout().await;
            busy.set(false);
        });
    };
    let action = format!("Log out and log in as {invited}");
    view! {
        <Transition fallback=|| view! { <Loading what="the invitation" /> }>
            {move || refusal.get().flatten().map(|message| view! { <div class="banner error" role="alert">{message}</div> })}
        </Transition>
        <p>{format!("You are logged in as {signed_in_as}.")}</p>
        <button type="button" class="primary" disabled=move || busy.get() on:click=switch>{action}</button>
    }
}
