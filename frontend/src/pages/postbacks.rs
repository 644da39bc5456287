//! Postbacks: the partner's tracker URLs (add, edit, pause, test, delete), each with its delivery log (retry an
//! attempt, replay a period); and the same postbacks read-only on the owner's page of a partner.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, wire};
use crate::components::{ConfirmDialog, ErrorBanner, Loading, field_error};
use crate::format;
use crate::session::use_session;

/// A postback as the page shows it, from either query.
#[derive(Clone, PartialEq)]
struct PostbackRow {
    id: String,
    campaign_id: Option<String>,
    /// Wire names: `LEAD_RECEIVED`, ...
    events: Vec<String>,
    method: String,
    url: String,
    body: Option<String>,
    enabled: bool,
    disabled_at: Option<String>,
    consecutive_failures: i64,
    pending: i64,
    failed: i64,
}

impl From<api::shared::PostbackFields> for PostbackRow {
    fn from(p: api::shared::PostbackFields) -> Self {
        Self {
            id: p.id,
            campaign_id: p.campaign_id,
            events: p.events.iter().map(wire).collect(),
            method: wire(&p.method),
            url: p.url,
            body: p.body,
            enabled: p.enabled,
            disabled_at: p.disabled_at,
            consecutive_failures: p.consecutive_failures,
            pending: p.pending_deliveries,
            failed: p.failed_deliveries,
        }
    }
}

/// Every event a postback can be sent for, as the API names it and as the page says it.
const EVENTS: [(&str, &str); 6] = [
    ("LEAD_RECEIVED", "Lead received"),
    ("LEAD_APPROVED", "Lead approved"),
    ("LEAD_REJECTED", "Lead rejected"),
    ("LEAD_CONVERTED", "Lead converted"),
    ("LEAD_RETURNED", "Lead returned"),
    ("CLICK_COUNTED", "Click counted"),
];

const METHODS: [(&str, &str); 3] =
    [("GET", "GET (values in the URL)"), ("POST_FORM", "POST, form body"), ("POST_JSON", "POST, JSON body")];

fn event_label(wire_name: &str) -> &'static str {
    EVENTS.iter().find(|(w, _)| *w == wire_name).map_or("Other", |(_, l)| l)
}

fn method_label(wire_name: &str) -> &'static str {
    METHODS.iter().find(|(w, _)| *w == wire_name).map_or("Other", |(_, l)| l)
}

/// What the form holds; `editing` is the postback being changed, none when adding.
#[derive(Clone, Copy)]
struct Form {
    editing: RwSignal<Option<String>>,
    campaign: RwSignal<String>,
    events: RwSignal<BTreeSet<String>>,
    method: RwSignal<String>,
    url: RwSignal<String>,
    body: RwSignal<String>,
}

/// The events a new postback is for until changed.
fn default_events() -> BTreeSet<String> {
    ["LEAD_RECEIVED", "LEAD_APPROVED"].into_iter().map(str::to_owned).collect()
}

impl Form {
    fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            campaign: RwSignal::new(String::new()),
            events: RwSignal::new(default_events()),
            method: RwSignal::new("GET".into()),
            url: RwSignal::new(String::new()),
            body: RwSignal::new(String::new()),
        }
    }

    fn load(&self, p: &PostbackRow) {
        self.editing.set(Some(p.id.clone()));
        self.campaign.set(p.campaign_id.clone().unwrap_or_default());
        self.events.set(p.events.iter().cloned().collect());
        self.method.set(p.method.clone());
        self.url.set(p.url.clone());
        self.body.set(p.body.clone().unwrap_or_default());
    }

    fn clear(&self) {
        self.editing.set(None);
        self.campaign.set(String::new());
        self.events.set(default_events());
        self.method.set("GET".into());
        self.url.set(String::new());
        self.body.set(String::new());
    }
}

/// The input of `createPostback` and `updatePostback`, from the form.
fn postback_input(f: Form) -> api::shared::PostbackInput {
    let post = f.method.get_untracked() != "GET";
    api::shared::PostbackInput {
        campaign_id: Some(f.campaign.get_untracked()).filter(|c| !c.is_empty()),
        events: f.events.get_untracked().into_iter().map(api::shared::PostbackEvent::Other).collect(),
        method: api::shared::PostbackMethod::Other(f.method.get_untracked()),
        url: f.url.get_untracked().trim().to_owned(),
        body: Some(f.body.get_untracked()).filter(|b| post && !b.trim().is_empty()),
    }
}

/// `/portal/postbacks`: the partner's postbacks.
#[component]
pub fn PostbacksPage() -> impl IntoView {
    let session = use_session();
    let form = Form::new();
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let deleting = RwSignal::new(None::<String>);
    let opened = RwSignal::new(BTreeSet::new());
    let data = api::fetched(move || {
        let token = session.token();
        async move { api::run::<api::Postbacks>(token.as_deref(), api::postbacks::Variables {}).await }
    });
    let campaigns = api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::MyPartnerAccount>(token.as_deref(), api::my_partner_account::Variables {})
                .await
                .map(|d| d.my_partner_account.campaigns.into_iter().map(|c| (c.id, c.name)).collect::<Vec<_>>())
                .unwrap_or_default()
        }
    });
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            let token = session.token();
            let done = match form.editing.get_untracked() {
                Some(id) => api::run::<api::UpdatePostback>(
                    token.as_deref(),
                    api::update_postback::Variables { id, input: postback_input(form) },
                )
                .await
                .map(|_| "Postback saved."),
                None => api::run::<api::CreatePostback>(
                    token.as_deref(),
                    api::create_postback::Variables { input: postback_input(form) },
                )
                .await
                .map(|_| "Postback added. Send a test to see what your tracker receives."),
            };
            match done {
                Ok(message) => {
                    notice.set(Some(message.into()));
                    form.clear();
                    data.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let act = move |done: Result<String, ApiError>| match done {
        Ok(message) => {
            notice.set(Some(message));
            data.refetch();
        }
        Err(e) => error.set(Some(e)),
    };
    let remove = move || {
        let Some(id) = deleting.get_untracked() else { return };
        deleting.set(None);
        spawn_local(async move {
            let done =
                api::run::<api::DeletePostback>(session.token().as_deref(), api::delete_postback::Variables { id })
                    .await
                    .map(|_| "Postback deleted.".to_owned());
            act(done);
        });
    };
    view! {
        <main class="page" id="main">
            <h1>"Postbacks"</h1>
            <p class="muted">
                "Your tracker is called the moment your traffic's events happen, with the values you put in the URL as macros, e.g. "
                <code>"https://tracker.example/postback?cid={click_id}&status={status}&payout={payout}"</code>
                ". Nothing is lost: a failed call is retried for 24 hours, every attempt shows in the log below, and you can send a period again."
            </p>
            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
            <form class="card" on:submit=save novalidate aria-labelledby="postback-form-title">
                <h2 id="postback-form-title">{move || if form.editing.get().is_some() { "Edit postback" } else { "Add a postback" }}</h2>
                <ErrorBanner error=error />
                <div class="field" class:invalid=move || field_error(error, "campaignId").get().is_some()>
                    <label for="pb-campaign">"Campaigns"</label>
                    <select id="pb-campaign" on:change=move |ev| form.campaign.set(event_target_value(&ev))>
                        <option value="" selected=move || form.campaign.with(String::is_empty)>"All your campaigns"</option>
                        {move || campaigns.get().unwrap_or_default().into_iter().map(|(id, name)| {
                            let this = id.clone();
                            view! { <option value=id selected=move || form.campaign.with(|c| *c == this)>{name}</option> }
                        }).collect_view()}
                    </select>
                    <FieldError error=error field="campaignId" />
                </div>
                <EventChecks legend="Send for" prefix="pb" events=&EVENTS selected=form.events error=error error_id="pb-events-error" />
                <div class="field">
                    <label for="pb-method">"Method"</label>
                    <select id="pb-method" on:change=move |ev| form.method.set(event_target_value(&ev))>
                        {METHODS.into_iter().map(|(name, label)| view! {
                            <option value=name selected=move || form.method.with(|m| m == name)>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field" class:invalid=move || field_error(error, "url").get().is_some()>
                    <label for="pb-url">"URL"</label>
                    <input id="pb-url" type="url" bind:value=form.url placeholder="https://tracker.example/postback?cid={click_id}"
                        aria-invalid=move || if field_error(error, "url").get().is_some() { "true" } else { "false" }
                        aria-describedby="pb-url-hint pb-url-error" />
                    <p class="hint" id="pb-url-hint">
                        "Macros: "{move || data.get().and_then(Result::ok).map(|d| d.postback_macros.join(" ")).unwrap_or_default()}
                    </p>
                    <FieldError error=error field="url" id="pb-url-error" />
                </div>
                <Show when=move || form.method.get() != "GET">
                    <div class="field" class:invalid=move || field_error(error, "body").get().is_some()>
                        <label for="pb-body">"Body (optional)"</label>
                        <textarea id="pb-body" rows="3" bind:value=form.body
                            aria-invalid=move || if field_error(error, "body").get().is_some() { "true" } else { "false" }
                            aria-describedby="pb-body-hint pb-body-error"></textarea>
                        <p class="hint" id="pb-body-hint">"Empty: every macro is sent. For JSON, put macros inside quotes: {\"id\": \"{lead_id}\"}."</p>
                        <FieldError error=error field="body" id="pb-body-error" />
                    </div>
                </Show>
                <div class="actions">
                    <Show when=move || form.editing.get().is_some()>
                        <button type="button" on:click=move |_| { form.clear(); error.set(None); }>"Cancel"</button>
                    </Show>
                    <button type="submit" class="primary">{move || if form.editing.get().is_some() { "Save postback" } else { "Add postback" }}</button>
                </div>
            </form>
            <Transition fallback=|| view! { <Loading what="your postbacks" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="banner error" role="alert"><p>{e.message}</p><button on:click=move |_| data.refetch()>"Try again"</button></div>
                    }.into_any(),
                    Ok(d) if d.postbacks.is_empty() => view! { <p class="muted">"No postbacks yet."</p> }.into_any(),
                    Ok(d) => {
                        let names = campaigns.get().unwrap_or_default();
                        d.postbacks.into_iter().map(|p| {
                        let p = PostbackRow::from(p);
                        let scope = scope_name(&names, &p.campaign_id, "All your campaigns");
                        let (id, enabled) = (p.id.clone(), p.enabled);
                        let edit = { let p = p.clone(); move |_| { form.load(&p); error.set(None); notice.set(None); } };
                        let test = { let id = id.clone(); move |_| { let id = id.clone(); spawn_local(async move {
                            let done = api::run::<api::SendTestPostback>(session.token().as_deref(), api::send_test_postback::Variables { id })
                                .await.map(|_| "Test sent: its attempt shows in the log.".to_owned());
                            act(done);
                        }); } };
                        let toggle = { let id = id.clone(); move |_| { let id = id.clone(); spawn_local(async move {
                            let done = api::run::<api::SetPostbackEnabled>(session.token().as_deref(), api::set_postback_enabled::Variables { id, enabled: !enabled })
                                .await.map(|_| if enabled { "Postback paused: its deliveries wait.".to_owned() } else { "Postback enabled: what is due goes out now.".to_owned() });
                            act(done);
                        }); } };
                        let delete = { let id = id.clone(); move |_| deleting.set(Some(id.clone())) };
                        view! {
                            <PostbackCard p=p scope=scope opened=opened>
                                <button class="small" on:click=test>"Send test"</button>
                                <button class="small" on:click=edit>"Edit"</button>
                                <button class="small" on:click=toggle>{if enabled { "Pause" } else { "Enable" }}</button>
                                <button class="small danger" on:click=delete>"Delete"</button>
                            </PostbackCard>
                        }
                    }).collect_view().into_any()
                    }
                })}
            </Transition>
            <Show when=move || deleting.get().is_some()>
                <ConfirmDialog
                    title="Delete this postback?".to_owned()
                    text="Its waiting deliveries and its log are deleted with it.".to_owned()
                    confirm="Delete postback".to_owned()
                    on_confirm=move || remove()
                    on_cancel=move || deleting.set(None)
                />
            </Show>
        </main>
    }
}

/// A destination's state and its badge's classes: active, paused by its owner, or disabled after failing (20 times in
/// a row: the server's rule).
pub fn state_badge(enabled: bool, failures: i64) -> (String, &'static str) {
    if enabled {
        ("Active".to_owned(), "badge active")
    } else if failures >= 20 {
        (format!("Disabled after {failures} failures in a row"), "badge revoked")
    } else {
        ("Paused".to_owned(), "badge paused")
    }
}

/// The events a destination is sent for, as checkboxes (`events`: wire name and label; the ids start with `prefix`),
/// with the error of none chosen under them (id `error_id`).
#[component]
pub fn EventChecks(
    legend: &'static str,
    prefix: &'static str,
    events: &'static [(&'static str, &'static str)],
    selected: RwSignal<BTreeSet<String>>,
    error: RwSignal<Option<ApiError>>,
    error_id: &'static str,
) -> impl IntoView {
    view! {
        <fieldset class="field checks" class:invalid=move || field_error(error, "events").get().is_some() aria-describedby=error_id>
            <legend>{legend}</legend>
            {events.iter().map(|&(name, label)| {
                let id = format!("{prefix}-event-{}", name.to_lowercase());
                let label_for = id.clone();
                view! {
                    <label for=label_for class="check">
                        <input type="checkbox" id=id
                            prop:checked=move || selected.with(|e| e.contains(name))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                selected.update(|e| { if on { e.insert(name.to_owned()); } else { e.remove(name); } });
                            } />
                        {label}
                    </label>
                }
            }).collect_view()}
            <FieldError error=error field="events" id=error_id />
        </fieldset>
    }
}

/// The campaign a postback is for, by name; `all` when it is for every campaign.
fn scope_name(campaigns: &[(String, String)], id: &Option<String>, all: &str) -> String {
    match id {
        None => all.to_owned(),
        Some(id) => campaigns.iter().find(|(c, _)| c == id).map_or_else(|| "A campaign".to_owned(), |(_, n)| n.clone()),
    }
}

/// A field's error under it, announced when it appears.
#[component]
pub fn FieldError(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
    #[prop(optional)] id: &'static str,
) -> impl IntoView {
    let message = field_error(error, field);
    view! { <Show when=move || message.get().is_some()><p class="error-text" id=id role="alert">{move || message.get()}</p></Show> }
}

/// One postback: what it sends where, its state, its actions and its log; without actions (`children`) for an owner,
/// whose page shows it under its own heading (`nested`).
#[component]
fn PostbackCard(
    p: PostbackRow,
    scope: String,
    opened: RwSignal<BTreeSet<String>>,
    #[prop(optional)] children: Option<Children>,
    #[prop(optional)] nested: bool,
) -> impl IntoView {
    let read_only = children.is_none();
    let (state, badge) = state_badge(p.enabled, p.consecutive_failures);
    let events = p.events.iter().map(|e| event_label(e)).collect::<Vec<_>>().join(", ");
    let title_id = format!("pb-{}", p.id);
    let labelled_by = title_id.clone();
    view! {
        <section class="card postback" aria-labelledby=labelled_by>
            <div class="page-head">
                {if nested {
                    view! { <h3 id=title_id class="url"><code>{p.url.clone()}</code></h3> }.into_any()
                } else {
                    view! { <h2 id=title_id class="url"><code>{p.url.clone()}</code></h2> }.into_any()
                }}
                <span class=badge>{state}</span>
            </div>
            <dl class="facts">
                <dt>"Campaigns"</dt><dd>{scope}</dd>
                <dt>"Events"</dt><dd>{events}</dd>
                <dt>"Method"</dt><dd>{method_label(&p.method)}</dd>
                {p.body.clone().map(|b| view! { <dt>"Body"</dt><dd><code>{b}</code></dd> })}
                <dt>"Waiting"</dt><dd>{p.pending}</dd>
                <dt>"Given up"</dt><dd>{p.failed}</dd>
                {p.disabled_at.as_deref().map(|d| view! { <dt>"Disabled"</dt><dd>{format::date_time(d)}</dd> })}
            </dl>
            {children.map(|c| view! { <div class="actions">{c()}</div> })}
            <DeliveryLog channel=Channel::Postback destination_id=p.id.clone() read_only=read_only opened=opened />
        </section>
    }
}

/// Where deliveries go: a partner's postback or an organization's webhook endpoint. Both keep the same log, and both
/// can send one event again or replay a period.
#[derive(Clone, Copy, PartialEq)]
pub enum Channel {
    Postback,
    Webhook,
}

/// One attempt of the log, from either query.
#[derive(Clone)]
struct AttemptRow {
    event_id: String,
    event: String,
    attempt: i64,
    method: String,
    url: String,
    status_code: Option<i64>,
    latency_ms: i64,
    response: Option<String>,
    error: Option<String>,
    next_retry_at: Option<String>,
    at: String,
}

/// A page of the log: attempts over all pages, the cursor of the next page, the attempts.
type AttemptPage = (i64, Option<String>, Vec<AttemptRow>);

/// A page of either log (one generated type: the `AttemptFields` fragment).
fn attempt_page(c: api::shared::AttemptFields) -> AttemptPage {
    let next = c.page_info.end_cursor.filter(|_| c.page_info.has_next_page);
    let rows = c
        .nodes
        .into_iter()
        .map(|a| AttemptRow {
            event_id: a.event_id,
            event: a.event,
            attempt: a.attempt,
            method: a.method,
            url: a.url,
            status_code: a.status_code,
            latency_ms: a.latency_ms,
            response: a.response,
            error: a.error,
            next_retry_at: a.next_retry_at,
            at: a.at,
        })
        .collect();
    (c.total_count, next, rows)
}

async fn attempts(
    token: Option<String>,
    channel: Channel,
    id: String,
    after: Option<String>,
) -> Result<AttemptPage, ApiError> {
    let token = token.as_deref();
    Ok(match channel {
        Channel::Postback => {
            let vars = api::postback_deliveries::Variables { postback_id: id, after };
            attempt_page(api::run::<api::PostbackDeliveries>(token, vars).await?.postback_deliveries)
        }
        Channel::Webhook => {
            let vars = api::webhook_deliveries::Variables { endpoint_id: id, after };
            attempt_page(api::run::<api::WebhookDeliveries>(token, vars).await?.webhook_deliveries)
        }
    })
}

async fn retry_event(token: Option<String>, channel: Channel, id: String, event_id: String) -> Result<(), ApiError> {
    let token = token.as_deref();
    match channel {
        Channel::Postback => {
            let vars = api::retry_postback_delivery::Variables { postback_id: id, event_id };
            api::run::<api::RetryPostbackDelivery>(token, vars).await.map(|_| ())
        }
        Channel::Webhook => {
            let vars = api::retry_webhook_delivery::Variables { endpoint_id: id, event_id };
            api::run::<api::RetryWebhookDelivery>(token, vars).await.map(|_| ())
        }
    }
}

async fn replay_period(
    token: Option<String>,
    channel: Channel,
    id: String,
    from: String,
    to: String,
) -> Result<i64, ApiError> {
    let token = token.as_deref();
    match channel {
        Channel::Postback => {
            let vars = api::replay_postback::Variables { id, from, to };
            api::run::<api::ReplayPostback>(token, vars).await.map(|d| d.replay_postback)
        }
        Channel::Webhook => {
            let vars = api::replay_webhook_endpoint::Variables { id, from, to };
            api::run::<api::ReplayWebhookEndpoint>(token, vars).await.map(|d| d.replay_webhook_endpoint)
        }
    }
}

/// A postback's delivery log, newest first, 20 attempts a page; "Retry now" on an attempt that did not succeed, and
/// a replay of a period, unless `read_only` (an owner sees a partner's log, and the server refuses it the rest).
/// `opened`: the postbacks whose log is shown, kept by the page so that a log stays open when the list reloads.
#[component]
pub fn DeliveryLog(
    channel: Channel,
    destination_id: String,
    read_only: bool,
    opened: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let session = use_session();
    let after = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let id = StoredValue::new(destination_id);
    let open = Signal::derive(move || opened.with(|o| o.contains(&id.get_value())));
    let toggle = move |_| {
        let this = id.get_value();
        opened.update(|o| {
            if !o.remove(&this) {
                o.insert(this);
            }
        });
    };
    let log = api::fetched(move || {
        let (token, after, show) = (session.token(), after.get(), open.get());
        let destination_id = id.get_value();
        async move {
            if !show {
                return None;
            }
            Some(attempts(token, channel, destination_id, after).await)
        }
    });
    let retry = move |event_id: String| {
        error.set(None);
        spawn_local(async move {
            match retry_event(session.token(), channel, id.get_value(), event_id).await {
                Ok(_) => {
                    notice.set(Some("Sent again: the new attempt shows at the top.".into()));
                    after.set(None);
                    log.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let replay = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        let (Some(start), Some(end)) = (
            crate::pages::portal::day_start(&from.get_untracked()),
            crate::pages::portal::day_end(&to.get_untracked()),
        ) else {
            error.set(Some(ApiError::invalid("from", "Choose the first and the last day to send again.")));
            return;
        };
        spawn_local(async move {
            match replay_period(session.token(), channel, id.get_value(), start, end).await {
                Ok(queued) => {
                    notice.set(Some(match queued {
                        0 => "No events in that period.".to_owned(),
                        1 => "1 event queued again.".to_owned(),
                        n => format!("{n} events queued again."),
                    }));
                    after.set(None);
                    log.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    // Ids of the replay's date inputs, unique on a page of several postbacks.
    let from_id = Signal::derive(move || format!("replay-from-{}", id.get_value()));
    let to_id = Signal::derive(move || format!("replay-to-{}", id.get_value()));
    view! {
        <div class="log">
            <div class="actions">
                <button class="small" aria-expanded=move || open.get().to_string() on:click=toggle>
                    {move || if open.get() { "Hide delivery log" } else { "Show delivery log" }}
                </button>
                <Show when=move || open.get()>
                    <button class="small" on:click=move |_| { after.set(None); log.refetch(); }>"Refresh"</button>
                </Show>
            </div>
            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
            <ErrorBanner error=error />
            <Show when=move || open.get()>
                <Transition fallback=|| view! { <Loading what="the delivery log" /> }>
                    {move || log.get().flatten().map(|res| match res {
                        Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                        Ok((_, _, rows)) if rows.is_empty() => view! { <p class="muted">"Nothing sent yet."</p> }.into_any(),
                        Ok((total, next, rows)) => {
                            view! {
                                <p class="muted small">{format!("{total} attempt(s), newest first.")}</p>
                                // Wider than the card (the URL column): focusable, so that a keyboard can scroll it.
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Delivery attempts, scrolls sideways"><table>
                                    <caption class="sr-only">"Delivery attempts"</caption>
                                    <thead><tr>
                                        <th scope="col">"Time"</th><th scope="col">"Event"</th><th scope="col">"Attempt"</th>
                                        <th scope="col">"Answer"</th><th scope="col" class="num">"Latency"</th><th scope="col">"Next retry"</th>
                                        <th scope="col">"URL"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>{rows.into_iter().map(|a| {
                                        let ok = a.status_code.is_some_and(|c| (200..300).contains(&c));
                                        let answer = match (a.status_code, &a.error) {
                                            (Some(code), _) => code.to_string(),
                                            (None, Some(e)) => e.clone(),
                                            (None, None) => "No answer".to_owned(),
                                        };
                                        let event_id = a.event_id.clone();
                                        view! {
                                            <tr>
                                                <td>{format::date_time(&a.at)}</td>
                                                <td>{a.event.clone()}</td>
                                                <td class="num">{a.attempt}</td>
                                                <td class:failed=!ok>
                                                    <span class="status-code">{answer}</span>
                                                    {a.response.filter(|r| !r.is_empty()).map(|r| view! {
                                                        <details><summary>"Body"</summary><pre>{r}</pre></details>
                                                    })}
                                                </td>
                                                <td class="num">{format!("{} ms", a.latency_ms)}</td>
                                                <td>{a.next_retry_at.as_deref().map(format::date_time).unwrap_or_else(|| "—".into())}</td>
                                                <td class="url"><code>{format!("{} {}", a.method, a.url)}</code></td>
                                                <td>{(!ok && !read_only).then(|| view! {
                                                    <button class="small" on:click=move |_| retry(event_id.clone())>"Retry now"</button>
                                                })}</td>
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table></div>
                                {next.map(|cursor| view! {
                                    <button class="small" on:click=move |_| after.set(Some(cursor.clone()))>"Older attempts"</button>
                                })}
                            }.into_any()
                        }
                    })}
                </Transition>
                <Show when=move || !read_only>
                    <form class="replay" on:submit=replay novalidate>
                        <p class="hint">"Send every event of a period again (at most 31 days), e.g. after your receiver was down."</p>
                        <div class="inline-fields">
                            <div class="field" class:invalid=move || field_error(error, "from").get().is_some()>
                                <label for=from_id>"From"</label>
                                <input id=from_id type="date" bind:value=from />
                            </div>
                            <div class="field" class:invalid=move || field_error(error, "to").get().is_some()>
                                <label for=to_id>"To"</label>
                                <input id=to_id type="date" bind:value=to />
                            </div>
                            <button type="submit" class="small">"Send period again"</button>
                        </div>
                        <FieldError error=error field="from" />
                        <FieldError error=error field="to" />
                    </form>
                </Show>
            </Show>
        </div>
    }
}

/// The owner's view of one partner's postbacks for its campaigns (`campaigns`: id and name), with their logs:
/// read-only.
#[component]
pub fn PartnerPostbacks(partner_id: String, campaigns: Vec<(String, String)>) -> impl IntoView {
    let session = use_session();
    let id = StoredValue::new(partner_id);
    let opened = RwSignal::new(BTreeSet::new());
    let data = api::fetched(move || {
        let token = session.token();
        let partner_id = id.get_value();
        async move {
            api::run::<api::PartnerPostbacks>(token.as_deref(), api::partner_postbacks::Variables { partner_id })
                .await
                .map(|d| d.partner_postbacks)
        }
    });
    view! {
        <Transition fallback=|| view! { <Loading what="the partner's postbacks" /> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="muted">"This partner has no postbacks for your campaigns."</p> }.into_any(),
                Ok(list) => list.into_iter().map(|p| {
                    let row = PostbackRow::from(p);
                    let scope = scope_name(&campaigns, &row.campaign_id, "All its campaigns with you");
                    view! { <PostbackCard p=row scope=scope opened=opened nested=true /> }
                }).collect_view().into_any(),
            })}
        </Transition>
    }
}
