//! Dashboards: KPI cards against the previous period, a daily chart drawn as SVG, a sortable breakdown table, and
//! live updates over graphql-ws. The same component serves the partner's home, a campaign's Overview and the
//! Marketing Partner Single View; the server decides whose numbers each caller may see.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::{self, dashboard, report};
use crate::components::Loading;
use crate::format;
use crate::live;
use crate::router::A;
use crate::session::use_session;
use crate::time_zones;

/// Sums of one report row (or of several rows in different currencies: counts add up, money stays per currency).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    pub clicks: i64,
    pub clicks_not_counted: i64,
    pub submitted: i64,
    pub approved: i64,
    pub rejected: i64,
    pub converted: i64,
    /// Approved leads returned later (still counted as approved).
    pub returned: i64,
    /// (amount, currency) per currency, as the server computed them.
    pub earnings: Vec<(String, String)>,
    pub epc: Vec<(String, String)>,
}

impl From<&api::shared::Metrics> for Sums {
    fn from(r: &api::shared::Metrics) -> Self {
        Sums {
            clicks: r.clicks,
            clicks_not_counted: r.clicks_not_counted,
            submitted: r.submitted,
            approved: r.approved,
            rejected: r.rejected,
            converted: r.converted,
            returned: r.returned,
            earnings: vec![(r.earnings.clone(), r.currency.clone())],
            epc: r.epc.clone().map(|e| (e, r.currency.clone())).into_iter().collect(),
        }
    }
}

impl Sums {
    pub fn add(mut self, o: Sums) -> Sums {
        self.clicks += o.clicks;
        self.clicks_not_counted += o.clicks_not_counted;
        self.submitted += o.submitted;
        self.approved += o.approved;
        self.rejected += o.rejected;
        self.converted += o.converted;
        self.returned += o.returned;
        self.earnings.extend(o.earnings);
        self.epc.extend(o.epc);
        self
    }

    pub fn total<'a, T: 'a>(rows: impl IntoIterator<Item = &'a T>) -> Sums
    where
        Sums: From<&'a T>,
    {
        rows.into_iter().map(Sums::from).fold(Sums::default(), Sums::add)
    }

    /// The definitions in `metricDefinitions`: a rate with nothing to divide by is unknown.
    pub fn approval_rate(&self) -> Option<f64> {
        let decided = self.approved + self.rejected;
        (decided > 0).then(|| self.approved as f64 / decided as f64)
    }

    /// Returned ÷ approved.
    pub fn return_rate(&self) -> Option<f64> {
        (self.approved > 0).then(|| self.returned as f64 / self.approved as f64)
    }

    pub fn conversion_rate(&self) -> Option<f64> {
        (self.submitted > 0).then(|| self.converted as f64 / self.submitted as f64)
    }

    fn money(list: &[(String, String)]) -> String {
        if list.is_empty() {
            return "—".into();
        }
        list.iter().map(|(a, c)| format::money(a, c)).collect::<Vec<_>>().join(" · ")
    }

    pub fn earnings_text(&self) -> String {
        if self.earnings.is_empty() { "0.00".into() } else { Self::money(&self.earnings) }
    }

    pub fn epc_text(&self) -> String {
        Self::money(&self.epc)
    }

    /// Earnings in 1/10,000 units when there is exactly one currency (for the change and the chart).
    pub fn earnings_units(&self) -> Option<i64> {
        match self.earnings.as_slice() {
            [] => Some(0),
            [(a, _)] => units(a),
            _ => None,
        }
    }
}

/// "12.5" -> 125000 (1/10,000 units), exactly: amounts are never floats here.
fn units(amount: &str) -> Option<i64> {
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    if frac.len() > 4 {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<4}").parse().ok()?;
    Some(w * 10_000 + if w < 0 { -f } else { f })
}

fn units_text(u: i64) -> String {
    format!("{}.{:02}", u / 10_000, (u % 10_000).abs() / 100)
}

pub fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format::percent(r, 1)).unwrap_or_else(|| "—".into())
}

/// The change from `prev` to `cur`: +12% for amounts and counts, +3.0 pts for rates.
fn change(cur: Option<f64>, prev: Option<f64>, points: bool) -> (String, &'static str) {
    match (cur, prev) {
        (Some(c), Some(p)) if points => {
            let d = (c - p) * 100.0;
            (format!("{}{} pts", if d >= 0.0 { "+" } else { "−" }, format::tenths(d.abs())), direction(d))
        }
        (Some(c), Some(p)) if p != 0.0 => {
            let d = (c - p) / p;
            (format!("{}{}", if d >= 0.0 { "+" } else { "−" }, format::percent(d.abs(), 0)), direction(d * 100.0))
        }
        (Some(c), Some(_)) if c > 0.0 => ("new".into(), "up"),
        _ => ("—".into(), "flat"),
    }
}

fn direction(d: f64) -> &'static str {
    if d > 0.0005 {
        "up"
    } else if d < -0.0005 {
        "down"
    } else {
        "flat"
    }
}

/// The period picker's choices; days are each campaign's own calendar days.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Preset {
    Today,
    Yesterday,
    Last7,
    Last30,
    MonthToDate,
    Custom,
}

const PRESETS: [(Preset, &str, &str); 6] = [
    (Preset::Today, "today", "Today"),
    (Preset::Yesterday, "yesterday", "Yesterday"),
    (Preset::Last7, "7d", "Last 7 days"),
    (Preset::Last30, "30d", "Last 30 days"),
    (Preset::MonthToDate, "mtd", "Month to date"),
    (Preset::Custom, "custom", "Custom"),
];

/// Today's date (YYYY-MM-DD) in an IANA zone.
pub fn today_in(zone: &str) -> String {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into());
    let d = js_sys::Date::new_0();
    String::from(d.to_locale_date_string("en-CA", &options)).chars().take(10).collect()
}

/// `date` moved by `days` (calendar arithmetic in UTC, where days have no DST).
pub fn add_days(date: &str, days: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{date}T00:00:00Z")));
    if d.get_time().is_nan() {
        return date.to_owned();
    }
    let moved = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(d.get_time() + days as f64 * 86_400_000.0));
    String::from(moved.to_iso_string()).chars().take(10).collect()
}

fn days_between(from: &str, to: &str) -> i64 {
    let t = |s: &str| js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{s}T00:00:00Z"))).get_time();
    ((t(to) - t(from)) / 86_400_000.0).round() as i64
}

/// The period's first and last day, and the period of the same length just before it.
fn period(preset: Preset, today: &str, custom: (String, String)) -> Option<((String, String), (String, String))> {
    let (from, to) = match preset {
        Preset::Today => (today.to_owned(), today.to_owned()),
        Preset::Yesterday => (add_days(today, -1), add_days(today, -1)),
        Preset::Last7 => (add_days(today, -6), today.to_owned()),
        Preset::Last30 => (add_days(today, -29), today.to_owned()),
        Preset::MonthToDate => (format!("{}-01", &today[..7.min(today.len())]), today.to_owned()),
        Preset::Custom => custom,
    };
    if from.len() != 10 || to.len() != 10 || to < from {
        return None;
    }
    let len = days_between(&from, &to) + 1;
    let prev = (add_days(&from, -len), add_days(&from, -1));
    Some(((from, to), prev))
}

const ZONE_KEY: &str = "partnerdesk.zone";

/// The zone the viewer chose for "today" on dashboards that span campaigns, kept in this browser.
fn saved_zone() -> Option<String> {
    crate::local_storage()?.get_item(ZONE_KEY).ok()?
}

fn save_zone(zone: &str) {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.set_item(ZONE_KEY, zone);
    }
}

/// Whose numbers a dashboard shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub campaign_ids: Vec<String>,
    pub partner_ids: Vec<String>,
    /// The partner's view narrowed to these advertisers (empty: all of them).
    pub organization_ids: Vec<String>,
    /// The campaign's zone, when the dashboard is about one campaign; otherwise the viewer picks one.
    pub zone: Option<String>,
    /// The owner's view (`as: OWNER`): earnings are the owner's cost. Otherwise the partner's (`as: PARTNER`): an
    /// owner who is also a partner sees its own organization's figures in one and its own traffic in the other.
    pub owner: bool,
    /// What the table breaks the numbers down by.
    pub breakdown: Breakdown,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Breakdown {
    Campaign,
    Partner,
}

/// The figures' filter for a scope and a period (`from`, `to`: days in the chosen zone).
fn report_filter(scope: &Scope, from: String, to: String) -> api::shared::ReportFilter {
    let some = |ids: &Vec<String>| Some(ids.clone()).filter(|v| !v.is_empty());
    api::shared::ReportFilter {
        campaign_ids: some(&scope.campaign_ids),
        partner_ids: some(&scope.partner_ids),
        organization_ids: some(&scope.organization_ids),
        types: None,
        from: Some(from),
        to: Some(to),
        time_zone: None,
    }
}

/// A metric's meaning, from the server's `metricDefinitions`, as a tooltip.
#[component]
fn Tip(defs: api::Fetched<HashMap<String, String>>, name: &'static str) -> impl IntoView {
    let text = move || defs.get().and_then(|d| d.get(name).cloned()).unwrap_or_default();
    view! { <span class="tip" tabindex="0" role="note" aria-label=text data-tip=text>"?"</span> }
}

/// The metrics' meanings (sent with the session's token, as the page's other queries, so that a returning visitor's
/// page asks for them before it starts: crate::api, "Opening requests").
fn definitions() -> api::Fetched<HashMap<String, String>> {
    let session = use_session();
    api::fetched(move || {
        let token = session.token();
        async move {
            api::run::<api::MetricDefinitions>(token.as_deref(), api::metric_definitions::Variables {})
                .await
                .map(|d| d.metric_definitions.into_iter().map(|m| (m.name, m.description)).collect())
                .unwrap_or_default()
        }
    })
}

/// `scope` may change (the partner's advertiser filter): the figures follow it.
#[component]
pub fn Dashboard(#[prop(into)] scope: Signal<Scope>) -> impl IntoView {
    let session = use_session();
    let defs = definitions();
    let preset = RwSignal::new(Preset::Last7);
    let custom_from = RwSignal::new(String::new());
    let custom_to = RwSignal::new(String::new());
    let zone = RwSignal::new(
        scope.with_untracked(|s| s.zone.clone()).or_else(saved_zone).unwrap_or_else(time_zones::browser_zone),
    );
    let chart_metric = RwSignal::new("submitted");
    let live_state = RwSignal::new(live::Status::Connecting);
    let bump = RwSignal::new(0u64);
    let today = move || today_in(&zone.get());
    let range = move || period(preset.get(), &today(), (custom_from.get(), custom_to.get()));

    let data = api::fetched(move || {
        bump.track();
        let token = session.token();
        let range = range();
        let s = scope.get();
        async move {
            let Some(((from, to), (pfrom, pto))) = range else { return Ok::<_, api::ApiError>(None) };
            let vars = dashboard::Variables {
                as_: if s.owner { dashboard::Role::OWNER } else { dashboard::Role::PARTNER },
                filter: report_filter(&s, from.clone(), to.clone()),
                previous: report_filter(&s, pfrom, pto),
            };
            let d = api::run::<api::Dashboard>(token.as_deref(), vars).await?;
            let breakdown = match s.breakdown {
                Breakdown::Campaign => d
                    .campaigns
                    .nodes
                    .iter()
                    .map(|n| {
                        let (id, name) =
                            n.campaign.as_ref().map(|c| (c.id.clone(), c.name.clone())).unwrap_or_default();
                        let link = s.owner.then(|| format!("/campaigns/{id}"));
                        Line { key: id, label: name, link, sums: Sums::from(&n.metrics) }
                    })
                    .collect(),
                Breakdown::Partner => {
                    let vars = report::Variables {
                        as_: if s.owner { report::Role::OWNER } else { report::Role::PARTNER },
                        filter: report_filter(&s, from.clone(), to.clone()),
                        group_by: vec![report::ReportDimension::PARTNER],
                        order_by: None,
                        first: 1000,
                        after: None,
                    };
                    api::run::<api::Report>(token.as_deref(), vars)
                        .await?
                        .report
                        .nodes
                        .iter()
                        .map(|n| {
                            let (id, label) = n
                                .partner
                                .as_ref()
                                .map(|p| (p.id.clone(), p.name.clone().unwrap_or_else(|| p.email.clone())))
                                .unwrap_or_default();
                            Line { link: Some(format!("/partners/{id}")), key: id, label, sums: Sums::from(&n.metrics) }
                        })
                        .collect()
                }
            };
            let days: Vec<(String, Sums)> =
                d.daily.nodes.iter().map(|n| (n.day.clone().unwrap_or_default(), Sums::from(&n.metrics))).collect();
            Ok(Some(Figures {
                from,
                to,
                current: Sums::total(&d.current.totals),
                previous: Sums::total(&d.previous.totals),
                days,
                breakdown,
            }))
        }
    });
    let owner = scope.with_untracked(|s| s.owner);
    let fixed_zone = scope.with_untracked(|s| s.zone.is_some());
    let breakdown = scope.with_untracked(|s| s.breakdown);
    // The zone picker lists the chosen zone at first and every zone (about 420) once the page has been drawn: creating
    // and styling them was a third of the page's first render task on a slow phone, and the page's largest text, and
    // so Lighthouse's LCP, waited for it (bench/README.md, "The time-zone options after the first paint").
    let zones = RwSignal::new(vec![zone.get_untracked()]);
    if !fixed_zone {
        request_animation_frame(move || set_timeout(move || zones.set(time_zones::all()), Default::default()));
    }
    // Live: read again whenever the server says figures we may see changed (it says so once on connect, too).
    let side = if owner { live::Side::Owner } else { live::Side::Partner };
    live::subscribe(session, side, live_state, move || bump.update(|n| *n += 1));
    view! {
        <section class="dashboard" aria-label="Dashboard">
            <div class="toolbar period">
                <label for="period">"Period"</label>
                <select id="period" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some((p, _, _)) = PRESETS.iter().find(|(_, key, _)| *key == v) {
                        preset.set(*p);
                    }
                }>
                    {PRESETS.iter().map(|(p, key, label)| view! { <option value=*key selected=*p == Preset::Last7>{*label}</option> }).collect_view()}
                </select>
                <Show when=move || preset.get() == Preset::Custom>
                    <label for="period-from">"From"</label>
                    <input id="period-from" type="date" bind:value=custom_from />
                    <label for="period-to">"To"</label>
                    <input id="period-to" type="date" bind:value=custom_to />
                </Show>
                {(!fixed_zone).then(|| view! {
                    <label for="period-zone">"Today in"</label>
                    <select id="period-zone" on:change=move |ev| {
                        let z = event_target_value(&ev);
                        save_zone(&z);
                        zone.set(z);
                    }>
                        {move || zones.get().into_iter().map(|z| {
                            let selected = z == zone.get_untracked();
                            view! { <option value=z.clone() selected=selected>{z.clone()}</option> }
                        }).collect_view()}
                    </select>
                })}
                <span class=move || format!("live {}", live_state.get().class()) role="status">{move || live_state.get().label()}</span>
            </div>
            <p class="muted small zone-note">{move || if fixed_zone {
                format!("Days are the campaign's calendar days in {}. Today is {}.", zone.get(), format::date(&today()))
            } else {
                format!("Days are each campaign's own calendar day, in the campaign's time zone; “today” is {} ({}).", format::date(&today()), zone.get())
            }}</p>
            <Transition fallback=move || view! { <FiguresPending owner=owner /> }>
                {move || data.get().map(|res| match res {
                    Err(e) => view! { <div class="banner error" role="alert">{e.message}<button on:click=move |_| data.refetch()>"Try again"</button></div> }.into_any(),
                    Ok(None) => view! { <div class="banner error" role="alert">"Choose a first and a last day, the last not before the first."</div> }.into_any(),
                    Ok(Some(f)) => view! { <FiguresView f=f owner=owner breakdown=breakdown defs=defs chart_metric=chart_metric /> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Line {
    key: String,
    label: String,
    link: Option<String>,
    sums: Sums,
}

#[derive(Debug, Clone, PartialEq)]
struct Figures {
    from: String,
    to: String,
    current: Sums,
    previous: Sums,
    days: Vec<(String, Sums)>,
    breakdown: Vec<Line>,
}

fn money_label(owner: bool) -> &'static str {
    if owner { "Cost" } else { "Earnings" }
}

/// The figure cards, in order: each metric's name (its `metricDefinitions` key) and label.
fn kpi_cards(owner: bool) -> [(&'static str, &'static str); 7] {
    [
        ("clicks", "Clicks"),
        ("submitted", "Leads"),
        ("approvalRate", "Approval rate"),
        ("conversionRate", "Conversion rate"),
        ("returnRate", "Return rate"),
        ("earnings", money_label(owner)),
        ("epc", "EPC"),
    ]
}

/// While the figures load: the cards they will fill, at their size, so that nothing below them moves when the
/// figures arrive (on a phone the campaigns under the dashboard jumped off the screen: a layout shift of 0.28).
#[component]
fn FiguresPending(owner: bool) -> impl IntoView {
    view! {
        <div class="kpis" aria-hidden="true">
            {kpi_cards(owner).into_iter().map(|(_, label)| view! {
                <div class="kpi">
                    <div class="kpi-label">{label}" "<span class="tip">"?"</span></div>
                    <div class="kpi-value">"—"</div>
                    <div class="kpi-change">"\u{a0}"</div>
                </div>
            }).collect_view()}
        </div>
        <Loading what="the figures" />
    }
}

#[component]
fn FiguresView(
    f: Figures,
    owner: bool,
    breakdown: Breakdown,
    defs: api::Fetched<HashMap<String, String>>,
    chart_metric: RwSignal<&'static str>,
) -> impl IntoView {
    let (c, p) = (&f.current, &f.previous);
    let money_label = money_label(owner);
    let as_f = |n: i64| Some(n as f64);
    let values = [
        (c.clicks.to_string(), change(as_f(c.clicks), as_f(p.clicks), false)),
        (c.submitted.to_string(), change(as_f(c.submitted), as_f(p.submitted), false)),
        (percent(c.approval_rate()), change(c.approval_rate(), p.approval_rate(), true)),
        (percent(c.conversion_rate()), change(c.conversion_rate(), p.conversion_rate(), true)),
        (percent(c.return_rate()), change(c.return_rate(), p.return_rate(), true)),
        (c.earnings_text(), change(c.earnings_units().map(|u| u as f64), p.earnings_units().map(|u| u as f64), false)),
        (c.epc_text(), ("".into(), "flat")),
    ];
    let empty = c.clicks == 0 && c.submitted == 0 && c.clicks_not_counted == 0;
    view! {
        <div class="kpis">
            {kpi_cards(owner).into_iter().zip(values).map(|((name, label), (value, (delta, dir)))| {
                // Money in several currencies reads as a list ("7.00 EUR · 12.50 USD"): smaller, so each amount fits.
                let multi = value.contains(" · ");
                view! {
                    <div class="kpi" data-metric=name>
                        <div class="kpi-label">{label}" "<Tip defs=defs name=name /></div>
                        <div class="kpi-value" class:multi=multi>{value}</div>
                        <div class=format!("kpi-change {dir}")>{if delta.is_empty() { String::new() } else { format!("{delta} vs previous period") }}</div>
                    </div>
                }
            }).collect_view()}
        </div>
        {if empty {
            view! { <div class="empty"><h2>"No traffic in this period"</h2><p>"Clicks and leads appear here the moment they arrive."</p></div> }.into_any()
        } else {
            view! {
                <Chart from=f.from.clone() to=f.to.clone() days=f.days.clone() metric=chart_metric money_label=money_label
                    money={c.earnings.len() <= 1} />
                <BreakdownTable lines=f.breakdown.clone() breakdown=breakdown money_label=money_label defs=defs />
            }.into_any()
        }}
    }
}

fn chart_value(s: &Sums, metric: &str) -> i64 {
    match metric {
        "clicks" => s.clicks,
        "earnings" => s.earnings_units().unwrap_or(0),
        _ => s.submitted,
    }
}

/// One bar per day of the period (days without traffic are zero), drawn as SVG. Money is charted only when the
/// period has one currency (`money`): a bar never adds up amounts in different currencies.
#[component]
fn Chart(
    from: String,
    to: String,
    days: Vec<(String, Sums)>,
    metric: RwSignal<&'static str>,
    money_label: &'static str,
    money: bool,
) -> impl IntoView {
    let chosen = metric;
    let metric = Signal::derive(move || match chosen.get() {
        "earnings" if !money => "submitted",
        m => m,
    });
    let mut all = Vec::new();
    let mut d = from.clone();
    while d <= to && all.len() < 1100 {
        all.push(d.clone());
        d = add_days(&d, 1);
    }
    // A day with traffic in several currencies has one row per currency: its counts add up, its money stays apart.
    let mut by_day: HashMap<String, Sums> = HashMap::new();
    for (day, sums) in days {
        let merged = by_day.remove(&day).unwrap_or_default().add(sums);
        by_day.insert(day, merged);
    }
    // The drawing's size and left margin, in its own units; each bar's coordinates to a tenth (`format::coordinate`).
    const W: i32 = 720;
    const H: i32 = 220;
    const PAD: i32 = 28;
    let (w, h, pad) = (f64::from(W), f64::from(H), f64::from(PAD));
    let series = move || {
        let m = metric.get();
        all.iter().map(|d| (d.clone(), by_day.get(d).map(|s| chart_value(s, m)).unwrap_or(0))).collect::<Vec<_>>()
    };
    let label = move |v: i64| if metric.get() == "earnings" { units_text(v) } else { v.to_string() };
    view! {
        <div class="card chart">
            <div class="chart-head">
                <h2>"Per day"</h2>
                <div class="segmented" role="group" aria-label="Chart shows">
                    {[("submitted", "Leads"), ("clicks", "Clicks"), ("earnings", money_label)].into_iter().filter(|(key, _)| money || *key != "earnings").map(|(key, text)| view! {
                        <button class:active=move || metric.get() == key aria-pressed=move || (metric.get() == key).to_string() on:click=move |_| chosen.set(key)>{text}</button>
                    }).collect_view()}
                </div>
            </div>
            {move || {
                let s = series();
                let max = s.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
                let n = s.len().max(1) as f64;
                let slot = (w - pad) / n;
                let bar = (slot * 0.7).max(1.0);
                let summary = format!("{} days, highest {}", s.len(), label(max));
                let first = s.first().map(|(d, _)| format::date(d)).unwrap_or_default();
                let last = s.last().map(|(d, _)| format::date(d)).unwrap_or_default();
                view! {
                    <svg class="bars" viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary preserveAspectRatio="none">
                        <line x1=PAD y1=H - PAD x2=W y2=H - PAD class="axis" />
                        <text x=0 y=12 class="tick">{label(max)}</text>
                        <text x=0 y=H - PAD>"0"</text>
                        {s.iter().enumerate().map(|(i, (day, v))| {
                            let bh = (*v as f64 / max as f64) * (h - pad - 16.0);
                            let x = pad + i as f64 * slot + (slot - bar) / 2.0;
                            view! {
                                <rect x=format::coordinate(x) y=format::coordinate(h - pad - bh) width=format::coordinate(bar)
                                    height=format::coordinate(bh.max(0.0)) class="day-bar" data-day=day.clone() data-value=v.to_string()>
                                    <title>{format!("{}: {}", format::date(day), label(*v))}</title>
                                </rect>
                            }
                        }).collect_view()}
                        <text x=PAD y=H - 8 class="tick">{first}</text>
                        <text x=W y=H - 8 class="tick end">{last}</text>
                    </svg>
                    <details class="small">
                        <summary>"Show as a table"</summary>
                        <table><thead><tr><th scope="col">"Day"</th><th scope="col" class="num">"Value"</th></tr></thead>
                        <tbody>{s.iter().map(|(d, v)| view! { <tr><td>{format::date(d)}</td><td class="num">{label(*v)}</td></tr> }).collect_view()}</tbody></table>
                    </details>
                }
            }}
        </div>
    }
}

/// A column header that sorts its table by `key`: the first press sorts from the largest (names: from A), the next
/// reverses; `aria-sort` says how it is sorted now. `tip`: what follows the button (a definition's tooltip).
pub fn sort_header<K>(
    sort: RwSignal<(K, bool)>,
    key: K,
    label: &'static str,
    num: bool,
    by_name: bool,
    tip: Option<AnyView>,
) -> impl IntoView
where
    K: Copy + PartialEq + Send + Sync + 'static,
{
    let aria = move || match sort.get() {
        (k, true) if k == key => "descending",
        (k, false) if k == key => "ascending",
        _ => "none",
    };
    view! {
        <th scope="col" class:num=num aria-sort=aria>
            <button class="sort" on:click=move |_| sort.update(|s| *s = if s.0 == key { (key, !s.1) } else { (key, !by_name) })>
                {label}{move || match sort.get() { (k, true) if k == key => " ↓", (k, false) if k == key => " ↑", _ => "" }}
            </button>
            {tip}
        </th>
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SortKey {
    Name,
    Clicks,
    Leads,
    Approved,
    Rejected,
    ApprovalRate,
    ConversionRate,
    Earnings,
}

#[component]
fn BreakdownTable(
    lines: Vec<Line>,
    breakdown: Breakdown,
    money_label: &'static str,
    defs: api::Fetched<HashMap<String, String>>,
) -> impl IntoView {
    let sort = RwSignal::new((SortKey::Leads, true));
    let rows = move || {
        let (key, desc) = sort.get();
        let mut v = lines.clone();
        let num = |l: &Line| -> f64 {
            let s = &l.sums;
            match key {
                SortKey::Name => 0.0,
                SortKey::Clicks => s.clicks as f64,
                SortKey::Leads => s.submitted as f64,
                SortKey::Approved => s.approved as f64,
                SortKey::Rejected => s.rejected as f64,
                SortKey::ApprovalRate => s.approval_rate().unwrap_or(-1.0),
                SortKey::ConversionRate => s.conversion_rate().unwrap_or(-1.0),
                SortKey::Earnings => s.earnings_units().unwrap_or(0) as f64,
            }
        };
        v.sort_by(|a, b| {
            let o = if key == SortKey::Name {
                a.label.to_lowercase().cmp(&b.label.to_lowercase())
            } else {
                num(a).total_cmp(&num(b))
            };
            if desc { o.reverse() } else { o }
        });
        v
    };
    let head = move |key: SortKey, label: &'static str, tip: Option<&'static str>, num: bool| {
        let tip = tip.map(|t| view! { <Tip defs=defs name=t /> }.into_any());
        sort_header(sort, key, label, num, key == SortKey::Name, tip)
    };
    let (title, first_col) = match breakdown {
        Breakdown::Campaign => ("Per campaign", "Campaign"),
        Breakdown::Partner => ("Per partner", "Partner"),
    };
    view! {
        <h2>{title}</h2>
        <div class="table-wrap"><table class="breakdown">
            <caption class="sr-only">{title}</caption>
            <thead><tr>
                {head(SortKey::Name, first_col, None, false)}
                {head(SortKey::Clicks, "Clicks", Some("clicks"), true)}
                {head(SortKey::Leads, "Leads", Some("submitted"), true)}
                {head(SortKey::Approved, "Approved", Some("approved"), true)}
                {head(SortKey::Rejected, "Rejected", Some("rejected"), true)}
                {head(SortKey::ApprovalRate, "Approval", Some("approvalRate"), true)}
                {head(SortKey::ConversionRate, "Conversion", Some("conversionRate"), true)}
                {head(SortKey::Earnings, money_label, Some("earnings"), true)}
                <th scope="col" class="num">"EPC"</th>
            </tr></thead>
            <tbody>{move || rows().into_iter().map(|l| view! {
                <tr data-key=l.key.clone()>
                    <td>{match l.link.clone() { Some(href) => view! { <A href=href>{l.label.clone()}</A> }.into_any(), None => l.label.clone().into_any() }}</td>
                    <MetricCells s=l.sums.clone() />
                </tr>
            }).collect_view()}</tbody>
        </table></div>
    }
}

/// The single view's reports: one partner's numbers per day, per campaign or per sub-id, paged.
#[component]
pub fn PartnerReports(partner_id: String) -> impl IntoView {
    let session = use_session();
    let defs = definitions();
    let by = RwSignal::new("DAY");
    let today = today_in(&time_zones::browser_zone());
    let from = RwSignal::new(add_days(&today, -29));
    let to = RwSignal::new(today);
    let after = RwSignal::new(None::<String>);
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    let partner_id = StoredValue::new(partner_id);
    let data = api::fetched(move || {
        let token = session.token();
        let (dim, order) = match by.get() {
            "CAMPAIGN" => (report::ReportDimension::CAMPAIGN, Some(report::ReportOrderField::SUBMITTED)),
            "SUB_ID1" => (report::ReportDimension::SUB_ID1, Some(report::ReportOrderField::SUBMITTED)),
            _ => (report::ReportDimension::DAY, None),
        };
        let vars = report::Variables {
            as_: report::Role::OWNER,
            filter: report::ReportFilter {
                campaign_ids: None,
                organization_ids: None,
                partner_ids: Some(vec![partner_id.get_value()]),
                types: None,
                from: Some(from.get()).filter(|d| d.len() == 10),
                to: Some(to.get()).filter(|d| d.len() == 10),
                time_zone: None,
            },
            group_by: vec![dim],
            order_by: order.map(|field| report::ReportOrder { field, direction: report::SortDirection::DESC }),
            first: 31,
            after: after.get(),
        };
        async move { api::run::<api::Report>(token.as_deref(), vars).await.map(|d| d.report) }
    });
    let reset = move || {
        cursors.set(Vec::new());
        after.set(None);
    };
    let download_error = RwSignal::new(None::<String>);
    let download = move |_| {
        let query = format!(
            "as=OWNER&groupBy={}&partnerIds={}&from={}&to={}",
            by.get_untracked(),
            partner_id.get_value(),
            from.get_untracked(),
            to.get_untracked()
        );
        let token = session.token();
        leptos::task::spawn_local(async move {
            download_error.set(download_csv(token.as_deref(), &query).await.err());
        });
    };
    view! {
        <div class="toolbar" on:change=move |_| reset()>
            <div class="segmented" role="group" aria-label="Report by">
                {[("DAY", "Per day"), ("CAMPAIGN", "Per campaign"), ("SUB_ID1", "Per sub-id (sub1)")].into_iter().map(|(key, text)| view! {
                    <button class:active=move || by.get() == key aria-pressed=move || (by.get() == key).to_string() on:click=move |_| { reset(); by.set(key) }>{text}</button>
                }).collect_view()}
            </div>
            <label for="report-from">"From"</label>
            <input id="report-from" type="date" bind:value=from />
            <label for="report-to">"To"</label>
            <input id="report-to" type="date" bind:value=to />
            <button on:click=download>"Download CSV"</button>
        </div>
        <Show when=move || download_error.get().is_some()>
            <div class="banner error" role="alert">{move || download_error.get()}</div>
        </Show>
        <Transition fallback=|| view! { <Loading what="the report" /> }>
            {move || data.get().map(|res| match res {
                Err(e) => view! { <div class="banner error" role="alert">{e.message}</div> }.into_any(),
                Ok(r) if r.nodes.is_empty() => view! { <p class="muted">"No traffic in this period."</p> }.into_any(),
                Ok(r) => {
                    let first_col = match by.get_untracked() { "CAMPAIGN" => "Campaign", "SUB_ID1" => "sub1", _ => "Day" };
                    let totals = Sums::total(&r.totals);
                    let has_next = r.page_info.has_next_page;
                    let end = r.page_info.end_cursor.clone();
                    view! {
                        <div class="table-wrap"><table>
                            <caption class="sr-only">"Report"</caption>
                            <thead><tr>
                                <th scope="col">{first_col}</th>
                                <th scope="col" class="num">"Clicks"<Tip defs=defs name="clicks" /></th>
                                <th scope="col" class="num">"Leads"<Tip defs=defs name="submitted" /></th>
                                <th scope="col" class="num">"Approved"</th>
                                <th scope="col" class="num">"Rejected"</th>
                                <th scope="col" class="num">"Approval"<Tip defs=defs name="approvalRate" /></th>
                                <th scope="col" class="num">"Conversion"<Tip defs=defs name="conversionRate" /></th>
                                <th scope="col" class="num">"Cost"<Tip defs=defs name="earnings" /></th>
                                <th scope="col" class="num">"EPC"<Tip defs=defs name="epc" /></th>
                            </tr></thead>
                            <tbody>{r.nodes.iter().map(|n| {
                                let key = n.day.as_deref().map(format::date)
                                    .or_else(|| n.campaign.as_ref().map(|c| c.name.clone()))
                                    .or_else(|| n.sub_id1.clone())
                                    .unwrap_or_else(|| "(none)".into());
                                let s = Sums::from(&n.metrics);
                                view! { <ReportLine label=key s=s /> }
                            }).collect_view()}</tbody>
                            <tfoot><ReportLine label="Total".into() s=totals /></tfoot>
                        </table></div>
                        <crate::pages::portal::Pager total=r.total_count has_next=has_next end=end after=after cursors=cursors noun="row" />
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn ReportLine(label: String, s: Sums) -> impl IntoView {
    view! {
        <tr>
            <th scope="row">{label}</th>
            <MetricCells s=s />
        </tr>
    }
}

/// The metric cells of a breakdown or report row, in the tables' column order.
#[component]
fn MetricCells(s: Sums) -> impl IntoView {
    view! {
        <td class="num">{format::count(s.clicks)}</td>
        <td class="num">{format::count(s.submitted)}</td>
        <td class="num">{format::count(s.approved)}</td>
        <td class="num">{format::count(s.rejected)}</td>
        <td class="num">{percent(s.approval_rate())}</td>
        <td class="num">{percent(s.conversion_rate())}</td>
        <td class="num">{s.earnings_text()}</td>
        <td class="num">{s.epc_text()}</td>
    }
}

/// Fetches `GET /v1/reports.csv?{query}` with the access token and hands it to the browser as a file.
async fn download_csv(token: Option<&str>, query: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let res = api::fetch("GET", &format!("/v1/reports.csv?{query}"), token, &[], None)
        .await
        .map_err(|_| "Cannot reach the server.".to_owned())?;
    if !res.ok() {
        return Err(format!("The server answered {}.", res.status()));
    }
    let failed = |_| "The download failed.".to_owned();
    let blob: web_sys::Blob =
        wasm_bindgen_futures::JsFuture::from(res.blob().map_err(failed)?).await.map_err(failed)?.unchecked_into();
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let a = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or("The download failed.")?;
    a.set_href(&url);
    a.set_download("partnerdesk-report.csv");
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
