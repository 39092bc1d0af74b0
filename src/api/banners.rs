//! Persistent banners over REST: `POST /banners` (API key) creates, `GET /banners/{id}.svg|.png`
//! serves the banner's image (ETag/304), `DELETE /banners/{id}` (API key) removes.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::auth::ApiKey;
use super::clients::Client;
use super::image_http::{error_image, image_response};
use super::{AppError, AppState};
use crate::banners::{Banner, BannerInput};
use crate::domain::ImageFormat;
use crate::images::Look;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/banners", post(create)).route("/banners/{file}", get(image).delete(delete))
}

fn with_urls(banner: &Banner) -> serde_json::Value {
    json!({
        "banner": banner,
        "urls": { "svg": format!("/banners/{}.svg", banner.id), "png": format!("/banners/{}.png", banner.id) },
    })
}

/// A JSON body, or the reason it is not one (413 when it is too large).
pub(super) fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AppError> {
    match body {
        Ok(Json(value)) => Ok(value),
        Err(JsonRejection::BytesRejection(rejection)) => Err(rejection.into()),
        Err(rejection) => Err(AppError::InvalidParameter { name: "body", reason: rejection.body_text() }),
    }
}

async fn create(
    State(state): State<AppState>,
    _key: ApiKey,
    body: Result<Json<BannerInput>, JsonRejection>,
) -> Result<impl IntoResponse, AppError> {
    let banner = state.banners.create(json_body(body)?).await?;
    let location = format!("/banners/{}.svg", banner.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(with_urls(&banner))))
}

async fn image(
    State(state): State<AppState>,
    client: Client,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let parsed = match file.rsplit_once('.') {
        Some((id, "svg")) => Ok((id, ImageFormat::Svg)),
        Some((id, "png")) => Ok((id, ImageFormat::Png)),
        Some((id, "json")) => Ok((id, ImageFormat::Json)),
        _ => Err(AppError::InvalidParameter {
            name: "format",
            reason: "use /banners/{id}.svg, .png or .json".to_owned(),
        }),
    };
    let (id, format) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return error_image(&state, error, &Look::default()).await,
    };
    match state.banners.image(id, format, &client.payer(&state)).await {
        Ok(rendered) => image_response(&headers, &rendered, &state.cache_policy()),
        Err(failure) => error_image(&state, failure.error.into(), &failure.look).await,
    }
}

async fn delete(State(state): State<AppState>, _key: ApiKey, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    state.banners.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
