//! Error cards, drawn in the look the request asked for: its theme, and both schemes of a light
//! and dark pair (`theme=auto`, `theme=LIGHT,DARK`) in one SVG like the card itself.

use super::Look;
use crate::domain::ImageFormat;
use crate::render::{DarkTheme, Renderer, Scheme, both_schemes};

/// What an error card says. The HTTP edge gives PNGs only fixed texts (never a visitor's words),
/// so every distinct error PNG is drawn once and then served from the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorText {
    pub title: String,
    pub message: String,
    pub hint: Option<String>,
}

/// The SVG of the error card for `look`.
pub(super) fn svg(renderer: &Renderer, look: &Look, text: &ErrorText) -> String {
    let draw = |theme: &str| renderer.error_card(theme, &text.title, &text.message, text.hint.as_deref());
    let dark = match &look.dark {
        None => None,
        Some(DarkTheme::Named(name)) => Some(name.clone()),
        Some(DarkTheme::Paired) => renderer.themes().get(&look.theme).and_then(|pack| pack.dark.clone()),
    };
    match (dark, look.scheme, look.format) {
        (Some(dark), Some(Scheme::Dark), _) => draw(&dark),
        (Some(dark), None, ImageFormat::Svg) => {
            let light = draw(&look.theme);
            both_schemes(&light, &draw(&dark)).unwrap_or(light)
        }
        _ => draw(&look.theme),
    }
}
