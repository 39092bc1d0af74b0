//! Event consumers: keep this replica's cache in step with refreshes made elsewhere (every
//! replica), and re-render stored banners when their user's stats change (one replica per event,
//! through a consumer group). Both tolerate duplicates: reloading or re-rendering twice is harmless.
//!
//! `run_once` handles the events that have already arrived and returns without waiting, so tests
//! step the consumers; `spawn` handles them as they arrive until cancelled.
//!
//! Subscribing needs the broker, which may be down when the process starts: the subscriptions are
//! made on first use and retried with a growing pause, and images are served meanwhile (events
//! wait in the outbox). Events are at least once; each consumer skips an event id it has applied.

use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::banners::BannerService;
use crate::domain::Login;
use crate::events::{Event, EventBus, EventError, EventKind, EventStream};
use crate::stats::StatsService;

/// Consumer group whose members share the re-rendering.
pub(crate) const RENDER_GROUP: &str = "banner-renderers";

/// This replica's subscriptions and what it does with their events; cheap to clone.
#[derive(Clone)]
pub struct Consumers {
    inner: Arc<Inner>,
}

/// Event ids remembered per consumer for skipping duplicates.
const REMEMBERED_EVENTS: u64 = 100_000;

struct Inner {
    bus: Arc<dyn EventBus>,
    /// Every event (this replica's cache follows other replicas' refreshes).
    every: Mutex<Option<EventStream>>,
    /// This replica's share of the re-rendering.
    shared: Mutex<Option<EventStream>>,
    /// Ids of the events each consumer applied (`every:` / `shared:` prefixed).
    applied: moka::sync::Cache<String, ()>,
    /// How many of the two subscriptions are made.
    subscribed: tokio::sync::watch::Sender<u8>,
    stats: StatsService,
    banners: BannerService,
    origin: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Every,
    Shared,
}

impl Consumers {
    /// The consumers of `bus`; nothing is subscribed until they first run.
    pub fn new(bus: Arc<dyn EventBus>, stats: StatsService, banners: BannerService, origin: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                bus,
                every: Mutex::new(None),
                shared: Mutex::new(None),
                applied: moka::sync::Cache::new(REMEMBERED_EVENTS),
                subscribed: tokio::sync::watch::Sender::new(0),
                stats,
                banners,
                origin,
            }),
        }
    }

    /// Subscribes both consumers now (when they are not yet).
    pub async fn subscribe(&self) -> Result<(), EventError> {
        self.stream(Which::Every).await.map(drop)?;
        self.stream(Which::Shared).await.map(drop)
    }

    /// True while both subscriptions are made (readiness).
    pub fn subscribed(&self) -> bool {
        *self.inner.subscribed.borrow() == 2
    }

    /// Completes once both subscriptions are made.
    pub async fn wait_subscribed(&self) {
        let _ = self.inner.subscribed.subscribe().wait_for(|n| *n == 2).await;
    }

    /// Handles every event that has arrived, without waiting for more; returns how many were
    /// applied (a duplicate is read and skipped).
    pub async fn run_once(&self) -> Result<usize, EventError> {
        self.subscribe().await?;
        let mut handled = 0;
        loop {
            let mut progress = false;
            for which in [Which::Every, Which::Shared] {
                let event = {
                    let mut stream = self.stream(which).await?;
                    stream.as_mut().and_then(|s| s.next().now_or_never().flatten())
                };
                if let Some(event) = event {
                    handled += usize::from(self.handle(which, &event).await);
                    progress = true;
                }
            }
            if !progress {
                return Ok(handled);
            }
        }
    }

    /// Handles events as they arrive until `cancel` fires, subscribing (and resubscribing after a
    /// failure) with a growing pause.
    pub fn spawn(&self, cancel: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        [Which::Every, Which::Shared]
            .into_iter()
            .map(|which| {
                let this = self.clone();
                let cancel = cancel.clone();
                tokio::spawn(async move { this.consume(which, cancel).await })
            })
            .collect()
    }

    async fn consume(&self, which: Which, cancel: CancellationToken) {
        let mut failures = 0u32;
        while !cancel.is_cancelled() {
            // Subscribing can wait for the broker for a while; shutting down must not.
            let subscribed = tokio::select! {
                subscribed = self.stream(which) => subscribed,
                () = cancel.cancelled() => return,
            };
            let mut stream = match subscribed {
                Ok(stream) => stream,
                Err(error) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_power_of_two() {
                        tracing::warn!(%error, failures, "could not subscribe to events; retrying (images are served meanwhile)");
                    }
                    let pause = std::time::Duration::from_millis(500) * failures.min(20);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => continue,
                        () = cancel.cancelled() => return,
                    }
                }
            };
            if failures > 0 {
                tracing::info!("subscribed to events");
                failures = 0;
            }
            let Some(events) = stream.as_mut() else { continue };
            while let Some(event) = next(events, &cancel).await {
                self.handle(which, &event).await;
            }
            if !cancel.is_cancelled() {
                // The bus ended the stream: subscribe again.
                *stream = None;
                self.inner.subscribed.send_modify(|n| *n = n.saturating_sub(1));
            }
        }
    }

    /// The subscription of `which`, made now if it is missing.
    async fn stream(&self, which: Which) -> Result<tokio::sync::MutexGuard<'_, Option<EventStream>>, EventError> {
        let slot = match which {
            Which::Every => &self.inner.every,
            Which::Shared => &self.inner.shared,
        };
        let mut stream = slot.lock().await;
        if stream.is_none() {
            *stream = Some(match which {
                Which::Every => self.inner.bus.subscribe().await?,
                Which::Shared => self.inner.bus.subscribe_group(RENDER_GROUP).await?,
            });
            self.inner.subscribed.send_modify(|n| *n = n.saturating_add(1));
        }
        Ok(stream)
    }

    /// Applies an event once per consumer: a redelivered id is skipped. True when applied.
    async fn handle(&self, which: Which, event: &Event) -> bool {
        let tag = match which {
            Which::Every => "every",
            Which::Shared => "shared",
        };
        let key = format!("{tag}:{}", event.id);
        if self.inner.applied.contains_key(&key) {
            tracing::debug!(id = event.id, "skipping an event already applied");
            return false;
        }
        match which {
            Which::Every => self.follow(event).await,
            Which::Shared => self.rerender(event).await,
        }
        self.inner.applied.insert(key, ());
        true
    }

    /// Another replica refreshed a user: take its snapshot into this cache.
    async fn follow(&self, event: &Event) {
        if let EventKind::StatsRefreshed { login, .. } = &event.kind
            && event.origin != self.inner.origin
            && let Ok(login) = Login::parse(login)
        {
            self.inner.stats.reload_from_store(&login).await;
        }
    }

    async fn rerender(&self, event: &Event) {
        let EventKind::StatsRefreshed { login, .. } = &event.kind else { return };
        let Ok(login) = Login::parse(login) else { return };
        if let Err(error) = self.inner.banners.rerender_user(&login).await {
            tracing::warn!(%error, login = %login, "re-rendering banners failed");
        }
    }
}

async fn next(stream: &mut EventStream, cancel: &CancellationToken) -> Option<Event> {
    tokio::select! {
        event = stream.next() => event,
        () = cancel.cancelled() => None,
    }
}
