//! Built-in sample stats in several shapes, so themes can be validated, previewed and shown in the
//! gallery offline, and so every pack is checked against the awkward cases, not just a nice one.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};

use crate::domain::{
    ContributionDay, ContributionYear, Contributions, LanguageSize, Profile, RepoSnapshot, UserSnapshot,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// A typical active developer.
    Typical,
    /// A new account: no repositories, no languages, zero everything.
    Empty,
    /// Numbers in the billions and dozens of languages.
    Huge,
    /// A long name in several scripts, with emoji.
    Unicode,
    /// Markup, quotes, `]]>`, control characters and injection attempts everywhere.
    Hostile,
}

impl Sample {
    pub const ALL: [Sample; 5] = [Sample::Typical, Sample::Empty, Sample::Huge, Sample::Unicode, Sample::Hostile];

    pub fn name(self) -> &'static str {
        match self {
            Sample::Typical => "typical",
            Sample::Empty => "empty",
            Sample::Huge => "huge",
            Sample::Unicode => "unicode",
            Sample::Hostile => "hostile",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "sample" => Some(Sample::Typical),
            _ => Self::ALL.into_iter().find(|s| s.name() == name),
        }
    }

    pub fn snapshot(self) -> UserSnapshot {
        match self {
            Sample::Typical => user(
                "octocat",
                Some("The Octocat"),
                Some("Building things at GitHub."),
                (1234, 56, 78, 90, 12, 4_000),
                vec![
                    repo("hello-world", 1500, 300, &[("Rust", "#dea584", 60_000), ("Shell", "#89e051", 4_000)]),
                    repo("spoon-knife", 800, 120, &[("TypeScript", "#3178c6", 30_000), ("CSS", "#663399", 6_000)]),
                    repo("linguist", 420, 40, &[("Ruby", "#701516", 25_000), ("Python", "#3572a5", 9_000)]),
                    repo("dotfiles", 35, 3, &[("Lua", "#000080", 3_000), ("Go", "#00add8", 8_000)]),
                ],
            ),
            Sample::Empty => user("newcomer", None, None, (0, 0, 0, 0, 0, 0), vec![]),
            Sample::Huge => {
                let languages: Vec<(String, i64)> =
                    (0..40).map(|i| (format!("Language {i}"), 9_000_000_000 - i * 200_000_000)).collect();
                let repos = (0..50)
                    .map(|i| {
                        let langs: Vec<(&str, &str, i64)> =
                            languages.iter().skip(i % 40).take(3).map(|(n, b)| (n.as_str(), "", *b)).collect();
                        repo(&format!("mega-{i}"), 2_000_000_000 / 50, 90_000_000, &langs)
                    })
                    .collect();
                user(
                    "torvalds",
                    Some("Huge Numbers"),
                    None,
                    (9_876_543_210, 123_456_789, 98_765_432, 1_234_567, 99_999, 2_147_483_647),
                    repos,
                )
            }
            Sample::Unicode => user(
                "unicode-person",
                Some("Zoë Ångström-Øverby 王小明 たなか ✨🦀 محمد Ελένη Đặng Thị Hương Владимир"),
                Some("Writes code in every script: 日本語, العربية, עברית, ελληνικά, русский 🚀"),
                (4_321, 321, 21, 1, 7, 54_321),
                vec![
                    repo(
                        "日本語-プロジェクト",
                        77,
                        7,
                        &[("C++", "#f34b7d", 10_000), ("Jupyter Notebook", "#da5b0b", 5_000)],
                    ),
                    repo("ñandú", 12, 1, &[("Objective-C++", "#6866fb", 2_000), ("Emacs Lisp", "#c065db", 1_000)]),
                ],
            ),
            Sample::Hostile => user(
                "hostile-user",
                Some("<script>alert(1)</script>\"'&]]><!-- x --> \u{1}\u{202e}txet"),
                Some("</text></svg><svg onload=alert(1)> &amp; &#x3C; {{user.login}} {{{raw}}}"),
                (-1, 0, 1, 2, 3, 4),
                vec![repo(
                    "<img src=x onerror=alert(1)>",
                    5,
                    1,
                    &[("C<>&\"", "#123456\" onload=\"alert(1)", 700), ("]]>", "url(javascript:x)", 300)],
                )],
            ),
        }
    }
}

impl Sample {
    /// The sample's login, contribution years (current first) and the reader's today: three
    /// years of an active developer ending in a 12-day streak, one year without a contribution,
    /// ten years of huge counts.
    pub fn contribution_years(self) -> (String, Vec<ContributionYear>, NaiveDate) {
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        let login = self.snapshot().profile.login;
        let (first, count): (i32, fn(u32) -> u32) = match self {
            Sample::Empty => (2026, |_| 0),
            Sample::Huge => (2017, |i| 40_000 + (i * 7919) % 20_000),
            _ => (2024, |i| ((i * 37 + 11) % 17).saturating_sub(4)),
        };
        let mut years: Vec<ContributionYear> = (first..=today.year())
            .rev()
            .map(|year| {
                let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
                let days = start
                    .iter_days()
                    .take_while(|d| d.year() == year && *d <= today)
                    .map(|date| {
                        let i = date.num_days_from_ce().unsigned_abs() % 100_000;
                        let streak = (today - date).num_days() < 12 && self != Sample::Empty;
                        ContributionDay { date, count: count(i).max(u32::from(streak)) }
                    })
                    .collect();
                ContributionYear {
                    year,
                    offset_minutes: 0,
                    days,
                    restricted: 0,
                    contribution_years: Vec::new(),
                    fetched_at: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().unwrap_or_else(Utc::now),
                }
            })
            .collect();
        let with_contributions: Vec<i32> = years.iter().filter(|y| y.total() > 0).map(|y| y.year).collect();
        years[0].contribution_years = with_contributions;
        (login, years, today)
    }
}

fn user(
    login: &str,
    name: Option<&str>,
    bio: Option<&str>,
    (commits, pull_requests, issues, reviews, contributed_to, followers): (i64, i64, i64, i64, i64, i64),
    repositories: Vec<RepoSnapshot>,
) -> UserSnapshot {
    let fetched_at = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).single().unwrap_or_else(Utc::now);
    UserSnapshot {
        profile: Profile {
            github_id: format!("U_{login}"),
            login: login.to_owned(),
            name: name.map(str::to_owned),
            avatar_url: None,
            bio: bio.map(str::to_owned),
            company: None,
            location: None,
            created_at: None,
            followers,
            following: 0,
            // All-time totals a little above the last year's.
            all_time: Some(crate::domain::AllTime {
                pull_requests: pull_requests * 4,
                merged_pull_requests: pull_requests * 3,
                issues: issues * 3,
                discussions_started: reviews / 10,
                discussions_answered: reviews / 20,
            }),
        },
        contributions: Contributions { commits, restricted: 0, pull_requests, issues, reviews, contributed_to },
        repositories,
        fetched_at,
        source: Default::default(),
    }
}

fn repo(name: &str, stars: i64, forks: i64, languages: &[(&str, &str, i64)]) -> RepoSnapshot {
    RepoSnapshot {
        github_id: format!("R_{name}"),
        owner: "sample".to_owned(),
        name: name.to_owned(),
        stars,
        forks,
        is_fork: false,
        is_private: false,
        primary_language: languages.first().map(|l| l.0.to_owned()),
        pushed_at: None,
        languages: languages
            .iter()
            .map(|(n, c, b)| LanguageSize {
                name: (*n).to_owned(),
                color: (!c.is_empty()).then(|| (*c).to_owned()),
                bytes: *b,
            })
            .collect(),
    }
}

/// Repository and gist cards in the same shapes.
impl Sample {
    pub fn code_card(self) -> crate::domain::CodeCard {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().unwrap_or_default();
        let card = |owner: &str, name: &str, description: Option<&str>, language: Option<(&str, &str)>, n: i64| {
            crate::domain::CodeCard {
                owner: owner.to_owned(),
                name: name.to_owned(),
                description: description.map(str::to_owned),
                language: language.map(|(l, _)| l.to_owned()),
                language_color: language.map(|(_, c)| c.to_owned()),
                stars: n,
                forks: n / 7,
                archived: false,
                template: false,
                fetched_at: at,
            }
        };
        match self {
            Sample::Typical => card(
                "octocat",
                "hello-world",
                Some("My first repository on GitHub: a small example of how repositories work."),
                Some(("Rust", "#dea584")),
                1500,
            ),
            Sample::Empty => card("newcomer", "x", None, None, 0),
            Sample::Huge => crate::domain::CodeCard {
                archived: true,
                template: true,
                ..card(
                    "an-organisation-with-a-long-name",
                    &"a-very-long-repository-name-".repeat(3),
                    Some(&"A description that goes on and on, far longer than any card can show. ".repeat(6)),
                    Some(("Jupyter Notebook", "#da5b0b")),
                    9_000_000_000,
                )
            },
            Sample::Unicode => card(
                "octocat",
                "日本語-ÜnïcØdé-🚀",
                Some("Ünïcødé 説明 с кириллицей и emoji 🚀✨ in one line"),
                Some(("C++", "#f34b7d")),
                42,
            ),
            Sample::Hostile => card(
                "o<c>t\"o'c&a]]>t",
                "<script>alert(1)</script>",
                Some("</text><script>alert('x')</script>]]>\u{1}\u{7f}{{user.login}}"),
                Some(("<b>Lang</b>", "red;background:url(x)")),
                -1,
            ),
        }
    }
}

/// WakaTime cards in the same shapes.
impl Sample {
    pub fn waka_stats(self) -> crate::domain::WakaStats {
        let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).single().unwrap_or_default();
        let language = |name: &str, percent: f64, seconds: f64| crate::domain::WakaLanguage {
            name: name.to_owned(),
            percent,
            text: format!("{} hrs {} mins", (seconds / 3600.0) as i64, ((seconds % 3600.0) / 60.0) as i64),
            total_seconds: seconds,
        };
        let stats = |username: &str, languages: Vec<crate::domain::WakaLanguage>| crate::domain::WakaStats {
            username: username.to_owned(),
            total_text: Some("34 hrs 12 mins".to_owned()),
            range: Some("last_7_days".to_owned()),
            languages,
            fetched_at: at,
        };
        match self {
            Sample::Typical => stats(
                "octocat",
                vec![
                    language("Rust", 52.3, 64_000.0),
                    language("TypeScript", 30.1, 36_800.0),
                    language("Markdown", 10.0, 12_200.0),
                    language("YAML", 7.6, 9_300.0),
                ],
            ),
            Sample::Empty => crate::domain::WakaStats { total_text: None, ..stats("newcomer", vec![]) },
            Sample::Huge => stats(
                "busy",
                (0..40).map(|i| language(&format!("Language number {i}"), 2.5, 9e9 - f64::from(i) * 1e8)).collect(),
            ),
            Sample::Unicode => stats("ünï", vec![language("日本語 ÜnïcØdé 🚀", 100.0, 3_600.0)]),
            Sample::Hostile => stats(
                "<script>",
                vec![crate::domain::WakaLanguage {
                    text: "</text><script>alert(1)</script>".to_owned(),
                    ..language("<b>\"Lang\"</b>]]>\u{1}", 100.0, 60.0)
                }],
            ),
        }
    }
}
