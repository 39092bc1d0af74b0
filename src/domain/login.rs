//! GitHub login names, validated with GitHub's own rules before anything else sees them.

use std::fmt;

/// Why a string is not a valid GitHub login.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most 39 characters")]
    TooLong,
    #[error("may only contain ASCII letters, digits and single hyphens")]
    InvalidCharacter,
    #[error("must not start or end with a hyphen")]
    HyphenAtEnd,
    #[error("must not contain two hyphens in a row")]
    DoubleHyphen,
}

/// A syntactically valid GitHub login (1-39 ASCII alphanumerics or single inner hyphens).
///
/// GitHub logins are case-insensitive; `key()` is the lowercase form used for caches and the store,
/// while `as_str()` keeps the spelling the caller used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Login {
    raw: String,
    /// Lowercase: made once, looked up on every request.
    key: String,
}

impl Login {
    pub fn parse(raw: &str) -> Result<Self, LoginError> {
        if raw.is_empty() {
            return Err(LoginError::Empty);
        }
        if raw.len() > 39 {
            return Err(LoginError::TooLong);
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(LoginError::InvalidCharacter);
        }
        if raw.starts_with('-') || raw.ends_with('-') {
            return Err(LoginError::HyphenAtEnd);
        }
        if raw.contains("--") {
            return Err(LoginError::DoubleHyphen);
        }
        Ok(Self { raw: raw.to_owned(), key: raw.to_ascii_lowercase() })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Case-folded form: two spellings of one login share one key.
    pub fn key(&self) -> String {
        self.key.clone()
    }

    /// `key()` without allocating, for lookups.
    pub fn as_key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_githubs_valid_shapes() {
        for ok in ["a", "octocat", "Octo-Cat", "a1-b2-c3", &"x".repeat(39)] {
            assert!(Login::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_each_broken_rule_with_its_reason() {
        let cases = [
            ("", LoginError::Empty),
            (&"x".repeat(40) as &str, LoginError::TooLong),
            ("octo_cat", LoginError::InvalidCharacter),
            ("octo cat", LoginError::InvalidCharacter),
            ("../etc", LoginError::InvalidCharacter),
            ("ócta", LoginError::InvalidCharacter),
            ("-octo", LoginError::HyphenAtEnd),
            ("octo-", LoginError::HyphenAtEnd),
            ("oc--to", LoginError::DoubleHyphen),
        ];
        for (raw, want) in cases {
            assert_eq!(Login::parse(raw), Err(want), "{raw:?}");
        }
    }

    #[test]
    fn key_folds_case() {
        let a = Login::parse("OctoCat").unwrap();
        assert_eq!(a.key(), "octocat");
        assert_eq!(a.as_str(), "OctoCat");
    }
}
