//! The partner portal's home: the campaigns assigned to the partner, with payouts and caps.

use leptos::prelude::*;

use crate::api::{self, CapData, wire};
use crate::components::Loading;
use crate::format::{cap_line, partner_status_label};
use crate::session::use_session;

#[component]
pub fn PartnerHome() -> impl IntoView {
    let session = use_session();
    let data = LocalResource::new(move || {
        let token = session.token();
        async move { api::run::<api::MyPartnerAccount>(token.as_deref(), api::my_partner_account::Variables {}).await.map(|d| d.my_partner_account) }
    });
    view! {
        <main class="page" id="main">
            <Transition fallback=|| view! { <Loading what="your campaigns" /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! {
                        <div class="banner error" role="alert"><p>{e.message}</p><button on:click=move |_| data.refetch()>"Try again"</button></div>
                    }.into_any(),
                    Ok(acc) => view! {
                        <div class="page-head">
                            <h1>"Your campaigns"</h1>
                            <span class="muted">{format!("Marketing partner of {}", acc.organization_name)}</span>
                        </div>
                        {if acc.campaigns.is_empty() {
                            view! { <div class="empty"><h2>"No campaigns yet"</h2><p>"When a campaign owner adds you to a campaign, it appears here."</p></div> }.into_any()
                        } else {
                            view! {
                                <div class="cards">{acc.campaigns.into_iter().map(|c| {
                                    let status = wire(&c.status);
                                    let caps: Vec<CapData> = c.caps.into_iter().map(CapData::from).collect();
                                    let tz = c.time_zone.clone();
                                    view! {
                                        <article class="card campaign-card">
                                            <div class="page-head">
                                                <h2>{c.name}</h2>
                                                <span class=format!("badge {}", status.to_lowercase())>{partner_status_label(&status)}</span>
                                            </div>
                                            <dl class="facts">
                                                <dt>"Per click"</dt><dd>{format!("{} {}", c.click_payout, c.currency)}</dd>
                                                <dt>"Per form"</dt><dd>{format!("{} {}", c.form_payout, c.currency)}</dd>
                                                <dt>"Per call"</dt><dd>{format!("{} {}", c.call_payout, c.currency)}</dd>
                                                <dt>"Time zone"</dt><dd>{c.time_zone.clone()}</dd>
                                            </dl>
                                            <h3>"Caps"</h3>
                                            {if caps.is_empty() {
                                                view! { <p class="muted">"No caps: send as much as you like."</p> }.into_any()
                                            } else {
                                                view! { <ul class="plain">{caps.iter().map(|cap| view! { <li>{cap_line(cap, Some(&tz))}</li> }).collect_view()}</ul> }.into_any()
                                            }}
                                        </article>
                                    }
                                }).collect_view()}</div>
                            }.into_any()
                        }}
                    }.into_any(),
                })}
            </Transition>
        </main>
    }
}
