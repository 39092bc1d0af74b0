//! The template context: the contract between Rust and theme authors (documented in
//! themes/README.md). Fields are only ever added; `version` changes when a field's meaning does.

use std::collections::BTreeMap;

use serde::Serialize;

use super::assets::linguist_color;
use super::i18n;
use super::options::{Background, BannerOptions, CommitWindow, LanguagesLayout, StatKey};
use super::theme::Pack;
use crate::domain::{BannerType, LanguageShare, PartialCount, Rank, SnapshotSource, UserSnapshot, UserStats};

pub const CONTEXT_VERSION: u32 = 2;

/// The stats GitHub's REST API gives without a token (`StatKey::as_str`).
const WITHOUT_TOKEN: [&str; 4] = ["stars", "forks", "repositories", "followers"];

/// Color for languages neither GitHub nor linguist has a color for.
const FALLBACK_LANGUAGE_COLOR: &str = "#858585";

/// What a banner is about, independent of how it looks.
#[derive(Debug, Clone)]
pub struct BannerData {
    pub user: UserView,
    pub stats: UserStats,
    /// True when the numbers are older than the cache's soft TTL.
    pub stale: bool,
    pub fetched_at: String,
    /// Set when only some repository pages had arrived (a first view of a big user).
    pub partial: Option<PartialCount>,
    /// From the REST API without a token: no contribution counters.
    pub without_token: bool,
}

impl BannerData {
    pub fn new(snapshot: &UserSnapshot, stats: UserStats, stale: bool) -> Self {
        let profile = &snapshot.profile;
        let display_name =
            profile.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| profile.login.clone());
        Self {
            user: UserView { login: profile.login.clone(), display_name, bio: profile.bio.clone() },
            stats,
            stale,
            fetched_at: snapshot.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            partial: None,
            without_token: snapshot.source == SnapshotSource::Rest,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub login: String,
    /// The profile name, or the login when the user has none.
    pub display_name: String,
    pub bio: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct BannerContext<'a> {
    pub version: u32,
    /// `wide`, `compact` or `languages`.
    pub kind: &'static str,
    /// Locale code; the `t`, `number`, `short` and `percent` helpers follow it.
    pub locale: &'static str,
    /// The banner's title: `custom_title`, or the localized default for the type.
    pub title: String,
    pub theme: ThemeView,
    /// Layout of the languages banner: normal, compact, donut or pie.
    pub layout: &'static str,
    pub user: &'a UserView,
    pub stats: &'a UserStats,
    /// S..C like github-readme-stats, with the percentile (lower is better).
    pub rank: Rank,
    /// The stats this type shows, minus `hide`, in display order.
    pub items: Vec<StatItem>,
    /// A caption saying which shown numbers cover the last 12 months ("Commits, Reviews: last 12
    /// months"), for cards whose rows use `short_label`; None when none do.
    pub window_note: Option<String>,
    /// Top languages; the last may be "Other" (the rest, summed), so they always sum to 100%.
    pub languages: Vec<LanguageView>,
    pub stale: bool,
    pub fetched_at: &'a str,
    /// `{counted, total}` repositories when the card counts only the pages fetched so far.
    pub partial: Option<PartialCount>,
    /// Fetched without a GitHub token: the stats the card would show and cannot ("Commits, Pull
    /// requests: needs a GitHub token"); those rows and the rank are left out.
    pub token_note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ThemeView {
    pub name: String,
    /// The pack's palette with the URL's color overrides applied; `background` may be
    /// `url(#background-gradient)` when a gradient is asked for.
    pub palette: BTreeMap<String, String>,
    pub width: u32,
    pub height: u32,
    pub font_family: String,
    #[serde(serialize_with = "whole_when_possible")]
    pub border_radius: f64,
    pub hide_border: bool,
    pub gradient: Option<GradientView>,
    pub animations: bool,
    pub show_icons: bool,
    pub hide_title: bool,
    pub hide_rank: bool,
    pub hide_progress: bool,
    /// Distance between stat rows.
    pub line_height: u32,
    pub text_bold: bool,
    /// Stat values as `1.2k`.
    pub short_numbers: bool,
    /// Height the title takes (0 with `hide_title`), for templates that move content up.
    pub title_space: u32,
    /// Width the rank ring takes on the stats card (0 with `hide_rank`).
    pub rank_space: u32,
    /// What the ring shows: `default` (the level), `github` or `percentile`.
    pub rank_icon: &'static str,
    /// Decimals of short numbers: `{{short value theme.number_precision}}`.
    pub number_precision: u8,
    /// Language sizes in bytes rather than percentages (`{{bytes bytes}}`).
    pub show_bytes: bool,
    /// Heatmap shades from no contributions (0) to the most (4): the palette's `level0`-`level4`
    /// when the pack sets all five, else `track` and the icon colour blended into the background.
    pub levels: [String; 5],
}

#[derive(Debug, Serialize)]
pub struct GradientView {
    pub angle: f64,
    pub stops: Vec<GradientStop>,
}

#[derive(Debug, Serialize)]
pub struct GradientStop {
    pub offset: f64,
    pub color: String,
}

#[derive(Debug, Serialize)]
pub struct StatItem {
    /// Stable key, as used by `hide`.
    pub key: &'static str,
    /// Label key for `{{t label}}`: says "total" or the window ("Commits (last year)").
    pub label: &'static str,
    /// The label without that ("Commits"), for cards that say the window once (`window_note`).
    pub short_label: &'static str,
    /// Counted over the last 12 months rather than all time.
    pub windowed: bool,
    /// `value` is a percentage.
    pub percent: bool,
    /// Fills `{year}` in the label: `{{t label year=year}}`.
    pub year: Option<i32>,
    /// Octicon name for `{{icon icon ...}}`.
    pub icon: &'static str,
    pub value: i64,
}

#[derive(Debug, Serialize)]
pub struct LanguageView {
    pub name: String,
    /// Always a valid `#rgb`/`#rrggbb`.
    pub color: String,
    pub bytes: i64,
    pub percent: f64,
    /// Sum of the percentages before this one: where its segment starts in a bar or a pie.
    pub offset: f64,
}

/// How a user-stats card kind shapes the shared context (each kind's module in `src/cards/`
/// says).
#[derive(Debug, Clone, Copy)]
pub struct CardSpec {
    /// The stats the card shows, in order (minus `hide`).
    pub items: &'static [StatKey],
    /// Languages shown without `langs_count`, by layout.
    pub default_languages: fn(LanguagesLayout) -> usize,
    /// The title's label key (`{name}` is the display name); None: the display name itself.
    pub title_label: Option<&'static str>,
}

/// The row for `key`: pull requests and issues are all-time totals when the snapshot has them
/// (else the last 12 months, labelled so); commits, reviews and "contributed to" always cover
/// the last 12 months and say so. None for an all-time stat the snapshot lacks.
fn item(key: StatKey, stats: &UserStats, window: CommitWindow) -> Option<StatItem> {
    let all = stats.all_time;
    let (label, short_label, icon, value) = match (key, all) {
        (StatKey::Stars, _) => ("total_stars", "stars", "star", stats.stars),
        (StatKey::Forks, _) => ("total_forks", "forks", "repo-forked", stats.forks),
        (StatKey::Repositories, _) => ("repositories", "repositories", "repo", stats.repositories),
        (StatKey::Followers, _) => ("followers", "followers", "people", stats.followers),
        (StatKey::Commits, _) => match window {
            CommitWindow::LastYear => ("commits_last_year", "commits", "git-commit", stats.commits),
            CommitWindow::AllTime => ("commits_all_time", "commits_all_time", "git-commit", stats.commits),
            CommitWindow::Year(_) => ("commits_in_year", "commits_in_year", "git-commit", stats.commits),
        },
        (StatKey::PullRequests, Some(all)) => ("total_prs", "pull_requests", "git-pull-request", all.pull_requests),
        (StatKey::PullRequests, None) => {
            ("pull_requests_last_year", "pull_requests", "git-pull-request", stats.pull_requests)
        }
        (StatKey::Issues, Some(all)) => ("total_issues", "issues", "issue-opened", all.issues),
        (StatKey::Issues, None) => ("issues_last_year", "issues", "issue-opened", stats.issues),
        (StatKey::Reviews, _) => ("reviews_last_year", "reviews", "code-review", stats.reviews),
        (StatKey::ContributedTo, _) => {
            ("contributed_to_last_year", "contributed_to", "repo-push", stats.contributed_to)
        }
        (StatKey::PrsMerged, Some(all)) => ("prs_merged", "prs_merged", "git-pull-request", all.merged_pull_requests),
        (StatKey::PrsMergedPercentage, Some(all)) => {
            let share = if all.pull_requests > 0 { all.merged_pull_requests * 100 / all.pull_requests } else { 0 };
            ("prs_merged_percentage", "prs_merged_percentage", "git-pull-request", share)
        }
        (StatKey::DiscussionsStarted, Some(all)) => {
            ("discussions_started", "discussions_started", "people", all.discussions_started)
        }
        (StatKey::DiscussionsAnswered, Some(all)) => {
            ("discussions_answered", "discussions_answered", "people", all.discussions_answered)
        }
        (StatKey::PrsMerged | StatKey::PrsMergedPercentage | StatKey::DiscussionsStarted, None)
        | (StatKey::DiscussionsAnswered, None) => return None,
    };
    let windowed = label.ends_with("_last_year");
    let percent = key == StatKey::PrsMergedPercentage;
    let year = match (key, window) {
        (StatKey::Commits, CommitWindow::Year(year)) => Some(year),
        _ => None,
    };
    Some(StatItem { key: key.as_str(), label, short_label, windowed, percent, year, icon, value })
}

impl<'a> BannerContext<'a> {
    pub fn new(pack: &Pack, kind: BannerType, data: &'a BannerData, options: &BannerOptions, spec: &CardSpec) -> Self {
        let locale = i18n::locale(options.locale).unwrap_or_else(i18n::default_locale);
        let count = options.langs_count.unwrap_or_else(|| (spec.default_languages)(options.layout));
        // The card's own stats, then those `show` adds, minus `hide`.
        let items = spec
            .items
            .iter()
            .chain(options.show.iter().filter(|k| !spec.items.contains(k)))
            .filter(|k| !options.hide.contains(k))
            .filter_map(|k| item(*k, &data.stats, options.commits))
            .collect::<Vec<_>>();
        // Without a token GitHub tells nothing of contributions: one caption says which rows need
        // one, rather than rows of zeros.
        let (items, token_note) = if data.without_token {
            let (kept, missing): (Vec<_>, Vec<_>) = items.into_iter().partition(|i| WITHOUT_TOKEN.contains(&i.key));
            let labels: Vec<&str> = missing.iter().map(|i| locale.label(i.short_label)).collect();
            (kept, (!labels.is_empty()).then(|| format!("{}: {}", labels.join(", "), locale.label("needs_token"))))
        } else {
            (items, None)
        };
        let mut theme = theme_view(pack, kind, options);
        if data.without_token {
            theme.hide_rank = true;
            theme.rank_space = 0;
        }
        let windowed: Vec<&str> = items.iter().filter(|i| i.windowed).map(|i| locale.label(i.short_label)).collect();
        // Only commits of one year carry a year in their short label; they are not windowed.
        let window_note =
            (!windowed.is_empty()).then(|| format!("{}: {}", windowed.join(", "), locale.label("last_12_months")));
        let title = options.custom_title.clone().unwrap_or_else(|| match spec.title_label {
            None => data.user.display_name.clone(),
            Some(key) => locale.label(key).replace("{name}", &data.user.display_name),
        });
        Self {
            version: CONTEXT_VERSION,
            kind: kind.as_str(),
            locale: locale.code,
            title,
            theme,
            layout: options.layout.as_str(),
            user: &data.user,
            stats: &data.stats,
            rank: crate::domain::rank(&data.stats),
            items,
            window_note,
            languages: if count == 0 {
                Vec::new()
            } else {
                top_with_other(
                    &shown_languages(&data.stats.languages, &options.hide_languages),
                    count,
                    locale.label("other"),
                )
            },
            stale: data.stale,
            fetched_at: &data.fetched_at,
            partial: data.partial,
            token_note,
        }
    }
}

pub(crate) fn theme_view(pack: &Pack, kind: BannerType, options: &BannerOptions) -> ThemeView {
    let mut palette = pack.palette.clone();
    let overrides = [
        ("title", &options.title_color),
        ("text", &options.text_color),
        ("icon", &options.icon_color),
        ("border", &options.border_color),
    ];
    for (key, value) in overrides {
        if let Some(color) = value {
            palette.insert(key.to_owned(), color.clone());
        }
    }
    let gradient = match &options.background {
        Some(Background::Solid(color)) => {
            palette.insert("background".to_owned(), color.clone());
            None
        }
        Some(Background::Gradient { angle, colors }) => {
            palette.insert("background".to_owned(), "url(#background-gradient)".to_owned());
            let last = (colors.len() - 1).max(1) as f64;
            let stops = colors
                .iter()
                .enumerate()
                .map(|(i, c)| GradientStop { offset: (i as f64 / last * 1000.0).round() / 10.0, color: c.clone() })
                .collect();
            Some(GradientView { angle: *angle, stops })
        }
        None => None,
    };
    if let Some(ring) = &options.ring_color {
        palette.insert("ring".to_owned(), ring.clone());
    }
    let size = pack.size(kind);
    let levels = levels(&pack.palette, &palette);
    ThemeView {
        name: pack.name.clone(),
        palette,
        width: options.card_width.unwrap_or(size.width),
        height: size.height,
        // The script's own font first: a shaper given Latin first and falling back glyph by
        // glyph mangles ligatures (Arabic lam-alef drew as missing-glyph boxes in PNGs).
        font_family: match i18n::locale(options.locale).and_then(|l| l.font.as_deref()) {
            Some(script) => format!("'{script}', {}", pack.font_family),
            None => pack.font_family.clone(),
        },
        border_radius: options.border_radius.unwrap_or(6.0),
        hide_border: options.hide_border,
        gradient,
        animations: !options.disable_animations,
        show_icons: options.show_icons,
        hide_title: options.hide_title,
        hide_rank: options.hide_rank,
        hide_progress: options.hide_progress,
        line_height: options.line_height.unwrap_or(26),
        text_bold: options.text_bold,
        short_numbers: options.short_numbers,
        title_space: if options.hide_title { 0 } else { 40 },
        rank_space: if options.hide_rank { 0 } else { 145 },
        rank_icon: options.rank_icon.as_str(),
        number_precision: options.number_precision.unwrap_or(1),
        show_bytes: options.show_bytes,
        levels,
    }
}

/// See [`ThemeView::levels`]; `pack` is the pack's own palette (a gradient background is not a
/// colour to blend into), `shown` the one with the URL's colours.
fn levels(pack: &BTreeMap<String, String>, shown: &BTreeMap<String, String>) -> [String; 5] {
    let own = |n: usize| pack.get(&format!("level{n}")).cloned();
    if let [Some(a), Some(b), Some(c), Some(d), Some(e)] = [0, 1, 2, 3, 4].map(own) {
        return [a, b, c, d, e];
    }
    let color = |key: &str| shown.get(key).or_else(|| pack.get(key)).map(String::as_str).unwrap_or("#888888");
    let background = pack.get("background").map(String::as_str).unwrap_or("#ffffff");
    let icon = color("icon");
    let shade = |share: f64| blend(background, icon, share).unwrap_or_else(|| icon.to_owned());
    [color("track").to_owned(), shade(0.3), shade(0.55), shade(0.8), shade(1.0)]
}

/// `#rrggbb` that is `share` of the way from `from` to `to` (`#rgb` or `#rrggbb`; None for
/// anything else).
fn blend(from: &str, to: &str, share: f64) -> Option<String> {
    let rgb = |hex: &str| -> Option<[f64; 3]> {
        let hex = hex.strip_prefix('#')?;
        let digits: Vec<u8> = match hex.len() {
            3 => hex.chars().map(|c| c.to_digit(16).map(|d| (d * 17) as u8)).collect::<Option<_>>()?,
            6 => (0..3).map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()).collect::<Option<_>>()?,
            _ => return None,
        };
        Some([f64::from(digits[0]), f64::from(digits[1]), f64::from(digits[2])])
    };
    let (a, b) = (rgb(from)?, rgb(to)?);
    let mix = |i: usize| (a[i] + (b[i] - a[i]) * share).round().clamp(0.0, 255.0) as u8;
    Some(format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2)))
}

/// `12` rather than `12.0` in templates, so attributes read the way authors wrote them.
fn whole_when_possible<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// The shares minus `hidden` (lower-case names); the rest share 100% again.
fn shown_languages<'s>(
    shares: &'s [LanguageShare],
    hidden: &std::collections::BTreeSet<String>,
) -> std::borrow::Cow<'s, [LanguageShare]> {
    if hidden.is_empty() {
        return std::borrow::Cow::Borrowed(shares);
    }
    let kept: Vec<crate::domain::LanguageSize> = shares
        .iter()
        .filter(|s| !hidden.contains(&s.name.to_lowercase()))
        .map(|s| crate::domain::LanguageSize { name: s.name.clone(), color: s.color.clone(), bytes: s.bytes })
        .collect();
    std::borrow::Cow::Owned(crate::domain::language_shares(&kept))
}

/// The first `n` shares as they are, or the first `n - 1` plus "Other" when there are more, so a
/// bar of the shown languages always fills 100%.
fn top_with_other(shares: &[LanguageShare], n: usize, other: &str) -> Vec<LanguageView> {
    let n = n.max(1);
    let (shown, rest) = if shares.len() > n { shares.split_at(n - 1) } else { (shares, &[][..]) };
    let mut views: Vec<LanguageView> = Vec::with_capacity(n);
    let mut offset = 0.0;
    let mut push = |name: String, color: String, bytes: i64, percent: f64| {
        views.push(LanguageView { name, color, bytes, percent, offset: round1(offset) });
        offset += percent;
    };
    for share in shown {
        push(share.name.clone(), language_color(share), share.bytes, share.percent);
    }
    if !rest.is_empty() {
        let bytes = rest.iter().map(|s| s.bytes).sum();
        let percent = round1(rest.iter().map(|s| s.percent).sum());
        push(other.to_owned(), FALLBACK_LANGUAGE_COLOR.to_owned(), bytes, percent);
    }
    views
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// GitHub's color when it is a valid hex color (it is data from outside and ends up in an
/// attribute), else linguist's, else gray.
pub(super) fn language_color(share: &LanguageShare) -> String {
    share
        .color
        .as_deref()
        .filter(|c| super::theme::manifest::is_hex_color(c))
        .or_else(|| linguist_color(&share.name))
        .unwrap_or(FALLBACK_LANGUAGE_COLOR)
        .to_owned()
}

/// What the error card shows.
#[derive(Debug, Serialize)]
pub struct ErrorContext {
    pub version: u32,
    pub kind: &'static str,
    pub locale: &'static str,
    pub title: String,
    pub message: String,
    /// What the reader can do about it, if anything.
    pub hint: Option<String>,
    pub theme: ThemeView,
}

impl ErrorContext {
    pub fn new(pack: &Pack, title: String, message: String, hint: Option<String>) -> Self {
        let mut theme = theme_view(pack, BannerType::Compact, &BannerOptions::default());
        theme.width = 495;
        theme.height = 120;
        Self { version: CONTEXT_VERSION, kind: "error", locale: i18n::DEFAULT_LOCALE, title, message, hint, theme }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(name: &str, percent: f64, color: Option<&str>) -> LanguageShare {
        LanguageShare { name: name.into(), color: color.map(str::to_owned), bytes: (percent * 10.0) as i64, percent }
    }

    #[test]
    fn languages_beyond_the_limit_become_other() {
        let shares = [share("A", 50.0, None), share("B", 30.0, None), share("C", 15.0, None), share("D", 5.0, None)];
        let views = top_with_other(&shares, 3, "Other");
        let got: Vec<_> = views.iter().map(|v| (v.name.as_str(), v.percent, v.offset)).collect();
        assert_eq!(got, [("A", 50.0, 0.0), ("B", 30.0, 50.0), ("Other", 20.0, 80.0)]);
    }

    #[test]
    fn hostile_colors_are_replaced_by_linguists_or_gray() {
        assert_eq!(language_color(&share("X", 1.0, Some("#abcdef"))), "#abcdef");
        assert_eq!(language_color(&share("Rust", 1.0, Some("red\" onload=\"x"))), "#dea584");
        assert_eq!(language_color(&share("Nope", 1.0, Some("#ggg"))), FALLBACK_LANGUAGE_COLOR);
        assert_eq!(language_color(&share("Nope", 1.0, None)), FALLBACK_LANGUAGE_COLOR);
    }
}
