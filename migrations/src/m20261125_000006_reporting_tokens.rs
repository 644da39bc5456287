use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Scope,
}

/// API keys gain a scope: `LEADS` (send leads, or decide on them: every key so far) or `REPORTS` (a personal access
/// token that only reads reports).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(ColumnDef::new(ApiKeys::Scope).string_len(16).not_null().default("LEADS"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::Scope).to_owned()).await
    }
}
