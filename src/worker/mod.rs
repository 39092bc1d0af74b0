//! Background work: the refresh scheduler (keeps banner owners' and recently viewed users' stats
//! fresh before anyone waits for them), the outbox relay (publishes committed events), and the
//! event consumers (re-render banners, update this replica's cache).
//!
//! Each loop has a `run_once()` that does one round and returns what it did, so tests drive them
//! step by step; `spawn` runs the loops until the process stops.

mod consumers;
mod relay;
mod scheduler;

pub use consumers::spawn_consumers;
pub use relay::OutboxRelay;
pub use scheduler::{RefreshRound, RefreshScheduler, SchedulerSettings};
