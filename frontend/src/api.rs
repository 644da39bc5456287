//! The GraphQL client. Every operation is typed from `../schema.graphql` by `graphql_client_codegen` in build.rs: a
//! query that no longer matches the schema fails the build. The server has the same files compiled in: `run` sends
//! each operation as a persisted document, `{"documentId": "sha256:<hex of its file>", "operationName",
//! "variables"}`, never its text.

type DateTime = String;
type Decimal = String;
type NaiveDate = String;
#[allow(clippy::upper_case_acronyms)] // the schema's scalar, as the generated code names it
type JSON = serde_json::Value;

/// An operation the server knows by the id of the document that holds it: the app sends the id, not the text.
pub trait Persisted {
    type Variables: serde::Serialize;
    type ResponseData: Decode;
    /// `sha256:<hex>` of the document's file.
    const DOCUMENT_ID: &'static str;
    const OPERATION_NAME: &'static str;
    /// A query, which a page may ask for again as it opens (`open`); not a mutation.
    const QUERY: bool;
}

// Every operation of `graphql/*.graphql`: its struct (`Login`), its `Persisted` impl and its module of types
// (`login`), with the types several operations share in `shared` (build.rs).
include!(concat!(env!("OUT_DIR"), "/operations.rs"));

/// An answer that does not have the shape of its operation's type.
#[derive(Debug)]
pub struct DecodeError;

/// Reads an answer's type out of its JSON. build.rs writes the impl of each generated type: one small function per
/// type, where serde's derive made a visitor for each (issue 18: the app's size).
pub trait Decode: Sized {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError>;
}

/// An object's field, `null` when it is absent.
fn field<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v.get(name).unwrap_or(&serde_json::Value::Null)
}

impl Decode for String {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        v.as_str().map(str::to_owned).ok_or(DecodeError)
    }
}

impl Decode for i64 {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        v.as_i64().ok_or(DecodeError)
    }
}

impl Decode for f64 {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        v.as_f64().ok_or(DecodeError)
    }
}

impl Decode for bool {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        v.as_bool().ok_or(DecodeError)
    }
}

impl Decode for serde_json::Value {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        Ok(v.clone())
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        if v.is_null() { Ok(None) } else { T::decode(v).map(Some) }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(v: &serde_json::Value) -> Result<Self, DecodeError> {
        v.as_array().ok_or(DecodeError)?.iter().map(T::decode).collect()
    }
}

/// An error as the server phrased it: `code` from `extensions.code`, and the rest of its `extensions` (the input
/// `field` it concerns, a lead's failing `fields`, a duplicate's `firstReceivedAt`, a full cap's `window`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl ApiError {
    fn network(message: impl Into<String>) -> Self {
        Self { code: "NETWORK".into(), message: message.into(), extensions: Default::default() }
    }

    /// No answer came (offline, or the server is down).
    fn unreachable() -> Self {
        Self::network("Cannot reach the server. Check your connection and try again.")
    }

    /// An answer came that is not what was asked for.
    fn unreadable() -> Self {
        Self::network("The server's answer could not be read.")
    }

    /// A form's own check, before anything is sent, phrased as the server would.
    pub fn invalid(field: &str, message: &str) -> Self {
        let mut extensions = serde_json::Map::new();
        extensions.insert("field".into(), field.into());
        Self { code: "VALIDATION".into(), message: message.into(), extensions }
    }

    /// The input this error concerns (a lead's first failing field when there are several).
    pub fn field(&self) -> Option<&str> {
        self.extensions.get("field").and_then(|v| v.as_str())
    }

    /// The message for `field`, when this error is about it: a lead's failing fields each carry their own
    /// (`fields: [{field, code, message}]`); any other error names one `field`.
    pub fn for_field(&self, field: &str) -> Option<String> {
        let listed = self.extensions.get("fields").and_then(|l| l.as_array()).and_then(|list| {
            list.iter()
                .find(|f| f.get("field").and_then(|k| k.as_str()) == Some(field))
                .and_then(|f| f.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        });
        listed.or_else(|| (self.field() == Some(field)).then(|| self.message.clone()))
    }
}

/// Runs one operation. `token` is the access token; the refresh cookie travels by itself (same origin).
pub async fn run<Q: Persisted>(token: Option<&str>, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    // Only what depends on the operation's types is generic: encoding its variables and decoding its data. The rest,
    // one copy for all (the request, the envelope, the errors), is `send`.
    let variables = serde_json::to_string(&variables).map_err(|e| ApiError::network(e.to_string()))?;
    let data = send(token, Q::DOCUMENT_ID, Q::OPERATION_NAME, &variables, Q::QUERY).await?;
    decoded(&data)
}

/// Sends a persisted document request (the document's id in place of its text, GraphQL over HTTP's `documentId`) and
/// returns its `data`; the answer to the same request asked for before (`take`), when there is one.
async fn send(
    token: Option<&str>,
    document_id: &str,
    operation_name: &str,
    variables: &str,
    query: bool,
) -> Result<serde_json::Value, ApiError> {
    // The id (`sha256:` and hex) and the operation's name (a GraphQL name) need no escaping.
    let body =
        format!(r#"{{"documentId":"{document_id}","operationName":"{operation_name}","variables":{variables}}}"#);
    let _opening = if query && token.is_some() { sent(&body) } else { None };
    let (status, text) = match take(token, &body) {
        Some(early) => early_answer(early).await?,
        None => request(token, &body).await?,
    };
    answer(status, &text)
}

/// Sends a GraphQL request: the answer's status and text.
async fn request(token: Option<&str>, body: &str) -> Result<(u16, String), ApiError> {
    let headers = [("content-type", "application/json"), ("x-refresh-cookie", "1")];
    let response = fetch("POST", "/graphql", token, &headers, Some(body)).await?;
    let text = wasm_bindgen_futures::JsFuture::from(response.text().map_err(|_| ApiError::unreadable())?)
        .await
        .map_err(|_| ApiError::unreadable())?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}

/// The browser's `fetch`, with the access token (`token`) and `headers`: the response, whatever its status, or an error
/// when none came.
pub async fn fetch(
    method: &str,
    url: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<web_sys::Response, ApiError> {
    use wasm_bindgen::JsCast;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let h = web_sys::Headers::new().map_err(|_| ApiError::unreachable())?;
    for (name, value) in headers {
        h.set(name, value).map_err(|_| ApiError::unreachable())?;
    }
    if let Some(t) = token {
        h.set("authorization", &format!("Bearer {t}")).map_err(|_| ApiError::unreachable())?;
    }
    init.set_headers(&h);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    let window = web_sys::window().ok_or_else(ApiError::unreachable)?;
    let response = wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ApiError::unreachable())?;
    response.dyn_into().map_err(|_| ApiError::unreachable())
}

/// An answer's `data`, or its error: an HTTP error's `{"error": {"code", "message"}}`, or GraphQL's first error. The
/// envelope is read the same way for every operation, from the answer's JSON (`data` is decoded into the operation's
/// own type by [`run`]).
fn answer(status: u16, text: &str) -> Result<serde_json::Value, ApiError> {
    let body: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let text_of = |v: &serde_json::Value, key: &str| v.get(key).and_then(|s| s.as_str()).map(str::to_owned);
    if !(200..300).contains(&status) {
        let error = body.as_ref().and_then(|b| b.get("error"));
        return Err(match error.and_then(|e| Some((text_of(e, "code")?, text_of(e, "message")?))) {
            Some((code, message)) => ApiError { code, message, extensions: Default::default() },
            None => ApiError::network(format!("The server answered {status}.")),
        });
    }
    let mut body = body.filter(serde_json::Value::is_object).ok_or_else(ApiError::unreadable)?;
    if let Some(e) = body.get("errors").and_then(|errors| errors.as_array()?.first()) {
        let message = text_of(e, "message").ok_or_else(ApiError::unreadable)?;
        let extensions = e.get("extensions").and_then(|x| x.as_object()).cloned().unwrap_or_default();
        let code = extensions.get("code").and_then(|v| v.as_str()).unwrap_or("ERROR").to_owned();
        return Err(ApiError { code, message, extensions });
    }
    match body.get_mut("data").map(serde_json::Value::take) {
        Some(data) if !data.is_null() => Ok(data),
        _ => Err(ApiError::network("The server sent no data.")),
    }
}

fn decoded<T: Decode>(data: &serde_json::Value) -> Result<T, ApiError> {
    T::decode(data).map_err(|_| ApiError::unreadable())
}

// Opening requests. A page's first answers wait for the requests, and on a slow network for the app and the page's
// module before them: index.html asks for the session check beside the app's download, and once it has answered for
// the queries the page sent as it opened the last time this browser showed it; a page opened within the app (a link
// to a page whose module is still to come) asks for them at once (`open`). `send` takes such an answer when it sends
// the same request with the same token. index.html's `partnerdeskEarly` holds them: only the current address's, each
// taken once and within 30 s, those the page did not take dropped once it has opened (an answer from before the page
// changed something must not stand for a later request); the queries of each address (at most 20) in localStorage,
// without the token, forgotten at logout.

/// The queries of the page opening now (`open`), until they have all been answered.
#[derive(Default)]
struct Opening {
    generation: u32,
    path: String,
    bodies: Vec<String>,
    in_flight: u32,
    closed: bool,
}

thread_local! {
    static OPENING: std::cell::RefCell<Opening> = std::cell::RefCell::default();
}

/// Calls a function of index.html's `partnerdeskEarly` (nothing when it is not there).
fn early(function: &str, args: &[wasm_bindgen::JsValue]) -> Option<wasm_bindgen::JsValue> {
    use wasm_bindgen::JsCast;
    let early = js_sys::Reflect::get(&web_sys::window()?.into(), &"partnerdeskEarly".into()).ok()?;
    let function: js_sys::Function = js_sys::Reflect::get(&early, &function.into()).ok()?.dyn_into().ok()?;
    function.apply(&early, &args.iter().collect()).ok()
}

/// A page at `path` (its address with the query) opens for the holder of `token`: the queries it sent as it opened
/// last time are asked for now, and the ones it sends now are kept for next time.
pub fn open(path: &str, token: Option<&str>) {
    OPENING.with_borrow_mut(|o| {
        *o = Opening { generation: o.generation + 1, path: path.to_owned(), ..Default::default() };
    });
    early("open", &[path.into(), token.unwrap_or_default().into()]);
}

/// A query of the opening of that generation on its way: once the last one has its answer (or is given up), the
/// opening is over and its queries are kept.
struct Sent(u32);

impl Drop for Sent {
    fn drop(&mut self) {
        opened(self.0)
    }
}

/// A query is sent with the page's token: kept when the page is still opening, at its address (a page that was not
/// opened, the invitation's, sends nothing into another's). Queries sent without a token are not: the opening's are
/// asked for with it.
fn sent(body: &str) -> Option<Sent> {
    OPENING.with_borrow_mut(|o| {
        // The address is read only while an opening is under way (most queries come after it).
        if o.closed || o.path != crate::router::address() {
            return None;
        }
        if !o.bodies.iter().any(|b| b == body) {
            o.bodies.push(body.to_owned());
        }
        o.in_flight += 1;
        Some(Sent(o.generation))
    })
}

/// A query `sent` during the opening `generation` is done with: when it was the last one out, the opening is over
/// and its queries are kept.
fn opened(generation: u32) {
    let done = OPENING.with_borrow_mut(|o| {
        if o.generation != generation || o.closed {
            return None;
        }
        o.in_flight -= 1;
        o.closed = o.in_flight == 0;
        o.closed.then(|| (o.path.clone(), o.bodies.iter().map(|b| wasm_bindgen::JsValue::from_str(b)).collect()))
    });
    if let Some((path, bodies)) = done {
        let bodies: js_sys::Array = bodies;
        early("keep", &[path.into(), bodies.into()]);
    }
}

/// The answer to `body` sent with `token` before it was asked for here, once.
fn take(token: Option<&str>, body: &str) -> Option<js_sys::Promise> {
    use wasm_bindgen::JsCast;
    early("take", &[token.unwrap_or_default().into(), body.into()])?.dyn_into().ok()
}

/// An answer `take`n: index.html's `[status, text]`.
async fn early_answer(answer: js_sys::Promise) -> Result<(u16, String), ApiError> {
    let answer = wasm_bindgen_futures::JsFuture::from(answer).await.map_err(|_| ApiError::unreachable())?;
    let answer = js_sys::Array::from(&answer);
    Ok((answer.get(0).as_f64().unwrap_or_default() as u16, answer.get(1).as_string().unwrap_or_default()))
}

/// Logging out: this browser's kept queries go (the next visitor's pages ask for nothing before their session check).
pub fn forget_openings() {
    if let Some(storage) = crate::local_storage() {
        let _ = storage.remove_item("partnerdesk.opening");
    }
}

/// The session check (`RefreshSession`); the app's first is under way before the app starts (index.html).
pub async fn refresh_session() -> Result<refresh_session::ResponseData, ApiError> {
    // What the answer sets off (the signed-in page, its module) runs in a task of its own, not in the app's start.
    gloo_timers::future::sleep(std::time::Duration::ZERO).await;
    run::<RefreshSession>(None, refresh_session::Variables {}).await
}

/// A campaign as the pages use it, whichever operation fetched it.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignData {
    pub id: String,
    pub name: String,
    /// `ACTIVE`, `PAUSED` or `ARCHIVED`.
    pub status: String,
    pub time_zone: String,
    pub landing_url: String,
    pub fallback_url: Option<String>,
    pub currency: String,
    pub click_payout: String,
    pub form_payout: String,
    pub call_payout: String,
    /// Days during which an approved lead may be returned (0: no returns).
    pub return_window_days: i64,
    pub created_at: String,
}

impl From<shared::CampaignFields> for CampaignData {
    fn from(c: shared::CampaignFields) -> Self {
        let status = match c.status {
            shared::CampaignStatus::ACTIVE => "ACTIVE".to_owned(),
            shared::CampaignStatus::PAUSED => "PAUSED".to_owned(),
            shared::CampaignStatus::ARCHIVED => "ARCHIVED".to_owned(),
            shared::CampaignStatus::Other(s) => s,
        };
        Self {
            id: c.id,
            name: c.name,
            status,
            time_zone: c.time_zone,
            landing_url: c.landing_url,
            fallback_url: c.fallback_url,
            currency: c.currency,
            click_payout: c.click_payout,
            form_payout: c.form_payout,
            call_payout: c.call_payout,
            return_window_days: c.return_window_days,
            created_at: c.created_at,
        }
    }
}

/// The wire name of any generated enum value (`FORM`, `DAILY`, `INVITED`, ...).
pub fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A cap as the pages use it.
#[derive(Debug, Clone, PartialEq)]
pub struct CapData {
    /// `CLICK`, `FORM` or `CALL`.
    pub metric: String,
    /// `GLOBAL`, `DAILY` or `MONTHLY`.
    pub window: String,
    pub limit: i64,
}

impl From<shared::CapFields> for CapData {
    fn from(c: shared::CapFields) -> Self {
        Self { metric: wire(&c.metric), window: wire(&c.window), limit: c.limit }
    }
}

/// How much of a cap is used now.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageData {
    pub metric: String,
    pub window: String,
    pub limit: i64,
    pub used: i64,
    pub resets_at: Option<String>,
}

impl From<shared::UsageFields> for UsageData {
    fn from(u: shared::UsageFields) -> Self {
        Self { metric: wire(&u.metric), window: wire(&u.window), limit: u.limit, used: u.used, resets_at: u.resets_at }
    }
}

/// A lead as the lead tables show it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadData {
    pub id: String,
    pub campaign_id: String,
    /// `FORM` or `CALL`.
    pub kind: String,
    /// `RECEIVED`, `APPROVED`, `REJECTED`, `CONVERTED` or `RETURNED`.
    pub status: String,
    pub reason: Option<String>,
    pub external_id: Option<String>,
    pub sub1: Option<String>,
    pub payout: String,
    pub earned: String,
    pub created_at: String,
    pub partner_email: String,
    pub dispute: Option<DisputeData>,
}

/// A partner's dispute of a lead's rejection or return, and the owner's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeData {
    /// `OPEN`, `UPHELD` or `REVERSED`.
    pub status: String,
    pub message: String,
    pub reply: Option<String>,
}

impl From<shared::LeadFields> for LeadData {
    fn from(l: shared::LeadFields) -> Self {
        Self {
            id: l.id,
            campaign_id: l.campaign_id,
            kind: wire(&l.type_),
            status: wire(&l.status),
            reason: l.reason,
            external_id: l.external_id,
            sub1: l.sub_ids.into_iter().next().flatten(),
            payout: l.payout,
            earned: l.earned,
            created_at: l.created_at,
            partner_email: l.partner.email,
            dispute: l.dispute.map(|d| DisputeData { status: wire(&d.status), message: d.message, reply: d.reply }),
        }
    }
}

/// A partner on a campaign, as the Marketing Partners tab lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerRow {
    pub partner_id: String,
    pub email: String,
    pub name: Option<String>,
    /// Effective status on this campaign: `INVITED`, `ACTIVE`, `PAUSED` or `REVOKED`.
    pub status: String,
    /// The partner's own status (paused everywhere shows here).
    pub partner_status: String,
    pub caps: Vec<CapData>,
    pub usage: Vec<UsageData>,
    pub invited_at: String,
    pub registered_at: Option<String>,
}

impl From<shared::AssignmentFields> for PartnerRow {
    fn from(a: shared::AssignmentFields) -> Self {
        Self {
            partner_id: a.partner.id,
            email: a.partner.email,
            name: a.partner.name,
            status: wire(&a.status),
            partner_status: wire(&a.partner.status),
            caps: a.caps.into_iter().map(CapData::from).collect(),
            usage: a.cap_usage.into_iter().map(UsageData::from).collect(),
            invited_at: a.partner.invited_at,
            registered_at: a.partner.registered_at,
        }
    }
}

/// What a page fetches (Leptos' `LocalResource`), with its answer kept behind `dyn Any`: Leptos' async machinery
/// (`ArcAsyncDerived`, its futures and their drop glue, about 3 KB of wasm per answer type) exists once for every
/// resource of the app instead of once per answer type. Reads clone the answer out, as `LocalResource::get` does.
pub struct Fetched<T> {
    inner: leptos::prelude::LocalResource<Erased>,
    answer: std::marker::PhantomData<fn() -> T>,
}

type Erased = std::rc::Rc<dyn std::any::Any>;
type ErasedFetch = std::rc::Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Erased>>>>;

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

/// A `Fetched` that runs `fetch` now and again whenever a signal it reads changes, or on `refetch`.
pub fn fetched<T: 'static, Fut: std::future::Future<Output = T> + 'static>(
    fetch: impl Fn() -> Fut + 'static,
) -> Fetched<T> {
    let fetch: ErasedFetch = std::rc::Rc::new(move || {
        let answer = fetch();
        Box::pin(async move { std::rc::Rc::new(answer.await) as Erased })
    });
    Fetched { inner: erased_resource(fetch), answer: std::marker::PhantomData }
}

/// The one `LocalResource` type of the app.
fn erased_resource(fetch: ErasedFetch) -> leptos::prelude::LocalResource<Erased> {
    leptos::prelude::LocalResource::new(move || fetch())
}

impl<T: Clone + 'static> Fetched<T> {
    /// The answer, once there is one (reactive, and under `Suspense`/`Transition` a pending read, as
    /// `LocalResource::get`).
    pub fn get(&self) -> Option<T> {
        use leptos::prelude::Get;
        self.inner.get().and_then(|answer| answer.downcast_ref::<T>().cloned())
    }

    /// Runs the fetch again.
    pub fn refetch(&self) {
        self.inner.refetch()
    }
}
