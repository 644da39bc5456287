//! Small building blocks shared by the pages.

use leptos::prelude::*;

use crate::api::ApiError;

/// A labelled input with its hint and its error beside it.
#[component]
pub fn Field(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                bind:value=value
                autocomplete=autocomplete
                placeholder=placeholder
                inputmode=inputmode
                required=required
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            <Show when=move || error.get().is_some()>
                <p class="error-text" id=error_id.clone() role="alert">{move || error.get()}</p>
            </Show>
        </div>
    }
}

/// The error of a whole form or page, for errors not about one field.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some_and(|e| e.field().is_none())>
            <div class="banner error" role="alert">{move || error.get().map(|e| e.message)}</div>
        </Show>
    }
}

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! {
        <div class="loading" role="status" aria-live="polite">
            <span class="spinner" aria-hidden="true"></span>
            {format!("Loading {what}…")}
        </div>
    }
}

/// A field's message from the last error, as a signal for [`Field`].
pub fn field_error(error: RwSignal<Option<ApiError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// A dialog: Esc closes it, Tab stays inside it, focus starts on its first field or button.
#[component]
pub fn Modal(
    title: String,
    #[prop(into)] on_close: Callback<()>,
    children: Children,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    use wasm_bindgen::JsCast;
    let panel = NodeRef::<leptos::html::Div>::new();
    let focusables = move || -> Vec<web_sys::HtmlElement> {
        let Some(el) = panel.get_untracked() else { return Vec::new() };
        let Ok(list) = el.query_selector_all("input, select, textarea, button, a[href]") else { return Vec::new() };
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|e| !e.has_attribute("disabled"))
            .collect()
    };
    Effect::new(move |_| {
        if panel.get().is_some()
            && let Some(first) = focusables().first()
        {
            let _ = first.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_close.run(());
        }
        "Tab" => {
            let items = focusables();
            let (Some(first), Some(last)) = (items.first(), items.last()) else { return };
            let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
            let at = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a.is_same_node(Some(e)));
            if ev.shift_key() && at(first) {
                ev.prevent_default();
                let _ = last.focus();
            } else if !ev.shift_key() && at(last) {
                ev.prevent_default();
                let _ = first.focus();
            }
        }
        _ => {}
    };
    let title_id = "modal-title";
    view! {
        <div class="backdrop" on:keydown=on_key>
            <div class="modal" class:wide=wide role="dialog" aria-modal="true" aria-labelledby=title_id node_ref=panel>
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

/// Asks before something that cannot be undone lightly. The safe choice comes first.
#[component]
pub fn ConfirmDialog(
    title: String,
    text: String,
    confirm: String,
    #[prop(into)] on_confirm: Callback<()>,
    #[prop(into)] on_cancel: Callback<()>,
) -> impl IntoView {
    view! {
        <Modal title=title on_close=on_cancel>
            <p>{text}</p>
            <div class="actions">
                <button on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button class="danger" on:click=move |_| on_confirm.run(())>{confirm}</button>
            </div>
        </Modal>
    }
}

/// A cap's use as a bar: "Forms today: 37 / 50", and when the window starts again in the campaign's time zone.
#[component]
pub fn UsageBar(usage: crate::api::UsageData, time_zone: String) -> impl IntoView {
    let pct = if usage.limit > 0 { (usage.used.min(usage.limit) * 100) / usage.limit } else { 100 };
    let full = usage.used >= usage.limit;
    let label =
        format!("{} {}", crate::format::metric_label(&usage.metric), crate::format::window_phrase(&usage.window));
    let resets =
        usage.resets_at.as_deref().map(|r| format!("Resets {} ({time_zone})", crate::format::in_zone(r, &time_zone)));
    view! {
        <div class="usage" class:full=full>
            <div class="usage-head">
                <span>{label.clone()}</span>
                <span class="num">{format!("{} / {}", usage.used, usage.limit)}</span>
            </div>
            <div class="bar" role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax=usage.limit.to_string()
                aria-valuenow=usage.used.to_string()>
                <div class="fill" style=format!("width: {pct}%")></div>
            </div>
            {resets.map(|r| view! { <div class="muted small">{r}</div> })}
        </div>
    }
}

/// A read-only value with a Copy button (the clipboard, or a selected field to copy by hand).
#[component]
pub fn CopyField(label: String, value: String, id: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let copy = {
        let value = value.clone();
        move |_| {
            if let Some(el) = input.get_untracked() {
                el.select();
            }
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&value);
            }
            copied.set(true);
        }
    };
    view! {
        <div class="copy-field">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id readonly value=value node_ref=input />
                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
        </div>
    }
}
