//! github-readme-stats' routes on our image service: a README moves over by changing only the host
//! of its image URLs. The translation of its query strings is `images::grs`. Also
//! github-readme-streak-stats' one route, `/?user=NAME` (`images::streak_stats`); a bare `/` leads
//! to the card builder.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use std::sync::Arc;

use super::clients::Client;
use super::image_http::{count_view, error_image, image_response};
use super::{AppState, ImageRoute};
use std::collections::HashMap;

use crate::domain::ImageFormat;
use crate::images::grs::{self, GrsCard};
use crate::images::streak_stats;
use crate::images::{ImageError, UrlRequest, query_pairs};
use crate::render::OptionError;

pub(super) fn routes() -> Router<AppState> {
    // README URLs are written both ways (`/api/top-langs/?username=...`).
    Router::new()
        .route("/api", get(stats))
        .route("/api/", get(stats))
        .route("/api/top-langs", get(top_languages))
        .route("/api/top-langs/", get(top_languages))
        .route("/api/pin", get(pin))
        .route("/api/pin/", get(pin))
        .route("/api/gist", get(gist))
        .route("/api/gist/", get(gist))
        .route("/api/wakatime", get(wakatime))
        .route("/api/wakatime/", get(wakatime))
        .route("/", get(streak_stats_or_builder))
}

/// A route that takes another service's URLs.
#[derive(Debug, Clone, Copy)]
enum Foreign {
    Grs(GrsCard),
    StreakStats,
}

impl Foreign {
    fn route(self) -> ImageRoute {
        match self {
            Foreign::Grs(card) => ImageRoute::Grs(card),
            Foreign::StreakStats => ImageRoute::StreakStats,
        }
    }

    fn translate(
        self,
        params: &HashMap<String, String>,
        installed: impl Fn(&str) -> bool,
    ) -> Result<UrlRequest, OptionError> {
        match self {
            Foreign::Grs(card) => grs::translate(card, params, installed),
            Foreign::StreakStats => streak_stats::translate(params, installed),
        }
    }

    fn format_of(self, params: &HashMap<String, String>) -> ImageFormat {
        match self {
            Foreign::Grs(_) => grs::format_of(params),
            Foreign::StreakStats => streak_stats::format_of(params),
        }
    }
}

/// `/?user=NAME&...` is a github-readme-streak-stats URL: its streak card; `/` alone is a person
/// looking for the builder.
async fn streak_stats_or_builder(
    state: State<AppState>,
    client: Client,
    query: RawQuery,
    headers: HeaderMap,
) -> Response {
    let asks_for_user =
        query.0.as_deref().is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "user"));
    if !asks_for_user {
        return Redirect::to("/builder").into_response();
    }
    respond(state, client, query, headers, Foreign::StreakStats).await
}

async fn wakatime(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Foreign::Grs(GrsCard::WakaTime)).await
}

async fn pin(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Foreign::Grs(GrsCard::Pin)).await
}

async fn gist(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Foreign::Grs(GrsCard::Gist)).await
}

async fn stats(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Foreign::Grs(GrsCard::Stats)).await
}

async fn top_languages(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Foreign::Grs(GrsCard::TopLanguages)).await
}

async fn respond(
    State(state): State<AppState>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    foreign: Foreign,
) -> Response {
    let query = query.unwrap_or_default();
    let rendered = async {
        let parsed = parsed(&state, &query, foreign)?;
        let rendered = state.images.image(&parsed.request, &client.budget(&state)).await?;
        count_view(&state, &parsed.request);
        Ok::<_, ImageError>((parsed, rendered))
    };
    match rendered.await {
        Ok((parsed, rendered)) => {
            let mut policy = state.cache_policy();
            policy.requested_max_age = parsed.max_age;
            image_response(&headers, &rendered, &policy)
        }
        Err(error) => {
            // Those services draw their error cards in the requested theme; so do we when the
            // theme is installed.
            let params = query_pairs(Some(&query));
            let theme = params.get("theme").map(|t| t.trim().to_ascii_lowercase()).unwrap_or_default();
            error_image(&state, error.into(), &theme, foreign.format_of(&params)).await
        }
    }
}

/// The translated request, remembered by its raw query like the preview's.
fn parsed(state: &AppState, query: &str, foreign: Foreign) -> Result<Arc<UrlRequest>, ImageError> {
    let key = (foreign.route(), query.to_owned());
    if let Some(request) = state.parsed_requests.get(&key) {
        return Ok(request);
    }
    let themes = state.renderer.themes();
    let request = Arc::new(foreign.translate(&query_pairs(Some(query)), |t| themes.get(t).is_some())?);
    state.parsed_requests.insert(key, request.clone());
    Ok(request)
}
