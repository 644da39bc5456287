use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, SimpleObject};
use chrono::{DateTime, Utc};
use partnerdesk_domain::Money;
use partnerdesk_services::accounts::{self, Session};
use partnerdesk_services::campaigns::{self, Campaign as CampaignRow};
use partnerdesk_services::quality;
use partnerdesk_services::{Error, Services, authz};
use partnerdesk_storage::entities::{organization, user};
use rust_decimal::Decimal;

use crate::error::Res;
use crate::ids;

pub(crate) fn services<'a>(ctx: &Context<'a>) -> Res<&'a Services> {
    ctx.data::<Services>().map_err(|_| Error::Unexpected(anyhow::anyhow!("Services missing from schema data")).into())
}

/// One value through the schema's batching loader `L` (see `build_schema`): the keys of a whole page go in one query.
pub(crate) async fn load_one<L>(ctx: &Context<'_>, key: uuid::Uuid) -> Res<Option<L::Value>>
where
    L: async_graphql::dataloader::Loader<uuid::Uuid, Error = crate::error::ApiError>,
{
    let loader = ctx
        .data::<async_graphql::dataloader::DataLoader<L>>()
        .map_err(|_| Error::Unexpected(anyhow::anyhow!("{} missing from schema data", std::any::type_name::<L>())))?;
    loader.load_one(key).await
}

/// A side of the product: an organization's owner, or a marketing partner.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_services::authz::Role")]
pub enum Role {
    Owner,
    Partner,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "partnerdesk_services::campaigns::Status")]
pub enum CampaignStatus {
    Active,
    Paused,
    Archived,
}

#[derive(SimpleObject, Clone)]
pub struct Organization {
    pub id: ID,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<organization::Model> for Organization {
    fn from(m: organization::Model) -> Self {
        Self { id: ids::id(m.id), name: m.name, created_at: m.created_at }
    }
}

/// An account: one login, whatever it owns or partners with.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct User {
    pub id: ID,
    pub email: String,
    /// The name it registered with as a partner (null for an owner that never gave one).
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub user_id: uuid::Uuid,
    /// Read once for both `organization` and `advertisers`.
    #[graphql(skip)]
    memberships: tokio::sync::OnceCell<authz::Principal>,
}

impl User {
    /// With the memberships already read for this request (the signed-in account's own).
    pub(crate) fn with_memberships(self, p: &authz::Principal) -> Self {
        let memberships = tokio::sync::OnceCell::new_with(Some(p.clone()));
        Self { memberships, ..self }
    }

    async fn memberships(&self, ctx: &Context<'_>) -> Res<&authz::Principal> {
        self.memberships
            .get_or_try_init(|| async {
                authz::principal(services(ctx)?, self.user_id, false, None)
                    .await?
                    .ok_or_else(|| Error::Unauthenticated("This account no longer exists.").into())
            })
            .await
    }
}

#[ComplexObject]
impl User {
    /// The organization this account owns; null for an account that is only a marketing partner.
    async fn organization(&self, ctx: &Context<'_>) -> Res<Option<Organization>> {
        let Some(org) = self.memberships(ctx).await?.owner_of else { return Ok(None) };
        Ok(accounts::organizations(services(ctx)?, &[org]).await?.into_iter().next().map(Organization::from))
    }

    /// The organizations (advertisers) this account is a registered marketing partner of, oldest first.
    async fn advertisers(&self, ctx: &Context<'_>) -> Res<Vec<Organization>> {
        let ids: Vec<uuid::Uuid> = self.memberships(ctx).await?.partner_of.iter().map(|m| m.organization_id).collect();
        Ok(accounts::organizations(services(ctx)?, &ids).await?.into_iter().map(Organization::from).collect())
    }
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: ids::id(m.id),
            email: m.email,
            name: m.name,
            created_at: m.created_at,
            user_id: m.id,
            memberships: Default::default(),
        }
    }
}

/// A signed-in session. Send `accessToken` as `Authorization: Bearer <token>`; before `expiresAt`, trade
/// `refreshToken` for a new pair with `refreshSession` (each refresh token works once).
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    /// Null when the request asked for the refresh token as an `HttpOnly` cookie (`X-Refresh-Cookie: 1`).
    pub refresh_token: Option<String>,
    /// When `accessToken` expires.
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: User,
}

impl From<Session> for AuthPayload {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: Some(s.refresh_token),
            expires_at: s.access_expires_at,
            refresh_expires_at: s.refresh_expires_at,
            user: s.user.into(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Campaign {
    pub id: ID,
    pub name: String,
    pub status: CampaignStatus,
    /// IANA time zone: daily and monthly caps and reports follow it.
    pub time_zone: String,
    pub landing_url: String,
    /// Where traffic goes when a partner is capped or paused.
    pub fallback_url: Option<String>,
    /// ISO 4217 code of every payout.
    pub currency: String,
    pub click_payout: Decimal,
    pub form_payout: Decimal,
    pub call_payout: Decimal,
    /// What the campaign's leads carry (`setLeadFields`); empty: free-form fields.
    pub lead_fields: Vec<crate::quality::LeadField>,
    pub unknown_fields: crate::quality::UnknownFieldsPolicy,
    /// National phone numbers are read as this country's (ISO 3166-1 alpha-2).
    pub phone_country: String,
    /// The campaign's own duplicate rule (`setDuplicateRule`); the organization's applies beside it.
    pub duplicate_rule: Option<crate::quality::DuplicateRule>,
    /// Days after its receipt during which an approved lead may be returned (0: no returns).
    pub return_window_days: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CampaignRow> for Campaign {
    fn from(m: CampaignRow) -> Self {
        let lead_fields = quality::specs(&m).into_iter().map(Into::into).collect();
        Self {
            id: ids::id(m.id),
            name: m.name,
            status: m.status.into(),
            time_zone: m.time_zone,
            landing_url: m.landing_url,
            fallback_url: m.fallback_url,
            currency: m.currency,
            click_payout: Money::from_units(m.click_payout).amount(),
            form_payout: Money::from_units(m.form_payout).amount(),
            call_payout: Money::from_units(m.call_payout).amount(),
            lead_fields,
            unknown_fields: quality::unknown_fields(&m.unknown_fields).into(),
            duplicate_rule: quality::parse_rule(m.duplicate_rule.as_deref()).map(Into::into),
            phone_country: m.phone_country,
            return_window_days: m.return_window_days,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct TotalCount {
    /// Rows matching the filter, over all pages.
    pub total_count: u64,
}

/// A Relay connection over a page of rows, each edge's cursor its row's id.
pub(crate) fn connection<T, N: async_graphql::OutputType>(
    page: partnerdesk_services::page::Page<T>,
    after: bool,
    id: impl Fn(&T) -> uuid::Uuid,
    mut node: impl FnMut(T) -> N,
) -> async_graphql::connection::Connection<String, N, TotalCount> {
    let mut conn = async_graphql::connection::Connection::with_additional_fields(
        after,
        page.has_next_page,
        TotalCount { total_count: page.total_count },
    );
    conn.edges.extend(
        page.items.into_iter().map(|row| async_graphql::connection::Edge::new(ids::cursor(id(&row)), node(row))),
    );
    conn
}

#[derive(InputObject)]
pub struct SignUpInput {
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    pub organization_name: String,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub name: String,
    /// IANA name, e.g. `America/New_York`.
    pub time_zone: String,
    pub landing_url: String,
    pub fallback_url: Option<String>,
    /// ISO 4217 code; `USD` when omitted.
    pub currency: Option<String>,
    /// Non-negative, at most 4 decimal places; 0 when omitted.
    pub click_payout: Option<Decimal>,
    pub form_payout: Option<Decimal>,
    pub call_payout: Option<Decimal>,
    /// Days after its receipt during which an approved lead may be returned: 0 (no returns) to 365, 30 when omitted.
    pub return_window_days: Option<i32>,
}

impl From<CreateCampaignInput> for campaigns::NewCampaign {
    fn from(i: CreateCampaignInput) -> Self {
        Self {
            name: i.name,
            time_zone: i.time_zone,
            landing_url: i.landing_url,
            fallback_url: i.fallback_url,
            currency: i.currency,
            click_payout: i.click_payout,
            form_payout: i.form_payout,
            call_payout: i.call_payout,
            return_window_days: i.return_window_days,
        }
    }
}

/// Omitted fields stay as they are; `fallbackUrl: null` removes the fallback URL.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub name: Option<String>,
    pub status: Option<CampaignStatus>,
    pub time_zone: Option<String>,
    pub landing_url: Option<String>,
    pub fallback_url: MaybeUndefined<String>,
    pub currency: Option<String>,
    pub click_payout: Option<Decimal>,
    pub form_payout: Option<Decimal>,
    pub call_payout: Option<Decimal>,
    pub return_window_days: Option<i32>,
}

impl From<UpdateCampaignInput> for campaigns::CampaignChanges {
    fn from(i: UpdateCampaignInput) -> Self {
        Self {
            name: i.name,
            status: i.status.map(Into::into),
            time_zone: i.time_zone,
            landing_url: i.landing_url,
            fallback_url: match i.fallback_url {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            currency: i.currency,
            click_payout: i.click_payout,
            form_payout: i.form_payout,
            call_payout: i.call_payout,
            return_window_days: i.return_window_days,
        }
    }
}
