use sea_orm_migration::prelude::*;

use crate::{id, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MarketingPartners {
    Table,
    Id,
    OrganizationId,
    Email,
    Name,
    UserId,
    Status,
    RegisteredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CampaignAssignments {
    Table,
    Id,
    OrganizationId,
    PartnerId,
    CampaignId,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Caps {
    Table,
    Id,
    AssignmentId,
    Metric,
    Period,
    LimitCount,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganizationId,
    PartnerId,
    InvitedBy,
    TokenHash,
    TokenVersion,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    SendCount,
    LastSentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Id,
    OrganizationId,
    PartnerId,
    InvitationId,
    Kind,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

fn fk(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(MarketingPartners::Table)
                .col(id(MarketingPartners::Id))
                .col(ColumnDef::new(MarketingPartners::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(MarketingPartners::Email).string_len(254).not_null())
                .col(ColumnDef::new(MarketingPartners::Name).string_len(120).null())
                .col(ColumnDef::new(MarketingPartners::UserId).uuid().null())
                .col(ColumnDef::new(MarketingPartners::Status).string_len(16).not_null())
                .col(time_null(MarketingPartners::RegisteredAt))
                .col(time(MarketingPartners::CreatedAt))
                .col(time(MarketingPartners::UpdatedAt))
                .foreign_key(&mut fk(
                    (MarketingPartners::Table, MarketingPartners::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(MarketingPartners::Table, MarketingPartners::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("marketing_partners_org_email_key")
                .table(MarketingPartners::Table)
                .col(MarketingPartners::OrganizationId)
                .col(MarketingPartners::Email)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("marketing_partners_user_idx")
                .table(MarketingPartners::Table)
                .col(MarketingPartners::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CampaignAssignments::Table)
                .col(id(CampaignAssignments::Id))
                .col(ColumnDef::new(CampaignAssignments::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(CampaignAssignments::PartnerId).uuid().not_null())
                .col(ColumnDef::new(CampaignAssignments::CampaignId).uuid().not_null())
                .col(ColumnDef::new(CampaignAssignments::Status).string_len(16).not_null())
                .col(time(CampaignAssignments::CreatedAt))
                .col(time(CampaignAssignments::UpdatedAt))
                .foreign_key(&mut fk(
                    (CampaignAssignments::Table, CampaignAssignments::PartnerId),
                    (MarketingPartners::Table, MarketingPartners::Id),
                ))
                .foreign_key(&mut fk(
                    (CampaignAssignments::Table, CampaignAssignments::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("campaign_assignments_partner_campaign_key")
                .table(CampaignAssignments::Table)
                .col(CampaignAssignments::PartnerId)
                .col(CampaignAssignments::CampaignId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("campaign_assignments_campaign_idx")
                .table(CampaignAssignments::Table)
                .col(CampaignAssignments::CampaignId)
                .col(CampaignAssignments::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Caps::Table)
                .col(id(Caps::Id))
                .col(ColumnDef::new(Caps::AssignmentId).uuid().not_null())
                .col(ColumnDef::new(Caps::Metric).string_len(8).not_null())
                .col(ColumnDef::new(Caps::Period).string_len(8).not_null())
                .col(ColumnDef::new(Caps::LimitCount).big_integer().not_null())
                .foreign_key(&mut fk(
                    (Caps::Table, Caps::AssignmentId),
                    (CampaignAssignments::Table, CampaignAssignments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("caps_assignment_metric_period_key")
                .table(Caps::Table)
                .col(Caps::AssignmentId)
                .col(Caps::Metric)
                .col(Caps::Period)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(id(Invitations::Id))
                .col(ColumnDef::new(Invitations::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(Invitations::PartnerId).uuid().not_null())
                .col(ColumnDef::new(Invitations::InvitedBy).uuid().not_null())
                .col(ColumnDef::new(Invitations::TokenHash).string_len(64).not_null())
                .col(ColumnDef::new(Invitations::TokenVersion).integer().not_null())
                .col(time(Invitations::ExpiresAt))
                .col(time_null(Invitations::AcceptedAt))
                .col(time_null(Invitations::RevokedAt))
                .col(ColumnDef::new(Invitations::SendCount).integer().not_null())
                .col(time(Invitations::LastSentAt))
                .col(time(Invitations::CreatedAt))
                .foreign_key(&mut fk(
                    (Invitations::Table, Invitations::PartnerId),
                    (MarketingPartners::Table, MarketingPartners::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invitations_token_hash_key")
                .table(Invitations::Table)
                .col(Invitations::TokenHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("invitations_partner_idx")
                .table(Invitations::Table)
                .col(Invitations::PartnerId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EmailOutbox::Table)
                .col(id(EmailOutbox::Id))
                .col(ColumnDef::new(EmailOutbox::OrganizationId).uuid().not_null())
                .col(ColumnDef::new(EmailOutbox::PartnerId).uuid().null())
                .col(ColumnDef::new(EmailOutbox::InvitationId).uuid().null())
                .col(ColumnDef::new(EmailOutbox::Kind).string_len(16).not_null())
                .col(ColumnDef::new(EmailOutbox::ToAddress).string_len(254).not_null())
                .col(ColumnDef::new(EmailOutbox::Subject).string_len(255).not_null())
                .col(ColumnDef::new(EmailOutbox::TextBody).text().not_null())
                .col(ColumnDef::new(EmailOutbox::HtmlBody).text().not_null())
                .col(ColumnDef::new(EmailOutbox::Status).string_len(16).not_null())
                .col(ColumnDef::new(EmailOutbox::Attempts).integer().not_null())
                .col(time(EmailOutbox::NextAttemptAt))
                .col(time_null(EmailOutbox::LockedUntil))
                .col(ColumnDef::new(EmailOutbox::LastError).string_len(1000).null())
                .col(time(EmailOutbox::CreatedAt))
                .col(time_null(EmailOutbox::SentAt))
                .foreign_key(&mut fk(
                    (EmailOutbox::Table, EmailOutbox::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("email_outbox_due_idx")
                .table(EmailOutbox::Table)
                .col(EmailOutbox::Status)
                .col(EmailOutbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("email_outbox_partner_idx")
                .table(EmailOutbox::Table)
                .col(EmailOutbox::PartnerId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            EmailOutbox::Table.into_iden(),
            Invitations::Table.into_iden(),
            Caps::Table.into_iden(),
            CampaignAssignments::Table.into_iden(),
            MarketingPartners::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
