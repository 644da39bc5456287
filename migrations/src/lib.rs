//! Schema migrations, written with sea-query so that the same code runs on SQLite and PostgreSQL.
//!
//! Conventions: ids are UUIDv7; times are `timestamp with time zone` in UTC (text on SQLite, always written by
//! the application in one format, so they order correctly); money is `BIGINT` counting 1/10,000 of the currency
//! unit, exact on both databases.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_campaigns;
mod m20261125_000003_partners;
mod m20261125_000004_traffic;
mod m20261125_000005_stats;
mod m20261125_000006_reporting_tokens;
mod m20261125_000007_campaign_stats;
mod m20261203_000008_accounts;
mod m20261203_000009_key_rate;
mod m20261203_000010_write_batch;
mod m20261203_000011_postbacks;
mod m20261203_000012_webhooks;
mod m20261203_000013_events;
mod m20261203_000014_lead_quality;
mod m20261203_000015_returns;
mod m20261203_000016_disputes;
mod m20261205_000017_config_generation;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_campaigns::Migration),
            Box::new(m20261125_000003_partners::Migration),
            Box::new(m20261125_000004_traffic::Migration),
            Box::new(m20261125_000005_stats::Migration),
            Box::new(m20261125_000006_reporting_tokens::Migration),
            Box::new(m20261125_000007_campaign_stats::Migration),
            Box::new(m20261203_000008_accounts::Migration),
            Box::new(m20261203_000009_key_rate::Migration),
            Box::new(m20261203_000010_write_batch::Migration),
            Box::new(m20261203_000011_postbacks::Migration),
            Box::new(m20261203_000012_webhooks::Migration),
            Box::new(m20261203_000013_events::Migration),
            Box::new(m20261203_000014_lead_quality::Migration),
            Box::new(m20261203_000015_returns::Migration),
            Box::new(m20261203_000016_disputes::Migration),
            Box::new(m20261205_000017_config_generation::Migration),
        ]
    }
}

pub(crate) fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().primary_key().to_owned()
}

pub(crate) fn time(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

pub(crate) fn time_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().to_owned()
}
