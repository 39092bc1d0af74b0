//! What views are counted for.

/// A counted subject: a user (any card of theirs) or one stored banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewSubject {
    User,
    Banner,
}

impl ViewSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            ViewSubject::User => "user",
            ViewSubject::Banner => "banner",
        }
    }
}
