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

    /// The refresh backlog at `now`: how many users are due and not leased, and since when the
    /// longest-waiting one has been due (None when none is).
    pub async fn backlog(&self, now: DateTime<Utc>) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        use refresh_schedule::Column as C;
        use sea_orm::PaginatorTrait;

        let due = || {
            refresh_schedule::Entity::find()
                .filter(C::DueAt.lte(now))
                .filter(Condition::any().add(C::LeasedUntil.is_null()).add(C::LeasedUntil.lt(now)))
        };
        let count = due().count(&self.db).await.map_err(StoreError::query("count due refreshes"))?;
        let oldest = due()
            .order_by_asc(C::DueAt)
            .one(&self.db)
            .await
            .map_err(StoreError::query("oldest due refresh"))?
            .map(|row| row.due_at);
        Ok((count, oldest))
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
mod tests;
