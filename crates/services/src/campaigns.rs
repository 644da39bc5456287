//! Campaigns of one organization: create, edit, archive, read, list.

use partnerdesk_domain::{CampaignName, Currency, HttpUrl, Money, TimeZone};
use partnerdesk_storage::entities::campaign::{ActiveModel, Column, Entity};
pub use partnerdesk_storage::entities::campaign::{Model as Campaign, Status};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use tracing::instrument;
use uuid::Uuid;

use crate::authz::OwnerScope;
use crate::error::FieldExt;
use crate::page::{self, Page};
use crate::{Error, Result, Services};

pub struct NewCampaign {
    pub name: String,
    pub time_zone: String,
    pub landing_url: String,
    pub fallback_url: Option<String>,
    pub currency: Option<String>,
    pub click_payout: Option<Decimal>,
    pub form_payout: Option<Decimal>,
    pub call_payout: Option<Decimal>,
    /// Days an approved lead may be returned after its receipt (default 30; 0: no returns).
    pub return_window_days: Option<i32>,
}

/// Fields left `None` stay as they are; `fallback_url: Some(None)` clears it.
#[derive(Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub status: Option<Status>,
    pub time_zone: Option<String>,
    pub landing_url: Option<String>,
    pub fallback_url: Option<Option<String>>,
    pub currency: Option<String>,
    pub click_payout: Option<Decimal>,
    pub form_payout: Option<Decimal>,
    pub call_payout: Option<Decimal>,
    pub return_window_days: Option<i32>,
}

pub const DEFAULT_CURRENCY: &str = "USD";

fn payout(v: Option<Decimal>, field: &str) -> Result<i64> {
    Ok(v.map(|d| Money::parse(d).field(field)).transpose()?.unwrap_or_default().units())
}

pub const DEFAULT_RETURN_WINDOW_DAYS: i32 = 30;

fn return_window(days: i32) -> Result<i32> {
    if !(0..=365).contains(&days) {
        return Err(Error::validation("returnWindowDays", "A return window is 0 (no returns) to 365 days."));
    }
    Ok(days)
}

fn fallback(v: Option<String>) -> Result<Option<String>> {
    v.filter(|s| !s.trim().is_empty())
        .map(|s| HttpUrl::parse(&s).field("fallbackUrl").map(|u| u.as_str().to_owned()))
        .transpose()
}

#[instrument(skip(s, scope, input), fields(organization_id = %scope.organization_id()))]
pub async fn create(s: &Services, scope: &OwnerScope, input: NewCampaign) -> Result<Campaign> {
    let name = CampaignName::parse(&input.name).field("name")?;
    let tz = TimeZone::parse(&input.time_zone).field("timeZone")?;
    let landing = HttpUrl::parse(&input.landing_url).field("landingUrl")?;
    let fallback_url = fallback(input.fallback_url)?;
    let currency = Currency::parse(input.currency.as_deref().unwrap_or(DEFAULT_CURRENCY)).field("currency")?;
    let now = s.clock.now();
    let model = ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(scope.organization_id()),
        name: Set(name.into_inner()),
        status: Set(Status::Active),
        time_zone: Set(tz.name().to_owned()),
        landing_url: Set(landing.as_str().to_owned()),
        fallback_url: Set(fallback_url),
        currency: Set(currency.as_str().to_owned()),
        click_payout: Set(payout(input.click_payout, "clickPayout")?),
        form_payout: Set(payout(input.form_payout, "formPayout")?),
        call_payout: Set(payout(input.call_payout, "callPayout")?),
        lead_fields: Set(None),
        unknown_fields: Set("KEEP".to_owned()),
        phone_country: Set("US".to_owned()),
        duplicate_rule: Set(None),
        return_window_days: Set(return_window(input.return_window_days.unwrap_or(DEFAULT_RETURN_WINDOW_DAYS))?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&s.db)
    .await?;
    tracing::info!(campaign_id = %model.id, "campaign created");
    Ok(model)
}

#[instrument(skip(s, scope, changes), fields(organization_id = %scope.organization_id()))]
pub async fn update(s: &Services, scope: &OwnerScope, id: Uuid, changes: CampaignChanges) -> Result<Campaign> {
    let current = get(s, scope, id).await?;
    let mut m = current.clone().into_active_model();
    if let Some(v) = changes.name {
        m.name = Set(CampaignName::parse(&v).field("name")?.into_inner());
    }
    if let Some(v) = changes.status {
        m.status = Set(v);
    }
    if let Some(v) = changes.time_zone {
        m.time_zone = Set(TimeZone::parse(&v).field("timeZone")?.name().to_owned());
    }
    if let Some(v) = changes.landing_url {
        m.landing_url = Set(HttpUrl::parse(&v).field("landingUrl")?.as_str().to_owned());
    }
    if let Some(v) = changes.fallback_url {
        m.fallback_url = Set(fallback(v)?);
    }
    if let Some(v) = changes.currency {
        m.currency = Set(Currency::parse(&v).field("currency")?.as_str().to_owned());
    }
    if changes.click_payout.is_some() {
        m.click_payout = Set(payout(changes.click_payout, "clickPayout")?);
    }
    if changes.form_payout.is_some() {
        m.form_payout = Set(payout(changes.form_payout, "formPayout")?);
    }
    if changes.call_payout.is_some() {
        m.call_payout = Set(payout(changes.call_payout, "callPayout")?);
    }
    if let Some(days) = changes.return_window_days {
        m.return_window_days = Set(return_window(days)?);
    }
    if !m.is_changed() {
        return Ok(current);
    }
    m.updated_at = Set(s.clock.now());
    Ok(m.update(&s.db).await?)
}

pub async fn archive(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<Campaign> {
    update(s, scope, id, CampaignChanges { status: Some(Status::Archived), ..Default::default() }).await
}

/// One campaign of the scope's organization; another organization's campaign is `NOT_FOUND`, never `FORBIDDEN`,
/// so ids of other tenants cannot be probed.
pub async fn get(s: &Services, scope: &OwnerScope, id: Uuid) -> Result<Campaign> {
    Entity::find_by_id(id)
        .filter(Column::OrganizationId.eq(scope.organization_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Campaign"))
}

/// Newest first. `after` is the id of the last campaign of the previous page (ids are time-ordered UUIDv7).
pub async fn list(
    s: &Services,
    scope: &OwnerScope,
    status: Option<Status>,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<Campaign>> {
    page::check_first(first, "campaigns")?;
    let mut q = Entity::find().filter(Column::OrganizationId.eq(scope.organization_id()));
    if let Some(st) = status {
        q = q.filter(Column::Status.eq(st));
    }
    let total_count = q.clone().count(&s.db).await?;
    if let Some(a) = after {
        q = q.filter(Column::Id.lt(a));
    }
    let items = q.order_by_desc(Column::Id).limit(first + 1).all(&s.db).await?;
    Ok(Page::from_rows(items, first, total_count))
}

/// Campaigns by id, for rows already scoped to the caller (report rows name their campaigns).
pub async fn by_ids(s: &Services, ids: &[Uuid]) -> Result<Vec<Campaign>> {
    Ok(Entity::find().filter(Column::Id.is_in(ids.to_vec())).all(&s.db).await?)
}
