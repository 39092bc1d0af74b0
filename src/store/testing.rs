//! Databases for tests, the one helper of the store's unit tests and the integration tests: a
//! migrated SQLite file in a fresh temporary directory (or in memory), or, when
//! `TEST_DATABASE_URL` is set, a fresh migrated PostgreSQL schema.
//!
//! Invariant: every [`TestDatabase`] is private to one test and removed when dropped — the
//! directory with the SQLite file, or the schema (after ending the sessions tagged with its name,
//! which a test cut off mid-transaction may have left holding locks). Not part of the service.

use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{StoreError, connect, migrate};

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

pub struct TestDatabase {
    /// Which backend, for assertion messages.
    pub label: &'static str,
    /// What a pool (or the service's DATABASE_URL) opens: on PostgreSQL it carries the schema as
    /// `search_path` and tags sessions with the schema's name.
    pub url: String,
    /// The schema, on PostgreSQL.
    pub schema: Option<String>,
    /// A pool on it, migrated (unless made by [`Self::postgres_unmigrated`]).
    pub db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(PathBuf),
    Schema {
        admin_url: String,
        schema: String,
    },
    /// In-memory SQLite: gone with its one pool.
    Nothing,
}

impl TestDatabase {
    /// PostgreSQL when `TEST_DATABASE_URL` is set, else a SQLite file.
    pub async fn from_env() -> Self {
        match admin_url() {
            Some(admin) => Self::postgres(&admin).await,
            None => Self::sqlite().await,
        }
    }

    /// SQLite always, plus PostgreSQL when configured.
    pub async fn all() -> Vec<Self> {
        let mut all = vec![Self::sqlite().await];
        if let Some(admin) = admin_url() {
            all.push(Self::postgres(&admin).await);
        }
        all
    }

    /// A SQLite file in a fresh temporary directory.
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("github-banners-test-{}", unique()));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        Self::open("sqlite", url, None, Cleanup::Directory(dir), true).await
    }

    /// SQLite in memory: one pool only (see [`Self::another_pool`]).
    pub async fn sqlite_memory() -> Self {
        Self::open("sqlite-memory", "sqlite::memory:".to_owned(), None, Cleanup::Nothing, true).await
    }

    /// A fresh schema on the PostgreSQL server at `admin_url`.
    pub async fn postgres(admin_url: &str) -> Self {
        Self::new_schema(admin_url, true).await
    }

    /// [`Self::postgres`] without migrations, for tests of migrating.
    pub async fn postgres_unmigrated(admin_url: &str) -> Self {
        Self::new_schema(admin_url, false).await
    }

    async fn new_schema(admin_url: &str, migrated: bool) -> Self {
        let schema = format!("t_{}", unique());
        let admin = connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create a test schema");
        admin.close().await.expect("close the admin connection");
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}");
        let cleanup = Cleanup::Schema { admin_url: admin_url.to_owned(), schema: schema.clone() };
        Self::open("postgres", url, Some(schema), cleanup, migrated).await
    }

    async fn open(label: &'static str, url: String, schema: Option<String>, cleanup: Cleanup, migrated: bool) -> Self {
        let db = connect(&url).await.expect("connect to the test database");
        if migrated {
            migrate(&db).await.expect("migrate the test database");
        }
        Self { label, url, schema, db, cleanup }
    }

    /// A second pool on the same database, sharing nothing with `db` but the data: for tests of
    /// writers in separate processes. Panics for in-memory SQLite, which one pool cannot share.
    pub async fn another_pool(&self) -> DatabaseConnection {
        assert!(!matches!(self.cleanup, Cleanup::Nothing), "an in-memory SQLite database cannot have a second pool");
        connect(&self.url).await.expect("open a second pool")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin_url, schema } => {
                let (admin_url, schema) = (admin_url.clone(), schema.clone());
                // Drop cannot await, and blocking inside the test's runtime would panic; a
                // throwaway runtime on its own thread can.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                    rt.block_on(drop_schema(&admin_url, &schema)).map_err(std::io::Error::other)
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("warning: could not drop test schema {}: {dropped:?}", self.url);
                }
            }
        }
    }
}

fn admin_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL).ok().filter(|u| !u.is_empty())
}

async fn drop_schema(admin_url: &str, schema: &str) -> Result<(), StoreError> {
    let admin = connect(admin_url).await?;
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
    );
    admin.execute_unprepared(&terminate).await.map_err(StoreError::query("end test sessions"))?;
    admin
        .execute_unprepared(&format!("SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
        .map_err(StoreError::query("drop test schema"))?;
    admin.close().await.map_err(StoreError::query("close admin connection"))
}

/// 16 hex digits: `RandomState` is seeded randomly per call, and the clock separates runs, so
/// parallel tests and repeated runs never share a name.
fn unique() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}
