//! Background work: the refresh scheduler (keeps banner owners' and recently viewed users' stats
//! fresh before anyone waits for them), the outbox relay (publishes committed events), and the
//! event consumers (re-render banners, update this replica's cache).
//!
//! Each loop has a `run_once()` that does one round and returns what it did, so tests drive them
//! step by step; `spawn` runs the loop until its cancellation token fires (at shutdown, when the
//! application awaits the tasks).

mod consumers;
mod relay;
mod scheduler;

pub use consumers::Consumers;
pub use relay::{OutboxRelay, RelayError};
pub use scheduler::{RefreshRound, RefreshScheduler, SchedulerSettings};

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Runs `flush` every `every` until `cancel` fires, and once more then, so what a process gathered
/// in memory since the last round is written at shutdown too. A failed round is logged with
/// `failed` and the next one tries again.
pub fn spawn_flushing<F, Fut, T, E>(
    every: Duration,
    cancel: CancellationToken,
    failed: &'static str,
    mut flush: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        loop {
            let stop = tokio::select! {
                () = tokio::time::sleep(every) => false,
                () = cancel.cancelled() => true,
            };
            if let Err(error) = flush().await {
                tracing::warn!(%error, "{failed}");
            }
            if stop {
                return;
            }
        }
    })
}

/// Publishes what is committed and handles what arrived, until nothing moves: one step of the
/// relay and consumers for callers that drive them (tests, the CLI). Returns the events handled.
pub async fn step(relay: &OutboxRelay, consumers: &Consumers) -> anyhow::Result<usize> {
    let mut handled = 0;
    loop {
        let published = relay.run_once().await?;
        let consumed = consumers.run_once().await?;
        handled += consumed;
        if published == 0 && consumed == 0 {
            return Ok(handled);
        }
    }
}
