//! A campaign's posting instructions for its partners, as the server generates them from the declared fields:
//! endpoint, authentication, the fields with an example each, a copyable curl sending a test lead, duplicate rules,
//! the answers, and the same as a Markdown download.

use leptos::prelude::*;

use leptos::task::spawn_local;

use crate::api::{self, ApiError, wire};
use crate::components::Loading;
use crate::format;
use crate::pages::lead_quality::type_label;
use crate::router::{A, use_params_map};
use crate::session::use_session;

type Instructions = api::posting_instructions::PostingInstructionsPostingInstructions;

/// What `POST /v1/leads` answers (the Markdown's "Answers" table).
const ANSWERS: [(&str, &str, &str); 10] = [
    ("201", "", "Received: the lead's id and status RECEIVED (a test lead also carries \"test\": true)."),
    ("400", "VALIDATION", "Fields are missing or not valid: fields lists each with field, code and message."),
    ("409", "DUPLICATE_LEAD", "The same person already came: field, firstReceivedAt and samePartner."),
    ("429", "CAP_REACHED", "Your cap is full: metric, window, limit and resetsAt."),
    ("403", "PARTNER_PAUSED", "The advertiser paused your traffic on this campaign."),
    ("403", "CAMPAIGN_NOT_ACTIVE", "The campaign is paused or archived."),
    ("403", "NOT_ASSIGNED", "Your account is not a partner on this campaign."),
    ("401", "UNAUTHENTICATED", "No API key, or a revoked one."),
    ("409", "IDEMPOTENCY_CONFLICT", "An Idempotency-Key was used with another body."),
    ("429", "RATE_LIMITED", "Too many requests: wait Retry-After seconds."),
];

#[component]
pub fn PostingInstructionsPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = api::fetched(move || {
        let campaign_id = id();
        let token = session.token();
        async move {
            api::run::<api::PostingInstructions>(token.as_deref(), api::posting_instructions::Variables { campaign_id })
                .await
                .map(|d| d.posting_instructions)
        }
    });
    view! {
        <main class="page" id="main">
            <p class="crumbs"><A href="/portal">"Dashboard"</A>" / Posting instructions"</p>
            <Transition fallback=|| view! { <Loading what="the posting instructions" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>"Posting instructions"</h1>
                        <div class="banner error" role="alert">{e.message}</div>
                    }.into_any(),
                    Ok(i) => view! { <InstructionsView i=i /> }.into_any(),
                })}
            </Transition>
        </main>
    }
}

#[component]
fn InstructionsView(i: Instructions) -> impl IntoView {
    let examples = i.example_lead.get("fields").cloned().unwrap_or_default();
    let example = move |key: &str| match examples.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "—".into(),
    };
    let free_form = i.fields.is_empty();
    let refuse = wire(&i.unknown_fields) == "REFUSE";
    let rules: Vec<String> = i
        .duplicate_rules
        .iter()
        .map(|r| {
            let window = r.window_hours.map_or("ever".to_owned(), |h| format!("in the last {h} hours"));
            let scope =
                if wire(&r.scope) == "ORGANIZATION" { "any campaign of this advertiser" } else { "this campaign" };
            format!(
                "A lead whose {} matches a lead received {window} on {scope} is refused (DUPLICATE_LEAD).",
                r.fields.join(" or ")
            )
        })
        .collect();
    let markdown = i.markdown.clone();
    let file = format!("posting-instructions-{}.md", slug(&i.campaign_name));
    let download = move |_| download_text(&markdown, &file);
    view! {
        <div class="page-head">
            <h1>{format!("Posting instructions: {}", i.campaign_name)}</h1>
            <button type="button" on:click=download>"Download as Markdown"</button>
        </div>
        <section class="card" aria-labelledby="endpoint-title">
            <h2 id="endpoint-title">"Endpoint"</h2>
            <dl class="facts">
                <dt>"Send"</dt><dd><code>{format!("POST {}", i.endpoint)}</code>" with a JSON body"</dd>
                <dt>"Authentication"</dt><dd><code>"Authorization: Bearer <your API key>"</code>" ("<A href="/portal/keys">"create a key"</A>")"</dd>
                <dt>"Campaign id"</dt><dd><code>{i.campaign_id.clone()}</code></dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="fields-title">
            <h2 id="fields-title">"Fields"</h2>
            {if free_form {
                view! { <p>"This campaign takes free-form fields: any names, values of up to 1,000 characters."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" role="region" aria-label="Lead fields" tabindex="0"><table>
                        <caption class="sr-only">"Lead fields"</caption>
                        <thead><tr>
                            <th scope="col">"Field"</th><th scope="col">"Label"</th><th scope="col">"Type"</th>
                            <th scope="col">"Required"</th><th scope="col">"Example"</th>
                        </tr></thead>
                        <tbody>{i.fields.iter().map(|f| {
                            let kind = wire(&f.type_);
                            let mut kind_text = if f.values.is_empty() {
                                type_label(&kind).to_owned()
                            } else {
                                format!("One of: {}", f.values.join(", "))
                            };
                            if let Some(max) = f.max_length {
                                kind_text.push_str(&format!(", at most {max} characters"));
                            }
                            view! {
                                <tr>
                                    <td><code>{f.key.clone()}</code></td>
                                    <td>{f.label.clone()}</td>
                                    <td>{kind_text}</td>
                                    <td>{if f.required { "Yes" } else { "No" }}</td>
                                    <td><code>{example(&f.key)}</code></td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table></div>
                    <p class="hint">{format!(
                        "Phone numbers without a country code are read as {}'s. {}",
                        i.phone_country,
                        if refuse { "Fields not listed here are refused." } else { "Fields not listed here are kept as sent." },
                    )}</p>
                }.into_any()
            }}
            <p class="hint">"A call (\"type\": \"call\") also carries callerNumber (a phone number) and durationSeconds."</p>
        </section>
        {(!rules.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="duplicates-title">
                <h2 id="duplicates-title">"Duplicates"</h2>
                <ul>{rules.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
            </section>
        })}
        <section class="card" aria-labelledby="test-title">
            <h2 id="test-title">"Try it: a test lead"</h2>
            <p>"Send \"test\": true in the body, or the header X-Test-Lead: 1: the lead is checked and answered exactly as a real one (including CAP_REACHED and DUPLICATE_LEAD), and nothing is stored, counted or sent. Put your API key in PARTNERDESK_API_KEY and run:"</p>
            <CodeBlock code=i.curl.clone() label="curl command" />
            <p class="hint">"Without the X-Test-Lead line, the same command sends a real lead."</p>
        </section>
        <TrySend campaign_id=i.campaign_id.clone() fields=i.fields.clone() example=i.example_lead.clone() />
        <section class="card" aria-labelledby="answers-title">
            <h2 id="answers-title">"Answers"</h2>
            <div class="table-wrap" role="region" aria-label="Answer codes" tabindex="0"><table>
                <caption class="sr-only">"Answers of POST /v1/leads"</caption>
                <thead><tr><th scope="col">"Status"</th><th scope="col">"Code"</th><th scope="col">"Meaning"</th></tr></thead>
                <tbody>{ANSWERS.iter().map(|(status, code, meaning)| view! {
                    <tr><td>{*status}</td><td>{(!code.is_empty()).then(|| view! { <code>{*code}</code> })}</td><td class="wrap">{*meaning}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
    }
}

type Spec = api::posting_instructions::FieldSpec;

/// What the last send got.
#[derive(Clone)]
enum Answer {
    /// Accepted: the lead's status and payout, and whether it was a test.
    Accepted {
        test: bool,
        id: String,
        payout: String,
    },
    Refused(ApiError),
}

/// Sends a lead from the page, as the signed-in partner (`submitLead`, the same checks as `POST /v1/leads`): each
/// declared field prefilled with its example (a free-form campaign: the example's fields as JSON), as a test unless
/// the partner unticks it. The answer is shown as the API gives it: accepted, or refused with the reason and its
/// evidence (each failing field under its input, a duplicate's first arrival, a full cap's reset).
#[component]
fn TrySend(campaign_id: String, fields: Vec<Spec>, example: serde_json::Value) -> impl IntoView {
    let session = use_session();
    let example_fields = example.get("fields").and_then(|f| f.as_object()).cloned().unwrap_or_default();
    let text_of = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let free_form = fields.is_empty();
    let inputs: Vec<(Spec, RwSignal<String>)> = fields
        .into_iter()
        .map(|f| {
            let value = example_fields.get(&f.key).map(text_of).unwrap_or_default();
            (f, RwSignal::new(value))
        })
        .collect();
    let json = RwSignal::new(serde_json::to_string_pretty(&example_fields).unwrap_or_else(|_| "{}".into()));
    let test = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let answer = RwSignal::new(None::<Answer>);
    let campaign_id = StoredValue::new(campaign_id);
    let inputs = StoredValue::new(inputs);
    // A field's message from the last refusal (`json`: the free-form box's own check).
    let field_error = move |key: String| {
        Signal::derive(move || match answer.get() {
            Some(Answer::Refused(e)) => e.for_field(&key),
            _ => None,
        })
    };

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = if free_form {
            match serde_json::from_str::<serde_json::Value>(&json.get_untracked()) {
                Ok(v @ serde_json::Value::Object(_)) => v,
                _ => {
                    let e = ApiError::invalid("json", "Enter the fields as a JSON object, e.g. {\"name\": \"Ann\"}.");
                    return answer.set(Some(Answer::Refused(e)));
                }
            }
        } else {
            let map = inputs.with_value(|list| {
                list.iter()
                    .filter(|(_, v)| !v.get_untracked().trim().is_empty())
                    .map(|(f, v)| (f.key.clone(), serde_json::Value::String(v.get_untracked())))
                    .collect::<serde_json::Map<_, _>>()
            });
            serde_json::Value::Object(map)
        };
        let test = test.get_untracked();
        let input = api::submit_lead::SubmitLeadInput {
            campaign_id: campaign_id.get_value(),
            type_: api::submit_lead::LeadType::FORM,
            external_id: None,
            click_id: None,
            sub_ids: None,
            fields: Some(fields),
            caller_number: None,
            duration_seconds: None,
            test: Some(test),
        };
        busy.set(true);
        answer.set(None);
        spawn_local(async move {
            let res =
                api::run::<api::SubmitLead>(session.token().as_deref(), api::submit_lead::Variables { input }).await;
            answer.set(Some(match res {
                Ok(d) => Answer::Accepted { test, id: d.submit_lead.id, payout: d.submit_lead.payout },
                Err(e) => Answer::Refused(e),
            }));
            busy.set(false);
        });
    };

    let json_error = field_error("json".to_owned());
    view! {
        <form class="card" on:submit=send novalidate aria-labelledby="send-title">
            <h2 id="send-title">"Send a lead from here"</h2>
            <p class="muted">"The same checks as the API, with your account: see what a lead would get before your system sends it."</p>
            {if free_form {
                view! {
                    <div class="field" class:invalid=move || json_error.get().is_some()>
                        <label for="send-json">"Fields (JSON)"</label>
                        <textarea id="send-json" rows="5" bind:value=json spellcheck="false"
                            aria-invalid=move || if json_error.get().is_some() { "true" } else { "false" }
                            aria-describedby=move || if json_error.get().is_some() { "send-json-error" } else { "" }></textarea>
                        <Show when=move || json_error.get().is_some()>
                            <p class="error-text" id="send-json-error">{move || json_error.get()}</p>
                        </Show>
                    </div>
                }.into_any()
            } else {
                view! {
                    <div class="grid two">
                        {inputs.get_value().into_iter().map(|(f, value)| {
                            let id = format!("send-{}", f.key);
                            let error_id = format!("{id}-error");
                            let error = field_error(f.key.clone());
                            let label = format!("{} ({}){}", f.label, f.key, if f.required { ", required" } else { "" });
                            let described = {
                                let error_id = error_id.clone();
                                move || error.get().map(|_| error_id.clone())
                            };
                            view! {
                                <div class="field" class:invalid=move || error.get().is_some()>
                                    <label for=id.clone()>{label}</label>
                                    <input id=id.clone() bind:value=value autocomplete="off" spellcheck="false"
                                        aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                                        aria-describedby=described />
                                    <Show when=move || error.get().is_some()>
                                        <p class="error-text" id=error_id.clone()>{move || error.get()}</p>
                                    </Show>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <label class="check">
                <input type="checkbox" prop:checked=move || test.get() on:change=move |ev| test.set(event_target_checked(&ev)) />
                "Test only: check and answer, store nothing"
            </label>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || match (busy.get(), test.get()) {
                        (true, _) => "Sending…",
                        (false, true) => "Send test lead",
                        (false, false) => "Send lead",
                    }}
                </button>
            </div>
            <div aria-live="polite">{move || answer.get().map(|a| view! { <AnswerView answer=a /> })}</div>
        </form>
    }
}

/// An answer in words: accepted (a test: nothing kept), or refused with its code, its reason and its evidence.
#[component]
fn AnswerView(answer: Answer) -> impl IntoView {
    match answer {
        Answer::Accepted { test: true, payout, .. } => view! {
            <div class="banner ok answer">
                <strong>"Test lead accepted."</strong>
                {format!(" A real lead would be received now (payout {payout} once approved). Nothing was stored or counted.")}
            </div>
        }.into_any(),
        Answer::Accepted { id, .. } => view! {
            <div class="banner ok answer">
                <strong>"Lead received."</strong>{format!(" Lead {id} is in ")}<A href="/portal/leads">"your leads"</A>"."
            </div>
        }.into_any(),
        Answer::Refused(e) => {
            let detail = refusal(&e);
            view! {
                <div class="banner error answer">
                    <strong>{format!("Refused: {}.", e.code)}</strong>" "{detail}
                </div>
            }.into_any()
        }
    }
}

/// Why a lead was refused, with its evidence in the viewer's locale and zone.
fn refusal(e: &ApiError) -> String {
    let text = |k: &str| e.extensions.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    match e.code.as_str() {
        "DUPLICATE_LEAD" => {
            let from = if e.extensions.get("samePartner").and_then(|v| v.as_bool()) == Some(true) {
                "from you"
            } else {
                "from another source"
            };
            format!(
                "A lead with the same {} arrived {from} on {}; the campaign takes the same person once.",
                text("field"),
                format::date_time(&text("firstReceivedAt"))
            )
        }
        "CAP_REACHED" => {
            let limit = e.extensions.get("limit").and_then(|v| v.as_i64()).unwrap_or_default();
            let window = format::window_label(&text("window")).to_lowercase();
            let metric = format::metric_label(&text("metric")).to_lowercase();
            let resets = text("resetsAt");
            let resets = if resets.is_empty() {
                String::new()
            } else {
                format!(" It resets on {}.", format::date_time(&resets))
            };
            format!("Your {window} cap of {limit} {metric} is reached.{resets}")
        }
        // VALIDATION: every failing field's message (each also under its input).
        _ => e.message.clone(),
    }
}

/// Code in a `<pre>`, with a Copy button (the clipboard) and a note for screen readers once copied.
#[component]
fn CodeBlock(code: String, label: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = code.clone();
    let copy = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text);
        }
        copied.set(true);
    };
    view! {
        <div class="code-block">
            <pre tabindex="0"><code>{code}</code></pre>
            <div class="actions">
                <button type="button" on:click=copy>{format!("Copy {label}")}</button>
                <span role="status" class="muted">{move || if copied.get() { "Copied to the clipboard." } else { "" }}</span>
            </div>
        </div>
    }
}

/// "Solar NY" -> "solar-ny", for a file name.
fn slug(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    s.trim_matches('-').to_owned()
}

/// Hands `text` to the browser as a file download (Markdown).
fn download_text(text: &str, file: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/markdown");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let a = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(a) = a {
        a.set_href(&url);
        a.set_download(file);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
