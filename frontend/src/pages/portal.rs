//! The partner portal: its campaigns (payouts, tracking links, cap usage), its leads, its API keys.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, CapData, LeadData, UsageData, wire};
use crate::components::{ConfirmDialog, CopyField, ErrorBanner, Field, Loading, UsageBar, field_error};
use crate::format::{self, cap_line, lead_status_label, partner_status_label};
use crate::pages::returns::{LeadActionCell, LeadActions, OpenDisputes};
use crate::session::{Mode, Org, use_session};

/// The advertiser the portal is narrowed to (empty: every advertiser), kept while the app is open so the dashboard
/// and the leads list agree.
#[derive(Clone, Copy)]
pub struct AdvertiserFilter(RwSignal<String>);

impl AdvertiserFilter {
    pub fn provide() {
        provide_context(Self(RwSignal::new(String::new())));
    }
}

fn use_advertiser() -> RwSignal<String> {
    expect_context::<AdvertiserFilter>().0
}

/// The chosen advertiser, if it is one of this account's (a choice made under another login does not carry over).
fn chosen_advertiser(filter: RwSignal<String>, advertisers: Signal<Vec<Org>>) -> Signal<Option<String>> {
    // A memo: the list changes when the account has loaded (paused marks), which must not fetch the page's figures or
    // leads a second time when the choice stays the same.
    Memo::new(move |_| {
        let v = filter.get();
        advertisers.with(|list| list.iter().any(|o| o.id == v)).then_some(v)
    })
    .into()
}

type Account = api::my_partner_account::MyPartnerAccountMyPartnerAccount;
type Assigned = api::my_partner_account::MyPartnerAccountMyPartnerAccountCampaigns;

/// The advertisers of a partner account, as the filter lists them.
fn advertisers_of(acc: &Account) -> Vec<Org> {
    acc.advertisers
        .iter()
        .map(|m| {
            let paused = wire(&m.status) == "PAUSED";
            Org {
                id: m.organization.id.clone(),
                name: if paused { format!("{} (paused)", m.organization.name) } else { m.organization.name.clone() },
            }
        })
        .collect()
}

/// "Acme Leads", "Acme Leads and Beta Media", "A, B and C".
fn names_phrase(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Advertiser: All advertisers | each advertiser": narrows the portal to one advertiser's campaigns, figures and leads.
#[component]
fn AdvertiserSelect(
    advertisers: Vec<Org>,
    value: RwSignal<String>,
    #[prop(optional, into)] on_change: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <label for="advertiser">"Advertiser"</label>
        <select id="advertiser" on:change=move |ev| {
            value.set(event_target_value(&ev));
            if let Some(f) = on_change {
                f.run(());
            }
        }>
            <option value="" selected=move || value.with(String::is_empty)>"All advertisers"</option>
            {advertisers.into_iter().map(|o| {
                let id = o.id.clone();
                view! { <option value=o.id selected=move || value.with(|v| *v == id)>{o.name}</option> }
            }).collect_view()}
        </select>
    }
}

/// The advertisers the filter lists: the session's at once (so the filter takes its place before anything loads),
/// each marked "(paused)" once the account is loaded.
fn advertiser_list(account: Signal<Option<Account>>) -> Signal<Vec<Org>> {
    let session = use_session();
    Signal::derive(move || match account.get() {
        Some(acc) => advertisers_of(&acc),
        None => session.user().map(|u| u.advertisers).unwrap_or_default(),
    })
}

/// The portal's home: the dashboard over every advertiser (or the one chosen), then the campaigns, each with its
/// advertiser, payouts, tracking link and caps in the campaign's time zone. The dashboard does not wait for the
/// campaigns: both load at once, and what is above the campaigns keeps its place while they load.
#[component]
pub fn PartnerHome() -> impl IntoView {
    let session = use_session();
    let filter = use_advertiser();
    let data = api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::MyPartnerAccount>(token.as_deref(), api::my_partner_account::Variables {})
                .await
                .map(|d| d.my_partner_account)
        }
    });
    let account = Signal::derive(move || data.get().and_then(Result::ok));
    let advertisers = advertiser_list(account);
    let selected = chosen_advertiser(filter, advertisers);
    let scope = Signal::derive(move || crate::pages::dashboard::Scope {
        campaign_ids: Vec::new(),
        partner_ids: Vec::new(),
        organization_ids: selected.get().into_iter().collect(),
        zone: None,
        owner: false,
        breakdown: crate::pages::dashboard::Breakdown::Campaign,
    });
    let subtitle = move || {
        let names: Vec<String> =
            session.user().map(|u| u.advertisers.into_iter().map(|o| o.name).collect()).unwrap_or_default();
        if names.is_empty() {
            "Marketing partner".to_owned()
        } else {
            format!("Marketing partner of {}", names_phrase(&names))
        }
    };
    view! {
        <main class="page" id="main">
            <div class="page-head">
                <h1>"Dashboard"</h1>
                <span class="muted">{subtitle}</span>
            </div>
            {move || (advertisers.with(Vec::len) > 1).then(|| view! {
                <div class="toolbar"><AdvertiserSelect advertisers=advertisers.get() value=filter /></div>
            })}
            <OpenDisputes owner=false />
            <crate::pages::dashboard::Dashboard scope=scope />
            <h2 class="section">"Your campaigns"</h2>
            <Transition fallback=|| view! { <Loading what="your campaigns" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="banner error" role="alert"><p>{e.message}</p><button on:click=move |_| data.refetch()>"Try again"</button></div>
                    }.into_any(),
                    Ok(acc) => view! { <CampaignList campaigns=acc.campaigns selected=selected /> }.into_any(),
                })}
            </Transition>
        </main>
    }
}

/// The partner's campaigns, narrowed to the chosen advertiser's.
#[component]
fn CampaignList(campaigns: Vec<Assigned>, selected: Signal<Option<String>>) -> impl IntoView {
    let none_at_all = campaigns.is_empty();
    let campaigns = StoredValue::new(campaigns);
    let shown = move || -> Vec<Assigned> {
        let only = selected.get();
        campaigns.with_value(|all| {
            all.iter().filter(|c| only.as_ref().is_none_or(|id| c.advertiser.id == *id)).cloned().collect()
        })
    };
    move || {
        let list = shown();
        if none_at_all {
            view! { <div class="empty"><h2>"No campaigns yet"</h2><p>"When a campaign owner adds you to a campaign, it appears here."</p></div> }.into_any()
        } else if list.is_empty() {
            view! { <div class="empty"><h2>"No campaigns from this advertiser"</h2><p>"Choose “All advertisers” to see every campaign."</p></div> }.into_any()
        } else {
            view! { <div class="cards">{list.into_iter().map(|c| view! { <CampaignCard c=c /> }).collect_view()}</div> }
                .into_any()
        }
    }
}

#[component]
fn CampaignCard(c: Assigned) -> impl IntoView {
    let status = wire(&c.status);
    let caps: Vec<CapData> = c.caps.into_iter().map(CapData::from).collect();
    let usage: Vec<UsageData> = c.cap_usage.into_iter().map(UsageData::from).collect();
    let tz = c.time_zone.clone();
    let link_id = format!("link-{}", c.id);
    let instructions = format!("/portal/campaigns/{}/instructions", c.id);
    let for_name = format!(" for {}", c.name);
    view! {
        <article class="card campaign-card" data-advertiser=c.advertiser.id.clone()>
            <div class="page-head">
                <h2>{c.name}</h2>
                <span class=format!("badge {}", status.to_lowercase())>{partner_status_label(&status)}</span>
            </div>
            <dl class="facts">
                <dt>"Advertiser"</dt><dd>{c.advertiser.name}</dd>
                <dt>"Per click"</dt><dd>{format::price(&c.click_payout, &c.currency)}</dd>
                <dt>"Per form"</dt><dd>{format::price(&c.form_payout, &c.currency)}</dd>
                <dt>"Per call"</dt><dd>{format::price(&c.call_payout, &c.currency)}</dd>
                <dt>"Time zone"</dt><dd>{c.time_zone.clone()}</dd>
            </dl>
            {c.tracking_url.map(|url| view! {
                <CopyField label="Tracking link".to_owned() value=url id=link_id />
                <p class="hint">"Add sub1 to sub5 to tag your sources, e.g. ?sub1=newsletter."</p>
            })}
            <p><a href=instructions>"Posting instructions"<span class="sr-only">{for_name}</span></a></p>
            <h3>"Caps"</h3>
            {if caps.is_empty() {
                view! { <p class="muted">"No caps: send as much as you like."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain">{caps.iter().map(|cap| view! { <li>{cap_line(cap, Some(&tz))}</li> }).collect_view()}</ul>
                    {usage.into_iter().map(|u| view! { <UsageBar usage=u time_zone=tz.clone() /> }).collect_view()}
                }.into_any()
            }}
        </article>
    }
}

/// The partner's leads from every advertiser (or the one chosen): status and, when rejected, the reason; filters by
/// advertiser, status, type and date.
#[component]
pub fn PartnerLeads() -> impl IntoView {
    let session = use_session();
    let filter = use_advertiser();
    let status = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let dispute = RwSignal::new(String::new());
    let after = RwSignal::new(None::<String>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let actions = LeadActions::new(false);
    let notice = RwSignal::new(None::<String>);
    let account = api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::MyPartnerAccount>(token.as_deref(), api::my_partner_account::Variables {})
                .await
                .ok()
                .map(|d| d.my_partner_account)
        }
    });
    let advertisers = advertiser_list(Signal::derive(move || account.get().flatten()));
    let organization = chosen_advertiser(filter, advertisers);
    let data = api::fetched(move || {
        let filter =
            lead_filter(None, organization.get(), &status.get(), &kind.get(), &from.get(), &to.get(), &dispute.get());
        let vars = api::my_leads::Variables { filter: Some(filter), first: Some(25), after: after.get() };
        let token = session.token();
        async move { api::run::<api::MyLeads>(token.as_deref(), vars).await.map(|d| d.my_leads) }
    });
    let reset = move || {
        cursors.set(Vec::new());
        after.set(None);
    };
    view! {
        <main class="page" id="main">
            <div class="page-head"><h1>"Your leads"</h1></div>
            {move || (advertisers.with(Vec::len) > 1).then(|| view! {
                <div class="toolbar"><AdvertiserSelect advertisers=advertisers.get() value=filter on_change=Callback::new(move |()| reset()) /></div>
            })}
            <LeadFilters status=status kind=kind from=from to=to dispute=dispute on_change=Callback::new(move |()| reset()) />
            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
            <Transition fallback=|| view! { <Loading what="your leads" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                    Ok(conn) if conn.nodes.is_empty() => view! {
                        <div class="empty"><h2>"No leads here"</h2><p>"Leads you send through the API or GraphQL appear here with their status, live."</p></div>
                    }.into_any(),
                    Ok(conn) => {
                        let campaigns = account.get().flatten().map(|a| a.campaigns).unwrap_or_default();
                        let rows: Vec<(LeadData, [String; 3])> = conn.nodes.into_iter().map(LeadData::from).map(|l| {
                            let campaign = campaigns.iter().find(|c| c.id == l.campaign_id);
                            let name = campaign.map(|c| format!("{} · {}", c.name, c.advertiser.name)).unwrap_or_default();
                            let own_id = l.external_id.clone().unwrap_or_else(|| "—".into());
                            // A lead's amount is in its campaign's currency: with several advertisers, several currencies.
                            let earned = match campaign {
                                Some(c) => format::money(&l.earned, &c.currency),
                                None => l.earned.clone(),
                            };
                            (l, [name, own_id, earned])
                        }).collect();
                        let has_next = conn.page_info.has_next_page;
                        let end = conn.page_info.end_cursor.clone();
                        view! {
                            <LeadTable heads=["Campaign", "Your ID", "Earned"] rows=rows actions=actions />
                            <Pager total=conn.total_count has_next=has_next end=end after=after cursors=cursors noun="lead" />
                        }.into_any()
                    }
                })}
            </Transition>
            {actions.partner_dialog(Callback::new(move |text: String| {
                notice.set(Some(text));
                data.refetch();
            }))}
        </main>
    }
}

/// The lead filter of both lead tables, from the filter controls' values.
#[allow(clippy::too_many_arguments)]
pub fn lead_filter(
    campaign_id: Option<String>,
    organization_id: Option<String>,
    status: &str,
    kind: &str,
    from: &str,
    to: &str,
    dispute: &str,
) -> api::shared::LeadFilterInput {
    use api::shared::{DisputeStatus, LeadFilterInput, LeadStatus, LeadType};
    LeadFilterInput {
        campaign_id,
        partner_id: None,
        organization_id,
        status: match status {
            "RECEIVED" => Some(LeadStatus::RECEIVED),
            "APPROVED" => Some(LeadStatus::APPROVED),
            "REJECTED" => Some(LeadStatus::REJECTED),
            "CONVERTED" => Some(LeadStatus::CONVERTED),
            "RETURNED" => Some(LeadStatus::RETURNED),
            _ => None,
        },
        type_: match kind {
            "FORM" => Some(LeadType::FORM),
            "CALL" => Some(LeadType::CALL),
            _ => None,
        },
        from: day_start(from),
        to: day_end(to),
        dispute: match dispute {
            "OPEN" => Some(DisputeStatus::OPEN),
            "UPHELD" => Some(DisputeStatus::UPHELD),
            "REVERSED" => Some(DisputeStatus::REVERSED),
            _ => None,
        },
    }
}

/// `2026-11-25` -> the start of that day, UTC (the filter is by receipt time).
pub fn day_start(date: &str) -> Option<String> {
    (date.len() == 10).then(|| format!("{date}T00:00:00Z"))
}

pub fn day_end(date: &str) -> Option<String> {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{date}T00:00:00Z")));
    if date.len() != 10 || d.get_time().is_nan() {
        return None;
    }
    let next = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(d.get_time() + 86_400_000.0));
    Some(String::from(next.to_iso_string()))
}

#[component]
pub fn LeadFilters(
    status: RwSignal<String>,
    kind: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    dispute: RwSignal<String>,
    #[prop(into)] on_change: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="toolbar" on:change=move |_| on_change.run(())>
            <label for="lead-status">"Status"</label>
            <select id="lead-status" bind:value=status>
                <option value="">"All"</option>
                <option value="RECEIVED">"Received"</option>
                <option value="APPROVED">"Approved"</option>
                <option value="REJECTED">"Rejected"</option>
                <option value="CONVERTED">"Converted"</option>
                <option value="RETURNED">"Returned"</option>
            </select>
            <label for="lead-type">"Type"</label>
            <select id="lead-type" bind:value=kind>
                <option value="">"All"</option>
                <option value="FORM">"Forms"</option>
                <option value="CALL">"Calls"</option>
            </select>
            <label for="lead-from">"From"</label>
            <input id="lead-from" type="date" bind:value=from />
            <label for="lead-to">"To"</label>
            <input id="lead-to" type="date" bind:value=to />
            <label for="lead-dispute">"Disputes"</label>
            <select id="lead-dispute" bind:value=dispute>
                <option value="">"All"</option>
                <option value="OPEN">"Open"</option>
                <option value="UPHELD">"Upheld"</option>
                <option value="REVERSED">"Reversed"</option>
            </select>
        </div>
    }
}

#[component]
pub fn Pager(
    total: i64,
    has_next: bool,
    end: Option<String>,
    after: RwSignal<Option<String>>,
    cursors: RwSignal<Vec<Option<String>>>,
    noun: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("{total} {noun}{}", if total == 1 { "" } else { "s" })}</span>
            <button disabled=move || cursors.with(Vec::is_empty) on:click=move |_| {
                let prev = cursors.try_update(|c| c.pop()).flatten().flatten();
                after.set(prev);
            }>"Previous"</button>
            <button disabled=!has_next on:click=move |_| {
                cursors.update(|c| c.push(after.get_untracked()));
                after.set(end.clone());
            }>"Next"</button>
        </nav>
    }
}

/// One page of leads: when, the three columns that differ between the owner's list and the partner's (`heads`, and
/// their values beside each lead), type, status and the rejection reason. With `selected`, a checkbox per lead and
/// one for the whole page.
#[component]
pub fn LeadTable(
    heads: [&'static str; 3],
    rows: Vec<(LeadData, [String; 3])>,
    #[prop(optional)] selected: Option<RwSignal<BTreeSet<String>>>,
    #[prop(optional)] actions: Option<LeadActions>,
) -> impl IntoView {
    let all: Vec<String> = rows.iter().map(|(l, _)| l.id.clone()).collect();
    let [who, id, amount] = heads;
    // Focusable: the table may scroll sideways, and a keyboard must reach what is off screen.
    view! {
        <div class="table-wrap" role="region" aria-label="Leads" tabindex="0"><table>
            <caption class="sr-only">"Leads"</caption>
            <thead><tr>
                {selected.map(|selected| view! {
                    <th scope="col"><input type="checkbox" aria-label="Select all on this page"
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.set(if on { all.iter().cloned().collect() } else { BTreeSet::new() });
                        } /></th>
                })}
                <th scope="col">"Received"</th><th scope="col">{who}</th><th scope="col">"Type"</th>
                <th scope="col">"Status"</th><th scope="col">"Reason"</th><th scope="col">{id}</th>
                <th scope="col" class="num">{amount}</th>
                {actions.map(|_| view! { <th scope="col">"Dispute"</th> })}
            </tr></thead>
            <tbody>{rows.into_iter().map(|(l, [who, id, amount])| {
                let box_label = format!("Select lead from {}", l.partner_email);
                let lead_id = l.id.clone();
                view! {
                    <tr>
                        {selected.map(|selected| {
                            let checked = lead_id.clone();
                            view! {
                                <td><input type="checkbox" aria-label=box_label
                                    prop:checked=move || selected.with(|s| s.contains(&checked))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let id = lead_id.clone();
                                        selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                    } /></td>
                            }
                        })}
                        <td>{format::date_time(&l.created_at)}</td>
                        <td>{who}</td>
                        <td>{if l.kind == "CALL" { "Call" } else { "Form" }}</td>
                        <td><span class=format!("badge {}", l.status.to_lowercase())>{lead_status_label(&l.status)}</span></td>
                        <td class="reason">{l.reason.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{id}</td>
                        <td class="num">{amount}</td>
                        {actions.map(|actions| view! { <LeadActionCell lead=l.clone() actions=actions /> })}
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
}

/// The account's API keys (the same on both sides of an owner who is also a partner): create (shown once, for
/// every organization of the account or limited to one), see prefixes, organization and last use, revoke.
#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new("LEADS".to_owned());
    let organization = RwSignal::new(String::new());
    // The organizations a key may be limited to: the one the account owns, and those it is a partner of.
    let organizations = Signal::derive(move || {
        let Some(u) = session.user() else { return Vec::new() };
        let mut list: Vec<Org> = u
            .organization
            .into_iter()
            .map(|o| Org { name: format!("{} (your organization)", o.name), id: o.id })
            .collect();
        let others: Vec<Org> = u.advertisers.into_iter().filter(|a| !list.iter().any(|o| o.id == a.id)).collect();
        list.extend(others);
        list
    });
    let error = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<String>);
    let revoking = RwSignal::new(None::<(String, String)>);
    let keys = api::fetched(move || {
        let token = session.token();
        async move { api::run::<api::ApiKeys>(token.as_deref(), api::api_keys::Variables {}).await.map(|d| d.api_keys) }
    });
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        spawn_local(async move {
            let scope = if scope.get_untracked() == "REPORTS" {
                api::create_api_key::ApiKeyScope::REPORTS
            } else {
                api::create_api_key::ApiKeyScope::LEADS
            };
            let organization_id = Some(organization.get_untracked()).filter(|o| !o.is_empty());
            let vars = api::create_api_key::Variables { name: name.get_untracked(), scope, organization_id };
            match api::run::<api::CreateApiKey>(session.token().as_deref(), vars).await {
                Ok(d) => {
                    created.set(Some(d.create_api_key.key));
                    name.set(String::new());
                    keys.refetch();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move || {
        let Some((id, _)) = revoking.get_untracked() else { return };
        revoking.set(None);
        spawn_local(async move {
            match api::run::<api::RevokeApiKey>(session.token().as_deref(), api::revoke_api_key::Variables { id }).await
            {
                Ok(_) => keys.refetch(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <main class="page narrow" id="main">
            <h1>"API access"</h1>
            <p class="muted">
                {move || if session.mode() == Some(Mode::Owner) {
                    view! { "An API key decides on leads with "<code>"POST /v1/leads/{id}/status"</code>"." }.into_any()
                } else {
                    view! { "An API key sends leads with "<code>"POST /v1/leads"</code>"." }.into_any()
                }}
                " A reporting token reads reports only: the GraphQL "<code>"report"</code>" query and "<code>"GET /v1/reports.csv"</code>", for BI tools and scripts. Send either as "<code>"Authorization: Bearer <key>"</code>"."
                " A key works for every organization of your account unless you limit it to one; a lead names its campaign, which decides the advertiser."
            </p>
            <Show when=move || created.get().is_some()>
                <div class="banner ok" role="status">
                    <p><strong>"Copy it now: it is shown only this once."</strong></p>
                    <CopyField label="New key".to_owned() value=created.get().unwrap_or_default() id="new-key".to_owned() />
                </div>
            </Show>
            <form class="card" on:submit=create novalidate>
                <ErrorBanner error=error />
                <Field label="Key name" id="name" value=name error=field_error(error, "name") hint="Where you will use it, e.g. “Landing page server”." />
                <div class="field">
                    <label for="scope">"Kind"</label>
                    <select id="scope" bind:value=scope>
                        <option value="LEADS">"API key (leads)"</option>
                        <option value="REPORTS">"Reporting token (read-only)"</option>
                    </select>
                </div>
                <Show when=move || !organizations.with(Vec::is_empty)>
                    <div class="field" class:invalid=move || field_error(error, "organizationId").get().is_some()>
                        <label for="organizationId">"Organization"</label>
                        <select id="organizationId" bind:value=organization aria-describedby="organizationId-hint">
                            <option value="">"All advertisers"</option>
                            {move || organizations.get().into_iter().map(|o| {
                                let id = o.id.clone();
                                view! { <option value=o.id selected=move || organization.with(|v| *v == id)>{o.name}</option> }
                            }).collect_view()}
                        </select>
                        <p class="hint" id="organizationId-hint">"Optional: limit the key to one organization."</p>
                        <Show when=move || field_error(error, "organizationId").get().is_some()>
                            <p class="error-text" role="alert">{move || field_error(error, "organizationId").get()}</p>
                        </Show>
                    </div>
                </Show>
                <button type="submit" class="primary">"Create key"</button>
            </form>
            <Transition fallback=|| view! { <Loading what="your keys" /> }>
                {move || keys.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table>
                            <caption class="sr-only">"API keys"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Kind"</th><th scope="col">"Organization"</th><th scope="col">"Key"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>{list.into_iter().map(|k| {
                                let active = k.revoked_at.is_none();
                                let target = (k.id.clone(), k.name.clone());
                                view! {
                                    <tr>
                                        <td>{k.name.clone()}</td>
                                        <td>{if wire(&k.scope) == "REPORTS" { "Reporting token" } else { "API key" }}</td>
                                        <td>{k.organization.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| "All advertisers".into())}</td>
                                        <td><code>{format!("{}…", k.prefix)}</code></td>
                                        <td>{format::date(&k.created_at)}</td>
                                        <td>{k.last_used_at.as_deref().map(format::date_time).unwrap_or_else(|| "Never".into())}</td>
                                        <td>{if active { "Active" } else { "Revoked" }}</td>
                                        <td><Show when=move || active>
                                            <button class="small danger" on:click={let t = target.clone(); move |_| revoking.set(Some(t.clone()))}>"Revoke"</button>
                                        </Show></td>
                                    </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
            <Show when=move || revoking.get().is_some()>
                <ConfirmDialog
                    title=format!("Revoke “{}”?", revoking.get_untracked().map(|(_, n)| n).unwrap_or_default())
                    text="Requests with this key fail from now on. This cannot be undone.".to_owned()
                    confirm="Revoke key".to_owned()
                    on_confirm=move || revoke()
                    on_cancel=move || revoking.set(None)
                />
            </Show>
        </main>
    }
}
