//! The coarse rollup: the figures of `daily_stats` per campaign and day only (one column per figure: clicks, forms
//! and calls apart), for the reports that neither filter nor group by partner, sub-id or event type (an owner's
//! campaign and organization reports). `daily_stats` has about as many rows as events at volume; this table has at
//! most campaigns x days x shards.
//!
//! While a day takes events, each (campaign, day) is spread over several rows (`shard`, picked from the partner id
//! by the application) so that concurrent events of one campaign do not all wait for one row lock; once the day is
//! over the application folds them into shard 0. Reads add the shards up, so which shard holds what does not
//! matter.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CampaignStats {
    Table,
    OrganizationId,
    CampaignId,
    Day,
    Shard,
    Clicks,
    ClicksNotCounted,
    Forms,
    Calls,
    Approved,
    Rejected,
    Converted,
    Earnings,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(CampaignStats::Table)
            .col(ColumnDef::new(CampaignStats::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(CampaignStats::CampaignId).uuid().not_null())
            .col(ColumnDef::new(CampaignStats::Day).string_len(10).not_null())
            .col(ColumnDef::new(CampaignStats::Shard).small_integer().not_null());
        for c in [
            CampaignStats::Clicks,
            CampaignStats::ClicksNotCounted,
            CampaignStats::Forms,
            CampaignStats::Calls,
            CampaignStats::Approved,
            CampaignStats::Rejected,
            CampaignStats::Converted,
            CampaignStats::Earnings,
        ] {
            t.col(ColumnDef::new(c).big_integer().not_null().default(0));
        }
        t.primary_key(Index::create().col(CampaignStats::CampaignId).col(CampaignStats::Day).col(CampaignStats::Shard));
        m.create_table(t.to_owned()).await?;
        m.create_index(
            Index::create()
                .name("campaign_stats_organization_day_idx")
                .table(CampaignStats::Table)
                .col(CampaignStats::OrganizationId)
                .col(CampaignStats::Day)
                .to_owned(),
        )
        .await?;
        // Finished days whose shards are still to be folded into shard 0 (`stats::fold`).
        m.create_index(
            Index::create()
                .name("campaign_stats_shard_day_idx")
                .table(CampaignStats::Table)
                .col(CampaignStats::Shard)
                .col(CampaignStats::Day)
                .to_owned(),
        )
        .await?;
        // What is already counted goes to shard 0.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO campaign_stats (organization_id, campaign_id, day, shard, clicks, clicks_not_counted, \
                 forms, calls, approved, rejected, converted, earnings) \
                 SELECT organization_id, campaign_id, day, 0, SUM(CASE WHEN kind = 'CLICK' THEN counted ELSE 0 END), \
                 SUM(not_counted), SUM(CASE WHEN kind = 'FORM' THEN counted ELSE 0 END), \
                 SUM(CASE WHEN kind = 'CALL' THEN counted ELSE 0 END), SUM(approved), SUM(rejected), SUM(converted), \
                 SUM(earnings) FROM daily_stats GROUP BY organization_id, campaign_id, day",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CampaignStats::Table).to_owned()).await
    }
}
