//! The app's router: the browser's address as a signal, its routes matched by path, links followed without a page
//! load. In place of leptos_router (issue 18): that was a quarter of the login page's download (131,844 B of wasm and
//! JS before, 98,432 after; bench/README.md, "The app's own router"), for nested routes, route ranking, forms and
//! transitions the app does not use.
//!
//! - [`provide_router`] and [`Routes`]: the first route whose pattern matches the path (`/campaigns/:id`: `:id`
//!   matches one segment), or the fallback. A route's view is made again only when another route matches: the same
//!   page with other parameters or another query keeps its view, which reads [`use_params_map`] and
//!   [`use_query_map`] reactively. A view on its way out no longer sees the address change.
//! - A click on any same-origin link (`<a href>`, [`A`] or not) navigates here: the address is pushed onto the
//!   history and the page scrolled to its top. Left to the browser: a click with a modifier key or another button, a
//!   link with a `target`, `download` or `rel="external"`, one to another origin, and one to a `#fragment` of the page
//!   shown (the skip link moves the focus there).
//! - Back and forward follow the history (`popstate`).

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A route's view: one type (a function pointer) for every route, so the code that shows a view exists once.
pub type View = fn() -> AnyView;

/// A path's parameters, or a query's (`?status=ACTIVE`): names and values, decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamsMap(Vec<(String, String)>);

impl ParamsMap {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

/// The address shown (its path and its query, without the `?`) and the route it matches.
#[derive(Clone, Copy)]
struct Router {
    url: RwSignal<(String, String)>,
    /// The index in `routes` of the route matched, and its parameters.
    matched: Memo<Option<(usize, ParamsMap)>>,
    /// The index in `routes` of the route matched.
    route: Memo<Option<usize>>,
    routes: &'static [(&'static str, View)],
}

/// What a route's view reads of the address: its parameters and query, while that route is the one shown; then, as
/// they were (a page on its way out does not see the next page's address).
#[derive(Clone, Copy)]
struct Shown(Memo<(ParamsMap, String)>);

fn router() -> Router {
    use_context::<Router>().expect("provide_router() runs before the app's components")
}

fn current() -> (String, String) {
    let location = window().location();
    let path = location.pathname().unwrap_or_else(|_| "/".into());
    let search = location.search().unwrap_or_default();
    (path, search.strip_prefix('?').unwrap_or(&search).to_owned())
}

/// The address shown now: its path and, when it has one, its query (`/portal/leads?status=APPROVED`).
pub fn address() -> String {
    let (path, search) = current();
    if search.is_empty() { path } else { format!("{path}?{search}") }
}

/// `pattern`'s parameters in `path`, when it matches.
fn matches(pattern: &str, path: &str) -> Option<ParamsMap> {
    let mut pattern_parts = pattern.split('/').filter(|s| !s.is_empty());
    let mut path_parts = path.split('/').filter(|s| !s.is_empty());
    let mut params = Vec::new();
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(ParamsMap(params)),
            (Some(p), Some(s)) => match p.strip_prefix(':') {
                Some(name) => params.push((name.to_owned(), decode(s))),
                None if p == s => {}
                None => return None,
            },
            _ => return None,
        }
    }
}

/// A path segment decoded (`%20`); as it came when it does not decode.
fn decode(s: &str) -> String {
    js_sys::decode_uri_component(s).ok().and_then(|d| d.as_string()).unwrap_or_else(|| s.to_owned())
}

/// The router of the app, for the components below: called once, before any of them, with the routes in order (a
/// static route before a parameter that would match it too: `/campaigns/new` before `/campaigns/:id`).
pub fn provide_router(routes: &'static [(&'static str, View)]) {
    let url = RwSignal::new(current());
    let matched = Memo::new(move |_| {
        url.with(|(path, _)| routes.iter().enumerate().find_map(|(i, (pattern, _))| Some((i, matches(pattern, path)?))))
    });
    let route = Memo::new(move |_| matched.with(|m| m.as_ref().map(|(i, _)| *i)));
    provide_context(Router { url, matched, route, routes });
    listen_for_navigation(url);
}

/// The matched route's view, or `fallback` when none matches.
#[component]
pub fn Routes(fallback: View) -> impl IntoView {
    let Router { url, matched, route, routes } = router();
    let outer = Owner::current().expect("<Routes> is rendered by the app");
    // Each route's view has an owner of its own, dropped once the next route's view has replaced it on the page (as
    // leptos_router does): were it this closure's, its signals and effects would be gone before its DOM was taken
    // away, and what is still running (a page's fetches, a `Suspense` waiting for a module) would find them gone.
    move || {
        let index = route.get();
        let view = index.map_or(fallback, |i| routes[i].1);
        let owner = outer.child();
        let view = owner.with(|| {
            let shown = Memo::new(move |before: Option<&(ParamsMap, String)>| match matched.get() {
                Some((i, params)) if Some(i) == index => (params, url.with(|(_, search)| search.clone())),
                _ => before.cloned().unwrap_or_default(),
            });
            provide_context(Shown(shown));
            // What the view reads as it is made is its own business, not a reason to make the route again.
            untrack(view)
        });
        leptos::tachys::reactive_graph::OwnedView::new_with_owner(view, owner)
    }
}

/// Clicks on links and the history's back and forward, for as long as the app runs.
fn listen_for_navigation(url: RwSignal<(String, String)>) {
    let document = document();
    let on_click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if let Some(to) = followed_here(&ev) {
            ev.prevent_default();
            go(url, &to, false);
        }
    });
    let _ = document.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    let on_pop = Closure::<dyn Fn()>::new(move || url.set(current()));
    let _ = window().add_event_listener_with_callback("popstate", on_pop.as_ref().unchecked_ref());
    on_pop.forget();
}

/// Where a click goes, when it is a link this app follows itself.
fn followed_here(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented() || ev.button() != 0 || ev.meta_key() || ev.alt_key() || ev.ctrl_key() || ev.shift_key() {
        return None;
    }
    let a = ev.target()?.dyn_into::<web_sys::Element>().ok()?.closest("a[href]").ok()??;
    let a = a.dyn_into::<web_sys::HtmlAnchorElement>().ok()?;
    let external = a.get_attribute("rel").is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "external"));
    if !a.target().is_empty() || a.has_attribute("download") || external {
        return None;
    }
    let location = window().location();
    if a.origin() != location.origin().ok()? {
        return None;
    }
    let (path, search, hash) = (a.pathname(), a.search(), a.hash());
    if !hash.is_empty() && path == location.pathname().ok()? && search == location.search().ok()? {
        return None;
    }
    Some(format!("{path}{search}{hash}"))
}

/// Shows `to` (a path and query): pushed onto the history, or in place of the address shown (`replace`, and a link
/// to the address shown). The page changes in a task of its own, once what the caller set off has run: a form that
/// navigates and then clears its busy state finds its signals still there (leptos_router completed navigations
/// later too).
fn go(url: RwSignal<(String, String)>, to: &str, replace: bool) {
    let location = window().location();
    let here = format!(
        "{}{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default(),
        location.hash().unwrap_or_default()
    );
    if let Ok(history) = window().history() {
        let _ = if replace || to == here {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        };
    }
    set_timeout(
        move || {
            url.set(current());
            window().scroll_to_with_x_and_y(0.0, 0.0);
        },
        std::time::Duration::ZERO,
    );
}

/// How [`use_navigate`]'s function goes: `replace` puts the address in place of the one shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NavigateOptions {
    pub replace: bool,
}

/// A function that shows another address (a path, with a query if need be).
pub fn use_navigate() -> impl Fn(&str, NavigateOptions) + Clone + 'static {
    let url = router().url;
    move |to, options| go(url, to, options.replace)
}

/// The path shown.
pub fn use_pathname() -> Signal<String> {
    let url = router().url;
    Signal::derive(move || url.with(|(path, _)| path.clone()))
}

fn shown() -> Memo<(ParamsMap, String)> {
    use_context::<Shown>().expect("a route's view asks for its address").0
}

/// The route's parameters (`:id`).
pub fn use_params_map() -> Memo<ParamsMap> {
    let shown = shown();
    Memo::new(move |_| shown.with(|(params, _)| params.clone()))
}

/// The address's query.
pub fn use_query_map() -> Memo<ParamsMap> {
    let shown = shown();
    Memo::new(move |_| {
        shown.with(|(_, search)| {
            ParamsMap(
                search
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        // A form's encoding: `+` is a space.
                        (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
                    })
                    .collect(),
            )
        })
    })
}

/// A link within the app: `aria-current="page"` while its page, or one under it, is shown.
#[component]
pub fn A(#[prop(into)] href: String, children: Children) -> impl IntoView {
    let url = router().url;
    let active = {
        let href = href.clone();
        move || {
            url.with(|(path, _)| {
                path == &href || (href != "/" && path.strip_prefix(href.as_str()).is_some_and(|r| r.starts_with('/')))
            })
        }
    };
    view! { <a href=href aria-current=move || active().then_some("page")>{children()}</a> }
}

/// Shows `path` in place of the address shown (Back does not come back to the redirect).
#[component]
pub fn Redirect(#[prop(into)] path: String) -> impl IntoView {
    use_navigate()(&path, NavigateOptions { replace: true });
}
