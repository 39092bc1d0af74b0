//! View counts: batches added to what is stored, so any number of replicas add up.
//!
//! Invariant: a batch is one upsert per chunk that adds to the stored count in the database
//! (`views = view_counts.views + excluded.views`), never a read-modify-write, so concurrent
//! batches from two replicas cannot lose each other's views.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::StoreError;
use super::entities::view_count;
use crate::domain::ViewSubject;

/// Rows per statement: well under SQLite's 32,766 bound parameters (4 per row).
const CHUNK_ROWS: usize = 1000;

/// Views of one subject since the last batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewBatchRow {
    pub subject: ViewSubject,
    /// A lowercase login or a banner id.
    pub key: String,
    pub views: u64,
    pub last_viewed_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct ViewStore {
    db: DatabaseConnection,
}

impl ViewStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Adds a batch to the stored counts.
    pub async fn add(&self, batch: &[ViewBatchRow]) -> Result<(), StoreError> {
        use view_count::Column as C;
        let rows: Vec<view_count::ActiveModel> = batch
            .iter()
            .map(|row| view_count::ActiveModel {
                subject: Set(row.subject.as_str().to_owned()),
                subject_key: Set(row.key.clone()),
                views: Set(i64::try_from(row.views).unwrap_or(i64::MAX)),
                last_viewed_at: Set(row.last_viewed_at),
            })
            .collect();
        let excluded = |column: C| Expr::col((Alias::new("excluded"), column));
        let on_conflict = OnConflict::columns([C::Subject, C::SubjectKey])
            .value(C::Views, Expr::col((view_count::Entity, C::Views)).add(excluded(C::Views)))
            .value(C::LastViewedAt, excluded(C::LastViewedAt))
            .to_owned();
        for chunk in rows.chunks(CHUNK_ROWS) {
            view_count::Entity::insert_many(chunk.to_vec())
                .on_conflict(on_conflict.clone())
                .exec_without_returning(&self.db)
                .await
                .map_err(StoreError::query("add view counts"))?;
        }
        Ok(())
    }

    /// The stored counts of `keys` (absent: never viewed).
    pub async fn counts(&self, subject: ViewSubject, keys: &[String]) -> Result<HashMap<String, i64>, StoreError> {
        use view_count::Column as C;
        let mut counts = HashMap::new();
        for chunk in keys.chunks(CHUNK_ROWS) {
            let rows = view_count::Entity::find()
                .filter(C::Subject.eq(subject.as_str()))
                .filter(C::SubjectKey.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await
                .map_err(StoreError::query("read view counts"))?;
            counts.extend(rows.into_iter().map(|row| (row.subject_key, row.views)));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::TestDatabase;

    fn row(subject: ViewSubject, key: &str, views: u64) -> ViewBatchRow {
        ViewBatchRow { subject, key: key.to_owned(), views, last_viewed_at: Utc::now() }
    }

    #[tokio::test]
    async fn batches_from_two_pools_add_up_per_subject_and_key() {
        for t in TestDatabase::all().await {
            let (a, b) = (ViewStore::new(t.db.clone()), ViewStore::new(t.another_pool().await));
            a.add(&[row(ViewSubject::User, "octocat", 3), row(ViewSubject::Banner, "octocat", 1)]).await.unwrap();
            b.add(&[row(ViewSubject::User, "octocat", 4), row(ViewSubject::User, "torvalds", 2)]).await.unwrap();

            let keys = ["octocat".to_owned(), "torvalds".to_owned(), "nobody".to_owned()];
            let users = a.counts(ViewSubject::User, &keys).await.unwrap();
            let banners = b.counts(ViewSubject::Banner, &keys).await.unwrap();

            assert_eq!((users["octocat"], users["torvalds"], users.get("nobody")), (7, 2, None), "{}", t.label);
            assert_eq!((banners["octocat"], banners.len()), (1, 1), "{}", t.label);
        }
    }
}
