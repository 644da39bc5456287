//! Marketing partners of an organization: invite to campaigns with caps, tune, pause, remove; the owner's views.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use partnerdesk_domain::Email;
use partnerdesk_storage::entities::campaign::{self, Status as CampaignStatus};
pub use partnerdesk_storage::entities::campaign_assignment::{Model as Assignment, Status as AssignmentStatus};
pub use partnerdesk_storage::entities::cap::{Metric, Model as Cap, Period};
pub use partnerdesk_storage::entities::email_outbox::Model as OutboxEmail;
pub use partnerdesk_storage::entities::invitation::Model as Invitation;
pub use partnerdesk_storage::entities::marketing_partner::{Model as Partner, Status as PartnerStatus};
use partnerdesk_storage::entities::{
    campaign_assignment, cap, email_outbox, invitation, marketing_partner, organization, user,
};
use sea_orm::sea_query::{Condition, Expr, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use tracing::instrument;
use uuid::Uuid;

use crate::authz::OwnerScope;
use crate::campaigns;
use crate::delivery::webhooks::{self, WebhookEvent};
use crate::delivery::{emails, outbox};
use crate::error::FieldExt;
use crate::page::{Page, check_first};
use crate::{Error, Result, Services, db, tokens};

pub const INVITATION_TTL: Duration = Duration::days(7);
pub const RESEND_INTERVAL: Duration = Duration::minutes(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapInput {
    pub metric: Metric,
    pub period: Period,
    pub limit: i64,
}

/// What a partner is on one campaign, all things considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectiveStatus {
    Invited,
    Active,
    Paused,
    Revoked,
}

pub fn effective_status(p: &Partner, a: &Assignment) -> EffectiveStatus {
    match (p.status, a.status) {
        (PartnerStatus::Invited, _) => EffectiveStatus::Invited,
        (PartnerStatus::Revoked, _) => EffectiveStatus::Revoked,
        (PartnerStatus::Paused, _) | (_, AssignmentStatus::Paused) => EffectiveStatus::Paused,
        _ => EffectiveStatus::Active,
    }
}

/// A partner as its webhook events carry it (`partner.registered`, `partner.status_changed`), the change being
/// on one campaign when `campaign` is given and its status then the partner's status there.
pub(crate) fn event_data(p: &Partner, from: &str, status: &str, campaign: Option<Uuid>) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "email": p.email,
        "name": p.name,
        "campaignId": campaign,
        "fromStatus": from,
        "status": status,
        "registeredAt": p.registered_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
    })
}

/// Records `partner.status_changed` in `conn`, the transaction of the change.
async fn status_changed(
    conn: &impl ConnectionTrait,
    p: &Partner,
    from: &str,
    status: &str,
    campaign: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let data = event_data(p, from, status, campaign);
    webhooks::emit(conn, WebhookEvent::PartnerStatusChanged, p.organization_id, data, now).await
}

pub fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Click => "CLICK",
        Metric::Form => "FORM",
        Metric::Call => "CALL",
    }
}

pub fn period_name(p: Period) -> &'static str {
    match p {
        Period::Global => "GLOBAL",
        Period::Daily => "DAILY",
        Period::Monthly => "MONTHLY",
    }
}

/// Limits are whole numbers of at least 1; each metric and window appears once. The field names the grid cell:
/// `caps.FORM.DAILY`.
fn validate_caps(caps: &[CapInput]) -> Result<()> {
    let mut seen = HashSet::new();
    for c in caps {
        let field = format!("caps.{}.{}", metric_name(c.metric), period_name(c.period));
        if c.limit <= 0 {
            return Err(Error::Validation {
                field,
                message: "A cap is a whole number of 1 or more; leave it empty for no cap.".into(),
            });
        }
        if !seen.insert((c.metric, c.period)) {
            return Err(Error::Validation { field, message: "Each metric and window can have only one cap.".into() });
        }
    }
    Ok(())
}

async fn replace_caps(txn: &DatabaseTransaction, assignment_id: Uuid, caps: &[CapInput]) -> Result<()> {
    cap::Entity::delete_many().filter(cap::Column::AssignmentId.eq(assignment_id)).exec(txn).await?;
    for c in caps {
        cap::ActiveModel {
            id: Set(Uuid::now_v7()),
            assignment_id: Set(assignment_id),
            metric: Set(c.metric),
            period: Set(c.period),
            limit_count: Set(c.limit),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

pub struct Added {
    pub partner: Partner,
    pub assignment: Assignment,
    /// The email already belonged to a partner of the organization (no new account, no second invitation record).
    pub existing_partner: bool,
}

/// Adds `email` to a campaign with optional caps. A new email gets a partner record and an invitation; a known one
/// is assigned (and told by email); one already on the campaign is `CONFLICT`. The email to send is written to the
/// outbox in the same transaction.
#[instrument(skip(s, scope, caps), fields(organization_id = %scope.organization_id()))]
pub async fn add(s: &Services, scope: &OwnerScope, campaign_id: Uuid, email: &str, caps: &[CapInput]) -> Result<Added> {
    let email = Email::parse(email).field("email")?;
    validate_caps(caps)?;
    let campaign = campaigns::get(s, scope, campaign_id).await?;
    let own = user::Entity::find_by_id(scope.user_id()).one(&s.db).await?;
    if own.is_some_and(|u| u.email == email.as_str()) {
        return Err(Error::validation(
            "email",
            "This is your own email: invite the partner's. (To send traffic yourself, ask another advertiser to invite you.)",
        ));
    }
    if campaign.status == CampaignStatus::Archived {
        return Err(Error::Conflict {
            field: None,
            message: "This campaign is archived: restore it before adding partners.".into(),
        });
    }
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    let found = marketing_partner::Entity::find()
        .filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
        .filter(marketing_partner::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?;
    let existing_partner = found.is_some();
    let partner = match found {
        Some(p) => p,
        None => marketing_partner::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(scope.organization_id()),
            email: Set(email.as_str().to_owned()),
            name: Set(None),
            user_id: Set(None),
            status: Set(PartnerStatus::Invited),
            registered_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if db::is_unique_violation(&e, "marketing_partners_org_email_key") {
                Error::Conflict {
                    field: Some("email".into()),
                    message: "This partner was just added by someone else.".into(),
                }
            } else {
                e.into()
            }
        })?,
    };
    let current = campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::PartnerId.eq(partner.id))
        .filter(campaign_assignment::Column::CampaignId.eq(campaign.id))
        .one(&txn)
        .await?;
    let assignment = match current {
        Some(a) if a.status != AssignmentStatus::Removed => {
            return Err(Error::Conflict {
                field: Some("email".into()),
                message: format!("{email} is already a marketing partner on this campaign."),
            });
        }
        Some(a) => {
            let mut m = a.into_active_model();
            m.status = Set(AssignmentStatus::Active);
            m.updated_at = Set(now);
            m.update(&txn).await?
        }
        None => {
            campaign_assignment::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(scope.organization_id()),
                partner_id: Set(partner.id),
                campaign_id: Set(campaign.id),
                status: Set(AssignmentStatus::Active),
                click_payout: Set(None),
                form_payout: Set(None),
                call_payout: Set(None),
                tracking_code: Set(Some(tokens::random_code())),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    replace_caps(&txn, assignment.id, caps).await?;
    let partner = match partner.status {
        PartnerStatus::Active | PartnerStatus::Paused => {
            let org = organization::Entity::find_by_id(scope.organization_id())
                .one(&txn)
                .await?
                .ok_or(Error::NotFound("Organization"))?;
            let mail = emails::assignment(&org.name, &campaign.name, &format!("{}/login", s.public_url));
            outbox::enqueue(
                &txn,
                s,
                scope.organization_id(),
                Some(partner.id),
                None,
                email_outbox::Kind::Assignment,
                &partner.email,
                mail,
            )
            .await?;
            partner
        }
        PartnerStatus::Invited | PartnerStatus::Revoked => send_invitation(s, &txn, scope, partner).await?,
    };
    txn.commit().await?;
    s.outbox_wakeup.notify_one();
    tracing::info!(partner_id = %partner.id, campaign_id = %campaign.id, existing_partner, "marketing partner added");
    Ok(Added { partner, assignment, existing_partner })
}

/// Issues the partner's invitation (a new token version: earlier links stop working), valid for 7 days, and writes
/// the email listing every campaign the partner is on.
async fn send_invitation(
    s: &Services,
    txn: &DatabaseTransaction,
    scope: &OwnerScope,
    partner: Partner,
) -> Result<Partner> {
    let now = s.clock.now();
    let open = invitation::Entity::find()
        .filter(invitation::Column::PartnerId.eq(partner.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .order_by_desc(invitation::Column::Id)
        .one(txn)
        .await?;
    let inv = match open {
        Some(inv) => {
            let version = inv.token_version + 1;
            let mut m = inv.clone().into_active_model();
            m.token_version = Set(version);
            m.token_hash = Set(tokens::hash(&s.tokens.invitation_token(inv.id, version)));
            m.expires_at = Set(now + INVITATION_TTL);
            m.revoked_at = Set(None);
            m.send_count = Set(inv.send_count + 1);
            m.last_sent_at = Set(now);
            m.invited_by = Set(scope.user_id());
            m.update(txn).await?
        }
        None => {
            let id = Uuid::now_v7();
            invitation::ActiveModel {
                id: Set(id),
                organization_id: Set(scope.organization_id()),
                partner_id: Set(partner.id),
                invited_by: Set(scope.user_id()),
                token_hash: Set(tokens::hash(&s.tokens.invitation_token(id, 1))),
                token_version: Set(1),
                expires_at: Set(now + INVITATION_TTL),
                accepted_at: Set(None),
                revoked_at: Set(None),
                send_count: Set(1),
                last_sent_at: Set(now),
                created_at: Set(now),
            }
            .insert(txn)
            .await?
        }
    };
    let org = organization::Entity::find_by_id(scope.organization_id())
        .one(txn)
        .await?
        .ok_or(Error::NotFound("Organization"))?;
    let inviter = user::Entity::find_by_id(scope.user_id()).one(txn).await?.map(|u| u.email).unwrap_or_default();
    let names = campaign_names(txn, partner.id).await?;
    let has_account =
        user::Entity::find().filter(user::Column::Email.eq(partner.email.as_str())).one(txn).await?.is_some();
    let mail = emails::invitation(&org.name, &inviter, &names, inv.expires_at, has_account);
    outbox::enqueue(
        txn,
        s,
        scope.organization_id(),
        Some(partner.id),
        Some(inv.id),
        email_outbox::Kind::Invitation,
        &partner.email,
        mail,
    )
    .await?;
    if partner.status == PartnerStatus::Invited {
        return Ok(partner);
    }
    let mut m = partner.into_active_model();
    m.status = Set(PartnerStatus::Invited);
    m.updated_at = Set(now);
    Ok(m.update(txn).await?)
}

/// Names of the campaigns a partner is on (not removed), oldest assignment first.
pub(crate) async fn campaign_names(conn: &impl ConnectionTrait, partner_id: Uuid) -> Result<Vec<String>> {
    let assignments = campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::PartnerId.eq(partner_id))
        .filter(campaign_assignment::Column::Status.ne(AssignmentStatus::Removed))
        .order_by_asc(campaign_assignment::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = assignments.iter().map(|a| a.campaign_id).collect();
    let by_id: HashMap<Uuid, String> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.get(id).cloned()).collect())
}

/// Partners by id, for rows already scoped to the caller (a page of leads): one query for the page.
pub async fn by_ids(s: &Services, ids: &[Uuid]) -> Result<Vec<Partner>> {
    Ok(marketing_partner::Entity::find().filter(marketing_partner::Column::Id.is_in(ids.to_vec())).all(&s.db).await?)
}

/// One partner of the scope's organization.
pub async fn get(s: &Services, scope: &OwnerScope, partner_id: Uuid) -> Result<Partner> {
    marketing_partner::Entity::find_by_id(partner_id)
        .filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Marketing partner"))
}

async fn assignment(s: &Services, scope: &OwnerScope, partner_id: Uuid, campaign_id: Uuid) -> Result<Assignment> {
    campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::OrganizationId.eq(scope.organization_id()))
        .filter(campaign_assignment::Column::PartnerId.eq(partner_id))
        .filter(campaign_assignment::Column::CampaignId.eq(campaign_id))
        .filter(campaign_assignment::Column::Status.ne(AssignmentStatus::Removed))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Marketing partner on this campaign"))
}

/// Replaces the partner's caps on a campaign; takes effect on the next request.
#[instrument(skip(s, scope, caps))]
pub async fn update_caps(
    s: &Services,
    scope: &OwnerScope,
    campaign_id: Uuid,
    partner_id: Uuid,
    caps: &[CapInput],
) -> Result<Assignment> {
    validate_caps(caps)?;
    let a = assignment(s, scope, partner_id, campaign_id).await?;
    let txn = db::begin_write(&s.db).await?;
    replace_caps(&txn, a.id, caps).await?;
    let mut m = a.into_active_model();
    m.updated_at = Set(s.clock.now());
    let a = m.update(&txn).await?;
    txn.commit().await?;
    Ok(a)
}

/// Sets (or, with `None`, clears) the partner's payout overrides on a campaign. Leads and clicks already recorded
/// keep the payout they were recorded with.
#[instrument(skip(s, scope))]
pub async fn set_payouts(
    s: &Services,
    scope: &OwnerScope,
    campaign_id: Uuid,
    partner_id: Uuid,
    payouts: [Option<rust_decimal::Decimal>; 3],
) -> Result<Assignment> {
    let units = |v: Option<rust_decimal::Decimal>, field: &str| -> Result<Option<i64>> {
        v.map(|d| partnerdesk_domain::Money::parse(d).field(field).map(|m| m.units())).transpose()
    };
    let [click, form, call] = payouts;
    let (click, form, call) = (units(click, "clickPayout")?, units(form, "formPayout")?, units(call, "callPayout")?);
    let mut m = assignment(s, scope, partner_id, campaign_id).await?.into_active_model();
    m.click_payout = Set(click);
    m.form_payout = Set(form);
    m.call_payout = Set(call);
    m.updated_at = Set(s.clock.now());
    Ok(m.update(&s.db).await?)
}

/// Sends the invitation again with a new link (the old one stops working), at most once a minute.
#[instrument(skip(s, scope))]
pub async fn resend_invitation(s: &Services, scope: &OwnerScope, partner_id: Uuid) -> Result<Partner> {
    let partner = get(s, scope, partner_id).await?;
    if matches!(partner.status, PartnerStatus::Active | PartnerStatus::Paused) {
        return Err(Error::Conflict { field: None, message: "This partner has already registered.".into() });
    }
    let now = s.clock.now();
    let last = invitation::Entity::find()
        .filter(invitation::Column::PartnerId.eq(partner.id))
        .order_by_desc(invitation::Column::LastSentAt)
        .one(&s.db)
        .await?;
    if let Some(last) = last {
        let next = last.last_sent_at + RESEND_INTERVAL;
        if next > now {
            return Err(Error::RateLimited { retry_after_secs: (next - now).num_seconds().max(1) });
        }
    }
    let txn = db::begin_write(&s.db).await?;
    let partner = send_invitation(s, &txn, scope, partner).await?;
    txn.commit().await?;
    s.outbox_wakeup.notify_one();
    Ok(partner)
}

/// Withdraws an unanswered invitation: its link stops working and the partner cannot register.
#[instrument(skip(s, scope))]
pub async fn revoke_invitation(s: &Services, scope: &OwnerScope, partner_id: Uuid) -> Result<Partner> {
    let partner = get(s, scope, partner_id).await?;
    match partner.status {
        PartnerStatus::Invited => {}
        PartnerStatus::Revoked => return Ok(partner),
        _ => {
            return Err(Error::Conflict {
                field: None,
                message: "This partner has already registered: pause or remove it instead.".into(),
            });
        }
    }
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::PartnerId.eq(partner.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let mut m = partner.into_active_model();
    m.status = Set(PartnerStatus::Revoked);
    m.updated_at = Set(now);
    let partner = m.update(&txn).await?;
    status_changed(&txn, &partner, "INVITED", "REVOKED", None, now).await?;
    txn.commit().await?;
    Ok(partner)
}

/// Pauses (or resumes) a partner on one campaign, or, without a campaign, on all of them.
#[instrument(skip(s, scope))]
pub async fn set_paused(
    s: &Services,
    scope: &OwnerScope,
    partner_id: Uuid,
    campaign_id: Option<Uuid>,
    paused: bool,
) -> Result<Partner> {
    let partner = get(s, scope, partner_id).await?;
    let now = s.clock.now();
    let (from, to) = if paused { ("ACTIVE", "PAUSED") } else { ("PAUSED", "ACTIVE") };
    match campaign_id {
        Some(c) => {
            let a = assignment(s, scope, partner_id, c).await?;
            let status = if paused { AssignmentStatus::Paused } else { AssignmentStatus::Active };
            if a.status == status {
                return Ok(partner);
            }
            let txn = db::begin_write(&s.db).await?;
            let mut m = a.into_active_model();
            m.status = Set(status);
            m.updated_at = Set(now);
            m.update(&txn).await?;
            status_changed(&txn, &partner, from, to, Some(c), now).await?;
            txn.commit().await?;
            Ok(partner)
        }
        None => {
            if !matches!(partner.status, PartnerStatus::Active | PartnerStatus::Paused) {
                return Err(Error::Conflict {
                    field: None,
                    message: "Only a registered partner can be paused everywhere; revoke the invitation instead."
                        .into(),
                });
            }
            let status = if paused { PartnerStatus::Paused } else { PartnerStatus::Active };
            if partner.status == status {
                return Ok(partner);
            }
            let txn = db::begin_write(&s.db).await?;
            let mut m = partner.into_active_model();
            m.status = Set(status);
            m.updated_at = Set(now);
            let partner = m.update(&txn).await?;
            status_changed(&txn, &partner, from, to, None, now).await?;
            txn.commit().await?;
            Ok(partner)
        }
    }
}

/// Takes the partner off a campaign. Its history stays; adding the same email again restores it.
#[instrument(skip(s, scope))]
pub async fn remove(s: &Services, scope: &OwnerScope, partner_id: Uuid, campaign_id: Uuid) -> Result<Assignment> {
    let partner = get(s, scope, partner_id).await?;
    let a = assignment(s, scope, partner_id, campaign_id).await?;
    let from = match effective_status(&partner, &a) {
        EffectiveStatus::Invited => "INVITED",
        EffectiveStatus::Active => "ACTIVE",
        EffectiveStatus::Paused => "PAUSED",
        EffectiveStatus::Revoked => "REVOKED",
    };
    let now = s.clock.now();
    let txn = db::begin_write(&s.db).await?;
    let mut m = a.into_active_model();
    m.status = Set(AssignmentStatus::Removed);
    m.updated_at = Set(now);
    let a = m.update(&txn).await?;
    status_changed(&txn, &partner, from, "REMOVED", Some(campaign_id), now).await?;
    txn.commit().await?;
    Ok(a)
}

fn search_condition(search: Option<&str>) -> Option<Condition> {
    use sea_orm::sea_query::ExprTrait as _;
    let q = search.map(str::trim).filter(|q| !q.is_empty())?.to_lowercase();
    // Wildcards in the query match themselves.
    let escaped: String =
        q.chars().flat_map(|c| if matches!(c, '\\' | '%' | '_') { vec!['\\', c] } else { vec![c] }).collect();
    let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
    Some(
        Condition::any().add(marketing_partner::Column::Email.like(pattern())).add(
            Expr::expr(Func::lower(Expr::col((marketing_partner::Entity, marketing_partner::Column::Name))))
                .like(pattern()),
        ),
    )
}

/// The partners of one campaign, newest first, with the effective-status filter and a search over email and name.
pub async fn list_for_campaign(
    s: &Services,
    scope: &OwnerScope,
    campaign_id: Uuid,
    status: Option<EffectiveStatus>,
    search: Option<&str>,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<(Assignment, Partner)>> {
    check_first(first, "partners")?;
    let mut q = campaign_assignment::Entity::find()
        .find_also_related(marketing_partner::Entity)
        .filter(campaign_assignment::Column::OrganizationId.eq(scope.organization_id()))
        .filter(campaign_assignment::Column::CampaignId.eq(campaign_id))
        .filter(campaign_assignment::Column::Status.ne(AssignmentStatus::Removed));
    if let Some(st) = status {
        let p = marketing_partner::Column::Status;
        let a = campaign_assignment::Column::Status;
        q = q.filter(match st {
            EffectiveStatus::Invited => Condition::all().add(p.eq(PartnerStatus::Invited)),
            EffectiveStatus::Revoked => Condition::all().add(p.eq(PartnerStatus::Revoked)),
            EffectiveStatus::Active => {
                Condition::all().add(p.eq(PartnerStatus::Active)).add(a.eq(AssignmentStatus::Active))
            }
            EffectiveStatus::Paused => Condition::any()
                .add(p.eq(PartnerStatus::Paused))
                .add(Condition::all().add(p.eq(PartnerStatus::Active)).add(a.eq(AssignmentStatus::Paused))),
        });
    }
    if let Some(c) = search_condition(search) {
        q = q.filter(c);
    }
    let total_count = q.clone().count(&s.db).await?;
    if let Some(after) = after {
        q = q.filter(campaign_assignment::Column::Id.lt(after));
    }
    let rows = q.order_by_desc(campaign_assignment::Column::Id).limit(first + 1).all(&s.db).await?;
    let items: Vec<(Assignment, Partner)> = rows.into_iter().filter_map(|(a, p)| p.map(|p| (a, p))).collect();
    Ok(Page::from_rows(items, first, total_count))
}

/// Every partner of the organization, newest first.
pub async fn list(
    s: &Services,
    scope: &OwnerScope,
    status: Option<PartnerStatus>,
    search: Option<&str>,
    first: u64,
    after: Option<Uuid>,
) -> Result<Page<Partner>> {
    check_first(first, "partners")?;
    let mut q =
        marketing_partner::Entity::find().filter(marketing_partner::Column::OrganizationId.eq(scope.organization_id()));
    if let Some(st) = status {
        q = q.filter(marketing_partner::Column::Status.eq(st));
    }
    if let Some(c) = search_condition(search) {
        q = q.filter(c);
    }
    let total_count = q.clone().count(&s.db).await?;
    if let Some(after) = after {
        q = q.filter(marketing_partner::Column::Id.lt(after));
    }
    let items = q.order_by_desc(marketing_partner::Column::Id).limit(first + 1).all(&s.db).await?;
    Ok(Page::from_rows(items, first, total_count))
}

/// The campaigns a partner is on (not removed), with the campaign rows.
/// The campaigns of many partners (removed ones left out), in two queries: partner id -> (assignment, campaign).
pub async fn assignments_of(
    s: &Services,
    partner_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Assignment, campaign::Model)>>> {
    let assignments = campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::PartnerId.is_in(partner_ids.to_vec()))
        .filter(campaign_assignment::Column::Status.ne(AssignmentStatus::Removed))
        .order_by_asc(campaign_assignment::Column::Id)
        .all(&s.db)
        .await?;
    let ids: HashSet<Uuid> = assignments.iter().map(|a| a.campaign_id).collect();
    let campaigns: HashMap<Uuid, campaign::Model> = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(ids))
        .all(&s.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut by: HashMap<Uuid, Vec<(Assignment, campaign::Model)>> = HashMap::new();
    for a in assignments {
        if let Some(c) = campaigns.get(&a.campaign_id) {
            by.entry(a.partner_id).or_default().push((a, c.clone()));
        }
    }
    Ok(by)
}

/// Caps of many assignments in one query, in grid order (metric, then window).
pub async fn caps_of(s: &Services, assignment_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Cap>>> {
    let mut by: HashMap<Uuid, Vec<Cap>> = HashMap::new();
    for c in cap::Entity::find().filter(cap::Column::AssignmentId.is_in(assignment_ids.to_vec())).all(&s.db).await? {
        by.entry(c.assignment_id).or_default().push(c);
    }
    for caps in by.values_mut() {
        caps.sort_by_key(|c| (c.metric, c.period));
    }
    Ok(by)
}

pub async fn invitations_of(s: &Services, partner_id: Uuid) -> Result<Vec<Invitation>> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::PartnerId.eq(partner_id))
        .order_by_desc(invitation::Column::Id)
        .all(&s.db)
        .await?)
}

/// Every email sent (or being sent) to the partner, newest first: the invitation history with delivery status.
pub async fn emails_of(s: &Services, partner_id: Uuid) -> Result<Vec<OutboxEmail>> {
    Ok(email_outbox::Entity::find()
        .filter(email_outbox::Column::PartnerId.eq(partner_id))
        .order_by_desc(email_outbox::Column::Id)
        .all(&s.db)
        .await?)
}
