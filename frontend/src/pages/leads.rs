//! The campaign's Leads tab: filter, select, approve, reject with a reason, convert.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, LeadData};
use crate::components::{ErrorBanner, Field, Loading, Modal, field_error};
use crate::format::lead_status_label;
use crate::pages::partners::CampaignTabs;
use crate::pages::portal::{LeadFilters, LeadTable, Pager};
use crate::pages::returns::LeadActions;
use crate::router::{A, use_params_map, use_query_map};
use crate::session::use_session;

#[component]
pub fn CampaignLeads() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let status = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let dispute = RwSignal::new(use_query_map().read_untracked().get("dispute").unwrap_or_default());
    let actions = LeadActions::new(true);
    let after = RwSignal::new(None::<String>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let notice = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let rejecting = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let reject_error = RwSignal::new(None::<ApiError>);

    let data = api::fetched(move || {
        let filter = crate::pages::portal::lead_filter(
            Some(id.get()),
            None,
            &status.get(),
            &kind.get(),
            &from.get(),
            &to.get(),
            &dispute.get(),
        );
        let vars = api::campaign_leads::Variables { filter: Some(filter), first: Some(50), after: after.get() };
        let token = session.token();
        async move { api::run::<api::CampaignLeads>(token.as_deref(), vars).await.map(|d| d.leads) }
    });

    let decide = move |target: &'static str, why: Option<String>| {
        use api::set_lead_status::{LeadStatus, Variables};
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            return;
        }
        let status = match target {
            "APPROVED" => LeadStatus::APPROVED,
            "REJECTED" => LeadStatus::REJECTED,
            _ => LeadStatus::CONVERTED,
        };
        let n = ids.len();
        error.set(None);
        spawn_local(async move {
            match api::run::<api::SetLeadStatus>(session.token().as_deref(), Variables { ids, status, reason: why })
                .await
            {
                Ok(_) => {
                    rejecting.set(false);
                    reason.set(String::new());
                    selected.set(BTreeSet::new());
                    notice.set(Some(format!(
                        "{n} lead{} {}.",
                        if n == 1 { "" } else { "s" },
                        lead_status_label(target).to_lowercase()
                    )));
                    data.refetch();
                }
                Err(e) if rejecting.get_untracked() => reject_error.set(Some(e)),
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let reset = move || {
        cursors.set(Vec::new());
        after.set(None);
        selected.set(BTreeSet::new());
    };

    view! {
        <main class="page" id="main">
            <p class="crumbs"><A href="/campaigns">"Campaigns"</A>" / Leads"</p>
            <h1>"Leads"</h1>
            <CampaignTabs id=id active="leads" />
            <Show when=move || notice.get().is_some()><div class="banner ok" role="status">{move || notice.get()}</div></Show>
            <ErrorBanner error=error />
            <LeadFilters status=status kind=kind from=from to=to dispute=dispute on_change=Callback::new(move |()| reset()) />
            <div class="bulk" role="toolbar" aria-label="Selected leads">
                <span class="muted">{move || format!("{} selected", selected.with(BTreeSet::len))}</span>
                <button class="small" disabled=move || selected.with(BTreeSet::is_empty) on:click=move |_| decide("APPROVED", None)>"Approve"</button>
                <button class="small" disabled=move || selected.with(BTreeSet::is_empty) on:click=move |_| { reject_error.set(None); rejecting.set(true) }>"Reject…"</button>
                <button class="small" disabled=move || selected.with(BTreeSet::is_empty) on:click=move |_| decide("CONVERTED", None)>"Mark converted"</button>
            </div>
            <Transition fallback=|| view! { <Loading what="leads" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                    Ok(conn) if conn.nodes.is_empty() => view! {
                        <div class="empty"><h2>"No leads here"</h2><p>"Leads your marketing partners send to this campaign appear here as they arrive."</p></div>
                    }.into_any(),
                    Ok(conn) => {
                        let rows: Vec<(LeadData, [String; 3])> = conn.nodes.into_iter().map(LeadData::from).map(|l| {
                            let cells = [l.partner_email.clone(), l.sub1.clone().unwrap_or_else(|| "—".into()), l.payout.clone()];
                            (l, cells)
                        }).collect();
                        let has_next = conn.page_info.has_next_page;
                        let end = conn.page_info.end_cursor.clone();
                        view! {
                            <LeadTable heads=["Partner", "Sub1", "Payout"] rows=rows selected=selected actions=actions />
                            <Pager total=conn.total_count has_next=has_next end=end after=after cursors=cursors noun="lead" />
                        }.into_any()
                    }
                })}
            </Transition>
            {actions.owner_dialog(Callback::new(move |text: String| {
                notice.set(Some(text));
                data.refetch();
            }))}
            <Show when=move || rejecting.get()>
                <Modal title="Reject the selected leads".to_owned() on_close=move || rejecting.set(false)>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); decide("REJECTED", Some(reason.get_untracked())) } novalidate>
                        <ErrorBanner error=reject_error />
                        <Field label="Reason" id="reason" value=reason error=field_error(reject_error, "reason") required=true
                            hint="The partner sees it beside each lead, e.g. “Duplicate phone number”." />
                        <div class="actions">
                            <button type="button" on:click=move |_| rejecting.set(false)>"Cancel"</button>
                            <button type="submit" class="danger">"Reject leads"</button>
                        </div>
                    </form>
                </Modal>
            </Show>
        </main>
    }
}
