//! The GraphQL client. Every operation is typed from `../schema.graphql` by `graphql_client`: a query that no
//! longer matches the schema fails the build.

use gloo_net::http::Request;
use graphql_client::{GraphQLQuery, Response};
use serde::Deserialize;

type DateTime = String;
type Decimal = String;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/auth.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct SignUp;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/auth.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct Login;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/auth.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct RefreshSession;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/auth.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct Logout;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/campaigns.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct Campaigns;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/campaigns.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct Campaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/campaigns.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct CreateCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/campaigns.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct UpdateCampaign;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../schema.graphql",
    query_path = "graphql/campaigns.graphql",
    response_derives = "Debug, Clone, PartialEq",
    variables_derives = "Debug, Clone"
)]
pub struct ArchiveCampaign;

/// An error as the server phrased it: `code` from `extensions.code`, and the input `field` it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl ApiError {
    fn network(message: impl Into<String>) -> Self {
        Self { code: "NETWORK".into(), message: message.into(), field: None }
    }

    /// The message for `field`, when this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| self.message.clone())
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

/// Runs one operation. `token` is the access token; the refresh cookie travels by itself (same origin).
pub async fn run<Q: GraphQLQuery>(token: Option<&str>, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
    let body = Q::build_query(variables);
    let mut req = Request::post("/graphql").header("x-refresh-cookie", "1");
    if let Some(t) = token {
        req = req.header("authorization", &format!("Bearer {t}"));
    }
    let res = req
        .json(&body)
        .map_err(|e| ApiError::network(e.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::network("Cannot reach the server. Check your connection and try again."))?;
    if !res.ok() {
        return Err(match res.json::<ErrorBody>().await {
            Ok(b) => ApiError { code: b.error.code, message: b.error.message, field: None },
            Err(_) => ApiError::network(format!("The server answered {}.", res.status())),
        });
    }
    let parsed: Response<Q::ResponseData> =
        res.json().await.map_err(|_| ApiError::network("The server's answer could not be read."))?;
    if let Some(e) = parsed.errors.and_then(|errs| errs.into_iter().next()) {
        let ext = e.extensions.unwrap_or_default();
        let text = |k: &str| ext.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        return Err(ApiError {
            code: text("code").unwrap_or_else(|| "ERROR".into()),
            message: e.message,
            field: text("field"),
        });
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
                    created_at: c.created_at,
                }
            }
        }
    )*};
}
campaign_data!(campaigns, campaign, create_campaign, update_campaign, archive_campaign);
