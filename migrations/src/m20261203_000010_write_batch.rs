use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL only: `pd_guard(n, id)` returns `n`, or raises SQLSTATE `PD001` with message `id` when `n` is 0. A
/// batch of writes sent as one statement (`partnerdesk_services::db::Batch`) calls it on each guarded write's row
/// count, so that a cap found full undoes the whole statement. SQLite runs a batch as a transaction and needs none.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "CREATE OR REPLACE FUNCTION pd_guard(n bigint, id text) RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$ \
                 BEGIN \
                   IF n = 0 THEN RAISE EXCEPTION USING ERRCODE = 'PD001', MESSAGE = id; END IF; \
                   RETURN n; \
                 END $$",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS pd_guard(bigint, text)").await?;
        }
        Ok(())
    }
}
