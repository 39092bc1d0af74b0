//! What a WakaTime card shows: the template context built from [`WakaStats`].

use serde::Serialize;

use super::context::{ThemeView, theme_view};
use super::i18n;
use super::options::{BannerOptions, DisplayFormat, LanguagesLayout};
use super::theme::Pack;
use super::{CONTEXT_VERSION, linguist_color};
use crate::domain::{BannerType, WakaStats};

const FALLBACK_COLOR: &str = "#858585";

#[derive(Debug, Serialize)]
pub struct WakaContext {
    pub version: u32,
    pub kind: &'static str,
    pub locale: &'static str,
    /// `custom_title`, or the localized "WakaTime stats".
    pub title: String,
    pub username: String,
    /// `normal` or `compact`.
    pub layout: &'static str,
    /// `time` (WakaTime's wording, "12 hrs 5 mins") or `percent`.
    pub display_format: &'static str,
    pub hide_progress: bool,
    /// Height of a language row in the normal layout (smaller without bars).
    pub row_height: u32,
    /// At most `langs_count` (default 6 normal, 10 compact), minus `hide`, largest first.
    pub languages: Vec<WakaLanguageView>,
    pub total_text: Option<String>,
    pub theme: ThemeView,
    pub stale: bool,
    pub fetched_at: String,
}

#[derive(Debug, Serialize)]
pub struct WakaLanguageView {
    pub name: String,
    pub color: String,
    pub percent: f64,
    /// Where its bar segment starts on a 0-100 scale (compact layout).
    pub offset: f64,
    pub text: String,
}

impl WakaContext {
    pub fn new(pack: &Pack, stats: &WakaStats, stale: bool, options: &BannerOptions) -> Self {
        let locale = i18n::locale(options.locale).unwrap_or_else(i18n::default_locale);
        let compact = options.layout == LanguagesLayout::Compact;
        let count = options.langs_count.unwrap_or(if compact { 10 } else { 6 });
        let mut offset = 0.0;
        let languages = stats
            .languages
            .iter()
            .filter(|l| !options.hide_languages.contains(&l.name.to_lowercase()))
            .take(count)
            .map(|l| {
                let view = WakaLanguageView {
                    name: l.name.clone(),
                    color: linguist_color(&l.name).unwrap_or(FALLBACK_COLOR).to_owned(),
                    percent: (l.percent * 10.0).round() / 10.0,
                    offset,
                    text: l.text.clone(),
                };
                offset = ((offset + l.percent) * 10.0).round() / 10.0;
                view
            })
            .collect();
        Self {
            version: CONTEXT_VERSION,
            kind: BannerType::Wakatime.as_str(),
            locale: locale.code,
            title: options.custom_title.clone().unwrap_or_else(|| locale.label("wakatime_title").to_owned()),
            username: stats.username.clone(),
            layout: if compact { "compact" } else { "normal" },
            display_format: match options.display_format {
                DisplayFormat::Time => "time",
                DisplayFormat::Percent => "percent",
            },
            hide_progress: options.hide_progress,
            row_height: options.line_height.unwrap_or(if options.hide_progress { 26 } else { 40 }),
            languages,
            total_text: stats.total_text.clone(),
            theme: theme_view(pack, BannerType::Wakatime, options),
            stale,
            fetched_at: stats.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}
