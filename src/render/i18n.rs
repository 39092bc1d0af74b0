//! Translated labels and locale-aware number formatting for banners.

use std::collections::HashMap;
use std::sync::LazyLock;

/// Every shipped locale; `en` is the fallback for a label a locale lacks.
const LOCALE_FILES: [(&str, &str); 46] = [
    ("en", include_str!("assets/locales/en.toml")),
    ("de", include_str!("assets/locales/de.toml")),
    ("fr", include_str!("assets/locales/fr.toml")),
    ("es", include_str!("assets/locales/es.toml")),
    ("pt-BR", include_str!("assets/locales/pt-BR.toml")),
    ("ja", include_str!("assets/locales/ja.toml")),
    ("zh-CN", include_str!("assets/locales/zh-CN.toml")),
    ("ru", include_str!("assets/locales/ru.toml")),
    ("ar", include_str!("assets/locales/ar.toml")),
    ("az", include_str!("assets/locales/az.toml")),
    ("bg", include_str!("assets/locales/bg.toml")),
    ("bn", include_str!("assets/locales/bn.toml")),
    ("ca", include_str!("assets/locales/ca.toml")),
    ("cs", include_str!("assets/locales/cs.toml")),
    ("el", include_str!("assets/locales/el.toml")),
    ("fa", include_str!("assets/locales/fa.toml")),
    ("fi", include_str!("assets/locales/fi.toml")),
    ("fil", include_str!("assets/locales/fil.toml")),
    ("he", include_str!("assets/locales/he.toml")),
    ("hi", include_str!("assets/locales/hi.toml")),
    ("hu", include_str!("assets/locales/hu.toml")),
    ("id", include_str!("assets/locales/id.toml")),
    ("it", include_str!("assets/locales/it.toml")),
    ("ko", include_str!("assets/locales/ko.toml")),
    ("ml", include_str!("assets/locales/ml.toml")),
    ("my", include_str!("assets/locales/my.toml")),
    ("nb", include_str!("assets/locales/nb.toml")),
    ("ne", include_str!("assets/locales/ne.toml")),
    ("nl", include_str!("assets/locales/nl.toml")),
    ("pl", include_str!("assets/locales/pl.toml")),
    ("pt-PT", include_str!("assets/locales/pt-PT.toml")),
    ("ro", include_str!("assets/locales/ro.toml")),
    ("sa", include_str!("assets/locales/sa.toml")),
    ("sk", include_str!("assets/locales/sk.toml")),
    ("sr", include_str!("assets/locales/sr.toml")),
    ("sr-Latn", include_str!("assets/locales/sr-Latn.toml")),
    ("sv", include_str!("assets/locales/sv.toml")),
    ("sw", include_str!("assets/locales/sw.toml")),
    ("ta", include_str!("assets/locales/ta.toml")),
    ("th", include_str!("assets/locales/th.toml")),
    ("tr", include_str!("assets/locales/tr.toml")),
    ("uk", include_str!("assets/locales/uk.toml")),
    ("ur", include_str!("assets/locales/ur.toml")),
    ("uz", include_str!("assets/locales/uz.toml")),
    ("vi", include_str!("assets/locales/vi.toml")),
    ("zh-TW", include_str!("assets/locales/zh-TW.toml")),
];

/// github-readme-stats' codes that are not the language's code (a country code, a region
/// we do not distinguish, the macrolanguage), as it spells them.
const ALIASES: [(&str, &str); 6] =
    [("cn", "zh-CN"), ("kr", "ko"), ("np", "ne"), ("se", "sv"), ("uk-ua", "uk"), ("no", "nb")];

pub const DEFAULT_LOCALE: &str = "en";

#[derive(Debug)]
pub struct Locale {
    pub code: &'static str,
    /// The language's own name, e.g. "Deutsch".
    pub name: String,
    labels: HashMap<String, String>,
    group: String,
    decimal: String,
    /// The font family of the locale's script, when the card's Latin font lacks it.
    pub font: Option<String>,
    /// Written right to left: cards are laid out mirrored (see the `flip` helpers).
    pub rtl: bool,
}

static LOCALES: LazyLock<Vec<Locale>> = LazyLock::new(|| {
    LOCALE_FILES
        .iter()
        .map(|(code, text)| {
            let mut labels: HashMap<String, String> = toml::from_str(text).unwrap_or_default();
            let name = labels.remove("_name").unwrap_or_else(|| (*code).to_owned());
            let group = labels.remove("_number_group").unwrap_or_else(|| ",".to_owned());
            let decimal = labels.remove("_decimal").unwrap_or_else(|| ".".to_owned());
            let font = labels.remove("_font");
            let rtl = labels.remove("_direction").is_some_and(|d| d == "rtl");
            Locale { code, name, labels, group, decimal, font, rtl }
        })
        .collect()
});

/// A shipped locale by code, case-insensitively (`pt-br`, `zh-cn`); a bare language (`pt`, `zh`)
/// picks its one regional variant.
pub fn locale(code: &str) -> Option<&'static Locale> {
    let wanted = code.trim().to_ascii_lowercase().replace('_', "-");
    let wanted =
        ALIASES.iter().find(|(alias, _)| *alias == wanted).map_or(wanted, |(_, ours)| ours.to_ascii_lowercase());
    LOCALES.iter().find(|l| l.code.to_ascii_lowercase() == wanted).or_else(|| {
        LOCALES.iter().find(|l| l.code.split('-').next().is_some_and(|lang| lang.eq_ignore_ascii_case(&wanted)))
    })
}

pub fn default_locale() -> &'static Locale {
    // The list is static and starts with en; the fallback only guards against an edit mistake.
    locale(DEFAULT_LOCALE).unwrap_or_else(|| &LOCALES[0])
}

pub fn codes() -> impl Iterator<Item = &'static str> {
    LOCALE_FILES.iter().map(|(code, _)| *code)
}

/// Our codes and the other spellings we accept (github-readme-stats').
pub fn all_codes() -> impl Iterator<Item = &'static str> {
    codes().chain(ALIASES.iter().map(|(alias, _)| *alias))
}

impl Locale {
    /// The label, falling back to English, then to the key itself.
    pub fn label<'a>(&'a self, key: &'a str) -> &'a str {
        self.labels.get(key).or_else(|| default_locale().labels.get(key)).map_or(key, String::as_str)
    }

    /// Every label text and the language's own name.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.labels.values().map(String::as_str))
    }

    pub fn has_label(&self, key: &str) -> bool {
        self.labels.contains_key(key) || default_locale().labels.contains_key(key)
    }

    /// `1234567` -> `1,234,567` (en), `1.234.567` (de), `1 234 567` (fr).
    pub fn number(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() * 2);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(&self.group);
            }
            out.push(c);
        }
        out
    }

    /// `1234` -> `1.2k` (en), `1,2k` (de); under 1000 unchanged.
    pub fn short(&self, n: i64) -> String {
        self.short_with(n, 1)
    }

    /// `short` with `precision` decimals (0-2; a trailing zero part is dropped).
    pub fn short_with(&self, n: i64, precision: usize) -> String {
        let abs = n.unsigned_abs() as f64;
        let sign = if n < 0 { "-" } else { "" };
        let (value, unit) = match abs {
            a if a >= 1e9 => (a / 1e9, "B"),
            a if a >= 1e6 => (a / 1e6, "M"),
            a if a >= 1e3 => (a / 1e3, "k"),
            _ => return format!("{sign}{}", n.unsigned_abs()),
        };
        let text = format!("{value:.precision$}", precision = precision.min(2));
        let trimmed = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
        let text = trimmed.replace('.', &self.decimal);
        format!("{sign}{text}{unit}")
    }

    /// `2048` -> `2 KB`, `1572864` -> `1.5 MB` (binary units, one decimal, the locale's mark).
    pub fn bytes(&self, n: i64) -> String {
        let abs = n.max(0) as f64;
        let (value, unit) = match abs {
            a if a >= 1024.0 * 1024.0 * 1024.0 => (a / (1024.0 * 1024.0 * 1024.0), "GB"),
            a if a >= 1024.0 * 1024.0 => (a / (1024.0 * 1024.0), "MB"),
            a if a >= 1024.0 => (a / 1024.0, "KB"),
            a => return format!("{a} B"),
        };
        let text = format!("{value:.1}");
        let text = text.strip_suffix(".0").unwrap_or(&text).replace('.', &self.decimal);
        format!("{text} {unit}")
    }

    /// One decimal with the locale's decimal mark: `42.5%` (en), `42,5%` (de).
    pub fn percent(&self, p: f64) -> String {
        format!("{p:.1}%").replace('.', &self.decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_english_label() {
        let english = &default_locale().labels;
        for code in codes() {
            let locale = locale(code).unwrap();
            for key in english.keys() {
                assert!(locale.labels.contains_key(key), "{code} lacks {key}");
            }
        }
    }

    #[test]
    fn locales_are_found_case_insensitively_and_by_language() {
        assert_eq!(locale("PT-br").unwrap().code, "pt-BR");
        assert_eq!(locale("zh").unwrap().code, "zh-CN");
        assert_eq!(locale("zh-tw").unwrap().code, "zh-TW");
        assert_eq!(locale("sr-latn").unwrap().code, "sr-Latn");
        assert_eq!(locale("de_DE").map(|l| l.code), None);
        assert!(locale("xx").is_none());
    }

    /// Every code github-readme-stats accepts selects one of ours.
    #[test]
    fn every_github_readme_stats_code_is_a_locale() {
        let grs = "en ar az bg bn ca cn zh-tw cs de sw ur es fa fi fr hi sa hu it ja kr nl pt-pt pt-br np el ro \
                   ru uk-ua id ml my ta sk tr pl uz vi se he fil th sr sr-latn no";
        let codes: Vec<&str> = grs.split_whitespace().collect();
        assert_eq!(codes.len(), 46);
        for code in codes {
            assert!(locale(code).is_some(), "{code}");
        }
        assert_eq!(locale("cn").unwrap().code, "zh-CN");
        assert_eq!(locale("kr").unwrap().code, "ko");
        assert_eq!(locale("uk-UA").unwrap().code, "uk");
    }

    #[test]
    fn numbers_follow_the_locale() {
        assert_eq!(locale("en").unwrap().number(1234567), "1,234,567");
        assert_eq!(locale("de").unwrap().number(1234567), "1.234.567");
        assert_eq!(locale("de").unwrap().short(1234), "1,2k");
        assert_eq!(locale("en").unwrap().short(1000), "1k");
        assert_eq!(locale("en").unwrap().short(999), "999");
        assert_eq!(locale("en").unwrap().short(-2500), "-2.5k");
        assert_eq!(locale("en").unwrap().percent(42.26), "42.3%");
        assert_eq!(locale("en").unwrap().short_with(1234, 2), "1.23k");
        assert_eq!(locale("en").unwrap().short_with(1500, 0), "2k");
        assert_eq!(locale("en").unwrap().short_with(2000, 2), "2k");
        assert_eq!(locale("de").unwrap().bytes(1_572_864), "1,5 MB");
        assert_eq!(locale("en").unwrap().bytes(512), "512 B");
    }
}
