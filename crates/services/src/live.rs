//! Live updates: tells open dashboards, in every server process, that figures they show have changed.
//!
//! A process that commits an event calls [`Live::changed`]. Changes are coalesced: the first one is sent at once,
//! those that follow within [`COALESCE`] go out together. On PostgreSQL they travel as one `NOTIFY` per
//! organization on the `pd_stats` channel, which every process `LISTEN`s to (its own included), so a dashboard open
//! on one process moves when a lead arrives at another; on SQLite (one process) they go straight to the in-process
//! broadcast. A notification carries ids only; subscribers read the figures themselves, with their own rights.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::Services;

/// How long changes are gathered before they go out together (after the first, which goes at once).
pub const COALESCE: Duration = Duration::from_millis(100);
const CHANNEL: &str = "pd_stats";
/// NOTIFY payloads are limited to 8000 bytes: past this many partners, a change names its organization only.
const MAX_PARTNERS: usize = 100;

/// Figures changed for these partners of an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Empty `partners`: any partner of the organization may be concerned.
    Organization { id: Uuid, partners: Vec<Uuid> },
    /// Notifications may have been missed (the listener reconnected): everyone should read again.
    Everything,
}

impl Change {
    /// Whether a reader of `audience` (an organization, or a partner's records in several) should read again.
    pub fn concerns(&self, audience: &crate::authz::Audience) -> bool {
        use crate::authz::Audience;
        match self {
            Change::Everything => true,
            Change::Organization { id, partners } => match audience {
                Audience::Organization(o) => id == o,
                Audience::Partner(ms) => ms
                    .iter()
                    .any(|m| m.organization_id == *id && (partners.is_empty() || partners.contains(&m.partner_id))),
            },
        }
    }

    fn payload(organization_id: Uuid, partners: &HashSet<Uuid>) -> String {
        let mut s = organization_id.to_string();
        if partners.len() <= MAX_PARTNERS {
            for p in partners {
                s.push(',');
                s.push_str(&p.to_string());
            }
        }
        s
    }

    fn parse(payload: &str) -> Option<Change> {
        let mut ids = payload.split(',').map(|s| Uuid::parse_str(s).ok());
        let id = ids.next()??;
        Some(Change::Organization { id, partners: ids.collect::<Option<_>>()? })
    }
}

pub struct Live {
    pending: Mutex<HashMap<Uuid, HashSet<Uuid>>>,
    wake: Notify,
    tx: broadcast::Sender<Change>,
}

impl Default for Live {
    fn default() -> Self {
        Self { pending: Mutex::new(HashMap::new()), wake: Notify::new(), tx: broadcast::channel(1024).0 }
    }
}

impl Live {
    /// Figures of `partner_id` in `organization_id` changed (call after the transaction commits).
    pub fn changed(&self, organization_id: Uuid, partner_ids: impl IntoIterator<Item = Uuid>) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.entry(organization_id).or_default().extend(partner_ids);
        }
        self.wake.notify_one();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }

    /// How many subscriptions of this process are open (each holds one receiver).
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }

    fn publish_local(&self, change: Change) {
        // No receiver is not an error: nobody has a dashboard open.
        let _ = self.tx.send(change);
    }
}

/// Sends coalesced changes out, and on PostgreSQL hears everyone's: runs for the life of the process.
pub async fn run(s: Services) {
    if s.db.get_database_backend() == DbBackend::Postgres {
        tokio::spawn(listen(s.clone()));
    }
    loop {
        s.live.wake.notified().await;
        let batch: Vec<(Uuid, HashSet<Uuid>)> = match s.live.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => Vec::new(),
        };
        for (org, partners) in batch {
            if s.db.get_database_backend() == DbBackend::Postgres {
                let sent =
                    s.db.execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [CHANNEL.into(), Change::payload(org, &partners).into()],
                    ))
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "live update not sent");
                }
            } else {
                let partners = if partners.len() <= MAX_PARTNERS { partners.into_iter().collect() } else { Vec::new() };
                s.live.publish_local(Change::Organization { id: org, partners });
            }
        }
        tokio::time::sleep(COALESCE).await;
    }
}

async fn listen(s: Services) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut first = true;
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(s.db.get_postgres_connection_pool()).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(l)
        };
        let mut l = match listener.await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "live updates: cannot listen; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !first {
            s.live.publish_local(Change::Everything);
        }
        first = false;
        loop {
            match l.try_recv().await {
                Ok(Some(n)) => {
                    if let Some(change) = Change::parse(n.payload()) {
                        s.live.publish_local(change);
                    }
                }
                // The connection dropped; notifications may have been missed while it was down.
                Ok(None) => s.live.publish_local(Change::Everything),
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{Audience, Membership};

    #[test]
    fn payloads_round_trip_and_concern_the_right_readers() {
        let (org, other, p, q) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let partner = |o: Uuid, id: Uuid| Audience::Partner(vec![Membership { organization_id: o, partner_id: id }]);
        let change = Change::parse(&Change::payload(org, &HashSet::from([p]))).unwrap_or(Change::Everything);
        assert_eq!(change, Change::Organization { id: org, partners: vec![p] });
        assert!(change.concerns(&Audience::Organization(org)) && change.concerns(&partner(org, p)));
        assert!(!change.concerns(&partner(org, q)), "another partner's dashboard stays quiet");
        assert!(!change.concerns(&Audience::Organization(other)), "another organization's too");
        // A partner of two organizations hears about either.
        let both = Audience::Partner(vec![
            Membership { organization_id: other, partner_id: q },
            Membership { organization_id: org, partner_id: p },
        ]);
        assert!(change.concerns(&both));
        let many: HashSet<Uuid> = (0..=MAX_PARTNERS).map(|_| Uuid::now_v7()).collect();
        assert!(Change::payload(org, &many).len() < 8000);
        assert!(Change::parse(&Change::payload(org, &many)).is_some_and(|c| c.concerns(&partner(org, q))));
        assert_eq!(Change::parse("not-a-uuid"), None);
    }
}
