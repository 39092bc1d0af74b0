//! SVG rendering: handlebars templates from the theme folder, filled with a typed `BannerContext`.
//!
//! Invariants: templates run in strict mode (a misspelt variable is an error, not an empty
//! string) and every `{{value}}` goes through `escape::xml`, so nothing from GitHub can become
//! markup, and what we emit is always well-formed XML.

mod context;
mod escape;
mod helpers;

use handlebars::Handlebars;
use rust_embed::Embed;

pub use context::{BannerContext, ErrorContext};

use crate::domain::BannerType;

/// The built-in theme, compiled into the binary so the service runs from any directory.
#[derive(Embed)]
#[folder = "themes/default/"]
#[include = "*.hbs"]
struct DefaultTheme;

const ERROR_TEMPLATE: &str = "error";

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("theme template {file} is not valid UTF-8")]
    Encoding { file: String },
    #[error("theme template {file}: {source}")]
    Template {
        file: String,
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    #[error("theme template {file} is missing")]
    Missing { file: String },
    #[error("rendering {template} failed: {source}")]
    Render {
        template: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
}

pub struct Renderer {
    registry: Handlebars<'static>,
}

impl Renderer {
    /// Loads the built-in default theme; fails if any template is missing or does not compile.
    pub fn new() -> Result<Self, RenderError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(escape::xml);
        helpers::register(&mut registry);
        for file in DefaultTheme::iter().filter(|f| f.starts_with("partials/")) {
            let name = file.trim_end_matches(".hbs");
            let source = asset_text(&file)?;
            registry
                .register_partial(name, source)
                .map_err(|e| RenderError::Template { file: file.to_string(), source: Box::new(e) })?;
        }
        let required = BannerType::ALL.iter().map(|t| t.as_str()).chain([ERROR_TEMPLATE]);
        for name in required {
            let file = format!("{name}.svg.hbs");
            let source = asset_text(&file)?;
            registry
                .register_template_string(name, source)
                .map_err(|e| RenderError::Template { file: file.clone(), source: Box::new(e) })?;
        }
        Ok(Self { registry })
    }

    pub fn banner(&self, kind: BannerType, context: &BannerContext) -> Result<String, RenderError> {
        self.render(kind.as_str(), context)
    }

    pub fn error(&self, context: &ErrorContext) -> Result<String, RenderError> {
        self.render(ERROR_TEMPLATE, context)
    }

    fn render<T: serde::Serialize>(&self, template: &str, data: &T) -> Result<String, RenderError> {
        self.registry
            .render(template, data)
            .map_err(|e| RenderError::Render { template: template.to_owned(), source: Box::new(e) })
    }
}

fn asset_text(file: &str) -> Result<String, RenderError> {
    let asset = DefaultTheme::get(file).ok_or_else(|| RenderError::Missing { file: file.to_owned() })?;
    String::from_utf8(asset.data.into_owned()).map_err(|_| RenderError::Encoding { file: file.to_owned() })
}
