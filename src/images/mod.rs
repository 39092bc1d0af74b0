//! The one image service: card request -> kind + options -> data -> SVG -> PNG, for every card
//! kind and every caller (REST previews, stored banners, GraphQL `preview`, the gallery, the CLI).
//!
//! Invariants:
//! - the theme and kind are checked before any data is fetched, so a typo costs no GitHub call;
//! - finished images are cached by (data version, normalised request, format, theme set
//!   generation), bounded by bytes: a warm request is a cache lookup, never a render; identical
//!   concurrent misses share one render (and one rasterisation);
//! - the ETag is derived from that cache key, so a revalidation is answered without rendering
//!   or hashing a body; an SVG is compressed at most once per cache entry and coding (gzip,
//!   brotli), when a client first accepts it;
//! - every request is admitted first (`admission.rs`): who may be shown, what it will cost that
//!   is not in memory, charged to its [`Payer`] before anything is fetched or drawn.

mod admission;
mod encoding;
mod error_cards;
pub mod grs;
mod image;
mod request;
mod sources;
pub mod streak_stats;

use std::sync::Arc;

use axum::http::HeaderValue;
use bytes::Bytes;

pub use admission::{Payer, Unlimited};
pub use encoding::{Coding, negotiate};
pub use error_cards::ErrorText;
pub use image::{Image, Rendered};
use image::{Key, cache_key, digest, svg_image};
pub use request::{CardRequest, Look, Refused, SubjectFrom, UrlRequest, UrlRoute, query_pairs};

use crate::cards::{self, Subject};
use crate::domain::{ImageFormat, Login};
use crate::render::{DarkTheme, OptionError, Pack, RasterError, RasterPool, Renderer, Scheme, ThemeSet, both_schemes};
use crate::stats::{
    CodeService, CommitsService, ContributionsService, Freshness, StatsError, StatsService, WakaService,
};

/// PNGs are drawn at twice the SVG size so they stay crisp on high-density screens.
pub const PNG_SCALE: f32 = 2.0;

/// Memory the finished images may use unless configured (RESPONSE_CACHE_BYTES).
pub const DEFAULT_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Why an image could not be made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImageError {
    #[error(transparent)]
    Invalid(#[from] OptionError),
    /// A login this instance does not show (ALLOWED_USERS, BLOCKED_USERS).
    #[error("this instance does not show `{login}`")]
    NotShown { login: String },
    #[error("stats for `{login}`: {error}")]
    Stats { login: String, error: StatsError },
    /// A repository, gist or WakaTime card's data (`what` names it: "repository octocat/hello").
    #[error("{what}: {error}")]
    Code { what: String, upstream: &'static str, error: StatsError },
    /// The caller's budget for costly work is spent.
    #[error("the budget for costly requests is spent; try again in {retry_after_secs}s")]
    OverBudget { retry_after_secs: u64 },
    /// Too many images are being drawn right now.
    #[error("too many images are being drawn")]
    Busy,
    /// A subject this service has no data source for (the offline CLI asked for a live user).
    #[error("no data source for this card here")]
    NoSource,
    #[error("rendering failed: {0}")]
    Render(String),
}

impl From<RasterError> for ImageError {
    fn from(error: RasterError) -> Self {
        match error {
            RasterError::Busy => ImageError::Busy,
            other => ImageError::Render(other.to_string()),
        }
    }
}

#[derive(Clone)]
pub struct ImageService {
    inner: Arc<Inner>,
}

/// Where live card data comes from.
#[derive(Clone)]
pub struct LiveSources {
    pub stats: StatsService,
    pub code: CodeService,
    pub wakatime: WakaService,
    pub commits: CommitsService,
    pub contributions: ContributionsService,
}

struct Inner {
    /// None for the offline CLI (samples only).
    live: Option<LiveSources>,
    renderer: Arc<Renderer>,
    raster: Arc<RasterPool>,
    cache: moka::future::Cache<Key, Arc<Image>>,
}

impl ImageService {
    pub fn new(live: Option<LiveSources>, renderer: Arc<Renderer>, raster: Arc<RasterPool>, cache_bytes: u64) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(cache_bytes)
            .weigher(|_key: &Key, image: &Arc<Image>| image.weight())
            .build();
        Self { inner: Arc::new(Inner { live, renderer, raster, cache }) }
    }

    /// PNGs waiting to be drawn right now.
    pub fn png_queue(&self) -> usize {
        self.inner.raster.queued()
    }

    pub fn renderer(&self) -> &Arc<Renderer> {
        &self.inner.renderer
    }

    /// The theme exists and provides the kind; checked before anything is fetched.
    pub fn check(&self, request: &CardRequest) -> Result<(), ImageError> {
        let themes = self.inner.renderer.themes();
        packs_for(&themes, request).map(|_| ())
    }

    /// The image for `request`, paid by `payer`: admitted, then from the cache or drawn now.
    pub async fn image(&self, request: &CardRequest, payer: &dyn Payer) -> Result<Rendered, ImageError> {
        let card = cards::kind(request.kind);
        let themes = self.inner.renderer.themes();
        let (pack, dark) = packs_for(&themes, request)?;
        let admitted = self.admit(request, payer).await?;
        let fetched = self.fetch(request, card.source(), &admitted, payer).await?;
        self.check_shown(&fetched.data)?;
        let key = cache_key(request, &fetched.data, self.inner.renderer.generation());
        let partial = matches!(fetched.freshness, Some(Freshness::Partial(_)));
        if !partial && let Some(image) = self.inner.cache.get(&key).await {
            crate::metrics::image_cache(true);
            return Ok(fetched.rendered(image, false));
        }
        // The render of data just fetched is part of that fetch's cost. Sample cards (the
        // gallery shows hundreds at once) are cheap SVGs: only their rasterisation counts.
        let sample = matches!(request.subject, Subject::Sample(_) | Subject::Given(_));
        if admitted.charged == 0 && (!sample || request.format == ImageFormat::Png) {
            payer.charge(1)?;
        }
        let mut drawn_now = false;
        let draw = async {
            drawn_now = true;
            let render = |pack: &Pack| {
                card.render(pack, &fetched.data, &request.options).map_err(|e| ImageError::Render(e.to_string()))
            };
            let svg = match (dark, request.options.scheme, request.format) {
                // The data is the same in both schemes.
                (_, _, ImageFormat::Json) => {
                    card.json(pack, &fetched.data, &request.options).map_err(|e| ImageError::Render(e.to_string()))?
                }
                (Some(dark), Some(Scheme::Dark), _) => render(dark)?,
                // One SVG for both schemes; a PNG cannot follow the reader, it is drawn light.
                (Some(dark), None, ImageFormat::Svg) => {
                    let light = render(pack)?;
                    match both_schemes(&light, &render(dark)?) {
                        Some(both) => both,
                        None => {
                            tracing::warn!(theme = %pack.name, dark = %dark.name, "could not pair the schemes; drawing light");
                            light
                        }
                    }
                }
                _ => render(pack)?,
            };
            let mut image = self.encode(svg, request.format, &key).await?;
            image.fetched_at = fetched.fetched_at.and_then(|at| HeaderValue::from_str(&at.to_rfc3339()).ok());
            Ok::<_, ImageError>(Arc::new(image))
        };
        let image = if partial {
            // A partial card is good for one answer: the next request counts more pages.
            draw.await?
        } else {
            self.inner.cache.try_get_with(key, draw).await.map_err(|e| (*e).clone())?
        };
        crate::metrics::image_cache(!drawn_now);
        Ok(fetched.rendered(image, drawn_now))
    }

    /// The request's SVG text (GraphQL `preview`).
    pub async fn svg(&self, request: &CardRequest, payer: &dyn Payer) -> Result<String, ImageError> {
        let request = CardRequest { format: ImageFormat::Svg, ..request.clone() };
        let rendered = self.image(&request, payer).await?;
        String::from_utf8(rendered.image.bytes.to_vec()).map_err(|e| ImageError::Render(e.to_string()))
    }

    /// An error card for `look`, saying `text`; as SVG when the PNG cannot be drawn now.
    pub async fn error_card(&self, look: &Look, text: &ErrorText) -> Arc<Image> {
        let svg = error_cards::svg(&self.inner.renderer, look, text);
        let key = digest(&("error", look.format.as_str(), self.inner.renderer.generation(), &svg));
        if let Some(image) = self.inner.cache.get(&key).await {
            return image;
        }
        let image = match self.encode(svg.clone(), look.format, &key).await {
            Ok(image) => image,
            Err(error) => {
                tracing::warn!(%error, "could not draw the error card as PNG; sending it as SVG");
                return Arc::new(svg_image(svg, &key));
            }
        };
        let image = Arc::new(image);
        self.inner.cache.insert(key, image.clone()).await;
        image
    }

    /// Whether this instance shows `login` at all (for what shows a user without fetching, such
    /// as a subscription to their updates).
    pub fn admit_login(&self, login: &Login) -> Result<(), ImageError> {
        admission::shown(self.live()?, login)
    }

    fn live(&self) -> Result<&LiveSources, ImageError> {
        self.inner.live.as_ref().ok_or(ImageError::NoSource)
    }

    async fn encode(&self, svg: String, format: ImageFormat, key: &Key) -> Result<Image, ImageError> {
        match format {
            ImageFormat::Svg => Ok(svg_image(svg, key)),
            ImageFormat::Json => Ok(Image::new(format, Bytes::from(svg), key)),
            ImageFormat::Png => {
                let png = self.inner.raster.rasterize(svg, PNG_SCALE).await?;
                Ok(Image::new(format, Bytes::from(png), key))
            }
        }
    }
}

/// The request's packs: its theme, and for a light/dark pair (`theme=auto`, `theme=LIGHT,DARK`)
/// the dark one; each must exist and provide the kind.
fn packs_for<'a>(themes: &'a ThemeSet, request: &CardRequest) -> Result<(&'a Pack, Option<&'a Pack>), ImageError> {
    let light = pack_named(themes, &request.options.theme, request)?;
    let dark = match &request.options.dark_theme {
        None => None,
        Some(DarkTheme::Named(name)) => Some(pack_named(themes, name, request)?),
        Some(DarkTheme::Paired) => {
            let name = light.dark.as_deref().ok_or_else(|| OptionError {
                name: "theme",
                reason: format!("theme `{0}` names no dark pack; use theme={0},DARK (see /themes)", light.name),
            })?;
            Some(pack_named(themes, name, request)?)
        }
    };
    Ok((light, dark))
}

/// The pack called `name`, if it exists and provides the request's kind.
fn pack_named<'a>(themes: &'a ThemeSet, name: &str, request: &CardRequest) -> Result<&'a Pack, ImageError> {
    let pack = themes
        .get(name)
        .ok_or_else(|| OptionError { name: "theme", reason: format!("no theme named `{name}` (see /themes)") })?;
    if !pack.provides(request.kind) {
        return Err(OptionError {
            name: "type",
            reason: format!("theme `{name}` has no `{}` banner", request.kind.as_str()),
        }
        .into());
    }
    Ok(pack)
}
