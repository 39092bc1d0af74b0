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

use super::{connect, connect_with_schema, migrate};

pub(crate) struct TestDb {
    /// Which backend, for assertion messages.
    pub(crate) label: &'static str,
    pub(crate) db: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    TempDir(#[allow(dead_code)] tempfile::TempDir),
    Schema { admin_url: String, schema: String },
    Nothing,
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
        TestDb { label: "sqlite-file", db, cleanup: Cleanup::TempDir(dir) }
    }

    pub(crate) async fn sqlite_memory() -> TestDb {
        let db = connect("sqlite::memory:").await.expect("connect to in-memory SQLite");
        migrate(&db).await.expect("migrate in-memory SQLite");
        TestDb { label: "sqlite-memory", db, cleanup: Cleanup::Nothing }
    }

    async fn postgres(admin_url: &str) -> TestDb {
        let schema = random_schema_name();
        let admin = connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE SCHEMA \"{schema}\"")).await.expect("create test schema");
        admin.close().await.expect("close admin connection");
        // Registered before anything else can fail, so the schema is dropped on every path.
        let cleanup = Cleanup::Schema { admin_url: admin_url.to_owned(), schema: schema.clone() };
        let db = connect_with_schema(admin_url, Some(&schema)).await.expect("connect to test schema");
        let test_db = TestDb { label: "postgres", db, cleanup };
        migrate(&test_db.db).await.expect("migrate PostgreSQL schema");
        test_db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Schema { admin_url, schema } = &self.cleanup else { return };
        let (admin_url, schema) = (admin_url.clone(), schema.clone());
        // Drop cannot await, and blocking inside the test's runtime would panic; a throwaway
        // runtime on its own thread can.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            rt.block_on(async {
                let admin = connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await
                    .map_err(super::StoreError::query("drop test schema"))?;
                admin.close().await.map_err(super::StoreError::query("close"))
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: could not drop a test schema: {dropped:?}");
        }
    }
}

/// `t_` + 16 hex digits: `RandomState` is seeded randomly per process and per call, and the clock
/// separates runs, so parallel tests and repeated runs never share a schema.
fn random_schema_name() -> String {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    hasher.write_u128(nanos);
    format!("t_{:016x}", hasher.finish())
}
