//! `GET /banners/preview` (and `/banners/preview.png`): a card for any GitHub user, straight from
//! the query string. Always answers with an image: the card, or an error card that says what is
//! wrong (in the requested theme and format when those parts were valid).

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use super::clients::Client;
use super::image_http::{count_view, error_image, image_response};
use super::{AppState, ImageRoute};
use crate::domain::ImageFormat;
use crate::images::{CardRequest, ImageError, UrlRequest, format, query_pairs};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/banners/preview", get(preview)).route("/banners/preview.png", get(preview_png))
}

async fn preview(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, None).await
}

async fn preview_png(state: State<AppState>, client: Client, query: RawQuery, headers: HeaderMap) -> Response {
    respond(state, client, query, headers, Some(ImageFormat::Png)).await
}

async fn respond(
    State(state): State<AppState>,
    client: Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    forced: Option<ImageFormat>,
) -> Response {
    let query = query.unwrap_or_default();
    let rendered = async {
        let request = parsed(&state, &query, forced)?;
        let rendered = state.images.image(&request.request, &client.budget(&state)).await?;
        count_view(&state, &request.request);
        Ok::<_, ImageError>(rendered)
    };
    match rendered.await {
        Ok(rendered) => image_response(&headers, &rendered, &state.cache_policy()),
        Err(error) => {
            // The error card follows the card's theme and format whenever those parts were valid.
            let params = query_pairs(Some(&query));
            let theme = params.get("theme").map(|t| t.trim().to_ascii_lowercase()).unwrap_or_default();
            let format = format(&params, forced).unwrap_or(ImageFormat::Svg);
            error_image(&state, error.into(), &theme, format).await
        }
    }
}

/// The request a query string stands for. README images ask with the same URL again and again,
/// so valid ones are remembered, parsed (bounded in number, by the raw query).
fn parsed(state: &AppState, query: &str, forced: Option<ImageFormat>) -> Result<Arc<UrlRequest>, ImageError> {
    let key = (ImageRoute::Preview(forced), query.to_owned());
    if let Some(request) = state.parsed_requests.get(&key) {
        return Ok(request);
    }
    let request = CardRequest::from_params(&query_pairs(Some(query)), forced)?;
    let request = Arc::new(UrlRequest { request, max_age: None });
    state.parsed_requests.insert(key, request.clone());
    Ok(request)
}
