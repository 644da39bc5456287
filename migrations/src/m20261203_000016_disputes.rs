use sea_orm_migration::prelude::*;

use crate::{time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LeadDisputes {
    Table,
    LeadId,
    OrganizationId,
    PartnerId,
    DisputedStatus,
    Message,
    OpenedBy,
    OpenedAt,
    Status,
    Reply,
    AnsweredBy,
    AnsweredAt,
}

/// A partner's dispute of a rejection or a return, once per lead, and the owner's answer.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LeadDisputes::Table)
                .col(ColumnDef::new(LeadDisputes::LeadId).uuid().not_null().primary_key())
                .col(ColumnDef::new(LeadDisputes::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(LeadDisputes::PartnerId).uuid().not_null())
                .col(ColumnDef::new(LeadDisputes::DisputedStatus).string_len(16).not_null())
                .col(ColumnDef::new(LeadDisputes::Message).string_len(2000).not_null())
                .col(ColumnDef::new(LeadDisputes::OpenedBy).uuid().not_null())
                .col(time(LeadDisputes::OpenedAt))
                .col(ColumnDef::new(LeadDisputes::Status).string_len(16).not_null())
                .col(ColumnDef::new(LeadDisputes::Reply).string_len(2000).null())
                .col(ColumnDef::new(LeadDisputes::AnsweredBy).uuid().null())
                .col(time_null(LeadDisputes::AnsweredAt))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("lead_disputes_organization_idx", LeadDisputes::OrganizationId),
            ("lead_disputes_partner_idx", LeadDisputes::PartnerId),
        ] {
            m.create_index(
                Index::create().name(name).table(LeadDisputes::Table).col(col).col(LeadDisputes::Status).to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LeadDisputes::Table).to_owned()).await
    }
}
