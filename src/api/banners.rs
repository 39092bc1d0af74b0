//! Persistent banners over REST: `POST /banners` (API key) creates, `GET /banners/{id}.svg|.png`
//! serves the stored render (ETag/304), `DELETE /banners/{id}` (API key) removes.

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json};
use serde_json::json;

use super::auth::Caller;
use super::preview::{ImageFormat, error_image, image_response};
use super::{AppError, AppState};
use crate::banners::{Banner, BannerInput};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/banners", post(create)).route("/banners/{file}", get(image).delete(delete))
}

/// `{"error": {"code", "message"}}` with the error's status; 5xx causes logged, not shown.
pub(super) fn json_error(error: &AppError) -> Response {
    let status = error.status();
    let message = if status.is_server_error() {
        tracing::error!(code = error.code(), %error, "request failed");
        error.public_text().1
    } else {
        error.to_string()
    };
    let mut response = (status, Json(json!({ "error": { "code": error.code(), "message": message } }))).into_response();
    if let Some(seconds) = error.retry_after()
        && let Ok(value) = seconds.to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn with_urls(banner: &Banner) -> serde_json::Value {
    json!({
        "banner": banner,
        "urls": { "svg": format!("/banners/{}.svg", banner.id), "png": format!("/banners/{}.png", banner.id) },
    })
}

async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed: Option<Extension<Caller>>,
    body: Result<Json<BannerInput>, JsonRejection>,
) -> Response {
    if state.caller(&headers, signed) != Caller::Trusted {
        return json_error(&AppError::Unauthenticated);
    }
    let input = match body {
        Ok(Json(input)) => input,
        Err(rejection) => {
            return json_error(&AppError::InvalidParameter { name: "body", reason: rejection.body_text() });
        }
    };
    match state.banners.create(input).await {
        Ok(banner) => {
            (StatusCode::CREATED, [(header::LOCATION, format!("/banners/{}.svg", banner.id))], Json(with_urls(&banner)))
                .into_response()
        }
        Err(error) => json_error(&error.into()),
    }
}

async fn image(State(state): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let (id, format) = match file.rsplit_once('.') {
        Some((id, "svg")) => (id, ImageFormat::Svg),
        Some((id, "png")) => (id, ImageFormat::Png),
        _ => {
            let error =
                AppError::InvalidParameter { name: "format", reason: "use /banners/{id}.svg or .png".to_owned() };
            return error_image(&state, &error, "", ImageFormat::Svg).await;
        }
    };
    let extension = if format == ImageFormat::Png { "png" } else { "svg" };
    match state.banners.image(id, extension).await {
        Ok(image) => {
            let soft = state.stats.policy().soft.as_secs();
            let hard = state.stats.policy().hard.as_secs();
            let cache = format!("public, max-age={soft}, stale-while-revalidate={hard}");
            let mut response = image_response(&headers, image.bytes, format, &cache);
            if let Ok(value) = image.freshness.as_str().parse() {
                response.headers_mut().insert("x-stats-status", value);
            }
            response
        }
        Err(error) => error_image(&state, &error.into(), "", format).await,
    }
}

async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    signed: Option<Extension<Caller>>,
) -> Response {
    if state.caller(&headers, signed) != Caller::Trusted {
        return json_error(&AppError::Unauthenticated);
    }
    match state.banners.delete(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => json_error(&error.into()),
    }
}
