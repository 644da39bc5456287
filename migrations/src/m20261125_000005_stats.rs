use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use partnerdesk_domain::metrics::Totals;
use partnerdesk_domain::windows::local_day;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    OrganizationId,
    CampaignId,
    PartnerId,
    Day,
    Kind,
    Sub1,
    Sub2,
    Sub3,
    Sub4,
    Sub5,
    Counted,
    NotCounted,
    Approved,
    Rejected,
    Converted,
    Earnings,
}

type Key = (uuid::Uuid, uuid::Uuid, uuid::Uuid, String, String, [String; 5]);

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(DailyStats::Table)
            .col(ColumnDef::new(DailyStats::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(DailyStats::CampaignId).uuid().not_null())
            .col(ColumnDef::new(DailyStats::PartnerId).uuid().not_null())
            // The day in the campaign's time zone, YYYY-MM-DD.
            .col(ColumnDef::new(DailyStats::Day).string_len(10).not_null())
            .col(ColumnDef::new(DailyStats::Kind).string_len(8).not_null());
        for s in [DailyStats::Sub1, DailyStats::Sub2, DailyStats::Sub3, DailyStats::Sub4, DailyStats::Sub5] {
            // '' when the event carried no such sub-id (a key column cannot be NULL).
            t.col(ColumnDef::new(s).string_len(255).not_null().default(""));
        }
        for c in [
            DailyStats::Counted,
            DailyStats::NotCounted,
            DailyStats::Approved,
            DailyStats::Rejected,
            DailyStats::Converted,
            DailyStats::Earnings,
        ] {
            t.col(ColumnDef::new(c).big_integer().not_null().default(0));
        }
        t.primary_key(
            Index::create()
                .col(DailyStats::CampaignId)
                .col(DailyStats::PartnerId)
                .col(DailyStats::Day)
                .col(DailyStats::Kind)
                .col(DailyStats::Sub1)
                .col(DailyStats::Sub2)
                .col(DailyStats::Sub3)
                .col(DailyStats::Sub4)
                .col(DailyStats::Sub5),
        );
        m.create_table(t.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("daily_stats_partner_day_idx")
                .table(DailyStats::Table)
                .col(DailyStats::PartnerId)
                .col(DailyStats::Day)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("daily_stats_organization_day_idx")
                .table(DailyStats::Table)
                .col(DailyStats::OrganizationId)
                .col(DailyStats::Day)
                .to_owned(),
        )
        .await?;
        backfill(m.get_connection()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(DailyStats::Table).to_owned()).await
    }
}

/// Adds up the events recorded before this table existed.
async fn backfill(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let events = "SELECT e.organization_id, e.campaign_id, e.partner_id, e.created_at, c.time_zone, \
                  e.sub1, e.sub2, e.sub3, e.sub4, e.sub5, {kind}, {status}, e.payout, {counted} \
                  FROM {table} e JOIN campaigns c ON c.id = e.campaign_id";
    let clicks = events
        .replace("{kind}", "'CLICK'")
        .replace("{status}", "''")
        .replace("{counted}", "e.counted")
        .replace("{table}", "clicks");
    let leads = events
        .replace("{kind}", "e.kind")
        .replace("{status}", "e.status")
        .replace("{counted}", "TRUE")
        .replace("{table}", "leads");
    let mut sums: BTreeMap<Key, Totals> = BTreeMap::new();
    for sql in [clicks, leads] {
        for r in db.query_all_raw(Statement::from_string(backend, sql)).await? {
            let at: DateTime<Utc> = r.try_get_by_index(3)?;
            let tz: String = r.try_get_by_index(4)?;
            let mut subs: [String; 5] = Default::default();
            for (i, s) in subs.iter_mut().enumerate() {
                *s = r.try_get_by_index::<Option<String>>(5 + i)?.unwrap_or_default();
            }
            let kind: String = r.try_get_by_index(10)?;
            let status: String = r.try_get_by_index(11)?;
            let payout: i64 = r.try_get_by_index(12)?;
            let counted: bool = r.try_get_by_index(13)?;
            let event = match kind.as_str() {
                "CLICK" => Totals::of_click(counted, payout),
                k => Totals::of_lead(k == "CALL", &status, payout),
            };
            let day = local_day(tz.parse().unwrap_or(Tz::UTC), at);
            let key = (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?, day, kind, subs);
            sums.entry(key).or_default().add(&event);
        }
    }
    for ((org, campaign, partner, day, kind, subs), t) in sums {
        let mut values: Vec<Value> = vec![org.into(), campaign.into(), partner.into(), day.into(), kind.into()];
        values.extend(subs.map(Value::from));
        let counted = t.clicks + t.forms + t.calls;
        values
            .extend([counted, t.clicks_not_counted, t.approved, t.rejected, t.converted, t.earnings].map(Value::from));
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO daily_stats (organization_id, campaign_id, partner_id, day, kind, sub1, sub2, sub3, sub4, \
             sub5, counted, not_counted, approved, rejected, converted, earnings) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            values,
        ))
        .await?;
    }
    Ok(())
}
