use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;

use crate::components::Loading;
use crate::pages::NotFound;
use crate::pages::auth::{Login, SignUp};
use crate::pages::campaigns::{CampaignList, CampaignOverview, EditCampaign, NewCampaign};
use crate::pages::leads::CampaignLeads;
use crate::pages::partners::{CampaignPartners, PartnerView, PartnersPage};
use crate::pages::portal::{ApiKeysPage, PartnerHome, PartnerLeads};
use crate::pages::register::Register;
use crate::session::{Mode, Session, State, use_session};

#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    crate::pages::portal::AdvertiserFilter::provide();
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <Header />
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home />
                <Route path=path!("/register") view=Register />
                <Route path=path!("/portal") view=|| view! { <PartnerOnly><PartnerHome /></PartnerOnly> } />
                <Route path=path!("/portal/leads") view=|| view! { <PartnerOnly><PartnerLeads /></PartnerOnly> } />
                <Route path=path!("/portal/keys") view=|| view! { <PartnerOnly><ApiKeysPage /></PartnerOnly> } />
                <Route path=path!("/campaigns/:id/leads") view=|| view! { <OwnerOnly><CampaignLeads /></OwnerOnly> } />
                <Route path=path!("/partners") view=|| view! { <OwnerOnly><PartnersPage /></OwnerOnly> } />
                <Route path=path!("/api-access") view=|| view! { <OwnerOnly><ApiKeysPage /></OwnerOnly> } />
                <Route path=path!("/partners/:id") view=|| view! { <OwnerOnly><PartnerView /></OwnerOnly> } />
                <Route path=path!("/campaigns/:id/partners") view=|| view! { <OwnerOnly><CampaignPartners /></OwnerOnly> } />
                <Route path=path!("/login") view=Login />
                <Route path=path!("/signup") view=SignUp />
                <Route path=path!("/campaigns") view=|| view! { <OwnerOnly><CampaignList /></OwnerOnly> } />
                <Route path=path!("/campaigns/new") view=|| view! { <OwnerOnly><NewCampaign /></OwnerOnly> } />
                <Route path=path!("/campaigns/:id") view=|| view! { <OwnerOnly><CampaignOverview /></OwnerOnly> } />
                <Route path=path!("/campaigns/:id/settings") view=|| view! { <OwnerOnly><EditCampaign /></OwnerOnly> } />
            </Routes>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let logout = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let _ = session.logout().await;
            navigate("/login", Default::default());
        });
    };
    view! {
        <header class="top">
            <A href="/" attr:class="brand">"Partnerdesk"</A>
            <Show when=move || session.user().is_some()>
                <Show when=move || session.user().is_some_and(|u| u.is_both())>
                    <ModeSwitch />
                </Show>
                <nav aria-label="Main">
                    {move || if session.mode() == Some(Mode::Owner) {
                        view! { <A href="/campaigns">"Campaigns"</A><A href="/partners">"Partners"</A><A href="/api-access">"API access"</A> }.into_any()
                    } else {
                        view! { <A href="/portal">"Dashboard"</A><A href="/portal/leads">"Leads"</A><A href="/portal/keys">"API access"</A> }.into_any()
                    }}
                </nav>
                <div class="who">
                    <span class="muted">{move || session.user().map(|u| match (session.mode(), u.organization) {
                        (Some(Mode::Owner), Some(org)) => format!("{} · {}", u.email, org.name),
                        _ => u.email,
                    })}</span>
                    <button class="link" on:click=logout.clone()>"Log out"</button>
                </div>
            </Show>
        </header>
    }
}

/// "My organization" | "Partner portal", for an account that owns an organization and is a partner of others.
/// Two toggle buttons (Tab to reach, Enter or Space to press); the choice is kept in this browser.
#[component]
fn ModeSwitch() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let choice = move |mode: Mode, label: &'static str| {
        let navigate = navigate.clone();
        let on = move || session.mode() == Some(mode);
        view! {
            <button type="button" class:active=on aria-pressed=move || on().to_string() on:click=move |_| {
                session.enter(mode);
                navigate(mode.home(), Default::default());
            }>{label}</button>
        }
    };
    view! {
        <div class="segmented mode-switch" role="group" aria-label="Workspace">
            {choice(Mode::Owner, "My organization")}
            {choice(Mode::Partner, "Partner portal")}
        </div>
    }
}

/// `/`: the owner's campaigns or the partner's portal (an account that is both: the side it chose last), or the
/// login page.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => view! { <Redirect path="/login" /> }.into_any(),
        State::SignedIn(_) => view! { <Redirect path=session.mode().unwrap_or(Mode::Partner).home() /> }.into_any(),
    }
}

/// Partner pages: wait for the session check, send visitors to log in, send owners who are no one's partner to
/// their campaigns. An account with no organization of its own is a partner (with no advertisers yet, if need be).
#[component]
fn PartnerOnly(children: ChildrenFn) -> impl IntoView {
    guarded(Mode::Partner, children)
}

/// Owner pages: the same checks, keeping partner-only accounts out.
#[component]
fn OwnerOnly(children: ChildrenFn) -> impl IntoView {
    guarded(Mode::Owner, children)
}

fn guarded(side: Mode, children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // An account that is both owner and partner is on the side whose page it opened: the header follows, and `/`
    // brings it back here next time.
    Effect::new(move |_| {
        if session.user().is_some_and(|u| u.is_both()) {
            session.enter(side);
        }
    });
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => {
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
        }
        State::SignedIn(a) => {
            let allowed = match side {
                Mode::Owner => a.user.is_owner(),
                Mode::Partner => !a.user.is_owner() || a.user.is_both(),
            };
            if allowed {
                children().into_any()
            } else {
                view! { <Redirect path=a.user.mode(side).home() /> }.into_any()
            }
        }
    }
}
