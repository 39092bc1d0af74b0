//! The refresh scheduler: users with banners and users viewed within `VIEWED_WINDOW` are refreshed
//! before their stats go stale, within the token pool's budget; nobody else is (a login that was
//! asked for once, or does not exist, is not refreshed forever).
//!
//! Work is claimed through `RefreshSchedule` leases (PostgreSQL: `FOR UPDATE SKIP LOCKED`), so any
//! number of workers split it without refreshing one user twice; a worker that dies mid-refresh
//! loses its lease when it expires and another worker takes the user.

use std::time::Duration;

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::domain::Login;
use crate::github::{GitHubError, TokenStatus};
use crate::stats::{StatsError, StatsService, VIEWED_WINDOW};
use crate::store::{BannerStore, RefreshSchedule, StoreError};

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Time between rounds.
    pub interval: Duration,
    /// Users refreshed at once.
    pub concurrency: usize,
    /// Most users claimed per round.
    pub batch: u64,
    /// How long a claim holds before another worker may take the user.
    pub lease: Duration,
    /// Refresh this long after the last refresh (a little under the soft TTL, so readers never
    /// wait for a refresh).
    pub refresh_every: Duration,
    /// GitHub points kept for requests from readers: background work stops below this.
    pub budget_reserve: i64,
}

impl SchedulerSettings {
    pub fn for_soft_ttl(soft_ttl: Duration, interval: Duration, concurrency: usize, lease: Duration) -> Self {
        Self {
            interval,
            concurrency: concurrency.max(1),
            batch: 50,
            lease,
            refresh_every: soft_ttl.mul_f64(0.8).max(Duration::from_secs(60)),
            budget_reserve: 500,
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RefreshRound {
    pub claimed: usize,
    pub refreshed: usize,
    pub failed: usize,
    /// Users dropped from the schedule: no banner, not viewed within the viewing window.
    pub pruned: u64,
    /// True when the round did nothing because the token budget is down to the reserve.
    pub budget_exhausted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct RefreshScheduler {
    schedule: RefreshSchedule,
    banners: BannerStore,
    stats: StatsService,
    worker_id: String,
    settings: SchedulerSettings,
}

impl RefreshScheduler {
    pub fn new(
        schedule: RefreshSchedule,
        banners: BannerStore,
        stats: StatsService,
        worker_id: String,
        settings: SchedulerSettings,
    ) -> Self {
        Self { schedule, banners, stats, worker_id, settings }
    }

    /// Points the pool can spend on background work now: what is left beyond the reserve.
    fn spendable_budget(&self) -> i64 {
        let pool = self.stats.token_pool();
        let usable: i64 = pool
            .iter()
            .filter(|t| t.status == TokenStatus::Active)
            .map(|t| t.remaining.unwrap_or(t.limit.unwrap_or(5000)))
            .sum();
        usable - self.settings.budget_reserve
    }

    /// One round: record this process's views, schedule banner owners, drop users nobody needs
    /// fresh any more, then refresh the due ones within the token budget.
    pub async fn run_once(&self) -> Result<RefreshRound, SchedulerError> {
        let now = self.stats.now();
        let first_due =
            now + chrono::Duration::from_std(self.settings.refresh_every).unwrap_or(chrono::Duration::hours(1));
        // New rows start from the fetch or view that created them, not "due now".
        self.schedule.record_views(&self.stats.take_views(), first_due).await?;
        let owners = self.banners.owners().await?;
        self.schedule.ensure(&owners, first_due).await?;
        let window = chrono::Duration::from_std(VIEWED_WINDOW).unwrap_or(chrono::Duration::days(1));
        let pruned = self.schedule.prune(&owners, now - window).await?;

        // A user costs about one point per 100 repositories; 3 is a fair guess per user.
        let budget = self.spendable_budget();
        if budget <= 0 {
            return Ok(RefreshRound { budget_exhausted: true, pruned, ..RefreshRound::default() });
        }
        let limit = self.settings.batch.min(u64::try_from(budget / 3).unwrap_or(0).max(1));
        let claimed = self.schedule.claim_due(&self.worker_id, limit, self.settings.lease, now).await?;
        let mut round = RefreshRound { claimed: claimed.len(), pruned, ..RefreshRound::default() };
        let results: Vec<bool> = futures_util::stream::iter(claimed)
            .map(|login| self.refresh_one(login))
            .buffer_unordered(self.settings.concurrency)
            .collect()
            .await;
        round.refreshed = results.iter().filter(|ok| **ok).count();
        round.failed = results.len() - round.refreshed;
        Ok(round)
    }

    /// Writes the views this process saw since the last flush into the shared schedule, so the
    /// workers (maybe other processes) keep those users fresh. Every role does this; an API-only
    /// replica does it on its own timer (`spawn_view_flush`). Returns how many users.
    pub async fn flush_views(&self) -> Result<usize, SchedulerError> {
        let views = self.stats.take_views();
        if !views.is_empty() {
            // New rows start from the fetch or view that created them, not "due now".
            self.schedule.record_views(&views, self.first_due(self.stats.now())).await?;
        }
        Ok(views.len())
    }

    fn first_due(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        now + chrono::Duration::from_std(self.settings.refresh_every).unwrap_or(chrono::Duration::hours(1))
    }

    /// Flushes views every `every` until `cancel` fires (and once more then).
    pub fn spawn_view_flush(self, every: Duration, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        super::spawn_flushing(every, cancel, "could not record views in the refresh schedule", move || {
            let this = self.clone();
            async move { this.flush_views().await }
        })
    }

    async fn refresh_one(&self, login: String) -> bool {
        let now = self.stats.now();
        let next_due = |after: Duration| now + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::hours(1));
        let Ok(parsed) = Login::parse(&login) else {
            // Not a login GitHub could have: it should never have been scheduled.
            let _ = self.schedule.remove(&login).await;
            return false;
        };
        let outcome = self.stats.refresh_scheduled(&parsed).await;
        let bookkeeping = match &outcome {
            Ok(()) => self.schedule.complete(&login, next_due(self.settings.refresh_every), now).await,
            Err(StatsError::GitHub(GitHubError::RateLimited { retry_at })) => {
                self.schedule.release(&login, *retry_at).await
            }
            // Gone from GitHub, or no longer shown here: nobody needs it kept fresh.
            Err(StatsError::GitHub(GitHubError::NotFound) | StatsError::Refused { .. }) => {
                self.schedule.remove(&login).await
            }
            Err(_) => self.schedule.release(&login, next_due(Duration::from_secs(300))).await,
        };
        if let Err(error) = bookkeeping {
            tracing::warn!(%error, login, "could not update the refresh schedule");
        }
        if let Err(error) = &outcome {
            tracing::warn!(%error, login, "scheduled refresh failed");
        }
        outcome.is_ok()
    }

    /// Runs rounds every `interval` until `cancel` fires.
    pub fn spawn(self, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while !cancel.is_cancelled() {
                match self.run_once().await {
                    Ok(round) if round.claimed > 0 => tracing::info!(?round, worker = %self.worker_id, "refresh round"),
                    // Also the state of a server without tokens: worth a debug line, not a log flood.
                    Ok(round) if round.budget_exhausted => {
                        tracing::debug!(worker = %self.worker_id, "no GitHub budget for background refreshes")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "refresh round failed"),
                }
                tokio::select! {
                    () = tokio::time::sleep(self.settings.interval) => {}
                    () = cancel.cancelled() => {}
                }
            }
        })
    }
}
