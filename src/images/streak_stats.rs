//! github-readme-streak-stats' URLs (`/?user=NAME&...`) as our streak card, so its users switch by
//! changing only the host. Like that service, it is lenient where it is: an unknown theme or
//! locale falls back to the default, a colour or flag it cannot read to the theme's or the
//! default, sizes to the nearest bound. What it refuses (no user, an unknown mode or day, a
//! bad date format) gets our error card naming the parameter.

use std::collections::HashMap;

use crate::domain::{BannerType, ImageFormat};
use crate::render::{OptionError, i18n};

use super::grs::accepted;

/// Its options that mean the same here, passed on when our parser takes the value.
const SAME: [&str; 9] = [
    "hide_border",
    "disable_animations",
    "date_format",
    "mode",
    "exclude_days",
    "hide_total_contributions",
    "hide_current_streak",
    "hide_longest_streak",
    "timezone",
];

/// Its colour parameters and ours: the ring is our icon colour, the numbers our title colour,
/// the labels our text colour (the first one given wins).
const COLOURS: [(&str, &str); 7] = [
    ("background", "bg_color"),
    ("border", "border_color"),
    ("ring", "icon_color"),
    ("currStreakNum", "title_color"),
    ("sideNums", "title_color"),
    ("currStreakLabel", "text_color"),
    ("sideLabels", "text_color"),
];

/// A github-readme-streak-stats query in our parameter names; `installed` says whether a theme
/// name selects a pack.
pub(super) fn translate(
    params: &HashMap<String, String>,
    installed: impl Fn(&str) -> bool,
) -> Result<HashMap<String, String>, OptionError> {
    let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let user = get("user").ok_or_else(|| OptionError { name: "user", reason: "is required".to_owned() })?;
    let mut ours = HashMap::from([
        ("type".to_owned(), BannerType::Streak.as_str().to_owned()),
        ("username".to_owned(), user.to_owned()),
    ]);
    if let Some(theme) = get("theme").map(str::to_ascii_lowercase).filter(|t| installed(t)) {
        ours.insert("theme".to_owned(), theme);
    }
    // `pt_BR`, `zh_Hans`: its codes use `_` and script names.
    if let Some(code) = get("locale") {
        let code = match code {
            "zh_Hans" => "zh-CN".to_owned(),
            "zh_Hant" => "zh-TW".to_owned(),
            other => other.replace('_', "-"),
        };
        if let Some(locale) = i18n::locale(&code) {
            ours.insert("locale".to_owned(), locale.code.to_owned());
        }
    }
    for (theirs, name) in COLOURS {
        if let Some(value) = get(theirs).filter(|v| accepted(name, v))
            && !ours.contains_key(name)
        {
            ours.insert(name.to_owned(), value.to_owned());
        }
    }
    for name in SAME {
        // Its flags fall back to the default; the rest is refused as there.
        let lenient = name.starts_with("hide_") || name == "disable_animations";
        if let Some(value) = get(name).filter(|v| !lenient || accepted(name, v)) {
            ours.insert(name.to_owned(), value.to_owned());
        }
    }
    let number = |name: &str| get(name).and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite());
    if let Some(radius) = number("border_radius") {
        ours.insert("border_radius".to_owned(), radius.clamp(0.0, 50.0).to_string());
    }
    if let Some(width) = number("card_width") {
        ours.insert("card_width".to_owned(), (width.clamp(300.0, 1000.0) as u32).to_string());
    }
    // It counts from 2005; GitHub's calendars start in 2008.
    if let Some(year) = number("starting_year") {
        ours.insert("starting_year".to_owned(), (year.clamp(2008.0, 9999.0) as i32).to_string());
    }
    Ok(ours)
}

/// The format a streak-stats URL asks for (`type=`), for its error cards.
pub fn format_of(params: &HashMap<String, String>) -> ImageFormat {
    match params.get("type").map(|t| t.trim().to_ascii_lowercase()).as_deref() {
        Some("png") => ImageFormat::Png,
        Some("json") => ImageFormat::Json,
        _ => ImageFormat::Svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::Subject;
    use crate::domain::StreakMode;
    use crate::images::{UrlRequest, UrlRoute};

    fn translate_query(query: &str) -> Result<UrlRequest, OptionError> {
        let params = crate::images::query_pairs(Some(query));
        let installed = |t: &str| ["default", "dark", "radical"].contains(&t);
        UrlRequest::parse(UrlRoute::StreakStats, &params, installed).map_err(|refused| refused.error)
    }

    #[test]
    fn its_urls_become_streak_cards() {
        let parsed = translate_query(
            "user=DenverCoder1&theme=dark&type=json&mode=weekly&exclude_days=Sun,Sat&locale=pt_BR&ring=ff0000&sideNums=00ff00&border_radius=248&card_width=120&starting_year=2005&date_format=j/n[/Y]&hide_longest_streak=true",
        )
        .unwrap();
        let request = parsed.request;
        assert_eq!((request.kind, request.format), (BannerType::Streak, ImageFormat::Json));
        assert!(matches!(request.subject, Subject::User(login) if login.as_str() == "DenverCoder1"));
        let o = &request.options;
        assert_eq!((o.theme.as_str(), o.locale), ("dark", "pt-BR"));
        assert_eq!((o.icon_color.as_deref(), o.title_color.as_deref()), (Some("#ff0000"), Some("#00ff00")));
        assert_eq!((o.border_radius, o.card_width), (Some(50.0), Some(300)));
        let c = &o.contributions;
        assert_eq!((c.mode, c.excluded_days, c.starting_year), (StreakMode::Weekly, 0b100_0001, Some(2008)));
        assert_eq!((c.date_format.as_str(), c.hide_longest, c.hide_total), ("j/n[/Y]", true, false));
    }

    #[test]
    fn what_it_shrugs_off_falls_back_and_what_it_refuses_names_the_parameter() {
        let lenient = translate_query("user=a&theme=nope&locale=xx&background=red&hide_border=maybe").unwrap();
        let o = lenient.request.options;
        assert_eq!((o.theme.as_str(), o.locale, o.background, o.hide_border), ("default", "en", None, false));
        for (query, name) in
            [("theme=dark", "user"), ("user=a&mode=hourly", "mode"), ("user=a&exclude_days=x", "exclude_days")]
        {
            assert_eq!(translate_query(query).err().map(|e| e.name), Some(name), "{query}");
        }
    }
}
