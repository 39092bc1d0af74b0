//! The store's error type.
//!
//! Invariant: no variant's message or source ever contains the database password, because these
//! errors are logged and may be shown by the CLI. Each variant says which operation failed; the
//! database driver's error is kept as the `source` for logs.

use sea_orm::DbErr;

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
}

impl StoreError {
    /// Adapter for `map_err` that names the failed operation.
    pub(crate) fn query(operation: &'static str) -> impl FnOnce(DbErr) -> Self {
        move |source| Self::Query { operation, source }
    }
}
