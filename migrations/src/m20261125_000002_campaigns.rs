use sea_orm_migration::prelude::*;

use crate::m20261125_000001_accounts::Organizations;
use crate::{id, time};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    OrganizationId,
    Name,
    Status,
    TimeZone,
    LandingUrl,
    FallbackUrl,
    Currency,
    ClickPayout,
    FormPayout,
    CallPayout,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(id(Campaigns::Id))
                .col(ColumnDef::new(Campaigns::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(Campaigns::Name).string_len(120).not_null())
                .col(ColumnDef::new(Campaigns::Status).string_len(16).not_null())
                .col(ColumnDef::new(Campaigns::TimeZone).string_len(64).not_null())
                .col(ColumnDef::new(Campaigns::LandingUrl).string_len(2048).not_null())
                .col(ColumnDef::new(Campaigns::FallbackUrl).string_len(2048).null())
                .col(ColumnDef::new(Campaigns::Currency).string_len(3).not_null())
                // Payouts in 1/10,000 of the currency unit.
                .col(ColumnDef::new(Campaigns::ClickPayout).big_integer().not_null())
                .col(ColumnDef::new(Campaigns::FormPayout).big_integer().not_null())
                .col(ColumnDef::new(Campaigns::CallPayout).big_integer().not_null())
                .col(time(Campaigns::CreatedAt))
                .col(time(Campaigns::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Campaigns::Table, Campaigns::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("campaigns_organization_id_idx")
                .table(Campaigns::Table)
                .col(Campaigns::OrganizationId)
                .col(Campaigns::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Campaigns::Table).to_owned()).await
    }
}
