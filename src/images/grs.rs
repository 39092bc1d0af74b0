//! github-readme-stats' URLs as our card requests, so that its users switch by changing only the
//! host. Its routes are lenient: a colour it cannot read falls back to the theme's, an unknown
//! theme to the default one, a boolean other than true/false to the default, an out-of-range
//! number to the nearest bound. A value it accepts therefore never gets our 400 here; a value it
//! refuses (no username, an unknown locale or layout) gets our error card naming the parameter.

use std::collections::HashMap;

use crate::domain::{BannerType, ImageFormat};
use crate::render::options::OPTION_NAMES;
use crate::render::{BannerOptions, OptionError, i18n};

/// A github-readme-stats route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrsCard {
    /// `/api`: the stats card.
    Stats,
    /// `/api/top-langs`.
    TopLanguages,
    /// `/api/pin`: a repository.
    Pin,
    /// `/api/gist`.
    Gist,
    /// `/api/wakatime`.
    WakaTime,
}

/// `Cache-Control` bounds of a route, in seconds; `cache_seconds` is clamped into them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheBounds {
    pub min: u64,
    pub max: u64,
}

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

impl GrsCard {
    fn kind(self) -> BannerType {
        match self {
            GrsCard::Stats => BannerType::Compact,
            GrsCard::TopLanguages => BannerType::Languages,
            GrsCard::Pin => BannerType::Pin,
            GrsCard::Gist => BannerType::Gist,
            GrsCard::WakaTime => BannerType::Wakatime,
        }
    }

    /// github-readme-stats' bounds for the card.
    pub fn cache_bounds(self) -> CacheBounds {
        match self {
            GrsCard::Stats | GrsCard::WakaTime => CacheBounds { min: 12 * HOUR, max: 2 * DAY },
            GrsCard::TopLanguages => CacheBounds { min: 2 * DAY, max: 10 * DAY },
            GrsCard::Pin | GrsCard::Gist => CacheBounds { min: DAY, max: 10 * DAY },
        }
    }

    /// Whether this route passes `name` on as it is, when our parser accepts the value (else the
    /// default applies, as on github-readme-stats): every option of ours except those translated
    /// below and `include_forks`, which github-readme-stats does not have.
    fn passes_on(name: &str) -> bool {
        const TRANSLATED: [&str; 13] = [
            "theme",
            "locale",
            "border_radius",
            "card_width",
            "line_height",
            "hide",
            "show",
            "hide_languages",
            "langs_count",
            "layout",
            "description_lines_count",
            "display_format",
            "include_forks",
        ];
        !TRANSLATED.contains(&name)
    }
}

fn invalid(name: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError { name, reason: reason.into() }
}

/// An installed pack, or ours beyond github-readme-stats: `auto`, `LIGHT,auto`, `LIGHT,DARK`.
fn is_theme_choice(theme: &str, installed: &impl Fn(&str) -> bool) -> bool {
    match theme.split(',').map(str::trim).collect::<Vec<_>>().as_slice() {
        ["auto"] => true,
        [one] | [one, "auto"] => installed(one),
        [light, dark] => installed(light) && installed(dark),
        _ => false,
    }
}

/// A github-readme-stats query in our parameter names, with the `max-age` it asks for;
/// `installed` says whether a theme name selects a pack.
pub(super) fn translate(
    card: GrsCard,
    params: &HashMap<String, String>,
    installed: impl Fn(&str) -> bool,
) -> Result<(HashMap<String, String>, Option<u64>), OptionError> {
    let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut ours: HashMap<String, String> = HashMap::new();
    let mut pass = |name: &str, value: String| {
        ours.insert(name.to_owned(), value);
    };
    pass("type", card.kind().as_str().to_owned());
    for subject in ["username", "repo", "id", "api_domain"] {
        if let Some(value) = params.get(subject) {
            pass(subject, value.clone());
        }
    }
    if let Some(code) = get("locale") {
        let locale = i18n::locale(code).ok_or_else(|| {
            invalid("locale", format!("unsupported; one of {}", i18n::all_codes().collect::<Vec<_>>().join(", ")))
        })?;
        pass("locale", locale.code.to_owned());
    }
    let theme = get("theme").map(str::to_ascii_lowercase).filter(|t| is_theme_choice(t, &installed));
    if let Some(theme) = &theme {
        pass("theme", theme.clone());
        // Where our pack of the same name has its own take on the palette, these URLs get
        // github-readme-stats' colours; any colour the URL gives still wins below.
        if let Some(colors) = grs_palette(theme) {
            for (name, color) in ["title_color", "icon_color", "text_color", "bg_color"].into_iter().zip(colors) {
                pass(name, color.to_owned());
            }
        }
    }
    for name in OPTION_NAMES.into_iter().filter(|n| GrsCard::passes_on(n)) {
        if let Some(value) = get(name)
            && accepted(name, value)
        {
            pass(name, value.to_owned());
        }
    }
    // Out-of-range sizes take the nearest bound, as there.
    if let Some(width) = get("card_width").and_then(|w| w.parse::<f64>().ok()).filter(|w| w.is_finite()) {
        pass("card_width", (width.clamp(300.0, 1000.0) as u32).to_string());
    }
    if let Some(height) = get("line_height").and_then(|h| h.parse::<f64>().ok()).filter(|h| h.is_finite()) {
        pass("line_height", (height.clamp(16.0, 60.0) as u32).to_string());
    }
    if let Some(radius) = get("border_radius").and_then(|r| r.parse::<f64>().ok()).filter(|r| r.is_finite()) {
        pass("border_radius", radius.clamp(0.0, 50.0).to_string());
    }
    match card {
        GrsCard::Pin | GrsCard::Gist => {
            if let Some(lines) = get("description_lines_count").and_then(|c| c.parse::<i64>().ok()) {
                pass("description_lines_count", lines.clamp(1, 3).to_string());
            }
        }
        GrsCard::Stats => {
            // Its stats card shows `1.2k` unless asked for `long`.
            if get("number_format").is_none_or(|f| !accepted("number_format", f)) {
                pass("number_format", "short".to_owned());
            }
            if let Some(list) = get("show") {
                let known: Vec<&str> = list.split(',').map(str::trim).filter(|n| accepted("show", n)).collect();
                pass("show", known.join(","));
            }
            // Stat names we do not show (yet) are ignored, as github-readme-stats ignores names
            // it does not know.
            if let Some(list) = get("hide") {
                let known: Vec<&str> = list.split(',').map(str::trim).filter(|n| accepted("hide", n)).collect();
                pass("hide", known.join(","));
            }
        }
        GrsCard::WakaTime => {
            if let Some(list) = get("hide") {
                pass("hide_languages", list.to_owned());
            }
            // Its layouts are `compact` and anything else (the default list).
            if get("layout") == Some("compact") {
                pass("layout", "compact".to_owned());
            }
            if let Some(format) = get("display_format").filter(|f| matches!(*f, "time" | "percent")) {
                pass("display_format", format.to_owned());
            }
            if let Some(count) = get("langs_count").and_then(|c| c.parse::<i64>().ok()) {
                pass("langs_count", count.clamp(1, 20).to_string());
            }
        }
        GrsCard::TopLanguages => {
            if let Some(list) = get("hide") {
                pass("hide_languages", list.to_owned());
            }
            if let Some(layout) = get("layout") {
                // Our donut already stacks the legend under the ring.
                let layout = if layout == "donut-vertical" { "donut" } else { layout };
                pass("layout", layout.to_owned());
            }
            // It refuses a `stats_format` it does not know (our parser does too).
            if let Some(format) = get("stats_format") {
                pass("stats_format", format.to_owned());
            }
            if let Some(count) = get("langs_count").and_then(|c| c.parse::<i64>().ok()) {
                pass("langs_count", count.clamp(1, 20).to_string());
            }
        }
    }
    let max_age = get("cache_seconds").and_then(|s| s.parse::<i64>().ok()).map(|s| {
        let bounds = card.cache_bounds();
        s.max(0).unsigned_abs().clamp(bounds.min, bounds.max)
    });
    Ok((ours, max_age))
}

/// github-readme-stats serves SVG only; ours add `format=json` (the card's data) and
/// `format=png`. Anything else is SVG, as there.
pub fn format_of(params: &HashMap<String, String>) -> ImageFormat {
    match params.get("format").map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        Some("json") => ImageFormat::Json,
        Some("png") => ImageFormat::Png,
        _ => ImageFormat::Svg,
    }
}

/// Whether our option parser takes `value` for `name` on its own.
pub(super) fn accepted(name: &str, value: &str) -> bool {
    BannerOptions::from_params(&HashMap::from([(name.to_owned(), value.to_owned())])).is_ok()
}

/// github-readme-stats' title, icon, text and background colours for the names our packs
/// colour differently (public palette facts from its theme list).
fn grs_palette(theme: &str) -> Option<[&'static str; 4]> {
    Some(match theme {
        "transparent" => ["006aff", "0579c3", "417e87", "ffffff00"],
        "dark" => ["fff", "79ff97", "9f9f9f", "151515"],
        "gruvbox" => ["fabd2f", "fe8019", "8ec07c", "282828"],
        "tokyonight" => ["70a5fd", "bf91f3", "38bdae", "1a1b27"],
        "onedark" => ["e4bf7a", "8eb573", "df6d74", "282c34"],
        "dracula" => ["ff6e96", "79dafa", "f8f8f2", "282a36"],
        "monokai" => ["eb1f6a", "e28905", "f1f1eb", "272822"],
        "solarized-dark" => ["268bd2", "b58900", "859900", "002b36"],
        "solarized-light" => ["268bd2", "b58900", "859900", "fdf6e3"],
        "nord" => ["81a1c1", "88c0d0", "d8dee9", "2e3440"],
        "gruvbox_light" => ["b57614", "af3a03", "427b58", "fbf1c7"],
        "highcontrast" => ["e7f216", "00ffff", "fff", "000"],
        "github_dark" => ["58a6ff", "1f6feb", "c3d1d9", "0d1117"],
        "catppuccin_mocha" => ["94e2d5", "cba6f7", "cdd6f4", "1e1e2e"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::Subject;
    use crate::images::{UrlRequest, UrlRoute, query_pairs};

    fn translate_query(card: GrsCard, query: &str) -> Result<UrlRequest, OptionError> {
        let installed = |t: &str| matches!(t, "dracula" | "github_dark" | "vue");
        UrlRequest::parse(UrlRoute::Grs(card), &query_pairs(Some(query)), installed).map_err(|refused| refused.error)
    }

    #[test]
    fn values_github_readme_stats_accepts_never_fail() {
        for query in [
            "username=octocat&show_icons=maybe&title_color=red&bg_color=nope&theme=unknown_theme",
            "username=octocat&hide=stars,not_a_stat,prs&border_radius=900&cache_seconds=abc",
            "username=octocat&card_width=abc&line_height=x&rank_icon=github&number_format=long&text_bold=false",
            "username=octocat&include_all_commits=true&commits_year=2020&show=reviews,prs_merged",
        ] {
            let translated = translate_query(GrsCard::Stats, query);
            assert!(translated.is_ok(), "{query}: {translated:?}");
        }
        let top = translate_query(
            GrsCard::TopLanguages,
            "username=octocat&layout=donut-vertical&langs_count=99&hide=html,CSS",
        );
        let top = top.unwrap().request;
        assert_eq!(top.options.langs_count, Some(20));
        assert_eq!(top.options.hide_languages.iter().map(String::as_str).collect::<Vec<_>>(), ["css", "html"]);
    }

    #[test]
    fn values_github_readme_stats_refuses_name_their_parameter() {
        assert_eq!(translate_query(GrsCard::Stats, "show_icons=true").unwrap_err().name, "username");
        assert_eq!(translate_query(GrsCard::Stats, "username=octocat&locale=xx").unwrap_err().name, "locale");
        assert_eq!(translate_query(GrsCard::TopLanguages, "username=a&layout=circle").unwrap_err().name, "layout");
        assert_eq!(
            translate_query(GrsCard::TopLanguages, "username=a&stats_format=kb").unwrap_err().name,
            "stats_format"
        );
    }

    #[test]
    fn themes_and_colours_follow_github_readme_stats() {
        let r = translate_query(GrsCard::Stats, "username=octocat&theme=Dracula&title_color=123456").unwrap().request;
        assert_eq!(r.options.theme, "dracula");
        assert_eq!(r.options.title_color.as_deref(), Some("#123456"), "the URL's colour wins");
        assert_eq!(r.options.icon_color.as_deref(), Some("#79dafa"), "grs's dracula icon colour");
        let unknown = translate_query(GrsCard::Stats, "username=octocat&theme=nope").unwrap().request;
        assert_eq!(unknown.options.theme, BannerOptions::default().theme);
        let plain = translate_query(GrsCard::Stats, "username=octocat&theme=vue").unwrap().request;
        assert_eq!((plain.options.theme.as_str(), plain.options.title_color), ("vue", None));
        assert!(matches!(plain.subject, Subject::User(login) if login.as_str() == "octocat"));
        assert_eq!(plain.kind, BannerType::Compact);
    }

    #[test]
    fn cache_seconds_is_clamped_to_the_cards_bounds() {
        let max_age = |card, query| translate_query(card, query).unwrap().max_age;
        assert_eq!(max_age(GrsCard::Stats, "username=a&cache_seconds=60"), Some(12 * HOUR));
        assert_eq!(max_age(GrsCard::Stats, "username=a&cache_seconds=90000"), Some(90000));
        assert_eq!(max_age(GrsCard::Stats, "username=a&cache_seconds=999999999"), Some(2 * DAY));
        assert_eq!(max_age(GrsCard::TopLanguages, "username=a&cache_seconds=-5"), Some(2 * DAY));
        assert_eq!(max_age(GrsCard::Stats, "username=a"), None);
    }
}
