//! The Marketing Partners tab, the Add Marketing Partner dialog, the organization's partners and the single view.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, CapData, PartnerRow, report, wire};
use crate::components::{ConfirmDialog, ErrorBanner, Field, Loading, Modal, field_error};
use crate::format::{self, cap_line, metric_label, partner_status_label, window_label};
use crate::pages::dashboard::{Sums, add_days, percent, sort_header, today_in};
use crate::pages::portal::Pager;
use crate::router::{A, use_params_map};
use crate::session::use_session;
use crate::time_zones;

const METRICS: [&str; 3] = ["CLICK", "FORM", "CALL"];
const WINDOWS: [&str; 3] = ["GLOBAL", "DAILY", "MONTHLY"];

/// Overview | Marketing Partners, under a campaign's name.
#[component]
pub fn CampaignTabs(#[prop(into)] id: Signal<String>, active: &'static str) -> impl IntoView {
    let tab = move |key: &'static str, label: &'static str, href: String| {
        view! {
            <a href=href class:active=active == key aria-current=if active == key { Some("page") } else { None }>{label}</a>
        }
    };
    view! {
        <nav class="tabs" aria-label="Campaign">
            {move || tab("overview", "Overview", format!("/campaigns/{}", id.get()))}
            {move || tab("partners", "Marketing Partners", format!("/campaigns/{}/partners", id.get()))}
            {move || tab("leads", "Leads", format!("/campaigns/{}/leads", id.get()))}
            {move || tab("quality", "Lead quality", format!("/campaigns/{}/quality", id.get()))}
            {move || tab("settings", "Settings", format!("/campaigns/{}/settings", id.get()))}
        </nav>
    }
}

fn badge(status: &str) -> impl IntoView + use<> {
    view! { <span class=format!("badge {}", status.to_lowercase())>{partner_status_label(status)}</span> }
}

/// The 3 x 3 grid of optional caps, as typed (empty: no cap).
#[derive(Clone, Copy)]
struct CapGrid([[RwSignal<String>; 3]; 3]);

impl CapGrid {
    fn new() -> Self {
        Self(std::array::from_fn(|_| std::array::from_fn(|_| RwSignal::new(String::new()))))
    }

    fn fill(&self, caps: &[CapData]) {
        for (m, metric) in METRICS.iter().enumerate() {
            for (w, window) in WINDOWS.iter().enumerate() {
                let v = caps.iter().find(|c| c.metric == *metric && c.window == *window).map(|c| c.limit.to_string());
                self.0[m][w].set(v.unwrap_or_default());
            }
        }
    }

    /// The caps to send, or the error of the first cell that is not a whole number.
    fn read(&self) -> Result<Vec<api::shared::CapInput>, ApiError> {
        use api::shared::{CapInput, CapMetric, CapWindow};
        let mut caps = Vec::new();
        for m in 0..3 {
            for w in 0..3 {
                let raw = self.0[m][w].get_untracked().trim().replace([',', ' '], "");
                if raw.is_empty() {
                    continue;
                }
                match raw.parse::<i64>() {
                    Ok(limit) => caps.push(CapInput {
                        metric: [CapMetric::CLICK, CapMetric::FORM, CapMetric::CALL][m].clone(),
                        window: [CapWindow::GLOBAL, CapWindow::DAILY, CapWindow::MONTHLY][w].clone(),
                        limit,
                    }),
                    Err(_) => {
                        return Err(ApiError::invalid(
                            &format!("caps.{}.{}", METRICS[m], WINDOWS[w]),
                            "Enter a whole number, or leave it empty for no cap.",
                        ));
                    }
                }
            }
        }
        Ok(caps)
    }
}

#[component]
fn CapsGrid(grid: CapGrid, time_zone: String, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    view! {
        <p class="hint">{format!("Optional. Daily caps reset at midnight and monthly caps on the 1st, in the campaign's time zone: {time_zone}.")}</p>
        <div class="caps-grid" role="group" aria-label="Caps">
            <span></span>
            {WINDOWS.iter().map(|w| view! { <span class="caps-head">{window_label(w)}</span> }).collect_view()}
            {METRICS.iter().enumerate().map(|(m, metric)| view! {
                <span class="caps-head row">{metric_label(metric)}</span>
                {WINDOWS.iter().enumerate().map(|(w, window)| {
                    let id = format!("cap-{}-{}", metric.to_lowercase(), window.to_lowercase());
                    let field = format!("caps.{metric}.{window}");
                    let label = format!("{} {} cap", window_label(window), metric_label(metric).to_lowercase());
                    let err = Signal::derive(move || error.get().and_then(|e| e.for_field(&field)));
                    view! {
                        <div class="cap-cell" class:invalid=move || err.get().is_some()>
                            <label class="sr-only" for=id.clone()>{label}</label>
                            <input id=id type="text" inputmode="numeric" placeholder="—" bind:value=grid.0[m][w]
                                aria-invalid=move || if err.get().is_some() { "true" } else { "false" } />
                            <Show when=move || err.get().is_some()>
                                <p class="error-text" role="alert">{move || err.get()}</p>
                            </Show>
                        </div>
                    }
                }).collect_view()}
            }).collect_view()}
        </div>
    }
}

/// Add Marketing Partner: step 1 the email, step 2 the caps, then the invitation goes out.
#[component]
fn AddPartnerDialog(
    campaign_id: String,
    time_zone: String,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_added: Callback<String>,
) -> impl IntoView {
    let session = use_session();
    let email = RwSignal::new(String::new());
    let step = RwSignal::new(1u8);
    let grid = CapGrid::new();
    let error = RwSignal::new(None::<ApiError>);
    let existing = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let next = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = email.get_untracked().trim().to_lowercase();
        let (local, domain) = value.split_once('@').unwrap_or_default();
        if local.is_empty() || !domain.contains('.') || value.contains(' ') {
            error.set(Some(ApiError::invalid("email", "Enter the partner's email address, e.g. pat@partner.com.")));
            return;
        }
        error.set(None);
        busy.set(true);
        spawn_local(async move {
            let found = api::run::<api::FindPartner>(
                session.token().as_deref(),
                api::find_partner::Variables { search: value.clone() },
            )
            .await;
            let status = found.ok().and_then(|d| {
                d.marketing_partners.nodes.into_iter().find(|p| p.email == value).map(|p| wire(&p.status))
            });
            existing.set(status);
            busy.set(false);
            step.set(2);
        });
    };

    let submit = {
        let campaign_id = campaign_id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let caps = match grid.read() {
                Ok(c) => c,
                Err(e) => return error.set(Some(e)),
            };
            error.set(None);
            busy.set(true);
            let campaign_id = campaign_id.clone();
            spawn_local(async move {
                let input = api::add_marketing_partner::AddMarketingPartnerInput {
                    campaign_id,
                    email: email.get_untracked(),
                    caps,
                };
                let res = api::run::<api::AddMarketingPartner>(
                    session.token().as_deref(),
                    api::add_marketing_partner::Variables { input },
                )
                .await;
                busy.set(false);
                match res {
                    Ok(d) => {
                        let row = PartnerRow::from(d.add_marketing_partner.assignment);
                        let message = if d.add_marketing_partner.existing_partner {
                            format!("{} was added to this campaign and told by email.", row.email)
                        } else {
                            format!("Invitation sent to {}.", row.email)
                        };
                        on_added.run(message);
                    }
                    Err(e) => {
                        if e.field() == Some("email") {
                            step.set(1);
                        }
                        error.set(Some(e));
                    }
                }
            });
        }
    };

    view! {
        <Modal title="Add Marketing Partner".to_owned() on_close=on_close wide=true>
            <p class="steps" aria-live="polite">{move || format!("Step {} of 2: {}", step.get(), if step.get() == 1 { "email" } else { "caps" })}</p>
            <ErrorBanner error=error />
            <Show when=move || step.get() == 1>
                <form on:submit=next novalidate>
                    <Field label="Partner's email" id="email" kind="email" value=email error=field_error(error, "email")
                        autocomplete="off" required=true
                        hint="Check the address: the registration invitation goes to this email." />
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || busy.get()>"Next"</button>
                        <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </form>
            </Show>
            <Show when=move || step.get() == 2>
                <form on:submit=submit.clone() novalidate>
                    <p>"Inviting "<strong>{move || email.get().trim().to_lowercase()}</strong></p>
                    <Show when=move || existing.get().is_some()>
                        <div class="banner info" role="status">
                            {move || match existing.get().as_deref() {
                                Some("ACTIVE") | Some("PAUSED") => "Already one of your partners: they will be added to this campaign and told by email, without a new account.",
                                _ => "Already invited to another campaign: the invitation will list this campaign too.",
                            }}
                        </div>
                    </Show>
                    <CapsGrid grid=grid time_zone=time_zone.clone() error=error />
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            {move || if busy.get() { "Sending…" } else { "Submit" }}
                        </button>
                        <button type="button" on:click=move |_| { error.set(None); step.set(1); }>"Back"</button>
                    </div>
                </form>
            </Show>
        </Modal>
    }
}

#[component]
fn EditCapsDialog(
    campaign_id: String,
    row: PartnerRow,
    time_zone: String,
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_saved: Callback<String>,
) -> impl IntoView {
    let session = use_session();
    let grid = CapGrid::new();
    grid.fill(&row.caps);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let partner_id = row.partner_id.clone();
    let email = row.email.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let caps = match grid.read() {
            Ok(c) => c,
            Err(e) => return error.set(Some(e)),
        };
        busy.set(true);
        let vars = api::update_partner_caps::Variables {
            campaign_id: campaign_id.clone(),
            partner_id: partner_id.clone(),
            caps,
        };
        let email = email.clone();
        spawn_local(async move {
            let res = api::run::<api::UpdatePartnerCaps>(session.token().as_deref(), vars).await;
            busy.set(false);
            match res {
                Ok(_) => on_saved.run(format!("Caps of {email} saved. They apply from the next request.")),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Modal title=format!("Caps for {}", row.email) on_close=on_close wide=true>
            <ErrorBanner error=error />
            <form on:submit=save novalidate>
                <CapsGrid grid=grid time_zone=time_zone error=error />
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || busy.get()>"Save caps"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </form>
        </Modal>
    }
}

#[derive(Clone, PartialEq)]
enum Dialog {
    None,
    Add,
    Caps(PartnerRow),
    Remove(PartnerRow),
}

/// A campaign's Marketing Partners tab.
#[component]
pub fn CampaignPartners() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let status = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let after = RwSignal::new(None::<String>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let dialog = RwSignal::new(Dialog::None);
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);

    let data = api::fetched(move || {
        let vars = api::campaign_partners::Variables {
            id: id.get(),
            first: Some(20),
            after: after.get(),
            status: match status.get().as_str() {
                "INVITED" => Some(api::campaign_partners::PartnerStatus::INVITED),
                "ACTIVE" => Some(api::campaign_partners::PartnerStatus::ACTIVE),
                "PAUSED" => Some(api::campaign_partners::PartnerStatus::PAUSED),
                "REVOKED" => Some(api::campaign_partners::PartnerStatus::REVOKED),
                _ => None,
            },
            search: Some(search.get()).filter(|s| !s.trim().is_empty()),
        };
        let token = session.token();
        async move { api::run::<api::CampaignPartners>(token.as_deref(), vars).await.map(|d| d.campaign) }
    });

    let act = move |label: &'static str, row: PartnerRow| {
        let campaign_id = id.get_untracked();
        error.set(None);
        spawn_local(async move {
            let t = session.token();
            let t = t.as_deref();
            let p = row.partner_id.clone();
            let res = match label {
                "resend" => api::run::<api::ResendInvitation>(t, api::resend_invitation::Variables { partner_id: p })
                    .await
                    .map(|_| format!("Invitation sent again to {}. The previous link no longer works.", row.email)),
                "pause" => api::run::<api::PausePartner>(
                    t,
                    api::pause_partner::Variables { partner_id: p, campaign_id: Some(campaign_id) },
                )
                .await
                .map(|_| format!("{} is paused on this campaign.", row.email)),
                "resume" => api::run::<api::ResumePartner>(
                    t,
                    api::resume_partner::Variables { partner_id: p, campaign_id: Some(campaign_id) },
                )
                .await
                .map(|_| format!("{} is active again.", row.email)),
                _ => api::run::<api::RemovePartner>(t, api::remove_partner::Variables { partner_id: p, campaign_id })
                    .await
                    .map(|_| format!("{} was removed from this campaign.", row.email)),
            };
            match res {
                Ok(m) => {
                    notice.set(Some(m));
                    data.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let done = move |message: String| {
        dialog.set(Dialog::None);
        notice.set(Some(message));
        data.refetch();
    };

    view! {
        <main class="page" id="main">
            <Transition fallback=|| view! { <Loading what="partners" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>{if e.code == "NOT_FOUND" { "Campaign not found" } else { "Cannot load the partners" }}</h1>
                        <div class="banner error" role="alert"><p>{e.message}</p><button on:click=move |_| data.refetch()>"Try again"</button></div>
                    }.into_any(),
                    Ok(c) => {
                        let tz = c.time_zone.clone();
                        let conn = c.marketing_partners;
                        let rows: Vec<PartnerRow> = conn.nodes.into_iter().map(PartnerRow::from).collect();
                        let has_next = conn.page_info.has_next_page;
                        let end = conn.page_info.end_cursor.clone();
                        let total = conn.total_count;
                        let archived = wire(&c.status) == "ARCHIVED";
                        let tz_dialog = tz.clone();
                        let campaign_id = c.id.clone();
                        view! {
                            <p class="crumbs"><A href="/campaigns">"Campaigns"</A>" / "{c.name.clone()}</p>
                            <div class="page-head">
                                <h1>{c.name.clone()}</h1>
                                <button class="primary" disabled=archived on:click=move |_| dialog.set(Dialog::Add)
                                    title=if archived { "Restore the campaign to add partners" } else { "" }>"Add Marketing Partner"</button>
                            </div>
                            <CampaignTabs id=id active="partners" />
                            <Show when=move || notice.get().is_some()>
                                <div class="banner ok" role="status">{move || notice.get()}</div>
                            </Show>
                            <ErrorBanner error=error />
                            <div class="toolbar">
                                <label for="partner-search">"Search"</label>
                                <input id="partner-search" type="search" placeholder="Email or name" bind:value=search
                                    on:input=move |_| { cursors.set(Vec::new()); after.set(None); } />
                                <label for="partner-status">"Status"</label>
                                <select id="partner-status" bind:value=status on:change=move |_| { cursors.set(Vec::new()); after.set(None); }>
                                    <option value="">"All"</option>
                                    <option value="INVITED">"Invited"</option>
                                    <option value="ACTIVE">"Active"</option>
                                    <option value="PAUSED">"Paused"</option>
                                    <option value="REVOKED">"Revoked"</option>
                                </select>
                            </div>
                            {if rows.is_empty() {
                                view! {
                                    <div class="empty">
                                        <h2>{if search.get_untracked().is_empty() && status.get_untracked().is_empty() { "No marketing partners yet" } else { "No partners match" }}</h2>
                                        <p>"Invite affiliates and publishers by email. They register, log in to their own portal and follow their traffic live."</p>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table>
                                            <caption class="sr-only">"Marketing partners"</caption>
                                            <thead><tr>
                                                <th scope="col">"Partner"</th>
                                                <th scope="col">"Status"</th>
                                                <th scope="col">"Caps"</th>
                                                <th scope="col">"Invited"</th>
                                                <th scope="col">"Registered"</th>
                                                <th scope="col">"Actions"</th>
                                            </tr></thead>
                                            <tbody>
                                                {rows.into_iter().map(|row| {
                                                    let caps = if row.usage.is_empty() {
                                                        vec!["No caps".to_owned()]
                                                    } else {
                                                        row.usage.iter().map(|u| format!("{}: {} / {} {}", metric_label(&u.metric), u.used, u.limit, format::window_phrase(&u.window))).collect()
                                                    };
                                                    let invited = matches!(row.status.as_str(), "INVITED" | "REVOKED");
                                                    let paused_here = row.status == "PAUSED" && row.partner_status != "PAUSED";
                                                    let active = row.status == "ACTIVE";
                                                    let (r1, r2, r3, r4, r5) = (row.clone(), row.clone(), row.clone(), row.clone(), row.clone());
                                                    view! {
                                                        <tr>
                                                            <td>
                                                                <A href=format!("/partners/{}", row.partner_id)>{row.email.clone()}</A>
                                                                {row.name.clone().map(|n| view! { <div class="muted small">{n}</div> })}
                                                            </td>
                                                            <td>{badge(&row.status)}</td>
                                                            <td class="caps">{caps.into_iter().map(|c| view! { <div>{c}</div> }).collect_view()}</td>
                                                            <td>{format::date(&row.invited_at)}</td>
                                                            <td>{row.registered_at.as_deref().map(format::date).unwrap_or_else(|| "—".into())}</td>
                                                            <td class="row-actions">
                                                                <Show when=move || invited>
                                                                    <button class="small" on:click={let r = r1.clone(); move |_| act("resend", r.clone())}>"Resend"</button>
                                                                </Show>
                                                                <button class="small" on:click={let r = r2.clone(); move |_| dialog.set(Dialog::Caps(r.clone()))}>"Edit caps"</button>
                                                                <Show when=move || active>
                                                                    <button class="small" on:click={let r = r3.clone(); move |_| act("pause", r.clone())}>"Pause"</button>
                                                                </Show>
                                                                <Show when=move || paused_here>
                                                                    <button class="small" on:click={let r = r4.clone(); move |_| act("resume", r.clone())}>"Resume"</button>
                                                                </Show>
                                                                <button class="small danger" on:click={let r = r5.clone(); move |_| dialog.set(Dialog::Remove(r.clone()))}>"Remove"</button>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <Pager total=total has_next=has_next end=end after=after cursors=cursors noun="partner" />
                                }.into_any()
                            }}
                            {move || match dialog.get() {
                                Dialog::None => ().into_any(),
                                Dialog::Add => view! {
                                    <AddPartnerDialog campaign_id=campaign_id.clone() time_zone=tz_dialog.clone()
                                        on_close=move || dialog.set(Dialog::None) on_added=done />
                                }.into_any(),
                                Dialog::Caps(row) => view! {
                                    <EditCapsDialog campaign_id=campaign_id.clone() row=row time_zone=tz_dialog.clone()
                                        on_close=move || dialog.set(Dialog::None) on_saved=done />
                                }.into_any(),
                                Dialog::Remove(row) => {
                                    let r = row.clone();
                                    view! {
                                        <ConfirmDialog
                                            title=format!("Remove {} from this campaign?", row.email)
                                            text="They stop sending traffic to it at once. Their history stays, and adding the same email again restores them.".to_owned()
                                            confirm="Remove partner".to_owned()
                                            on_confirm=move || { dialog.set(Dialog::None); act("remove", r.clone()); }
                                            on_cancel=move || dialog.set(Dialog::None)
                                        />
                                    }.into_any()
                                }
                            }}
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}

/// A column the Partners page sorts by.
#[derive(Clone, Copy, PartialEq)]
enum PartnerSort {
    Partner,
    Campaigns,
    Leads,
    Approval,
    Cost,
    CapUse,
}

/// A partner of the Partners page with its figures for the period.
#[derive(Clone)]
struct PartnerLine {
    node: api::marketing_partners::MarketingPartnersMarketingPartnersNodes,
    sums: Sums,
    /// The fullest cap over its active campaigns: used / limit, and which cap.
    cap_use: Option<(f64, String)>,
}

impl PartnerLine {
    fn campaigns(&self) -> usize {
        self.node.campaigns.iter().filter(|a| wire(&a.status) != "REVOKED").count()
    }

    fn key(&self, by: PartnerSort) -> f64 {
        match by {
            PartnerSort::Partner => 0.0,
            PartnerSort::Campaigns => self.campaigns() as f64,
            PartnerSort::Leads => self.sums.submitted as f64,
            PartnerSort::Approval => self.sums.approval_rate().unwrap_or(-1.0),
            PartnerSort::Cost => self.sums.earnings_units().unwrap_or(0) as f64,
            PartnerSort::CapUse => self.cap_use.as_ref().map_or(-1.0, |(u, _)| *u),
        }
    }
}

/// The fullest cap of a partner's active campaigns.
fn fullest_cap(node: &api::marketing_partners::MarketingPartnersMarketingPartnersNodes) -> Option<(f64, String)> {
    node.campaigns
        .iter()
        .filter(|a| wire(&a.status) == "ACTIVE")
        .flat_map(|a| a.cap_usage.iter())
        .filter(|u| u.limit > 0)
        .map(|u| {
            let what = format!("{} {}", metric_label(&wire(&u.metric)), format::window_phrase(&wire(&u.window)));
            (u.used as f64 / u.limit as f64, what)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Every marketing partner of the organization, with its figures for a period: campaigns, leads, approval rate, cost
/// and its fullest cap, sortable.
#[component]
pub fn PartnersPage() -> impl IntoView {
    let session = use_session();
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let after = RwSignal::new(None::<String>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let data = api::fetched(move || {
        let vars = api::marketing_partners::Variables {
            first: Some(20),
            after: after.get(),
            status: match status.get().as_str() {
                "INVITED" => Some(api::marketing_partners::PartnerStatus::INVITED),
                "ACTIVE" => Some(api::marketing_partners::PartnerStatus::ACTIVE),
                "PAUSED" => Some(api::marketing_partners::PartnerStatus::PAUSED),
                "REVOKED" => Some(api::marketing_partners::PartnerStatus::REVOKED),
                _ => None,
            },
            search: Some(search.get()).filter(|s| !s.trim().is_empty()),
        };
        let token = session.token();
        async move { api::run::<api::MarketingPartners>(token.as_deref(), vars).await.map(|d| d.marketing_partners) }
    });
    let today = today_in(&time_zones::browser_zone());
    let from = RwSignal::new(add_days(&today, -29));
    let to = RwSignal::new(today);
    let sort = RwSignal::new((PartnerSort::Leads, true));
    // The page's partners' figures for the period: one report grouped by partner (money stays per currency).
    let figures = api::fetched(move || {
        let ids: Vec<String> =
            data.get().and_then(Result::ok).map(|c| c.nodes.iter().map(|n| n.id.clone()).collect()).unwrap_or_default();
        let (from, to, token) = (from.get(), to.get(), session.token());
        async move {
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            let vars = report::Variables {
                as_: report::Role::OWNER,
                filter: report::ReportFilter {
                    campaign_ids: None,
                    organization_ids: None,
                    partner_ids: Some(ids),
                    types: None,
                    from: Some(from).filter(|d| d.len() == 10),
                    to: Some(to).filter(|d| d.len() == 10),
                    time_zone: None,
                },
                group_by: vec![report::ReportDimension::PARTNER],
                order_by: None,
                first: 100,
                after: None,
            };
            let rows = api::run::<api::Report>(token.as_deref(), vars).await?.report.nodes;
            let mut by_partner: HashMap<String, Sums> = HashMap::new();
            for r in &rows {
                if let Some(p) = &r.partner {
                    let sums = by_partner.remove(&p.id).unwrap_or_default().add(Sums::from(&r.metrics));
                    by_partner.insert(p.id.clone(), sums);
                }
            }
            Ok::<_, ApiError>(by_partner)
        }
    });
    let reset = move || {
        cursors.set(Vec::new());
        after.set(None);
    };
    let head = move |key: PartnerSort, label: &'static str, num: bool| {
        sort_header(sort, key, label, num, key == PartnerSort::Partner, None)
    };
    view! {
        <main class="page" id="main">
            <div class="page-head"><h1>"Marketing partners"</h1></div>
            <p class="muted">"Everyone you invited, across campaigns. Add partners from a campaign's Marketing Partners tab."</p>
            <div class="toolbar">
                <label for="search">"Search"</label>
                <input id="search" type="search" placeholder="Email or name" bind:value=search on:input=move |_| reset() />
                <label for="status">"Status"</label>
                <select id="status" bind:value=status on:change=move |_| reset()>
                    <option value="">"All"</option>
                    <option value="INVITED">"Invited"</option>
                    <option value="ACTIVE">"Active"</option>
                    <option value="PAUSED">"Paused"</option>
                    <option value="REVOKED">"Revoked"</option>
                </select>
                <label for="partners-from">"From"</label>
                <input id="partners-from" type="date" bind:value=from />
                <label for="partners-to">"To"</label>
                <input id="partners-to" type="date" bind:value=to />
            </div>
            <Transition fallback=|| view! { <Loading what="partners" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                    Ok(conn) if conn.nodes.is_empty() => view! {
                        <div class="empty"><h2>"No partners found"</h2><p>"Open a campaign and use Add Marketing Partner to invite one."</p>
                        <A href="/campaigns" attr:class="button">"Go to campaigns"</A></div>
                    }.into_any(),
                    Ok(conn) => {
                        let has_next = conn.page_info.has_next_page;
                        let end = conn.page_info.end_cursor.clone();
                        let total = conn.total_count;
                        let nodes = conn.nodes;
                        let rows = move || {
                            let sums = figures.get().and_then(Result::ok).unwrap_or_default();
                            let mut lines: Vec<PartnerLine> = nodes.iter().map(|n| PartnerLine {
                                sums: sums.get(&n.id).cloned().unwrap_or_default(),
                                cap_use: fullest_cap(n),
                                node: n.clone(),
                            }).collect();
                            let (key, desc) = sort.get();
                            lines.sort_by(|a, b| {
                                let o = if key == PartnerSort::Partner {
                                    a.node.email.to_lowercase().cmp(&b.node.email.to_lowercase())
                                } else {
                                    a.key(key).total_cmp(&b.key(key))
                                };
                                if desc { o.reverse() } else { o }
                            });
                            lines
                        };
                        view! {
                            <Show when=move || figures.get().is_some_and(|r| r.is_err())>
                                <div class="banner error" role="alert">{move || figures.get().and_then(|r| r.err()).map(|e| format!("Figures unavailable: {}", e.message))}</div>
                            </Show>
                            <div class="table-wrap"><table>
                                <caption class="sr-only">"Marketing partners"</caption>
                                <thead><tr>
                                    {head(PartnerSort::Partner, "Partner", false)}
                                    <th scope="col">"Status"</th>
                                    {head(PartnerSort::Campaigns, "Campaigns", true)}
                                    {head(PartnerSort::Leads, "Leads", true)}
                                    {head(PartnerSort::Approval, "Approval", true)}
                                    {head(PartnerSort::Cost, "Cost", true)}
                                    {head(PartnerSort::CapUse, "Fullest cap", true)}
                                    <th scope="col">"Registered"</th>
                                </tr></thead>
                                <tbody>{move || rows().into_iter().map(|l| {
                                    let campaigns = l.campaigns();
                                    let p = l.node;
                                    view! {
                                        <tr>
                                            <td><A href=format!("/partners/{}", p.id)>{p.email}</A>{p.name.map(|n| view! { <div class="muted small">{n}</div> })}</td>
                                            <td>{badge(&wire(&p.status))}</td>
                                            <td class="num">{format::count(campaigns as i64)}</td>
                                            <td class="num">{format::count(l.sums.submitted)}</td>
                                            <td class="num">{percent(l.sums.approval_rate())}</td>
                                            <td class="num">{l.sums.earnings_text()}</td>
                                            <td class="num">{l.cap_use.map(|(u, what)| format!("{} ({what})", format::percent(u, 0))).unwrap_or_else(|| "—".into())}</td>
                                            <td>{p.registered_at.as_deref().map(format::date).unwrap_or_else(|| format!("Invited {}", format::date(&p.invited_at)))}</td>
                                        </tr>
                                    }
                                }).collect_view()}</tbody>
                            </table></div>
                            <Pager total=total has_next=has_next end=end after=after cursors=cursors noun="partner" />
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}

/// The Marketing Partner Single View: profile, campaigns with caps, invitation history.
#[component]
pub fn PartnerView() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let data = api::fetched(move || {
        let id = id();
        let token = session.token();
        async move {
            api::run::<api::MarketingPartner>(token.as_deref(), api::marketing_partner::Variables { id })
                .await
                .map(|d| d.marketing_partner)
        }
    });
    let resend = move || {
        error.set(None);
        spawn_local(async move {
            match api::run::<api::ResendInvitation>(
                session.token().as_deref(),
                api::resend_invitation::Variables { partner_id: id() },
            )
            .await
            {
                Ok(_) => {
                    notice.set(Some("Invitation sent again with a new link.".into()));
                    data.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move || {
        error.set(None);
        spawn_local(async move {
            match api::run::<api::RevokeInvitation>(
                session.token().as_deref(),
                api::revoke_invitation::Variables { partner_id: id() },
            )
            .await
            {
                Ok(_) => {
                    notice.set(Some("Invitation withdrawn: its link no longer works.".into()));
                    data.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="page" id="main">
            <p class="crumbs"><A href="/partners">"Marketing partners"</A></p>
            <Transition fallback=|| view! { <Loading what="the partner" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <h1>{if e.code == "NOT_FOUND" { "Partner not found" } else { "Cannot load the partner" }}</h1>
                        <div class="banner error" role="alert">{e.message}</div>
                    }.into_any(),
                    Ok(p) => {
                        let status = wire(&p.status);
                        let can_invite = matches!(status.as_str(), "INVITED" | "REVOKED");
                        let can_revoke = status == "INVITED";
                        let postback_campaigns: Vec<(String, String)> =
                            p.campaigns.iter().map(|a| (a.campaign.id.clone(), a.campaign.name.clone())).collect();
                        view! {
                            <div class="page-head">
                                <h1>{p.name.clone().unwrap_or_else(|| p.email.clone())}</h1>
                                {badge(&status)}
                            </div>
                            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
                            <ErrorBanner error=error />
                            <section class="card">
                                <h2>"Profile"</h2>
                                <dl class="facts">
                                    <dt>"Email"</dt><dd>{p.email.clone()}</dd>
                                    <dt>"Name"</dt><dd>{p.name.clone().unwrap_or_else(|| "Given at registration".into())}</dd>
                                    <dt>"Invited"</dt><dd>{format::date_time(&p.invited_at)}</dd>
                                    <dt>"Registered"</dt><dd>{p.registered_at.as_deref().map(format::date_time).unwrap_or_else(|| "Not yet".into())}</dd>
                                </dl>
                                <div class="actions">
                                    <Show when=move || can_invite><button on:click=move |_| resend()>"Resend invitation"</button></Show>
                                    <Show when=move || can_revoke><button class="danger" on:click=move |_| revoke()>"Revoke invitation"</button></Show>
                                </div>
                            </section>
                            <section class="card">
                                <h2>"Dashboard"</h2>
                                <crate::pages::dashboard::Dashboard scope=crate::pages::dashboard::Scope {
                                    campaign_ids: Vec::new(),
                                    partner_ids: vec![p.id.clone()],
                                    organization_ids: Vec::new(),
                                    zone: None,
                                    owner: true,
                                    breakdown: crate::pages::dashboard::Breakdown::Campaign,
                                } />
                            </section>
                            <section class="card">
                                <h2>"Reports"</h2>
                                <crate::pages::dashboard::PartnerReports partner_id=p.id.clone() />
                            </section>
                            <section class="card">
                                <h2>"Campaigns and caps"</h2>
                                {if p.campaigns.is_empty() {
                                    view! { <p class="muted">"Not on any campaign."</p> }.into_any()
                                } else {
                                    view! { <ul class="plain">{p.campaigns.into_iter().map(|a| {
                                        let tz = a.campaign.time_zone.clone();
                                        let caps: Vec<CapData> = a.caps.into_iter().map(CapData::from).collect();
                                        view! {
                                            <li>
                                                <A href=format!("/campaigns/{}/partners", a.campaign.id)>{a.campaign.name}</A>" "{badge(&wire(&a.status))}
                                                <div class="muted small">{if caps.is_empty() { "No caps".to_owned() } else { caps.iter().map(|c| cap_line(c, Some(&tz))).collect::<Vec<_>>().join(" · ") }}</div>
                                            </li>
                                        }
                                    }).collect_view()}</ul> }.into_any()
                                }}
                            </section>
                            <section class="card">
                                <h2>"Postbacks"</h2>
                                <p class="muted small">"The partner's own tracker URLs that your campaigns' events are sent to, and their delivery logs (the partner manages them)."</p>
                                <crate::pages::postbacks::PartnerPostbacks partner_id=p.id.clone() campaigns=postback_campaigns />
                            </section>
                            <section class="card">
                                <h2>"Invitation history"</h2>
                                <div class="table-wrap"><table>
                                    <caption class="sr-only">"Invitations"</caption>
                                    <thead><tr><th scope="col">"State"</th><th scope="col">"Last sent"</th><th scope="col">"Times sent"</th><th scope="col">"Expires"</th><th scope="col">"Delivery"</th></tr></thead>
                                    <tbody>{p.invitations.into_iter().map(|i| {
                                        let delivery = i.delivery_status.as_ref().map(wire).unwrap_or_default();
                                        let failed = delivery == "FAILED";
                                        view! {
                                            <tr>
                                                <td>{wire(&i.state).to_lowercase()}</td>
                                                <td>{format::date_time(&i.last_sent_at)}</td>
                                                <td>{i.send_count}</td>
                                                <td>{format::date_time(&i.expires_at)}</td>
                                                <td>
                                                    {match delivery.as_str() { "SENT" => "Delivered", "FAILED" => "Delivery failed", "PENDING" => "Sending…", _ => "—" }}
                                                    <Show when=move || failed && can_invite>
                                                        " "<button class="small" on:click=move |_| resend()>"Resend"</button>
                                                    </Show>
                                                    {i.delivery_error.map(|e| view! { <div class="muted small">{e}</div> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}</tbody>
                                </table></div>
                            </section>
                            <section class="card">
                                <h2>"Emails"</h2>
                                <ul class="plain">{p.emails.into_iter().map(|e| view! {
                                    <li>{e.subject}<div class="muted small">{format!("{} · {} attempt(s) · {}", format::date_time(&e.created_at), e.attempts, wire(&e.status).to_lowercase())}</div></li>
                                }).collect_view()}</ul>
                            </section>
                        }.into_any()
                    }
                })}
            </Transition>
        </main>
    }
}
