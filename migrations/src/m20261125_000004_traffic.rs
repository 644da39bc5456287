use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::{id, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CampaignAssignments {
    Table,
    TrackingCode,
    ClickPayout,
    FormPayout,
    CallPayout,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    PartnerId,
    UserId,
    Name,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Clicks {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    PartnerId,
    AssignmentId,
    Counted,
    Reason,
    Payout,
    Sub1,
    Sub2,
    Sub3,
    Sub4,
    Sub5,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    Id,
    OrganizationId,
    CampaignId,
    PartnerId,
    AssignmentId,
    Kind,
    Status,
    Reason,
    ExternalId,
    ClickId,
    Sub1,
    Sub2,
    Sub3,
    Sub4,
    Sub5,
    Fields,
    CallerNumber,
    DurationSeconds,
    Payout,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LeadHistory {
    Table,
    Id,
    LeadId,
    FromStatus,
    ToStatus,
    Reason,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CapCounters {
    Table,
    AssignmentId,
    Metric,
    Period,
    WindowKey,
    Used,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    ApiKeyId,
    IdempotencyKey,
    RequestHash,
    ResponseStatus,
    ResponseBody,
    CreatedAt,
}

fn subs<T: IntoIden>(t: &mut TableCreateStatement, cols: [T; 5]) {
    for c in cols {
        t.col(ColumnDef::new(c).string_len(255).null());
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Per-partner payout overrides (1/10,000 units; null: the campaign's) and the tracking link's code.
        for col in [CampaignAssignments::ClickPayout, CampaignAssignments::FormPayout, CampaignAssignments::CallPayout]
        {
            m.alter_table(
                Table::alter()
                    .table(CampaignAssignments::Table)
                    .add_column(ColumnDef::new(col).big_integer().null())
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(CampaignAssignments::Table)
                .add_column(ColumnDef::new(CampaignAssignments::TrackingCode).string_len(32).null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = db.get_database_backend();
        for row in db.query_all_raw(Statement::from_string(backend, "SELECT id FROM campaign_assignments")).await? {
            let id: uuid::Uuid = row.try_get_by_index(0)?;
            let code = uuid::Uuid::new_v4().simple().to_string();
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE campaign_assignments SET tracking_code = $1 WHERE id = $2",
                [code.into(), id.into()],
            ))
            .await?;
        }
        m.create_index(
            Index::create()
                .name("campaign_assignments_tracking_code_key")
                .table(CampaignAssignments::Table)
                .col(CampaignAssignments::TrackingCode)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(id(ApiKeys::Id))
                .col(ColumnDef::new(ApiKeys::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::PartnerId).uuid().null())
                .col(ColumnDef::new(ApiKeys::UserId).uuid().not_null())
                .col(ColumnDef::new(ApiKeys::Name).string_len(120).not_null())
                .col(ColumnDef::new(ApiKeys::Prefix).string_len(16).not_null())
                .col(ColumnDef::new(ApiKeys::KeyHash).string_len(64).not_null())
                .col(time(ApiKeys::CreatedAt))
                .col(time_null(ApiKeys::LastUsedAt))
                .col(time_null(ApiKeys::RevokedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("api_keys_hash_key").table(ApiKeys::Table).col(ApiKeys::KeyHash).unique().to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("api_keys_user_idx").table(ApiKeys::Table).col(ApiKeys::UserId).to_owned())
            .await?;

        let mut clicks = Table::create()
            .table(Clicks::Table)
            .col(id(Clicks::Id))
            .col(ColumnDef::new(Clicks::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(Clicks::CampaignId).uuid().not_null())
            .col(ColumnDef::new(Clicks::PartnerId).uuid().not_null())
            .col(ColumnDef::new(Clicks::AssignmentId).uuid().not_null())
            .col(ColumnDef::new(Clicks::Counted).boolean().not_null())
            .col(ColumnDef::new(Clicks::Reason).string_len(32).null())
            .col(ColumnDef::new(Clicks::Payout).big_integer().not_null())
            .col(time(Clicks::CreatedAt))
            .to_owned();
        subs(&mut clicks, [Clicks::Sub1, Clicks::Sub2, Clicks::Sub3, Clicks::Sub4, Clicks::Sub5]);
        m.create_table(clicks).await?;
        m.create_index(
            Index::create()
                .name("clicks_assignment_idx")
                .table(Clicks::Table)
                .col(Clicks::AssignmentId)
                .col(Clicks::Id)
                .to_owned(),
        )
        .await?;

        let mut leads = Table::create()
            .table(Leads::Table)
            .col(id(Leads::Id))
            .col(ColumnDef::new(Leads::OrganizationId).uuid().not_null())
            .col(ColumnDef::new(Leads::CampaignId).uuid().not_null())
            .col(ColumnDef::new(Leads::PartnerId).uuid().not_null())
            .col(ColumnDef::new(Leads::AssignmentId).uuid().not_null())
            .col(ColumnDef::new(Leads::Kind).string_len(8).not_null())
            .col(ColumnDef::new(Leads::Status).string_len(16).not_null())
            .col(ColumnDef::new(Leads::Reason).string_len(500).null())
            .col(ColumnDef::new(Leads::ExternalId).string_len(255).null())
            .col(ColumnDef::new(Leads::ClickId).uuid().null())
            .col(ColumnDef::new(Leads::Fields).text().not_null())
            .col(ColumnDef::new(Leads::CallerNumber).string_len(32).null())
            .col(ColumnDef::new(Leads::DurationSeconds).integer().null())
            .col(ColumnDef::new(Leads::Payout).big_integer().not_null())
            .col(time(Leads::CreatedAt))
            .col(time(Leads::UpdatedAt))
            .to_owned();
        subs(&mut leads, [Leads::Sub1, Leads::Sub2, Leads::Sub3, Leads::Sub4, Leads::Sub5]);
        m.create_table(leads).await?;
        m.create_index(
            Index::create()
                .name("leads_campaign_idx")
                .table(Leads::Table)
                .col(Leads::CampaignId)
                .col(Leads::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("leads_partner_idx")
                .table(Leads::Table)
                .col(Leads::PartnerId)
                .col(Leads::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LeadHistory::Table)
                .col(id(LeadHistory::Id))
                .col(ColumnDef::new(LeadHistory::LeadId).uuid().not_null())
                .col(ColumnDef::new(LeadHistory::FromStatus).string_len(16).null())
                .col(ColumnDef::new(LeadHistory::ToStatus).string_len(16).not_null())
                .col(ColumnDef::new(LeadHistory::Reason).string_len(500).null())
                .col(ColumnDef::new(LeadHistory::UserId).uuid().null())
                .col(time(LeadHistory::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LeadHistory::Table, LeadHistory::LeadId)
                        .to(Leads::Table, Leads::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("lead_history_lead_idx").table(LeadHistory::Table).col(LeadHistory::LeadId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CapCounters::Table)
                .col(ColumnDef::new(CapCounters::AssignmentId).uuid().not_null())
                .col(ColumnDef::new(CapCounters::Metric).string_len(8).not_null())
                .col(ColumnDef::new(CapCounters::Period).string_len(8).not_null())
                .col(ColumnDef::new(CapCounters::WindowKey).string_len(16).not_null())
                .col(ColumnDef::new(CapCounters::Used).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(CapCounters::AssignmentId)
                        .col(CapCounters::Metric)
                        .col(CapCounters::Period)
                        .col(CapCounters::WindowKey),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(ColumnDef::new(IdempotencyKeys::ApiKeyId).uuid().not_null())
                .col(ColumnDef::new(IdempotencyKeys::IdempotencyKey).string_len(255).not_null())
                .col(ColumnDef::new(IdempotencyKeys::RequestHash).string_len(64).not_null())
                .col(ColumnDef::new(IdempotencyKeys::ResponseStatus).integer().not_null())
                .col(ColumnDef::new(IdempotencyKeys::ResponseBody).text().not_null())
                .col(time(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::ApiKeyId).col(IdempotencyKeys::IdempotencyKey))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_keys_created_idx")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            IdempotencyKeys::Table.into_iden(),
            CapCounters::Table.into_iden(),
            LeadHistory::Table.into_iden(),
            Leads::Table.into_iden(),
            Clicks::Table.into_iden(),
            ApiKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.drop_index(
            Index::drop().name("campaign_assignments_tracking_code_key").table(CampaignAssignments::Table).to_owned(),
        )
        .await?;
        for col in [
            CampaignAssignments::TrackingCode,
            CampaignAssignments::ClickPayout,
            CampaignAssignments::FormPayout,
            CampaignAssignments::CallPayout,
        ] {
            m.alter_table(Table::alter().table(CampaignAssignments::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
