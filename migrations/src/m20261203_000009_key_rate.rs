use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    RateWindowStartedAt,
    RateWindowRequests,
}

/// API keys and reporting tokens count their requests per minute (`KEY_RATE_LIMIT`): the window's start and the
/// requests in it, on the key's own row, so every server process counts against the same figure. New nullable or
/// defaulted columns: processes of the version before keep working during a rolling upgrade.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(ColumnDef::new(ApiKeys::RateWindowStartedAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(ColumnDef::new(ApiKeys::RateWindowRequests).integer().not_null().default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::RateWindowRequests).to_owned()).await?;
        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::RateWindowStartedAt).to_owned()).await
    }
}
