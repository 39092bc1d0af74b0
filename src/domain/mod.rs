//! Pure types and rules: no I/O, nothing from the rest of the crate.
//!
//! `UserSnapshot` is what GitHub told us about a user at one moment (what the store persists);
//! `UserStats` is what banners show, derived from a snapshot by `stats::compute`.

mod access;
mod banner;
mod contributions;
mod languages;
mod login;
mod rank;
mod repository;
mod snapshot;
mod stats;
mod streak;
mod views;
mod wakatime;

pub use access::LoginPolicy;
pub use banner::{BannerType, ImageFormat};
pub use contributions::{
    ContributionCalendar, ContributionYear, PastYears, level, past_years_version, utc_offset, week_start, year_bounds,
};
pub use languages::{LanguageShare, language_shares};
pub use login::{Login, LoginError};
pub use rank::{Rank, rank};
pub use repository::{CodeCard, GistId, RepoRef};
pub use snapshot::{
    AllTime, Contributions, LanguageSize, PartialCount, Profile, RepoSnapshot, SnapshotSource, UserSnapshot,
};
pub use stats::{
    StatsOptions, UserStats, compute, compute_excluding, language_shares_excluding, weighted_language_shares,
};
pub use streak::{ContributionDay, Streak, StreakMode, StreakRules, Streaks, streaks};
pub use views::ViewSubject;
pub use wakatime::{WakaLanguage, WakaStats, WakaUser};
