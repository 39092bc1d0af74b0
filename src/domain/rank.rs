//! A profile rank from S to C, computed like github-readme-stats' (so users moving over see the
//! same letter): each stat is mapped to [0, 1) by a CDF around a typical value, weighted, and the
//! weighted score becomes a percentile.

use serde::Serialize;

use super::UserStats;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rank {
    /// `S`, `A+`, `A`, `A-`, `B+`, `B`, `B-`, `C+` or `C`.
    pub level: &'static str,
    /// Lower is better: the share (0-100) of users estimated to rank above.
    pub percentile: f64,
}

const THRESHOLDS: [f64; 9] = [1.0, 12.5, 25.0, 37.5, 50.0, 62.5, 75.0, 87.5, 100.0];
const LEVELS: [&str; 9] = ["S", "A+", "A", "A-", "B+", "B", "B-", "C+", "C"];

fn exponential_cdf(x: f64) -> f64 {
    1.0 - 2f64.powf(-x)
}

fn log_normal_cdf(x: f64) -> f64 {
    // The approximation github-readme-stats uses: cheap, monotonic, and 0.5 at the median.
    x / (1.0 + x)
}

/// One stat's contribution: its value, the typical value, its weight and how it saturates.
type Part = (i64, f64, f64, fn(f64) -> f64);

pub fn rank(stats: &UserStats) -> Rank {
    let parts: [Part; 6] = [
        (stats.commits, 250.0, 2.0, exponential_cdf),
        (stats.pull_requests, 50.0, 3.0, exponential_cdf),
        (stats.issues, 25.0, 1.0, exponential_cdf),
        (stats.reviews, 2.0, 1.0, exponential_cdf),
        (stats.stars, 50.0, 4.0, log_normal_cdf),
        (stats.followers, 10.0, 1.0, log_normal_cdf),
    ];
    let total_weight: f64 = parts.iter().map(|p| p.2).sum();
    let score: f64 =
        parts.iter().map(|(value, median, weight, cdf)| weight * cdf((*value).max(0) as f64 / median)).sum();
    let percentile = ((1.0 - score / total_weight) * 100.0).clamp(0.0, 100.0);
    let index = THRESHOLDS.iter().position(|t| percentile <= *t).unwrap_or(LEVELS.len() - 1);
    Rank { level: LEVELS[index], percentile: (percentile * 100.0).round() / 100.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(commits: i64, prs: i64, issues: i64, reviews: i64, stars: i64, followers: i64) -> UserStats {
        UserStats {
            repositories: 0,
            stars,
            forks: 0,
            followers,
            commits,
            pull_requests: prs,
            issues,
            reviews,
            contributed_to: 0,
            all_time: None,
            languages: vec![],
        }
    }

    #[test]
    fn nobody_is_c_and_a_star_is_s() {
        assert_eq!(rank(&stats(0, 0, 0, 0, 0, 0)).level, "C");
        assert_eq!(rank(&stats(0, 0, 0, 0, 0, 0)).percentile, 100.0);
        assert_eq!(rank(&stats(100_000, 50_000, 10_000, 10_000, 1_000_000, 100_000)).level, "S");
    }

    #[test]
    fn the_median_user_is_in_the_middle() {
        let r = rank(&stats(250, 50, 25, 2, 50, 10));
        assert_eq!(r.level, "B+", "{r:?}");
        assert!((r.percentile - 50.0).abs() < 0.01, "{r:?}");
    }

    #[test]
    fn more_activity_never_ranks_worse() {
        let low = rank(&stats(10, 1, 1, 0, 5, 1)).percentile;
        let high = rank(&stats(500, 80, 40, 10, 300, 50)).percentile;
        assert!(high < low);
    }
}
