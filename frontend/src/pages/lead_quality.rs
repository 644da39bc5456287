//! Lead quality settings. A campaign's Lead quality tab: the fields its leads must carry (`setLeadFields`) and who
//! counts as the same person (`setDuplicateRule`). The organization's page: the reasons it returns leads for
//! (`setReturnReasons`) and the duplicate rule every campaign applies beside its own.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, wire};
use crate::components::Loading;
use crate::pages::partners::CampaignTabs;
use crate::pages::returns::FormError;
use crate::router::{A, use_params_map};
use crate::session::use_session;

/// The field types a campaign may declare, as the server names them, and as the editor shows them.
pub const FIELD_TYPES: [(&str, &str); 14] = [
    ("TEXT", "Text"),
    ("EMAIL", "Email"),
    ("PHONE", "Phone number"),
    ("US_ZIP", "US ZIP code"),
    ("US_STATE", "US state"),
    ("COUNTRY", "Country (ISO code)"),
    ("INTEGER", "Whole number"),
    ("DECIMAL", "Decimal number"),
    ("DATE", "Date (YYYY-MM-DD)"),
    ("BOOLEAN", "Yes or no"),
    ("ENUM", "One of a list"),
    ("URL", "Web address (URL)"),
    ("CONSENT_VERSION", "Consent text version"),
    ("CONSENT_PROOF", "Consent proof URL"),
];

pub fn type_label(kind: &str) -> &'static str {
    FIELD_TYPES.iter().find(|(k, _)| *k == kind).map_or("Unknown", |(_, l)| l)
}

/// Types whose values have a maximum length.
fn has_length(kind: &str) -> bool {
    matches!(kind, "TEXT" | "EMAIL" | "URL" | "CONSENT_VERSION" | "CONSENT_PROOF")
}

/// A generated enum value from its wire name (`EMAIL`, `KEEP`, `CAMPAIGN`).
fn from_wire<T: api::Decode>(name: &str) -> Option<T> {
    T::decode(&serde_json::Value::String(name.to_owned())).ok()
}

/// One row of the editor, as typed.
#[derive(Clone, Copy)]
struct FieldRow {
    /// Stable while the row lives (for ids and for `<For>`), unlike its position.
    uid: u32,
    key: RwSignal<String>,
    label: RwSignal<String>,
    kind: RwSignal<String>,
    required: RwSignal<bool>,
    max_length: RwSignal<String>,
    /// An enum's values, comma-separated.
    values: RwSignal<String>,
}

type Spec = api::lead_quality::FieldSpec;

#[component]
pub fn LeadQualityPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let data = api::fetched(move || {
        let id = id.get();
        let token = session.token();
        async move {
            api::run::<api::LeadQuality>(token.as_deref(), api::lead_quality::Variables { id })
                .await
                .map(|d| d.campaign)
        }
    });
    view! {
        <main class="page narrow" id="main">
            <p class="crumbs"><A href="/campaigns">"Campaigns"</A>" / Lead quality"</p>
            <Transition fallback=|| view! { <Loading what="the campaign" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>"Cannot load the campaign"</h1>
                        <div class="banner error" role="alert">{e.message}</div>
                    }.into_any(),
                    Ok(c) => view! {
                        <div class="page-head"><h1>{c.name.clone()}</h1></div>
                        <CampaignTabs id=id active="quality" />
                        <FieldsEditor campaign_id=c.id.clone() fields=c.lead_fields.clone()
                            refuse=wire(&c.unknown_fields) == "REFUSE" phone_country=c.phone_country.clone() />
                        <RuleForm campaign_id=Some(c.id.clone()) rule=c.duplicate_rule.clone().map(RuleData::from)
                            keys=c.lead_fields.iter().map(|f| f.key.clone()).collect() />
                        <p class="hint">"Rules for every campaign, and the reasons you return leads for: "
                            <A href="/lead-quality">"the organization's lead quality settings"</A>"."</p>
                    }.into_any(),
                })}
            </Transition>
        </main>
    }
}

/// The declared fields: a row per field (key, label, type, required, maximum length, an enum's values), what
/// happens to undeclared fields, and the country of national phone numbers. Saved as one list.
#[component]
fn FieldsEditor(campaign_id: String, fields: Vec<Spec>, refuse: bool, phone_country: String) -> impl IntoView {
    let session = use_session();
    let next = StoredValue::new(0u32);
    let new_row = move |f: Option<&Spec>| {
        let uid = next.get_value();
        next.set_value(uid + 1);
        FieldRow {
            uid,
            key: RwSignal::new(f.map(|f| f.key.clone()).unwrap_or_default()),
            label: RwSignal::new(f.map(|f| f.label.clone()).unwrap_or_default()),
            kind: RwSignal::new(f.map_or_else(|| "TEXT".to_owned(), |f| wire(&f.type_))),
            required: RwSignal::new(f.is_some_and(|f| f.required)),
            max_length: RwSignal::new(f.and_then(|f| f.max_length).map(|m| m.to_string()).unwrap_or_default()),
            values: RwSignal::new(f.map(|f| f.values.join(", ")).unwrap_or_default()),
        }
    };
    let rows = RwSignal::new(fields.iter().map(|f| new_row(Some(f))).collect::<Vec<_>>());
    let unknown = RwSignal::new(if refuse { "REFUSE" } else { "KEEP" }.to_owned());
    let country = RwSignal::new(phone_country);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let campaign_id = StoredValue::new(campaign_id);
    // A row's error: the server names it `fields.<position>`.
    let row_error = move |uid: u32| {
        Signal::derive(move || {
            let at = rows.with(|r| r.iter().position(|row| row.uid == uid))?;
            error.get().and_then(|e| e.for_field(&format!("fields.{at}")))
        })
    };
    let list_error = Signal::derive(move || error.get().and_then(|e| e.for_field("fields")));
    let country_error = Signal::derive(move || error.get().and_then(|e| e.for_field("phoneCountry")));

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        use api::set_lead_fields::{LeadFieldInput, LeadFieldsInput, Variables};
        let mut specs = Vec::new();
        for (i, r) in rows.get_untracked().into_iter().enumerate() {
            let max = r.max_length.get_untracked();
            let max_length = match max.trim() {
                "" => None,
                m => match m.parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        return error.set(Some(ApiError::invalid(
                            &format!("fields.{i}"),
                            "The maximum length is a whole number of characters.",
                        )));
                    }
                },
            };
            let kind = r.kind.get_untracked();
            let values = if kind == "ENUM" {
                r.values
                    .get_untracked()
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                Vec::new()
            };
            let Some(type_) = from_wire(&kind) else { continue };
            specs.push(LeadFieldInput {
                key: r.key.get_untracked(),
                label: r.label.get_untracked(),
                type_,
                required: r.required.get_untracked(),
                max_length: if has_length(&kind) { max_length } else { None },
                values,
            });
        }
        let Some(unknown_fields) = from_wire(&unknown.get_untracked()) else { return };
        let input = LeadFieldsInput { fields: specs, unknown_fields, phone_country: country.get_untracked() };
        let vars = Variables { campaign_id: campaign_id.get_value(), input };
        busy.set(true);
        error.set(None);
        saved.set(false);
        spawn_local(async move {
            match api::run::<api::SetLeadFields>(session.token().as_deref(), vars).await {
                Ok(_) => saved.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="card" on:submit=save novalidate aria-labelledby="fields-title">
            <h2 id="fields-title">"Lead fields"</h2>
            <p class="muted">"What each lead of this campaign must carry. Leads that do not are refused with every failing field named, and are not counted toward caps. With no fields, leads carry any fields."</p>
            <FormError error=error shown=&["fields", "fields.", "phoneCountry"] />
            <Show when=move || list_error.get().is_some()>
                <p class="error-text" role="alert">{move || list_error.get()}</p>
            </Show>
            <Show when=move || rows.with(Vec::is_empty)>
                <p class="muted">"No fields declared: free-form fields."</p>
            </Show>
            <For each=move || rows.get() key=|r| r.uid let:row>
                <FieldRowEditor row=row error=row_error(row.uid)
                    on_remove=Callback::new(move |()| rows.update(|r| r.retain(|x| x.uid != row.uid))) />
            </For>
            <div class="actions">
                <button type="button" on:click=move |_| rows.update(|r| r.push(new_row(None)))>"Add field"</button>
            </div>
            <div class="grid two">
                <div class="field">
                    <label for="unknownFields">"Fields not declared"</label>
                    <select id="unknownFields" bind:value=unknown>
                        <option value="KEEP">"Keep them"</option>
                        <option value="REFUSE">"Refuse the lead"</option>
                    </select>
                </div>
                <div class="field" class:invalid=move || country_error.get().is_some()>
                    <label for="phoneCountry">"Phone numbers without a country code are from"</label>
                    <input id="phoneCountry" bind:value=country maxlength="2" autocomplete="off"
                        aria-invalid=move || if country_error.get().is_some() { "true" } else { "false" }
                        aria-describedby=move || if country_error.get().is_some() { "phoneCountry-hint phoneCountry-error" } else { "phoneCountry-hint" } />
                    <p class="hint" id="phoneCountry-hint">"ISO country code, e.g. US or GB."</p>
                    <Show when=move || country_error.get().is_some()>
                        <p class="error-text" id="phoneCountry-error" role="alert">{move || country_error.get()}</p>
                    </Show>
                </div>
            </div>
            <Show when=move || saved.get()>
                <div class="banner ok" role="status">"Lead fields saved."</div>
            </Show>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save fields" }}
                </button>
            </div>
        </form>
    }
}

/// One declared field: its inputs, labelled, and its error under them.
#[component]
fn FieldRowEditor(row: FieldRow, error: Signal<Option<String>>, on_remove: Callback<()>) -> impl IntoView {
    let uid = row.uid;
    let id = move |what: &str| format!("field-{uid}-{what}");
    let error_id = id("error");
    let described = {
        let error_id = error_id.clone();
        Signal::derive(move || error.get().map(|_| error_id.clone()))
    };
    let invalid = move || if error.get().is_some() { "true" } else { "false" };
    let name = move || {
        let k = row.key.get();
        if k.trim().is_empty() { "New field".to_owned() } else { k }
    };
    view! {
        <fieldset class="lead-field" class:invalid=move || error.get().is_some()>
            <legend>{name}</legend>
            <div class="grid">
                <div class="field">
                    <label for=id("key")>"Key"</label>
                    <input id=id("key") bind:value=row.key autocomplete="off" spellcheck="false" placeholder="phone"
                        aria-invalid=invalid aria-describedby=move || described.get() />
                </div>
                <div class="field">
                    <label for=id("label")>"Label"</label>
                    <input id=id("label") bind:value=row.label autocomplete="off" placeholder="Phone number"
                        aria-describedby=move || described.get() />
                </div>
                <div class="field">
                    <label for=id("type")>"Type"</label>
                    <select id=id("type") bind:value=row.kind aria-describedby=move || described.get()>
                        {FIELD_TYPES.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                    </select>
                </div>
                <Show when=move || has_length(&row.kind.get())>
                    <div class="field">
                        <label for=id("max")>"Max length"</label>
                        <input id=id("max") bind:value=row.max_length inputmode="numeric" autocomplete="off"
                            aria-describedby=move || described.get() />
                    </div>
                </Show>
            </div>
            <Show when=move || row.kind.get() == "ENUM">
                <div class="field">
                    <label for=id("values")>"Allowed values"</label>
                    <input id=id("values") bind:value=row.values autocomplete="off" placeholder="own, rent"
                        aria-describedby=move || format!("{} {}", id("values-hint"), described.get().unwrap_or_default()) />
                    <p class="hint" id=id("values-hint")>"Separated by commas; matched in any case."</p>
                </div>
            </Show>
            <div class="row-actions">
                <label class="check">
                    <input type="checkbox" prop:checked=move || row.required.get()
                        on:change=move |ev| row.required.set(event_target_checked(&ev)) />
                    "Required"
                </label>
                <button type="button" class="small danger" on:click=move |_| on_remove.run(())
                    aria-label=move || format!("Remove {}", name())>"Remove"</button>
            </div>
            <Show when=move || error.get().is_some()>
                <p class="error-text" id=error_id.clone() role="alert">{move || error.get()}</p>
            </Show>
        </fieldset>
    }
}

/// A duplicate rule as the form edits it, whichever query fetched it.
#[derive(Clone)]
struct RuleData {
    fields: Vec<String>,
    window_hours: Option<i64>,
    scope: String,
}

impl From<api::shared::RuleFields> for RuleData {
    fn from(r: api::shared::RuleFields) -> Self {
        Self { fields: r.fields, window_hours: r.window_hours, scope: wire(&r.scope) }
    }
}

/// A duplicate rule, the campaign's (`campaign_id`) or the organization's: the fields that each identify a person,
/// how long a first lead blocks the next, and where the first is sought.
#[component]
fn RuleForm(campaign_id: Option<String>, rule: Option<RuleData>, keys: Vec<String>) -> impl IntoView {
    let organization = campaign_id.is_none();
    let session = use_session();
    let fields = RwSignal::new(rule.as_ref().map(|r| r.fields.join(", ")).unwrap_or_default());
    let (amount, unit) = match rule.as_ref().and_then(|r| r.window_hours) {
        None => (String::new(), "HOURS"),
        Some(h) if h % 24 == 0 => ((h / 24).to_string(), "DAYS"),
        Some(h) => (h.to_string(), "HOURS"),
    };
    let window = RwSignal::new(amount);
    let unit = RwSignal::new(unit.to_owned());
    let scope = RwSignal::new(rule.as_ref().map_or_else(|| "CAMPAIGN".to_owned(), |r| r.scope.clone()));
    let exists = RwSignal::new(rule.is_some());
    let error = RwSignal::new(None::<ApiError>);
    let notice = RwSignal::new(None::<&'static str>);
    let campaign_id = StoredValue::new(campaign_id);
    let fields_error = Signal::derive(move || error.get().and_then(|e| e.for_field("fields")));
    let window_error = Signal::derive(move || error.get().and_then(|e| e.for_field("windowHours")));
    let hint = if keys.is_empty() {
        "Field keys, separated by commas; each is enough on its own. callerNumber is a call's number.".to_owned()
    } else {
        format!("Each is enough on its own. Declared: {}; callerNumber is a call's number.", keys.join(", "))
    };

    let send = move |remove: bool| {
        use api::set_duplicate_rule::{DuplicateRuleInput, Variables};
        let rule = if remove {
            None
        } else {
            let w = window.get_untracked();
            let window_hours = match w.trim() {
                "" => None,
                n => match n.parse::<i64>() {
                    Ok(n) => Some(if unit.get_untracked() == "DAYS" { n.saturating_mul(24) } else { n }),
                    Err(_) => {
                        return error.set(Some(ApiError::invalid(
                            "windowHours",
                            "The window is a whole number; leave it empty for forever.",
                        )));
                    }
                },
            };
            let fields =
                fields.get_untracked().split(',').map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned).collect();
            let Some(scope) = from_wire(&scope.get_untracked()) else { return };
            Some(DuplicateRuleInput { fields, window_hours, scope })
        };
        let vars = Variables { campaign_id: campaign_id.get_value(), rule };
        error.set(None);
        notice.set(None);
        spawn_local(async move {
            match api::run::<api::SetDuplicateRule>(session.token().as_deref(), vars).await {
                Ok(d) => {
                    exists.set(d.set_duplicate_rule.is_some());
                    if remove {
                        fields.set(String::new());
                        window.set(String::new());
                    }
                    notice.set(Some(if remove { "Duplicate rule removed." } else { "Duplicate rule saved." }));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    view! {
        <form class="card" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send(false) } novalidate
            aria-labelledby="rule-title">
            <h2 id="rule-title">{if organization { "Duplicate rule for every campaign" } else { "Duplicate rule" }}</h2>
            <p class="muted">"A lead whose value of any of these fields matches a lead accepted within the window is refused as a duplicate: not counted toward caps, not paid."
                {organization.then_some(" Every campaign applies this rule, beside its own.")}</p>
            <FormError error=error shown=&["fields", "windowHours"] />
            <div class="field" class:invalid=move || fields_error.get().is_some()>
                <label for="ruleFields">"Match on"</label>
                <input id="ruleFields" bind:value=fields autocomplete="off" spellcheck="false" placeholder="phone, email"
                    aria-invalid=move || if fields_error.get().is_some() { "true" } else { "false" }
                    aria-describedby=move || if fields_error.get().is_some() { "ruleFields-hint ruleFields-error" } else { "ruleFields-hint" } />
                <p class="hint" id="ruleFields-hint">{hint}</p>
                <Show when=move || fields_error.get().is_some()>
                    <p class="error-text" id="ruleFields-error" role="alert">{move || fields_error.get()}</p>
                </Show>
            </div>
            <div class="grid two">
                <div class="field" class:invalid=move || window_error.get().is_some()>
                    <label for="ruleWindow">"Window"</label>
                    <div class="copy-row">
                        <input id="ruleWindow" bind:value=window inputmode="numeric" autocomplete="off"
                            aria-invalid=move || if window_error.get().is_some() { "true" } else { "false" }
                            aria-describedby=move || if window_error.get().is_some() { "ruleWindow-hint ruleWindow-error" } else { "ruleWindow-hint" } />
                        <select id="ruleUnit" aria-label="Window unit" bind:value=unit>
                            <option value="HOURS">"hours"</option>
                            <option value="DAYS">"days"</option>
                        </select>
                    </div>
                    <p class="hint" id="ruleWindow-hint">"Empty: forever."</p>
                    <Show when=move || window_error.get().is_some()>
                        <p class="error-text" id="ruleWindow-error" role="alert">{move || window_error.get()}</p>
                    </Show>
                </div>
                <div class="field">
                    <label for="ruleScope">"Look for the first lead in"</label>
                    <select id="ruleScope" bind:value=scope>
                        <option value="CAMPAIGN">{if organization { "The lead's own campaign" } else { "This campaign" }}</option>
                        <option value="ORGANIZATION">"Every campaign of the organization"</option>
                    </select>
                </div>
            </div>
            <Show when=move || notice.get().is_some()>
                <div class="banner ok" role="status">{move || notice.get()}</div>
            </Show>
            <div class="actions">
                <button type="submit" class="primary">"Save rule"</button>
                <Show when=move || exists.get()>
                    <button type="button" class="danger" on:click=move |_| send(true)>"Remove rule"</button>
                </Show>
            </div>
        </form>
    }
}

/// The organization's lead quality settings: the reasons it returns leads for, and its duplicate rule.
#[component]
pub fn OrganizationQualityPage() -> impl IntoView {
    let session = use_session();
    let data = api::fetched(move || {
        let token = session.token();
        async move { api::run::<api::OrganizationQuality>(token.as_deref(), api::organization_quality::Variables {}).await }
    });
    view! {
        <main class="page narrow" id="main">
            <h1>"Lead quality"</h1>
            <p class="muted">"For every campaign of your organization. Each campaign declares its own fields and may add its own duplicate rule on its Lead quality tab."</p>
            <Transition fallback=|| view! { <Loading what="the settings" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                    Ok(d) => view! {
                        <ReasonsEditor reasons=d.return_reasons.into_iter().map(|r| (r.code, r.label)).collect() />
                        <RuleForm campaign_id=None rule=d.organization_duplicate_rule.map(RuleData::from) keys=Vec::new() />
                    }.into_any(),
                })}
            </Transition>
        </main>
    }
}

/// One return reason as typed.
#[derive(Clone, Copy)]
struct ReasonRow {
    uid: u32,
    code: RwSignal<String>,
    label: RwSignal<String>,
}

/// The reasons an owner picks from when returning a lead (the partner sees the label): a row per reason, `OTHER`
/// (with a text) always last. Saved as one list.
#[component]
fn ReasonsEditor(reasons: Vec<(String, String)>) -> impl IntoView {
    let session = use_session();
    let next = StoredValue::new(0u32);
    let new_row = move |code: String, label: String| {
        let uid = next.get_value();
        next.set_value(uid + 1);
        ReasonRow { uid, code: RwSignal::new(code), label: RwSignal::new(label) }
    };
    let rows = RwSignal::new(
        reasons.into_iter().filter(|(code, _)| code != "OTHER").map(|(c, l)| new_row(c, l)).collect::<Vec<_>>(),
    );
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    // A row's error: the server names it `reasons.<position>.code` or `.label`.
    let row_error = move |uid: u32| {
        Signal::derive(move || {
            let at = rows.with(|r| r.iter().position(|row| row.uid == uid))?;
            let e = error.get()?;
            e.for_field(&format!("reasons.{at}.code")).or_else(|| e.for_field(&format!("reasons.{at}.label")))
        })
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        use api::set_return_reasons::{ReturnReasonInput, Variables};
        let reasons = rows
            .get_untracked()
            .into_iter()
            .map(|r| ReturnReasonInput { code: r.code.get_untracked(), label: r.label.get_untracked() })
            .collect();
        busy.set(true);
        error.set(None);
        saved.set(false);
        spawn_local(async move {
            match api::run::<api::SetReturnReasons>(session.token().as_deref(), Variables { reasons }).await {
                Ok(d) => {
                    rows.set(
                        d.set_return_reasons
                            .into_iter()
                            .filter(|r| r.code != "OTHER")
                            .map(|r| new_row(r.code, r.label))
                            .collect(),
                    );
                    saved.set(true);
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="card" on:submit=save novalidate aria-labelledby="reasons-title">
            <h2 id="reasons-title">"Return reasons"</h2>
            <p class="muted">"You pick one when you return a lead; the partner sees its label, and may dispute the return."</p>
            <FormError error=error shown=&["reasons."] />
            <div class="table-wrap" role="region" aria-label="Return reasons" tabindex="0"><table class="reasons">
                <caption class="sr-only">"Return reasons"</caption>
                <thead><tr><th scope="col">"Code"</th><th scope="col">"Label the partner sees"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.uid let:row>
                        <ReasonRowEditor row=row error=row_error(row.uid)
                            on_remove=Callback::new(move |()| rows.update(|r| r.retain(|x| x.uid != row.uid))) />
                    </For>
                    <tr><td><code>"OTHER"</code></td><td>"Other (you write the reason)"</td><td class="muted">"Always offered"</td></tr>
                </tbody>
            </table></div>
            <div class="actions">
                <button type="button" on:click=move |_| rows.update(|r| r.push(new_row(String::new(), String::new())))>"Add reason"</button>
            </div>
            <Show when=move || saved.get()>
                <div class="banner ok" role="status">"Return reasons saved."</div>
            </Show>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save reasons" }}
                </button>
            </div>
        </form>
    }
}

/// One return reason's inputs, labelled, with its error under them.
#[component]
fn ReasonRowEditor(row: ReasonRow, error: Signal<Option<String>>, on_remove: Callback<()>) -> impl IntoView {
    let uid = row.uid;
    let error_id = format!("reason-{uid}-error");
    let described = {
        let error_id = error_id.clone();
        move || error.get().map(|_| error_id.clone())
    };
    let described_too = described.clone();
    let invalid = move || if error.get().is_some() { "true" } else { "false" };
    let name = move || {
        let c = row.code.get();
        if c.trim().is_empty() { "new reason".to_owned() } else { c }
    };
    view! {
        <tr class:invalid=move || error.get().is_some()>
            <td>
                <input id=format!("reason-{uid}-code") bind:value=row.code autocomplete="off" spellcheck="false"
                    placeholder="WRONG_NUMBER" aria-label=move || format!("Code of {}", name())
                    aria-invalid=invalid aria-describedby=described />
            </td>
            <td>
                <input id=format!("reason-{uid}-label") bind:value=row.label autocomplete="off"
                    placeholder="Wrong number" aria-label=move || format!("Label of {}", name())
                    aria-invalid=invalid aria-describedby=described_too />
                <Show when=move || error.get().is_some()>
                    <p class="error-text" id=error_id.clone()>{move || error.get()}</p>
                </Show>
            </td>
            <td>
                <button type="button" class="small danger" on:click=move |_| on_remove.run(())
                    aria-label=move || format!("Remove {}", name())>"Remove"</button>
            </td>
        </tr>
    }
}
