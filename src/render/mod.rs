//! Rendering: theme packs (handlebars SVG templates) filled with a typed `BannerContext`, and
//! PNG rasterisation.
//!
//! Invariants: templates run in strict mode (a misspelt variable is an error, not an empty
//! string); every `{{value}}` goes through `escape::xml`, so nothing from GitHub becomes markup;
//! a pack only loads if every type it provides renders well-formed SVG for every sample shape.

mod assets;
mod context;
mod escape;
mod helpers;
pub mod i18n;
pub mod options;
pub mod png;
pub mod raster;
pub mod samples;
pub mod theme;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use handlebars::Handlebars;

pub use assets::linguist_color;
pub use context::{BannerContext, BannerData, CONTEXT_VERSION, ErrorContext, UserView};
pub use escape::xml as escape_text;
pub use options::{BannerOptions, LanguagesLayout, OptionError};
pub use raster::{RasterError, RasterPool};
pub use samples::Sample;
pub use theme::{DEFAULT_THEME, Pack, ThemeError, ThemeSet};

use crate::domain::{BannerType, StatsOptions, compute};

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

pub struct Renderer {
    themes: RwLock<Arc<ThemeSet>>,
    dir: Option<PathBuf>,
}

impl Renderer {
    /// Built-in packs overlaid by `dir`. Broken packs are logged and left out; only a broken
    /// `default` pack stops start-up (error cards and fallbacks need it).
    pub fn load(dir: Option<&Path>) -> Result<Self, RenderError> {
        let set = load_set(dir);
        if set.get(DEFAULT_THEME).is_none() {
            let reasons: Vec<String> = set.errors().iter().map(ToString::to_string).collect();
            return Err(RenderError::DefaultMissing(reasons.join("; ")));
        }
        Ok(Self { themes: RwLock::new(Arc::new(set)), dir: dir.map(Path::to_path_buf) })
    }

    /// Re-reads the themes directory; a reload that loses `default` keeps the old set.
    pub fn reload(&self) -> Vec<ThemeError> {
        let set = load_set(self.dir.as_deref());
        let errors = set.errors().to_vec();
        if set.get(DEFAULT_THEME).is_some() {
            *self.themes.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        } else {
            tracing::error!("reload would lose the default theme; keeping the previous themes");
        }
        errors
    }

    pub fn themes(&self) -> Arc<ThemeSet> {
        self.themes.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn banner(&self, kind: BannerType, data: &BannerData, options: &BannerOptions) -> Result<String, RenderError> {
        let themes = self.themes();
        let pack = themes.get(&options.theme).ok_or_else(|| RenderError::UnknownTheme(options.theme.clone()))?;
        render_banner(pack, kind, data, options)
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

pub fn render_banner(
    pack: &Pack,
    kind: BannerType,
    data: &BannerData,
    options: &BannerOptions,
) -> Result<String, RenderError> {
    if !pack.provides(kind) {
        return Err(RenderError::UnsupportedType { theme: pack.name.clone(), kind: kind.as_str() });
    }
    let context = BannerContext::new(pack, kind, data, options);
    pack.registry.render(kind.as_str(), &context).map_err(|e| RenderError::Template {
        theme: pack.name.clone(),
        template: format!("{}.svg.hbs", kind.as_str()),
        message: e.to_string(),
    })
}

/// Sample data for `sample`, as a banner sees it.
pub fn sample_data(sample: Sample) -> BannerData {
    let snapshot = sample.snapshot();
    let stats = compute(&snapshot, StatsOptions::default());
    BannerData::new(&snapshot, stats, false)
}

fn load_set(dir: Option<&Path>) -> ThemeSet {
    let set = ThemeSet::load(dir, &theme_validator);
    for error in set.errors() {
        tracing::warn!(theme = %error.pack, "theme not loaded: {error}");
    }
    set
}

/// Every provided type, with every sample shape (and every languages layout, stale or not, with
/// icons or not), must render and parse as XML; the first failure names the template and sample.
pub fn theme_validator(pack: &Pack) -> Result<(), ThemeError> {
    let variants: Vec<BannerOptions> = LanguagesLayout::ALL
        .into_iter()
        .map(|layout| BannerOptions {
            layout,
            show_icons: layout == LanguagesLayout::Normal,
            ..BannerOptions::default()
        })
        .collect();
    for sample in Sample::ALL {
        let mut data = sample_data(sample);
        data.stale = sample == Sample::Hostile;
        for kind in &pack.types {
            let per_kind = if *kind == BannerType::Languages { &variants[..] } else { &variants[..1] };
            for options in per_kind {
                let file = format!("{}/{}.svg.hbs", pack.name, kind.as_str());
                let svg = render_banner(pack, *kind, &data, options)
                    .map_err(|e| ThemeError::new(&pack.name, &file, format!("{e} (sample `{}`)", sample.name())))?;
                roxmltree::Document::parse(&svg).map_err(|e| {
                    ThemeError::new(
                        &pack.name,
                        &file,
                        format!(
                            "renders invalid SVG for sample `{}` (layout {}): {e}",
                            sample.name(),
                            options.layout.as_str()
                        ),
                    )
                })?;
            }
        }
    }
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
