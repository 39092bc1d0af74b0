//! The card builder page (`GET /builder`; a bare `/` leads there): plain HTML and our own script,
//! served from the binary under a CSP that allows nothing else. Everything it offers comes from
//! `cards.json`, made from the card kinds' own definitions, the loaded themes and the locales.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::AppState;
use crate::cards::{self, spec};
use crate::domain::BannerType;
use crate::render::i18n;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/builder", get(|| async { asset("text/html; charset=utf-8", include_str!("builder/index.html")) }))
        .route(
            "/builder/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("builder/app.js")) }),
        )
        .route("/builder/app.css", get(|| async { asset("text/css; charset=utf-8", include_str!("builder/app.css")) }))
        .route("/builder/cards.json", get(cards_json))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

#[derive(Serialize)]
struct Cards {
    format_version: u32,
    preview_path: &'static str,
    kinds: Vec<Kind>,
    themes: Vec<Theme>,
    locales: Vec<Locale>,
}

#[derive(Serialize)]
struct Kind {
    name: &'static str,
    title: &'static str,
    subject: Vec<spec::ParamSpec>,
    options: Vec<spec::OptionSpec>,
}

#[derive(Serialize)]
struct Theme {
    name: String,
    dark: Option<String>,
    kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct Locale {
    code: &'static str,
    name: String,
}

/// What the page offers: every kind with its subject and options, every theme with its dark
/// pair and the kinds it draws, every locale.
async fn cards_json(State(state): State<AppState>) -> Response {
    let themes = state.renderer.themes();
    let cards = Cards {
        format_version: 1,
        preview_path: "/banners/preview",
        kinds: BannerType::ALL
            .into_iter()
            .map(cards::kind)
            .map(|card| Kind {
                name: card.kind().as_str(),
                title: card.title(),
                subject: spec::subject(card.source()),
                options: card.options(),
            })
            .collect(),
        themes: themes
            .packs()
            .map(|pack| Theme {
                name: pack.name.clone(),
                dark: pack.dark.clone(),
                kinds: BannerType::ALL.into_iter().filter(|k| pack.provides(*k)).map(BannerType::as_str).collect(),
            })
            .collect(),
        locales: i18n::codes()
            .filter_map(i18n::locale)
            .map(|l| Locale { code: l.code, name: l.name.clone() })
            .collect(),
    };
    let mut response = axum::Json(cards).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}
