//! The theme gallery: every pack x type rendered from sample stats, with embed snippets; and one
//! sample render per URL for theme authors.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::clients::Client;
use super::image_http::{error_image, image_response};
use crate::domain::{BannerType, ImageFormat};
use crate::images::{CardRequest, Look, Refused, SubjectFrom, query_pairs};
use crate::render::{OptionError, Sample, escape_text};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/themes", get(gallery)).route("/themes/{name}/{file}", get(sample))
}

/// `GET /themes/<name>/<type>.svg` (or `.png`): the pack rendered from sample stats; accepts the
/// banner options and `sample=typical|empty|huge|unicode|hostile`.
async fn sample(
    State(state): State<AppState>,
    client: Client,
    Path((name, file)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (kind, forced) = match file.rsplit_once('.') {
        Some((kind, "svg")) => (kind, Some(ImageFormat::Svg)),
        Some((kind, "png")) => (kind, Some(ImageFormat::Png)),
        _ => (file.as_str(), None),
    };
    let mut params = query_pairs(query.as_deref());
    // The path names the (light) pack; the query may still ask for a dark pair (`theme=auto`,
    // `theme=x,dracula`), which keeps its dark part.
    let pack = name.to_ascii_lowercase();
    let theme = match params.get("theme").map(|t| t.trim()) {
        Some("auto") => format!("{pack},auto"),
        Some(pair) if pair.contains(',') => {
            format!("{pack},{}", pair.split_once(',').map_or("", |(_, dark)| dark.trim()))
        }
        _ => pack,
    };
    params.insert("theme".to_owned(), theme);
    params.insert("type".to_owned(), kind.to_owned());
    let sample = match params.get("sample") {
        None => Ok(Sample::Typical),
        Some(s) => Sample::parse(s).ok_or_else(|| OptionError {
            name: "sample",
            reason: "must be one of typical, empty, huge, unicode, hostile".to_owned(),
        }),
    };
    let request = sample.map_err(|error| Refused { error, look: Look::from_params(&params, ImageFormat::Svg) });
    let request = request.and_then(|sample| CardRequest::parse(&params, forced, SubjectFrom::Sample(sample)));
    let request = match request {
        Ok(request) => request,
        Err(refused) => return error_image(&state, refused.error.into(), &refused.look).await,
    };
    match state.images.image(&request, &client.payer(&state)).await {
        Ok(rendered) => image_response(&headers, &rendered, &state.cache_policy()),
        Err(error) => error_image(&state, error.into(), &request.look()).await,
    }
}

/// The page a theme author (or a README owner choosing a look) browses.
async fn gallery(State(state): State<AppState>) -> Response {
    // PUBLIC_URL, or relative URLs: never the request's Host, which the client chooses and a
    // shared cache would hand to others.
    let base = state.public_url.as_deref().unwrap_or("");
    let themes = state.renderer.themes();
    let mut html = String::with_capacity(64 * 1024);
    html.push_str(GALLERY_HEAD);
    let _ =
        write!(html, "<p>{} themes. Replace <code>USERNAME</code> with your GitHub login.</p>", themes.names().count());
    for pack in themes.packs() {
        let _ = write!(
            html,
            "<section id=\"{name}\"><h2>{display} <small>{name}{aliases}</small></h2><p>{description}</p><p class=\"meta\">{author}{license}{extends}</p><div class=\"cards\">",
            name = escape_text(&pack.name),
            display = escape_text(&pack.display_name),
            aliases = pack.aliases.iter().map(|a| format!(", also {}", escape_text(a))).collect::<String>(),
            description = escape_text(&pack.description),
            author = pack.author.as_deref().map(|a| format!("by {} · ", escape_text(a))).unwrap_or_default(),
            license = pack.license.as_deref().map(|l| format!("{} · ", escape_text(l))).unwrap_or_default(),
            extends = pack.extends.as_deref().map(|e| format!("extends {}", escape_text(e))).unwrap_or_default(),
        );
        for kind in &pack.types {
            let subject = match kind {
                BannerType::Pin => "username=OWNER&repo=REPOSITORY",
                BannerType::Gist => "id=GIST_ID",
                BannerType::Wakatime => "username=WAKATIME_USERNAME",
                _ => "username=USERNAME",
            };
            let url = format!("{base}/banners/preview?{subject}&type={}&theme={}", kind.as_str(), pack.name);
            let snippet = format!("![GitHub stats]({url})");
            let _ = write!(
                html,
                "<figure><img src=\"/themes/{name}/{kind}.svg\" alt=\"{name} {kind} banner\" loading=\"lazy\"><figcaption>{kind}<textarea readonly rows=\"2\">{snippet}</textarea></figcaption></figure>",
                name = escape_text(&pack.name),
                kind = kind.as_str(),
                snippet = escape_text(&snippet),
            );
        }
        if let (Some(dark), Some(kind)) = (&pack.dark, pack.types.first()) {
            // Both schemes side by side; the snippet's one image follows the reader's.
            let url =
                format!("{base}/banners/preview?username=USERNAME&type={}&theme={},auto", kind.as_str(), pack.name);
            let _ = write!(
                html,
                "<figure class=\"pair\"><img src=\"/themes/{name}/{kind}.svg?theme=auto&amp;scheme=light\" alt=\"{name} {kind} banner, light\" loading=\"lazy\"><img src=\"/themes/{name}/{kind}.svg?theme=auto&amp;scheme=dark\" alt=\"{dark} {kind} banner, dark\" loading=\"lazy\"><figcaption>light and dark ({dark}): one image that follows the reader's scheme<textarea readonly rows=\"2\">{snippet}</textarea></figcaption></figure>",
                name = escape_text(&pack.name),
                dark = escape_text(dark),
                kind = kind.as_str(),
                snippet = escape_text(&format!("![GitHub stats]({url})")),
            );
        }
        html.push_str("</div></section>");
    }
    if !themes.errors().is_empty() {
        html.push_str("<section><h2>Packs that did not load</h2><ul>");
        for error in themes.errors() {
            let _ = write!(html, "<li><code>{}</code></li>", escape_text(&error.to_string()));
        }
        html.push_str("</ul></section>");
    }
    html.push_str("</main></body></html>");
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"),
    );
    response
}

/// Where this service is reachable, for snippets: the Host header (https unless local).
const GALLERY_HEAD: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>GitHub Banners themes</title><style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f8fa;color:#24292f}main{max-width:1800px;margin:auto;padding:1rem 2rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1rem;margin:1rem 0}h2 small{color:#6a737d;font-weight:400;font-size:.8em}
.meta{color:#6a737d;font-size:.9em}.cards{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}figure{margin:0}
figure img{display:block;max-width:100%;background:repeating-conic-gradient(#eee 0 25%,#fff 0 50%) 0 0/16px 16px}
figcaption{font-size:.85em;color:#57606a}textarea{display:block;width:100%;min-width:320px;font:12px monospace;margin-top:.3rem}
</style></head><body><main><h1>Themes</h1>"#;
