//! The transactional outbox: events written in the same transaction as the state change they
//! describe, read back by the relay that publishes them.
//!
//! Invariants:
//! - An event row commits with its state change or not at all: the stores call [`enqueue`] inside
//!   their write transaction, so a broker outage delays events and a failed write emits none.
//! - The row id is the event id: the payload's `id` is the row's id as a string (the row is
//!   inserted first, then its payload is written with the id the database gave it), so consumers
//!   can drop duplicates by id.
//! - Rows are published in id order. Ids are handed out at insert time, not at commit, so on
//!   PostgreSQL a row can become visible after a higher id that committed first; the stores write
//!   an event only after locking the row it describes, so the events of one banner or one user's
//!   stats still commit in id order.
//! - A payload that does not decode (edited by hand, written by a newer build) is marked sent by
//!   [`OutboxStore::pending`] with a warning, so one bad row cannot block the queue forever.
//! - There is no claiming between relays: two relays reading the same pending rows publish them
//!   twice. That is harmless (delivery is at least once and consumers drop duplicate ids); one
//!   relay per deployment is the intended setup.
//! - Timestamps come from the service's clock, never the database's, so SQLite's text timestamps
//!   share one format and compare in time order.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, sea_query::Expr,
};

use super::{MAX_PAGE_SIZE, StoreError, entities::event_outbox};
use crate::events::{Event, EventKind};

/// The origin of events written by stores built with `new` (a single-process deployment).
pub const DEFAULT_ORIGIN: &str = "local";

/// Ids per `mark_sent` statement, far below both backends' bind-parameter limits.
const CHUNK_IDS: usize = 500;

/// Reads and settles the outbox; cheap to clone (the connection is a pool handle).
#[derive(Clone)]
pub struct OutboxStore {
    db: DatabaseConnection,
}

impl OutboxStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Up to `limit` (at most [`MAX_PAGE_SIZE`]) unsent events in id order, with their row ids.
    ///
    /// Rows whose payload is not an event this build understands are marked sent (and logged at
    /// WARN) instead of being returned, so they cannot hold back the rows after them; the result
    /// may then be shorter than `limit` although more rows are pending.
    pub async fn pending(&self, limit: u64) -> Result<Vec<(i64, Event)>, StoreError> {
        pending_on(&self.db, limit).await
    }

    /// Marks the events `ids` as published. Ids already sent or unknown are ignored.
    pub async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        mark_sent_on(&self.db, ids).await
    }

    /// Starts a relay round: on PostgreSQL a transaction holding the outbox's advisory lock, so
    /// one relay publishes at a time (and in order) however many processes run one; None when
    /// another relay holds it. SQLite serves one process, which runs one relay.
    pub async fn begin_round(&self) -> Result<Option<RelayRound>, StoreError> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(Some(RelayRound { txn: None, db: self.db.clone() }));
        }
        let txn = self.db.begin().await.map_err(StoreError::query("relay round: begin"))?;
        let locked = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_xact_lock(hashtext('github-banners outbox ' || current_schema()))",
            ))
            .await
            .map_err(StoreError::query("relay round: lock"))?
            .and_then(|row| row.try_get_by_index::<bool>(0).ok())
            .unwrap_or(false);
        if !locked {
            txn.rollback().await.map_err(StoreError::query("relay round: end"))?;
            return Ok(None);
        }
        Ok(Some(RelayRound { txn: Some(txn), db: self.db.clone() }))
    }
    /// How many events wait to be published (for metrics and readiness).
    pub async fn count_pending(&self) -> Result<u64, StoreError> {
        use event_outbox::Column as C;

        event_outbox::Entity::find()
            .filter(C::SentAt.is_null())
            .count(&self.db)
            .await
            .map_err(StoreError::query("count pending events"))
    }

    /// When the oldest event still waiting was written; None when none waits.
    pub async fn oldest_pending(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        use event_outbox::Column as C;

        let oldest = event_outbox::Entity::find()
            .filter(C::SentAt.is_null())
            .order_by_asc(C::Id)
            .one(&self.db)
            .await
            .map_err(StoreError::query("oldest pending event"))?;
        Ok(oldest.map(|row| row.created_at))
    }

    /// Deletes events published before `older_than`; returns how many. Pending events are kept
    /// whatever their age.
    pub async fn purge_sent(&self, older_than: DateTime<Utc>) -> Result<u64, StoreError> {
        use event_outbox::Column as C;

        let deleted = event_outbox::Entity::delete_many()
            .filter(C::SentAt.is_not_null())
            .filter(C::SentAt.lt(older_than))
            .exec(&self.db)
            .await
            .map_err(StoreError::query("purge sent events"))?;
        Ok(deleted.rows_affected)
    }
}

/// Writes `kind` as a pending event inside `txn`, the caller's write transaction, and returns its
/// id. The payload's event id is the row id.
/// A relay round's hold on the outbox (see `OutboxStore::begin_round`).
pub struct RelayRound {
    /// PostgreSQL: the transaction holding the lock; reads and marks go through it.
    txn: Option<DatabaseTransaction>,
    db: DatabaseConnection,
}

impl RelayRound {
    /// Up to `limit` unsent events in id order (see `OutboxStore::pending`).
    pub async fn pending(&self, limit: u64) -> Result<Vec<(i64, Event)>, StoreError> {
        match &self.txn {
            Some(txn) => pending_on(txn, limit).await,
            None => pending_on(&self.db, limit).await,
        }
    }

    /// Marks `sent` and ends the round (releasing the lock).
    pub async fn finish(self, sent: &[i64]) -> Result<(), StoreError> {
        match self.txn {
            Some(txn) => {
                mark_sent_on(&txn, sent).await?;
                txn.commit().await.map_err(StoreError::query("relay round: commit"))
            }
            None => mark_sent_on(&self.db, sent).await,
        }
    }
}

async fn pending_on(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<(i64, Event)>, StoreError> {
    use event_outbox::Column as C;

    let limit = limit.min(MAX_PAGE_SIZE);
    if limit == 0 {
        return Ok(Vec::new());
    }
    loop {
        let rows: Vec<(i64, String)> = event_outbox::Entity::find()
            .select_only()
            .columns([C::Id, C::Payload])
            .filter(C::SentAt.is_null())
            .order_by_asc(C::Id)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await
            .map_err(StoreError::query("read pending events"))?;
        let full = rows.len() as u64 == limit;

        let mut events = Vec::with_capacity(rows.len());
        let mut undecodable = Vec::new();
        for (id, payload) in rows {
            match Event::from_json(payload.as_bytes()) {
                Ok(event) => events.push((id, event)),
                Err(error) => {
                    tracing::warn!(outbox_id = id, %error, "skipping an undecodable outbox event (marked sent)");
                    undecodable.push(id);
                }
            }
        }
        if undecodable.is_empty() {
            return Ok(events);
        }
        mark_sent_on(db, &undecodable).await?;
        // A page of nothing but bad rows would look like an empty queue to the relay; each
        // round marks at least one row, so this ends.
        if !events.is_empty() || !full {
            return Ok(events);
        }
    }
}

async fn mark_sent_on(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), StoreError> {
    use event_outbox::Column as C;

    let now = Utc::now();
    for chunk in ids.chunks(CHUNK_IDS) {
        event_outbox::Entity::update_many()
            .col_expr(C::SentAt, Expr::value(now))
            .filter(C::Id.is_in(chunk.iter().copied()))
            // Keeps the first publication time when a relay marks a row twice.
            .filter(C::SentAt.is_null())
            .exec(db)
            .await
            .map_err(StoreError::query("mark events sent"))?;
    }
    Ok(())
}

pub(super) async fn enqueue(
    txn: &DatabaseTransaction,
    origin: &str,
    kind: EventKind,
    operation: &'static str,
) -> Result<i64, StoreError> {
    use event_outbox::Column as C;

    let mut event = Event::new(String::new(), origin.to_owned(), kind);
    let row = event_outbox::ActiveModel {
        event_key: Set(event.key()),
        // Replaced below, once the database has chosen the id the payload must carry.
        payload: Set(String::new()),
        origin: Set(origin.to_owned()),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
        ..Default::default()
    };
    // A plain INSERT: RETURNING on PostgreSQL, last_insert_rowid() on SQLite; both are exact here.
    let id = event_outbox::Entity::insert(row).exec(txn).await.map_err(StoreError::query(operation))?.last_insert_id;

    event.id = id.to_string();
    let payload = serde_json::to_string(&event)
        .map_err(|e| StoreError::Query { operation, source: DbErr::Json(e.to_string()) })?;
    event_outbox::Entity::update_many()
        .col_expr(C::Payload, Expr::value(payload))
        .filter(C::Id.eq(id))
        .exec(txn)
        .await
        .map_err(StoreError::query(operation))?;
    Ok(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration;
    use sea_orm::TransactionTrait;

    use super::*;
    use crate::store::{testing::TestDatabase, tx::write_options};

    fn deleted(n: u32) -> EventKind {
        EventKind::BannerDeleted { banner_id: format!("b{n}"), login: "OctoCat".into() }
    }

    async fn enqueue_committed(db: &DatabaseConnection, kind: EventKind) -> i64 {
        let txn = db.begin_with_options(write_options(db.get_database_backend())).await.unwrap();
        let id = enqueue(&txn, "replica-a", kind, "test: enqueue").await.unwrap();
        txn.commit().await.unwrap();
        id
    }

    async fn insert_raw(db: &DatabaseConnection, payload: &str) -> i64 {
        let row = event_outbox::ActiveModel {
            event_key: Set("octocat".into()),
            payload: Set(payload.into()),
            origin: Set("elsewhere".into()),
            created_at: Set(Utc::now()),
            sent_at: Set(None),
            ..Default::default()
        };
        event_outbox::Entity::insert(row).exec(db).await.unwrap().last_insert_id
    }

    #[tokio::test]
    async fn pending_returns_unsent_events_in_id_order_with_the_row_id_as_event_id() {
        for t in TestDatabase::all().await {
            let outbox = OutboxStore::new(t.db.clone());
            let mut ids = Vec::new();
            for n in 0..5 {
                ids.push(enqueue_committed(&t.db, deleted(n)).await);
            }

            let first = outbox.pending(3).await.unwrap();
            outbox.mark_sent(&first.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await.unwrap();
            let rest = outbox.pending(100).await.unwrap();

            let got: Vec<i64> = first.iter().chain(&rest).map(|(id, _)| *id).collect();
            assert_eq!(got, ids, "{}", t.label);
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{}: {ids:?}", t.label);
            for (n, (id, event)) in first.iter().chain(&rest).enumerate() {
                assert_eq!(event.id, id.to_string(), "{}", t.label);
                assert_eq!(event.origin, "replica-a", "{}", t.label);
                assert_eq!(event.kind, deleted(n as u32), "{}", t.label);
            }
            assert_eq!(outbox.count_pending().await.unwrap(), 2, "{}", t.label);
            outbox.mark_sent(&ids).await.unwrap();
            assert_eq!(outbox.count_pending().await.unwrap(), 0, "{}", t.label);
            assert!(outbox.pending(10).await.unwrap().is_empty(), "{}", t.label);
            assert!(outbox.pending(0).await.unwrap().is_empty(), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn the_event_key_column_is_the_lowercase_login() {
        for t in TestDatabase::all().await {
            let id = enqueue_committed(&t.db, deleted(1)).await;

            let row = event_outbox::Entity::find_by_id(id).one(&t.db).await.unwrap().unwrap();

            assert_eq!(row.event_key, "octocat", "{}", t.label);
            assert_eq!(row.origin, "replica-a", "{}", t.label);
            assert_eq!(row.sent_at, None, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn undecodable_payloads_are_marked_sent_and_do_not_block_the_queue() {
        for t in TestDatabase::all().await {
            let outbox = OutboxStore::new(t.db.clone());
            let good1 = enqueue_committed(&t.db, deleted(1)).await;
            let bad1 = insert_raw(&t.db, "not json").await;
            let bad2 = insert_raw(&t.db, r#"{"version":99,"id":"x","origin":"o","kind":"banner_deleted"}"#).await;
            let good2 = enqueue_committed(&t.db, deleted(2)).await;

            let got: Vec<i64> = outbox.pending(10).await.unwrap().into_iter().map(|(id, _)| id).collect();

            assert_eq!(got, [good1, good2], "{}", t.label);
            for bad in [bad1, bad2] {
                let row = event_outbox::Entity::find_by_id(bad).one(&t.db).await.unwrap().unwrap();
                assert!(row.sent_at.is_some(), "{}: bad row {bad} still pending", t.label);
            }
            assert_eq!(outbox.count_pending().await.unwrap(), 2, "{}", t.label);
        }
    }

    #[tokio::test]
    async fn a_page_of_only_bad_rows_does_not_hide_the_good_ones_behind_it() {
        for t in TestDatabase::all().await {
            let outbox = OutboxStore::new(t.db.clone());
            for _ in 0..3 {
                insert_raw(&t.db, "{}").await;
            }
            let good = enqueue_committed(&t.db, deleted(7)).await;

            let got: Vec<i64> = outbox.pending(2).await.unwrap().into_iter().map(|(id, _)| id).collect();

            assert_eq!(got, [good], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn purge_sent_deletes_only_events_sent_before_the_cutoff() {
        for t in TestDatabase::all().await {
            let outbox = OutboxStore::new(t.db.clone());
            let sent = enqueue_committed(&t.db, deleted(1)).await;
            let pending = enqueue_committed(&t.db, deleted(2)).await;
            outbox.mark_sent(&[sent]).await.unwrap();

            assert_eq!(outbox.purge_sent(Utc::now() - Duration::hours(1)).await.unwrap(), 0, "{}", t.label);
            assert_eq!(outbox.purge_sent(Utc::now() + Duration::seconds(1)).await.unwrap(), 1, "{}", t.label);

            let left: Vec<i64> = event_outbox::Entity::find().all(&t.db).await.unwrap().iter().map(|r| r.id).collect();
            assert_eq!(left, [pending], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn an_event_rolled_back_with_its_transaction_is_never_pending() {
        for t in TestDatabase::all().await {
            let outbox = OutboxStore::new(t.db.clone());
            let txn = t.db.begin_with_options(write_options(t.db.get_database_backend())).await.unwrap();
            enqueue(&txn, "replica-a", deleted(1), "test: enqueue").await.unwrap();
            txn.rollback().await.unwrap();

            assert_eq!(outbox.count_pending().await.unwrap(), 0, "{}", t.label);
        }
    }
}
