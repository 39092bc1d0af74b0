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
mod request;
pub mod streak_stats;

use std::sync::{Arc, OnceLock};

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

pub use admission::{Payer, Unlimited};
pub use encoding::{Coding, negotiate};
pub use error_cards::ErrorText;
pub use request::{CardRequest, Look, Refused, SubjectFrom, UrlRequest, UrlRoute, query_pairs};

use crate::cards::{self, CardData, Source, Subject};
use crate::domain::{CodeCard, ImageFormat, Login, PastYears, UserSnapshot, WakaUser};
use crate::render::{
    CommitWindow, DarkTheme, OptionError, Pack, RasterError, RasterPool, Renderer, Scheme, ThemeSet, both_schemes,
};
use crate::stats::FIRST_YEAR;
use crate::stats::{
    CalendarLookup, CodeKey, CodeService, CommitsService, ContributionsService, Freshness, Lookup, StatsError,
    StatsLookup, StatsService, WakaService,
};
use admission::Admitted;
use chrono::Datelike;

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

/// A finished image, as cached.
#[derive(Debug)]
pub struct Image {
    pub format: ImageFormat,
    pub bytes: Bytes,
    /// The same bytes compressed, made the first time a client accepts the coding (SVG only:
    /// PNG is compressed already).
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
    /// Derived from the cache key: a strong ETag, quoted.
    pub etag: HeaderValue,
    /// When the data was fetched (RFC 3339), for `X-Stats-Fetched-At`; part of the key, so made
    /// once.
    pub fetched_at: Option<HeaderValue>,
}

/// What identifies a finished image: 128 bits of SHA-256 over everything it depends on.
type Key = [u8; 16];

impl Image {
    fn new(format: ImageFormat, bytes: Bytes, key: &Key) -> Self {
        Self { format, bytes, gzip: OnceLock::new(), brotli: OnceLock::new(), etag: etag(key), fetched_at: None }
    }

    /// The body in `coding` when compressing is worth it (SVG), else as it is.
    pub fn body(&self, coding: Coding) -> (Bytes, Coding) {
        match (self.format.is_text(), coding) {
            (true, Coding::Brotli) => {
                (self.brotli.get_or_init(|| encoding::brotli(&self.bytes)).clone(), Coding::Brotli)
            }
            (true, Coding::Gzip) => (self.gzip.get_or_init(|| encoding::gzip(&self.bytes)).clone(), Coding::Gzip),
            _ => (self.bytes.clone(), Coding::Identity),
        }
    }

    /// What the cache counts: an SVG's compressed forms are each well under half of it.
    fn weight(&self) -> u32 {
        let len = if self.format.is_text() { self.bytes.len() * 2 } else { self.bytes.len() };
        u32::try_from(len + 256).unwrap_or(u32::MAX)
    }
}

/// An image and what it says about its data's age.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub image: Arc<Image>,
    /// For live data: how fresh it is.
    pub freshness: Option<Freshness>,
    /// For live data: when GitHub was asked.
    pub fetched_at: Option<DateTime<Utc>>,
    /// Contribution cards counted in another UTC offset than the reader's (minutes east).
    pub counted_in: Option<i32>,
    /// True when this call drew it (rather than finding it cached).
    pub drawn_now: bool,
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

/// Data for a card, with what callers show about its age.
struct Fetched {
    data: CardData,
    freshness: Option<Freshness>,
    fetched_at: Option<DateTime<Utc>>,
    /// Contribution cards counted in another offset than the reader's (minutes east of UTC).
    counted_in: Option<i32>,
}

impl Fetched {
    fn code(lookup: Lookup<CodeCard>) -> Self {
        let fetched_at = lookup.value.fetched_at;
        Self {
            data: CardData::Code { card: lookup.value, stale: lookup.freshness != Freshness::Fresh },
            freshness: Some(lookup.freshness),
            fetched_at: Some(fetched_at),
            counted_in: None,
        }
    }

    /// A calendar as a card's data; `requested` is the reader's offset (the lookup may be
    /// counted in the nearest other).
    fn contributions(login: &Login, requested: i32, lookup: CalendarLookup) -> Self {
        let fetched_at = lookup.years.first().map(|y| y.fetched_at);
        let stale = matches!(lookup.freshness, Freshness::Revalidating | Freshness::StaleIfError);
        let counted_in = (lookup.offset_minutes != requested).then_some(lookup.offset_minutes);
        Self {
            data: CardData::Contributions {
                login: login.as_str().to_owned(),
                years: lookup.years,
                past: lookup.past_version,
                today: lookup.today,
                stale,
                counted_in,
            },
            freshness: Some(lookup.freshness),
            fetched_at,
            counted_in,
        }
    }

    fn rendered(&self, image: Arc<Image>, drawn_now: bool) -> Rendered {
        Rendered {
            image,
            freshness: self.freshness,
            fetched_at: self.fetched_at,
            counted_in: self.counted_in,
            drawn_now,
        }
    }
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

    /// A user's stats for a GraphQL field, admitted like a card of them.
    pub async fn user(&self, login: &Login, payer: &dyn Payer) -> Result<StatsLookup, ImageError> {
        let live = self.live()?;
        self.admit_user(live, login, payer)?;
        let failed = |error| ImageError::Stats { login: login.as_str().to_owned(), error };
        live.stats.get_paid(login, payer.anonymous_share()).await.map_err(failed)
    }

    /// A repository or gist for a GraphQL field, admitted like its card.
    pub async fn code(&self, key: CodeKey<'_>, payer: &dyn Payer) -> Result<Lookup<CodeCard>, ImageError> {
        let live = self.live()?;
        if let CodeKey::Repository(repo) = key {
            admission::shown(live, &repo.owner)?;
        }
        if !live.code.is_cached(key) {
            payer.charge(1)?;
        }
        let lookup = self.code_lookup(live, key).await?;
        self.check_shown(&CardData::Code { card: lookup.value.clone(), stale: false })?;
        Ok(lookup)
    }

    /// A user's contribution calendar in `timezone` for a GraphQL field, admitted like a card.
    pub async fn calendar(
        &self,
        login: &Login,
        timezone: &chrono_tz::Tz,
        past: PastYears,
        payer: &dyn Payer,
    ) -> Result<CalendarLookup, ImageError> {
        let live = self.live()?;
        let requested = live.contributions.offset_now(timezone);
        let offset = self.admit_calendar(live, login, requested, past, payer).await?;
        self.calendar_lookup(login, offset, past).await
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

    async fn fetch(
        &self,
        request: &CardRequest,
        source: Source,
        admitted: &Admitted,
        payer: &dyn Payer,
    ) -> Result<Fetched, ImageError> {
        let options = &request.options;
        match (source, &request.subject) {
            (source, Subject::Sample(sample)) => {
                Ok(Fetched { data: source.sample(*sample), freshness: None, fetched_at: None, counted_in: None })
            }
            (_, Subject::Given(data)) => {
                Ok(Fetched { data: data.clone(), freshness: None, fetched_at: None, counted_in: None })
            }
            (Source::Repository, Subject::Repository(repo)) => {
                let lookup = self.code_lookup(self.live()?, CodeKey::Repository(repo)).await?;
                Ok(Fetched::code(lookup))
            }
            (Source::Gist, Subject::Gist(id)) => {
                Ok(Fetched::code(self.code_lookup(self.live()?, CodeKey::Gist(id)).await?))
            }
            (Source::WakaTime, Subject::WakaTime(user)) => self.wakatime(user).await,
            (Source::Contributions, Subject::User(login)) => {
                let past = cards::kind(request.kind).past_years(options);
                let requested = self.live()?.contributions.offset_now(&options.contributions.timezone);
                let lookup = match &admitted.calendar {
                    Some(warm) => warm.clone(),
                    None => self.calendar_lookup(login, admitted.offset.unwrap_or(requested), past).await?,
                };
                Ok(Fetched::contributions(login, requested, lookup))
            }
            (Source::UserStats, Subject::User(login)) => {
                let stats = &self.live()?.stats;
                let failed = |error: StatsError| ImageError::Stats { login: login.as_str().to_owned(), error };
                let lookup = match stats.get_cached(login).await {
                    Some(lookup) => lookup,
                    None => stats.get_or_partial(login, payer.anonymous_share()).await.map_err(failed)?,
                };
                let fetched_at = lookup.snapshot.fetched_at;
                let stale = matches!(lookup.freshness, Freshness::Revalidating | Freshness::StaleIfError);
                let partial = match lookup.freshness {
                    Freshness::Partial(count) => Some(count),
                    _ => None,
                };
                let commits = self.commits(&lookup.snapshot, login, options.commits).await;
                Ok(Fetched {
                    data: CardData::User { snapshot: lookup.snapshot, stale, commits, partial },
                    freshness: Some(lookup.freshness),
                    fetched_at: Some(fetched_at),
                    counted_in: None,
                })
            }
            // A request names its subject by its kind's source, so this is a caller's mistake.
            _ => Err(ImageError::NoSource),
        }
    }

    /// Commits of a window other than the last 12 months. When GitHub cannot say, None: the card
    /// shows the last 12 months, labelled so, rather than failing.
    async fn commits(&self, snapshot: &UserSnapshot, login: &Login, window: CommitWindow) -> Option<i64> {
        let commits = &self.inner.live.as_ref()?.commits;
        let counted = match window {
            CommitWindow::LastYear => return None,
            CommitWindow::Year(year) => commits.in_year(login, year).await,
            CommitWindow::AllTime => {
                let first = snapshot.profile.created_at.map_or(FIRST_YEAR, |at| at.year());
                commits.all_time(login, first).await
            }
        };
        counted.inspect_err(|error| tracing::warn!(%error, %login, "could not count commits beyond the last year")).ok()
    }

    /// A repository or gist, from memory or GitHub (admitted before).
    async fn code_lookup(&self, live: &LiveSources, key: CodeKey<'_>) -> Result<Lookup<CodeCard>, ImageError> {
        live.code.get(key).await.map_err(|error| ImageError::Code { what: key.describe(), upstream: "GitHub", error })
    }

    /// A user's contribution calendar counted at `offset`: the current year from memory or
    /// GitHub, with the past years the card shows (admitted before).
    async fn calendar_lookup(&self, login: &Login, offset: i32, past: PastYears) -> Result<CalendarLookup, ImageError> {
        self.live()?
            .contributions
            .calendar(login, offset, past)
            .await
            .map_err(|error| ImageError::Stats { login: login.as_str().to_owned(), error })
    }

    /// A WakaTime user, from memory or WakaTime (admitted before).
    async fn wakatime(&self, user: &WakaUser) -> Result<Fetched, ImageError> {
        let wakatime = &self.live()?.wakatime;
        let what = format!("WakaTime user {}", user.name);
        let lookup =
            wakatime.get(user).await.map_err(|error| ImageError::Code { what, upstream: "WakaTime", error })?;
        let fetched_at = lookup.value.fetched_at;
        Ok(Fetched {
            data: CardData::WakaTime { stats: lookup.value, stale: lookup.freshness != Freshness::Fresh },
            freshness: Some(lookup.freshness),
            fetched_at: Some(fetched_at),
            counted_in: None,
        })
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

fn svg_image(svg: String, key: &Key) -> Image {
    Image::new(ImageFormat::Svg, Bytes::from(svg), key)
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

/// Everything the image depends on; equal keys are equal images.
fn cache_key(request: &CardRequest, data: &CardData, generation: u64) -> Key {
    digest(&(request.kind.as_str(), request.format.as_str(), data.version(), generation, &request.options))
}

/// SHA-256 of a value's `Hash` stream, truncated to 128 bits: no formatting, no allocation, and
/// no collisions to fear between distinct images.
fn digest(value: &impl std::hash::Hash) -> Key {
    struct Sha(Sha256);
    impl std::hash::Hasher for Sha {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            0
        }
    }
    let mut hasher = Sha(Sha256::new());
    value.hash(&mut hasher);
    let digest = hasher.0.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn etag(key: &Key) -> HeaderValue {
    // Hex digits in quotes: always a valid header value.
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(key))).unwrap_or(HeaderValue::from_static("\"0\""))
}
