//! SVG -> PNG with resvg, using only the fonts bundled in the binary, so output is the same on
//! every machine whatever fonts it has installed.

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

/// Family used for `sans-serif` and unnamed text: the first bundled family, Latin first.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
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
    let mut names: Vec<String> = FONTS.faces().filter_map(|f| f.families.first().map(|(n, _)| n.clone())).collect();
    names.dedup();
    names
}
