//! WakaTime users' coding time for their cards, through [`UpstreamCache`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::upstream::{Dated, Lookup, UpstreamCache};
use super::{StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::{WakaStats, WakaUser};
use crate::wakatime::WakaTimeClient;

impl Dated for WakaStats {
    fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    fn set_fetched_at(&mut self, at: DateTime<Utc>) {
        self.fetched_at = at;
    }
}

#[derive(Clone)]
pub struct WakaService {
    client: Arc<WakaTimeClient>,
    cache: Arc<UpstreamCache<WakaStats>>,
}

impl WakaService {
    pub fn new(client: WakaTimeClient, policy: TtlPolicy, waits: Waits, max: u64, clock: Arc<dyn Clock>) -> Self {
        Self { client: Arc::new(client), cache: UpstreamCache::new(policy, waits, max, clock) }
    }

    /// Whether this instance may ask the user's `api_domain`.
    pub fn allows(&self, user: &WakaUser) -> bool {
        self.client.allows(user)
    }

    pub async fn get(&self, user: &WakaUser) -> Result<Lookup<WakaStats>, StatsError> {
        let client = self.client.clone();
        let owned = user.clone();
        let describe = format!("WakaTime user {}", user.name);
        self.cache.get(&user.key(), &describe, async move { client.fetch(&owned).await }).await
    }

    /// Whether answering costs no request to WakaTime.
    pub fn is_cached(&self, user: &WakaUser) -> bool {
        self.cache.is_cached(&user.key())
    }
}
