//! The token pool: which GitHub token to spend next, how many requests each may have in flight,
//! and which ones are out of play for now.
//!
//! Invariants:
//! - a token's secret never leaves this module except inside a `Lease` for one request, and is
//!   never formatted (`SecretString` hides it from Debug); tokens are named in logs by their
//!   1-based position in GITHUB_TOKENS only;
//! - at most `PoolLimits::total` requests are in flight at once, each token at most its own limit,
//!   which starts at `PoolLimits::per_token`, halves on a secondary rate limit and grows back by
//!   one per success: GitHub punishes parallel bursts (secondary limits), not steady use;
//! - callers beyond those limits queue in arrival order (the semaphore is fair);
//! - a token GitHub rejected is tried again (one probe at a time) after a back-off that doubles
//!   up to `PoolLimits::recheck_max`, so a token fixed or restored at GitHub comes back on its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::GitHubError;

/// GitHub's GraphQL budget per token and hour; assumed for a token we have not used yet, so that
/// unused tokens are tried before a used one with less left.
const DEFAULT_BUDGET: i64 = 5000;

/// What GitHub last told us about a token's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    pub(crate) remaining: i64,
    pub(crate) limit: Option<i64>,
    pub(crate) reset_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    /// Rate limited: unusable until GitHub's reset time (or its Retry-After).
    Parked {
        until: DateTime<Utc>,
    },
    /// GitHub said "Bad credentials": unusable until a probe at `recheck_at` finds it works again.
    Disabled {
        recheck_at: DateTime<Utc>,
    },
}

/// A token's public state: safe to log or show to an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// 1-based position in GITHUB_TOKENS.
    pub position: usize,
    pub status: TokenStatus,
    pub remaining: Option<i64>,
    pub limit: Option<i64>,
    pub reset_at: Option<DateTime<Utc>>,
    /// Requests using it right now.
    pub in_flight: usize,
}

/// How much of GitHub the pool may use at once, and how it comes back from rejections.
#[derive(Debug, Clone, Copy)]
pub struct PoolLimits {
    /// Requests in flight across all tokens.
    pub total: usize,
    /// Requests in flight per token (before any secondary rate limit lowered it).
    pub per_token: usize,
    /// First wait before a rejected token is tried again; doubled after each failed probe.
    pub recheck: Duration,
    /// Longest wait between probes of a rejected token.
    pub recheck_max: Duration,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self { total: 32, per_token: 8, recheck: Duration::from_secs(60), recheck_max: Duration::from_secs(3600) }
    }
}

/// The right to use one token for one request; dropping it frees the token's slot.
pub(crate) struct Lease {
    pub(crate) index: usize,
    pub(crate) secret: SecretString,
    pool: Arc<PoolState>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(slot) = self.pool.lock().get_mut(self.index) {
            slot.in_flight = slot.in_flight.saturating_sub(1);
        }
        self.pool.freed.notify_waiters();
    }
}

/// What the pool offers a caller who asked for a token.
pub(crate) enum Offer {
    Lease(Lease),
    /// A rejected token is due for a recheck: the caller should probe it (cheaply) and report.
    Probe {
        index: usize,
        secret: SecretString,
    },
}

struct Slot {
    secret: SecretString,
    status: TokenStatus,
    budget: Option<Budget>,
    /// Sequence number of the last lease; the least recently used wins ties.
    last_used: u64,
    in_flight: usize,
    /// Current in-flight limit (lowered by secondary rate limits).
    limit: usize,
    /// Failed probes in a row since it was disabled.
    rejections: u32,
}

struct PoolState {
    slots: Mutex<Vec<Slot>>,
    /// Woken whenever a token's slot is freed or its state changes.
    freed: Notify,
}

impl PoolState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        // A panic while holding this lock cannot leave a slot half-updated, so poison is harmless.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) struct TokenPool {
    state: Arc<PoolState>,
    total: Arc<Semaphore>,
    limits: PoolLimits,
}

/// Why no token could be leased right now.
enum Unavailable {
    /// Every usable token is at its in-flight limit: wait for one to be freed.
    Busy,
    Failed(GitHubError),
}

impl TokenPool {
    pub(crate) fn new(tokens: Vec<SecretString>, limits: PoolLimits) -> Self {
        let per_token = limits.per_token.max(1);
        let slots = tokens
            .into_iter()
            .map(|secret| Slot {
                secret,
                status: TokenStatus::Active,
                budget: None,
                last_used: 0,
                in_flight: 0,
                limit: per_token,
                rejections: 0,
            })
            .collect();
        Self {
            state: Arc::new(PoolState { slots: Mutex::new(slots), freed: Notify::new() }),
            total: Arc::new(Semaphore::new(limits.total.max(1))),
            limits: PoolLimits { per_token, ..limits },
        }
    }

    /// Waits (in arrival order) for room under the limits, then offers the active token with the
    /// most remaining budget, or a rejected token due for a recheck.
    pub(crate) async fn acquire(&self) -> Result<Offer, GitHubError> {
        let permit = self.total.clone().acquire_owned().await.map_err(|_| GitHubError::NoTokens)?;
        loop {
            let freed = self.state.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so a slot freed in between still wakes us.
            freed.as_mut().enable();
            match self.try_acquire(Utc::now()) {
                Ok(Some(index)) => {
                    let secret = self.state.lock()[index].secret.clone();
                    return Ok(Offer::Lease(Lease { index, secret, pool: self.state.clone(), _permit: permit }));
                }
                Ok(None) => {}
                Err(Unavailable::Busy) => {}
                Err(Unavailable::Failed(error)) => return Err(error),
            }
            if let Some(probe) = self.due_probe(Utc::now()) {
                return Ok(probe);
            }
            freed.await;
        }
    }

    /// The token to lease, if one is under its limit; Ok(None) when none is usable but a rejected
    /// one is due for a recheck.
    fn try_acquire(&self, now: DateTime<Utc>) -> Result<Option<usize>, Unavailable> {
        let mut slots = self.state.lock();
        if slots.is_empty() {
            return Err(Unavailable::Failed(GitHubError::NoTokens));
        }
        for slot in slots.iter_mut() {
            if let TokenStatus::Parked { until } = slot.status
                && until <= now
            {
                slot.status = TokenStatus::Active;
                slot.budget = None;
            }
        }
        let sequence = slots.iter().map(|s| s.last_used).max().unwrap_or(0) + 1;
        let active = || slots.iter().enumerate().filter(|(_, s)| s.status == TokenStatus::Active);
        let best = active()
            .filter(|(_, s)| s.in_flight < s.limit)
            .max_by_key(|(i, s)| {
                let remaining = s.budget.map_or(DEFAULT_BUDGET, |b| b.remaining);
                // Ties: fewest in flight, least recently used, then first in GITHUB_TOKENS order.
                (remaining, std::cmp::Reverse(s.in_flight), std::cmp::Reverse(s.last_used), std::cmp::Reverse(*i))
            })
            .map(|(i, _)| i);
        if let Some(index) = best {
            let slot = &mut slots[index];
            slot.last_used = sequence;
            slot.in_flight += 1;
            return Ok(Some(index));
        }
        if active().next().is_some() {
            return Err(Unavailable::Busy);
        }
        let parked = slots
            .iter()
            .filter_map(|s| match s.status {
                TokenStatus::Parked { until } => Some(until),
                _ => None,
            })
            .min();
        let recheck = slots
            .iter()
            .filter_map(|s| match s.status {
                TokenStatus::Disabled { recheck_at } => Some(recheck_at),
                _ => None,
            })
            .min();
        Err(Unavailable::Failed(match (parked, recheck) {
            (Some(retry_at), _) => GitHubError::RateLimited { retry_at },
            (None, Some(recheck_at)) => {
                if recheck_at <= now {
                    // A probe is due; the caller looks for it next.
                    return Ok(None);
                }
                GitHubError::AllTokensInvalid { recheck_at }
            }
            (None, None) => GitHubError::NoTokens,
        }))
    }

    /// Claims the recheck of a rejected token that is due, moving its next recheck on so no
    /// other caller probes it meanwhile.
    fn due_probe(&self, now: DateTime<Utc>) -> Option<Offer> {
        let mut slots = self.state.lock();
        let (index, slot) = slots
            .iter_mut()
            .enumerate()
            .find(|(_, s)| matches!(s.status, TokenStatus::Disabled { recheck_at } if recheck_at <= now))?;
        slot.status = TokenStatus::Disabled { recheck_at: now + self.backoff(slot.rejections) };
        Some(Offer::Probe { index, secret: slot.secret.clone() })
    }

    fn backoff(&self, rejections: u32) -> chrono::Duration {
        let wait = self.limits.recheck.saturating_mul(2u32.saturating_pow(rejections.saturating_sub(1)));
        chrono::Duration::from_std(wait.min(self.limits.recheck_max)).unwrap_or(chrono::Duration::hours(1))
    }

    pub(crate) fn record(&self, index: usize, budget: Budget) {
        if let Some(slot) = self.state.lock().get_mut(index) {
            slot.budget = Some(budget);
        }
    }

    /// A request on this token succeeded: a lowered in-flight limit grows back by one.
    pub(crate) fn succeeded(&self, index: usize) {
        if let Some(slot) = self.state.lock().get_mut(index) {
            slot.limit = (slot.limit + 1).min(self.limits.per_token);
        }
        self.state.freed.notify_waiters();
    }

    /// Primary rate limit: the token's budget is spent until `until`.
    pub(crate) fn park(&self, index: usize, until: DateTime<Utc>) {
        if let Some(slot) = self.state.lock().get_mut(index)
            && !matches!(slot.status, TokenStatus::Disabled { .. })
        {
            slot.status = TokenStatus::Parked { until };
        }
        self.state.freed.notify_waiters();
    }

    /// Secondary rate limit (too much at once): this token waits `until` and then runs with half
    /// its in-flight limit; the others carry on.
    pub(crate) fn back_off(&self, index: usize, until: DateTime<Utc>) {
        if let Some(slot) = self.state.lock().get_mut(index) {
            slot.limit = (slot.limit / 2).max(1);
            if !matches!(slot.status, TokenStatus::Disabled { .. }) {
                slot.status = TokenStatus::Parked { until };
            }
        }
        self.state.freed.notify_waiters();
    }

    /// GitHub rejected the token (on a request or a probe). Returns true when it was active until
    /// now, so the caller logs a bad token once, not on every request.
    pub(crate) fn disable(&self, index: usize, now: DateTime<Utc>) -> bool {
        let mut slots = self.state.lock();
        let Some(slot) = slots.get_mut(index) else { return false };
        let newly = !matches!(slot.status, TokenStatus::Disabled { .. });
        slot.rejections = slot.rejections.saturating_add(1);
        slot.status = TokenStatus::Disabled { recheck_at: now + self.backoff(slot.rejections) };
        drop(slots);
        self.state.freed.notify_waiters();
        newly
    }

    /// A probe found the token works again.
    pub(crate) fn enable(&self, index: usize, budget: Option<Budget>) {
        if let Some(slot) = self.state.lock().get_mut(index) {
            slot.status = TokenStatus::Active;
            slot.rejections = 0;
            slot.budget = budget.or(slot.budget);
        }
        self.state.freed.notify_waiters();
    }

    /// When a rejected token is next rechecked (now, for a token that is not rejected).
    pub(crate) fn recheck_at(&self, index: usize) -> DateTime<Utc> {
        match self.state.lock().get(index).map(|s| s.status) {
            Some(TokenStatus::Disabled { recheck_at }) => recheck_at,
            _ => Utc::now(),
        }
    }

    /// True when no token is configured at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.state.lock().is_empty()
    }

    /// True when no token is usable and none is waiting for a reset: only a probe can help.
    pub(crate) fn all_disabled(&self) -> bool {
        let slots = self.state.lock();
        !slots.is_empty() && slots.iter().all(|s| matches!(s.status, TokenStatus::Disabled { .. }))
    }

    pub(crate) fn infos(&self) -> Vec<TokenInfo> {
        self.state
            .lock()
            .iter()
            .enumerate()
            .map(|(i, s)| TokenInfo {
                position: i + 1,
                status: s.status,
                remaining: s.budget.map(|b| b.remaining),
                limit: s.budget.and_then(|b| b.limit),
                reset_at: s.budget.and_then(|b| b.reset_at),
                in_flight: s.in_flight,
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn pool(n: usize) -> TokenPool {
        pool_with(n, PoolLimits::default())
    }

    fn pool_with(n: usize, limits: PoolLimits) -> TokenPool {
        TokenPool::new((0..n).map(|i| SecretString::from(format!("t{i}"))).collect(), limits)
    }

    fn budget(remaining: i64) -> Budget {
        Budget { remaining, limit: Some(5000), reset_at: None }
    }

    async fn lease(pool: &TokenPool) -> Lease {
        match pool.acquire().await.unwrap() {
            Offer::Lease(lease) => lease,
            Offer::Probe { .. } => panic!("expected a lease, got a probe"),
        }
    }

    #[tokio::test]
    async fn picks_the_token_with_most_remaining_budget() {
        let p = pool(3);
        p.record(0, budget(10));
        p.record(1, budget(4000));
        p.record(2, budget(20));
        assert_eq!(lease(&p).await.index, 1);
    }

    #[tokio::test]
    async fn unused_tokens_rotate_before_reuse() {
        let p = pool(3);
        let mut picks = Vec::new();
        for _ in 0..3 {
            picks.push(lease(&p).await.index);
        }
        assert_eq!(picks, [0, 1, 2]);
    }

    #[tokio::test]
    async fn parked_tokens_are_skipped_until_their_reset() {
        let p = pool(2);
        let now = Utc::now();
        p.park(0, now + Duration::minutes(5));
        assert_eq!(lease(&p).await.index, 1);
        p.park(1, now + Duration::minutes(2));
        match p.acquire().await {
            Err(GitHubError::RateLimited { retry_at }) => assert_eq!(retry_at, now + Duration::minutes(2)),
            _ => panic!("expected RateLimited"),
        }
        p.park(1, now - Duration::seconds(1));
        assert_eq!(lease(&p).await.index, 1);
    }

    #[tokio::test]
    async fn a_rejected_token_is_probed_after_its_back_off_and_comes_back() {
        let limits = PoolLimits { recheck: std::time::Duration::ZERO, ..PoolLimits::default() };
        let p = pool_with(1, limits);
        assert!(p.disable(0, Utc::now()));
        assert!(!p.disable(0, Utc::now()), "reported once");
        assert!(p.all_disabled());
        match p.acquire().await.unwrap() {
            Offer::Probe { index, .. } => p.enable(index, None),
            Offer::Lease(_) => panic!("a disabled token is only probed"),
        }
        assert_eq!(lease(&p).await.index, 0);
    }

    #[tokio::test]
    async fn a_rejected_token_waits_for_its_recheck() {
        let p = pool(1);
        p.disable(0, Utc::now());
        assert!(matches!(p.acquire().await, Err(GitHubError::AllTokensInvalid { .. })));
        let info = &p.infos()[0];
        assert!(matches!(info.status, TokenStatus::Disabled { recheck_at } if recheck_at > Utc::now()));
    }

    #[tokio::test]
    async fn back_off_doubles_and_is_capped() {
        let p = pool(1);
        assert_eq!(p.backoff(1), Duration::seconds(60));
        assert_eq!(p.backoff(2), Duration::seconds(120));
        assert_eq!(p.backoff(30), Duration::seconds(3600));
    }

    #[tokio::test]
    async fn requests_beyond_a_tokens_limit_wait_for_a_free_slot() {
        let limits = PoolLimits { per_token: 2, ..PoolLimits::default() };
        let p = Arc::new(pool_with(1, limits));
        let first = lease(&p).await;
        let _second = lease(&p).await;
        let waiting = tokio::spawn({
            let p = p.clone();
            async move { lease(&p).await.index }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a third request waits");
        assert_eq!(p.infos()[0].in_flight, 2);
        drop(first);
        assert_eq!(waiting.await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_secondary_limit_halves_only_that_tokens_limit() {
        let limits = PoolLimits { per_token: 8, ..PoolLimits::default() };
        let p = pool_with(2, limits);
        p.back_off(0, Utc::now() - Duration::seconds(1));
        let slots = p.state.lock();
        assert_eq!((slots[0].limit, slots[1].limit), (4, 8));
    }

    #[tokio::test]
    async fn an_empty_pool_says_no_tokens() {
        assert!(matches!(pool(0).acquire().await, Err(GitHubError::NoTokens)));
    }

    #[tokio::test]
    async fn infos_never_carry_the_secret() {
        let p = pool(1);
        let shown = format!("{:?}", p.infos());
        assert!(!shown.contains("t0"), "{shown}");
    }
}
