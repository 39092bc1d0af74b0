//! Ready-made users. Numbers are chosen so expected stats can be worked out by hand; each
//! function's doc states them (default `StatsOptions`: forks and private repositories excluded).

use super::{FakeRepo, FakeUser};

/// `octocat`: 5 repositories, of which 3 count by default.
///
/// Counted: hello-world (1500★, 300 forks; Rust 6000 B, Shell 1000 B), spoon-knife (800★,
/// 120 forks; TypeScript 3000 B), empty-repo (0★, no languages, `pushedAt` null).
/// Not counted: forked-go (fork, 4000★, Go 5000 B), secret-notes (private, 50★, Python 8000 B).
///
/// Default stats: repositories 3, stars 2300, forks 420, followers 4000, commits 1234, PRs 56,
/// issues 78, reviews 90, contributed_to 12 (all time: PRs 5120, 4800 merged, issues 3100,
/// discussions 7 started and 3 answered); languages Rust 6000 (60.0%), TypeScript 3000
/// (30.0%), Shell 1000 (10.0%).
pub fn octocat() -> FakeUser {
    FakeUser {
        id: "MDQ6VXNlcjU4MzIzMQ==".to_owned(),
        name: Some("The Octocat".to_owned()),
        avatar_url: "https://avatars.githubusercontent.com/u/583231?v=4".to_owned(),
        bio: Some("Mascot of GitHub".to_owned()),
        company: Some("@github".to_owned()),
        location: Some("San Francisco".to_owned()),
        followers: 4000,
        following: 9,
        commits: 1234,
        restricted: 3,
        pull_requests: 56,
        issues: 78,
        reviews: 90,
        contributed_to: 12,
        all_time: [5120, 4800, 3100, 7, 3],
        commits_by_year: [(2011, 100), (2020, 300), (2024, 1000)].into_iter().collect(),
        ..FakeUser::new("octocat")
    }
    .repos([
        FakeRepo::new("hello-world", 1500)
            .forks(300)
            .language("Rust", "#dea584", 6000)
            .language("Shell", "#89e051", 1000),
        FakeRepo::new("spoon-knife", 800).forks(120).language("TypeScript", "#3178c6", 3000),
        FakeRepo::new("empty-repo", 0).pushed_at(None),
        FakeRepo::new("forked-go", 4000).forks(7).fork().language("Go", "#00ADD8", 5000),
        FakeRepo::new("secret-notes", 50).private().language("Python", "#3572A5", 8000),
    ])
}

/// `count` repositories `repo-000`, `repo-001`, … with `count - i` stars (all distinct, so the
/// served order is by index), each with Rust 100 B and `i` forks. `count` > 100 forces pagination.
pub fn many_repos(login: &str, count: usize) -> FakeUser {
    FakeUser::new(login).repos((0..count).map(|i| {
        FakeRepo::new(&format!("repo-{i:03}"), (count - i) as i64).forks(i as i64).language("Rust", "#dea584", 100)
    }))
}

/// `forkful`: mostly forks and private repositories.
///
/// Default stats: repositories 1 (own-tool), stars 5, forks 1; languages Rust 900 (90.0%),
/// Shell 100 (10.0%). With `include_forks`: repositories 3, stars 2905, forks 4; languages
/// C 50000, TypeScript 7000, Rust 900, Shell 100. The private ones (diary, private-fork) never count.
pub fn with_forks_and_private() -> FakeUser {
    FakeUser::new("forkful").repos([
        FakeRepo::new("own-tool", 5).forks(1).language("Rust", "#dea584", 900).language("Shell", "#89e051", 100),
        FakeRepo::new("linux", 2000).forks(2).fork().language("C", "#555555", 50000),
        FakeRepo::new("react", 900).forks(1).fork().language("TypeScript", "#3178c6", 7000),
        FakeRepo::new("diary", 3).private().language("Go", "#00ADD8", 4000),
        FakeRepo::new("private-fork", 1).private().fork().language("Python", "#3572A5", 1000),
    ])
}

/// The 500-character name used in [`hostile`]: markup, quotes, emoji and RTL, repeated.
pub fn long_hostile_text() -> String {
    "<b>&\"'🦀שלום".chars().cycle().take(500).collect()
}

/// `hostile-user`: every text field tries to break out of SVG/XML/HTML/JSON or a layout.
///
/// Name `<script>alert(1)</script>`; bio with a control char (\u{1}), ANSI escape, RTL override
/// and Hebrew; company with quotes, `&` and `]]>`; location in Arabic with emoji; a 500-char
/// repository name; a language named `C<>&"` whose color tries attribute injection; a language
/// without color. Counted (default): 4 repositories, 10 stars; languages `C<>&"` 700 B (70.0%),
/// `Émoji 🦀` 200 B (20.0%), `Plain` 100 B (10.0%, no color).
pub fn hostile() -> FakeUser {
    FakeUser {
        name: Some("<script>alert(1)</script>".to_owned()),
        bio: Some("line one\u{1}\u{7}\u{1b}[31mred\u{1b}[0m \u{202e}txet desrever\u{202c} שלום עולם".to_owned()),
        company: Some("\"quoted\" & 'single' ]]> --> <!-- &amp; &#x41;".to_owned()),
        location: Some("القاهرة 🌍👩‍💻".to_owned()),
        ..FakeUser::new("hostile-user")
    }
    .repos([
        FakeRepo::new("<script>alert(1)</script>", 4).language("C<>&\"", "#123456\" onload=\"alert(1)", 700),
        FakeRepo::new("quotes\"'&]]>", 3).language("Émoji 🦀", "#ff00ff", 200),
        FakeRepo::new(&long_hostile_text(), 2).language("Plain", "", 100),
        FakeRepo::new("ltr\u{202e}gnp.exe", 1),
    ])
}
