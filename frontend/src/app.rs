use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::path;

use crate::components::Loading;
use crate::pages::NotFound;
use crate::pages::auth::{Login, SignUp};
use crate::pages::campaigns::{CampaignList, CampaignOverview, EditCampaign, NewCampaign};
use crate::pages::partners::{CampaignPartners, PartnerView, PartnersPage};
use crate::pages::leads::CampaignLeads;
use crate::pages::portal::{ApiKeysPage, PartnerHome, PartnerLeads};
use crate::pages::register::Register;
use crate::session::{Session, State, use_session};

#[component]
pub fn App() -> impl IntoView {
    Session::provide();
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
                <nav aria-label="Main">
                    {move || if session.user().is_some_and(|u| u.is_owner) {
                        view! { <A href="/campaigns">"Campaigns"</A><A href="/partners">"Partners"</A><A href="/api-access">"API access"</A> }.into_any()
                    } else {
                        view! { <A href="/portal">"Dashboard"</A><A href="/portal/leads">"Leads"</A><A href="/portal/keys">"API access"</A> }.into_any()
                    }}
                </nav>
                <div class="who">
                    <span class="muted">{move || session.user().map(|u| format!("{} · {}", u.email, u.organization))}</span>
                    <button class="link" on:click=logout.clone()>"Log out"</button>
                </div>
            </Show>
        </header>
    }
}

/// `/`: the owner's campaigns, the partner's portal, or the login page.
#[component]
fn Home() -> impl IntoView {
    let session = use_session();
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => view! { <Redirect path="/login" /> }.into_any(),
        State::SignedIn(a) if a.user.is_owner => view! { <Redirect path="/campaigns" /> }.into_any(),
        State::SignedIn(_) => view! { <Redirect path="/portal" /> }.into_any(),
    }
}

/// Partner pages: the same checks, keeping owners out.
#[component]
fn PartnerOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => {
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
        }
        State::SignedIn(a) if a.user.is_owner => view! { <Redirect path="/campaigns" /> }.into_any(),
        State::SignedIn(_) => children().into_any(),
    }
}

/// Owner pages: wait for the session check, send visitors to log in, keep partners out.
#[component]
fn OwnerOnly(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => {
            let next = location.pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
        }
        State::SignedIn(a) if !a.user.is_owner => view! { <Redirect path="/portal" /> }.into_any(),
        State::SignedIn(_) => children().into_any(),
    }
}
