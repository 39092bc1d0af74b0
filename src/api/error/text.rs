//! What a visitor is told of an error: a plain sentence for server errors (their cause is logged
//! instead), the error itself for client errors, and for PNG error cards a fixed text per error.

use super::AppError;

impl AppError {
    /// What a client is told: the error itself for client errors, a plain sentence for server
    /// errors (their cause is logged instead).
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() { self.public_text().1 } else { self.to_string() }
    }

    /// Title, message and hint for a visitor: never internals (5xx causes are logged instead).
    pub fn public_text(&self) -> (&'static str, String, Option<String>) {
        match self {
            AppError::MissingParameter { .. } | AppError::InvalidParameter { .. } => {
                ("Invalid request", self.to_string(), Some("Example: ?username=octocat&type=wide".to_owned()))
            }
            AppError::UserNotFound { .. } => ("User not found", self.to_string(), None),
            AppError::NotFound { .. } => ("Not found", self.to_string(), None),
            AppError::BannerNotFound { .. } => ("Banner not found", self.to_string(), None),
            AppError::Forbidden { .. } => ("Not shown here", self.to_string(), None),
            AppError::Unauthenticated | AppError::BadSignature(_) => ("Unauthenticated", self.to_string(), None),
            AppError::PayloadTooLarge { .. } => ("Request too large", self.to_string(), None),
            AppError::Throttled { .. } => ("Too many refreshes", self.to_string(), None),
            // The same card for every client and wait, so its PNG is drawn once.
            AppError::TooManyRequests { .. } => (
                "Too many requests",
                "This client sent too many requests.".to_owned(),
                Some("Try again in a moment.".to_owned()),
            ),
            AppError::ShareSpent { .. } => (
                "Needs a GitHub token",
                "This server has no usable GitHub token, and this client has used its share of the requests \
                 GitHub allows without one."
                    .to_owned(),
                Some("Try again later, or ask its operator to set GITHUB_TOKENS.".to_owned()),
            ),
            AppError::Busy { .. } => {
                ("Busy", "The server is busy drawing images.".to_owned(), Some("Try again in a moment.".to_owned()))
            }
            AppError::StillFetching { login } => (
                "Almost there",
                format!("GitHub is slow to answer for {login}."),
                Some("This card will be ready in a few seconds; reload then.".to_owned()),
            ),
            AppError::RateLimited { retry_at } => (
                "Rate limited",
                "GitHub's rate limit is used up for now.".to_owned(),
                Some(format!("Try again after {}.", retry_at.format("%H:%M UTC"))),
            ),
            AppError::Upstream(_) => ("GitHub unavailable", "GitHub could not be reached just now.".to_owned(), None),
            AppError::Unavailable { service, .. } => {
                ("Unavailable", format!("{service} could not be reached just now."), None)
            }
            AppError::NotConfigured => (
                "Not configured",
                "This server has no GitHub token configured.".to_owned(),
                Some("Its operator must set GITHUB_TOKENS=token1,token2 and restart.".to_owned()),
            ),
            AppError::TokensRejected { .. } => (
                "Server misconfigured",
                "GitHub rejected every token of this server; this is not your fault.".to_owned(),
                Some("Its operator must replace GITHUB_TOKENS.".to_owned()),
            ),
            AppError::NeedsToken { reason, .. } => (
                "Needs a GitHub token",
                reason.clone(),
                Some("Its operator can set GITHUB_TOKENS=token1,token2 to lift this.".to_owned()),
            ),
            AppError::Internal(_) => ("Server error", "Something went wrong on our side.".to_owned(), None),
        }
    }

    /// [`public_text`](Self::public_text) without anything a visitor wrote or that changes by
    /// the minute: what PNG error cards say, so each distinct one is drawn once.
    pub fn fixed_text(&self) -> (&'static str, String, Option<String>) {
        let fixed = |title: &'static str, message: &str| (title, message.to_owned(), None);
        match self {
            AppError::MissingParameter { name } | AppError::InvalidParameter { name, .. } => (
                "Invalid request",
                format!("`{name}` is missing or not valid here."),
                Some("The same URL as SVG says why.".to_owned()),
            ),
            AppError::UserNotFound { .. } => fixed("User not found", "GitHub has no user of this name."),
            AppError::NotFound { .. } => fixed("Not found", "GitHub has no such public repository or gist."),
            AppError::BannerNotFound { .. } => fixed("Banner not found", "There is no banner with this id."),
            AppError::Forbidden { .. } => fixed("Not shown here", "This instance does not show this user."),
            AppError::Throttled { .. } => fixed("Too many requests", "Too many requests for this; try again later."),
            AppError::StillFetching { .. } => (
                "Almost there",
                "GitHub is slow to answer.".to_owned(),
                Some("This card will be ready in a few seconds; reload then.".to_owned()),
            ),
            AppError::RateLimited { .. } => (
                "Rate limited",
                "GitHub's rate limit is used up for now.".to_owned(),
                Some("Try again later.".to_owned()),
            ),
            AppError::NeedsToken { .. } => (
                "Needs a GitHub token",
                "This card needs a GitHub token, which this server has not got.".to_owned(),
                Some("Its operator can set GITHUB_TOKENS=token1,token2 to lift this.".to_owned()),
            ),
            AppError::BadSignature(_) => fixed("Unauthenticated", "The request's signature is not valid."),
            // The rest say nothing a visitor chose.
            _ => self.public_text(),
        }
    }
}
