//! A WakaTime (or Wakapi, Hakatime) user's coding time by language, as its card shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A WakaTime username, and the instance it lives on (None: the configured default).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WakaUser {
    pub name: String,
    pub domain: Option<String>,
}

impl WakaUser {
    pub fn new(name: &str, domain: Option<&str>) -> Result<Self, (&'static str, String)> {
        let name = name.trim().trim_start_matches('@');
        // Dots alone (`.`, `..`) would be other paths of the API, not a user.
        let valid_name = !name.is_empty()
            && name.len() <= 100
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && !name.bytes().all(|b| b == b'.');
        if !valid_name {
            return Err(("username", format!("`{name}` is not a WakaTime username")));
        }
        let domain = match domain.map(|d| d.trim().trim_end_matches('/').to_ascii_lowercase()) {
            None => None,
            Some(d) if d.is_empty() => None,
            Some(d) if is_hostname(&d) => Some(d),
            Some(d) => return Err(("api_domain", format!("`{d}` is not a host name"))),
        };
        Ok(Self { name: name.to_owned(), domain })
    }

    /// Lower case: WakaTime resolves usernames case-insensitively.
    pub fn key(&self) -> String {
        format!("{}@{}", self.name.to_ascii_lowercase(), self.domain.as_deref().unwrap_or(""))
    }
}

/// `wakapi.dev`, `waka.example.org`: letters, digits, dots and hyphens, with a dot.
fn is_hostname(host: &str) -> bool {
    host.len() <= 253
        && host.contains('.')
        // Not an IP address: the last label has a letter.
        && host.rsplit('.').next().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WakaLanguage {
    pub name: String,
    /// Share of the coding time, 0-100.
    pub percent: f64,
    /// WakaTime's own wording of the time, e.g. "12 hrs 5 mins".
    pub text: String,
    pub total_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WakaStats {
    pub username: String,
    /// Largest first.
    pub languages: Vec<WakaLanguage>,
    /// E.g. "34 hrs 12 mins"; None when the user hides it.
    pub total_text: Option<String>,
    /// E.g. "last_7_days".
    pub range: Option<String>,
    pub fetched_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_domains_are_checked() {
        let user = WakaUser::new("@Octo_Cat.1", Some("Wakapi.dev/")).unwrap();
        assert_eq!((user.name.as_str(), user.domain.as_deref()), ("Octo_Cat.1", Some("wakapi.dev")));
        assert_eq!(WakaUser::new("a b", None).unwrap_err().0, "username");
        for dots in [".", "..", "...", "@.."] {
            assert_eq!(WakaUser::new(dots, None).unwrap_err().0, "username", "{dots} is another path, not a user");
        }
        assert!(WakaUser::new("a.b", None).is_ok() && WakaUser::new(".a", None).is_ok());
        for domain in ["localhost", "127.0.0.1", "127.0.0.1:8080", "evil.com/x", "-a.com", "a..b"] {
            assert_eq!(WakaUser::new("octocat", Some(domain)).unwrap_err().0, "api_domain", "{domain}");
        }
        assert_eq!(WakaUser::new("octocat", Some("")).unwrap().domain, None);
    }
}
