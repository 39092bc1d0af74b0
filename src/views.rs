//! View counts per user and per stored banner.
//!
//! Invariants: the request path only adds to a map in memory (no database write per view);
//! `flush` writes what was counted as one batch that adds to the stored counts, so replicas add
//! up; a batch that fails to write is merged back and tried again at the next flush; the serve
//! loop flushes once more at a graceful shutdown. Counts read back are the stored ones plus
//! what this process has not written yet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::domain::{Login, ViewSubject};
use crate::store::{StoreError, ViewBatchRow, ViewStore};

/// Subjects counted between two flushes; past this, views of further subjects are dropped (and
/// counted as dropped) until the next flush rather than growing memory without bound.
const MAX_PENDING: usize = 100_000;

#[derive(Clone)]
pub struct ViewCounter {
    inner: Arc<Inner>,
}

struct Inner {
    store: ViewStore,
    clock: Arc<dyn Clock>,
    pending: Mutex<Counted>,
}

/// Views since the last flush, per subject kind, keyed by lowercase login or banner id (two
/// maps, so counting a view looks a key up without allocating).
#[derive(Default)]
struct Counted {
    users: HashMap<String, Pending>,
    banners: HashMap<String, Pending>,
}

impl Counted {
    fn of(&mut self, subject: ViewSubject) -> &mut HashMap<String, Pending> {
        match subject {
            ViewSubject::User => &mut self.users,
            ViewSubject::Banner => &mut self.banners,
        }
    }

    fn len(&self) -> usize {
        self.users.len() + self.banners.len()
    }

    fn rows(self) -> impl Iterator<Item = (ViewSubject, String, Pending)> {
        let users = self.users.into_iter().map(|(k, p)| (ViewSubject::User, k, p));
        users.chain(self.banners.into_iter().map(|(k, p)| (ViewSubject::Banner, k, p)))
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    views: u64,
    last: DateTime<Utc>,
}

impl ViewCounter {
    pub fn new(store: ViewStore, clock: Arc<dyn Clock>) -> Self {
        Self { inner: Arc::new(Inner { store, clock, pending: Mutex::default() }) }
    }

    /// A card of `login` was served.
    pub fn user(&self, login: &Login) {
        self.count(ViewSubject::User, login.as_key());
    }

    /// Stored banner `id` (a card of `owner`) was served.
    pub fn banner(&self, id: &str, owner: &Login) {
        self.count(ViewSubject::Banner, id);
        self.user(owner);
    }

    fn count(&self, subject: ViewSubject, key: &str) {
        let now = self.inner.clock.now();
        let mut pending = self.lock();
        let full = pending.len() >= MAX_PENDING;
        let map = pending.of(subject);
        if let Some(entry) = map.get_mut(key) {
            entry.views += 1;
            entry.last = now;
        } else if !full {
            map.insert(key.to_owned(), Pending { views: 1, last: now });
        } else {
            drop(pending);
            crate::metrics::view_dropped();
            return;
        }
        drop(pending);
        crate::metrics::view(subject);
    }

    /// Views counted here and not written yet.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Writes what was counted since the last flush; returns how many subjects.
    pub async fn flush(&self) -> Result<usize, StoreError> {
        let taken = std::mem::take(&mut *self.lock());
        let batch: Vec<ViewBatchRow> = taken
            .rows()
            .map(|(subject, key, p)| ViewBatchRow { subject, key, views: p.views, last_viewed_at: p.last })
            .collect();
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.inner.store.add(&batch).await {
            // Kept for the next flush, merged with what was counted meanwhile.
            let mut pending = self.lock();
            for row in batch {
                let entry =
                    pending.of(row.subject).entry(row.key).or_insert(Pending { views: 0, last: row.last_viewed_at });
                entry.views += row.views;
                entry.last = entry.last.max(row.last_viewed_at);
            }
            return Err(error);
        }
        Ok(batch.len())
    }

    /// Views of `keys` (lowercase logins or banner ids): stored, plus this process's unwritten.
    pub async fn counts(&self, subject: ViewSubject, keys: &[String]) -> Result<HashMap<String, i64>, StoreError> {
        let mut counts = self.inner.store.counts(subject, keys).await?;
        let mut pending = self.lock();
        let pending = pending.of(subject);
        for key in keys {
            if let Some(p) = pending.get(key) {
                *counts.entry(key.clone()).or_default() += i64::try_from(p.views).unwrap_or(i64::MAX);
            }
        }
        Ok(counts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counted> {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}
