use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError};
use crate::components::{ConfirmDialog, ErrorBanner, Field, Loading, field_error};
use crate::format;
use crate::pages::partners::CampaignTabs;
use crate::pages::portal::Pager;
use crate::router::{A, use_navigate, use_params_map, use_query_map};
use crate::session::use_session;
use crate::time_zones;

type Row = api::CampaignData;
type Status = api::campaigns::CampaignStatus;

const PAGE_SIZE: i64 = 20;

fn status_label(s: &str) -> &'static str {
    match s {
        "ACTIVE" => "Active",
        "PAUSED" => "Paused",
        "ARCHIVED" => "Archived",
        _ => "Unknown",
    }
}

/// The organization's campaigns: a status filter, pages of 20, and empty, loading and error states.
#[component]
pub fn CampaignList() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let navigate = use_navigate();
    let status = move || query.read().get("status").unwrap_or_default();
    // Cursors of the pages before this one, so "Previous" can go back.
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let after = RwSignal::new(None::<String>);

    let page = api::fetched(move || {
        let status = status();
        let after = after.get();
        let token = session.token();
        async move {
            let status = match status.as_str() {
                "ACTIVE" => Some(Status::ACTIVE),
                "PAUSED" => Some(Status::PAUSED),
                "ARCHIVED" => Some(Status::ARCHIVED),
                _ => None,
            };
            api::run::<api::Campaigns>(
                token.as_deref(),
                api::campaigns::Variables { first: Some(PAGE_SIZE), after, status },
            )
            .await
            .map(|d| d.campaigns)
        }
    });

    let on_filter = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        cursors.set(Vec::new());
        after.set(None);
        let url = if value.is_empty() { "/campaigns".to_owned() } else { format!("/campaigns?status={value}") };
        navigate(&url, Default::default());
    };

    view! {
        <main class="page" id="main">
            <div class="page-head">
                <h1>"Campaigns"</h1>
                <A href="/campaigns/new" attr:class="button primary">"New campaign"</A>
            </div>
            <crate::pages::returns::OpenDisputes owner=true />
            <div class="toolbar">
                <label for="status-filter">"Status"</label>
                <select id="status-filter" on:change=on_filter prop:value=status>
                    <option value="">"All"</option>
                    <option value="ACTIVE">"Active"</option>
                    <option value="PAUSED">"Paused"</option>
                    <option value="ARCHIVED">"Archived"</option>
                </select>
            </div>
            <Transition fallback=|| view! { <Loading what="campaigns" /> }>
                {move || page.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="banner error" role="alert">
                            <p>{e.message}</p>
                            <button on:click=move |_| page.refetch()>"Try again"</button>
                        </div>
                    }.into_any(),
                    Ok(conn) if conn.nodes.is_empty() && after.get_untracked().is_none() => view! {
                        <div class="empty">
                            <h2>{if status().is_empty() { "No campaigns yet" } else { "No campaigns with this status" }}</h2>
                            <p>"A campaign holds the landing page, payouts and time zone that your marketing partners send traffic to."</p>
                            <A href="/campaigns/new" attr:class="button primary">"Create your first campaign"</A>
                        </div>
                    }.into_any(),
                    Ok(conn) => {
                        let total = conn.total_count;
                        let has_next = conn.page_info.has_next_page;
                        let end = conn.page_info.end_cursor.clone();
                        view! {
                            <div class="table-wrap">
                                <table>
                                    <caption class="sr-only">"Campaigns"</caption>
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Status"</th>
                                        <th scope="col">"Time zone"</th>
                                        <th scope="col" class="num">"Per click"</th>
                                        <th scope="col" class="num">"Per form"</th>
                                        <th scope="col" class="num">"Per call"</th>
                                        <th scope="col">"Created"</th>
                                    </tr></thead>
                                    <tbody>
                                        {conn.nodes.into_iter().map(|c| view! { <CampaignRow c=Row::from(c) /> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager total=total has_next=has_next end=end after=after cursors=cursors noun="campaign" />
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn CampaignRow(c: Row) -> impl IntoView {
    let status = c.status.clone();
    view! {
        <tr>
            <td><A href=format!("/campaigns/{}", c.id)>{c.name}</A></td>
            <td><span class=format!("badge {}", status.to_lowercase())>{status_label(&status)}</span></td>
            <td>{c.time_zone}</td>
            <td class="num">{format::price(&c.click_payout, &c.currency)}</td>
            <td class="num">{format::price(&c.form_payout, &c.currency)}</td>
            <td class="num">{format::price(&c.call_payout, &c.currency)}</td>
            <td>{c.created_at.chars().take(10).collect::<String>()}</td>
        </tr>
    }
}

/// What the form edits, as text, exactly as typed.
#[derive(Clone, Copy)]
struct Form {
    name: RwSignal<String>,
    time_zone: RwSignal<String>,
    landing_url: RwSignal<String>,
    fallback_url: RwSignal<String>,
    currency: RwSignal<String>,
    click: RwSignal<String>,
    form: RwSignal<String>,
    call: RwSignal<String>,
    return_window: RwSignal<String>,
    status: RwSignal<String>,
}

impl Form {
    fn new() -> Self {
        Self {
            name: RwSignal::new(String::new()),
            time_zone: RwSignal::new(time_zones::browser_zone()),
            landing_url: RwSignal::new(String::new()),
            fallback_url: RwSignal::new(String::new()),
            currency: RwSignal::new("USD".into()),
            click: RwSignal::new("0.00".into()),
            form: RwSignal::new("0.00".into()),
            call: RwSignal::new("0.00".into()),
            return_window: RwSignal::new("30".into()),
            status: RwSignal::new("ACTIVE".into()),
        }
    }

    fn fill(&self, c: &Row) {
        self.name.set(c.name.clone());
        self.time_zone.set(c.time_zone.clone());
        self.landing_url.set(c.landing_url.clone());
        self.fallback_url.set(c.fallback_url.clone().unwrap_or_default());
        self.currency.set(c.currency.clone());
        self.click.set(c.click_payout.clone());
        self.form.set(c.form_payout.clone());
        self.call.set(c.call_payout.clone());
        self.return_window.set(c.return_window_days.to_string());
        self.status.set(c.status.clone());
    }

    /// The three payouts as typed, or the error of the first that is not an amount.
    fn payouts(&self) -> Result<(String, String, String), ApiError> {
        Ok((payout(self.click, "clickPayout")?, payout(self.form, "formPayout")?, payout(self.call, "callPayout")?))
    }

    /// The return window as typed, or its error before anything is sent.
    fn return_window(&self) -> Result<i64, ApiError> {
        self.return_window
            .get_untracked()
            .trim()
            .parse::<i64>()
            .map_err(|_| ApiError::invalid("returnWindowDays", "Enter a number of days from 0 (no returns) to 365."))
    }

    fn fallback(&self) -> Option<String> {
        Some(self.fallback_url.get_untracked().trim().to_owned()).filter(|s| !s.is_empty())
    }
}

/// A payout as typed, or a field error before anything is sent.
fn payout(value: RwSignal<String>, field: &str) -> Result<String, ApiError> {
    let v = value.get_untracked().trim().to_owned();
    let v = if v.is_empty() { "0".to_owned() } else { v };
    if v.parse::<f64>().is_ok_and(f64::is_finite) {
        Ok(v)
    } else {
        Err(ApiError::invalid(field, "Enter an amount such as 12.50."))
    }
}

#[component]
pub fn NewCampaign() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let f = Form::new();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let ((click, form, call), return_window) = match f.payouts().and_then(|p| Ok((p, f.return_window()?))) {
            Ok(v) => v,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let input = api::create_campaign::CreateCampaignInput {
                name: f.name.get_untracked(),
                time_zone: f.time_zone.get_untracked(),
                landing_url: f.landing_url.get_untracked(),
                fallback_url: f.fallback(),
                currency: Some(f.currency.get_untracked()),
                click_payout: Some(click),
                form_payout: Some(form),
                call_payout: Some(call),
                return_window_days: Some(return_window),
            };
            match api::run::<api::CreateCampaign>(session.token().as_deref(), api::create_campaign::Variables { input })
                .await
            {
                Ok(data) => {
                    navigate(&format!("/campaigns/{}/settings?created=1", data.create_campaign.id), Default::default())
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="page narrow" id="main">
            <p class="crumbs"><A href="/campaigns">"Campaigns"</A>" / New"</p>
            <h1>"New campaign"</h1>
            <form class="card" on:submit=submit novalidate>
                <ErrorBanner error=error />
                <CampaignFields f=f error=error editing=false />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Creating…" } else { "Create campaign" }}
                    </button>
                    <A href="/campaigns" attr:class="button">"Cancel"</A>
                </div>
            </form>
        </main>
    }
}

#[component]
pub fn EditCampaign() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let f = Form::new();
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(query.read_untracked().get("created").map(|_| "Campaign created.".to_owned()));
    let confirming = RwSignal::new(false);
    let loaded = RwSignal::new(None::<Row>);

    let campaign = campaign_resource(id);
    Effect::new(move |_| {
        if let Some(Ok(c)) = campaign.get() {
            f.fill(&c);
            loaded.set(Some(c));
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let ((click, form, call), return_window) = match f.payouts().and_then(|p| Ok((p, f.return_window()?))) {
            Ok(v) => v,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        error.set(None);
        saved.set(None);
        spawn_local(async move {
            let status = match f.status.get_untracked().as_str() {
                "PAUSED" => api::update_campaign::CampaignStatus::PAUSED,
                "ARCHIVED" => api::update_campaign::CampaignStatus::ARCHIVED,
                _ => api::update_campaign::CampaignStatus::ACTIVE,
            };
            let input = api::update_campaign::UpdateCampaignInput {
                name: Some(f.name.get_untracked()),
                status: Some(status),
                time_zone: Some(f.time_zone.get_untracked()),
                landing_url: Some(f.landing_url.get_untracked()),
                fallback_url: f.fallback(),
                currency: Some(f.currency.get_untracked()),
                click_payout: Some(click),
                form_payout: Some(form),
                call_payout: Some(call),
                return_window_days: Some(return_window),
            };
            let vars = api::update_campaign::Variables { id: id(), input };
            match api::run::<api::UpdateCampaign>(session.token().as_deref(), vars).await {
                Ok(_) => {
                    saved.set(Some("Changes saved.".into()));
                    campaign.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    let archive = move || {
        confirming.set(false);
        busy.set(true);
        spawn_local(async move {
            match api::run::<api::ArchiveCampaign>(
                session.token().as_deref(),
                api::archive_campaign::Variables { id: id() },
            )
            .await
            {
                Ok(_) => {
                    saved.set(Some("Campaign archived. Partners can no longer send it traffic.".into()));
                    campaign.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };

    view! {
        <main class="page narrow" id="main">
            <p class="crumbs"><A href="/campaigns">"Campaigns"</A>" / "{move || loaded.get().map(|c| c.name).unwrap_or_default()}</p>
            <CampaignTabs id=Signal::derive(id) active="settings" />
            <Transition fallback=|| view! { <Loading what="the campaign" /> }>
                {move || campaign.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>{if e.code == "NOT_FOUND" { "Campaign not found" } else { "Cannot load the campaign" }}</h1>
                        <div class="banner error" role="alert">{e.message}</div>
                        <p><A href="/campaigns">"Back to campaigns"</A></p>
                    }.into_any(),
                    Ok(c) => {
                        let archived = c.status == "ARCHIVED";
                        view! {
                            <div class="page-head">
                                <h1>{c.name.clone()}</h1>
                                <span class=format!("badge {}", c.status.to_lowercase())>{status_label(&c.status)}</span>
                            </div>
                            <Show when=move || saved.get().is_some()>
                                <div class="banner ok" role="status">{move || saved.get()}</div>
                            </Show>
                            <form class="card" on:submit=save novalidate>
                                <ErrorBanner error=error />
                                <CampaignFields f=f error=error editing=true />
                                <div class="actions">
                                    <button type="submit" class="primary" disabled=move || busy.get()>
                                        {move || if busy.get() { "Saving…" } else { "Save changes" }}
                                    </button>
                                    <Show when=move || !archived>
                                        <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Archive…"</button>
                                    </Show>
                                </div>
                            </form>
                        }.into_any()
                    }
                })}
            </Transition>
            <Show when=move || confirming.get()>
                <ConfirmDialog
                    title="Archive this campaign?".to_owned()
                    text="An archived campaign stops taking traffic and moves out of your active list. You can restore it later by setting its status.".to_owned()
                    confirm="Archive campaign".to_owned()
                    on_confirm=archive
                    on_cancel=move || confirming.set(false)
                />
            </Show>
        </main>
    }
}

#[component]
fn CampaignFields(f: Form, error: RwSignal<Option<ApiError>>, editing: bool) -> impl IntoView {
    let zones = time_zones::all();
    let tz_error = field_error(error, "timeZone");
    view! {
        <Field label="Name" id="name" value=f.name error=field_error(error, "name") required=true
            placeholder="Solar leads — New York" />
        <div class="field" class:invalid=move || tz_error.get().is_some()>
            <label for="timeZone">"Time zone"</label>
            <select id="timeZone" name="timeZone" bind:value=f.time_zone aria-describedby="timeZone-hint">
                {zones.into_iter().map(|z| view! { <option value=z.clone()>{z.clone()}</option> }).collect_view()}
            </select>
            <p class="hint" id="timeZone-hint">"Daily and monthly caps and reports start at midnight in this zone."</p>
            <Show when=move || tz_error.get().is_some()>
                <p class="error-text" role="alert">{move || tz_error.get()}</p>
            </Show>
        </div>
        <Field label="Landing page URL" id="landingUrl" kind="url" value=f.landing_url
            error=field_error(error, "landingUrl") placeholder="https://example.com/offer" required=true />
        <Field label="Fallback URL (optional)" id="fallbackUrl" kind="url" value=f.fallback_url
            error=field_error(error, "fallbackUrl") hint="Where clicks go when a partner is capped or paused." />
        <div class="grid">
            <Field label="Currency" id="currency" value=f.currency error=field_error(error, "currency")
                hint="ISO code, e.g. USD." />
            <Field label="Payout per click" id="clickPayout" value=f.click error=field_error(error, "clickPayout") inputmode="decimal" />
            <Field label="Payout per form" id="formPayout" value=f.form error=field_error(error, "formPayout") inputmode="decimal" />
            <Field label="Payout per call" id="callPayout" value=f.call error=field_error(error, "callPayout") inputmode="decimal" />
        </div>
        <Field label="Return window (days)" id="returnWindowDays" value=f.return_window
            error=field_error(error, "returnWindowDays") inputmode="numeric"
            hint="How long after a lead arrives you may return it, reversing its payout; 0: no returns." />
        <Show when=move || editing>
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status" bind:value=f.status>
                    <option value="ACTIVE">"Active"</option>
                    <option value="PAUSED">"Paused"</option>
                    <option value="ARCHIVED">"Archived"</option>
                </select>
            </div>
        </Show>
    }
}

/// The campaign whose id the route holds, loaded again when the id changes.
fn campaign_resource(id: impl Fn() -> String + Send + Sync + 'static) -> api::Fetched<Result<Row, ApiError>> {
    let session = use_session();
    api::fetched(move || {
        let id = id();
        let token = session.token();
        async move {
            api::run::<api::Campaign>(token.as_deref(), api::campaign::Variables { id })
                .await
                .map(|d| Row::from(d.campaign))
        }
    })
}

/// A campaign's Overview: its figures, live, with a sortable table per partner.
#[component]
pub fn CampaignOverview() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let campaign = campaign_resource(id);
    view! {
        <main class="page" id="main">
            <Transition fallback=|| view! { <Loading what="the campaign" /> }>
                {move || campaign.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>{if e.code == "NOT_FOUND" { "Campaign not found" } else { "Cannot load the campaign" }}</h1>
                        <div class="banner error" role="alert">{e.message}</div>
                    }.into_any(),
                    Ok(c) => {
                        let scope = crate::pages::dashboard::Scope {
                            campaign_ids: vec![c.id.clone()],
                            partner_ids: Vec::new(),
                            organization_ids: Vec::new(),
                            zone: Some(c.time_zone.clone()),
                            owner: true,
                            breakdown: crate::pages::dashboard::Breakdown::Partner,
                        };
                        view! {
                            <p class="crumbs"><A href="/campaigns">"Campaigns"</A></p>
                            <div class="page-head">
                                <h1>{c.name.clone()}</h1>
                                <span class=format!("badge {}", c.status.to_lowercase())>{status_label(&c.status)}</span>
                            </div>
                            <CampaignTabs id=Signal::derive(id) active="overview" />
                            <crate::pages::dashboard::Dashboard scope=scope />
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}
