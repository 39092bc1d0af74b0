//! BannerService: persistent banners (a user, type, theme and options saved under a short id),
//! shared by REST and GraphQL, and their stored renders.
//!
//! Invariants: a banner is validated whole before anything is written (nothing half-written); its
//! image comes from the image service like every other card, and the stored render (the one
//! other replicas and events see) is replaced whenever the image changes (its version is the
//! image's cache key); when a user's stats are refreshed, that user's stored renders are
//! re-rendered in the background.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SubsecRound, Utc};

use crate::cards::Subject;
use crate::domain::{BannerType, ImageFormat, Login};
use crate::github::GitHubError;
use crate::images::{CardRequest, ImageError, ImageService, Look, Payer, Refused, Rendered, SubjectFrom, Unlimited};
use crate::render::OptionError;
use crate::stats::{StatsError, StatsService};
use crate::store::{BannerRecord, BannerStore, Page, StoreError, StoredRender};
use crate::views::ViewCounter;

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
    #[error(transparent)]
    Image(ImageError),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

impl From<ImageError> for BannerError {
    fn from(error: ImageError) -> Self {
        match error {
            ImageError::Invalid(e) => BannerError::Invalid { name: e.name, reason: e.reason },
            ImageError::Stats { login, error } => BannerError::Stats { login, error },
            other => BannerError::Image(other),
        }
    }
}

impl From<Refused> for BannerError {
    fn from(refused: Refused) -> Self {
        refused.error.into()
    }
}

/// A banner image that could not be made, with the banner's look for its error card.
#[derive(Debug)]
pub struct BannerFailure {
    pub error: BannerError,
    pub look: Look,
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
            banner_type: r.banner_type.as_str().to_owned(),
            theme: r.theme,
            options: r.options,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Clone)]
pub struct BannerService {
    store: BannerStore,
    stats: StatsService,
    images: ImageService,
    views: ViewCounter,
}

impl BannerService {
    pub fn new(store: BannerStore, stats: StatsService, images: ImageService, views: ViewCounter) -> Self {
        Self { store, stats, images, views }
    }

    pub async fn create(&self, input: BannerInput) -> Result<Banner, BannerError> {
        // Stored as validated: a login that only passes trimmed must not be stored untrimmed.
        let username = input.username.ok_or_else(|| invalid("username", "is required"))?.trim().to_owned();
        // Microseconds: what both databases keep, so a listing cursor matches the stored value.
        let now = self.stats.now().trunc_subsecs(6);
        let banner_type = match input.banner_type {
            Some(kind) => kind.trim().parse().map_err(|reason: String| invalid("type", reason))?,
            None => BannerType::Wide,
        };
        let record = BannerRecord {
            id: new_id(),
            owner_login: username,
            banner_type,
            theme: input.theme.unwrap_or_else(|| crate::render::DEFAULT_THEME.to_owned()),
            options: input.options.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let request = self.validate(&record)?;
        self.check_subject_exists(&request).await?;
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
            record.banner_type = kind.trim().parse().map_err(|reason: String| invalid("type", reason))?;
        }
        if let Some(theme) = input.theme {
            record.theme = theme;
        }
        if let Some(options) = input.options {
            record.options = options;
        }
        record.updated_at = self.stats.now().trunc_subsecs(6);
        let request = self.validate(&record)?;
        if user_changed || !matches!(request.subject, Subject::User(_)) {
            self.check_subject_exists(&request).await?;
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

    /// The banner's image for a visitor (`payer`), through the image service like every card;
    /// when it changed (new stats, an update), the stored render is replaced and BannerRendered
    /// is published. Counted as a view of the banner and of its owner. A failure comes with the
    /// look of the banner, for its error card.
    pub async fn image(&self, id: &str, format: ImageFormat, payer: &dyn Payer) -> Result<Rendered, BannerFailure> {
        let failed = |error: BannerError| BannerFailure { error, look: Look { format, ..Look::default() } };
        let record = self.store.get(id).await.map_err(|e| failed(e.into()))?;
        let record = record.ok_or_else(|| failed(BannerError::NotFound(id.to_owned())))?;
        let (request, owner) = self
            .request(&record, format)
            .map_err(|refused| BannerFailure { look: refused.look.clone(), error: refused.into() })?;
        let failed = |error: BannerError| BannerFailure { error, look: request.look() };
        let rendered = self.images.image(&request, payer).await.map_err(|e| failed(e.into()))?;
        if rendered.drawn_now {
            self.store_if_changed(id, &rendered).await.map_err(failed)?;
        }
        self.views.banner(&record.id, &owner);
        Ok(rendered)
    }

    /// Re-renders every stored render of `login`'s banners (after a refresh of their stats).
    pub async fn rerender_user(&self, login: &Login) -> Result<usize, BannerError> {
        let mut done = 0;
        for id in self.store.ids_for_owner(login.as_str()).await? {
            let Some(record) = self.store.get(&id).await? else { continue };
            // Only formats someone has asked for are kept warm.
            for format in self.store.rendered_formats(&id).await? {
                // The owner's own refresh: paid by nobody, shown only if the instance shows them.
                let rendered = self.images.image(&self.request(&record, format)?.0, &Unlimited).await?;
                if self.store_if_changed(&id, &rendered).await? {
                    done += 1;
                }
            }
        }
        Ok(done)
    }

    /// Saves `rendered` as the banner's render unless the stored one is the same image.
    async fn store_if_changed(&self, id: &str, rendered: &Rendered) -> Result<bool, BannerError> {
        let image = &rendered.image;
        let version = image.etag.to_str().unwrap_or_default().to_owned();
        if let Some(stored) = self.store.get_render(id, image.format).await?
            && stored.stats_version == version
        {
            return Ok(false);
        }
        let render = StoredRender {
            format: image.format,
            bytes: image.bytes.to_vec(),
            etag: version.clone(),
            stats_version: version,
            rendered_at: self.stats.now(),
        };
        self.store.save_render(id, &render).await?;
        Ok(true)
    }

    /// The banner's card request (made like every other, from parameters), and its owner.
    fn request(&self, record: &BannerRecord, format: ImageFormat) -> Result<(CardRequest, Login), Refused> {
        let mut params: HashMap<String, String> = record.options.clone().into_iter().collect();
        let theme_inside = params.insert("theme".to_owned(), record.theme.clone()).is_some();
        let look = Look::from_params(&params, format);
        let refused = |name, reason: String| Refused { error: OptionError { name, reason }, look: look.clone() };
        if theme_inside {
            return Err(refused("options", "set the theme with `theme`, not inside options".to_owned()));
        }
        // Every banner has an owner; repository and gist banners name their subject in options.
        let login = Login::parse(record.owner_login.trim()).map_err(|e| refused("username", e.to_string()))?;
        params.insert("username".to_owned(), login.as_str().to_owned());
        params.insert("type".to_owned(), record.banner_type.as_str().to_owned());
        let request = CardRequest::parse(&params, Some(format), SubjectFrom::Params)?;
        Ok((request, login))
    }

    /// Everything a banner needs to be rendered, checked before anything is stored.
    fn validate(&self, record: &BannerRecord) -> Result<CardRequest, BannerError> {
        let (request, _) = self.request(record, ImageFormat::Svg)?;
        self.images.check(&request)?;
        Ok(request)
    }

    /// A banner about something GitHub does not know is refused.
    async fn check_subject_exists(&self, request: &CardRequest) -> Result<(), BannerError> {
        match &request.subject {
            Subject::User(login) => self.check_user_exists(login).await,
            _ => match self.images.image(request, &crate::images::Unlimited).await {
                Err(ImageError::Code { what, error: StatsError::GitHub(GitHubError::NotFound), .. }) => {
                    let name = if matches!(request.subject, Subject::Gist(_)) { "id" } else { "repo" };
                    Err(invalid(name, format!("GitHub has no {what}")))
                }
                Err(error @ (ImageError::Invalid(_) | ImageError::NotShown { .. })) => Err(error.into()),
                Err(error) => {
                    tracing::warn!(%error, "could not check the banner's subject exists; creating it anyway");
                    Ok(())
                }
                Ok(_) => Ok(()),
            },
        }
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
