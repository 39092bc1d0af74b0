//! The store's unit tests' databases: a migrated connection on each configured backend (see
//! [`super::testing`], which the integration tests share).

use sea_orm::DatabaseConnection;

use super::testing::TestDatabase;
use super::{connect, migrate};

pub(crate) struct TestDb {
    /// Which backend, for assertion messages.
    pub(crate) label: &'static str,
    pub(crate) db: DatabaseConnection,
    /// Held so the database lives exactly as long as the test (`None` for in-memory SQLite).
    database: Option<TestDatabase>,
}

impl TestDb {
    /// One migrated database per configured backend: SQLite, plus PostgreSQL if configured.
    pub(crate) async fn all() -> Vec<TestDb> {
        let mut dbs = Vec::new();
        for database in TestDatabase::all().await {
            dbs.push(Self::open(database).await);
        }
        dbs
    }

    pub(crate) async fn sqlite_file() -> TestDb {
        Self::open(TestDatabase::sqlite()).await
    }

    pub(crate) async fn sqlite_memory() -> TestDb {
        let db = connect("sqlite::memory:").await.expect("connect to in-memory SQLite");
        migrate(&db).await.expect("migrate in-memory SQLite");
        TestDb { label: "sqlite-memory", db, database: None }
    }

    async fn open(database: TestDatabase) -> TestDb {
        let db = connect(&database.url).await.expect("connect to the test database");
        migrate(&db).await.expect("migrate the test database");
        TestDb { label: database.label, db, database: Some(database) }
    }

    /// A second pool on the same database, sharing nothing with `db` but the data: for tests of
    /// writers in separate processes. Panics for in-memory SQLite, which one pool cannot share.
    pub(crate) async fn another_pool(&self) -> DatabaseConnection {
        let database = self.database.as_ref().expect("an in-memory SQLite database cannot have a second pool");
        connect(&database.url).await.expect("open a second pool")
    }
}
