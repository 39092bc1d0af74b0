//! Banner options: what a URL (or a stored banner, or the CLI) may change about a banner. Names
//! follow github-readme-stats so its users can move over.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::contribution_options::{CONTRIBUTION_OPTION_NAMES, ContributionOptions};
use super::i18n;
use super::theme::DEFAULT_THEME;
use super::theme::manifest::is_identifier;

/// Why an option was refused; `name` is the parameter, as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{name}`: {reason}")]
pub struct OptionError {
    pub name: &'static str,
    pub reason: String,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError { name, reason: reason.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatKey {
    Stars,
    Forks,
    Repositories,
    Followers,
    Commits,
    PullRequests,
    Issues,
    Reviews,
    ContributedTo,
    PrsMerged,
    PrsMergedPercentage,
    DiscussionsStarted,
    DiscussionsAnswered,
}

impl StatKey {
    pub const ALL: [StatKey; 13] = [
        StatKey::Stars,
        StatKey::Forks,
        StatKey::Repositories,
        StatKey::Followers,
        StatKey::Commits,
        StatKey::PullRequests,
        StatKey::Issues,
        StatKey::Reviews,
        StatKey::ContributedTo,
        StatKey::PrsMerged,
        StatKey::PrsMergedPercentage,
        StatKey::DiscussionsStarted,
        StatKey::DiscussionsAnswered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatKey::Stars => "stars",
            StatKey::Forks => "forks",
            StatKey::Repositories => "repositories",
            StatKey::Followers => "followers",
            StatKey::Commits => "commits",
            StatKey::PullRequests => "pull_requests",
            StatKey::Issues => "issues",
            StatKey::Reviews => "reviews",
            StatKey::ContributedTo => "contributed_to",
            StatKey::PrsMerged => "prs_merged",
            StatKey::PrsMergedPercentage => "prs_merged_percentage",
            StatKey::DiscussionsStarted => "discussions_started",
            StatKey::DiscussionsAnswered => "discussions_answered",
        }
    }

    /// Our names, plus github-readme-stats' short ones (`prs`, `contribs`, `repos`).
    fn parse(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        let alias = match name.as_str() {
            "prs" => "pull_requests",
            "contribs" => "contributed_to",
            "repos" => "repositories",
            other => other,
        };
        Self::ALL.into_iter().find(|k| k.as_str() == alias)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LanguagesLayout {
    #[default]
    Normal,
    Compact,
    Donut,
    Pie,
}

impl LanguagesLayout {
    pub const ALL: [LanguagesLayout; 4] =
        [LanguagesLayout::Normal, LanguagesLayout::Compact, LanguagesLayout::Donut, LanguagesLayout::Pie];

    pub fn as_str(self) -> &'static str {
        match self {
            LanguagesLayout::Normal => "normal",
            LanguagesLayout::Compact => "compact",
            LanguagesLayout::Donut => "donut",
            LanguagesLayout::Pie => "pie",
        }
    }
}

/// How a WakaTime card shows each language's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DisplayFormat {
    /// WakaTime's wording of the time ("12 hrs 5 mins").
    #[default]
    Time,
    Percent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Background {
    Solid(String),
    /// `angle,color1,color2[,...]` as in github-readme-stats.
    Gradient {
        angle: f64,
        colors: Vec<String>,
    },
}

/// The pack for readers in dark mode, besides `theme` (theirs in light mode).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DarkTheme {
    /// The one `theme`'s manifest names (`dark = "..."`): `theme=auto`, `theme=NAME,auto`.
    Paired,
    /// `theme=LIGHT,DARK`.
    Named(String),
}

/// One scheme of a light/dark pair, drawn alone (`scheme=light|dark`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BannerOptions {
    /// The pack, or with `dark_theme` the light one of a pair.
    pub theme: String,
    /// Set for one SVG that follows the reader's light or dark mode.
    pub dark_theme: Option<DarkTheme>,
    /// Draws only one pack of the pair (a PNG draws the light one unless this says dark).
    pub scheme: Option<Scheme>,
    pub locale: &'static str,
    pub title_color: Option<String>,
    pub text_color: Option<String>,
    pub icon_color: Option<String>,
    pub border_color: Option<String>,
    /// Stats card: the rank ring.
    pub ring_color: Option<String>,
    pub background: Option<Background>,
    pub hide_border: bool,
    pub border_radius: Option<f64>,
    pub hide: BTreeSet<StatKey>,
    /// Stats added to the card's own (github-readme-stats' `show`).
    pub show: BTreeSet<StatKey>,
    /// Languages left out of language lists (lower case); the rest share 100%.
    pub hide_languages: BTreeSet<String>,
    pub show_icons: bool,
    pub custom_title: Option<String>,
    pub langs_count: Option<usize>,
    pub layout: LanguagesLayout,
    pub disable_animations: bool,
    pub include_forks: bool,
    /// Repository and gist cards: `owner/name` as the title.
    pub show_owner: bool,
    /// Repository and gist cards: description lines (1-3; default 3).
    pub description_lines: Option<usize>,
    /// WakaTime cards: time or percent per language.
    pub display_format: DisplayFormat,
    /// Language cards: no bars, only names and numbers.
    pub hide_progress: bool,
    pub hide_title: bool,
    /// Stats card: no rank ring.
    pub hide_rank: bool,
    /// Width instead of the pack's (300-1000).
    pub card_width: Option<u32>,
    /// Stats card: distance between rows (16-60; default 26).
    pub line_height: Option<u32>,
    /// Stats card: bold numbers (default true).
    pub text_bold: bool,
    /// Stats card: `1.2k` rather than `1,234`.
    pub short_numbers: bool,
    /// Repositories left out of stars, forks and languages (lower case).
    pub exclude_repos: BTreeSet<String>,
    /// Stats card: what the ring shows.
    pub rank_icon: RankIcon,
    /// Decimals of short numbers (0-2; default 1).
    pub number_precision: Option<u8>,
    /// Language cards: bytes instead of percentages.
    pub show_bytes: bool,
    /// Commits of the last 12 months, of all time, or of one year.
    pub commits: CommitWindow,
    /// Language ranking weights (github-readme-stats' `size_weight`, `count_weight`); None is
    /// by bytes.
    pub language_weights: Option<(f64, f64)>,
    /// Streak, calendar and activity graph cards.
    pub contributions: ContributionOptions,
}

/// Which commits a stats card counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CommitWindow {
    /// The last 12 months, like the GitHub profile.
    #[default]
    LastYear,
    /// Every year since the account was made (`include_all_commits`).
    AllTime,
    /// One calendar year (`commits_year`).
    Year(i32),
}

/// What the stats card's ring shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RankIcon {
    /// The rank level (A+, B, ...).
    #[default]
    Level,
    /// GitHub's mark.
    Github,
    /// The percentile.
    Percentile,
}

impl RankIcon {
    pub fn as_str(self) -> &'static str {
        match self {
            RankIcon::Level => "default",
            RankIcon::Github => "github",
            RankIcon::Percentile => "percentile",
        }
    }
}

/// Feeds every field, so equal options hash equal (the image cache keys on it); destructured so
/// a new field cannot be forgotten. Floats hash by their bits.
impl std::hash::Hash for BannerOptions {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let BannerOptions {
            theme,
            dark_theme,
            scheme,
            locale,
            title_color,
            text_color,
            icon_color,
            border_color,
            ring_color,
            background,
            hide_border,
            border_radius,
            hide,
            show,
            hide_languages,
            show_icons,
            custom_title,
            langs_count,
            layout,
            disable_animations,
            include_forks,
            show_owner,
            description_lines,
            display_format,
            hide_progress,
            hide_title,
            hide_rank,
            card_width,
            line_height,
            text_bold,
            short_numbers,
            exclude_repos,
            rank_icon,
            number_precision,
            show_bytes,
            language_weights,
            commits,
            contributions,
        } = self;
        (theme, dark_theme, scheme, locale, title_color, text_color, icon_color, border_color, ring_color).hash(state);
        match background {
            None => 0u8.hash(state),
            Some(Background::Solid(color)) => (1u8, color).hash(state),
            Some(Background::Gradient { angle, colors }) => (2u8, angle.to_bits(), colors).hash(state),
        }
        (hide_border, border_radius.map(f64::to_bits), hide, show_icons, custom_title, langs_count).hash(state);
        (layout, disable_animations, include_forks, hide_languages, show_owner, description_lines).hash(state);
        (display_format, hide_progress, hide_title, hide_rank, card_width, line_height, text_bold).hash(state);
        (short_numbers, exclude_repos, show, rank_icon, number_precision, show_bytes).hash(state);
        language_weights.map(|(s, c)| (s.to_bits(), c.to_bits())).hash(state);
        (commits, contributions).hash(state);
    }
}

impl Default for BannerOptions {
    fn default() -> Self {
        Self {
            theme: DEFAULT_THEME.to_owned(),
            dark_theme: None,
            scheme: None,
            locale: i18n::DEFAULT_LOCALE,
            title_color: None,
            text_color: None,
            icon_color: None,
            border_color: None,
            ring_color: None,
            background: None,
            hide_border: false,
            border_radius: None,
            hide: BTreeSet::new(),
            show: BTreeSet::new(),
            hide_languages: BTreeSet::new(),
            show_icons: false,
            custom_title: None,
            langs_count: None,
            layout: LanguagesLayout::Normal,
            disable_animations: false,
            include_forks: false,
            show_owner: false,
            description_lines: None,
            display_format: DisplayFormat::Time,
            hide_progress: false,
            hide_title: false,
            hide_rank: false,
            card_width: None,
            line_height: None,
            text_bold: true,
            short_numbers: false,
            exclude_repos: BTreeSet::new(),
            rank_icon: RankIcon::Level,
            number_precision: None,
            show_bytes: false,
            language_weights: None,
            commits: CommitWindow::LastYear,
            contributions: ContributionOptions::default(),
        }
    }
}

/// The option names `from_params` understands (anything else is ignored, for compatibility).
pub const OPTION_NAMES: [&str; 48] = concat_names(BANNER_OPTION_NAMES, CONTRIBUTION_OPTION_NAMES);

const fn concat_names<const A: usize, const B: usize, const N: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; N] {
    assert!(A + B == N, "the option name lists do not add up");
    let mut out = [""; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

const BANNER_OPTION_NAMES: [&str; 38] = [
    "theme",
    "scheme",
    "locale",
    "title_color",
    "text_color",
    "icon_color",
    "bg_color",
    "border_color",
    "ring_color",
    "hide_border",
    "border_radius",
    "hide",
    "show",
    "hide_languages",
    "show_icons",
    "custom_title",
    "langs_count",
    "layout",
    "disable_animations",
    "include_forks",
    "show_owner",
    "description_lines_count",
    "display_format",
    "hide_progress",
    "hide_title",
    "hide_rank",
    "card_width",
    "line_height",
    "text_bold",
    "number_format",
    "exclude_repo",
    "rank_icon",
    "number_precision",
    "stats_format",
    "size_weight",
    "count_weight",
    "include_all_commits",
    "commits_year",
];

const MAX_TITLE_CHARS: usize = 100;
const MAX_HIDDEN_LANGUAGES: usize = 50;

/// `NAME`, `auto` (the default pack and its dark pair), `LIGHT,DARK` or `LIGHT,auto` (LIGHT's
/// own dark pair).
pub(crate) fn parse_theme(value: &str) -> Result<(String, Option<DarkTheme>), OptionError> {
    let name = |part: &str| {
        let part = part.trim();
        if is_identifier(part) { Ok(part.to_owned()) } else { Err(invalid("theme", "not a theme name (see /themes)")) }
    };
    match value.split(',').collect::<Vec<_>>().as_slice() {
        ["auto"] => Ok((DEFAULT_THEME.to_owned(), Some(DarkTheme::Paired))),
        [single] => Ok((name(single)?, None)),
        [light, dark] if dark.trim() == "auto" => Ok((name(light)?, Some(DarkTheme::Paired))),
        [light, dark] => Ok((name(light)?, Some(DarkTheme::Named(name(dark)?)))),
        _ => Err(invalid("theme", "one theme name, `auto`, or LIGHT,DARK")),
    }
}

/// `light`, `dark`, or `auto` (None: both, when the theme is a pair).
pub(crate) fn parse_scheme(value: &str) -> Result<Option<Scheme>, OptionError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(None),
        "light" => Ok(Some(Scheme::Light)),
        "dark" => Ok(Some(Scheme::Dark)),
        _ => Err(invalid("scheme", "use light, dark or auto")),
    }
}

impl BannerOptions {
    /// Parses options from query-string style pairs. Does not check that the theme is installed
    /// (the renderer knows which are); checks that it is a theme name.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Self, OptionError> {
        let mut o = BannerOptions::default();
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(theme) = get("theme") {
            (o.theme, o.dark_theme) = parse_theme(&theme.to_ascii_lowercase())?;
        }
        o.scheme = get("scheme").map(parse_scheme).transpose()?.flatten();
        if let Some(code) = get("locale") {
            let locale = i18n::locale(code).ok_or_else(|| {
                invalid("locale", format!("unsupported; one of {}", i18n::codes().collect::<Vec<_>>().join(", ")))
            })?;
            o.locale = locale.code;
        }
        o.title_color = get("title_color").map(|c| color("title_color", c)).transpose()?;
        o.text_color = get("text_color").map(|c| color("text_color", c)).transpose()?;
        o.icon_color = get("icon_color").map(|c| color("icon_color", c)).transpose()?;
        o.border_color = get("border_color").map(|c| color("border_color", c)).transpose()?;
        o.ring_color = get("ring_color").map(|c| color("ring_color", c)).transpose()?;
        o.background = get("bg_color").map(background).transpose()?;
        o.hide_border = get("hide_border").map(|v| boolean("hide_border", v)).transpose()?.unwrap_or(false);
        o.border_radius = get("border_radius")
            .map(|v| match v.parse::<f64>() {
                Ok(r) if (0.0..=50.0).contains(&r) => Ok(r),
                _ => Err(invalid("border_radius", "must be a number from 0 to 50")),
            })
            .transpose()?;
        if let Some(list) = get("hide") {
            for name in list.split(',').filter(|n| !n.trim().is_empty()) {
                let key = StatKey::parse(name).ok_or_else(|| {
                    let known: Vec<_> = StatKey::ALL.iter().map(|k| k.as_str()).collect();
                    invalid("hide", format!("unknown stat `{}`; known: {}", name.trim(), known.join(", ")))
                })?;
                o.hide.insert(key);
            }
        }
        if let Some(list) = get("show") {
            for name in list.split(',').filter(|n| !n.trim().is_empty()) {
                let key = StatKey::parse(name).ok_or_else(|| {
                    let known: Vec<_> = StatKey::ALL.iter().map(|k| k.as_str()).collect();
                    invalid("show", format!("unknown stat `{}`; known: {}", name.trim(), known.join(", ")))
                })?;
                o.show.insert(key);
            }
        }
        if let Some(list) = get("hide_languages") {
            let names: BTreeSet<String> =
                list.split(',').map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty()).collect();
            if names.len() > MAX_HIDDEN_LANGUAGES || names.iter().any(|n| n.chars().count() > 60) {
                return Err(invalid(
                    "hide_languages",
                    format!("at most {MAX_HIDDEN_LANGUAGES} names of 60 characters"),
                ));
            }
            o.hide_languages = names;
        }
        o.show_icons = get("show_icons").map(|v| boolean("show_icons", v)).transpose()?.unwrap_or(false);
        if let Some(title) = get("custom_title") {
            if title.chars().count() > MAX_TITLE_CHARS {
                return Err(invalid("custom_title", format!("at most {MAX_TITLE_CHARS} characters")));
            }
            o.custom_title = Some(title.to_owned());
        }
        o.langs_count = get("langs_count")
            .map(|v| match v.parse::<usize>() {
                Ok(n) if (1..=20).contains(&n) => Ok(n),
                _ => Err(invalid("langs_count", "must be a whole number from 1 to 20")),
            })
            .transpose()?;
        let flag = |name: &'static str| get(name).map(|v| boolean(name, v)).transpose();
        if let Some(layout) = get("layout").filter(|l| !l.eq_ignore_ascii_case("graph")) {
            o.layout = LanguagesLayout::ALL
                .into_iter()
                .find(|l| l.as_str().eq_ignore_ascii_case(layout))
                .ok_or_else(|| invalid("layout", "must be one of normal, compact, donut, pie, graph"))?;
        }
        o.contributions = ContributionOptions::from_params(params, flag)?;
        o.contributions.graph = get("layout").is_some_and(|l| l.eq_ignore_ascii_case("graph"));
        o.disable_animations =
            get("disable_animations").map(|v| boolean("disable_animations", v)).transpose()?.unwrap_or(false);
        o.include_forks = get("include_forks").map(|v| boolean("include_forks", v)).transpose()?.unwrap_or(false);
        o.display_format = match get("display_format").map(str::to_ascii_lowercase).as_deref() {
            None | Some("time") => DisplayFormat::Time,
            Some("percent") => DisplayFormat::Percent,
            Some(_) => return Err(invalid("display_format", "must be time or percent")),
        };
        o.hide_title = flag("hide_title")?.unwrap_or(false);
        o.hide_rank = flag("hide_rank")?.unwrap_or(false);
        o.text_bold = flag("text_bold")?.unwrap_or(true);
        o.card_width = get("card_width")
            .map(|v| match v.parse::<u32>() {
                Ok(w) if (300..=1000).contains(&w) => Ok(w),
                _ => Err(invalid("card_width", "must be a whole number from 300 to 1000")),
            })
            .transpose()?;
        o.line_height = get("line_height")
            .map(|v| match v.parse::<u32>() {
                Ok(h) if (16..=60).contains(&h) => Ok(h),
                _ => Err(invalid("line_height", "must be a whole number from 16 to 60")),
            })
            .transpose()?;
        o.short_numbers = match get("number_format").map(str::to_ascii_lowercase).as_deref() {
            None | Some("long") => false,
            Some("short") => true,
            Some(_) => return Err(invalid("number_format", "must be short or long")),
        };
        let all_commits = get("include_all_commits").map(|v| boolean("include_all_commits", v)).transpose()?;
        o.commits = match get("commits_year") {
            Some(year) => match year.parse::<i32>() {
                Ok(y) if (crate::stats::FIRST_YEAR..=9999).contains(&y) => CommitWindow::Year(y),
                _ => return Err(invalid("commits_year", "must be a year from 2008")),
            },
            None if all_commits == Some(true) => CommitWindow::AllTime,
            None => CommitWindow::LastYear,
        };
        o.rank_icon = match get("rank_icon").map(str::to_ascii_lowercase).as_deref() {
            None | Some("default") => RankIcon::Level,
            Some("github") => RankIcon::Github,
            Some("percentile") => RankIcon::Percentile,
            Some(_) => return Err(invalid("rank_icon", "must be default, github or percentile")),
        };
        o.number_precision = get("number_precision")
            .map(|v| match v.parse::<u8>() {
                Ok(p) if p <= 2 => Ok(p),
                _ => Err(invalid("number_precision", "must be 0, 1 or 2")),
            })
            .transpose()?;
        o.show_bytes = match get("stats_format").map(str::to_ascii_lowercase).as_deref() {
            None | Some("percentages") => false,
            Some("bytes") => true,
            Some(_) => return Err(invalid("stats_format", "must be percentages or bytes")),
        };
        let weight = |name: &'static str| {
            get(name)
                .map(|v| match v.parse::<f64>() {
                    Ok(w) if (0.0..=10.0).contains(&w) => Ok(w),
                    _ => Err(invalid(name, "must be a number from 0 to 10")),
                })
                .transpose()
        };
        o.language_weights = match (weight("size_weight")?, weight("count_weight")?) {
            (None, None) => None,
            (size, count) => Some((size.unwrap_or(1.0), count.unwrap_or(0.0))),
        };
        if let Some(list) = get("exclude_repo") {
            let names: BTreeSet<String> =
                list.split(',').map(|n| n.trim().to_lowercase()).filter(|n| !n.is_empty()).collect();
            if names.len() > MAX_HIDDEN_LANGUAGES || names.iter().any(|n| n.chars().count() > 100) {
                return Err(invalid("exclude_repo", format!("at most {MAX_HIDDEN_LANGUAGES} names of 100 characters")));
            }
            o.exclude_repos = names;
        }
        o.hide_progress = get("hide_progress").map(|v| boolean("hide_progress", v)).transpose()?.unwrap_or(false);
        o.show_owner = get("show_owner").map(|v| boolean("show_owner", v)).transpose()?.unwrap_or(false);
        o.description_lines = get("description_lines_count")
            .map(|v| match v.parse::<usize>() {
                Ok(n) if (1..=3).contains(&n) => Ok(n),
                _ => Err(invalid("description_lines_count", "must be 1, 2 or 3")),
            })
            .transpose()?;
        Ok(o)
    }
}

/// `fff`, `#fff`, `ff00aa`, `#ff00aa80` -> `#...`; github-readme-stats URLs leave out the `#`.
fn color(name: &'static str, raw: &str) -> Result<String, OptionError> {
    let hex = raw.strip_prefix('#').unwrap_or(raw);
    if matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(invalid(name, "must be a hex color like 2f80ed or #2f80ed"))
    }
}

fn background(raw: &str) -> Result<Background, OptionError> {
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() == 1 {
        return color("bg_color", parts[0]).map(Background::Solid);
    }
    let angle: f64 = parts[0]
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite())
        .ok_or_else(|| invalid("bg_color", "a gradient is angle,color1,color2 (e.g. 30,e96443,904e95)"))?;
    if parts.len() < 3 || parts.len() > 11 {
        return Err(invalid("bg_color", "a gradient needs an angle and 2 to 10 colors"));
    }
    let colors = parts[1..].iter().map(|c| color("bg_color", c)).collect::<Result<_, _>>()?;
    Ok(Background::Gradient { angle: angle.rem_euclid(360.0), colors })
}

fn boolean(name: &'static str, raw: &str) -> Result<bool, OptionError> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(name, "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<BannerOptions, OptionError> {
        BannerOptions::from_params(&pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn github_readme_stats_style_values_parse() {
        let o = parse(&[
            ("theme", "Dracula"),
            ("title_color", "fff"),
            ("bg_color", "30,e96443,904e95"),
            ("hide", "prs,contribs,stars"),
            ("show_icons", "true"),
            ("langs_count", "8"),
            ("layout", "donut"),
            ("locale", "de"),
            ("border_radius", "4.5"),
        ])
        .unwrap();
        assert_eq!(o.theme, "dracula");
        assert_eq!(o.title_color.as_deref(), Some("#fff"));
        assert_eq!(
            o.background,
            Some(Background::Gradient { angle: 30.0, colors: vec!["#e96443".into(), "#904e95".into()] })
        );
        assert_eq!(o.hide, BTreeSet::from([StatKey::PullRequests, StatKey::ContributedTo, StatKey::Stars]));
        assert!(o.show_icons);
        assert_eq!(
            (o.langs_count, o.layout, o.locale, o.border_radius),
            (Some(8), LanguagesLayout::Donut, "de", Some(4.5))
        );
    }

    #[test]
    fn every_bad_value_names_its_parameter() {
        let cases = [
            ("theme", "../etc"),
            ("locale", "klingon"),
            ("title_color", "red"),
            ("text_color", "#12345"),
            ("icon_color", "\"><script>"),
            ("border_color", "ggg"),
            ("bg_color", "30,e96443"),
            ("bg_color", "nope,fff,000"),
            ("hide_border", "maybe"),
            ("border_radius", "-1"),
            ("border_radius", "NaN"),
            ("hide", "stars,bogus"),
            ("show_icons", "2"),
            ("langs_count", "0"),
            ("langs_count", "21"),
            ("layout", "circle"),
            ("disable_animations", "perhaps"),
            ("include_forks", "x"),
        ];
        for (name, value) in cases {
            let err = parse(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name, "{name}={value}: {err}");
        }
        let long = "x".repeat(101);
        assert_eq!(parse(&[("custom_title", &long)]).unwrap_err().name, "custom_title");
    }

    #[test]
    fn empty_values_mean_the_default() {
        assert_eq!(parse(&[("theme", ""), ("hide", "")]).unwrap(), BannerOptions::default());
    }

    #[test]
    fn a_theme_is_one_pack_auto_or_a_light_and_dark_pair() {
        let theme = |value: &str| parse(&[("theme", value)]).map(|o| (o.theme, o.dark_theme));
        let named = |name: &str| Some(DarkTheme::Named(name.to_owned()));

        assert_eq!(theme("Nord").unwrap(), ("nord".to_owned(), None));
        assert_eq!(theme("auto").unwrap(), ("default".to_owned(), Some(DarkTheme::Paired)));
        assert_eq!(theme("github-light, auto").unwrap(), ("github-light".to_owned(), Some(DarkTheme::Paired)));
        assert_eq!(theme("github-light,Dracula").unwrap(), ("github-light".to_owned(), named("dracula")));
        for bad in ["a,b,c", "../x,dark", "light,", ",dark"] {
            assert_eq!(theme(bad).unwrap_err().name, "theme", "{bad}");
        }
        assert_eq!(parse(&[("scheme", "DARK")]).unwrap().scheme, Some(Scheme::Dark));
        assert_eq!(parse(&[("scheme", "auto")]).unwrap().scheme, None);
        assert_eq!(parse(&[("scheme", "dim")]).unwrap_err().name, "scheme");
    }
}
