//! BannerService: persistent banners (a user, type, theme and options saved under a short id),
//! shared by REST and GraphQL, and their stored renders.
//!
//! Invariants: a banner is validated whole before anything is written (nothing half-written); a
//! stored render is served only while it was made from the snapshot the stats service currently
//! holds (its `stats_version`), otherwise it is re-rendered and replaced; when a user's stats are
//! refreshed, that user's stored renders are re-rendered in the background.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};

use crate::domain::{BannerType, Login, StatsOptions, UserSnapshot, compute};
use crate::github::GitHubError;
use crate::render::{BannerData, BannerOptions, OptionError, RasterError, RasterPool, Renderer};
use crate::stats::{Freshness, StatsError, StatsService};
use crate::store::{BannerRecord, BannerStore, Page, StoreError, StoredRender};

/// PNG renders are drawn at twice the SVG size so they stay crisp on high-density screens.
pub const PNG_SCALE: f32 = 2.0;
/// Most banners one page of a listing returns.
pub const MAX_PAGE: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    #[error("invalid `{name}`: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("no banner with id `{0}`")]
    NotFound(String),
    #[error("stats for {login} failed: {error}")]
    Stats { login: String, error: StatsError },
    #[error("too many images are being drawn")]
    Busy,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("rendering failed: {0}")]
    Render(String),
}

impl From<OptionError> for BannerError {
    fn from(e: OptionError) -> Self {
        BannerError::Invalid { name: e.name, reason: e.reason }
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> BannerError {
    BannerError::Invalid { name, reason: reason.into() }
}

/// What a client sends to create a banner (every field) or update one (only what changes).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerInput {
    pub username: Option<String>,
    #[serde(rename = "type")]
    pub banner_type: Option<String>,
    pub theme: Option<String>,
    /// URL-style options (`show_icons`, `layout`, `title_color`, ...), as on /banners/preview.
    pub options: Option<BTreeMap<String, String>>,
}

/// A banner as clients see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Banner {
    pub id: String,
    pub username: String,
    #[serde(rename = "type")]
    pub banner_type: String,
    pub theme: String,
    pub options: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BannerRecord> for Banner {
    fn from(r: BannerRecord) -> Self {
        Self {
            id: r.id,
            username: r.owner_login,
            banner_type: r.banner_type,
            theme: r.theme,
            options: r.options,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The image bytes of a banner, and whether the stats behind it are fresh.
pub struct BannerImage {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub freshness: Freshness,
}

#[derive(Clone)]
pub struct BannerService {
    store: BannerStore,
    stats: StatsService,
    renderer: Arc<Renderer>,
    raster: Arc<RasterPool>,
}

impl BannerService {
    pub fn new(store: BannerStore, stats: StatsService, renderer: Arc<Renderer>, raster: Arc<RasterPool>) -> Self {
        Self { store, stats, renderer, raster }
    }

    pub async fn create(&self, input: BannerInput) -> Result<Banner, BannerError> {
        // Stored as validated: a login that only passes trimmed must not be stored untrimmed.
        let username = input.username.ok_or_else(|| invalid("username", "is required"))?.trim().to_owned();
        // Microseconds: what both databases keep, so a listing cursor matches the stored value.
        let now = Utc::now().trunc_subsecs(6);
        let record = BannerRecord {
            id: new_id(),
            owner_login: username,
            banner_type: input.banner_type.unwrap_or_else(|| BannerType::Wide.as_str().to_owned()),
            theme: input.theme.unwrap_or_else(|| crate::render::DEFAULT_THEME.to_owned()),
            options: input.options.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let login = self.validate(&record)?;
        self.check_user_exists(&login).await?;
        self.store.insert(&record).await?;
        Ok(record.into())
    }

    pub async fn update(&self, id: &str, input: BannerInput) -> Result<Banner, BannerError> {
        let mut record = self.store.get(id).await?.ok_or_else(|| BannerError::NotFound(id.to_owned()))?;
        let user_changed = input.username.is_some();
        if let Some(username) = input.username {
            record.owner_login = username.trim().to_owned();
        }
        if let Some(kind) = input.banner_type {
            record.banner_type = kind;
        }
        if let Some(theme) = input.theme {
            record.theme = theme;
        }
        if let Some(options) = input.options {
            record.options = options;
        }
        record.updated_at = Utc::now().trunc_subsecs(6);
        let login = self.validate(&record)?;
        if user_changed {
            self.check_user_exists(&login).await?;
        }
        if !self.store.update(&record).await? {
            return Err(BannerError::NotFound(id.to_owned()));
        }
        Ok(record.into())
    }

    pub async fn delete(&self, id: &str) -> Result<(), BannerError> {
        if self.store.delete(id).await? { Ok(()) } else { Err(BannerError::NotFound(id.to_owned())) }
    }

    pub async fn get(&self, id: &str) -> Result<Banner, BannerError> {
        self.store.get(id).await?.map(Banner::from).ok_or_else(|| BannerError::NotFound(id.to_owned()))
    }

    /// One page, after the cursor of the last banner of the previous page.
    pub async fn list(
        &self,
        owner: Option<&str>,
        first: u64,
        after: Option<&str>,
    ) -> Result<Page<Banner>, BannerError> {
        let after = after.map(decode_cursor).transpose()?;
        let page = self.store.list(owner, first.clamp(1, MAX_PAGE), after).await?;
        Ok(Page { items: page.items.into_iter().map(Banner::from).collect(), has_next: page.has_next })
    }

    /// The banner's image: the stored render when it matches the current stats, else a fresh
    /// render (which is then stored).
    pub async fn image(&self, id: &str, format: &str) -> Result<BannerImage, BannerError> {
        let record = self.store.get(id).await?.ok_or_else(|| BannerError::NotFound(id.to_owned()))?;
        let login = Login::parse(&record.owner_login).map_err(|e| invalid("username", e.to_string()))?;
        let lookup = self
            .stats
            .get(&login)
            .await
            .map_err(|error| BannerError::Stats { login: record.owner_login.clone(), error })?;
        let version = render_version(&record, &lookup.snapshot);
        if let Some(stored) = self.store.get_render(id, format).await?
            && stored.stats_version == version
        {
            return Ok(BannerImage { bytes: stored.bytes, etag: stored.etag, freshness: lookup.freshness });
        }
        let render = self.render(&record, &lookup.snapshot, format, lookup.freshness != Freshness::Fresh).await?;
        self.store.save_render(id, &render).await?;
        Ok(BannerImage { bytes: render.bytes, etag: render.etag, freshness: lookup.freshness })
    }

    /// Replaces every stored render of `snapshot`'s user with one made from it.
    pub async fn rerender_user(&self, snapshot: &UserSnapshot) -> Result<usize, BannerError> {
        let mut done = 0;
        for id in self.store.ids_for_owner(&snapshot.profile.login).await? {
            let Some(record) = self.store.get(&id).await? else { continue };
            // Only formats someone has asked for are kept warm.
            for format in self.store.rendered_formats(&id).await? {
                let render = self.render(&record, snapshot, &format, false).await?;
                self.store.save_render(&id, &render).await?;
                done += 1;
            }
        }
        Ok(done)
    }

    /// Everything a banner needs to be rendered, checked before anything is stored.
    fn validate(&self, record: &BannerRecord) -> Result<Login, BannerError> {
        let login = Login::parse(record.owner_login.trim()).map_err(|e| invalid("username", e.to_string()))?;
        let kind: BannerType = record.banner_type.parse().map_err(|reason: String| invalid("type", reason))?;
        let options = self.options(record)?;
        let themes = self.renderer.themes();
        let pack = themes
            .get(&options.theme)
            .ok_or_else(|| invalid("theme", format!("no theme named `{}`", options.theme)))?;
        if !pack.provides(kind) {
            return Err(invalid("type", format!("theme `{}` has no `{}` banner", options.theme, kind.as_str())));
        }
        Ok(login)
    }

    fn options(&self, record: &BannerRecord) -> Result<BannerOptions, BannerError> {
        let mut params: HashMap<String, String> = record.options.clone().into_iter().collect();
        if params.contains_key("theme") {
            return Err(invalid("options", "set the theme with `theme`, not inside options"));
        }
        params.insert("theme".to_owned(), record.theme.clone());
        Ok(BannerOptions::from_params(&params)?)
    }

    /// A banner for a user GitHub does not know is refused; GitHub being unavailable is not a
    /// reason to refuse (the banner renders once it is back).
    async fn check_user_exists(&self, login: &Login) -> Result<(), BannerError> {
        match self.stats.get(login).await {
            Ok(_) => Ok(()),
            Err(StatsError::GitHub(GitHubError::NotFound)) => {
                Err(invalid("username", format!("GitHub has no user `{login}`")))
            }
            Err(error @ StatsError::Refused { .. }) => Err(BannerError::Stats { login: login.to_string(), error }),
            Err(error) => {
                tracing::warn!(%error, login = %login, "could not check the user exists; creating the banner anyway");
                Ok(())
            }
        }
    }

    async fn render(
        &self,
        record: &BannerRecord,
        snapshot: &UserSnapshot,
        format: &str,
        stale: bool,
    ) -> Result<StoredRender, BannerError> {
        let kind: BannerType = record.banner_type.parse().map_err(|reason: String| invalid("type", reason))?;
        let mut options = self.options(record)?;
        options.disable_animations |= format == "png";
        let stats = compute(snapshot, StatsOptions { include_forks: options.include_forks });
        let data = BannerData::new(snapshot, stats, stale);
        let svg = self.renderer.banner(kind, &data, &options).map_err(|e| BannerError::Render(e.to_string()))?;
        let bytes = match format {
            "png" => self.raster.rasterize(svg, PNG_SCALE).await.map_err(|e| match e {
                RasterError::Busy => BannerError::Busy,
                other => BannerError::Render(other.to_string()),
            })?,
            _ => svg.into_bytes(),
        };
        Ok(StoredRender {
            format: format.to_owned(),
            etag: etag(&bytes),
            bytes,
            stats_version: render_version(record, snapshot),
            rendered_at: Utc::now(),
        })
    }
}

/// What a render was made from: the stats snapshot and the banner's settings, so a render made
/// before an update (or from older stats) never passes for a current one.
fn render_version(record: &BannerRecord, snapshot: &UserSnapshot) -> String {
    format!("{}|{}", snapshot.fetched_at.to_rfc3339(), record.updated_at.timestamp_micros())
}

/// A strong ETag: the first 128 bits of the body's SHA-256.
pub fn etag(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// 12 random URL-safe characters (71 bits): unguessable enough that ids can be public.
fn new_id() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness is a broken machine; time-based ids still never collide in practice.
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default().to_le_bytes();
        bytes[..8].copy_from_slice(&nanos);
    }
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

/// Opaque cursors: `created_at|id`, base64-free but not meant to be read by clients.
pub fn encode_cursor(banner: &Banner) -> String {
    format!("{}~{}", banner.created_at.timestamp_micros(), banner.id)
}

fn decode_cursor(cursor: &str) -> Result<(DateTime<Utc>, String), BannerError> {
    let bad = || invalid("after", "not a cursor from this API");
    let (micros, id) = cursor.split_once('~').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok((at, id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_distinct() {
        let a = new_id();
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, new_id());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_rejected() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let banner = Banner {
            id: "abc123".into(),
            username: "x".into(),
            banner_type: "wide".into(),
            theme: "default".into(),
            options: BTreeMap::new(),
            created_at: at,
            updated_at: at,
        };
        assert_eq!(decode_cursor(&encode_cursor(&banner)).unwrap(), (at, "abc123".to_owned()));
        for bad in ["", "x", "1~", "abc~id", "1~a'b"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
