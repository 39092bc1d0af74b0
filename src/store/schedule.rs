//! The background-refresh schedule: which users are due for a refresh, and leases that let several
//! workers split the due users without refreshing one twice.
//!
//! Invariants:
//! - One row per user, keyed by the lowercase login; `login` keeps the spelling to fetch.
//! - A row is claimable when `due_at <= now` and it is not leased (`leased_until` is NULL or
//!   past). `claim_due` selects and leases in one transaction: on PostgreSQL the select is `FOR
//!   UPDATE SKIP LOCKED`, so concurrent workers skip each other's rows instead of waiting for them
//!   or claiming them twice; on SQLite the transaction is IMMEDIATE, so claims run one at a time.
//! - A worker that dies mid-refresh loses nothing: its lease runs out and the row is claimable
//!   again. `complete` and `release` do not check who holds the lease; a worker that outlived its
//!   lease may settle a row another worker has claimed since, which costs one extra refresh.
//! - "Now" is the service's clock, never the database's (SQLite's `CURRENT_TIMESTAMP` has another
//!   text format and would compare wrongly); workers on several machines need synchronised clocks,
//!   to well within a lease.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, LockBehavior, LockType, OnConflict},
};

use super::{MAX_PAGE_SIZE, StoreError, entities::refresh_schedule, tx};

/// Rows per multi-row statement, far below both backends' bind-parameter limits.
const CHUNK_ROWS: usize = 500;

/// When each user's stats are next refreshed; cheap to clone (the connection is a pool handle).
#[derive(Clone)]
pub struct RefreshSchedule {
    db: DatabaseConnection,
}

impl RefreshSchedule {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Schedules the `logins` not scheduled yet (compared case-insensitively), due at `due_at`;
    /// returns how many were added. Users already scheduled keep their due time and lease.
    pub async fn ensure(&self, logins: &[String], due_at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.upsert(logins.iter().map(|l| (l.as_str(), None)), due_at, false, "schedule refreshes").await
    }

    /// Records that these users' cards were viewed (login, when), scheduling the ones not
    /// scheduled yet at `due_at`; a scheduled user keeps its due time and lease.
    pub async fn record_views(
        &self,
        views: &[(String, DateTime<Utc>)],
        due_at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        self.upsert(views.iter().map(|(l, at)| (l.as_str(), Some(*at))), due_at, true, "record views").await
    }

    async fn upsert<'a>(
        &self,
        rows: impl Iterator<Item = (&'a str, Option<DateTime<Utc>>)>,
        due_at: DateTime<Utc>,
        update_viewed: bool,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        use refresh_schedule::Column as C;

        let mut seen = HashSet::new();
        let rows: Vec<refresh_schedule::ActiveModel> = rows
            .filter(|(login, _)| seen.insert(login.to_ascii_lowercase()))
            .map(|(login, viewed)| refresh_schedule::ActiveModel {
                login_key: Set(login.to_ascii_lowercase()),
                login: Set(login.to_owned()),
                due_at: Set(due_at),
                leased_until: Set(None),
                leased_by: Set(None),
                last_refreshed_at: Set(None),
                last_viewed_at: Set(viewed),
            })
            .collect();
        let on_conflict = if update_viewed {
            OnConflict::column(C::LoginKey).update_column(C::LastViewedAt).to_owned()
        } else {
            OnConflict::column(C::LoginKey).do_nothing().to_owned()
        };
        let mut written = 0;
        for chunk in rows.chunks(CHUNK_ROWS) {
            written += refresh_schedule::Entity::insert_many(chunk.to_vec())
                .on_conflict(on_conflict.clone())
                .exec_without_returning(&self.db)
                .await
                .map_err(StoreError::query(operation))?;
        }
        Ok(written)
    }

    /// Leases up to `limit` (at most [`MAX_PAGE_SIZE`]) users due at `now`, unleased, to `worker`
    /// for `lease`, earliest due first, and returns their logins. No two concurrent calls return
    /// the same user while its lease runs.
    pub async fn claim_due(
        &self,
        worker: &str,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        use refresh_schedule::Column as C;

        const OPERATION: &str = "claim due refreshes";
        let limit = limit.min(MAX_PAGE_SIZE);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let leased_until =
            chrono::TimeDelta::from_std(lease).ok().and_then(|lease| now.checked_add_signed(lease)).ok_or_else(
                || StoreError::Query { operation: OPERATION, source: DbErr::Custom("lease too long".into()) },
            )?;

        let backend = self.db.get_database_backend();
        let txn = tx::begin_write(&self.db, "claim due refreshes: begin transaction").await?;
        let mut due = refresh_schedule::Entity::find()
            .select_only()
            .columns([C::LoginKey, C::Login])
            .filter(C::DueAt.lte(now))
            .filter(Condition::any().add(C::LeasedUntil.is_null()).add(C::LeasedUntil.lt(now)))
            .order_by_asc(C::DueAt)
            .order_by_asc(C::LoginKey)
            .limit(limit);
        if backend == DbBackend::Postgres {
            // Rows another worker is claiming right now are skipped, not waited for; the lock is
            // held until the lease below commits, after which they no longer match.
            due = due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let due: Vec<(String, String)> =
            due.into_tuple().all(&txn).await.map_err(StoreError::query("claim due refreshes: select"))?;

        if !due.is_empty() {
            refresh_schedule::Entity::update_many()
                .col_expr(C::LeasedUntil, Expr::value(leased_until))
                .col_expr(C::LeasedBy, Expr::value(worker))
                // At most MAX_PAGE_SIZE keys: one statement stays under the bind limits.
                .filter(C::LoginKey.is_in(due.iter().map(|(key, _)| key.as_str())))
                .exec(&txn)
                .await
                .map_err(StoreError::query("claim due refreshes: lease"))?;
        }
        tx::finish(txn, "claim due refreshes: commit").await?;
        Ok(due.into_iter().map(|(_, login)| login).collect())
    }

    /// Records a successful refresh of `login` at `now`: clears the lease, sets
    /// `last_refreshed_at` and makes it due again at `next_due`. A login that is not scheduled
    /// is left alone.
    pub async fn complete(&self, login: &str, next_due: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.settle(login, next_due, Some(now), "complete refresh").await
    }

    /// Gives `login` back after a failed refresh: clears the lease and makes it due again at
    /// `retry_at`. A login that is not scheduled is left alone.
    pub async fn release(&self, login: &str, retry_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.settle(login, retry_at, None, "release refresh").await
    }

    /// Unschedules `login` (GitHub no longer knows it, or the instance no longer shows it).
    pub async fn remove(&self, login: &str) -> Result<(), StoreError> {
        refresh_schedule::Entity::delete_by_id(login.to_ascii_lowercase())
            .exec(&self.db)
            .await
            .map_err(StoreError::query("unschedule refresh"))?;
        Ok(())
    }

    /// Unschedules every user that is neither in `keep` (banner owners; compared
    /// case-insensitively) nor viewed at or after `viewed_since`; returns how many.
    pub async fn prune(&self, keep: &[String], viewed_since: DateTime<Utc>) -> Result<u64, StoreError> {
        use refresh_schedule::Column as C;

        // Compared in Rust: `NOT IN (...keep...)` would need one parameter per kept login.
        let keep: HashSet<String> = keep.iter().map(|l| l.to_ascii_lowercase()).collect();
        let scheduled: Vec<(String, Option<DateTime<Utc>>)> = refresh_schedule::Entity::find()
            .select_only()
            .columns([C::LoginKey, C::LastViewedAt])
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::query("unschedule refreshes: list"))?;
        let gone: Vec<String> = scheduled
            .into_iter()
            .filter(|(key, viewed)| !keep.contains(key) && viewed.is_none_or(|at| at < viewed_since))
            .map(|(key, _)| key)
            .collect();

        let mut removed = 0;
        for chunk in gone.chunks(CHUNK_ROWS) {
            removed += refresh_schedule::Entity::delete_many()
                .filter(C::LoginKey.is_in(chunk.iter().map(String::as_str)))
                .exec(&self.db)
                .await
                .map_err(StoreError::query("unschedule refreshes: delete"))?
                .rows_affected;
        }
        Ok(removed)
    }

    async fn settle(
        &self,
        login: &str,
        due_at: DateTime<Utc>,
        refreshed_at: Option<DateTime<Utc>>,
        operation: &'static str,
    ) -> Result<(), StoreError> {
        use refresh_schedule::Column as C;

        let mut changes = refresh_schedule::ActiveModel {
            due_at: Set(due_at),
            leased_until: Set(None),
            leased_by: Set(None),
            ..Default::default()
        };
        if let Some(at) = refreshed_at {
            changes.last_refreshed_at = Set(Some(at));
        }
        refresh_schedule::Entity::update_many()
            .set(changes)
            .filter(C::LoginKey.eq(login.to_ascii_lowercase()))
            .exec(&self.db)
            .await
            .map_err(StoreError::query(operation))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::HashMap;

    use chrono::{SubsecRound, TimeDelta};

    use super::*;
    use crate::store::test_support::TestDb;

    const LONG: Duration = Duration::from_secs(600);

    async fn row(db: &DatabaseConnection, key: &str) -> refresh_schedule::Model {
        refresh_schedule::Entity::find_by_id(key.to_owned()).one(db).await.unwrap().unwrap()
    }

    /// A time PostgreSQL stores exactly (it keeps microseconds; SQLite keeps what it is given).
    fn in_micros(t: DateTime<Utc>) -> DateTime<Utc> {
        t.trunc_subsecs(6)
    }

    fn logins(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[tokio::test]
    async fn ensure_adds_only_new_logins_whatever_the_letter_case() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());

            assert_eq!(
                schedule.ensure(&logins(&["OctoCat", "alice", "ALICE"]), Utc::now()).await.unwrap(),
                2,
                "{}",
                t.label
            );
            assert_eq!(schedule.ensure(&logins(&["octocat", "bob"]), Utc::now()).await.unwrap(), 1, "{}", t.label);
            assert_eq!(schedule.ensure(&[], Utc::now()).await.unwrap(), 0, "{}", t.label);

            let octocat = row(&t.db, "octocat").await;
            assert_eq!(octocat.login, "OctoCat", "{}: the first spelling is kept", t.label);
            assert!(octocat.due_at <= Utc::now(), "{}: new users are due now", t.label);
            assert_eq!((octocat.leased_until, octocat.leased_by), (None, None), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn ensure_does_not_reset_a_scheduled_user() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
            let later = in_micros(Utc::now() + TimeDelta::hours(6));
            schedule.complete("alice", later, Utc::now()).await.unwrap();

            schedule.ensure(&logins(&["Alice"]), Utc::now()).await.unwrap();

            let alice = row(&t.db, "alice").await;
            assert_eq!((alice.login.as_str(), alice.due_at), ("alice", later), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn claim_due_leases_earliest_due_first_and_skips_leased_and_future_rows() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            schedule.ensure(&logins(&["a", "b", "c", "d"]), Utc::now()).await.unwrap();
            let now = Utc::now();
            schedule.release("a", now - TimeDelta::minutes(1)).await.unwrap();
            schedule.release("b", now - TimeDelta::minutes(3)).await.unwrap();
            schedule.release("c", now - TimeDelta::minutes(2)).await.unwrap();
            schedule.release("d", now + TimeDelta::hours(1)).await.unwrap();

            let first = schedule.claim_due("w1", 2, LONG, Utc::now()).await.unwrap();
            let second = schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap();
            let third = schedule.claim_due("w3", 10, LONG, Utc::now()).await.unwrap();

            assert_eq!(first, ["b", "c"], "{}", t.label);
            assert_eq!(second, ["a"], "{}", t.label);
            assert!(third.is_empty(), "{}", t.label);
            let b = row(&t.db, "b").await;
            assert_eq!(b.leased_by.as_deref(), Some("w1"), "{}", t.label);
            assert!(b.leased_until.unwrap() > Utc::now() + TimeDelta::minutes(9), "{}", t.label);
            assert!(schedule.claim_due("w1", 0, LONG, Utc::now()).await.unwrap().is_empty(), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn an_expired_lease_can_be_claimed_again() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            schedule.ensure(&logins(&["OctoCat"]), Utc::now()).await.unwrap();

            assert_eq!(
                schedule.claim_due("w1", 10, Duration::from_millis(200), Utc::now()).await.unwrap(),
                ["OctoCat"]
            );
            assert!(
                schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap().is_empty(),
                "{}: still leased",
                t.label
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
            let reclaimed = schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap();

            assert_eq!(reclaimed, ["OctoCat"], "{}", t.label);
            assert_eq!(row(&t.db, "octocat").await.leased_by.as_deref(), Some("w2"), "{}", t.label);
        }
    }

    #[tokio::test]
    async fn complete_clears_the_lease_and_sets_the_next_due_time() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
            schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap();
            let before = Utc::now();
            let next_due = in_micros(before + TimeDelta::hours(6));

            schedule.complete("ALICE", next_due, Utc::now()).await.unwrap();

            let alice = row(&t.db, "alice").await;
            assert_eq!(alice.due_at, next_due, "{}", t.label);
            assert_eq!((alice.leased_until, alice.leased_by), (None, None), "{}", t.label);
            assert!(alice.last_refreshed_at.unwrap() >= in_micros(before), "{}", t.label);
            assert!(
                schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap().is_empty(),
                "{}: not due yet",
                t.label
            );
            schedule.complete("alice", Utc::now() - TimeDelta::seconds(1), Utc::now()).await.unwrap();
            assert_eq!(schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap(), ["alice"], "{}", t.label);
            schedule.complete("nobody", next_due, Utc::now()).await.unwrap();
        }
    }

    #[tokio::test]
    async fn release_clears_the_lease_and_retries_at_the_given_time() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
            schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap();
            let retry_at = in_micros(Utc::now() + TimeDelta::minutes(5));

            schedule.release("alice", retry_at).await.unwrap();

            let alice = row(&t.db, "alice").await;
            assert_eq!(alice.due_at, retry_at, "{}", t.label);
            assert_eq!((alice.leased_until, alice.leased_by), (None, None), "{}", t.label);
            assert_eq!(alice.last_refreshed_at, None, "{}: a failure is not a refresh", t.label);
            assert!(schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap().is_empty(), "{}", t.label);
            schedule.release("alice", Utc::now() - TimeDelta::seconds(1)).await.unwrap();
            assert_eq!(schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap(), ["alice"], "{}", t.label);
        }
    }

    #[tokio::test]
    async fn prune_keeps_owners_and_recent_viewers_only() {
        for t in TestDb::all().await {
            let schedule = RefreshSchedule::new(t.db.clone());
            let now = in_micros(Utc::now());
            schedule.ensure(&logins(&["alice", "Bob"]), now).await.unwrap();
            let views =
                [("carol".to_owned(), now - TimeDelta::hours(1)), ("dave".to_owned(), now - TimeDelta::hours(30))];
            assert_eq!(schedule.record_views(&views, now).await.unwrap(), 2, "{}", t.label);
            // A view of a scheduled owner keeps the owner's due time and records the view.
            schedule.record_views(&[("ALICE".to_owned(), now)], now + TimeDelta::days(9)).await.unwrap();

            let removed = schedule.prune(&logins(&["bob"]), now - TimeDelta::hours(24)).await.unwrap();

            assert_eq!(removed, 1, "{}: dave was viewed too long ago", t.label);
            let left: Vec<String> = refresh_schedule::Entity::find()
                .order_by_asc(refresh_schedule::Column::LoginKey)
                .all(&t.db)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.login_key)
                .collect();
            assert_eq!(left, ["alice", "bob", "carol"], "{}", t.label);
            let alice = row(&t.db, "alice").await;
            assert_eq!(alice.due_at, now, "{}", t.label);
            assert!(alice.last_viewed_at.is_some(), "{}", t.label);
            schedule.remove("Carol").await.unwrap();
            assert!(refresh_schedule::Entity::find_by_id("carol".to_owned()).one(&t.db).await.unwrap().is_none());
        }
    }

    /// Two workers, each with its own connection pool, race over 100 due users in batches of 10.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_workers_claim_every_due_user_exactly_once() {
        for t in TestDb::all().await {
            let all: Vec<String> = (0..100).map(|i| format!("user-{i:03}")).collect();
            RefreshSchedule::new(t.db.clone()).ensure(&all, Utc::now()).await.unwrap();
            let pools = [t.db.clone(), t.another_pool().await];
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(pools.len()));

            let workers = pools.into_iter().enumerate().map(|(n, db)| {
                let start = start.clone();
                tokio::spawn(async move {
                    let schedule = RefreshSchedule::new(db);
                    let worker = format!("worker-{n}");
                    let mut claimed = Vec::new();
                    start.wait().await;
                    loop {
                        let batch = schedule.claim_due(&worker, 10, LONG, Utc::now()).await.unwrap();
                        if batch.is_empty() {
                            return claimed;
                        }
                        assert!(batch.len() <= 10);
                        claimed.extend(batch);
                        // "Refreshing" the batch, so the other worker gets its turns at claiming.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                })
            });
            let per_worker: Vec<Vec<String>> =
                futures::future::join_all(workers).await.into_iter().map(|r| r.unwrap()).collect();

            let mut times: HashMap<&str, usize> = HashMap::new();
            for login in per_worker.iter().flatten() {
                *times.entry(login.as_str()).or_default() += 1;
            }
            let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
            assert!(twice.is_empty(), "{}: claimed more than once: {twice:?}", t.label);
            assert_eq!(times.len(), 100, "{}: every due user is claimed", t.label);
            eprintln!("{}: claims per worker: {:?}", t.label, per_worker.iter().map(Vec::len).collect::<Vec<_>>());
        }
    }
}
