//! Event consumers: keep this replica's cache in step with refreshes made elsewhere (every
//! replica), and re-render stored banners when their user's stats change (one replica per event,
//! through a consumer group). Both tolerate duplicates: reloading or re-rendering twice is harmless.
//!
//! `run_once` handles the events that have already arrived and returns without waiting, so tests
//! step the consumers; `spawn` handles them as they arrive until cancelled.

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

struct Inner {
    /// Every event (this replica's cache follows other replicas' refreshes).
    every: Mutex<EventStream>,
    /// This replica's share of the re-rendering.
    shared: Mutex<EventStream>,
    stats: StatsService,
    banners: BannerService,
    origin: String,
}

impl Consumers {
    pub async fn subscribe(
        bus: &dyn EventBus,
        stats: StatsService,
        banners: BannerService,
        origin: String,
    ) -> Result<Self, EventError> {
        let every = Mutex::new(bus.subscribe().await?);
        let shared = Mutex::new(bus.subscribe_group(RENDER_GROUP).await?);
        Ok(Self { inner: Arc::new(Inner { every, shared, stats, banners, origin }) })
    }

    /// Handles every event that has arrived, without waiting for more; returns how many.
    pub async fn run_once(&self) -> usize {
        let mut handled = 0;
        loop {
            let mut progress = false;
            if let Some(event) = ready(&self.inner.every).await {
                self.follow(&event).await;
                handled += 1;
                progress = true;
            }
            if let Some(event) = ready(&self.inner.shared).await {
                self.rerender(&event).await;
                handled += 1;
                progress = true;
            }
            if !progress {
                return handled;
            }
        }
    }

    /// Handles events as they arrive until `cancel` fires.
    pub fn spawn(&self, cancel: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        let every = {
            let this = self.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                let mut stream = this.inner.every.lock().await;
                while let Some(event) = next(&mut stream, &cancel).await {
                    this.follow(&event).await;
                }
            })
        };
        let shared = {
            let this = self.clone();
            tokio::spawn(async move {
                let mut stream = this.inner.shared.lock().await;
                while let Some(event) = next(&mut stream, &cancel).await {
                    this.rerender(&event).await;
                }
            })
        };
        vec![every, shared]
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

/// The next event if one has arrived (never waits).
async fn ready(stream: &Mutex<EventStream>) -> Option<Event> {
    stream.lock().await.next().now_or_never().flatten()
}

async fn next(stream: &mut EventStream, cancel: &CancellationToken) -> Option<Event> {
    tokio::select! {
        event = stream.next() => event,
        () = cancel.cancelled() => None,
    }
}
