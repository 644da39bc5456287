//! The signed-in session. The access token lives only in memory; the refresh token is an `HttpOnly` cookie the
//! script never sees. On start (and after a reload) the app trades the cookie for an access token, and it
//! refreshes a minute before each access token expires.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};

/// An organization as the session names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub id: String,
    pub name: String,
}

/// The signed-in account and its memberships: what it may see follows from them, not from a role.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub email: String,
    /// Null until the account gives one (an owner signs up without a name).
    pub name: Option<String>,
    /// The organization the account owns; none for a partner-only account.
    pub organization: Option<Org>,
    /// The organizations the account is a registered marketing partner of.
    pub advertisers: Vec<Org>,
}

impl User {
    pub fn is_owner(&self) -> bool {
        self.organization.is_some()
    }

    /// Owner of its organization and partner of others: the header offers a switch between the two.
    pub fn is_both(&self) -> bool {
        self.is_owner() && !self.advertisers.is_empty()
    }

    /// Which side of the app this account works in: its own organization or the partner portal. Only an account
    /// that is both has a choice (`preferred`); an account with no organization of its own is a partner.
    pub fn mode(&self, preferred: Mode) -> Mode {
        match (self.is_owner(), self.advertisers.is_empty()) {
            (true, true) => Mode::Owner,
            (true, false) => preferred,
            (false, _) => Mode::Partner,
        }
    }
}

/// The two sides of the app: "My organization" (owner pages) and "Partner portal".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Owner,
    Partner,
}

impl Mode {
    /// Where this side starts.
    pub fn home(self) -> &'static str {
        match self {
            Mode::Owner => "/campaigns",
            Mode::Partner => "/portal",
        }
    }
}

const MODE_KEY: &str = "partnerdesk.mode";

/// The side an owner who is also a partner last chose, kept in this browser across reloads.
fn saved_mode() -> Mode {
    let saved = crate::local_storage().and_then(|s| s.get_item(MODE_KEY).ok().flatten());
    if saved.as_deref() == Some("partner") { Mode::Partner } else { Mode::Owner }
}

fn save_mode(mode: Mode) {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.set_item(MODE_KEY, if mode == Mode::Partner { "partner" } else { "owner" });
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Auth {
    pub access_token: String,
    /// Milliseconds since the epoch, like `Date.now()`.
    pub expires_at_ms: f64,
    pub user: User,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Asking the server whether the refresh cookie still holds a session.
    Checking,
    SignedOut,
    SignedIn(Auth),
}

#[derive(Clone, Copy)]
pub struct Session {
    pub state: RwSignal<State>,
    /// The side chosen by an account that is both owner and partner (see [`User::mode`]).
    preferred: RwSignal<Mode>,
    /// Bumped on every new session, so an older refresh timer knows it is stale.
    generation: RwSignal<u64>,
}

/// The session that sign-up, login, refresh and accepting an invitation each answer with (one generated type).
impl api::shared::SessionFields {
    pub fn into_auth(self) -> Auth {
        Auth {
            access_token: self.access_token,
            expires_at_ms: js_sys::Date::parse(&self.expires_at),
            user: User {
                email: self.user.email,
                name: self.user.name,
                organization: self.user.organization.map(|o| Org { id: o.id, name: o.name }),
                advertisers: self.user.advertisers.into_iter().map(|o| Org { id: o.id, name: o.name }).collect(),
            },
        }
    }
}

impl Session {
    pub fn provide() -> Self {
        let session = Self {
            state: RwSignal::new(State::Checking),
            preferred: RwSignal::new(saved_mode()),
            generation: RwSignal::new(0),
        };
        provide_context(session);
        spawn_local(async move { session.refresh().await });
        session
    }

    pub fn token(&self) -> Option<String> {
        match self.state.get_untracked() {
            State::SignedIn(a) => Some(a.access_token),
            _ => None,
        }
    }

    pub fn user(&self) -> Option<User> {
        match self.state.get() {
            State::SignedIn(a) => Some(a.user),
            _ => None,
        }
    }

    /// The side of the app the signed-in account works in now.
    pub fn mode(&self) -> Option<Mode> {
        let preferred = self.preferred.get();
        self.user().map(|u| u.mode(preferred))
    }

    /// Records the side the account is on (the switch, or an owner or portal page it opened), for the next visit.
    pub fn enter(&self, mode: Mode) {
        if self.preferred.get_untracked() != mode {
            self.preferred.set(mode);
            save_mode(mode);
        }
    }

    /// Starts a session from a sign-up, login or refresh answer, and schedules its refresh.
    pub fn start(&self, auth: Auth) {
        let generation = self.generation.get_untracked() + 1;
        self.generation.set(generation);
        let wait_ms = (auth.expires_at_ms - js_sys::Date::now() - 60_000.0).max(5_000.0);
        self.state.set(State::SignedIn(auth));
        let session = *self;
        spawn_local(async move {
            gloo_timers::future::sleep(std::time::Duration::from_millis(wait_ms as u64)).await;
            if session.generation.get_untracked() == generation {
                session.refresh().await;
            }
        });
    }

    /// Trades the refresh cookie for a new access token; without a valid cookie, the user is signed out.
    pub async fn refresh(&self) {
        match api::refresh_session().await {
            Ok(data) => self.start(data.refresh_session.into_auth()),
            Err(e) if e.code == "NETWORK" && self.state.get_untracked() != State::Checking => {
                // Offline for a moment: keep the session and try again shortly.
                let session = *self;
                spawn_local(async move {
                    gloo_timers::future::sleep(std::time::Duration::from_secs(10)).await;
                    session.refresh().await;
                });
            }
            Err(_) => self.end(),
        }
    }

    pub fn end(&self) {
        self.generation.update(|g| *g += 1);
        self.state.set(State::SignedOut);
    }

    pub async fn logout(&self) -> Result<(), ApiError> {
        let token = self.token();
        let res = api::run::<api::Logout>(token.as_deref(), api::logout::Variables {}).await;
        self.end();
        res.map(|_| ())
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
