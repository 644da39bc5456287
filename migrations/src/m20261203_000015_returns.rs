use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DailyStats {
    Table,
    Returned,
}

#[derive(DeriveIden)]
enum CampaignStats {
    Table,
    Returned,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    ReturnWindowDays,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    ReturnReasons,
}

#[derive(DeriveIden)]
enum Leads {
    Table,
    ReasonCode,
}

/// Returns: an approved or converted lead found bad is returned within its campaign's window, with a reason code from
/// the organization's list (JSON; none: the defaults), and its payout reversed. The rollups count returned leads.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let add = |table: DynIden, column: ColumnDef| Table::alter().table(table).add_column(column).to_owned();
        for statement in [
            add(
                DailyStats::Table.into_iden(),
                ColumnDef::new(DailyStats::Returned).big_integer().not_null().default(0).to_owned(),
            ),
            add(
                CampaignStats::Table.into_iden(),
                ColumnDef::new(CampaignStats::Returned).big_integer().not_null().default(0).to_owned(),
            ),
            add(
                Campaigns::Table.into_iden(),
                ColumnDef::new(Campaigns::ReturnWindowDays).integer().not_null().default(30).to_owned(),
            ),
            add(
                Organizations::Table.into_iden(),
                ColumnDef::new(Organizations::ReturnReasons).text().null().to_owned(),
            ),
            add(Leads::Table.into_iden(), ColumnDef::new(Leads::ReasonCode).string_len(32).null().to_owned()),
        ] {
            m.alter_table(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let drop = |table: DynIden, column: DynIden| Table::alter().table(table).drop_column(column).to_owned();
        for statement in [
            drop(Leads::Table.into_iden(), Leads::ReasonCode.into_iden()),
            drop(Organizations::Table.into_iden(), Organizations::ReturnReasons.into_iden()),
            drop(Campaigns::Table.into_iden(), Campaigns::ReturnWindowDays.into_iden()),
            drop(CampaignStats::Table.into_iden(), CampaignStats::Returned.into_iden()),
            drop(DailyStats::Table.into_iden(), DailyStats::Returned.into_iden()),
        ] {
            m.alter_table(statement).await?;
        }
        Ok(())
    }
}
