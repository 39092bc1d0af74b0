//! View counts for `User.views` and `Banner.views`, loaded for a whole response at once.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ErrorExtensions as _};

use super::state;
use crate::api::{AppError, AppState};
use crate::domain::ViewSubject;

pub(super) struct ViewsLoader {
    state: AppState,
}

impl ViewsLoader {
    pub(super) fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl Loader<(ViewSubject, String)> for ViewsLoader {
    type Value = i64;
    type Error = Arc<async_graphql::Error>;

    async fn load(&self, keys: &[(ViewSubject, String)]) -> Result<HashMap<(ViewSubject, String), i64>, Self::Error> {
        let mut counts = HashMap::new();
        for subject in [ViewSubject::User, ViewSubject::Banner] {
            let wanted: Vec<String> = keys.iter().filter(|(s, _)| *s == subject).map(|(_, k)| k.clone()).collect();
            if wanted.is_empty() {
                continue;
            }
            let found = self
                .state
                .views
                .counts(subject, &wanted)
                .await
                .map_err(|e| Arc::new(AppError::internal(e).extend()))?;
            counts.extend(found.into_iter().map(|(key, views)| ((subject, key), views)));
        }
        Ok(counts)
    }
}

/// Views of one subject: through the request's loader (queries over HTTP), else directly
/// (subscriptions over a WebSocket have no per-request loader).
pub(super) async fn count(ctx: &Context<'_>, subject: ViewSubject, key: String) -> async_graphql::Result<i64> {
    if let Ok(loader) = ctx.data::<DataLoader<ViewsLoader>>() {
        return Ok(loader.load_one((subject, key)).await.map_err(|e| (*e).clone())?.unwrap_or(0));
    }
    let counts = state(ctx)?
        .views
        .counts(subject, std::slice::from_ref(&key))
        .await
        .map_err(|e| AppError::internal(e).extend())?;
    Ok(counts.get(&key).copied().unwrap_or(0))
}
