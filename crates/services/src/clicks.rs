//! Clicks on tracking links: counted against the click caps like leads, or recorded as not counted.

use std::sync::Arc;

use partnerdesk_storage::entities::campaign::Status as CampaignStatus;
use partnerdesk_storage::entities::campaign_assignment::Status as AssignmentStatus;
use partnerdesk_storage::entities::cap::{self, Metric, Period};
use partnerdesk_storage::entities::click;
use partnerdesk_storage::entities::marketing_partner::Status as PartnerStatus;
use sea_orm::{EntityTrait, FromQueryResult, QueryTrait, Set, Statement};
use uuid::Uuid;

use crate::delivery::{Event, postbacks};
use crate::{Error, Result, Services, caps, db, kept, stats};

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

/// What a click is recorded against, read in one statement: the tracking link's assignment, its campaign, the
/// partner, and the click caps (one row per cap), with `config_generation` as it was then.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Target {
    assignment_id: Uuid,
    assignment_status: AssignmentStatus,
    click_override: Option<i64>,
    campaign_id: Uuid,
    organization_id: Uuid,
    campaign_status: CampaignStatus,
    time_zone: String,
    landing_url: String,
    fallback_url: Option<String>,
    click_payout: i64,
    partner_id: Uuid,
    /// The partner's account (none until it registers): its postbacks want counted clicks.
    user_id: Option<Uuid>,
    partner_status: PartnerStatus,
    cap_id: Option<Uuid>,
    cap_period: Option<Period>,
    cap_limit: Option<i64>,
    generation: i64,
}

/// What this process keeps of tracking links' targets ([`kept`]), by tracking code: only links that take clicks.
pub type Links = kept::Kept<String, Arc<[Target]>>;

/// The read of a click's target, `$1` the tracking code. Public for the embedded default's benchmark floor.
pub const TARGET_SQL: &str = "SELECT a.id AS assignment_id, a.status AS assignment_status, a.click_payout AS click_override, \
        c.id AS campaign_id, c.organization_id, c.status AS campaign_status, c.time_zone, c.landing_url, \
        c.fallback_url, c.click_payout, p.id AS partner_id, p.user_id, p.status AS partner_status, \
        k.id AS cap_id, k.period AS cap_period, k.limit_count AS cap_limit, \
        (SELECT n FROM config_generation) AS generation \
 FROM campaign_assignments a \
 JOIN campaigns c ON c.id = a.campaign_id \
 JOIN marketing_partners p ON p.id = a.partner_id \
 LEFT JOIN caps k ON k.assignment_id = a.id AND k.metric = 'CLICK' \
 WHERE a.tracking_code = $1";

/// Records a click on `/c/{code}` (HEAD requests only look: `record` false) and says where it goes. Two round trips
/// on PostgreSQL: the read above, and the click's writes as one [`db::Batch`]; one for a link this process keeps
/// ([`Links`]). Taken again from a fresh read when what was read has changed since.
pub async fn follow(s: &Services, code: &str, subs: [Option<String>; 5], record: bool) -> Result<Outcome> {
    let mut rows = match s.links.get(&code.to_owned()).filter(|_| record) {
        Some(rows) => rows,
        None => read(s, code).await?,
    };
    for _ in 0..3 {
        if let Some(outcome) = take(s, &rows, &subs, record).await? {
            return Ok(outcome);
        }
        s.links.clear();
        rows = read(s, code).await?;
    }
    // Changed under every try: rare enough to ask for another.
    Err(Error::Unavailable)
}

/// A tracking link's target, read now, and kept when the link takes clicks.
async fn read(s: &Services, code: &str) -> Result<Arc<[Target]>> {
    let statement = Statement::from_sql_and_values(s.db.get_database_backend(), TARGET_SQL, [code.into()]);
    let rows: Arc<[Target]> = Target::find_by_statement(statement).all(&s.db).await?.into();
    if rows.first().is_some_and(|t| blocked(t).is_none()) {
        s.links.put(code.to_owned(), rows.clone());
    }
    Ok(rows)
}

/// Why a link takes no clicks now, if it does not.
fn blocked(t: &Target) -> Option<&'static str> {
    if t.assignment_status == AssignmentStatus::Removed {
        Some("REMOVED")
    } else if t.assignment_status == AssignmentStatus::Paused || t.partner_status != PartnerStatus::Active {
        Some("PARTNER_PAUSED")
    } else if t.campaign_status != CampaignStatus::Active {
        Some("CAMPAIGN_NOT_ACTIVE")
    } else {
        None
    }
}

/// A click on the target `rows` (as read at their generation); `None` (nothing written) when that has moved since.
async fn take(s: &Services, rows: &[Target], subs: &[Option<String>; 5], record: bool) -> Result<Option<Outcome>> {
    let backend = s.db.get_database_backend();
    let t = rows.first().ok_or(Error::NotFound("Tracking link"))?;
    let blocked = blocked(t);
    let now = s.clock.now();
    // The id is the click's time (UUIDv7 of the service clock): retention deletes clicks by id range.
    let id = crate::retention::id_at(now);
    let not_counted = |reason: &'static str, message: String| match &t.fallback_url {
        Some(url) => Outcome::Fallback { url: url.clone(), reason },
        None => Outcome::Refused { reason, message },
    };
    if !record {
        return Ok(Some(match blocked {
            Some(reason) => not_counted(reason, "This partner cannot send traffic to this campaign right now.".into()),
            None => Outcome::Landing(landing(&t.landing_url, id)),
        }));
    }
    let tz = caps::time_zone(&t.time_zone);
    let key = stats::Key::new(
        t.organization_id,
        t.campaign_id,
        t.partner_id,
        "CLICK",
        [&subs[0], &subs[1], &subs[2], &subs[3], &subs[4]],
        tz,
        now,
    );
    // The click and its figures: counted (with its payout), or not counted with its reason.
    let writes = |batch: &mut db::Batch, reason: Option<&'static str>, payout: i64| {
        let row = click::ActiveModel {
            id: Set(id),
            organization_id: Set(t.organization_id),
            campaign_id: Set(t.campaign_id),
            partner_id: Set(t.partner_id),
            assignment_id: Set(t.assignment_id),
            counted: Set(reason.is_none()),
            reason: Set(reason.map(str::to_owned)),
            payout: Set(payout),
            sub1: Set(subs[0].clone()),
            sub2: Set(subs[1].clone()),
            sub3: Set(subs[2].clone()),
            sub4: Set(subs[3].clone()),
            sub5: Set(subs[4].clone()),
            created_at: Set(now),
        };
        batch.push(click::Entity::insert(row).build(backend));
        let delta = match reason {
            None => stats::Delta { counted: 1, earnings: payout, ..Default::default() },
            Some(_) => stats::Delta { not_counted: 1, ..Default::default() },
        };
        for statement in stats::statements(backend, [(key.clone(), delta)]) {
            batch.push(statement);
        }
    };
    // A click not counted is still recorded, with its reason, and shows in the statistics as not counted. It takes
    // no cap counter: no guard but the generation's.
    let not_counted_row = |reason: &'static str| async move {
        let mut batch = db::Batch::default();
        batch.check_generation(backend, t.generation);
        writes(&mut batch, Some(reason), 0);
        match batch.run(&s.db).await {
            Ok(_) => {}
            Err(db::BatchError::Guard(kept::STALE)) => return Ok(false),
            Err(e) => return Err(Error::from(e)),
        }
        s.live.changed(t.organization_id, [t.partner_id]);
        Ok::<_, Error>(true)
    };
    if let Some(reason) = blocked {
        let written = not_counted_row(reason).await?;
        let message = "This partner cannot send traffic to this campaign right now.".into();
        return Ok(written.then(|| not_counted(reason, message)));
    }
    let mut caps_rows: Vec<cap::Model> = rows
        .iter()
        .filter_map(|r| {
            Some(cap::Model {
                id: r.cap_id?,
                assignment_id: r.assignment_id,
                metric: Metric::Click,
                period: r.cap_period?,
                limit_count: r.cap_limit?,
            })
        })
        .collect();
    caps_rows.sort_by_key(|c| c.period);
    let mut batch = db::Batch::default();
    batch.check_generation(backend, t.generation);
    let owner = (t.organization_id, t.campaign_id, t.partner_id);
    let mut full = caps::count_in(&mut batch, backend, &caps_rows, owner, 0, tz, now);
    writes(&mut batch, None, t.click_override.unwrap_or(t.click_payout));
    if let Some(user_id) = t.user_id {
        batch.push_deliveries(postbacks::on_event(
            backend,
            Event::ClickCounted,
            id,
            t.organization_id,
            user_id,
            t.campaign_id,
            now,
        ));
    }
    match batch.run(&s.db).await {
        Ok(written) => {
            s.live.changed(t.organization_id, [t.partner_id]);
            if written.queued_deliveries() {
                s.deliveries_wakeup.notify_one();
            }
            Ok(Some(Outcome::Landing(landing(&t.landing_url, id))))
        }
        Err(db::BatchError::Guard(kept::STALE)) => Ok(None),
        Err(db::BatchError::Guard(i)) => {
            let message = full.swap_remove(i).to_string();
            let written = not_counted_row("CAP_REACHED").await?;
            Ok(written.then(|| not_counted("CAP_REACHED", message)))
        }
        Err(e) => Err(e.into()),
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
