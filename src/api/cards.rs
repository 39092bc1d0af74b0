//! The card routes that take their request from the query string: ours (`/banners/preview`,
//! `/banners/preview.png`), github-readme-stats' (`/api`, `/api/top-langs`, `/api/pin`,
//! `/api/gist`, `/api/wakatime`), so a README moves over by changing only the host, and
//! github-readme-streak-stats' (`/?user=NAME`; a bare `/` leads to the card builder). One
//! responder serves them all: the query becomes one card request (`images::UrlRequest`), the
//! image service admits and draws it, and every answer is an image (the card, or an error card
//! in the theme and format asked for).

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::clients::Client;
use super::image_http::{count_view, error_image, image_response};
use super::{AppState, ParsedKey};
use crate::domain::ImageFormat;
use crate::images::grs::GrsCard;
use crate::images::{Refused, UrlRequest, UrlRoute, query_pairs};

pub(super) fn routes() -> Router<AppState> {
    let route = |route: UrlRoute| {
        get(move |state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap| {
            respond(state, client, query, headers, route)
        })
    };
    // README URLs are written both ways (`/api/top-langs/?username=...`).
    let mut router = Router::new()
        .route("/banners/preview", route(UrlRoute::Ours(None)))
        .route("/banners/preview.png", route(UrlRoute::Ours(Some(ImageFormat::Png))))
        .route("/", get(streak_stats_or_builder));
    for (path, card) in [
        ("/api", GrsCard::Stats),
        ("/api/top-langs", GrsCard::TopLanguages),
        ("/api/pin", GrsCard::Pin),
        ("/api/gist", GrsCard::Gist),
        ("/api/wakatime", GrsCard::WakaTime),
    ] {
        router = router.route(path, route(UrlRoute::Grs(card))).route(&format!("{path}/"), route(UrlRoute::Grs(card)));
    }
    router
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
    respond(state, client, query, headers, UrlRoute::StreakStats).await
}

async fn respond(
    State(state): State<AppState>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    route: UrlRoute,
) -> Response {
    let query = query.unwrap_or_default();
    let parsed = match parsed(&state, &query, route) {
        Ok(parsed) => parsed,
        Err(refused) => return error_image(&state, refused.error.into(), &refused.look).await,
    };
    let request = &parsed.request;
    match state.images.image(request, &client.payer(&state)).await {
        Ok(rendered) => {
            count_view(&state, request);
            let mut policy = state.cache_policy();
            policy.requested_max_age = parsed.max_age;
            image_response(&headers, &rendered, &policy)
        }
        Err(error) => error_image(&state, error.into(), &request.look()).await,
    }
}

/// The request a query string stands for. README images ask with the same URL again and again,
/// so valid ones are remembered, parsed; the memory they take is bounded by bytes, and long
/// queries are not kept (see `ParsedKey`).
fn parsed(state: &AppState, query: &str, route: UrlRoute) -> Result<Arc<UrlRequest>, Refused> {
    let key = ParsedKey::new(route, query);
    if let Some(request) = key.as_ref().and_then(|key| state.parsed_requests.get(key)) {
        return Ok(request);
    }
    let themes = state.renderer.themes();
    let request = Arc::new(UrlRequest::parse(route, &query_pairs(Some(query)), |t| themes.get(t).is_some())?);
    if let Some(key) = key {
        state.parsed_requests.insert(key, request.clone());
    }
    Ok(request)
}
