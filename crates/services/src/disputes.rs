//! Disputes: a partner contests a rejection or a return once, with a message, within the campaign's return window
//! counted from the decision; the owner upholds it (with a reply) or reverses the decision (the lead goes back to
//! its status before it, a return's payout restored, in one transaction with its figures, history and deliveries).

use chrono::Duration;
use partnerdesk_storage::entities::lead_dispute::{self, Model as Dispute, Status as DisputeStatus};
use partnerdesk_storage::entities::{campaign, lead, lead_history};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::authz::{Audience, OwnerScope, PartnerScope};
use crate::delivery::{Event, postbacks, webhooks};
use crate::leads::{Lead, Status};
use crate::{Error, Result, Services, caps, db, stats};

/// The longest message or reply.
pub const MAX_TEXT: usize = 2000;

fn text(field: &str, value: Option<&str>, required: &str) -> Result<Option<String>> {
    let value = value.map(str::trim).filter(|t| !t.is_empty());
    if value.is_some_and(|t| t.chars().count() > MAX_TEXT) {
        return Err(Error::validation(field, format!("At most {MAX_TEXT} characters.")));
    }
    match value {
        None if !required.is_empty() => Err(Error::validation(field, required)),
        v => Ok(v.map(str::to_owned)),
    }
}

/// The partner disputes its rejected or returned lead.
pub async fn open(s: &Services, scope: &PartnerScope, lead_id: Uuid, message: &str) -> Result<Dispute> {
    let message = text("message", Some(message), "Say why the decision is wrong: the advertiser reads it.")?;
    let l = lead::Entity::find_by_id(lead_id)
        .filter(lead::Column::PartnerId.is_in(scope.partner_ids()))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Lead"))?;
    if !matches!(l.status, Status::Rejected | Status::Returned) {
        return Err(Error::validation("leadId", "Only a rejected or returned lead can be disputed."));
    }
    let window = campaign::Entity::find_by_id(l.campaign_id).one(&s.db).await?.map_or(0, |c| c.return_window_days);
    let now = s.clock.now();
    if now > l.updated_at + Duration::days(i64::from(window)) {
        return Err(Error::validation(
            "leadId",
            format!(
                "The decision was made on {}: past the {window} days to dispute it.",
                l.updated_at.format("%Y-%m-%d")
            ),
        ));
    }
    let d = lead_dispute::ActiveModel {
        lead_id: Set(l.id),
        organization_id: Set(l.organization_id),
        partner_id: Set(l.partner_id),
        disputed_status: Set(l.status),
        message: Set(message.unwrap_or_default()),
        opened_by: Set(scope.user_id()),
        opened_at: Set(now),
        status: Set(DisputeStatus::Open),
        reply: Set(None),
        answered_by: Set(None),
        answered_at: Set(None),
    }
    .insert(&s.db)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e, "lead_disputes_pkey") {
            Error::Conflict {
                field: Some("leadId".into()),
                message: "This lead was already disputed: once per lead.".into(),
            }
        } else {
            e.into()
        }
    })?;
    s.live.changed(l.organization_id, [l.partner_id]);
    Ok(d)
}

/// The owner's answer: upheld (the decision stays; a reply is required) or reversed (back to the status before it).
pub async fn answer(
    s: &Services,
    scope: &OwnerScope,
    lead_id: Uuid,
    reverse: bool,
    reply: Option<&str>,
) -> Result<(Dispute, Lead)> {
    let reply = text("reply", reply, if reverse { "" } else { "Tell the partner why the decision stays." })?;
    let txn = db::begin_write(&s.db).await?;
    let d = lead_dispute::Entity::find_by_id(lead_id)
        .filter(lead_dispute::Column::OrganizationId.eq(scope.organization_id()))
        .one(&txn)
        .await?
        .ok_or(Error::NotFound("Dispute"))?;
    if d.status != DisputeStatus::Open {
        return Err(Error::Conflict { field: None, message: "This dispute was already answered.".into() });
    }
    let l = lead::Entity::find_by_id(lead_id).one(&txn).await?.ok_or(Error::NotFound("Lead"))?;
    let now = s.clock.now();
    let l = if reverse {
        // The status before the disputed decision, from the step that made it.
        let step = lead_history::Entity::find()
            .filter(lead_history::Column::LeadId.eq(l.id))
            .filter(lead_history::Column::ToStatus.eq(l.status))
            .order_by_desc(lead_history::Column::Id)
            .one(&txn)
            .await?;
        let Some(back) = step.and_then(|h| h.from_status) else {
            return Err(Error::Conflict {
                field: None,
                message: "The lead's history has no status to go back to.".into(),
            });
        };
        let from = l.status;
        let tz = campaign::Entity::find_by_id(l.campaign_id)
            .one(&txn)
            .await?
            .map_or(chrono_tz::Tz::UTC, |c| caps::time_zone(&c.time_zone));
        let mut m = l.into_active_model();
        m.status = Set(back);
        m.reason = Set(None);
        m.reason_code = Set(None);
        m.updated_at = Set(now);
        let l = m.update(&txn).await?;
        let why = reply.as_ref().map_or("Dispute reversed".to_owned(), |r| format!("Dispute reversed: {r}"));
        let step = crate::leads::record(&txn, l.id, Some(from), back, Some(why), Some(scope.user_id()), now).await?;
        stats::add(&txn, &stats::Key::of_lead(&l, tz), stats::Delta::of_move(Some(from), back, l.payout)).await?;
        let backend = txn.get_database_backend();
        // The partner's tracker hears of a payout restored (lead.approved or lead.converted again); a rejection
        // undone is no new event for it. The owner's webhooks get every status change.
        if back != Status::Received {
            txn.execute_raw(postbacks::on_history(backend, Event::of_lead(back), &[step], now)).await?;
        }
        txn.execute_raw(webhooks::on_status_changes(backend, &[step], now)).await?;
        l
    } else {
        l
    };
    let mut m = d.into_active_model();
    m.status = Set(if reverse { DisputeStatus::Reversed } else { DisputeStatus::Upheld });
    m.reply = Set(reply);
    m.answered_by = Set(Some(scope.user_id()));
    m.answered_at = Set(Some(now));
    let d = m.update(&txn).await?;
    txn.commit().await?;
    s.live.changed(scope.organization_id(), [l.partner_id]);
    s.deliveries_wakeup.notify_one();
    Ok((d, l))
}

/// The disputes of these leads (those that have one).
pub async fn of_leads(s: &Services, lead_ids: &[Uuid]) -> Result<Vec<Dispute>> {
    Ok(lead_dispute::Entity::find().filter(lead_dispute::Column::LeadId.is_in(lead_ids.to_vec())).all(&s.db).await?)
}

/// How many disputes wait for an answer: an organization's, or a partner's own.
pub async fn open_count(s: &Services, audience: &Audience) -> Result<u64> {
    let q = lead_dispute::Entity::find().filter(lead_dispute::Column::Status.eq(DisputeStatus::Open));
    let q = match audience {
        Audience::Organization(o) => q.filter(lead_dispute::Column::OrganizationId.eq(*o)),
        Audience::Partner(ms) => q.filter(lead_dispute::Column::PartnerId.is_in(ms.iter().map(|m| m.partner_id))),
    };
    Ok(q.count(&s.db).await?)
}
