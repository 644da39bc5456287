//! The GraphQL client. Every operation is typed from `../schema.graphql` by `graphql_client`: a query that no
//! longer matches the schema fails the build. The server has the same files compiled in: `run` sends each operation
//! as a persisted document, `{"documentId": "sha256:<hex of its file>", "operationName", "variables"}`, never its text.

use gloo_net::http::Request;
use graphql_client::GraphQLQuery;
use serde::Deserialize;

type DateTime = String;
type Decimal = String;
type NaiveDate = String;
type JSON = serde_json::Value;

// `document_id!("graphql/<file>")`: the file's persisted document id, computed by build.rs.
include!(concat!(env!("OUT_DIR"), "/persisted.rs"));

/// An operation the server knows by the id of the document that holds it: the app sends the id, not the text.
pub trait Persisted: GraphQLQuery {
    const DOCUMENT_ID: &'static str;
}

/// One typed operation: `operations!(Name => "graphql/file.graphql", ..)`.
macro_rules! operations {
    ($($name:ident => $file:tt),* $(,)?) => {$(
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = $file,
            response_derives = "Debug, Clone, PartialEq",
            variables_derives = "Debug, Clone"
        )]
        pub struct $name;

        impl Persisted for $name {
            const DOCUMENT_ID: &'static str = document_id!($file);
        }
    )*};
}

operations! {
    SignUp => "graphql/auth.graphql",
    Login => "graphql/auth.graphql",
    RefreshSession => "graphql/auth.graphql",
    Logout => "graphql/auth.graphql",
    Campaigns => "graphql/campaigns.graphql",
    Campaign => "graphql/campaigns.graphql",
    CreateCampaign => "graphql/campaigns.graphql",
    UpdateCampaign => "graphql/campaigns.graphql",
    ArchiveCampaign => "graphql/campaigns.graphql",
    AcceptInvitation => "graphql/auth.graphql",
    CampaignPartners => "graphql/partners.graphql",
    FindPartner => "graphql/partners.graphql",
    AddMarketingPartner => "graphql/partners.graphql",
    UpdatePartnerCaps => "graphql/partners.graphql",
    ResendInvitation => "graphql/partners.graphql",
    RevokeInvitation => "graphql/partners.graphql",
    PausePartner => "graphql/partners.graphql",
    ResumePartner => "graphql/partners.graphql",
    RemovePartner => "graphql/partners.graphql",
    MarketingPartners => "graphql/partners.graphql",
    MarketingPartner => "graphql/partners.graphql",
    InvitationPreview => "graphql/partners.graphql",
    MyPartnerAccount => "graphql/partners.graphql",
    ApiKeys => "graphql/traffic.graphql",
    CreateApiKey => "graphql/traffic.graphql",
    RevokeApiKey => "graphql/traffic.graphql",
    MyLeads => "graphql/traffic.graphql",
    CampaignLeads => "graphql/traffic.graphql",
    SetLeadStatus => "graphql/traffic.graphql",
    Dashboard => "graphql/stats.graphql",
    Report => "graphql/stats.graphql",
    MetricDefinitions => "graphql/stats.graphql",
    Postbacks => "graphql/postbacks.graphql",
    PartnerPostbacks => "graphql/postbacks.graphql",
    PostbackDeliveries => "graphql/postbacks.graphql",
    CreatePostback => "graphql/postbacks.graphql",
    UpdatePostback => "graphql/postbacks.graphql",
    SetPostbackEnabled => "graphql/postbacks.graphql",
    DeletePostback => "graphql/postbacks.graphql",
    SendTestPostback => "graphql/postbacks.graphql",
    RetryPostbackDelivery => "graphql/postbacks.graphql",
    ReplayPostback => "graphql/postbacks.graphql",
    WebhookEndpoints => "graphql/webhooks.graphql",
    WebhookDeliveries => "graphql/postbacks.graphql",
    CreateWebhookEndpoint => "graphql/webhooks.graphql",
    UpdateWebhookEndpoint => "graphql/webhooks.graphql",
    RotateWebhookSecret => "graphql/webhooks.graphql",
    SetWebhookEndpointEnabled => "graphql/webhooks.graphql",
    DeleteWebhookEndpoint => "graphql/webhooks.graphql",
    SendTestWebhook => "graphql/webhooks.graphql",
    RetryWebhookDelivery => "graphql/webhooks.graphql",
    ReplayWebhookEndpoint => "graphql/webhooks.graphql",
    LeadQuality => "graphql/quality.graphql",
    SetLeadFields => "graphql/quality.graphql",
    SetDuplicateRule => "graphql/quality.graphql",
    PostingInstructions => "graphql/quality.graphql",
    SubmitLead => "graphql/quality.graphql",
    OrganizationQuality => "graphql/quality.graphql",
    SetReturnReasons => "graphql/quality.graphql",
    ReturnReasons => "graphql/quality.graphql",
    ReturnLead => "graphql/quality.graphql",
    DisputeLead => "graphql/quality.graphql",
    AnswerDispute => "graphql/quality.graphql",
    OpenDisputes => "graphql/quality.graphql",
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

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    message: String,
}

/// The answer's envelope, read the same way for every operation: `data` as JSON, decoded into the operation's own type
/// by [`run`]; the first error as [`ApiError`].
#[derive(Deserialize)]
struct Envelope {
    data: Option<serde_json::Value>,
    errors: Option<Vec<GraphQLError>>,
}

#[derive(Deserialize)]
struct GraphQLError {
    message: String,
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Runs one operation. `token` is the access token; the refresh cookie travels by itself (same origin).
pub async fn run<Q: Persisted>(token: Option<&str>, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    // Only what depends on the operation's types is generic: encoding its variables and decoding its data. The rest,
    // one copy for all (the request, the envelope, the errors), is `send`.
    let query = Q::build_query(variables);
    let variables = serde_json::to_string(&query.variables).map_err(|e| ApiError::network(e.to_string()))?;
    let data = send(token, Q::DOCUMENT_ID, query.operation_name, &variables).await?;
    serde_json::from_value(data).map_err(|_| ApiError::network("The server's answer could not be read."))
}

/// Sends a persisted document request (the document's id in place of its text, GraphQL over HTTP's `documentId`) and
/// returns its `data`.
async fn send(
    token: Option<&str>,
    document_id: &str,
    operation_name: &str,
    variables: &str,
) -> Result<serde_json::Value, ApiError> {
    // The id (`sha256:` and hex) and the operation's name (a GraphQL name) need no escaping.
    let body =
        format!(r#"{{"documentId":"{document_id}","operationName":"{operation_name}","variables":{variables}}}"#);
    let mut req = Request::post("/graphql").header("x-refresh-cookie", "1").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let res = req
        .body(body)
        .map_err(|e| ApiError::network(e.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::network("Cannot reach the server. Check your connection and try again."))?;
    let text = res.text().await.map_err(|_| ApiError::network("The server's answer could not be read."))?;
    if !res.ok() {
        return Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => ApiError { code: b.error.code, message: b.error.message, extensions: Default::default() },
            Err(_) => ApiError::network(format!("The server answered {}.", res.status())),
        });
    }
    let parsed: Envelope =
        serde_json::from_str(&text).map_err(|_| ApiError::network("The server's answer could not be read."))?;
    if let Some(e) = parsed.errors.and_then(|errs| errs.into_iter().next()) {
        let extensions = e.extensions.unwrap_or_default();
        let code = extensions.get("code").and_then(|v| v.as_str()).unwrap_or("ERROR").to_owned();
        return Err(ApiError { code, message: e.message, extensions });
    }
    parsed.data.ok_or_else(|| ApiError::network("The server sent no data."))
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

macro_rules! campaign_data {
    ($($m:ident),*) => {$(
        impl From<$m::CampaignFields> for CampaignData {
            fn from(c: $m::CampaignFields) -> Self {
                let status = match c.status {
                    $m::CampaignStatus::ACTIVE => "ACTIVE".to_owned(),
                    $m::CampaignStatus::PAUSED => "PAUSED".to_owned(),
                    $m::CampaignStatus::ARCHIVED => "ARCHIVED".to_owned(),
                    $m::CampaignStatus::Other(s) => s,
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
    )*};
}
campaign_data!(campaigns, campaign, create_campaign, update_campaign, archive_campaign);

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

macro_rules! cap_data {
    ($($m:ident),*) => {$(
        impl From<$m::CapFields> for CapData {
            fn from(c: $m::CapFields) -> Self {
                Self { metric: wire(&c.metric), window: wire(&c.window), limit: c.limit }
            }
        }
    )*};
}
cap_data!(campaign_partners, add_marketing_partner, marketing_partner, my_partner_account);

/// How much of a cap is used now.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageData {
    pub metric: String,
    pub window: String,
    pub limit: i64,
    pub used: i64,
    pub resets_at: Option<String>,
}

macro_rules! usage_data {
    ($($m:ident),*) => {$(
        impl From<$m::UsageFields> for UsageData {
            fn from(u: $m::UsageFields) -> Self {
                Self { metric: wire(&u.metric), window: wire(&u.window), limit: u.limit, used: u.used, resets_at: u.resets_at }
            }
        }
    )*};
}
usage_data!(campaign_partners, add_marketing_partner, my_partner_account);

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

macro_rules! lead_data {
    ($($m:ident),*) => {$(
        impl From<$m::LeadFields> for LeadData {
            fn from(l: $m::LeadFields) -> Self {
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
    )*};
}
lead_data!(my_leads, campaign_leads);

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

macro_rules! partner_row {
    ($($m:ident),*) => {$(
        impl From<$m::AssignmentFields> for PartnerRow {
            fn from(a: $m::AssignmentFields) -> Self {
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
    )*};
}
partner_row!(campaign_partners, add_marketing_partner);
