use sea_orm_migration::prelude::*;

use crate::{id, time};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    OrganizationId,
    Type,
    Data,
    CreatedAt,
}

/// An organization's events other than a lead's steps (those are `lead_history` rows): a partner registered or
/// changed status, a cap filled, an invitation email failed. Written in the transaction of the change, with the
/// webhook deliveries they cause; `data` is the JSON the webhook carries, as it was at that moment.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(id(Events::Id))
                .col(ColumnDef::new(Events::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(Events::Type).string_len(40).not_null())
                .col(ColumnDef::new(Events::Data).text().not_null())
                .col(time(Events::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("events_organization_created_idx")
                .table(Events::Table)
                .col(Events::OrganizationId)
                .col(Events::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Events::Table).to_owned()).await
    }
}
