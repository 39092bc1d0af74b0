//! Repositories and gists as their cards show them, and how a URL names them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Login;

/// `owner/name` of a repository, checked the way GitHub names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoRef {
    pub owner: Login,
    pub name: String,
}

impl RepoRef {
    pub fn new(owner: Login, name: &str) -> Result<Self, String> {
        let valid = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if valid {
            Ok(Self { owner, name: name.to_owned() })
        } else {
            Err(format!("`{name}` is not a repository name (letters, digits, `-`, `_` and `.`)"))
        }
    }

    /// `owner/name`.
    pub fn parse(full: &str) -> Result<Self, String> {
        let (owner, name) = full.trim().split_once('/').ok_or_else(|| "must be owner/name".to_owned())?;
        let owner = Login::parse(owner).map_err(|e| e.to_string())?;
        Self::new(owner, name)
    }

    /// Lower case: GitHub resolves names case-insensitively, so the cache does too.
    pub fn key(&self) -> String {
        format!("{}/{}", self.owner.as_str().to_ascii_lowercase(), self.name.to_ascii_lowercase())
    }
}

impl fmt::Display for RepoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner.as_str(), self.name)
    }
}

/// A gist id: hex digits as GitHub makes them (older gists have decimal ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GistId(String);

impl GistId {
    pub fn parse(id: &str) -> Result<Self, String> {
        let id = id.trim();
        if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(id.to_ascii_lowercase()))
        } else {
            Err(format!("`{id}` is not a gist id (hex digits)"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a repository or gist card shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeCard {
    /// The owner's login, as GitHub spells it.
    pub owner: String,
    /// Repository name, or a gist's first file name.
    pub name: String,
    pub description: Option<String>,
    /// Primary language and its colour.
    pub language: Option<String>,
    pub language_color: Option<String>,
    pub stars: i64,
    pub forks: i64,
    pub archived: bool,
    pub template: bool,
    pub fetched_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_checked() {
        let repo = RepoRef::parse("Octo-Org/hello.world_2").unwrap();
        assert_eq!((repo.owner.as_str(), repo.name.as_str()), ("Octo-Org", "hello.world_2"));
        assert_eq!(repo.key(), "octo-org/hello.world_2");
        for bad in ["octocat", "octocat/", "/x", "octocat/a b", "octocat/..", "a--b/x", "octocat/<x>"] {
            assert!(RepoRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gist_ids_are_hex() {
        assert_eq!(
            GistId::parse(" BBFCE31E0217A3689C8D961A356CB10D ").unwrap().as_str(),
            "bbfce31e0217a3689c8d961a356cb10d"
        );
        assert!(GistId::parse("../etc").is_err());
        assert!(GistId::parse("").is_err());
    }
}
