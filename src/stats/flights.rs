//! Single-flight GitHub fetches: one task per user (or repository, or gist) at a time, joined by
//! everyone who needs it.
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

pub(crate) type FetchResult<T = UserSnapshot> = Result<Arc<T>, GitHubError>;
/// A fetch under way; awaiting it (any number of times) gives its result.
pub(crate) type Flight<T = UserSnapshot> = Shared<BoxFuture<'static, FetchResult<T>>>;

pub(crate) struct Flights<T = UserSnapshot> {
    running: Arc<Mutex<HashMap<String, Flight<T>>>>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Self { running: Arc::default() }
    }
}

impl<T: Send + Sync + 'static> Flights<T> {
    /// The flight for `key` under way, if any.
    pub(crate) fn running(&self, key: &str) -> Option<Flight<T>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    /// The flight for `key`, starting `fetch` in a new task when none is under way.
    pub(crate) fn join_or_start<F>(&self, key: String, fetch: F) -> Flight<T>
    where
        F: Future<Output = FetchResult<T>> + Send + 'static,
    {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(flight) = running.get(&key) {
            crate::metrics::single_flight_join();
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
