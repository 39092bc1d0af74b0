//! SVG -> PNG with resvg. The fonts bundled in the binary come first (Latin, Greek, Cyrillic,
//! CJK, and subsets with every label of every locale in Arabic, Hebrew, Devanagari, Bengali,
//! Tamil, Malayalam, Myanmar, Thai and Hangul), so every card's own text looks the same on every
//! machine; the system's fonts are loaded after them, so a host with broad fonts installed (the
//! Dockerfile installs Noto, CJK and emoji) also draws names in any script.

use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "src/render/assets/fonts/"]
#[include = "*.ttf"]
#[include = "*.otf"]
struct BundledFonts;

/// Largest PNG we rasterise (pixels per side): the service must not be asked to allocate
/// gigabytes for one picture.
const MAX_SIDE: u32 = 4096;

/// The bundled fonts, then the system's.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = (**BUNDLED).clone();
    db.load_system_fonts();
    Arc::new(db)
});

/// Family used for `sans-serif` and unnamed text: the first bundled family, Latin first.
static BUNDLED: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    let mut files: Vec<_> = BundledFonts::iter().collect();
    // Latin families first so `sans-serif` resolves to them and CJK is only the fallback.
    files.sort_by_key(|f| (f.contains("CJK") || f.contains("SC") || f.contains("JP"), f.to_string()));
    for file in &files {
        if let Some(font) = BundledFonts::get(file) {
            // Release builds embed the fonts: share those bytes rather than copying 11 MB.
            let data: Arc<dyn AsRef<[u8]> + Send + Sync> = match font.data {
                std::borrow::Cow::Borrowed(bytes) => Arc::new(bytes),
                std::borrow::Cow::Owned(bytes) => Arc::new(bytes),
            };
            db.load_font_source(usvg::fontdb::Source::Binary(data));
        }
    }
    let primary = db.faces().next().and_then(|f| f.families.first()).map(|(name, _)| name.clone());
    if let Some(family) = primary {
        db.set_sans_serif_family(family.clone());
        db.set_serif_family(family.clone());
        db.set_monospace_family(family);
    }
    Arc::new(db)
});

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("SVG could not be parsed: {0}")]
    Parse(String),
    #[error("image is {width}x{height}; the limit is {MAX_SIDE} pixels per side")]
    TooLarge { width: u32, height: u32 },
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

/// Rasterises at `scale` (2.0 for crisp images on high-density screens).
pub fn rasterize(svg: &str, scale: f32) -> Result<Vec<u8>, PngError> {
    let options = usvg::Options { fontdb: FONTS.clone(), font_family: primary_family(), ..Default::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PngError::Parse(e.to_string()))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or(PngError::TooLarge { width: 0, height: 0 })?;
    let (width, height) = (size.width(), size.height());
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(PngError::TooLarge { width, height });
    }
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(PngError::TooLarge { width, height })?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| PngError::Encode(e.to_string()))
}

fn primary_family() -> String {
    FONTS.faces().next().and_then(|f| f.families.first()).map_or_else(|| "sans-serif".to_owned(), |(n, _)| n.clone())
}

/// Names of the bundled font families, for `themes list` and the docs.
pub fn font_families() -> Vec<String> {
    let mut names: Vec<String> = BUNDLED.faces().filter_map(|f| f.families.first().map(|(n, _)| n.clone())).collect();
    names.dedup();
    names
}

/// The characters of `text` no bundled font has a glyph for (spaces and controls aside): what a
/// PNG would draw as the missing-glyph box on a host without fonts of its own.
pub fn missing_from_bundled(text: &str) -> Vec<char> {
    use skrifa::MetadataProvider;
    let covered = |c: char| {
        BUNDLED.faces().any(|face| {
            BUNDLED
                .with_face_data(face.id, |data, index| {
                    skrifa::FontRef::from_index(data, index).ok().and_then(|font| font.charmap().map(c)).is_some()
                })
                .unwrap_or(false)
        })
    };
    let mut missing: Vec<char> =
        text.chars().filter(|c| !c.is_whitespace() && !c.is_control() && !covered(*c)).collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::i18n;

    /// Every label of every locale, and each language's own name, has glyphs in the bundled
    /// fonts: no PNG shows a missing-glyph box for our own text, whatever the host has.
    #[test]
    fn every_locale_is_drawn_by_the_bundled_fonts() {
        let mut gaps = Vec::new();
        for code in i18n::codes() {
            let locale = i18n::locale(code).unwrap_or_else(i18n::default_locale);
            let text: String = locale.texts().collect::<Vec<_>>().join(" ");
            let missing = missing_from_bundled(&text);
            if !missing.is_empty() {
                gaps.push(format!("{code}: {}", missing.iter().collect::<String>()));
            }
            // And it renders: each locale's labels in one card.
            let svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="5" y="25" font-size="12">{}</text></svg>"#,
                crate::render::escape_text(&text.chars().take(120).collect::<String>())
            );
            assert!(rasterize(&svg, 1.0).is_ok(), "{code} does not render");
        }
        assert!(gaps.is_empty(), "characters without a bundled glyph:\n{}", gaps.join("\n"));
    }

    #[test]
    fn the_bundled_fonts_come_first() {
        assert_eq!(font_families().first().map(String::as_str), Some("Noto Sans"));
        assert_eq!(missing_from_bundled("Stars 1,234 ÄÖÜ Ω Ж 星"), Vec::<char>::new());
    }
}
