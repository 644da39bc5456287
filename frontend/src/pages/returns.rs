//! Returns and disputes on the lead tables: the owner returns an approved lead with a reason, the partner disputes a
//! rejection or a return once, the owner upholds (with a reply) or reverses; and the open disputes on both
//! dashboards.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, ApiError, LeadData};
use crate::components::Modal;
use crate::router::A;
use crate::session::use_session;

/// What a lead row's button opens.
#[derive(Clone, Copy, PartialEq)]
pub enum LeadAct {
    Return,
    Dispute,
    Answer,
}

/// The lead table's action column: whose table it is, and the lead and action chosen (a dialog shows it).
#[derive(Clone, Copy)]
pub struct LeadActions {
    pub owner: bool,
    pub chosen: RwSignal<Option<(LeadAct, LeadData)>>,
}

impl LeadActions {
    pub fn new(owner: bool) -> Self {
        Self { owner, chosen: RwSignal::new(None) }
    }

    /// The owner's dialog of the action chosen, if any; `done` runs after it changed the lead (the table reloads).
    /// One function per side, so that each side's module holds only its own dialogs.
    pub fn owner_dialog(self, done: Callback<String>) -> impl IntoView {
        move || {
            self.chosen.get().and_then(|(act, lead)| {
                let (close, finish) = self.callbacks(done);
                match act {
                    LeadAct::Return => {
                        Some(view! { <ReturnDialog lead=lead on_close=close on_done=finish /> }.into_any())
                    }
                    LeadAct::Answer => {
                        Some(view! { <AnswerDialog lead=lead on_close=close on_done=finish /> }.into_any())
                    }
                    LeadAct::Dispute => None,
                }
            })
        }
    }

    /// The partner's dialog: disputing a decision.
    pub fn partner_dialog(self, done: Callback<String>) -> impl IntoView {
        move || {
            self.chosen.get().filter(|(act, _)| *act == LeadAct::Dispute).map(|(_, lead)| {
                let (close, finish) = self.callbacks(done);
                view! { <DisputeDialog lead=lead on_close=close on_done=finish /> }
            })
        }
    }

    fn callbacks(self, done: Callback<String>) -> (Callback<()>, Callback<String>) {
        let close = Callback::new(move |()| self.chosen.set(None));
        let finish = Callback::new(move |notice: String| {
            self.chosen.set(None);
            done.run(notice);
        });
        (close, finish)
    }
}

/// A lead's dispute as its row shows it, and the button for what this side may do with the lead now.
#[component]
pub fn LeadActionCell(lead: LeadData, actions: LeadActions) -> impl IntoView {
    let state = lead.dispute.as_ref().map(|d| match d.status.as_str() {
        "OPEN" => "Disputed: waiting for an answer".to_owned(),
        "UPHELD" => format!("Dispute upheld: {}", d.reply.clone().unwrap_or_default()),
        _ => "Dispute accepted: decision reversed".to_owned(),
    });
    let message = lead.dispute.as_ref().map(|d| format!("“{}”", d.message));
    let act = match (actions.owner, lead.status.as_str(), lead.dispute.as_ref().map(|d| d.status.as_str())) {
        (true, _, Some("OPEN")) => Some((LeadAct::Answer, "Answer dispute…")),
        (true, "APPROVED" | "CONVERTED", _) => Some((LeadAct::Return, "Return…")),
        (false, "REJECTED" | "RETURNED", None) => Some((LeadAct::Dispute, "Dispute…")),
        _ => None,
    };
    view! {
        <td class="dispute">
            {state.map(|s| view! { <div>{s}</div> })}
            {message.map(|m| view! { <div class="muted small">{m}</div> })}
            {act.map(|(act, label)| view! {
                <button type="button" class="small" on:click=move |_| actions.chosen.set(Some((act, lead.clone())))>{label}</button>
            })}
        </td>
    }
}

/// "the lead crm-7 from pat@partner.test", for dialog texts.
fn lead_name(lead: &LeadData, owner: bool) -> String {
    let id = lead.external_id.as_deref().map(|i| format!(" {i}")).unwrap_or_default();
    if owner { format!("the lead{id} from {}", lead.partner_email) } else { format!("your lead{id}") }
}

/// A labelled text area with its hint and error (as [`crate::components::Field`] for inputs).
#[component]
fn TextArea(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    hint: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || if error.get().is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() }
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            <textarea id=id name=id rows="3" bind:value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described></textarea>
            <p class="hint" id=hint_id>{hint}</p>
            <Show when=move || error.get().is_some()>
                <p class="error-text" id=error_id.clone() role="alert">{move || error.get()}</p>
            </Show>
        </div>
    }
}

/// The error of a form that no field of it shows: none named, or one the form has no input for (`leadId`). `shown`:
/// the fields the form shows errors on (`fields.` stands for every `fields.<n>`).
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>, shown: &'static [&'static str]) -> impl IntoView {
    let other = move || {
        error.get().filter(|e| {
            e.field().is_none_or(|f| !shown.iter().any(|s| f == *s || (s.ends_with('.') && f.starts_with(s))))
        })
    };
    view! {
        <Show when=move || other().is_some()>
            <div class="banner error" role="alert">{move || other().map(|e| e.message)}</div>
        </Show>
    }
}

fn for_field(error: RwSignal<Option<ApiError>>, field: &'static str) -> Signal<Option<String>> {
    crate::components::field_error(error, field)
}

/// The owner returns an approved lead: a reason from the organization's list (`OTHER` needs a text); its payout is
/// reversed.
#[component]
fn ReturnDialog(lead: LeadData, on_close: Callback<()>, on_done: Callback<String>) -> impl IntoView {
    let session = use_session();
    let reasons = api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::ReturnReasons>(token.as_deref(), api::return_reasons::Variables {})
                .await
                .map(|d| d.return_reasons)
        }
    });
    let code = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let code_error = for_field(error, "reasonCode");
    let id = lead.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let vars = api::return_lead::Variables {
            ids: vec![id.clone()],
            reason_code: code.get_untracked(),
            reason: Some(text.get_untracked()).filter(|t| !t.trim().is_empty()),
        };
        error.set(None);
        spawn_local(async move {
            match api::run::<api::ReturnLead>(session.token().as_deref(), vars).await {
                Ok(_) => on_done.run("Lead returned: its payout is reversed.".into()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <Modal title="Return this lead".to_owned() on_close=on_close>
            <form on:submit=submit novalidate>
                <p>{format!("Return {}? Its payout is taken back, and the partner sees the reason.", lead_name(&lead, true))}</p>
                <FormError error=error shown=&["reasonCode", "reason"] />
                <div class="field" class:invalid=move || code_error.get().is_some()>
                    <label for="reasonCode">"Reason"</label>
                    <select id="reasonCode" bind:value=code
                        aria-invalid=move || if code_error.get().is_some() { "true" } else { "false" }
                        aria-describedby=move || code_error.get().map(|_| "reasonCode-error")>
                        <option value="">"Choose a reason"</option>
                        {move || reasons.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|r| {
                            view! { <option value=r.code>{r.label}</option> }
                        }).collect_view()}
                    </select>
                    <Show when=move || code_error.get().is_some()>
                        <p class="error-text" id="reasonCode-error" role="alert">{move || code_error.get()}</p>
                    </Show>
                </div>
                <TextArea label="Details" id="reason" value=text error=for_field(error, "reason")
                    hint="Required for “Other”; the partner sees it." />
                <div class="actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="danger">"Return lead"</button>
                </div>
            </form>
        </Modal>
    }
}

/// The partner disputes a rejection or a return, once, with a message.
#[component]
fn DisputeDialog(lead: LeadData, on_close: Callback<()>, on_done: Callback<String>) -> impl IntoView {
    let session = use_session();
    let message = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let id = lead.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let vars = api::dispute_lead::Variables { lead_id: id.clone(), message: message.get_untracked() };
        error.set(None);
        spawn_local(async move {
            match api::run::<api::DisputeLead>(session.token().as_deref(), vars).await {
                Ok(_) => on_done.run("Dispute sent: the advertiser will answer it.".into()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let decision = if lead.status == "RETURNED" { "return" } else { "rejection" };
    view! {
        <Modal title="Dispute this decision".to_owned() on_close=on_close>
            <form on:submit=submit novalidate>
                <p>{format!("The {decision} of {}: {}", lead_name(&lead, false), lead.reason.clone().unwrap_or_default())}</p>
                <FormError error=error shown=&["message"] />
                <TextArea label="Message" id="message" value=message error=for_field(error, "message")
                    hint="Why the decision is wrong, with evidence. A lead can be disputed once." />
                <div class="actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary">"Send dispute"</button>
                </div>
            </form>
        </Modal>
    }
}

/// The owner answers an open dispute: uphold the decision (a reply is required) or reverse it.
#[component]
fn AnswerDialog(lead: LeadData, on_close: Callback<()>, on_done: Callback<String>) -> impl IntoView {
    let session = use_session();
    let reply = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let id = StoredValue::new(lead.id.clone());
    let answer = move |reverse: bool| {
        let vars = api::answer_dispute::Variables {
            lead_id: id.get_value(),
            reverse,
            reply: Some(reply.get_untracked()).filter(|r| !r.trim().is_empty()),
        };
        error.set(None);
        spawn_local(async move {
            match api::run::<api::AnswerDispute>(session.token().as_deref(), vars).await {
                Ok(_) if reverse => on_done.run("Decision reversed: the lead is back to its status before it.".into()),
                Ok(_) => on_done.run("Decision upheld.".into()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let message = lead.dispute.as_ref().map(|d| d.message.clone()).unwrap_or_default();
    view! {
        <Modal title="Answer the dispute".to_owned() on_close=on_close>
            <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); answer(false) } novalidate>
                <p>{format!("{} disputes the decision on {}: {}", lead.partner_email, lead_name(&lead, true), lead.reason.clone().unwrap_or_default())}</p>
                <blockquote>{message}</blockquote>
                <FormError error=error shown=&["reply"] />
                <TextArea label="Reply" id="reply" value=reply error=for_field(error, "reply")
                    hint="Required to uphold the decision; the partner sees it." />
                <div class="actions">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="danger">"Uphold decision"</button>
                    <button type="button" class="primary" on:click=move |_| answer(true)>"Reverse decision"</button>
                </div>
            </form>
        </Modal>
    }
}

/// "2 open disputes": on the owner's campaigns and the partner's dashboard, with where to find them. Nothing when
/// there are none.
#[component]
pub fn OpenDisputes(owner: bool) -> impl IntoView {
    let session = use_session();
    let count = api::fetched(move || {
        let token = session.token();
        async move {
            use api::open_disputes::{Role, Variables};
            let vars = Variables { as_: if owner { Role::OWNER } else { Role::PARTNER } };
            api::run::<api::OpenDisputes>(token.as_deref(), vars).await.map(|d| d.open_disputes).unwrap_or(0)
        }
    });
    move || {
        count.get().filter(|n| *n > 0).map(|n| {
            let what = format!("{n} open dispute{}", if n == 1 { "" } else { "s" });
            if owner {
                view! {
                    <div class="banner info" role="status"><strong>{what}</strong>
                        " waiting for your answer: filter a campaign's leads by “Disputes: open”."</div>
                }
                .into_any()
            } else {
                view! {
                    <div class="banner info" role="status"><strong>{what}</strong>
                        " waiting for the advertiser's answer. "<A href="/portal/leads">"See your leads"</A></div>
                }
                .into_any()
            }
        })
    }
}
