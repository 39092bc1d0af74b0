//! Start-up: wire settings into services, bind the listener, serve until a shutdown signal.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::signing::RequestSigning;
use crate::api::webhooks::WebhookVerifier;
use crate::api::{ApiKeys, AppInner, AppState, router};
use crate::banners::BannerService;
use crate::config::Settings;
use crate::github::{GitHubClient, RetryPolicy};
use crate::render::Renderer;
use crate::stats::{StatsService, TtlPolicy};
use crate::store::{self, BannerStore, SnapshotStore};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    address: SocketAddr,
    /// Keeps the themes watcher alive as long as the application.
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Application {
    /// Connects and migrates the database, builds the services and binds the listener (port 0
    /// picks a free port; `address()` tells which).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let db = store::connect(settings.database.url()).await.context("could not open the database")?;
        store::migrate(&db).await.context("could not migrate the database")?;

        if settings.github_tokens.is_empty() {
            tracing::warn!(
                "GITHUB_TOKENS is not set: banners will show an error card until it is \
                 (GITHUB_TOKENS=token1,token2; tokens need no scopes)"
            );
        }
        let retry = RetryPolicy::default();
        let request_timeout = settings.request_timeout * (retry.max_attempts + 1);
        let github = GitHubClient::new(
            settings.github_api_url.clone(),
            settings.github_tokens.clone(),
            settings.request_timeout,
            retry,
        )
        .context("could not build the GitHub client")?;
        let stats = StatsService::new(
            Arc::new(github),
            SnapshotStore::new(db.clone()),
            TtlPolicy { soft: settings.cache_soft_ttl, hard: settings.cache_hard_ttl },
            settings.cache_max_users,
        );
        let themes_dir = settings.themes.resolve()?;
        let renderer = Arc::new(Renderer::load(themes_dir.as_deref()).context("the themes did not load")?);
        let banners = BannerService::new(BannerStore::new(db.clone()), stats.clone(), renderer.clone());
        banners.spawn_rerender_on_refresh();
        let api_keys = ApiKeys::new(&settings.api_keys);
        let signing = RequestSigning::new(settings.services_secret_key.clone(), settings.services_replay_window);
        let webhooks = WebhookVerifier::new(settings.github_webhook_secret.clone());
        let state = AppState::new(AppInner { stats, renderer, banners, api_keys, signing, webhooks, db });
        let watcher = match (&themes_dir, settings.watch_themes) {
            (Some(dir), true) => Some(watch_themes(state.clone(), dir).context("could not watch THEMES_DIR")?),
            (None, true) => anyhow::bail!("--watch-themes needs a themes directory (THEMES_DIR or ./themes)"),
            _ => None,
        };

        let address = SocketAddr::new(settings.host, settings.port);
        let listener = TcpListener::bind(address).await.with_context(|| format!("could not listen on {address}"))?;
        let address = listener.local_addr()?;
        Ok(Self { listener, router: router(state, request_timeout), address, _watcher: watcher })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(address = %self.address, "listening");
        axum::serve(self.listener, self.router).with_graceful_shutdown(shutdown_signal()).await
    }
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
