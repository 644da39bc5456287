//! Webhooks: the organization's endpoints (add with the signing secret shown once, edit, rotate the secret, pause,
//! test, delete), each with its delivery log, as the postbacks page does for a partner.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, wire};
use crate::components::{ConfirmDialog, CopyField, ErrorBanner, Loading, field_error};
use crate::format;
use crate::pages::postbacks::{Channel, DeliveryLog, EventChecks, FieldError, state_badge};
use crate::session::use_session;

/// Every event an endpoint can be sent, as the API names it and as the page says it.
const EVENTS: [(&str, &str); 6] = [
    ("LEAD_RECEIVED", "Lead received"),
    ("LEAD_STATUS_CHANGED", "Lead status changed"),
    ("PARTNER_REGISTERED", "Partner registered"),
    ("PARTNER_STATUS_CHANGED", "Partner status changed"),
    ("CAP_REACHED", "Cap reached"),
    ("INVITATION_DELIVERY_FAILED", "Invitation delivery failed"),
];

fn event_label(wire_name: &str) -> &'static str {
    EVENTS.iter().find(|(w, _)| *w == wire_name).map_or("Other", |(_, l)| l)
}

/// The input of `createWebhookEndpoint` and `updateWebhookEndpoint`: the events go as their wire names (`Other`
/// serializes as the name it holds).
fn endpoint_input(url: RwSignal<String>, events: RwSignal<BTreeSet<String>>) -> api::shared::WebhookEndpointInput {
    api::shared::WebhookEndpointInput {
        url: url.get_untracked().trim().to_owned(),
        events: events.get_untracked().into_iter().map(api::shared::WebhookEvent::Other).collect(),
    }
}

/// `/webhooks`: the organization's webhook endpoints.
#[component]
pub fn WebhooksPage() -> impl IntoView {
    let session = use_session();
    let editing = RwSignal::new(None::<String>);
    let url = RwSignal::new(String::new());
    let events =
        RwSignal::new(BTreeSet::<String>::from(["LEAD_RECEIVED".to_owned(), "LEAD_STATUS_CHANGED".to_owned()]));
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<String>);
    // A secret just made (a new endpoint or a rotation): shown this once.
    let secret = RwSignal::new(None::<String>);
    let deleting = RwSignal::new(None::<String>);
    let rotating = RwSignal::new(None::<String>);
    let opened = RwSignal::new(BTreeSet::new());
    let data = api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::WebhookEndpoints>(token.as_deref(), api::webhook_endpoints::Variables {})
                .await
                .map(|d| d.webhook_endpoints)
        }
    });
    let clear = move || {
        editing.set(None);
        url.set(String::new());
        events.set(BTreeSet::from(["LEAD_RECEIVED".to_owned(), "LEAD_STATUS_CHANGED".to_owned()]));
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        notice.set(None);
        secret.set(None);
        spawn_local(async move {
            let token = session.token();
            let done = match editing.get_untracked() {
                Some(id) => api::run::<api::UpdateWebhookEndpoint>(
                    token.as_deref(),
                    api::update_webhook_endpoint::Variables { id, input: endpoint_input(url, events) },
                )
                .await
                .map(|_| None),
                None => api::run::<api::CreateWebhookEndpoint>(
                    token.as_deref(),
                    api::create_webhook_endpoint::Variables { input: endpoint_input(url, events) },
                )
                .await
                .map(|d| Some(d.create_webhook_endpoint.secret)),
            };
            match done {
                Ok(new_secret) => {
                    notice.set(Some(if new_secret.is_some() { "Endpoint added." } else { "Endpoint saved." }.into()));
                    secret.set(new_secret);
                    clear();
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
            let vars = api::delete_webhook_endpoint::Variables { id };
            let done = api::run::<api::DeleteWebhookEndpoint>(session.token().as_deref(), vars)
                .await
                .map(|_| "Endpoint deleted.".to_owned());
            act(done);
        });
    };
    let rotate = move || {
        let Some(id) = rotating.get_untracked() else { return };
        rotating.set(None);
        secret.set(None);
        spawn_local(async move {
            let vars = api::rotate_webhook_secret::Variables { id };
            match api::run::<api::RotateWebhookSecret>(session.token().as_deref(), vars).await {
                Ok(d) => {
                    secret.set(Some(d.rotate_webhook_secret.secret));
                    act(Ok("Secret rotated: messages are signed with both secrets for the next 24 hours.".into()));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="page" id="main">
            <h1>"Webhooks"</h1>
            <p class="muted">
                "Your systems (a CRM, a buying platform) are posted your organization's events as JSON, signed per "
                <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a>
                " (headers "<code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>
                "): verify them with any Standard Webhooks library and the endpoint's secret. A failed delivery is retried for 24 hours; every attempt shows in the log."
            </p>
            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
            <Show when=move || secret.get().is_some()>
                <div class="banner ok" role="status">
                    <p><strong>"Copy the signing secret now: it is shown only this once."</strong></p>
                    <CopyField label="Signing secret".to_owned() value=secret.get().unwrap_or_default() id="webhook-secret".to_owned() />
                </div>
            </Show>
            <form class="card" on:submit=save novalidate aria-labelledby="webhook-form-title">
                <h2 id="webhook-form-title">{move || if editing.get().is_some() { "Edit endpoint" } else { "Add an endpoint" }}</h2>
                <ErrorBanner error=error />
                <div class="field" class:invalid=move || field_error(error, "url").get().is_some()>
                    <label for="wh-url">"URL"</label>
                    <input id="wh-url" type="url" bind:value=url placeholder="https://crm.example/hooks/partnerdesk"
                        aria-invalid=move || if field_error(error, "url").get().is_some() { "true" } else { "false" }
                        aria-describedby="wh-url-error" />
                    <FieldError error=error field="url" id="wh-url-error" />
                </div>
                <EventChecks legend="Send" prefix="wh" events=&EVENTS selected=events error=error error_id="wh-events-error" />
                <div class="actions">
                    <Show when=move || editing.get().is_some()>
                        <button type="button" on:click=move |_| { clear(); error.set(None); }>"Cancel"</button>
                    </Show>
                    <button type="submit" class="primary">{move || if editing.get().is_some() { "Save endpoint" } else { "Add endpoint" }}</button>
                </div>
            </form>
            <Transition fallback=|| view! { <Loading what="your endpoints" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="banner error" role="alert"><p>{e.message}</p><button on:click=move |_| data.refetch()>"Try again"</button></div>
                    }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No endpoints yet."</p> }.into_any(),
                    Ok(list) => list.into_iter().map(|w| {
                        let (id, enabled) = (w.id.clone(), w.enabled);
                        let names: Vec<String> = w.events.iter().map(wire).collect();
                        let (state, badge) = state_badge(w.enabled, w.consecutive_failures);
                        let edit = { let (id, u, names) = (id.clone(), w.url.clone(), names.clone()); move |_| {
                            editing.set(Some(id.clone()));
                            url.set(u.clone());
                            events.set(names.iter().cloned().collect());
                            error.set(None);
                            notice.set(None);
                        } };
                        let test = { let id = id.clone(); move |_| { let id = id.clone(); spawn_local(async move {
                            let done = api::run::<api::SendTestWebhook>(session.token().as_deref(), api::send_test_webhook::Variables { id })
                                .await.map(|_| "Test sent: its attempt shows in the log.".to_owned());
                            act(done);
                        }); } };
                        let toggle = { let id = id.clone(); move |_| { let id = id.clone(); spawn_local(async move {
                            let vars = api::set_webhook_endpoint_enabled::Variables { id, enabled: !enabled };
                            let done = api::run::<api::SetWebhookEndpointEnabled>(session.token().as_deref(), vars)
                                .await.map(|_| if enabled { "Endpoint paused: its deliveries wait.".to_owned() } else { "Endpoint enabled: what is due goes out now.".to_owned() });
                            act(done);
                        }); } };
                        let rotate_it = { let id = id.clone(); move |_| rotating.set(Some(id.clone())) };
                        let delete = { let id = id.clone(); move |_| deleting.set(Some(id.clone())) };
                        let title_id = format!("wh-{}", w.id);
                        let labelled_by = title_id.clone();
                        view! {
                            <section class="card postback" aria-labelledby=labelled_by>
                                <div class="page-head">
                                    <h2 id=title_id class="url"><code>{w.url.clone()}</code></h2>
                                    <span class=badge>{state}</span>
                                </div>
                                <dl class="facts">
                                    <dt>"Events"</dt><dd>{names.iter().map(|e| event_label(e)).collect::<Vec<_>>().join(", ")}</dd>
                                    {w.previous_secret_valid_until.as_deref().map(|t| view! {
                                        <dt>"Previous secret"</dt><dd>{format!("Still signs until {}", format::date_time(t))}</dd>
                                    })}
                                    {w.disabled_at.as_deref().map(|d| view! { <dt>"Disabled"</dt><dd>{format::date_time(d)}</dd> })}
                                </dl>
                                <div class="actions">
                                    <button class="small" on:click=test>"Send test"</button>
                                    <button class="small" on:click=edit>"Edit"</button>
                                    <button class="small" on:click=rotate_it>"Rotate secret"</button>
                                    <button class="small" on:click=toggle>{if enabled { "Pause" } else { "Enable" }}</button>
                                    <button class="small danger" on:click=delete>"Delete"</button>
                                </div>
                                <DeliveryLog channel=Channel::Webhook destination_id=id read_only=false opened=opened />
                            </section>
                        }
                    }).collect_view().into_any(),
                })}
            </Transition>
            <Show when=move || deleting.get().is_some()>
                <ConfirmDialog
                    title="Delete this endpoint?".to_owned()
                    text="Its waiting deliveries and its log are deleted with it.".to_owned()
                    confirm="Delete endpoint".to_owned()
                    on_confirm=move || remove()
                    on_cancel=move || deleting.set(None)
                />
            </Show>
            <Show when=move || rotating.get().is_some()>
                <ConfirmDialog
                    title="Rotate the signing secret?".to_owned()
                    text="A new secret signs from now on; the current one keeps signing too for 24 hours, while you update your receiver.".to_owned()
                    confirm="Rotate secret".to_owned()
                    on_confirm=move || rotate()
                    on_cancel=move || rotating.set(None)
                />
            </Show>
        </main>
    }
}
