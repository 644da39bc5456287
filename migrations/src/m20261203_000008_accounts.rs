//! One account, many organizations. An account (`users`) no longer belongs to one organization with one role:
//! what it may see comes from its memberships, read on every request.
//!
//! - `organization_members`: the organization an account owns (role `OWNER`; at most one per account for now).
//!   Filled from the owners of before.
//! - `marketing_partners.user_id` (unchanged): the account is a partner of every organization whose partner record
//!   points at it.
//! - `users` loses `organization_id` and `role`, and gains `name` (a partner's name, copied from its partner record).
//! - `api_keys` belong to the account: `partner_id` goes, `organization_id` becomes an optional limit to one
//!   organization (null: every organization of the account; every key of before, whose account had one).
//!
//! Down goes back to one organization per account: an owner keeps its organization; an account that is only a
//! partner gets the organization of its oldest partner record. Partner records in other organizations stay linked,
//! which the model of before could not express: down is for going back right after an upgrade. A key's limit to one
//! organization does not survive going down and up again (keys of before had none).
//!
//! SQLite cannot drop a column that a foreign key uses, so there `users` is rebuilt inside the migration's
//! transaction; dropping the old table cascades to `refresh_tokens` and unlinks `marketing_partners`, so both are
//! saved first and restored after.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::time;

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
    OrganizationId,
    Email,
    PasswordHash,
    Name,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UsersRebuilt {
    Table,
}

#[derive(DeriveIden)]
enum OrganizationMembers {
    Table,
    OrganizationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    OrganizationId,
    PartnerId,
}

async fn exec(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    m.get_connection().execute_unprepared(sql).await.map(|_| ())
}

fn members_table() -> TableCreateStatement {
    Table::create()
        .table(OrganizationMembers::Table)
        .col(ColumnDef::new(OrganizationMembers::OrganizationId).uuid().not_null())
        .col(ColumnDef::new(OrganizationMembers::UserId).uuid().not_null())
        .col(ColumnDef::new(OrganizationMembers::Role).string_len(16).not_null())
        .col(time(OrganizationMembers::CreatedAt))
        .primary_key(Index::create().col(OrganizationMembers::OrganizationId).col(OrganizationMembers::UserId))
        .foreign_key(
            ForeignKey::create()
                .from(OrganizationMembers::Table, OrganizationMembers::OrganizationId)
                .to(Organizations::Table, Organizations::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(OrganizationMembers::Table, OrganizationMembers::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// `users` as it is after this migration (`old`: as it was before), created under `table`.
fn users_table(table: impl IntoIden, old: bool) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(table).col(ColumnDef::new(Users::Id).uuid().not_null().primary_key());
    if old {
        t.col(ColumnDef::new(Users::OrganizationId).uuid().not_null()).foreign_key(
            ForeignKey::create()
                .from(Users::Table, Users::OrganizationId)
                .to(Organizations::Table, Organizations::Id)
                .on_delete(ForeignKeyAction::Cascade),
        );
    }
    t.col(ColumnDef::new(Users::Email).string_len(254).not_null())
        .col(ColumnDef::new(Users::PasswordHash).string_len(255).not_null());
    if old {
        t.col(ColumnDef::new(Users::Role).string_len(16).not_null());
    } else {
        t.col(ColumnDef::new(Users::Name).string_len(120).null());
    }
    t.col(time(Users::CreatedAt)).col(time(Users::UpdatedAt)).to_owned()
}

/// SQLite: replaces `users` by a table created with `create` (named `users_rebuilt`) and filled by `insert`, keeping
/// the rows that reference users (refresh tokens, partner records' links) as they were.
async fn rebuild_users_on_sqlite(
    m: &SchemaManager<'_>,
    create: TableCreateStatement,
    insert: &str,
) -> Result<(), DbErr> {
    m.create_table(create).await?;
    exec(m, insert).await?;
    exec(m, "CREATE TABLE pd_saved_refresh_tokens AS SELECT * FROM refresh_tokens").await?;
    exec(
        m,
        "CREATE TABLE pd_saved_partner_users AS SELECT id, user_id FROM marketing_partners WHERE user_id IS NOT NULL",
    )
    .await?;
    exec(m, "DROP TABLE users").await?;
    exec(m, "ALTER TABLE users_rebuilt RENAME TO users").await?;
    exec(m, "INSERT INTO refresh_tokens SELECT * FROM pd_saved_refresh_tokens").await?;
    exec(
        m,
        "UPDATE marketing_partners SET user_id = \
         (SELECT s.user_id FROM pd_saved_partner_users s WHERE s.id = marketing_partners.id) \
         WHERE id IN (SELECT id FROM pd_saved_partner_users)",
    )
    .await?;
    exec(m, "DROP TABLE pd_saved_refresh_tokens").await?;
    exec(m, "DROP TABLE pd_saved_partner_users").await?;
    m.create_index(Index::create().name("users_email_key").table(Users::Table).col(Users::Email).unique().to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too: the rebuild of `users` must happen whole or not at all.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = m.get_database_backend() == DbBackend::Sqlite;
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(ColumnDef::new(Users::Name).string_len(120).null())
                .to_owned(),
        )
        .await?;
        exec(
            m,
            "UPDATE users SET name = (SELECT p.name FROM marketing_partners p WHERE p.user_id = users.id \
             AND p.name IS NOT NULL ORDER BY p.created_at LIMIT 1)",
        )
        .await?;
        if sqlite {
            exec(m, "CREATE TABLE pd_saved_owners AS SELECT organization_id, id AS user_id, created_at FROM users WHERE role = 'OWNER'")
                .await?;
            rebuild_users_on_sqlite(
                m,
                users_table(UsersRebuilt::Table, false),
                "INSERT INTO users_rebuilt (id, email, password_hash, name, created_at, updated_at) \
                 SELECT id, email, password_hash, name, created_at, updated_at FROM users",
            )
            .await?;
            m.create_table(members_table()).await?;
            exec(
                m,
                "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                 SELECT organization_id, user_id, 'OWNER', created_at FROM pd_saved_owners",
            )
            .await?;
            exec(m, "DROP TABLE pd_saved_owners").await?;
        } else {
            m.create_table(members_table()).await?;
            exec(
                m,
                "INSERT INTO organization_members (organization_id, user_id, role, created_at) \
                 SELECT organization_id, id, 'OWNER', created_at FROM users WHERE role = 'OWNER'",
            )
            .await?;
            m.drop_index(Index::drop().name("users_organization_idx").table(Users::Table).to_owned()).await?;
            m.alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::OrganizationId)
                    .drop_column(Users::Role)
                    .to_owned(),
            )
            .await?;
        }
        // One owned organization per account until teams let an account choose among several.
        m.create_index(
            Index::create()
                .name("organization_members_user_key")
                .table(OrganizationMembers::Table)
                .col(OrganizationMembers::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("marketing_partners_user_org_idx")
                .table(Alias::new("marketing_partners"))
                .col(Alias::new("user_id"))
                .col(Alias::new("organization_id"))
                .to_owned(),
        )
        .await?;

        // API keys belong to the account; `organization_id` becomes an optional limit (SQLite cannot make a column
        // nullable, so it is dropped and added again).
        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::PartnerId).to_owned()).await?;
        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::OrganizationId).to_owned()).await?;
        m.alter_table(
            Table::alter()
                .table(ApiKeys::Table)
                .add_column(ColumnDef::new(ApiKeys::OrganizationId).uuid().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let sqlite = m.get_database_backend() == DbBackend::Sqlite;
        // An account's organization before: the one it owns, else the one of its oldest partner record.
        let home = "COALESCE((SELECT o.organization_id FROM organization_members o WHERE o.user_id = u.id), \
                    (SELECT p.organization_id FROM marketing_partners p WHERE p.user_id = u.id \
                     ORDER BY p.created_at LIMIT 1))";
        let role = "CASE WHEN EXISTS (SELECT 1 FROM organization_members o WHERE o.user_id = u.id) \
                    THEN 'OWNER' ELSE 'PARTNER' END";

        m.alter_table(Table::alter().table(ApiKeys::Table).drop_column(ApiKeys::OrganizationId).to_owned()).await?;
        for col in [ApiKeys::OrganizationId, ApiKeys::PartnerId] {
            m.alter_table(
                Table::alter().table(ApiKeys::Table).add_column(ColumnDef::new(col).uuid().null()).to_owned(),
            )
            .await?;
        }
        exec(
            m,
            &format!(
                "UPDATE api_keys SET organization_id = (SELECT {home} FROM users u WHERE u.id = api_keys.user_id)"
            ),
        )
        .await?;
        exec(
            m,
            "UPDATE api_keys SET partner_id = (SELECT p.id FROM marketing_partners p WHERE p.user_id = api_keys.user_id \
             AND p.organization_id = api_keys.organization_id) \
             WHERE NOT EXISTS (SELECT 1 FROM organization_members o WHERE o.user_id = api_keys.user_id)",
        )
        .await?;
        exec(m, "DELETE FROM api_keys WHERE organization_id IS NULL").await?;
        m.drop_index(
            Index::drop().name("marketing_partners_user_org_idx").table(Alias::new("marketing_partners")).to_owned(),
        )
        .await?;

        if sqlite {
            rebuild_users_on_sqlite(
                m,
                users_table(UsersRebuilt::Table, true),
                &format!(
                    "INSERT INTO users_rebuilt (id, organization_id, email, password_hash, role, created_at, updated_at) \
                     SELECT u.id, {home}, u.email, u.password_hash, {role}, u.created_at, u.updated_at FROM users u \
                     WHERE {home} IS NOT NULL"
                ),
            )
            .await?;
            // Rebuilding `users` dropped the memberships with it (their foreign key cascades).
            exec(m, "DROP TABLE IF EXISTS organization_members").await?;
        } else {
            m.alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(ColumnDef::new(Users::OrganizationId).uuid().null())
                    .add_column(ColumnDef::new(Users::Role).string_len(16).null())
                    .to_owned(),
            )
            .await?;
            exec(m, &format!("UPDATE users AS u SET organization_id = {home}, role = {role}")).await?;
            exec(m, "DELETE FROM users WHERE organization_id IS NULL").await?;
            exec(m, "ALTER TABLE users ALTER COLUMN organization_id SET NOT NULL, ALTER COLUMN role SET NOT NULL")
                .await?;
            exec(m, "ALTER TABLE api_keys ALTER COLUMN organization_id SET NOT NULL").await?;
            m.create_foreign_key(
                ForeignKey::create()
                    .from(Users::Table, Users::OrganizationId)
                    .to(Organizations::Table, Organizations::Id)
                    .on_delete(ForeignKeyAction::Cascade)
                    .to_owned(),
            )
            .await?;
            m.alter_table(Table::alter().table(Users::Table).drop_column(Users::Name).to_owned()).await?;
            m.drop_table(Table::drop().table(OrganizationMembers::Table).to_owned()).await?;
        }
        m.create_index(
            Index::create().name("users_organization_idx").table(Users::Table).col(Users::OrganizationId).to_owned(),
        )
        .await
    }
}
