use sea_orm_migration::prelude::*;

use crate::{id, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Host,
    Events,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    ConsecutiveFailures,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Channel,
}

/// Owners' webhook endpoints, signed per Standard Webhooks. Their deliveries share the `deliveries` queue and log with
/// partner postbacks; `channel` says which kind of destination a delivery goes to.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .col(id(WebhookEndpoints::Id))
                .col(ColumnDef::new(WebhookEndpoints::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(WebhookEndpoints::Url).string_len(2048).not_null())
                .col(ColumnDef::new(WebhookEndpoints::Host).string_len(255).not_null())
                .col(ColumnDef::new(WebhookEndpoints::Events).integer().not_null())
                .col(ColumnDef::new(WebhookEndpoints::Secret).string_len(64).not_null())
                .col(ColumnDef::new(WebhookEndpoints::PreviousSecret).string_len(64).null())
                .col(time_null(WebhookEndpoints::PreviousSecretUntil))
                .col(ColumnDef::new(WebhookEndpoints::ConsecutiveFailures).integer().not_null().default(0))
                .col(time_null(WebhookEndpoints::DisabledAt))
                .col(time(WebhookEndpoints::CreatedAt))
                .col(time(WebhookEndpoints::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_endpoints_organization_idx")
                .table(WebhookEndpoints::Table)
                .col(WebhookEndpoints::OrganizationId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Deliveries::Table)
                .add_column(ColumnDef::new(Deliveries::Channel).string_len(16).not_null().default("POSTBACK"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Deliveries::Table).drop_column(Deliveries::Channel).to_owned()).await?;
        m.drop_table(Table::drop().table(WebhookEndpoints::Table).to_owned()).await
    }
}
