//! Test databases for the store's tests: a migrated SQLite temp file always, and a migrated fresh
//! PostgreSQL schema when `TEST_DATABASE_URL` is set.
//!
//! Invariant: every `TestDb` is private to one test and removed when dropped — the temp directory
//! with it, the PostgreSQL schema by a `DROP SCHEMA ... CASCADE` that also runs when the test panics.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
    time::{SystemTime, UNIX_EPOCH},
};

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::{StoreError, connect, connect_with_schema, migrate};

pub(crate) struct TestDb {
    /// Which backend, for assertion messages.
    pub(crate) label: &'static str,
    pub(crate) db: DatabaseConnection,
    /// The URL `db` was opened with, for [`TestDb::another_pool`]; `None` for in-memory SQLite.
    url: Option<String>,
    /// Held so the SQLite file lives exactly as long as the test.
    _dir: Option<tempfile::TempDir>,
    /// Held so the PostgreSQL schema lives exactly as long as the test.
    _schema: Option<SchemaGuard>,
}

impl TestDb {
    /// One migrated database per configured backend: SQLite, plus PostgreSQL if configured.
    pub(crate) async fn all() -> Vec<TestDb> {
        let mut dbs = vec![Self::sqlite_file().await];
        if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            dbs.push(Self::postgres(&url).await);
        }
        dbs
    }

    pub(crate) async fn sqlite_file() -> TestDb {
        let dir = tempfile::tempdir().expect("create temp dir");
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let db = connect(&url).await.expect("connect to SQLite temp file");
        migrate(&db).await.expect("migrate SQLite");
        TestDb { label: "sqlite-file", db, url: Some(url), _dir: Some(dir), _schema: None }
    }

    pub(crate) async fn sqlite_memory() -> TestDb {
        let db = connect("sqlite::memory:").await.expect("connect to in-memory SQLite");
        migrate(&db).await.expect("migrate in-memory SQLite");
        TestDb { label: "sqlite-memory", db, url: None, _dir: None, _schema: None }
    }

    async fn postgres(admin_url: &str) -> TestDb {
        let schema = random_schema_name();
        let admin = connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create test schema");
        admin.close().await.expect("close admin connection");
        // Created before anything else can fail, so the schema is dropped on every path.
        let guard = SchemaGuard { admin_url: admin_url.to_owned(), schema };

        // Tagged with the schema name so the guard can find and end this pool's sessions.
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}application_name={}", guard.schema);
        let db = connect_with_schema(&url, Some(&guard.schema)).await.expect("connect to test schema");
        migrate(&db).await.expect("migrate PostgreSQL schema");
        TestDb { label: "postgres", db, url: Some(url), _dir: None, _schema: Some(guard) }
    }

    /// A second pool on the same database, sharing nothing with `db` but the data: for tests of
    /// writers in separate processes. Panics for in-memory SQLite, which one pool cannot share.
    pub(crate) async fn another_pool(&self) -> DatabaseConnection {
        let url = self.url.as_deref().expect("an in-memory SQLite database cannot have a second pool");
        let schema = self._schema.as_ref().map(|guard| guard.schema.as_str());
        connect_with_schema(url, schema).await.expect("open a second pool")
    }
}

struct SchemaGuard {
    admin_url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (admin_url, schema) = (self.admin_url.clone(), self.schema.clone());
        // Drop cannot await, and blocking inside the test's runtime would panic; a throwaway
        // runtime on its own thread can.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(drop_schema(&admin_url, &schema)).map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop test schema {}: {dropped:?}", self.schema);
        }
    }
}

async fn drop_schema(admin_url: &str, schema: &str) -> Result<(), StoreError> {
    let admin = connect(admin_url).await?;
    // The test's own pool cannot finish its work (its runtime is blocked waiting for us), and a
    // session it left mid-transaction would make DROP SCHEMA wait forever.
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
    );
    admin.execute_unprepared(&terminate).await.map_err(StoreError::query("end test sessions"))?;
    admin
        .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        .await
        .map_err(StoreError::query("drop test schema"))?;
    admin.close().await.map_err(StoreError::query("close admin connection"))
}

/// `t_` + 16 hex digits: `RandomState` is seeded randomly per process and per call, and the clock
/// separates runs, so parallel tests and repeated runs never share a schema.
fn random_schema_name() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    hasher.write_u128(nanos);
    format!("t_{:016x}", hasher.finish())
}
