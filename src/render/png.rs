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

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use resvg::{tiny_skia, usvg};
use rust_embed::Embed;
use unicode_script::{Script, UnicodeScript};

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

/// Picks the face for a character the span's font lacks, instead of usvg's default (usvg 0.49,
/// `FontResolver::default_fallback_selector`), which failed PNGs in two ways:
/// - it takes the first face in the database with the character, whatever its weight; the
///   bundled Bold files sort before the Regular ones, so Chinese and Japanese labels, and the
///   Latin of Malayalam or Tamil cards, came out bold. Here: that face's family, then its face
///   nearest in style and weight.
/// - it answers None for a character no face has (an emoji on a host without an emoji font),
///   and usvg then stops looking for the rest of the string (`shape_text` leaves its loop): every
///   CJK or Arabic character after the emoji stayed a missing-glyph box. Here such a character is
///   logged once per script ([`warn_unmapped`]) and usvg is handed a face for another character of
///   the string that is still missing, so the loop goes on.
///
/// usvg keeps a fallback's glyphs only when the fallback shapes the whole string into as many
/// glyphs as the first font, and stops at the first that does not; so faces for scripts whose
/// shaping joins, reorders or ligates ([`reshapes`]) are offered after the others. usvg tells the
/// character, not the string: the strings are the texts of `svg` that hold it.
fn fallback_selector(svg: &str) -> usvg::FallbackSelectionFn<'static> {
    let texts: Vec<String> = svg.split(['<', '>']).filter(|t| !t.is_ascii()).map(str::to_owned).collect();
    // Characters no face has: looked for once per SVG (a scan reads every system font file).
    let unmapped = Mutex::new(BTreeSet::new());
    Box::new(move |c: char, used: &[usvg::fontdb::ID], db: &mut Arc<usvg::fontdb::Database>| {
        let db: &usvg::fontdb::Database = db;
        let base = db.face(*used.first()?)?;
        let nearest = |ch: char| {
            let first = db.faces().find(|f| !used.contains(&f.id) && has_char(db, f.id, ch))?;
            let family = first.families.first().map(|(name, _)| name);
            db.faces()
                .filter(|f| !used.contains(&f.id) && f.families.first().map(|(name, _)| name) == family)
                .filter(|f| has_char(db, f.id, ch))
                .min_by_key(|f| (f.style != base.style, f.weight.0.abs_diff(base.weight.0), f.stretch != base.stretch))
                .map(|f| f.id)
        };
        let mut unmapped = unmapped.lock().unwrap_or_else(PoisonError::into_inner);
        let mut missing = vec![c];
        for ch in texts.iter().filter(|t| t.contains(c)).flat_map(|t| t.chars()) {
            if !ch.is_whitespace() && !invisible(ch) && !unmapped.contains(&ch) && !missing.contains(&ch) {
                missing.push(ch);
            }
        }
        // The rest of the string that the faces used so far lack (one read of each face).
        let mut rest = missing.split_off(1);
        for id in used {
            drop_mapped(db, *id, &mut rest);
        }
        missing.extend(rest);
        missing.sort_by_key(|ch| reshapes(*ch));
        for ch in missing {
            if unmapped.contains(&ch) {
                continue;
            }
            if let Some(id) = nearest(ch) {
                return Some(id);
            }
            unmapped.insert(ch);
            warn_unmapped(ch);
        }
        None
    })
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
fn has_char(db: &usvg::fontdb::Database, id: usvg::fontdb::ID, c: char) -> bool {
    use skrifa::MetadataProvider;
    db.with_face_data(id, |data, index| {
        skrifa::FontRef::from_index(data, index).ok().and_then(|font| font.charmap().map(c)).is_some()
    })
    .unwrap_or(false)
}

/// Drops from `chars` those face `id` maps.
fn drop_mapped(db: &usvg::fontdb::Database, id: usvg::fontdb::ID, chars: &mut Vec<char>) {
    use skrifa::MetadataProvider;
    db.with_face_data(id, |data, index| {
        if let Ok(font) = skrifa::FontRef::from_index(data, index) {
            let charmap = font.charmap();
            chars.retain(|c| charmap.map(*c).is_none());
        }
    });
}

/// Whether `c` is of a script whose shaping joins, reorders or ligates (Arabic, the Indic scripts,
/// Myanmar, Thai...), so that a string shaped with a font that lacks it has another number of
/// glyphs than with one that has it.
fn reshapes(c: char) -> bool {
    !matches!(
        c.script(),
        Script::Common
            | Script::Inherited
            | Script::Unknown
            | Script::Latin
            | Script::Greek
            | Script::Cyrillic
            | Script::Armenian
            | Script::Georgian
            | Script::Hebrew
            | Script::Han
            | Script::Hiragana
            | Script::Katakana
            | Script::Bopomofo
            | Script::Hangul
    )
}

/// Written right to left: the bidi algorithm already shapes such runs apart.
fn right_to_left(c: char) -> bool {
    matches!(
        c.script(),
        Script::Arabic
            | Script::Hebrew
            | Script::Syriac
            | Script::Thaana
            | Script::Nko
            | Script::Adlam
            | Script::Mandaic
    )
}

/// Format characters that draw nothing (joiners, bidi controls, variation selectors): shapers
/// hide them, they are never missing glyphs.
fn invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFE00..=0xFE0F | 0xFEFF | 0xE0000..=0xE007F
    )
}

/// Logs, once per script and process, that no loaded font draws `c`'s script (a PNG shows
/// missing-glyph boxes for it), with the Debian package that has one: the bundled fonts cover the
/// labels, not everything users write.
fn warn_unmapped(c: char) {
    static WARNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let (script, package) = font_package(c);
    if WARNED.lock().unwrap_or_else(PoisonError::into_inner).insert(script) {
        tracing::warn!(
            script,
            package,
            character = %c.escape_unicode(),
            "no installed font draws this script: PNGs show missing-glyph boxes for it until {package} is installed"
        );
    }
}

/// The script of `c` as logged, and the Debian package with a font for it (the Dockerfile
/// installs all three).
fn font_package(c: char) -> (&'static str, &'static str) {
    let emoji = matches!(u32::from(c), 0x2300..=0x23FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF);
    match c.script() {
        script @ (Script::Han | Script::Hiragana | Script::Katakana | Script::Bopomofo | Script::Hangul) => {
            (script.full_name(), "fonts-noto-cjk")
        }
        Script::Common | Script::Inherited | Script::Unknown if emoji => ("Emoji", "fonts-noto-color-emoji"),
        Script::Common | Script::Inherited | Script::Unknown => ("Symbols", "fonts-noto-core"),
        script => (script.full_name(), "fonts-noto-core"),
    }
}

/// Puts each run of letters of another script inside text of a left-to-right script whose
/// shaping reorders or joins (Indic, Myanmar, Thai...) between LEFT-TO-RIGHT ISOLATE and POP
/// DIRECTIONAL ISOLATE, which draw nothing. usvg shapes each bidi run as one script, guessed from
/// its first letter: "The Octocat-ന്റെ GitHub സ്ഥിതിവിവരങ്ങൾ" was shaped as Latin, its Malayalam
/// without conjuncts or the vowel signs moved before their consonants. An isolate is a bidi run of
/// its own, so each script is shaped as itself. Only text between tags is changed.
fn isolate_runs(svg: &str) -> Cow<'_, str> {
    let shaped = |c: char| reshapes(c) && !right_to_left(c);
    if !svg.chars().any(shaped) {
        return Cow::Borrowed(svg);
    }
    let other = |c: char| c.is_alphabetic() && !shaped(c) && !right_to_left(c);
    let mut out = String::with_capacity(svg.len() + 64);
    let isolate = |text: &str, out: &mut String| {
        if !text.chars().any(shaped) || !text.chars().any(other) {
            out.push_str(text);
            return;
        }
        // From the first letter of another script to the last before the next shaped letter.
        let (mut done, mut run) = (0, None);
        let close = |run: Option<(usize, usize)>, done: &mut usize, out: &mut String| {
            if let Some((start, end)) = run {
                out.push_str(&text[*done..start]);
                out.push('\u{2066}');
                out.push_str(&text[start..end]);
                out.push('\u{2069}');
                *done = end;
            }
        };
        for (i, c) in text.char_indices() {
            if other(c) {
                let end = i + c.len_utf8();
                run = Some(run.map_or((i, end), |(start, _)| (start, end)));
            } else if shaped(c) {
                close(run.take(), &mut done, out);
            }
        }
        close(run, &mut done, out);
        out.push_str(&text[done..]);
    };
    for (i, piece) in svg.split('<').enumerate() {
        match piece.find('>') {
            Some(end) if i > 0 => {
                out.push('<');
                out.push_str(&piece[..=end]);
                isolate(&piece[end + 1..], &mut out);
            }
            _ => {
                if i > 0 {
                    out.push('<');
                }
                out.push_str(piece);
            }
        }
    }
    Cow::Owned(out)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::i18n;

    fn svg(texts: &str) -> String {
        format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40" font-size="14">{texts}</svg>"#)
    }

    /// Every label of every locale, with a name, a year and counts filled in, in its locale's font
    /// list at the weights the cards use, is drawn by the bundled fonts alone without a
    /// missing-glyph box, whatever the host has. What usvg lays out, not only what the character
    /// maps hold: "PR" in a Malayalam label was drawn as two boxes although Noto Sans has both.
    #[test]
    fn every_locale_is_drawn_by_the_bundled_fonts() {
        let mut gaps = Vec::new();
        for code in i18n::codes() {
            let locale = i18n::locale(code).unwrap_or_else(i18n::default_locale);
            let text: String = locale.texts().collect::<Vec<_>>().join(" ");
            let missing = missing_from_bundled(&text);
            if !missing.is_empty() {
                gaps.push(format!("{code}: not in any bundled font: {}", missing.iter().collect::<String>()));
            }
            // As the cards use them: the script's font first (see context.rs).
            let family = locale.font.as_ref().map_or_else(|| "sans-serif".to_owned(), |f| format!("'{f}', sans-serif"));
            let texts: String = locale
                .texts()
                .map(|label| {
                    let label = label
                        .replace("{name}", "Zoë Ñandú")
                        .replace("{year}", "2024")
                        .replace("{count}", &locale.number(1234))
                        .replace("{days}", "30");
                    ["400", "600", "700"]
                        .map(|weight| {
                            format!(
                                r#"<text y="20" font-family="{}" font-weight="{weight}">{}</text>"#,
                                crate::render::escape_text(&family),
                                crate::render::escape_text(&label)
                            )
                        })
                        .concat()
                })
                .collect();
            let boxes = boxes_with(&svg(&texts), BUNDLED.clone());
            if !boxes.is_empty() {
                gaps.push(format!("{code}: drawn as boxes: {}", boxes.iter().collect::<String>()));
            }
        }
        assert!(gaps.is_empty(), "label characters without a bundled glyph:\n{}", gaps.join("\n"));
    }

    #[test]
    fn the_bundled_fonts_come_first() {
        assert_eq!(font_families().first().map(String::as_str), Some("Noto Sans"));
        assert_eq!(missing_from_bundled("Stars 1,234 ÄÖÜ Ω Ж 星"), Vec::<char>::new());
    }

    /// A character no face has (an emoji where there is no emoji font) does not end the fallback:
    /// the Han and Arabic after it were boxes too.
    #[test]
    fn a_character_no_font_has_does_not_stop_the_fallback() {
        let name = r#"<text y="20" font-family="sans-serif" font-weight="700">Zoë Ñandú 🦀✨ 李小龍 عربي</text>"#;
        assert_eq!(boxes_with(&svg(name), BUNDLED.clone()), ['✨', '🦀']);
    }

    /// A fallback has the weight of its text: the bundled Bold files sort before the Regular
    /// ones, and usvg's own choice drew regular Chinese labels, and the Latin of Malayalam
    /// cards, bold.
    #[test]
    fn a_fallback_has_the_weight_of_its_text() {
        let texts = svg(concat!(
            r#"<text y="20" font-family="sans-serif">星标总数 @octocat</text>"#,
            r#"<text y="40" font-family="'Noto Sans CJK KR', sans-serif">GitHub 통계 Zoë</text>"#,
        ));
        let tree = usvg::Tree::from_str(&texts, &options(&texts, BUNDLED.clone())).expect("parses");
        let mut nodes = Vec::new();
        text_nodes(tree.root(), &mut nodes);
        let weights: BTreeSet<u16> = nodes
            .iter()
            .flat_map(|text| text.layouted())
            .flat_map(|span| &span.positioned_glyphs)
            .filter_map(|glyph| tree.fontdb().face(glyph.font).map(|face| face.weight.0))
            .collect();
        assert_eq!(weights, BTreeSet::from([400]));
    }

    /// In text of a script that reorders and joins, a run of another script is shaped apart: a
    /// Latin name first made usvg shape the Malayalam after it as Latin (no conjuncts, vowel signs
    /// after their consonants).
    #[test]
    fn a_run_of_another_script_is_shaped_apart() {
        assert_eq!(
            isolate_runs("<text>The Octocat-ന്റെ GitHub സ്ഥിതി</text>"),
            "<text>\u{2066}The Octocat\u{2069}-ന്റെ \u{2066}GitHub\u{2069} സ്ഥിതി</text>"
        );
        assert!(matches!(isolate_runs("<text>Zoë 李小龍 عربي</text>"), Cow::Borrowed(_)));
        let glyphs = |text: &str| -> Vec<u32> {
            let texts = svg(&format!(r#"<text y="20" font-family="'Noto Sans Malayalam'">{text}</text>"#));
            let texts = isolate_runs(&texts);
            let tree = usvg::Tree::from_str(&texts, &options(&texts, BUNDLED.clone())).expect("parses");
            let mut nodes = Vec::new();
            text_nodes(tree.root(), &mut nodes);
            nodes.iter().flat_map(|t| t.layouted()).flat_map(|s| &s.positioned_glyphs).map(|g| g.id.0).collect()
        };
        let alone = glyphs("സ്ഥിതിവിവരങ്ങൾ");
        assert!(glyphs("GitHub സ്ഥിതിവിവരങ്ങൾ").ends_with(&alone), "{alone:?}");
    }

    #[test]
    fn a_missing_script_names_its_package() {
        assert_eq!(font_package('🦀'), ("Emoji", "fonts-noto-color-emoji"));
        assert_eq!(font_package('✨'), ("Emoji", "fonts-noto-color-emoji"));
        assert_eq!(font_package('한'), ("Hangul", "fonts-noto-cjk"));
        assert_eq!(font_package('ગ'), ("Gujarati", "fonts-noto-core"));
    }

    /// Widths as the PNG lays text out; a longer label is wider, and a measurement is remembered.
    #[test]
    fn text_is_measured_with_the_bundled_fonts() {
        let family = "'Segoe UI', Ubuntu, 'Noto Sans', 'Helvetica Neue', sans-serif";
        let short = text_width("Stars", family, 14.0, 400);
        let long = text_width("Contributed to", family, 14.0, 400);
        assert!(short > 20.0 && long > short * 2.0, "{short} {long}");
        assert_eq!(text_width("Stars", family, 14.0, 400), short);
        assert!(text_width("Stars", family, 14.0, 700) > short);
    }
}
