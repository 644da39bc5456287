//! The signed-in session. The access token lives only in memory; the refresh token is an `HttpOnly` cookie the
//! script never sees. On start (and after a reload) the app trades the cookie for an access token, and it
//! refreshes a minute before each access token expires.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub email: String,
    pub is_owner: bool,
    pub organization: String,
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
    /// Bumped on every new session, so an older refresh timer knows it is stale.
    generation: RwSignal<u64>,
}

/// Anything `graphql_client` generated for `SessionFields`, in whichever operation it appeared.
pub trait SessionFields {
    fn into_auth(self) -> Auth;
}

macro_rules! session_fields {
    ($($module:ident),*) => {$(
        impl SessionFields for api::$module::SessionFields {
            fn into_auth(self) -> Auth {
                Auth {
                    access_token: self.access_token,
                    expires_at_ms: js_sys::Date::parse(&self.expires_at),
                    user: User {
                        email: self.user.email,
                        is_owner: matches!(self.user.role, api::$module::Role::OWNER),
                        organization: self.user.organization.name,
                    },
                }
            }
        }
    )*};
}
session_fields!(sign_up, login, refresh_session, accept_invitation);

impl Session {
    pub fn provide() -> Self {
        let session = Self { state: RwSignal::new(State::Checking), generation: RwSignal::new(0) };
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
        match api::run::<api::RefreshSession>(None, api::refresh_session::Variables {}).await {
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
