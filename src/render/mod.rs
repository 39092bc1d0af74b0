//! Rendering: theme packs (handlebars SVG templates) filled with a typed `BannerContext`, and
//! PNG rasterisation.
//!
//! Invariants: templates run in strict mode (a misspelt variable is an error, not an empty
//! string); every `{{value}}` goes through `escape::xml`, so nothing from GitHub becomes markup;
//! a pack only loads if every type it provides renders well-formed SVG for every sample shape.

mod assets;
mod calendar_context;
mod code_context;
mod context;
pub mod contribution_options;
mod escape;
mod helpers;
pub mod i18n;
pub mod options;
pub mod png;
pub mod raster;
pub mod samples;
mod scheme;
mod streak_context;
pub mod theme;
mod waka_context;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use handlebars::Handlebars;

pub use assets::linguist_color;
pub use calendar_context::{CalendarContext, GEOMETRY as CALENDAR_GEOMETRY};
pub use code_context::CodeContext;
pub use context::{BannerContext, BannerData, CONTEXT_VERSION, CardSpec, ErrorContext, UserView};
pub use escape::xml as escape_text;
pub use options::{
    BannerOptions, CommitWindow, DarkTheme, DisplayFormat, LanguagesLayout, OptionError, RankIcon, Scheme,
};
pub use raster::{RasterError, RasterPool};
pub use samples::Sample;
pub use scheme::both_schemes;
pub use streak_context::StreakContext;
pub use theme::{DEFAULT_THEME, Pack, ThemeError, ThemeSet};
pub use waka_context::WakaContext;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("unknown theme `{0}`")]
    UnknownTheme(String),
    #[error("theme `{theme}` has no `{kind}` banner")]
    UnsupportedType { theme: String, kind: &'static str },
    #[error("the `default` theme did not load: {0}")]
    DefaultMissing(String),
    #[error("rendering {theme}/{template} failed: {message}")]
    Template { theme: String, template: String, message: String },
    #[error(transparent)]
    Png(#[from] png::PngError),
}

/// A handlebars registry set up the way every pack needs it.
pub(crate) fn new_registry() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(escape::xml);
    helpers::register(&mut registry);
    registry
}

/// Checks a whole pack before it is served (`cards::validate_pack`).
pub type PackValidator = fn(&Pack) -> Result<(), ThemeError>;

pub struct Renderer {
    themes: RwLock<Arc<ThemeSet>>,
    dir: Option<PathBuf>,
    validator: PackValidator,
    /// Bumped by every reload: cached renders of an older theme set are never served.
    generation: AtomicU64,
    /// Announces every successful reload (its generation).
    reloaded: tokio::sync::watch::Sender<u64>,
}

impl Renderer {
    /// Built-in packs overlaid by `dir`, each checked by `validator`. Broken packs are logged and
    /// left out; only a broken `default` pack stops start-up (error cards and fallbacks need it).
    pub fn load(dir: Option<&Path>, validator: PackValidator) -> Result<Self, RenderError> {
        let set = load_set(dir, validator);
        if set.get(DEFAULT_THEME).is_none() {
            let reasons: Vec<String> = set.errors().iter().map(ToString::to_string).collect();
            return Err(RenderError::DefaultMissing(reasons.join("; ")));
        }
        Ok(Self {
            themes: RwLock::new(Arc::new(set)),
            dir: dir.map(Path::to_path_buf),
            validator,
            generation: AtomicU64::new(0),
            reloaded: tokio::sync::watch::Sender::new(0),
        })
    }

    /// Re-reads the themes directory; a reload that loses `default` keeps the old set.
    pub fn reload(&self) -> Vec<ThemeError> {
        let set = load_set(self.dir.as_deref(), self.validator);
        let errors = set.errors().to_vec();
        if set.get(DEFAULT_THEME).is_some() {
            *self.themes.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
            let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
            self.reloaded.send_replace(generation);
        } else {
            tracing::error!("reload would lose the default theme; keeping the previous themes");
        }
        errors
    }

    /// Notified after every successful reload.
    pub fn reloads(&self) -> tokio::sync::watch::Receiver<u64> {
        self.reloaded.subscribe()
    }

    /// Which theme set is loaded: changes with every successful reload.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn themes(&self) -> Arc<ThemeSet> {
        self.themes.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// An error card in `theme` when it is installed and has one, else in the default pack.
    pub fn error_card(&self, theme: &str, title: &str, message: &str, hint: Option<&str>) -> String {
        let themes = self.themes();
        let pack = themes
            .get(theme)
            .filter(|p| p.has_template("error"))
            .or_else(|| themes.get(DEFAULT_THEME))
            .filter(|p| p.has_template("error"));
        let rendered = pack.map(|pack| {
            let context = ErrorContext::new(pack, title.to_owned(), message.to_owned(), hint.map(str::to_owned));
            pack.registry.render("error", &context)
        });
        match rendered {
            Some(Ok(svg)) => svg,
            Some(Err(e)) => {
                tracing::error!(error = %e, "error template failed; sending the minimal card");
                MINIMAL_ERROR_CARD.to_owned()
            }
            None => MINIMAL_ERROR_CARD.to_owned(),
        }
    }
}

/// Used only if no pack has a working error template.
const MINIMAL_ERROR_CARD: &str =
    r#"<svg xmlns="http://www.w3.org/2000/svg" width="495" height="60"><text x="20" y="35">Error</text></svg>"#;

fn load_set(dir: Option<&Path>, validator: PackValidator) -> ThemeSet {
    let set = ThemeSet::load(dir, &validator);
    for error in set.errors() {
        tracing::warn!(theme = %error.pack, "theme not loaded: {error}");
    }
    set
}

/// A pack's error card (when it has one) must render and parse as XML.
pub fn validate_error_template(pack: &Pack) -> Result<(), ThemeError> {
    if pack.has_template("error") {
        let context =
            ErrorContext::new(pack, "Title <&>".to_owned(), "Message \"quoted\"".to_owned(), Some("hint".to_owned()));
        let file = format!("{}/error.svg.hbs", pack.name);
        let svg =
            pack.registry.render("error", &context).map_err(|e| ThemeError::new(&pack.name, &file, e.to_string()))?;
        roxmltree::Document::parse(&svg)
            .map_err(|e| ThemeError::new(&pack.name, &file, format!("renders invalid SVG: {e}")))?;
    }
    Ok(())
}
