//! Single-flight GitHub fetches: one task per user at a time, joined by everyone who needs it.
//!
//! The fetch runs in a spawned task, so it finishes (and lands in the store and cache) even when
//! every caller stopped waiting; the entry leaves the map when the task ends.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use crate::domain::UserSnapshot;
use crate::github::GitHubError;

pub(super) type FetchResult = Result<Arc<UserSnapshot>, GitHubError>;
/// A fetch under way; awaiting it (any number of times) gives its result.
pub(super) type Flight = Shared<BoxFuture<'static, FetchResult>>;

#[derive(Default)]
pub(super) struct Flights {
    running: Arc<Mutex<HashMap<String, Flight>>>,
}

impl Flights {
    /// The flight for `key` under way, if any.
    pub(super) fn running(&self, key: &str) -> Option<Flight> {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// The flight for `key`, starting `fetch` in a new task when none is under way.
    pub(super) fn join_or_start<F>(&self, key: String, fetch: F) -> Flight
    where
        F: Future<Output = FetchResult> + Send + 'static,
    {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flight) = running.get(&key) {
            return flight.clone();
        }
        let map = self.running.clone();
        let done_key = key.clone();
        // The task removes its own entry; it cannot run before the insert below, because that
        // needs the lock this function holds.
        let task = tokio::spawn(async move {
            let result = fetch.await;
            map.lock().unwrap_or_else(|p| p.into_inner()).remove(&done_key);
            result
        });
        let flight = async move {
            task.await.unwrap_or_else(|error| Err(GitHubError::Transport(format!("the fetch task failed: {error}"))))
        }
        .boxed()
        .shared();
        running.insert(key, flight.clone());
        flight
    }
}
