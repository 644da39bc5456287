//! The email outbox: emails are written in the transaction that causes them, then delivered by a relay in every
//! server process. Rows are claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so each email goes out
//! once however many processes run; failures retry with exponential backoff and end as `FAILED`.

use std::time::Duration as StdDuration;

use chrono::Duration;
use partnerdesk_mailer::{Email, Mailer};
use partnerdesk_storage::entities::email_outbox::{self, Kind, Status};
use partnerdesk_storage::entities::invitation;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::emails::{INVITATION_URL, Rendered};
use super::webhooks::{self, WebhookEvent};
use super::{Queue, claim};
use crate::{Error, Result, Services};

/// Attempts before an email is given up as `FAILED`.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed email stays reserved for the process sending it.
const LEASE: Duration = Duration::minutes(2);
const BATCH: usize = 20;

#[allow(clippy::too_many_arguments)]
pub(crate) async fn enqueue(
    conn: &impl ConnectionTrait,
    s: &Services,
    organization_id: Uuid,
    partner_id: Option<Uuid>,
    invitation_id: Option<Uuid>,
    kind: Kind,
    to: &str,
    mail: Rendered,
) -> Result<()> {
    let now = s.clock.now();
    email_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        partner_id: Set(partner_id),
        invitation_id: Set(invitation_id),
        kind: Set(kind),
        to_address: Set(to.to_owned()),
        subject: Set(mail.subject),
        text_body: Set(mail.text),
        html_body: Set(mail.html),
        status: Set(Status::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Settings of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// How often the relay looks for due emails (it also wakes on every new email from this process).
    pub poll: StdDuration,
    /// First retry delay; each further failure doubles it.
    pub retry_base: Duration,
}

/// Runs forever: claims due emails, sends them, records the outcome.
pub async fn run_relay(s: Services, mailer: Mailer, settings: RelaySettings) {
    tracing::info!(transport = %mailer.describe(), "mail relay started");
    loop {
        let pass = relay_once(&s, &mailer, settings).await;
        if pass.is_ok() {
            crate::db::available();
        }
        match pass {
            Ok(n) if n == BATCH => continue,
            Ok(_) => {}
            // Logged once when the outage began.
            Err(Error::Unavailable) => {}
            Err(e) => tracing::error!(error = %format!("{:#}", anyhow::Error::from(e)), "mail relay"),
        }
        let _ = tokio::time::timeout(settings.poll, s.outbox_wakeup.notified()).await;
    }
}

/// One pass: returns how many emails it tried.
pub async fn relay_once(s: &Services, mailer: &Mailer, settings: RelaySettings) -> Result<usize> {
    let claimed = claim::<email_outbox::Entity>(s, &QUEUE, BATCH, "", Vec::new()).await?;
    for row in &claimed {
        let rendered = render(s, row).await;
        let outcome = match rendered {
            Ok((text, html)) => {
                mailer.send(&Email { to: &row.to_address, subject: &row.subject, text: &text, html: &html }).await
            }
            Err(e) => Err(e),
        };
        let now = s.clock.now();
        let mut m: email_outbox::ActiveModel = row.clone().into();
        m.locked_until = Set(None);
        let mut failed_for_good = None;
        match outcome {
            Ok(()) => {
                m.status = Set(Status::Sent);
                m.sent_at = Set(Some(now));
                m.last_error = Set(None);
                tracing::info!(email_id = %row.id, kind = ?row.kind, attempt = row.attempts, "email sent");
            }
            Err(e) => {
                let message: String = format!("{e:#}").chars().take(1000).collect();
                if row.attempts >= MAX_ATTEMPTS {
                    m.status = Set(Status::Failed);
                    tracing::warn!(email_id = %row.id, attempts = row.attempts, error = %message, "email failed for good");
                    if let (Kind::Invitation, Some(partner), Some(invitation)) =
                        (row.kind, row.partner_id, row.invitation_id)
                    {
                        failed_for_good = Some((partner, invitation, message.clone()));
                    }
                } else {
                    m.next_attempt_at = Set(now + super::backoff(settings.retry_base, row.attempts, Duration::days(1)));
                    tracing::warn!(email_id = %row.id, attempt = row.attempts, error = %message, "email failed; will retry");
                }
                m.last_error = Set(Some(message));
            }
        }
        match failed_for_good {
            None => {
                m.update(&s.db).await?;
            }
            // The owner's webhooks learn it with the email's final state, in one transaction.
            Some((partner_id, invitation_id, error)) => {
                let txn = crate::db::begin_write(&s.db).await?;
                m.update(&txn).await?;
                let data = serde_json::json!({
                    "invitationId": invitation_id,
                    "partnerId": partner_id,
                    "email": row.to_address,
                    "attempts": row.attempts,
                    "lastError": error,
                });
                webhooks::emit(&txn, WebhookEvent::InvitationDeliveryFailed, row.organization_id, data, now).await?;
                txn.commit().await?;
            }
        }
    }
    Ok(claimed.len())
}

const QUEUE: Queue = Queue {
    table: "email_outbox",
    key: "id",
    columns: "id, organization_id, partner_id, invitation_id, kind, to_address, subject, text_body, html_body, status, \
              attempts, next_attempt_at, locked_until, last_error, created_at, sent_at",
    lease: LEASE,
};

/// The bodies as sent: invitation emails get their link, derived from the current token version.
async fn render(s: &Services, row: &email_outbox::Model) -> anyhow::Result<(String, String)> {
    let Some(invitation_id) = row.invitation_id else {
        return Ok((row.text_body.clone(), row.html_body.clone()));
    };
    let inv = invitation::Entity::find_by_id(invitation_id)
        .one(&s.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("invitation {invitation_id} is gone"))?;
    let url = format!("{}/register?token={}", s.public_url, s.tokens.invitation_token(inv.id, inv.token_version));
    Ok((row.text_body.replace(INVITATION_URL, &url), row.html_body.replace(INVITATION_URL, &url)))
}

/// The delivery state of the latest email of each invitation.
pub async fn latest_for_invitations(
    s: &Services,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, email_outbox::Model>> {
    let mut latest = std::collections::HashMap::new();
    let rows =
        email_outbox::Entity::find().filter(email_outbox::Column::InvitationId.is_in(ids.to_vec())).all(&s.db).await?;
    for row in rows {
        if let Some(inv) = row.invitation_id {
            let newer = latest.get(&inv).is_none_or(|cur: &email_outbox::Model| cur.id < row.id);
            if newer {
                latest.insert(inv, row);
            }
        }
    }
    Ok(latest)
}
