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
