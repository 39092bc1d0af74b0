//! What the store and the view tally hold for users, beside the cache: repository pages and
//! profile summaries for GraphQL, snapshots for the event consumers, the views the scheduler
//! keeps fresh.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::StatsService;
use crate::domain::{Login, UserSnapshot};

impl StatsService {
    /// One page of a user's stored repositories (most starred first); None for an unknown user.
    pub async fn repositories(
        &self,
        login: &Login,
        first: u64,
        after: Option<(i64, String)>,
    ) -> Result<Option<crate::store::RepoPage>, crate::store::StoreError> {
        self.inner.store.list_repositories(login, first, after).await
    }

    /// Stored profile summaries for many users at once (one query), keyed by lowercase login.
    pub async fn summaries(
        &self,
        logins: &[String],
    ) -> Result<std::collections::HashMap<String, crate::store::UserSummary>, crate::store::StoreError> {
        self.inner.store.load_many(logins).await
    }

    /// The stored snapshot, bypassing the cache (it may be newer than the cache: another replica
    /// stored it).
    pub async fn stored_snapshot(&self, login: &Login) -> Option<UserSnapshot> {
        match self.inner.store.load(login).await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                tracing::warn!(%error, login = %login, "could not read stored snapshot");
                None
            }
        }
    }

    /// Another replica refreshed `login`: take its snapshot from the store into this cache and
    /// tell this replica's subscribers.
    pub async fn reload_from_store(&self, login: &Login) {
        if let Some(snapshot) = self.stored_snapshot(login).await {
            let snapshot = Arc::new(snapshot);
            self.inner.cache.insert(login.key(), self.entry(snapshot.clone(), false)).await;
            let _ = self.inner.updates.send(snapshot);
        }
    }

    /// Existing users viewed since the last call, with when (the scheduler keeps them fresh for
    /// `VIEWED_WINDOW` after their last view).
    pub fn take_views(&self) -> Vec<(String, DateTime<Utc>)> {
        let mut views = self.inner.views.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *views).into_values().collect()
    }

    pub(super) fn record_view(&self, login: &Login) {
        let now = self.now();
        let mut views = self.inner.views.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, at)) = views.get_mut(login.as_key()) {
            *at = now;
        } else if (views.len() as u64) < self.inner.max_users {
            views.insert(login.key(), (login.as_str().to_owned(), now));
        }
    }
}
