//! Transactions the way every store module opens them, and the user lookup most of them start
//! with.

use sea_orm::{
    AccessMode, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, IsolationLevel,
    QueryFilter, QuerySelect, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use super::{StoreError, entities::github_user};

pub(crate) fn write_options(backend: DbBackend) -> TransactionOptions {
    match backend {
        // Take the write lock at BEGIN: a deferred transaction that reads first and writes later
        // fails with SQLITE_BUSY instead of waiting when another connection writes meanwhile.
        DbBackend::Sqlite => TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    }
}

pub(crate) fn read_options(backend: DbBackend) -> TransactionOptions {
    match backend {
        // READ COMMITTED takes a new snapshot per statement, so the three reads of `load` could
        // straddle a concurrent save. (A SQLite read transaction is a snapshot already, and
        // sea-orm only warns if asked for an isolation level there.)
        DbBackend::Postgres => TransactionOptions {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            access_mode: Some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        },
        _ => TransactionOptions::default(),
    }
}

/// A transaction that will write: IMMEDIATE on SQLite (see `write_options`).
pub(crate) async fn begin_write(
    db: &DatabaseConnection,
    operation: &'static str,
) -> Result<DatabaseTransaction, StoreError> {
    db.begin_with_options(write_options(db.get_database_backend())).await.map_err(StoreError::query(operation))
}

/// A transaction that only reads, as one snapshot (see `read_options`).
pub(crate) async fn begin_read(
    db: &DatabaseConnection,
    operation: &'static str,
) -> Result<DatabaseTransaction, StoreError> {
    db.begin_with_options(read_options(db.get_database_backend())).await.map_err(StoreError::query(operation))
}

/// Ends a transaction explicitly, also one that only read: a dropped transaction's ROLLBACK is
/// sent later by a task the pool spawns, and until then the session sits "idle in transaction"
/// holding its locks.
pub(crate) async fn finish(txn: DatabaseTransaction, operation: &'static str) -> Result<(), StoreError> {
    txn.commit().await.map_err(StoreError::query(operation))
}

/// The stored user row's id for a lowercase login, or None.
pub(crate) async fn user_id(
    txn: &DatabaseTransaction,
    login_key: &str,
    operation: &'static str,
) -> Result<Option<i64>, StoreError> {
    github_user::Entity::find()
        .select_only()
        .column(github_user::Column::Id)
        .filter(github_user::Column::LoginKey.eq(login_key))
        .into_tuple()
        .one(txn)
        .await
        .map_err(StoreError::query(operation))
}
