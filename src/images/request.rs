//! A card request: kind, subject, options and format, parsed and validated once, whatever it came
//! from (a query string, a stored banner's options, GraphQL input, the CLI); each error names the
//! parameter.

use std::collections::HashMap;

use crate::cards::{Source, Subject};
use crate::domain::{BannerType, GistId, ImageFormat, Login, RepoRef, WakaUser};
use crate::render::{BannerOptions, OptionError};

/// Everything that decides what a card looks like.
#[derive(Debug, Clone)]
pub struct CardRequest {
    pub kind: BannerType,
    pub subject: Subject,
    pub options: BannerOptions,
    pub format: ImageFormat,
}

/// A request parsed from a URL, with the `max-age` the URL asked for (`cache_seconds`).
#[derive(Debug, Clone)]
pub struct UrlRequest {
    pub request: CardRequest,
    pub max_age: Option<u64>,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError { name, reason: reason.into() }
}

impl CardRequest {
    /// A request for `kind` about `subject`, whatever it came from; options only one kind takes
    /// are refused for another. PNGs have no animations (resvg draws the first frame, so the CSS
    /// that would play them is left out).
    pub fn new(
        kind: BannerType,
        subject: Subject,
        mut options: BannerOptions,
        format: ImageFormat,
    ) -> Result<Self, OptionError> {
        if options.contributions.graph && kind != BannerType::Calendar {
            return Err(invalid("layout", "graph is a layout of type=calendar"));
        }
        options.disable_animations |= format == ImageFormat::Png;
        Ok(Self { kind, subject, options, format })
    }

    /// From query-string style pairs (`username`, `type`, the options and `format`); `forced` is
    /// the format the path already says (`/banners/preview.png`).
    pub fn from_params(params: &HashMap<String, String>, forced: Option<ImageFormat>) -> Result<Self, OptionError> {
        let format = format(params, forced)?;
        let kind = kind(params)?;
        let subject = subject(kind, params)?;
        Self::new(kind, subject, BannerOptions::from_params(params)?, format)
    }
}

/// What a card of `kind` is about, from `username` (user cards), `repo` (`owner/name`, or a name
/// of `username`'s) or `id` (a gist).
pub fn subject(kind: BannerType, params: &HashMap<String, String>) -> Result<Subject, OptionError> {
    let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let login = || {
        let username = get("username").ok_or_else(|| invalid("username", "is required"))?;
        Login::parse(username).map_err(|e| invalid("username", e.to_string()))
    };
    match crate::cards::kind(kind).source() {
        Source::UserStats | Source::Contributions => Ok(Subject::User(login()?)),
        Source::Repository => {
            let repo = get("repo").ok_or_else(|| invalid("repo", "is required: owner/name"))?;
            let parsed = if repo.contains('/') { RepoRef::parse(repo) } else { RepoRef::new(login()?, repo) };
            parsed.map(Subject::Repository).map_err(|reason| invalid("repo", reason))
        }
        Source::Gist => {
            let id = get("id").ok_or_else(|| invalid("id", "is required: the gist's id"))?;
            GistId::parse(id).map(Subject::Gist).map_err(|reason| invalid("id", reason))
        }
        // A WakaTime username, which need not be a GitHub login.
        Source::WakaTime => {
            let name = get("username").ok_or_else(|| invalid("username", "is required: a WakaTime username"))?;
            WakaUser::new(name, get("api_domain"))
                .map(Subject::WakaTime)
                .map_err(|(name, reason)| invalid(name, reason))
        }
    }
}

/// `type=` (default `wide`).
pub fn kind(params: &HashMap<String, String>) -> Result<BannerType, OptionError> {
    match params.get("type").map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(BannerType::Wide),
        Some(t) => t.parse().map_err(|reason: String| invalid("type", reason)),
    }
}

/// `format=svg|png`, unless the path already said.
pub fn format(params: &HashMap<String, String>, forced: Option<ImageFormat>) -> Result<ImageFormat, OptionError> {
    if let Some(format) = forced {
        return Ok(format);
    }
    match params.get("format").map(|f| f.trim().to_ascii_lowercase()).filter(|f| !f.is_empty()) {
        None => Ok(ImageFormat::Svg),
        Some(f) => f.parse().map_err(|reason: String| invalid("format", reason)),
    }
}

/// Query pairs; a repeated parameter keeps its last value. Unknown ones are ignored so that
/// github-readme-stats URLs keep working.
pub fn query_pairs(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> HashMap<String, String> {
        query_pairs(Some(query))
    }

    #[test]
    fn every_error_names_its_parameter() {
        for (query, name) in [
            ("type=wide", "username"),
            ("username=a--b", "username"),
            ("username=octocat&type=huge", "type"),
            ("username=octocat&format=gif", "format"),
            ("username=octocat&border_radius=x", "border_radius"),
        ] {
            assert_eq!(CardRequest::from_params(&params(query), None).unwrap_err().name, name, "{query}");
        }
    }

    #[test]
    fn a_png_request_has_no_animations() {
        let request = CardRequest::from_params(&params("username=octocat"), Some(ImageFormat::Png)).unwrap();
        assert!(request.options.disable_animations);
        let svg = CardRequest::from_params(&params("username=%20octocat%20&format=SVG"), None).unwrap();
        assert!(!svg.options.disable_animations);
        assert!(matches!(svg.subject, Subject::User(login) if login.as_str() == "octocat"));
    }
}
