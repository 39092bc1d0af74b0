//! Event consumers: keep this replica's cache in step with refreshes made elsewhere (every
//! replica), and re-render stored banners when their user's stats change (one replica per event,
//! through a consumer group). Both tolerate duplicates: reloading or re-rendering twice is harmless.

use std::sync::Arc;

use futures_util::StreamExt;

use crate::banners::BannerService;
use crate::domain::Login;
use crate::events::{EventBus, EventError, EventKind};
use crate::stats::StatsService;

/// Consumer group whose members share the re-rendering.
pub(crate) const RENDER_GROUP: &str = "banner-renderers";

pub async fn spawn_consumers(
    bus: Arc<dyn EventBus>,
    stats: StatsService,
    banners: BannerService,
    origin: String,
) -> Result<Vec<tokio::task::JoinHandle<()>>, EventError> {
    let mut every_event = bus.subscribe().await?;
    let cache_stats = stats.clone();
    let cache = tokio::spawn(async move {
        while let Some(event) = every_event.next().await {
            if let EventKind::StatsRefreshed { login, .. } = &event.kind
                && event.origin != origin
                && let Ok(login) = Login::parse(login)
            {
                cache_stats.reload_from_store(&login).await;
            }
        }
    });
    let mut shared = bus.subscribe_group(RENDER_GROUP).await?;
    let render = tokio::spawn(async move {
        while let Some(event) = shared.next().await {
            let EventKind::StatsRefreshed { login, .. } = &event.kind else { continue };
            let Ok(login) = Login::parse(login) else { continue };
            if let Err(error) = banners.rerender_user(&login).await {
                tracing::warn!(%error, login = %login, "re-rendering banners failed");
            }
        }
    });
    Ok(vec![cache, render])
}
