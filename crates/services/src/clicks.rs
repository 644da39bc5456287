//! Clicks on tracking links: counted against the click caps like leads, or recorded as not counted.

use partnerdesk_storage::entities::campaign::{self, Status as CampaignStatus};
use partnerdesk_storage::entities::campaign_assignment::{self, Status as AssignmentStatus};
use partnerdesk_storage::entities::cap::Metric;
use partnerdesk_storage::entities::click;
use partnerdesk_storage::entities::marketing_partner::{self, Status as PartnerStatus};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{Error, Result, Services, caps, db, stats};

/// Where a click goes.
#[derive(Debug)]
pub enum Outcome {
    /// Counted: to the landing page, with the click id appended.
    Landing(String),
    /// Not counted: to the fallback URL.
    Fallback { url: String, reason: &'static str },
    /// Not counted and no fallback URL: the visitor gets a 429.
    Refused { reason: &'static str, message: String },
}

/// Records a click on `/c/{code}` (HEAD requests only look: `record` false) and says where it goes.
pub async fn follow(s: &Services, code: &str, subs: [Option<String>; 5], record: bool) -> Result<Outcome> {
    let assignment = campaign_assignment::Entity::find()
        .filter(campaign_assignment::Column::TrackingCode.eq(code))
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Tracking link"))?;
    let campaign = campaign::Entity::find_by_id(assignment.campaign_id)
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Tracking link"))?;
    let partner = marketing_partner::Entity::find_by_id(assignment.partner_id)
        .one(&s.db)
        .await?
        .ok_or(Error::NotFound("Tracking link"))?;
    let blocked = if assignment.status == AssignmentStatus::Removed {
        Some("REMOVED")
    } else if assignment.status == AssignmentStatus::Paused || partner.status != PartnerStatus::Active {
        Some("PARTNER_PAUSED")
    } else if campaign.status != CampaignStatus::Active {
        Some("CAMPAIGN_NOT_ACTIVE")
    } else {
        None
    };
    let now = s.clock.now();
    // The id is the click's time (UUIDv7 of the service clock): retention deletes clicks by id range.
    let id = crate::retention::id_at(now);
    let row = |counted: bool, reason: Option<&'static str>, payout: i64| click::ActiveModel {
        id: Set(id),
        organization_id: Set(campaign.organization_id),
        campaign_id: Set(campaign.id),
        partner_id: Set(partner.id),
        assignment_id: Set(assignment.id),
        counted: Set(counted),
        reason: Set(reason.map(str::to_owned)),
        payout: Set(payout),
        sub1: Set(subs[0].clone()),
        sub2: Set(subs[1].clone()),
        sub3: Set(subs[2].clone()),
        sub4: Set(subs[3].clone()),
        sub5: Set(subs[4].clone()),
        created_at: Set(now),
    };
    let not_counted = |reason: &'static str, message: String| match &campaign.fallback_url {
        Some(url) => Outcome::Fallback { url: url.clone(), reason },
        None => Outcome::Refused { reason, message },
    };
    let tz = caps::time_zone(&campaign.time_zone);
    let key = stats::Key::new(
        campaign.organization_id,
        campaign.id,
        partner.id,
        "CLICK",
        [&subs[0], &subs[1], &subs[2], &subs[3], &subs[4]],
        tz,
        now,
    );
    // A click not counted is still recorded, with its reason, and shows in the statistics as not counted.
    let key = &key;
    let row = &row;
    let not_counted_row = |reason: &'static str| async move {
        let txn = db::begin_write(&s.db).await?;
        row(false, Some(reason), 0).insert(&txn).await?;
        stats::add(&txn, key, stats::Delta { not_counted: 1, ..Default::default() }).await?;
        txn.commit().await?;
        s.live.changed(key.organization_id, [key.partner_id]);
        Ok::<_, Error>(())
    };
    if let Some(reason) = blocked {
        if record {
            not_counted_row(reason).await?;
        }
        return Ok(not_counted(reason, "This partner cannot send traffic to this campaign right now.".into()));
    }
    if !record {
        return Ok(Outcome::Landing(landing(&campaign.landing_url, id)));
    }
    let txn = db::begin_write(&s.db).await?;
    let cap_rows = caps::caps_for(&txn, assignment.id, Metric::Click).await?;
    match caps::take(&txn, &cap_rows, tz, now).await {
        Ok(()) => {
            let payout = assignment.click_payout.unwrap_or(campaign.click_payout);
            row(true, None, payout).insert(&txn).await?;
            stats::add(&txn, key, stats::Delta { counted: 1, earnings: payout, ..Default::default() }).await?;
            txn.commit().await?;
            s.live.changed(key.organization_id, [key.partner_id]);
            Ok(Outcome::Landing(landing(&campaign.landing_url, id)))
        }
        Err(e @ Error::CapReached { .. }) => {
            drop(txn);
            not_counted_row("CAP_REACHED").await?;
            Ok(not_counted("CAP_REACHED", e.to_string()))
        }
        Err(e) => Err(e),
    }
}

/// The landing URL with `pd_click_id` appended: the partner passes it back as `clickId` with the lead.
fn landing(url: &str, click_id: Uuid) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            u.query_pairs_mut().append_pair("pd_click_id", &click_id.to_string());
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}
