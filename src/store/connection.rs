//! Opening, migrating and checking the database connection pool.
//!
//! Invariants: SQLite connections always run with `foreign_keys=ON` (the schema relies on ON DELETE
//! CASCADE); an in-memory SQLite database has exactly one connection that is never recycled (each
//! new connection would see a new, empty database); errors never carry the password from the URL.

use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, TransactionTrait,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode},
};

use super::StoreError;

/// SQLite allows one writer at a time; a few connections still let reads proceed beside a write
/// (WAL mode), and more would only queue on the write lock.
const SQLITE_FILE_POOL_SIZE: u32 = 4;

/// How long a SQLite write waits for another connection's write to finish before failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SqliteMemory,
    SqliteFile,
    Postgres,
}

impl Kind {
    fn backend_name(self) -> &'static str {
        match self {
            Self::SqliteMemory | Self::SqliteFile => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// Opens a connection pool for `database_url` (`sqlite:...` or `postgres://...`).
///
/// SQLite files are created (with their directory) when missing; `sqlite::memory:` gets a single
/// connection. Does not migrate; call [`migrate`] next.
pub async fn connect(database_url: &str) -> Result<DatabaseConnection, StoreError> {
    connect_with_schema(database_url, None).await
}

/// Like [`connect`], and on PostgreSQL sets every pooled connection's `search_path` to `schema`
/// (tests use a fresh schema each; ignored for SQLite, which has no schemas).
pub async fn connect_with_schema(database_url: &str, schema: Option<&str>) -> Result<DatabaseConnection, StoreError> {
    let kind = classify(database_url)?;
    let url = match kind {
        Kind::SqliteFile => prepare_sqlite_file(database_url)?,
        Kind::SqliteMemory | Kind::Postgres => database_url.to_owned(),
    };

    let mut options = ConnectOptions::new(url);
    // sqlx logs every statement at INFO by default, which would drown the service log.
    options.sqlx_logging(false);
    match kind {
        Kind::SqliteMemory => {
            options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .map_sqlx_sqlite_opts(|o| o.foreign_keys(true));
        }
        Kind::SqliteFile => {
            options
                .max_connections(SQLITE_FILE_POOL_SIZE)
                // Connect options apply to every connection the pool opens, not just the first,
                // unlike a one-off `PRAGMA` statement.
                .map_sqlx_sqlite_opts(|o| {
                    o.foreign_keys(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        // 1 MiB of page cache per connection instead of SQLite's 2 MiB: hot data
                        // lives in the service's own caches, so the pages are mostly written once.
                        .pragma("cache_size", "-1024")
                });
        }
        Kind::Postgres => {
            if let Some(schema) = schema {
                options.set_schema_search_path(schema);
            }
        }
    }

    Database::connect(options).await.map_err(|source| StoreError::Connect {
        backend: kind.backend_name(),
        source: redact_password(source, database_url),
    })
}

/// Applies every pending migration from the `migration` crate.
///
/// On PostgreSQL the migrations run in one transaction holding an advisory lock on the schema,
/// so processes started together (compose starts every replica at once) migrate one after the
/// other instead of racing to create the same tables; the later ones find nothing pending.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), StoreError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await.map_err(StoreError::Migrate);
    }
    let txn = db.begin().await.map_err(StoreError::Migrate)?;
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(hashtext('github-banners migrations ' || current_schema()))")
        .await
        .map_err(StoreError::Migrate)?;
    Migrator::up(&txn, None).await.map_err(StoreError::Migrate)?;
    txn.commit().await.map_err(StoreError::Migrate)
}

/// Checks that the database answers (for readiness probes).
pub async fn ping(db: &DatabaseConnection) -> Result<(), StoreError> {
    db.ping().await.map_err(StoreError::query("ping"))
}

fn classify(url: &str) -> Result<Kind, StoreError> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let memory = path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
        Ok(if memory { Kind::SqliteMemory } else { Kind::SqliteFile })
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Kind::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Creates the database file's directory and asks SQLite to create the file (`mode=rwc`) unless
/// the URL already chose a mode (e.g. `mode=ro` for a read-only replica copy).
fn prepare_sqlite_file(url: &str) -> Result<String, StoreError> {
    // sqlx's own parser, so percent-encoded paths resolve exactly as the driver will open them.
    let options: SqliteConnectOptions = url.parse().map_err(|e: sea_orm::sqlx::Error| StoreError::Connect {
        backend: "SQLite",
        source: DbErr::Custom(e.to_string()),
    })?;
    if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let has_mode = url.split_once('?').is_some_and(|(_, query)| query.split('&').any(|pair| pair.starts_with("mode=")));
    Ok(match (has_mode, url.contains('?')) {
        (true, _) => url.to_owned(),
        (false, true) => format!("{url}&mode=rwc"),
        (false, false) => format!("{url}?mode=rwc"),
    })
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_owned(), source })
}

/// sea-orm quotes the whole URL in some connection errors (e.g. "cannot be parsed"); those would
/// put the password into logs, so it is replaced before the error leaves this module.
fn redact_password(err: DbErr, url: &str) -> DbErr {
    match password_in(url) {
        Some(password) if err.to_string().contains(password) => DbErr::Custom(err.to_string().replace(password, "***")),
        _ => err,
    }
}

/// The password as it is spelled in the URL (`scheme://user:PASSWORD@host/...`), if any.
fn password_in(url: &str) -> Option<&str> {
    let (_, after_scheme) = url.split_once("://")?;
    let authority = after_scheme.split(['/', '?', '#']).next()?;
    let (userinfo, _host) = authority.rsplit_once('@')?;
    let (_user, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use migration::SchemaManager;

    use super::*;
    use crate::store::testing::TestDatabase;

    /// Compose starts every process at once, each migrating an empty database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_starting_together_migrate_one_after_the_other() {
        let Some(admin) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else { return };
        let database = TestDatabase::postgres_unmigrated(&admin).await;
        let mut pools = Vec::new();
        for _ in 0..3 {
            pools.push(connect(&database.url).await.unwrap());
        }

        let results = futures_util::future::join_all(pools.iter().map(migrate)).await;

        for result in results {
            result.unwrap();
        }
        let applied = pools[0]
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Postgres,
                "SELECT count(*) FROM seaql_migrations",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            applied.try_get_by_index::<i64>(0).unwrap(),
            Migrator::migrations().len() as i64,
            "each applied once"
        );
    }

    #[test]
    fn classify_recognises_memory_file_and_postgres_urls() {
        let cases = [
            ("sqlite::memory:", Kind::SqliteMemory),
            ("sqlite://:memory:", Kind::SqliteMemory),
            ("sqlite://?mode=memory", Kind::SqliteMemory),
            ("sqlite://data/banners.db", Kind::SqliteFile),
            ("sqlite:banners.db?mode=rwc", Kind::SqliteFile),
            ("postgres://u:p@localhost/db", Kind::Postgres),
            ("postgresql://localhost/db", Kind::Postgres),
        ];
        for (url, want) in cases {
            assert_eq!(classify(url).unwrap(), want, "{url}");
        }
        assert!(matches!(classify("mysql://u:p@h/db"), Err(StoreError::UnsupportedUrl)));
    }

    #[test]
    fn password_is_found_only_in_the_userinfo() {
        assert_eq!(password_in("postgres://u:s3cr@t@host:5432/db"), Some("s3cr@t"));
        assert_eq!(password_in("postgres://u@host/db?x=a:b@c"), None);
        assert_eq!(password_in("postgres://host/db"), None);
        assert_eq!(password_in("sqlite::memory:"), None);
    }

    #[tokio::test]
    async fn connect_error_never_shows_the_password() {
        // An unparseable port makes sea-orm quote the whole URL in its error.
        let err = connect("postgres://user:hunter2secret@127.0.0.1:notaport/db").await.unwrap_err();
        let chain = error_chain(&err);
        assert!(!chain.contains("hunter2secret"), "{chain}");
        assert!(chain.contains("PostgreSQL"), "{chain}");
    }

    #[tokio::test]
    async fn unsupported_url_error_does_not_echo_the_url() {
        let err = connect("mysql://user:hunter2secret@localhost/db").await.unwrap_err();
        assert!(!error_chain(&err).contains("hunter2secret"));
    }

    #[tokio::test]
    async fn sqlite_file_in_a_missing_directory_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/banners.db");
        let db = connect(&format!("sqlite://{}", path.display())).await.unwrap();
        ping(&db).await.unwrap();
        assert!(path.exists());
    }

    #[tokio::test]
    async fn migrations_roll_back_completely_and_apply_again() {
        for t in TestDatabase::all().await {
            let tables = [
                "github_users",
                "repositories",
                "repository_languages",
                "banners",
                "banner_renders",
                "event_outbox",
                "refresh_schedule",
            ];

            Migrator::down(&t.db, None).await.unwrap();
            let manager = SchemaManager::new(&t.db);
            for table in tables {
                assert!(!manager.has_table(table).await.unwrap(), "{}: {table} left after down", t.label);
            }

            migrate(&t.db).await.unwrap();
            for table in tables {
                assert!(manager.has_table(table).await.unwrap(), "{}: {table} missing after up", t.label);
            }
        }
    }

    fn error_chain(err: &dyn std::error::Error) -> String {
        let mut out = err.to_string();
        let mut source = err.source();
        while let Some(e) = source {
            out.push_str(": ");
            out.push_str(&e.to_string());
            source = e.source();
        }
        out
    }
}
