//! Which logins an instance shows: an optional allow-list (an instance that serves only its
//! owner) and a block-list, both case-insensitive like GitHub logins.

use std::collections::HashSet;

use super::Login;

#[derive(Debug, Clone, Default)]
pub struct LoginPolicy {
    /// None: everyone not blocked.
    allowed: Option<HashSet<String>>,
    blocked: HashSet<String>,
}

impl LoginPolicy {
    /// An empty `allowed` list means "no allow-list".
    pub fn new(allowed: &[String], blocked: &[String]) -> Self {
        let keys = |list: &[String]| -> HashSet<String> {
            list.iter().map(|l| l.trim().to_ascii_lowercase()).filter(|l| !l.is_empty()).collect()
        };
        let allowed = keys(allowed);
        Self { allowed: (!allowed.is_empty()).then_some(allowed), blocked: keys(blocked) }
    }

    pub fn permits(&self, login: &Login) -> bool {
        let key = login.as_key();
        !self.blocked.contains(key) && self.allowed.as_ref().is_none_or(|allowed| allowed.contains(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(name: &str) -> Login {
        Login::parse(name).unwrap()
    }

    #[test]
    fn an_allow_list_admits_only_its_logins_in_any_case() {
        let policy = LoginPolicy::new(&["Octocat".to_owned()], &[]);
        assert!(policy.permits(&login("octocat")));
        assert!(policy.permits(&login("OCTOCAT")));
        assert!(!policy.permits(&login("someone")));
    }

    #[test]
    fn blocked_logins_are_refused_even_when_allowed() {
        let policy = LoginPolicy::new(&["a".to_owned(), "b".to_owned()], &["B".to_owned()]);
        assert!(policy.permits(&login("a")));
        assert!(!policy.permits(&login("b")));
        assert!(LoginPolicy::new(&[], &["spam".to_owned()]).permits(&login("anyone")));
        assert!(LoginPolicy::default().permits(&login("anyone")));
    }
}
