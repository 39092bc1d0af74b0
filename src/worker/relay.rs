//! The outbox relay: publishes committed events in order and marks them sent. A crash between
//! publish and mark means the event is published again after restart: consumers tolerate
//! duplicates; what the outbox guarantees is that no committed event is lost.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::events::EventBus;
use crate::store::{OutboxStore, StoreError};

/// Events published per round.
const BATCH: u64 = 100;
/// Sent events are kept this long (to look into), then purged.
const KEEP_SENT_DAYS: i64 = 7;
const PURGE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing failed after {published} events: {message}")]
    Publish { published: usize, message: String },
}

#[derive(Clone)]
pub struct OutboxRelay {
    outbox: OutboxStore,
    bus: Arc<dyn EventBus>,
}

impl OutboxRelay {
    pub fn new(outbox: OutboxStore, bus: Arc<dyn EventBus>) -> Self {
        Self { outbox, bus }
    }

    /// Publishes up to one batch of pending events, oldest first; stops at the first failure so
    /// order is kept (the rest go out next round). Returns how many were published.
    ///
    /// Only one relay publishes at a time (see `OutboxStore::begin_round`): a round that finds
    /// another relay at work publishes nothing and returns 0.
    pub async fn run_once(&self) -> Result<usize, RelayError> {
        let Some(round) = self.outbox.begin_round().await? else { return Ok(0) };
        let pending = round.pending(BATCH).await?;
        let mut sent = Vec::with_capacity(pending.len());
        let mut failure = None;
        for (id, event) in &pending {
            match self.bus.publish(event).await {
                Ok(()) => sent.push(*id),
                Err(error) => {
                    failure = Some(error.to_string());
                    break;
                }
            }
        }
        // Logged as soon as the bus has them, before they are marked sent: a batch cut short by a
        // broker failure still counts, and a crash right after this line re-publishes rather than
        // hides events (the topology check compares these lines with the outbox).
        if !sent.is_empty() {
            tracing::info!(published = sent.len(), "published events");
        }
        round.finish(&sent).await?;
        match failure {
            Some(message) => Err(RelayError::Publish { published: sent.len(), message }),
            None => Ok(sent.len()),
        }
    }

    /// Runs rounds until `cancel` fires: immediately again while there is a backlog, else every
    /// `interval`; a broker outage only delays events (logged, retried).
    pub fn spawn(self, interval: Duration, cancel: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            let mut last_purge = tokio::time::Instant::now();
            loop {
                if last_purge.elapsed() >= PURGE_EVERY {
                    last_purge = tokio::time::Instant::now();
                    let cutoff = chrono::Utc::now() - chrono::Duration::days(KEEP_SENT_DAYS);
                    if let Err(error) = self.outbox.purge_sent(cutoff).await {
                        tracing::warn!(%error, "could not purge sent events");
                    }
                }
                if cancel.is_cancelled() {
                    return;
                }
                match self.run_once().await {
                    Ok(n) if n as u64 == BATCH => continue,
                    Ok(_) => {
                        if failures > 0 {
                            tracing::info!(failures, "outbox relay: publishing again");
                        }
                        failures = 0;
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        if failures == 1 || failures.is_power_of_two() {
                            tracing::warn!(%error, failures, bus = self.bus.name(), "outbox relay: events are waiting");
                        }
                    }
                }
                let backoff = interval * failures.clamp(1, 20);
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = cancel.cancelled() => return,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;
    use crate::events::{EventKind, InProcessBus};
    use crate::render::Sample;
    use crate::store::SnapshotStore;
    use crate::store::testing::TestDatabase;

    #[tokio::test]
    async fn an_event_committed_before_a_crash_is_published_after_restart_and_only_once() {
        for db in TestDatabase::all().await {
            // Life 1: the snapshot and its event commit; the process dies before any relay ran.
            let snapshot = Sample::Typical.snapshot();
            SnapshotStore::with_origin(db.db.clone(), "life-1").save(&snapshot).await.unwrap();

            // Life 2: a fresh relay on the same database.
            let bus = Arc::new(InProcessBus::default());
            let mut events = bus.subscribe().await.unwrap();
            let relay = OutboxRelay::new(OutboxStore::new(db.db.clone()), bus.clone());
            assert_eq!(relay.run_once().await.unwrap(), 1, "{}", db.label);
            assert_eq!(relay.run_once().await.unwrap(), 0, "marked sent: {}", db.label);

            let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap();
            assert!(matches!(&event.kind, EventKind::StatsRefreshed { login, .. } if login == "octocat"), "{event:?}");
            assert_eq!(event.origin, "life-1");
        }
    }

    /// A bus that counts what it publishes and takes its time, so two relays' rounds overlap.
    struct Slow(std::sync::Mutex<Vec<String>>);

    #[async_trait::async_trait]
    impl EventBus for Slow {
        async fn publish(&self, event: &crate::events::Event) -> Result<(), crate::events::EventError> {
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.0.lock().unwrap().push(event.id.clone());
            Ok(())
        }
        async fn subscribe(&self) -> Result<crate::events::EventStream, crate::events::EventError> {
            Err(crate::events::EventError::Subscribe("publish only".to_owned()))
        }
        fn name(&self) -> &'static str {
            "slow"
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_relays_on_one_postgresql_database_publish_each_event_once_in_order() {
        for db in TestDatabase::all().await.into_iter().filter(|db| db.label == "postgres") {
            let store = SnapshotStore::with_origin(db.db.clone(), "a");
            for sample in [Sample::Typical, Sample::Unicode, Sample::Empty, Sample::Huge, Sample::Hostile] {
                store.save(&sample.snapshot()).await.unwrap();
            }
            let bus = Arc::new(Slow(std::sync::Mutex::default()));
            let a = OutboxRelay::new(OutboxStore::new(db.db.clone()), bus.clone());
            let b = OutboxRelay::new(OutboxStore::new(db.another_pool().await), bus.clone());

            let mut published = 0;
            while OutboxStore::new(db.db.clone()).count_pending().await.unwrap() > 0 {
                let (x, y) = tokio::join!(a.run_once(), b.run_once());
                published += x.unwrap() + y.unwrap();
            }

            let ids = bus.0.lock().unwrap().clone();
            assert_eq!((published, ids.len()), (5, 5), "{ids:?}");
            let mut sorted = ids.clone();
            sorted.sort_by_key(|id| id.parse::<i64>().unwrap());
            assert_eq!(ids, sorted, "published in commit order");
        }
    }

    #[tokio::test]
    async fn a_broker_outage_delays_events_in_order_and_loses_none() {
        struct Down;
        #[async_trait::async_trait]
        impl EventBus for Down {
            async fn publish(&self, _: &crate::events::Event) -> Result<(), crate::events::EventError> {
                Err(crate::events::EventError::Publish("broker down".to_owned()))
            }
            async fn subscribe(&self) -> Result<crate::events::EventStream, crate::events::EventError> {
                Err(crate::events::EventError::Subscribe("broker down".to_owned()))
            }
            fn name(&self) -> &'static str {
                "down"
            }
        }
        for db in TestDatabase::all().await {
            let store = SnapshotStore::with_origin(db.db.clone(), "a");
            for sample in [Sample::Typical, Sample::Unicode, Sample::Empty] {
                store.save(&sample.snapshot()).await.unwrap();
            }
            let outbox = OutboxStore::new(db.db.clone());

            let down = OutboxRelay::new(outbox.clone(), Arc::new(Down));
            assert!(down.run_once().await.is_err());
            assert_eq!(outbox.count_pending().await.unwrap(), 3, "nothing lost while down: {}", db.label);

            let bus = Arc::new(InProcessBus::default());
            let mut events = bus.subscribe().await.unwrap();
            assert_eq!(OutboxRelay::new(outbox.clone(), bus.clone()).run_once().await.unwrap(), 3);
            let mut logins = Vec::new();
            for _ in 0..3 {
                let event = tokio::time::timeout(Duration::from_secs(5), events.next()).await.unwrap().unwrap();
                if let EventKind::StatsRefreshed { login, .. } = event.kind {
                    logins.push(login);
                }
            }
            assert_eq!(logins, ["octocat", "unicode-person", "newcomer"], "commit order: {}", db.label);
        }
    }
}
