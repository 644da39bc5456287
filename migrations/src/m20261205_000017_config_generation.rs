use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables whose rows decide how a lead is taken: its assignment, campaign, organization, partner record and caps.
const DECIDING: [&str; 5] = ["campaign_assignments", "campaigns", "organizations", "marketing_partners", "caps"];

/// `config_generation`: one counter, moved on by the database itself (triggers) in every transaction that changes a
/// table deciding how a lead is taken, or revokes or deletes an API key. A process may keep what it read of those
/// tables (`leads::SenderCache`) as long as the counter has not moved: a lead's one statement checks it first and is
/// refused as stale otherwise, so no process acts on what another has changed, and nothing need tell it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE TABLE config_generation (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL)",
        )
        .await?;
        db.execute_unprepared("INSERT INTO config_generation (id, n) VALUES (1, 0)").await?;
        if m.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE FUNCTION pd_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN UPDATE config_generation SET n = n + 1; RETURN NULL; END $$",
            )
            .await?;
            for table in DECIDING {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER pd_config_changed AFTER INSERT OR UPDATE OR DELETE ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION pd_config_changed()"
                ))
                .await?;
            }
            // A key's every request updates its rate window: only a revocation or a deletion counts.
            db.execute_unprepared(
                "CREATE TRIGGER pd_config_changed AFTER UPDATE OF revoked_at OR DELETE ON api_keys \
                 FOR EACH STATEMENT EXECUTE FUNCTION pd_config_changed()",
            )
            .await?;
        } else {
            let bump = "BEGIN UPDATE config_generation SET n = n + 1; END";
            for table in DECIDING {
                for op in ["INSERT", "UPDATE", "DELETE"] {
                    let name = format!("pd_config_{table}_{}", op.to_lowercase());
                    db.execute_unprepared(&format!("CREATE TRIGGER {name} AFTER {op} ON {table} {bump}")).await?;
                }
            }
            db.execute_unprepared(&format!(
                "CREATE TRIGGER pd_config_api_keys_revoke AFTER UPDATE OF revoked_at ON api_keys {bump}"
            ))
            .await?;
            db.execute_unprepared(&format!("CREATE TRIGGER pd_config_api_keys_delete AFTER DELETE ON api_keys {bump}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Postgres {
            for table in DECIDING.iter().chain(&["api_keys"]) {
                db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS pd_config_changed ON {table}")).await?;
            }
            db.execute_unprepared("DROP FUNCTION IF EXISTS pd_config_changed()").await?;
        } else {
            for table in DECIDING {
                for op in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS pd_config_{table}_{op}")).await?;
                }
            }
            db.execute_unprepared("DROP TRIGGER IF EXISTS pd_config_api_keys_revoke").await?;
            db.execute_unprepared("DROP TRIGGER IF EXISTS pd_config_api_keys_delete").await?;
        }
        db.execute_unprepared("DROP TABLE config_generation").await?;
        Ok(())
    }
}
