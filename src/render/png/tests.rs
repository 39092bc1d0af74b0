//! Fonts, fallbacks and widths, against the real engine.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::scripts::font_package;
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
