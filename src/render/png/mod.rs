//! SVG -> PNG with resvg. The fonts bundled in the binary come first (Latin, Greek, Cyrillic,
//! CJK, and subsets with every label of every locale in Arabic, Hebrew, Devanagari, Bengali,
//! Tamil, Malayalam, Myanmar, Thai and Hangul), so every card's own text looks the same on every
//! machine; the system's fonts are loaded after them, so a host with broad fonts installed (the
//! Dockerfile installs Noto, CJK and emoji) also draws names in any script.
//!
//! usvg shapes a string with one font and, for a character that font lacks, shapes the whole
//! string again with a fallback, keeping the fallback's glyphs only where both give as many; so
//! the script subsets hold the Latin of their labels (see `assets/fonts/README.md`), fallbacks are
//! chosen here ([`fallback_selector`]) and runs of another script are isolated ([`isolate_runs`]).

mod fallback;
mod isolate;
mod scripts;
#[cfg(test)]
mod tests;

use std::sync::{Arc, LazyLock};

use resvg::{tiny_skia, usvg};
use rust_embed::Embed;

use fallback::fallback_selector;
use isolate::isolate_runs;

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
    let svg = isolate_runs(svg);
    let tree = usvg::Tree::from_str(&svg, &options(&svg, FONTS.clone())).map_err(|e| PngError::Parse(e.to_string()))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or(PngError::TooLarge { width: 0, height: 0 })?;
    let (width, height) = (size.width(), size.height());
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(PngError::TooLarge { width, height });
    }
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or(PngError::TooLarge { width, height })?;
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| PngError::Encode(e.to_string()))
}

fn primary_family(fontdb: &usvg::fontdb::Database) -> String {
    fontdb.faces().next().and_then(|f| f.families.first()).map_or_else(|| "sans-serif".to_owned(), |(n, _)| n.clone())
}

/// usvg's options for `svg` (after [`isolate_runs`]) with the faces of `fontdb`.
fn options(svg: &str, fontdb: Arc<usvg::fontdb::Database>) -> usvg::Options<'static> {
    usvg::Options {
        font_family: primary_family(&fontdb),
        fontdb,
        font_resolver: usvg::FontResolver {
            select_font: usvg::FontResolver::default_font_selector(),
            select_fallback: fallback_selector(svg),
        },
        ..Default::default()
    }
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
    let covered = |c: char| BUNDLED.faces().any(|face| has_char(&BUNDLED, face.id, c));
    let mut missing: Vec<char> =
        text.chars().filter(|c| !c.is_whitespace() && !c.is_control() && !covered(*c)).collect();
    missing.sort_unstable();
    missing.dedup();
    missing
}

/// Whether face `id` maps `c` (its character map, which usvg shapes with).
pub(super) fn has_char(db: &usvg::fontdb::Database, id: usvg::fontdb::ID, c: char) -> bool {
    use skrifa::MetadataProvider;
    db.with_face_data(id, |data, index| {
        skrifa::FontRef::from_index(data, index).ok().and_then(|font| font.charmap().map(c)).is_some()
    })
    .unwrap_or(false)
}

/// How wide `text` is at `size` px and `weight` in the CSS font list `family`, laid out as a PNG
/// lays it out but with the bundled fonts alone, so an SVG does not depend on the host: the `fit`
/// helper draws a label that would run into its number smaller. Remembered: every card measures
/// the same labels.
pub fn text_width(text: &str, family: &str, size: f32, weight: u16) -> f32 {
    /// (text, font list, size bits, weight).
    type Measured = (String, String, u32, u16);
    // A template may measure what users wrote too: the memory is bounded.
    static WIDTHS: LazyLock<moka::sync::Cache<Measured, f32>> = LazyLock::new(|| moka::sync::Cache::new(4096));
    let key = (text.to_owned(), family.to_owned(), size.to_bits(), weight);
    WIDTHS.get_with(key, || {
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><text font-family="{}" font-size="{size}" font-weight="{weight}">{}</text></svg>"#,
            crate::render::escape_text(family),
            crate::render::escape_text(text)
        );
        let svg = isolate_runs(&svg);
        usvg::Tree::from_str(&svg, &options(&svg, BUNDLED.clone()))
            .ok()
            .and_then(|tree| first_text_width(tree.root()))
            .unwrap_or(0.0)
    })
}

fn first_text_width(group: &usvg::Group) -> Option<f32> {
    group.children().iter().find_map(|node| match node {
        usvg::Node::Text(text) => Some(text.bounding_box().width()),
        usvg::Node::Group(group) => first_text_width(group),
        _ => None,
    })
}

/// The text nodes of `group` and its groups, laid out.
#[cfg(test)]
fn text_nodes<'a>(group: &'a usvg::Group, out: &mut Vec<&'a usvg::Text>) {
    for node in group.children() {
        match node {
            usvg::Node::Text(text) => out.push(text),
            usvg::Node::Group(group) => text_nodes(group, out),
            _ => {}
        }
    }
}

/// The characters usvg lays out as glyph 0, which a PNG draws as a missing-glyph box, when it
/// draws `svg` with the faces of `fontdb`; sorted, once each.
#[cfg(test)]
pub(crate) fn boxes_with(svg: &str, fontdb: Arc<usvg::fontdb::Database>) -> Vec<char> {
    let svg = isolate_runs(svg);
    let tree = usvg::Tree::from_str(&svg, &options(&svg, fontdb)).expect("the SVG parses");
    let mut texts = Vec::new();
    text_nodes(tree.root(), &mut texts);
    let mut out: Vec<char> = texts
        .iter()
        .flat_map(|text| text.layouted())
        .flat_map(|span| &span.positioned_glyphs)
        .filter(|glyph| glyph.id.0 == 0)
        .flat_map(|glyph| glyph.text.chars())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// [`boxes_with`] the bundled and the system fonts, as a PNG is drawn.
#[cfg(test)]
pub(crate) fn boxes(svg: &str) -> Vec<char> {
    boxes_with(svg, FONTS.clone())
}

/// Whether any loaded face (bundled or system) maps `c`.
#[cfg(test)]
pub(crate) fn has_font_for(c: char) -> bool {
    FONTS.faces().any(|face| has_char(&FONTS, face.id, c))
}
