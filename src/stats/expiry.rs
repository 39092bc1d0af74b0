//! Per-entry cache lifetimes: an entry lives until its data reaches the hard TTL (counted from
//! when GitHub was asked, not from when the entry was cached); a stale-if-error entry lives only
//! until it is time to ask GitHub again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;

use super::{CacheEntry, age};

pub(super) struct EntryExpiry {
    pub(super) hard_ttl: Duration,
    pub(super) stale_retry: Duration,
}

impl EntryExpiry {
    fn lifetime(&self, entry: &CacheEntry) -> Duration {
        if entry.upstream_error { self.stale_retry } else { self.hard_ttl.saturating_sub(age(&entry.snapshot)) }
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
