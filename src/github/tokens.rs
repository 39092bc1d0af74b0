//! The token pool: which GitHub token to spend next, and which ones are out of play.
//!
//! Invariants: a token's secret never leaves this module except inside a `Lease` for one request,
//! and is never formatted (`SecretString` hides it from Debug); tokens are named in logs by their
//! 1-based position in GITHUB_TOKENS only.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

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
    /// Rate limited: unusable until GitHub's reset time.
    Parked {
        until: DateTime<Utc>,
    },
    /// GitHub said "Bad credentials": unusable until the process restarts with a new list.
    Disabled,
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
}

/// The right to use one token for one request.
pub(crate) struct Lease {
    pub(crate) index: usize,
    pub(crate) secret: SecretString,
}

struct Slot {
    secret: SecretString,
    status: TokenStatus,
    budget: Option<Budget>,
    /// Sequence number of the last lease; the least recently used wins ties.
    last_used: u64,
}

pub(crate) struct TokenPool {
    slots: Mutex<Vec<Slot>>,
}

impl TokenPool {
    pub(crate) fn new(tokens: Vec<SecretString>) -> Self {
        let slots = tokens
            .into_iter()
            .map(|secret| Slot { secret, status: TokenStatus::Active, budget: None, last_used: 0 })
            .collect();
        Self { slots: Mutex::new(slots) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        // A panic while holding this lock cannot leave a slot half-updated, so poison is harmless.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The active token with the most remaining budget; parked tokens whose reset has passed come
    /// back into play here.
    pub(crate) fn acquire(&self, now: DateTime<Utc>) -> Result<Lease, GitHubError> {
        let mut slots = self.lock();
        if slots.is_empty() {
            return Err(GitHubError::NoTokens);
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
        let best = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status == TokenStatus::Active)
            .max_by_key(|(i, s)| {
                let remaining = s.budget.map_or(DEFAULT_BUDGET, |b| b.remaining);
                // Ties: least recently used, then first in GITHUB_TOKENS order.
                (remaining, std::cmp::Reverse(s.last_used), std::cmp::Reverse(*i))
            })
            .map(|(i, _)| i);
        match best {
            Some(index) => {
                let slot = &mut slots[index];
                slot.last_used = sequence;
                Ok(Lease { index, secret: slot.secret.clone() })
            }
            None => {
                let retry_at = slots
                    .iter()
                    .filter_map(|s| match s.status {
                        TokenStatus::Parked { until } => Some(until),
                        _ => None,
                    })
                    .min();
                Err(match retry_at {
                    Some(retry_at) => GitHubError::RateLimited { retry_at },
                    None => GitHubError::AllTokensInvalid,
                })
            }
        }
    }

    pub(crate) fn record(&self, index: usize, budget: Budget) {
        if let Some(slot) = self.lock().get_mut(index) {
            slot.budget = Some(budget);
        }
    }

    pub(crate) fn park(&self, index: usize, until: DateTime<Utc>) {
        if let Some(slot) = self.lock().get_mut(index)
            && slot.status != TokenStatus::Disabled
        {
            slot.status = TokenStatus::Parked { until };
        }
    }

    /// Returns true the first time, so the caller logs a bad token once, not on every request.
    pub(crate) fn disable(&self, index: usize) -> bool {
        match self.lock().get_mut(index) {
            Some(slot) if slot.status != TokenStatus::Disabled => {
                slot.status = TokenStatus::Disabled;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn infos(&self) -> Vec<TokenInfo> {
        self.lock()
            .iter()
            .enumerate()
            .map(|(i, s)| TokenInfo {
                position: i + 1,
                status: s.status,
                remaining: s.budget.map(|b| b.remaining),
                limit: s.budget.and_then(|b| b.limit),
                reset_at: s.budget.and_then(|b| b.reset_at),
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
        TokenPool::new((0..n).map(|i| SecretString::from(format!("t{i}"))).collect())
    }

    fn budget(remaining: i64) -> Budget {
        Budget { remaining, limit: Some(5000), reset_at: None }
    }

    #[test]
    fn picks_the_token_with_most_remaining_budget() {
        let p = pool(3);
        p.record(0, budget(10));
        p.record(1, budget(4000));
        p.record(2, budget(20));
        assert_eq!(p.acquire(Utc::now()).unwrap().index, 1);
    }

    #[test]
    fn unused_tokens_rotate_before_reuse() {
        let p = pool(3);
        let now = Utc::now();
        let picks: Vec<_> = (0..3).map(|_| p.acquire(now).unwrap().index).collect();
        assert_eq!(picks, [0, 1, 2]);
    }

    #[test]
    fn parked_tokens_are_skipped_until_their_reset() {
        let p = pool(2);
        let now = Utc::now();
        p.park(0, now + Duration::minutes(5));
        assert_eq!(p.acquire(now).unwrap().index, 1);
        p.park(1, now + Duration::minutes(2));
        match p.acquire(now) {
            Err(GitHubError::RateLimited { retry_at }) => assert_eq!(retry_at, now + Duration::minutes(2)),
            _ => panic!("expected RateLimited"),
        }
        assert_eq!(p.acquire(now + Duration::minutes(3)).unwrap().index, 1);
    }

    #[test]
    fn disabled_tokens_never_come_back_and_are_reported_once() {
        let p = pool(1);
        assert!(p.disable(0));
        assert!(!p.disable(0));
        assert!(matches!(p.acquire(Utc::now() + Duration::days(1)), Err(GitHubError::AllTokensInvalid)));
    }

    #[test]
    fn an_empty_pool_says_no_tokens() {
        assert!(matches!(pool(0).acquire(Utc::now()), Err(GitHubError::NoTokens)));
    }

    #[test]
    fn infos_never_carry_the_secret() {
        let p = pool(1);
        let shown = format!("{:?}", p.infos());
        assert!(!shown.contains("t0"), "{shown}");
    }
}
