//! The template context: the contract between Rust and theme templates. Fields are only ever
//! added; `version` changes when a field's meaning does.

use serde::Serialize;

use crate::domain::{LanguageShare, UserSnapshot, UserStats};

/// Bumped when a field changes meaning, so templates can tell.
pub(crate) const CONTEXT_VERSION: u32 = 1;

/// Color for languages GitHub gives none (or an invalid one).
const FALLBACK_LANGUAGE_COLOR: &str = "#858585";

#[derive(Debug, Serialize)]
pub struct BannerContext {
    pub version: u32,
    pub user: UserView,
    pub stats: UserStats,
    /// Top languages for this banner; the last may be "Other" (the rest, summed).
    pub languages: Vec<LanguageView>,
    /// True when the numbers are older than the cache's soft TTL.
    pub stale: bool,
    /// When GitHub was asked, RFC 3339.
    pub fetched_at: String,
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub login: String,
    /// The profile name, or the login when the user has none.
    pub display_name: String,
    pub bio: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct LanguageView {
    pub name: String,
    /// Always a valid `#rrggbb`.
    pub color: String,
    pub bytes: i64,
    pub percent: f64,
    /// Sum of the percentages before this one: where its segment starts in a stacked bar.
    pub offset: f64,
}

impl BannerContext {
    pub fn new(snapshot: &UserSnapshot, stats: UserStats, top_languages: usize, stale: bool) -> Self {
        let profile = &snapshot.profile;
        let display_name =
            profile.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| profile.login.clone());
        let languages = top_with_other(&stats.languages, top_languages);
        Self {
            version: CONTEXT_VERSION,
            user: UserView { login: profile.login.clone(), display_name, bio: profile.bio.clone() },
            stats,
            languages,
            stale,
            fetched_at: snapshot.fetched_at.to_rfc3339(),
        }
    }
}

/// The first `n` shares as they are, or the first `n - 1` plus "Other" when there are more, so a
/// bar of the shown languages always fills 100%.
fn top_with_other(shares: &[LanguageShare], n: usize) -> Vec<LanguageView> {
    let n = n.max(1);
    let (shown, rest) = if shares.len() > n { shares.split_at(n - 1) } else { (shares, &[][..]) };
    let mut views: Vec<LanguageView> = Vec::with_capacity(n);
    let mut offset = 0.0;
    let mut push = |name: String, color: String, bytes: i64, percent: f64| {
        views.push(LanguageView { name, color, bytes, percent, offset: round1(offset) });
        offset += percent;
    };
    for share in shown {
        push(share.name.clone(), safe_color(share.color.as_deref()), share.bytes, share.percent);
    }
    if !rest.is_empty() {
        let bytes = rest.iter().map(|s| s.bytes).sum();
        let percent = round1(rest.iter().map(|s| s.percent).sum());
        push("Other".to_owned(), FALLBACK_LANGUAGE_COLOR.to_owned(), bytes, percent);
    }
    views
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// GitHub's colors are data from outside: only `#rgb`/`#rrggbb` reach an attribute.
fn safe_color(color: Option<&str>) -> String {
    match color {
        Some(c)
            if (c.len() == 7 || c.len() == 4)
                && c.starts_with('#')
                && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            c.to_owned()
        }
        _ => FALLBACK_LANGUAGE_COLOR.to_owned(),
    }
}

/// What the error card shows.
#[derive(Debug, Serialize)]
pub struct ErrorContext {
    pub version: u32,
    pub title: String,
    pub message: String,
    /// What the reader can do about it, if anything.
    pub hint: Option<String>,
}

impl ErrorContext {
    pub fn new(title: impl Into<String>, message: impl Into<String>, hint: Option<String>) -> Self {
        Self { version: CONTEXT_VERSION, title: title.into(), message: message.into(), hint }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(name: &str, percent: f64) -> LanguageShare {
        LanguageShare { name: name.into(), color: Some("#123456".into()), bytes: (percent * 10.0) as i64, percent }
    }

    #[test]
    fn languages_beyond_the_limit_become_other() {
        let shares = [share("A", 50.0), share("B", 30.0), share("C", 15.0), share("D", 5.0)];
        let views = top_with_other(&shares, 3);
        let got: Vec<_> = views.iter().map(|v| (v.name.as_str(), v.percent, v.offset)).collect();
        assert_eq!(got, [("A", 50.0, 0.0), ("B", 30.0, 50.0), ("Other", 20.0, 80.0)]);
    }

    #[test]
    fn hostile_colors_are_replaced() {
        assert_eq!(safe_color(Some("#abcdef")), "#abcdef");
        assert_eq!(safe_color(Some("red\" onload=\"x")), FALLBACK_LANGUAGE_COLOR);
        assert_eq!(safe_color(Some("#ggg")), FALLBACK_LANGUAGE_COLOR);
        assert_eq!(safe_color(None), FALLBACK_LANGUAGE_COLOR);
    }
}
