//! The face for a character a span's font lacks (usvg's fallback hook), chosen by weight and
//! never giving up at a character no face has.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use resvg::usvg;

use super::has_char;
use super::scripts::{font_package, invisible, reshapes};

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
pub(super) fn fallback_selector(svg: &str) -> usvg::FallbackSelectionFn<'static> {
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
