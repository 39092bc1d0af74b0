//! The numbers a banner shows, derived from a snapshot.

use serde::Serialize;

use super::languages::{LanguageShare, language_shares};
use super::snapshot::{LanguageSize, RepoSnapshot, UserSnapshot};

/// Which repositories count towards the aggregates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsOptions {
    /// Count forks too (they are excluded by default: a fork's stars belong to its upstream).
    pub include_forks: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserStats {
    /// Owned public repositories that count (non-fork unless `include_forks`).
    pub repositories: i64,
    pub stars: i64,
    pub forks: i64,
    pub followers: i64,
    pub commits: i64,
    pub pull_requests: i64,
    pub issues: i64,
    pub reviews: i64,
    pub contributed_to: i64,
    /// All-time totals, when the snapshot has them.
    pub all_time: Option<super::AllTime>,
    /// Every language of the counted repositories by bytes, largest first; percentages sum to 100.
    pub languages: Vec<LanguageShare>,
}

/// The repositories that count: owned, public, and forks only when asked for. Private ones never
/// count: a banner is public, and what a token happens to see of someone's private work is not
/// theirs to publish.
fn counted(snapshot: &UserSnapshot, options: StatsOptions) -> impl Iterator<Item = &RepoSnapshot> {
    snapshot.repositories.iter().filter(move |r| !r.is_private && (options.include_forks || !r.is_fork))
}

/// Language shares of the counted repositories, leaving out the named ones (case-insensitive).
pub fn language_shares_excluding(
    snapshot: &UserSnapshot,
    options: StatsOptions,
    exclude: &[String],
) -> Vec<LanguageShare> {
    let sizes: Vec<&LanguageSize> = counted(snapshot, options)
        .filter(|r| !exclude.iter().any(|e| e.eq_ignore_ascii_case(&r.name)))
        .flat_map(|r| &r.languages)
        .collect();
    language_shares(sizes)
}

/// Languages ranked as github-readme-stats ranks them with `size_weight` and `count_weight`:
/// each language scores bytes^size_weight x repositories^count_weight, and its share is its part
/// of all scores (so `count_weight=1&size_weight=0` ranks by how many repositories use it).
pub fn weighted_language_shares(
    snapshot: &UserSnapshot,
    options: StatsOptions,
    exclude: &std::collections::BTreeSet<String>,
    size_weight: f64,
    count_weight: f64,
) -> Vec<LanguageShare> {
    let mut by_name: std::collections::BTreeMap<&str, (Option<&str>, i64, i64)> = std::collections::BTreeMap::new();
    for repo in counted(snapshot, options).filter(|r| !exclude.contains(&r.name.to_lowercase())) {
        for size in repo.languages.iter().filter(|s| s.bytes > 0) {
            let entry = by_name.entry(&size.name).or_insert((None, 0, 0));
            entry.0 = entry.0.or(size.color.as_deref());
            entry.1 += size.bytes;
            entry.2 += 1;
        }
    }
    let scored: Vec<(&str, Option<&str>, i64, f64)> = by_name
        .into_iter()
        .map(|(name, (color, bytes, repos))| {
            (name, color, bytes, (bytes as f64).powf(size_weight) * (repos as f64).powf(count_weight))
        })
        .filter(|(.., score)| score.is_finite() && *score > 0.0)
        .collect();
    let total: f64 = scored.iter().map(|(.., score)| score).sum();
    // Scores as integer weights for the largest-remainder rounding `language_shares` does.
    let sizes: Vec<LanguageSize> = scored
        .iter()
        .map(|(name, color, _, score)| LanguageSize {
            name: (*name).to_owned(),
            color: color.map(str::to_owned),
            bytes: ((score / total) * 1e12) as i64,
        })
        .collect();
    let mut shares = language_shares(&sizes);
    let bytes: std::collections::HashMap<&str, i64> = scored.iter().map(|(name, _, b, _)| (*name, *b)).collect();
    for share in &mut shares {
        share.bytes = bytes.get(share.name.as_str()).copied().unwrap_or(0);
    }
    shares
}

/// Aggregates the counted repositories of a snapshot.
pub fn compute(snapshot: &UserSnapshot, options: StatsOptions) -> UserStats {
    compute_excluding(snapshot, options, &std::collections::BTreeSet::new())
}

/// `compute`, leaving out the repositories named in `exclude` (lower case) from stars, forks,
/// the repository count and languages.
pub fn compute_excluding(
    snapshot: &UserSnapshot,
    options: StatsOptions,
    exclude: &std::collections::BTreeSet<String>,
) -> UserStats {
    let counted: Vec<_> = counted(snapshot, options)
        .filter(|r| exclude.is_empty() || !exclude.contains(&r.name.to_lowercase()))
        .collect();
    let languages: Vec<&LanguageSize> = counted.iter().flat_map(|r| &r.languages).collect();
    let c = &snapshot.contributions;
    UserStats {
        repositories: counted.len() as i64,
        stars: counted.iter().map(|r| r.stars).sum(),
        forks: counted.iter().map(|r| r.forks).sum(),
        followers: snapshot.profile.followers,
        commits: c.commits,
        pull_requests: c.pull_requests,
        issues: c.issues,
        reviews: c.reviews,
        contributed_to: c.contributed_to,
        all_time: snapshot.profile.all_time,
        languages: language_shares(languages),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Contributions, Profile, RepoSnapshot};
    use chrono::Utc;

    fn repo(name: &str, stars: i64, fork: bool, private: bool, langs: &[(&str, i64)]) -> RepoSnapshot {
        RepoSnapshot {
            github_id: format!("R_{name}"),
            owner: "octo".into(),
            name: name.into(),
            stars,
            forks: stars / 10,
            is_fork: fork,
            is_private: private,
            primary_language: langs.first().map(|l| l.0.to_owned()),
            pushed_at: None,
            languages: langs.iter().map(|(n, b)| LanguageSize { name: (*n).into(), color: None, bytes: *b }).collect(),
        }
    }

    fn snapshot(repos: Vec<RepoSnapshot>) -> UserSnapshot {
        UserSnapshot {
            profile: Profile {
                github_id: "U_1".into(),
                login: "octo".into(),
                name: None,
                avatar_url: None,
                bio: None,
                company: None,
                location: None,
                created_at: None,
                followers: 7,
                following: 1,
                all_time: None,
            },
            contributions: Contributions { commits: 100, pull_requests: 5, ..Default::default() },
            repositories: repos,
            fetched_at: Utc::now(),
            source: Default::default(),
        }
    }

    #[test]
    fn forks_and_private_repositories_are_excluded_by_default() {
        let snap = snapshot(vec![
            repo("own", 50, false, false, &[("Rust", 900)]),
            repo("fork", 1000, true, false, &[("C", 5000)]),
            repo("secret", 70, false, true, &[("Go", 5000)]),
        ]);
        let stats = compute(&snap, StatsOptions::default());
        assert_eq!((stats.repositories, stats.stars, stats.forks), (1, 50, 5));
        assert_eq!(stats.languages.len(), 1);
        assert_eq!(stats.languages[0].name, "Rust");
        assert_eq!(stats.followers, 7);
        assert_eq!(stats.commits, 100);
    }

    #[test]
    fn include_forks_counts_forks_but_never_private_repositories() {
        let snap = snapshot(vec![
            repo("own", 50, false, false, &[("Rust", 900)]),
            repo("fork", 1000, true, false, &[("C", 100)]),
            repo("secret", 70, false, true, &[("Go", 5000)]),
        ]);
        let stats = compute(&snap, StatsOptions { include_forks: true });
        assert_eq!((stats.repositories, stats.stars), (2, 1050));
        let names: Vec<_> = stats.languages.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Rust", "C"]);
    }

    #[test]
    fn a_user_without_repositories_has_zero_everything() {
        let stats = compute(&snapshot(vec![]), StatsOptions::default());
        assert_eq!((stats.repositories, stats.stars, stats.forks), (0, 0, 0));
        assert!(stats.languages.is_empty());
    }
}
