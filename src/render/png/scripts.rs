//! What the fallback and the isolation of runs need to know of a character's script.

use unicode_script::{Script, UnicodeScript};

/// Whether `c` is of a script whose shaping joins, reorders or ligates (Arabic, the Indic scripts,
/// Myanmar, Thai...), so that a string shaped with a font that lacks it has another number of
/// glyphs than with one that has it.
pub(super) fn reshapes(c: char) -> bool {
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
pub(super) fn right_to_left(c: char) -> bool {
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
pub(super) fn invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFE00..=0xFE0F | 0xFEFF | 0xE0000..=0xE007F
    )
}

/// The script of `c` as logged, and the Debian package with a font for it (the Dockerfile
/// installs all three).
pub(super) fn font_package(c: char) -> (&'static str, &'static str) {
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
