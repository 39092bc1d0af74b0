//! Start-up: wire settings into services, bind the listener, serve until a shutdown signal.

mod services;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{AppState, router};
use crate::clock::Clock;
use crate::config::Settings;

pub use services::{Background, Services};

/// Longest the background loops get to finish their round at shutdown.
pub(super) const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// Longest a request may take end to end.
const REQUEST_DEADLINE: Duration = Duration::from_secs(15);

/// How tests change a built application.
#[derive(Clone)]
pub struct Overrides {
    /// The clock every service goes by.
    pub clock: Arc<dyn Clock>,
    /// Background loops are not started: the test drives them (`Services::step`,
    /// `RefreshScheduler::run_once`).
    pub manual_background: bool,
}

impl Default for Overrides {
    fn default() -> Self {
        Self { clock: crate::clock::system(), manual_background: false }
    }
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    address: SocketAddr,
    header_read_timeout: Duration,
    services: Services,
    background: Option<Background>,
    /// Keeps the themes watcher alive as long as the application.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Application {
    /// Builds the services, starts background work (the scheduler unless `--no-worker`) and binds
    /// the listener (port 0 picks a free port; `address()` tells which).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, Overrides::default()).await
    }

    /// As `build`, with the test's clock and (optionally) background work left to the test.
    pub async fn build_with(settings: &Settings, overrides: Overrides) -> anyhow::Result<Self> {
        let services = Services::build_with_clock(settings, overrides.clock).await?;
        let background = (!overrides.manual_background).then(|| services.start_background(!settings.worker.no_worker));
        let state = services.state.clone();
        // Visitors wait at most FIRST_VIEW_DEADLINE for GitHub; this only bounds the rest (a
        // database that hangs, a slow client body).
        let request_timeout = REQUEST_DEADLINE.max(settings.first_view_deadline * 2);
        let watcher = match (&services.themes_dir, settings.watch_themes) {
            (Some(dir), true) => Some(watch_themes(state.clone(), dir).context("could not watch THEMES_DIR")?),
            (None, true) => anyhow::bail!("--watch-themes needs a themes directory (THEMES_DIR or ./themes)"),
            _ => None,
        };
        let address = SocketAddr::new(settings.host, settings.port);
        let listener = TcpListener::bind(address).await.with_context(|| format!("could not listen on {address}"))?;
        let address = listener.local_addr()?;
        Ok(Self {
            listener,
            router: router(state, request_timeout),
            address,
            header_read_timeout: settings.limits.header_read_timeout,
            services,
            background,
            _watcher: watcher,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The services behind the API (tests drive the scheduler and relay through these).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish and stops the
    /// background loops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes (tests stop it themselves), then shuts down as above.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        tracing::info!(address = %self.address, "listening");
        let served = crate::api::server::serve(self.listener, self.router, self.header_read_timeout, stop).await;
        if let Some(background) = self.background {
            background.shutdown().await;
        }
        // No request is in flight any more: what was counted since the last flush is written
        // now (also when the test drives the background loops itself).
        match self.services.state.views.flush().await {
            Ok(subjects) => tracing::info!(subjects, "view counts written"),
            Err(error) => tracing::error!(%error, "could not write the last view counts; they are lost"),
        }
        served
    }
}

/// The `worker` role: scheduler, relay and consumers, no HTTP API; runs until a shutdown signal.
pub async fn run_worker(settings: &Settings) -> anyhow::Result<()> {
    let services = Services::build(settings).await?;
    let background = services.start_background(true);
    tracing::info!("worker running (no HTTP API)");
    shutdown_signal().await;
    background.shutdown().await;
    Ok(())
}

/// Reloads the theme packs after files under `dir` change (after a short quiet period, since an
/// editor's save is several events).
fn watch_themes(state: AppState, dir: &std::path::Path) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(dir, notify::RecursiveMode::Recursive)?;
    tracing::info!(dir = %dir.display(), "watching themes for changes");
    tokio::spawn(async move {
        while rx.recv().await.is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            while rx.try_recv().is_ok() {}
            let state = state.clone();
            match tokio::task::spawn_blocking(move || state.renderer.reload()).await {
                Ok(errors) if errors.is_empty() => tracing::info!("themes reloaded"),
                Ok(errors) => tracing::warn!(failed = errors.len(), "themes reloaded; some packs did not load"),
                Err(error) => tracing::error!(%error, "theme reload failed"),
            }
        }
    });
    Ok(watcher)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
