//! The store's error type.
//!
//! Invariant: no variant's message or source ever contains the database password, because these
//! errors are logged and may be shown by the CLI. Each variant says which operation failed; the
//! database driver's error is kept as the `source` for logs.

use sea_orm::{DbErr, SqlErr};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no backend we support. The URL itself is left out: it may hold a password.
    #[error("unsupported database URL: expected `sqlite:...` or `postgres://...`")]
    UnsupportedUrl,
    /// The directory for a SQLite database file could not be created.
    #[error("could not create the directory {path} for the SQLite database")]
    CreateDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Opening the connection pool failed (bad URL, unreachable server, bad credentials).
    #[error("could not connect to the {backend} database")]
    Connect {
        backend: &'static str,
        #[source]
        source: DbErr,
    },
    /// Applying the schema migrations failed.
    #[error("could not apply database migrations")]
    Migrate(#[source] DbErr),
    /// A read or write failed; `operation` names it (e.g. "save snapshot: upsert repositories").
    #[error("database operation failed: {operation}")]
    Query {
        operation: &'static str,
        #[source]
        source: DbErr,
    },
    /// A write would duplicate a unique key (e.g. a banner id that is taken); callers can retry
    /// with another key or report a conflict, which they cannot do for a generic `Query` error.
    #[error("already exists: {operation}")]
    Conflict {
        operation: &'static str,
        #[source]
        source: DbErr,
    },
    /// A write referred to a row that does not exist (e.g. a render saved for a banner deleted
    /// meanwhile): an expected race for callers to handle, not a database failure.
    #[error("referenced row does not exist: {operation}")]
    NotFound {
        operation: &'static str,
        #[source]
        source: DbErr,
    },
}

impl StoreError {
    /// Adapter for `map_err` that names the failed operation.
    pub(crate) fn query(operation: &'static str) -> impl FnOnce(DbErr) -> Self {
        move |source| Self::Query { operation, source }
    }

    /// Like [`StoreError::query`], but tells a unique-key violation (`Conflict`) and a missing
    /// foreign-key parent (`NotFound`) apart from other failures, on both backends.
    pub(crate) fn write(operation: &'static str) -> impl FnOnce(DbErr) -> Self {
        move |source| match source.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict { operation, source },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::NotFound { operation, source },
            _ => Self::Query { operation, source },
        }
    }
}
