//! Fetching a user from GitHub: one flight per user (joined by every caller, finished when they
//! stop waiting), stored and cached when it lands; refreshes by the scheduler, by hand and in the
//! background.

use std::sync::Arc;

use chrono::SubsecRound;

use super::{MANUAL_REFRESH_INTERVAL, RefreshError, StatsError, StatsService, flights};
use crate::domain::{Login, UserSnapshot};
use crate::github::{AnonymousShare, FetchProgress, GitHubError};

impl StatsService {
    /// A refresh by the scheduler: like `refresh_now` without the per-user throttle, and waiting
    /// for GitHub however long it takes.
    pub async fn refresh_scheduled(&self, login: &Login) -> Result<(), StatsError> {
        self.check_access(login)?;
        self.fetch(login, None).await.map(|_| ()).map_err(StatsError::from)
    }

    /// Fetches from GitHub now, whatever the cache holds; at most once per user per
    /// `MANUAL_REFRESH_INTERVAL`.
    pub async fn refresh_now(&self, login: &Login) -> Result<Arc<UserSnapshot>, RefreshError> {
        let failed = |error: StatsError| RefreshError::Failed { login: login.as_str().to_owned(), error };
        self.check_access(login).map_err(failed)?;
        if let Some(claims) = &self.inner.claims {
            match claims.claim_refresh(login.as_key(), self.now(), MANUAL_REFRESH_INTERVAL).await {
                Ok(Ok(())) => {}
                Ok(Err(left)) => {
                    return Err(RefreshError::Throttled {
                        login: login.as_str().to_owned(),
                        retry_after_secs: left.as_secs().max(1),
                    });
                }
                // The throttle protects GitHub's budget; without the database it errs on the
                // side of refreshing.
                Err(error) => tracing::warn!(%error, login = %login, "could not check the refresh throttle"),
            }
        }
        let result = self.fetch(login, None).await.map_err(|e| failed(e.into()));
        if result.is_err()
            && let Some(claims) = &self.inner.claims
        {
            // A failed refresh does not use up the minute: a retry (GitHub's webhook redelivery,
            // say) may try again at once.
            if let Err(error) = claims.release_refresh(login.as_key()).await {
                tracing::warn!(%error, login = %login, "could not release the refresh throttle");
            }
        }
        result
    }

    /// Joins the fetch of `login` under way, or starts one in its own task.
    /// The visitor who starts a fetch pays for its token-less requests (`share`); one who joins
    /// a fetch under way pays nothing more.
    pub(super) fn fetch(&self, login: &Login, share: Option<Arc<dyn AnonymousShare>>) -> flights::Flight {
        let this = self.clone();
        let owned = login.clone();
        self.inner.flights.join_or_start(login.key(), async move { this.refresh_into_cache(&owned, share).await })
    }

    async fn fetch_and_save(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<Arc<UserSnapshot>, GitHubError> {
        let progress = InProgress::new(&self.inner.progress, login.key(), share);
        let mut snapshot = self.inner.github.fetch_user(login, &progress.progress).await?;
        drop(progress);
        // The service's clock is the one TTLs are measured by; microseconds are what both
        // databases keep, so the time read back equals the time written (it versions renders).
        snapshot.fetched_at = self.now().trunc_subsecs(6);
        if let Err(error) = self.inner.store.save(&snapshot).await {
            // The fresh data is still served; it just will not survive a restart.
            tracing::error!(%error, login = %login, "could not store snapshot");
        }
        let snapshot = Arc::new(snapshot);
        // Nobody listening is fine: the send only fails when there are no subscribers.
        let _ = self.inner.updates.send(snapshot.clone());
        Ok(snapshot)
    }

    /// Fetches and stores a user and puts the result in the cache; a user GitHub no longer knows
    /// leaves the cache and is remembered as not found. Every fetch goes through here, in a flight.
    async fn refresh_into_cache(
        &self,
        login: &Login,
        share: Option<Arc<dyn AnonymousShare>>,
    ) -> Result<Arc<UserSnapshot>, GitHubError> {
        let key = login.key();
        match self.fetch_and_save(login, share).await {
            Ok(snapshot) => {
                self.inner.not_found.invalidate(&key).await;
                self.inner.refresh_failed.invalidate(&key).await;
                self.inner.cache.insert(key, self.entry(snapshot.clone(), false)).await;
                Ok(snapshot)
            }
            Err(GitHubError::NotFound) => {
                self.inner.cache.invalidate(&key).await;
                self.inner.not_found.insert(key, ()).await;
                Err(GitHubError::NotFound)
            }
            Err(error) => {
                if error.reached_github() {
                    self.inner.refresh_failed.insert(key, error.clone()).await;
                }
                Err(error)
            }
        }
    }

    /// Starts a background refresh unless one is under way or one failed within `STALE_RETRY`.
    pub(super) fn spawn_refresh(&self, login: &Login) {
        if self.inner.refresh_failed.contains_key(&login.key()) {
            return;
        }
        // The flight runs in its own task; nobody needs to wait for it here.
        drop(self.fetch(login, None));
    }
}

pub(super) type ProgressList = std::sync::Mutex<std::collections::HashMap<String, FetchProgress>>;

/// Lists a fetch's progress for `so_far` while the fetch runs; unlisted when dropped, however the
/// fetch ends.
pub(super) struct InProgress<'a> {
    progress: FetchProgress,
    list: &'a ProgressList,
    key: String,
}

impl<'a> InProgress<'a> {
    fn new(list: &'a ProgressList, key: String, share: Option<Arc<dyn AnonymousShare>>) -> Self {
        let progress = FetchProgress::paid_by(share);
        list.lock().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), progress.clone());
        Self { progress, list, key }
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.list.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
    }
}
