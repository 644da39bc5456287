use sea_orm_migration::prelude::*;

use crate::{id, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Postbacks {
    Table,
    Id,
    UserId,
    CampaignId,
    Events,
    Method,
    Url,
    Host,
    Body,
    ConsecutiveFailures,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    DestinationId,
    EventId,
    Event,
    OrganizationId,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatusCode,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    DestinationId,
    EventId,
    Event,
    OrganizationId,
    Attempt,
    Method,
    Url,
    StatusCode,
    LatencyMs,
    Response,
    Error,
    NextRetryAt,
    CreatedAt,
}

/// Partner postbacks and their deliveries. A delivery is one event (a lead's history row, a click, a test) for one
/// destination, keyed by both: it is written in the transaction of the event, by an `INSERT ... SELECT` over the
/// destinations that want it, and sent by the relay of any process. Every attempt is logged.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Postbacks::Table)
                .col(id(Postbacks::Id))
                .col(ColumnDef::new(Postbacks::UserId).uuid().not_null())
                .col(ColumnDef::new(Postbacks::CampaignId).uuid().null())
                .col(ColumnDef::new(Postbacks::Events).integer().not_null())
                .col(ColumnDef::new(Postbacks::Method).string_len(16).not_null())
                .col(ColumnDef::new(Postbacks::Url).string_len(2048).not_null())
                .col(ColumnDef::new(Postbacks::Host).string_len(255).not_null())
                .col(ColumnDef::new(Postbacks::Body).text().null())
                .col(ColumnDef::new(Postbacks::ConsecutiveFailures).integer().not_null().default(0))
                .col(time_null(Postbacks::DisabledAt))
                .col(time(Postbacks::CreatedAt))
                .col(time(Postbacks::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("postbacks_user_idx").table(Postbacks::Table).col(Postbacks::UserId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Deliveries::Table)
                .col(ColumnDef::new(Deliveries::DestinationId).uuid().not_null())
                .col(ColumnDef::new(Deliveries::EventId).uuid().not_null())
                .col(ColumnDef::new(Deliveries::Event).string_len(32).not_null())
                .col(ColumnDef::new(Deliveries::OrganizationId).uuid().null())
                .col(ColumnDef::new(Deliveries::Status).string_len(16).not_null())
                .col(ColumnDef::new(Deliveries::Attempts).integer().not_null())
                .col(time(Deliveries::NextAttemptAt))
                .col(time_null(Deliveries::LockedUntil))
                .col(ColumnDef::new(Deliveries::LastStatusCode).integer().null())
                .col(time(Deliveries::CreatedAt))
                .col(time_null(Deliveries::FinishedAt))
                .primary_key(Index::create().col(Deliveries::DestinationId).col(Deliveries::EventId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("deliveries_due_idx")
                .table(Deliveries::Table)
                .col(Deliveries::Status)
                .col(Deliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DeliveryAttempts::Table)
                .col(id(DeliveryAttempts::Id))
                .col(ColumnDef::new(DeliveryAttempts::DestinationId).uuid().not_null())
                .col(ColumnDef::new(DeliveryAttempts::EventId).uuid().not_null())
                .col(ColumnDef::new(DeliveryAttempts::Event).string_len(32).not_null())
                .col(ColumnDef::new(DeliveryAttempts::OrganizationId).uuid().null())
                .col(ColumnDef::new(DeliveryAttempts::Attempt).integer().not_null())
                .col(ColumnDef::new(DeliveryAttempts::Method).string_len(16).not_null())
                .col(ColumnDef::new(DeliveryAttempts::Url).text().not_null())
                .col(ColumnDef::new(DeliveryAttempts::StatusCode).integer().null())
                .col(ColumnDef::new(DeliveryAttempts::LatencyMs).integer().not_null())
                .col(ColumnDef::new(DeliveryAttempts::Response).text().null())
                .col(ColumnDef::new(DeliveryAttempts::Error).text().null())
                .col(time_null(DeliveryAttempts::NextRetryAt))
                .col(time(DeliveryAttempts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("delivery_attempts_destination_idx")
                .table(DeliveryAttempts::Table)
                .col(DeliveryAttempts::DestinationId)
                .col(DeliveryAttempts::Id)
                .to_owned(),
        )
        .await?;
        // The log's retention deletes by age.
        m.create_index(
            Index::create()
                .name("delivery_attempts_created_idx")
                .table(DeliveryAttempts::Table)
                .col(DeliveryAttempts::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [DeliveryAttempts::Table.into_iden(), Deliveries::Table.into_iden(), Postbacks::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
