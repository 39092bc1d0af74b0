//! What a streak card shows: total contributions, the current and the longest streak, from a
//! contribution calendar as of the reader's today.

use serde::Serialize;

use super::CONTEXT_VERSION;
use super::context::{ThemeView, theme_view};
use super::i18n;
use super::options::BannerOptions;
use super::theme::Pack;
use crate::domain::{BannerType, ContributionCalendar, Streak, StreakMode, streaks};

#[derive(Debug, Serialize)]
pub struct StreakContext {
    pub version: u32,
    pub kind: &'static str,
    pub locale: &'static str,
    pub login: String,
    /// `daily` or `weekly`.
    pub mode: &'static str,
    /// The reader's date the streaks are counted to (`YYYY-MM-DD`).
    pub today: String,
    pub timezone: String,
    /// The panels not hidden, left to right (total, current, longest).
    pub panels: Vec<StreakPanel>,
    pub theme: ThemeView,
    pub stale: bool,
    pub fetched_at: String,
    /// The UTC offset the days are counted in (`UTC+09:00`) when it is not the reader's: the
    /// user's calendar was already counted in as many offsets today as one user may cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted_in: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StreakPanel {
    /// `total`, `current` or `longest`.
    pub key: &'static str,
    pub label: String,
    /// Contributions (total) or days/weeks (streaks).
    pub count: u64,
    /// `count` in the locale's digits.
    pub value: String,
    /// First and last date (`YYYY-MM-DD`); the total's run from the first contribution to today.
    pub start: Option<String>,
    pub end: Option<String>,
    /// The dates as the card writes them (`date_format`), or a note when there are none.
    pub dates: String,
    /// Centre of the panel's column.
    pub x: f64,
}

impl StreakContext {
    pub fn new(pack: &Pack, calendar: &ContributionCalendar, stale: bool, options: &BannerOptions) -> Self {
        let locale = i18n::locale(options.locale).unwrap_or_else(i18n::default_locale);
        let o = &options.contributions;
        let first = o.starting_year.and_then(|y| chrono::NaiveDate::from_ymd_opt(y, 1, 1));
        let days: Vec<_> = calendar.days.iter().copied().filter(|d| first.is_none_or(|f| d.date >= f)).collect();
        let found = streaks(&days, calendar.today, &o.rules());
        let months: Vec<&str> = locale.label("months").split(',').collect();
        let this_year = chrono::Datelike::year(&calendar.today);
        let date = |d: chrono::NaiveDate| o.format_date(d, this_year, &months);
        let range = |start, end| if start == end { date(start) } else { format!("{} – {}", date(start), date(end)) };
        let weekly = o.mode == StreakMode::Weekly;
        let streak_panel = |key, label: &str, streak: Option<Streak>| StreakPanel {
            key,
            label: locale.label(label).to_owned(),
            count: streak.map_or(0, |s| u64::from(s.length)),
            value: locale.number(streak.map_or(0, |s| i64::from(s.length))),
            start: streak.map(|s| s.start.to_string()),
            end: streak.map(|s| s.end.to_string()),
            dates: streak.map(|s| range(s.start, s.end)).unwrap_or_default(),
            x: 0.0,
        };
        let mut panels = Vec::new();
        if !o.hide_total {
            panels.push(StreakPanel {
                key: "total",
                label: locale.label("total_contributions").to_owned(),
                count: found.total,
                value: locale.number(i64::try_from(found.total).unwrap_or(i64::MAX)),
                start: found.first_contribution.map(|d| d.to_string()),
                end: found.first_contribution.map(|_| calendar.today.to_string()),
                dates: match found.first_contribution {
                    Some(first) => format!("{} – {}", date(first), locale.label("present")),
                    None => locale.label("no_contributions").to_owned(),
                },
                x: 0.0,
            });
        }
        if !o.hide_current {
            let label = if weekly { "current_weekly_streak" } else { "current_streak" };
            panels.push(streak_panel("current", label, found.current));
        }
        if !o.hide_longest {
            let label = if weekly { "longest_weekly_streak" } else { "longest_streak" };
            panels.push(streak_panel("longest", label, found.longest));
        }
        let theme = theme_view(pack, BannerType::Streak, options);
        let column = f64::from(theme.width) / panels.len().max(1) as f64;
        for (i, panel) in panels.iter_mut().enumerate() {
            panel.x = ((i as f64 + 0.5) * column * 10.0).round() / 10.0;
        }
        Self {
            version: CONTEXT_VERSION,
            kind: BannerType::Streak.as_str(),
            locale: locale.code,
            login: calendar.login.clone(),
            mode: if weekly { "weekly" } else { "daily" },
            today: calendar.today.to_string(),
            timezone: o.timezone.name().to_owned(),
            panels,
            theme,
            stale,
            fetched_at: calendar.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            counted_in: None,
        }
    }
}
