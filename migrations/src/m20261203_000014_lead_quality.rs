use sea_orm_migration::prelude::*;

use crate::{time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    LeadFields,
    UnknownFields,
    PhoneCountry,
    DuplicateRule,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    DuplicateRule,
}

#[derive(DeriveIden)]
enum LeadFingerprints {
    Table,
    RuleId,
    ScopeId,
    Field,
    ValueHash,
    LeadId,
    PartnerId,
    CreatedAt,
    ExpiresAt,
}

/// Lead quality: a campaign's declared fields (JSON; none: free-form as before), what to do with undeclared ones,
/// the country national phone numbers are read in, and duplicate rules (JSON, on a campaign or on the organization).
/// `lead_fingerprints` is the duplicate claim: one row per rule, scope, field and keyed hash of the normalised value
/// while its window lasts, taken in the lead's own statement.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(Campaigns::LeadFields).text().null().to_owned(),
            ColumnDef::new(Campaigns::UnknownFields).string_len(8).not_null().default("KEEP").to_owned(),
            ColumnDef::new(Campaigns::PhoneCountry).string_len(2).not_null().default("US").to_owned(),
            ColumnDef::new(Campaigns::DuplicateRule).text().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Campaigns::Table).add_column(column).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(ColumnDef::new(Organizations::DuplicateRule).text().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LeadFingerprints::Table)
                .col(ColumnDef::new(LeadFingerprints::RuleId).uuid().not_null())
                .col(ColumnDef::new(LeadFingerprints::ScopeId).uuid().not_null())
                .col(ColumnDef::new(LeadFingerprints::Field).string_len(64).not_null())
                .col(ColumnDef::new(LeadFingerprints::ValueHash).string_len(64).not_null())
                .col(ColumnDef::new(LeadFingerprints::LeadId).uuid().not_null())
                .col(ColumnDef::new(LeadFingerprints::PartnerId).uuid().not_null())
                .col(time(LeadFingerprints::CreatedAt))
                .col(time_null(LeadFingerprints::ExpiresAt))
                .primary_key(
                    Index::create()
                        .col(LeadFingerprints::RuleId)
                        .col(LeadFingerprints::ScopeId)
                        .col(LeadFingerprints::Field)
                        .col(LeadFingerprints::ValueHash),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("lead_fingerprints_expires_idx")
                .table(LeadFingerprints::Table)
                .col(LeadFingerprints::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LeadFingerprints::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Organizations::Table).drop_column(Organizations::DuplicateRule).to_owned())
            .await?;
        for column in
            [Campaigns::DuplicateRule, Campaigns::PhoneCountry, Campaigns::UnknownFields, Campaigns::LeadFields]
        {
            m.alter_table(Table::alter().table(Campaigns::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
