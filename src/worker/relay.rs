//! The outbox relay: publishes committed events in order and marks them sent. A crash between
//! publish and mark means the event is published again after restart: consumers tolerate
//! duplicates; what the outbox guarantees is that no committed event is lost.

use std::sync::Arc;
use std::time::Duration;

use crate::events::EventBus;
use crate::store::{OutboxStore, StoreError};

/// Events published per round.
const BATCH: u64 = 100;

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
    pub async fn run_once(&self) -> Result<usize, RelayError> {
        let pending = self.outbox.pending(BATCH).await?;
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
        self.outbox.mark_sent(&sent).await?;
        match failure {
            Some(message) => Err(RelayError::Publish { published: sent.len(), message }),
            None => Ok(sent.len()),
        }
    }

    /// Runs rounds until the process stops: immediately again while there is a backlog, else
    /// every `interval`; a broker outage only delays events (logged, retried).
    pub fn spawn(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                match self.run_once().await {
                    Ok(n) if n as u64 == BATCH => continue,
                    Ok(_) => failures = 0,
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        if failures == 1 || failures.is_power_of_two() {
                            tracing::warn!(%error, failures, bus = self.bus.name(), "outbox relay: events are waiting");
                        }
                    }
                }
                let backoff = interval * failures.clamp(1, 20);
                tokio::time::sleep(backoff).await;
            }
        })
    }
}
