//! Live updates: one graphql-ws (`graphql-transport-ws`) connection to `/graphql/ws` per open dashboard, subscribed to
//! `statsChanged`. Each message means "figures you may see changed": the dashboard reads them again. The socket
//! reconnects by itself (after a server restart, a network drop, or when the access token it opened with expires),
//! backing off from 1 to 10 seconds, and catches up on connect. It pings every 20 seconds, so an idle dashboard is
//! not taken for a dead one.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::session::Session;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Connecting,
    Live,
    Reconnecting,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Connecting => "Connecting…",
            Status::Live => "Live",
            Status::Reconnecting => "Reconnecting…",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Status::Live => "on",
            _ => "off",
        }
    }
}

/// Whose figures a dashboard follows (`statsChanged(as: ..)`): an owner who is also a partner is told about its
/// organization's traffic on owner pages and about its own traffic as a partner in the portal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    Owner,
    Partner,
}

impl Side {
    fn subscribe_message(self) -> &'static str {
        match self {
            Side::Owner => {
                r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { statsChanged(as: OWNER) { at } }"}}"#
            }
            Side::Partner => {
                r#"{"id":"1","type":"subscribe","payload":{"query":"subscription { statsChanged(as: PARTNER) { at } }"}}"#
            }
        }
    }
}

struct Conn {
    ws: Option<WebSocket>,
    stopped: bool,
    attempts: u32,
    /// The first message of the first connection repeats what the page just loaded: skip it.
    seen_first: bool,
    handlers: Vec<Box<dyn std::any::Any>>,
}

/// Keeps a subscription open while the calling component lives; calls `on_change` for each change.
pub fn subscribe(session: Session, side: Side, status: RwSignal<Status>, on_change: impl Fn() + Clone + 'static) {
    let conn =
        Rc::new(RefCell::new(Conn { ws: None, stopped: false, attempts: 0, seen_first: false, handlers: Vec::new() }));
    connect(conn.clone(), session, side, status, Rc::new(on_change));
    let guard = SendWrapper::new(conn);
    on_cleanup(move || {
        let mut c = guard.borrow_mut();
        c.stopped = true;
        if let Some(ws) = c.ws.take() {
            // Detach first: the close event comes later, after the handlers are gone.
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        c.handlers.clear();
    });
}

fn url() -> Option<String> {
    let loc = web_sys::window()?.location();
    let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/graphql/ws", loc.host().ok()?))
}

fn connect(conn: Rc<RefCell<Conn>>, session: Session, side: Side, status: RwSignal<Status>, on_change: Rc<dyn Fn()>) {
    if conn.borrow().stopped {
        return;
    }
    let Some(ws) = url().and_then(|u| WebSocket::new_with_str(&u, "graphql-transport-ws").ok()) else {
        status.set(Status::Reconnecting);
        return;
    };
    let on_open = {
        let ws = ws.clone();
        Closure::<dyn FnMut()>::new(move || {
            let token = session.token().unwrap_or_default();
            let init = serde_json::json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
            let _ = ws.send_with_str(&init.to_string());
        })
    };
    let on_message = {
        let (ws, conn, on_change) = (ws.clone(), conn.clone(), on_change.clone());
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else { return };
            let msg: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            match msg["type"].as_str() {
                Some("connection_ack") => {
                    let _ = ws.send_with_str(side.subscribe_message());
                }
                Some("next") => {
                    if msg["payload"]["errors"].is_array() {
                        let _ = ws.close();
                        return;
                    }
                    status.set(Status::Live);
                    let first = {
                        let mut c = conn.borrow_mut();
                        c.attempts = 0;
                        !std::mem::replace(&mut c.seen_first, true)
                    };
                    if !first {
                        on_change();
                    }
                }
                Some("ping") => {
                    let _ = ws.send_with_str(r#"{"type":"pong"}"#);
                }
                // Refused (the token expired) or ended (its lifetime is over): start again with the current token.
                Some("error") | Some("complete") => {
                    let _ = ws.close();
                }
                _ => {}
            }
        })
    };
    let on_close = {
        let conn = conn.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
            let attempts = {
                let mut c = conn.borrow_mut();
                if c.stopped {
                    return;
                }
                c.ws = None;
                c.attempts += 1;
                // After a reconnect the first message brings the figures up to date.
                c.seen_first = true;
                c.attempts
            };
            status.set(Status::Reconnecting);
            let delay = (1000u32 << attempts.min(4)).min(10_000);
            let (conn, on_change) = (conn.clone(), on_change.clone());
            gloo_timers::callback::Timeout::new(delay, move || connect(conn, session, side, status, on_change))
                .forget();
        })
    };
    // The server closes a connection that says nothing for 60 s: ping every 20 s (graphql-ws `ping`).
    let keepalive = {
        let ws = ws.clone();
        gloo_timers::callback::Interval::new(20_000, move || {
            if ws.ready_state() == WebSocket::OPEN {
                let _ = ws.send_with_str(r#"{"type":"ping"}"#);
            }
        })
    };
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut c = conn.borrow_mut();
    c.ws = Some(ws);
    c.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close), Box::new(keepalive)];
}
