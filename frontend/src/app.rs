use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::Loading;
use crate::pages::NotFound;
use crate::pages::auth::{Login, SignUp};
use crate::pages::campaigns::{CampaignList, CampaignOverview, EditCampaign, NewCampaign};
use crate::pages::leads::CampaignLeads;
use crate::pages::partners::{CampaignPartners, PartnerView, PartnersPage};
use crate::pages::portal::{ApiKeysPage, PartnerHome, PartnerLeads};
use crate::pages::postbacks::PostbacksPage;
use crate::pages::register::Register;
use crate::pages::webhooks::WebhooksPage;
use crate::router::{A, Redirect, Routes, View, address, provide_router, use_navigate, use_pathname};
use crate::session::{Mode, Session, State, use_session};

/// The app's routes, in order: a static route before a parameter that would match it too (`/campaigns/new` before
/// `/campaigns/:id`; crate::router).
const ROUTES: &[(&str, View)] = &[
    ("/", || view! { <Home /> }.into_any()),
    ("/login", || view! { <Login /> }.into_any()),
    ("/signup", || view! { <SignUp /> }.into_any()),
    ("/register", || show(Page::Register)),
    ("/portal", || show(Page::PartnerHome)),
    ("/portal/leads", || show(Page::Partner(PartnerPage::Leads))),
    ("/portal/keys", || show(Page::Partner(PartnerPage::ApiKeys))),
    ("/portal/postbacks", || show(Page::Partner(PartnerPage::Postbacks))),
    ("/portal/campaigns/:id/instructions", || show(Page::Partner(PartnerPage::Instructions))),
    ("/campaigns", || show(Page::OwnerFirst(OwnerFirst::Campaigns))),
    ("/campaigns/new", || show(Page::Owner(OwnerPage::NewCampaign))),
    ("/campaigns/:id", || show(Page::OwnerFirst(OwnerFirst::Campaign))),
    ("/campaigns/:id/partners", || show(Page::OwnerTab)),
    ("/campaigns/:id/leads", || show(Page::Owner(OwnerPage::CampaignLeads))),
    ("/campaigns/:id/settings", || show(Page::Owner(OwnerPage::CampaignSettings))),
    ("/campaigns/:id/quality", || show(Page::Owner(OwnerPage::CampaignQuality))),
    ("/partners", || show(Page::Owner(OwnerPage::Partners))),
    ("/partners/:id", || show(Page::Owner(OwnerPage::Partner))),
    ("/lead-quality", || show(Page::Owner(OwnerPage::OrganizationQuality))),
    ("/webhooks", || show(Page::Owner(OwnerPage::Webhooks))),
    ("/api-access", || show(Page::Owner(OwnerPage::ApiAccess))),
];

#[component]
pub fn App() -> impl IntoView {
    Session::provide();
    crate::pages::portal::AdvertiserFilter::provide();
    provide_router(ROUTES);
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <Header />
        <Routes fallback=|| view! { <NotFound /> }.into_any() />
    }
}

#[component]
fn Header() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let logout = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            forget_side();
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
                        view! { <A href="/campaigns">"Campaigns"</A><A href="/partners">"Partners"</A><A href="/lead-quality">"Lead quality"</A><A href="/webhooks">"Webhooks"</A><A href="/api-access">"API access"</A> }.into_any()
                    } else {
                        view! { <A href="/portal">"Dashboard"</A><A href="/portal/leads">"Leads"</A><A href="/portal/postbacks">"Postbacks"</A><A href="/portal/keys">"API access"</A> }.into_any()
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
    if session.state.get_untracked() == State::Checking
        && let Some(side) = remembered_side()
    {
        spawn_local(preload(side));
    }
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => view! { <Redirect path="/login" /> }.into_any(),
        State::SignedIn(_) => view! { <Redirect path=session.mode().unwrap_or(Mode::Partner).home() /> }.into_any(),
    }
}

/// A page behind its side's guard (none for the invitation page), from its module.
fn show(page: Page) -> AnyView {
    match page.side() {
        None => loaded(page),
        Some(side) => guarded(side, page).into_any(),
    }
}

/// A page from its module: "Loading" while the module is fetched (the first time only), then the page.
fn loaded(page: Page) -> AnyView {
    // The split loader's future is not `Send`; the app has one thread.
    let view = send_wrapper::SendWrapper::new(page.load());
    let fallback = || view! { <main class="page" id="main"><Loading what="the page" /></main> };
    view! { <Suspense fallback=fallback>{Suspend::new(view)}</Suspense> }.into_any()
}

/// The guard of a side's pages: wait for the session check, send visitors to log in, and send an account the side
/// does not admit to its own home. Partner pages admit an account with no organization of its own (a partner, with
/// no advertisers yet if need be) and one that is both; owner pages keep partner-only accounts out.
fn guarded(side: Mode, page: Page) -> impl IntoView {
    let session = use_session();
    let pathname = use_pathname();
    // An account that is both owner and partner is on the side whose page it opened: the header follows, and `/`
    // brings it back here next time.
    Effect::new(move |_| {
        if session.user().is_some_and(|u| u.is_both()) {
            session.enter(side);
        }
    });
    // A returning visitor: fetch its side's module while the session check runs, not after it.
    if session.state.get_untracked() == State::Checking && remembered_side() == Some(side) {
        spawn_local(preload(side));
    }
    move || match session.state.get() {
        State::Checking => view! { <main class="page" id="main"><Loading what="your session" /></main> }.into_any(),
        State::SignedOut => {
            let next = pathname.get_untracked();
            view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
        }
        State::SignedIn(a) => {
            let allowed = match side {
                Mode::Owner => a.user.is_owner(),
                Mode::Partner => !a.user.is_owner() || a.user.is_both(),
            };
            if allowed {
                remember_side(side);
                // Its queries asked for now, beside its module's download (crate::api, "Opening requests").
                crate::api::open(&address(), Some(&a.access_token));
                loaded(page)
            } else {
                view! { <Redirect path=a.user.mode(side).home() /> }.into_any()
            }
        }
    }
}

// Code splitting: the pages behind the guards, and the invitation page, live in WebAssembly modules of their own
// (`#[lazy]`: a `wasm-split` split point, cut out of the main module by scripts/build-frontend). The main module keeps
// the router, the session, the header, and the login and sign-up pages. A page's module is fetched the first time one
// of its pages is shown, once its guard has let the visitor in: a partner never downloads the owner's pages, and a
// visitor who is not signed in downloads neither side. Each side's first pages are a module (`partner_page`: the
// home; `owner_page`: the campaigns and a campaign's overview), its other pages modules that need it (`owner_tab`,
// `owner_more`, `partner_more`: loading one loads its side's first module too, and wasm-split's `--needs` keeps the
// code they share with it in that module instead of making a chunk of it). The partner's Postbacks page is in
// `partner_more`, the owner's Webhooks page and a partner's postbacks in `owner_more`: a module of their own made the
// first pages 6-7 KB larger and a click on the partner's Leads fetch 14 files (bench/README.md, "The app's own
// router"). What split points of different sides share
// goes to a chunk for each set of them (a split point more multiplies those: one module per page measured 67 chunks,
// bench/README.md), fetched with the first module that needs it. e2e/tests/partners.test.mjs checks that a partner's
// browser never asks for an owner's module, nor, on its home, for `partner_more`; scripts/build-frontend names the
// modules each first page fetches (frontend/size-budget), and index.html's preload follows the same routes.

/// A page that lives in a module of its own.
#[derive(Clone, Copy)]
enum Page {
    /// `/register`: an invitation's page.
    Register,
    /// The partner's home (`/portal`).
    PartnerHome,
    Partner(PartnerPage),
    /// The owner's first pages.
    OwnerFirst(OwnerFirst),
    /// A campaign's Marketing Partners tab.
    OwnerTab,
    Owner(OwnerPage),
}

type PageFuture = std::pin::Pin<Box<dyn std::future::Future<Output = AnyView>>>;

impl Page {
    /// The side whose guard the page is behind.
    fn side(self) -> Option<Mode> {
        match self {
            Page::Register => None,
            Page::PartnerHome | Page::Partner(_) => Some(Mode::Partner),
            Page::OwnerFirst(_) | Page::OwnerTab | Page::Owner(_) => Some(Mode::Owner),
        }
    }

    /// The page, once its module is here (boxed: one future type for all, so what waits for it exists once).
    fn load(self) -> PageFuture {
        match self {
            Page::Register => Box::pin(register_page()),
            Page::PartnerHome => Box::pin(partner_page()),
            Page::Partner(p) => Box::pin(partner_more(p)),
            Page::OwnerFirst(p) => Box::pin(owner_page(p)),
            Page::OwnerTab => Box::pin(owner_tab()),
            Page::Owner(p) => Box::pin(owner_more(p)),
        }
    }
}

/// `/register`: an invitation's page (a new partner's first page).
#[lazy]
fn register_page() -> AnyView {
    view! { <Register /> }.into_any()
}

/// The partner portal's pages other than its home.
#[derive(Clone, Copy)]
enum PartnerPage {
    Leads,
    ApiKeys,
    /// A campaign's posting instructions. In this module rather than one of their own: a split point of their own
    /// made a chunk for each set of split points sharing code with it, and the files a first page fetches cost more
    /// than their bytes (bench/README.md, "fewer files").
    Instructions,
    /// The partner's Postbacks page (its log, replays and test sends).
    Postbacks,
}

/// The partner portal's first module: its home.
#[lazy]
fn partner_page() -> AnyView {
    view! { <PartnerHome /> }.into_any()
}

/// The partner portal's other pages, a module loaded after `partner_page`'s (scripts/build-frontend: `--needs`), so
/// what they share with the home is in the home's module.
#[lazy]
fn partner_more(page: PartnerPage) -> AnyView {
    match page {
        PartnerPage::Leads => view! { <PartnerLeads /> }.into_any(),
        PartnerPage::ApiKeys => view! { <ApiKeysPage /> }.into_any(),
        PartnerPage::Instructions => view! { <crate::pages::instructions::PostingInstructionsPage /> }.into_any(),
        PartnerPage::Postbacks => view! { <PostbacksPage /> }.into_any(),
    }
}

/// The owner's other pages.
#[derive(Clone, Copy)]
enum OwnerPage {
    NewCampaign,
    CampaignSettings,
    CampaignLeads,
    Partners,
    Partner,
    ApiAccess,
    /// A campaign's Lead quality tab: its fields editor and duplicate rule.
    CampaignQuality,
    /// The organization's lead quality: return reasons and the duplicate rule of every campaign.
    OrganizationQuality,
    /// The organization's webhook endpoints.
    Webhooks,
}

/// The owner's first pages: its campaigns and a campaign's overview.
#[derive(Clone, Copy)]
enum OwnerFirst {
    Campaigns,
    Campaign,
}

/// The owner's first module.
#[lazy]
fn owner_page(page: OwnerFirst) -> AnyView {
    match page {
        OwnerFirst::Campaigns => view! { <CampaignList /> }.into_any(),
        OwnerFirst::Campaign => view! { <CampaignOverview /> }.into_any(),
    }
}

/// A campaign's Marketing Partners tab, a module loaded after `owner_page`'s (scripts/build-frontend: `--needs`).
#[lazy]
fn owner_tab() -> AnyView {
    view! { <CampaignPartners /> }.into_any()
}

/// The owner's other pages, a module loaded after `owner_tab`'s (and so `owner_page`'s; scripts/build-frontend:
/// `--needs`).
#[lazy]
fn owner_more(page: OwnerPage) -> AnyView {
    match page {
        OwnerPage::NewCampaign => view! { <NewCampaign /> }.into_any(),
        OwnerPage::CampaignSettings => view! { <EditCampaign /> }.into_any(),
        OwnerPage::CampaignLeads => view! { <CampaignLeads /> }.into_any(),
        OwnerPage::Partners => view! { <PartnersPage /> }.into_any(),
        OwnerPage::Partner => view! { <PartnerView /> }.into_any(),
        OwnerPage::ApiAccess => view! { <ApiKeysPage /> }.into_any(),
        OwnerPage::CampaignQuality => view! { <crate::pages::lead_quality::LeadQualityPage /> }.into_any(),
        OwnerPage::OrganizationQuality => view! { <crate::pages::lead_quality::OrganizationQualityPage /> }.into_any(),
        OwnerPage::Webhooks => view! { <WebhooksPage /> }.into_any(),
    }
}

/// The side whose pages this browser was last let into (`localStorage`): on a later visit, that side's module is
/// fetched while the session check runs, and index.html asks for it before the app starts (it reads this key). Only
/// a side the signed-in account was let into is remembered, so a partner's browser does not fetch the owner's module
/// this way; logging out forgets it.
const SIDE_KEY: &str = "partnerdesk.module";

fn remembered_side() -> Option<Mode> {
    match crate::local_storage()?.get_item(SIDE_KEY).ok()??.as_str() {
        "owner" => Some(Mode::Owner),
        "partner" => Some(Mode::Partner),
        _ => None,
    }
}

fn remember_side(side: Mode) {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.set_item(SIDE_KEY, if side == Mode::Owner { "owner" } else { "partner" });
    }
}

/// Logging out: the next visitor of this browser is not fetched a side's module, nor asked the last visitor's
/// queries, before its session check.
fn forget_side() {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.remove_item(SIDE_KEY);
    }
    crate::api::forget_openings();
}

/// Fetches a side's module without showing a page (`#[lazy]`'s preload function).
async fn preload(side: Mode) {
    match side {
        Mode::Owner => __preload_owner_page().await,
        Mode::Partner => __preload_partner_page().await,
    }
}
