//! How long entries stay in memory: a snapshot until it reaches the hard TTL (counted from when
//! GitHub was asked, not from when it was cached); a stale-if-error entry until it is time to ask
//! GitHub again. `StatsService::expired` applies the same rules by the service's clock.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;

use super::CacheEntry;
use crate::clock::Clock;

pub(super) struct EntryExpiry {
    pub(super) hard_ttl: Duration,
    pub(super) stale_retry: Duration,
    /// The service's clock, which snapshots are stamped and aged by.
    pub(super) clock: Arc<dyn Clock>,
}

impl EntryExpiry {
    fn lifetime(&self, entry: &CacheEntry) -> Duration {
        if entry.upstream_error {
            self.stale_retry
        } else {
            let age = (self.clock.now() - entry.snapshot.fetched_at).to_std().unwrap_or(Duration::ZERO);
            self.hard_ttl.saturating_sub(age)
        }
    }
}

impl Expiry<String, Arc<CacheEntry>> for EntryExpiry {
    fn expire_after_create(&self, _key: &String, value: &Arc<CacheEntry>, _now: Instant) -> Option<Duration> {
        Some(self.lifetime(value))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Arc<CacheEntry>,
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.lifetime(value))
    }
}
