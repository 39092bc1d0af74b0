//! The one card request: kind, subject, options and format, built by [`CardRequest::parse`] from
//! parameters in our names, whatever front door they came through (our query strings,
//! github-readme-stats' and streak-stats' translated ones, a stored banner's options, GraphQL
//! arguments, the CLI, the gallery). Each error names the parameter, and carries the [`Look`] the
//! request asked for, so that its error card comes in that theme and format.

use std::collections::HashMap;

use crate::cards::{CardData, Source, Subject};
use crate::domain::{BannerType, GistId, ImageFormat, Login, RepoRef, WakaUser};
use crate::render::options::{parse_scheme, parse_theme};
use crate::render::{BannerOptions, DEFAULT_THEME, DarkTheme, OptionError, Sample, Scheme};

use super::grs::{self, GrsCard};
use super::streak_stats;

/// Everything that decides what a card looks like.
#[derive(Debug, Clone)]
pub struct CardRequest {
    pub kind: BannerType,
    pub subject: Subject,
    pub options: BannerOptions,
    pub format: ImageFormat,
}

/// Where a card's subject comes from.
#[derive(Debug, Clone)]
pub enum SubjectFrom {
    /// `username`, `repo` or `id` among the parameters, as the kind's source needs.
    Params,
    /// Built-in sample data (the gallery, `themes preview`).
    Sample(Sample),
    /// Data the caller brings (`themes preview --stats FILE`).
    Given(CardData),
}

/// How an answer looks: the theme (with its dark pair) and the format. Worked out leniently even
/// for a refused request, so its error card is drawn as the card would have been.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub theme: String,
    pub dark: Option<DarkTheme>,
    pub scheme: Option<Scheme>,
    pub format: ImageFormat,
}

impl Default for Look {
    fn default() -> Self {
        Self { theme: DEFAULT_THEME.to_owned(), dark: None, scheme: None, format: ImageFormat::Svg }
    }
}

impl Look {
    /// The look `params` ask for in `format`: what of it parses, the default for the rest.
    pub fn from_params(params: &HashMap<String, String>, format: ImageFormat) -> Self {
        let get = |name: &str| params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let (theme, dark) = get("theme")
            .and_then(|t| parse_theme(&t.to_ascii_lowercase()).ok())
            .unwrap_or_else(|| (DEFAULT_THEME.to_owned(), None));
        let scheme = get("scheme").and_then(|s| parse_scheme(s).ok()).flatten();
        Self { theme, dark, scheme, format }
    }

    /// The same look in another format.
    pub fn in_format(&self, format: ImageFormat) -> Self {
        Self { format, ..self.clone() }
    }
}

/// A request refused while it was read, with the look of its error card.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct Refused {
    pub error: OptionError,
    pub look: Look,
}

/// A request parsed from a URL, with the `max-age` the URL asked for (`cache_seconds`).
#[derive(Debug, Clone)]
pub struct UrlRequest {
    pub request: CardRequest,
    pub max_age: Option<u64>,
}

/// A route that takes its card request from the query string, in whichever service's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlRoute {
    /// `/banners/preview`, with the format the path forces (`/banners/preview.png`).
    Ours(Option<ImageFormat>),
    /// A github-readme-stats route.
    Grs(GrsCard),
    /// github-readme-streak-stats' `/?user=`.
    StreakStats,
}

fn invalid(name: &'static str, reason: impl Into<String>) -> OptionError {
    OptionError { name, reason: reason.into() }
}

impl UrlRequest {
    /// Roughly the memory this request holds (its size and the text its options keep), for
    /// caches bounded by bytes.
    pub fn weight(&self) -> u32 {
        let text = |s: &String| s.len() + 24;
        let o = &self.request.options;
        let colours = [&o.title_color, &o.text_color, &o.icon_color, &o.border_color, &o.ring_color];
        let heap = text(&o.theme)
            + colours.iter().filter_map(|c| c.as_ref()).map(text).sum::<usize>()
            + o.custom_title.as_ref().map_or(0, text)
            + o.hide_languages.iter().chain(&o.exclude_repos).map(|s| text(s) + 32).sum::<usize>()
            + text(&o.contributions.date_format)
            + match &o.background {
                Some(crate::render::options::Background::Gradient { colors, .. }) => colors.iter().map(text).sum(),
                _ => 32,
            };
        u32::try_from(std::mem::size_of::<Self>() + heap).unwrap_or(u32::MAX)
    }

    /// The request a query string stands for on `route`; `installed` says whether a theme name
    /// selects a pack (the other services fall back to their default theme for unknown names).
    pub fn parse(
        route: UrlRoute,
        params: &HashMap<String, String>,
        installed: impl Fn(&str) -> bool,
    ) -> Result<Self, Refused> {
        let translated = match route {
            UrlRoute::Ours(forced) => Ok((None, forced)),
            UrlRoute::Grs(card) => {
                grs::translate(card, params, installed).map(|(ours, max_age)| (Some((ours, max_age)), None))
            }
            UrlRoute::StreakStats => streak_stats::translate(params, installed).map(|ours| (Some((ours, None)), None)),
        };
        let format_of = |params: &HashMap<String, String>| match route {
            UrlRoute::Ours(forced) => format(params, forced).unwrap_or(ImageFormat::Svg),
            UrlRoute::Grs(_) => grs::format_of(params),
            UrlRoute::StreakStats => streak_stats::format_of(params),
        };
        match translated {
            Err(error) => Err(Refused { error, look: Look::from_params(params, format_of(params)) }),
            Ok((None, forced)) => {
                Ok(Self { request: CardRequest::parse(params, forced, SubjectFrom::Params)?, max_age: None })
            }
            Ok((Some((ours, max_age)), _)) => {
                let request = CardRequest::parse(&ours, Some(format_of(params)), SubjectFrom::Params)?;
                Ok(Self { request, max_age })
            }
        }
    }
}

impl CardRequest {
    /// The one way a card request is made: from parameters in our names (`type`, `username`,
    /// `repo`, `id`, the options and `format`); `forced` is the format the front door already
    /// decided (a `.png` path), `from` where the subject comes from.
    pub fn parse(
        params: &HashMap<String, String>,
        forced: Option<ImageFormat>,
        from: SubjectFrom,
    ) -> Result<Self, Refused> {
        let build = || {
            let format = format(params, forced)?;
            let kind = kind(params)?;
            let subject = match from {
                SubjectFrom::Params => subject(kind, params)?,
                SubjectFrom::Sample(sample) => Subject::Sample(sample),
                SubjectFrom::Given(data) => Subject::Given(data),
            };
            Self::new(kind, subject, BannerOptions::from_params(params)?, format)
        };
        build().map_err(|error| {
            let format = format(params, forced).unwrap_or(ImageFormat::Svg);
            Refused { error, look: Look::from_params(params, format) }
        })
    }

    /// Options only one kind takes are refused for another. PNGs have no animations (resvg
    /// draws the first frame, so the CSS that would play them is left out).
    fn new(
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

    /// The look of this request's answers (and of its error cards).
    pub fn look(&self) -> Look {
        Look {
            theme: self.options.theme.clone(),
            dark: self.options.dark_theme.clone(),
            scheme: self.options.scheme,
            format: self.format,
        }
    }
}

/// What a card of `kind` is about, from `username` (user cards), `repo` (`owner/name`, or a name
/// of `username`'s) or `id` (a gist).
fn subject(kind: BannerType, params: &HashMap<String, String>) -> Result<Subject, OptionError> {
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
fn kind(params: &HashMap<String, String>) -> Result<BannerType, OptionError> {
    match params.get("type").map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(BannerType::Wide),
        Some(t) => t.parse().map_err(|reason: String| invalid("type", reason)),
    }
}

/// `format=svg|png|json`, unless the path already said.
fn format(params: &HashMap<String, String>, forced: Option<ImageFormat>) -> Result<ImageFormat, OptionError> {
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

    fn parse(query: &str, forced: Option<ImageFormat>) -> Result<CardRequest, Refused> {
        CardRequest::parse(&params(query), forced, SubjectFrom::Params)
    }

    #[test]
    fn every_error_names_its_parameter() {
        for (query, name) in [
            ("type=wide", "username"),
            ("username=a--b", "username"),
            ("username=octocat&type=huge", "type"),
            ("username=octocat&format=gif", "format"),
            ("username=octocat&border_radius=x", "border_radius"),
            ("username=octocat&type=wide&layout=graph", "layout"),
        ] {
            assert_eq!(parse(query, None).unwrap_err().error.name, name, "{query}");
        }
    }

    #[test]
    fn a_refused_request_keeps_the_theme_pair_and_format_it_asked_for() {
        let refused = parse("username=octocat&theme=github-light,dracula&hide=nope&format=png", None).unwrap_err();
        assert_eq!(refused.error.name, "hide");
        assert_eq!(refused.look.theme, "github-light");
        assert_eq!(refused.look.dark, Some(DarkTheme::Named("dracula".to_owned())));
        assert_eq!(refused.look.format, ImageFormat::Png);
        let paired = parse("username=octocat&theme=nord,auto&hide=nope", None).unwrap_err();
        assert_eq!((paired.look.theme.as_str(), paired.look.dark), ("nord", Some(DarkTheme::Paired)));
        let broken = parse("username=octocat&theme=../x&format=gif", None).unwrap_err();
        assert_eq!(broken.look, Look::default(), "what does not parse takes the default");
    }

    #[test]
    fn a_png_request_has_no_animations() {
        let request = parse("username=octocat", Some(ImageFormat::Png)).unwrap();
        assert!(request.options.disable_animations);
        let svg = parse("username=%20octocat%20&format=SVG", None).unwrap();
        assert!(!svg.options.disable_animations);
        assert!(matches!(svg.subject, Subject::User(login) if login.as_str() == "octocat"));
    }

    #[test]
    fn other_services_urls_become_the_same_request_as_ours() {
        let installed = |t: &str| ["default", "dark", "nord"].contains(&t);
        let grs = UrlRequest::parse(UrlRoute::Grs(GrsCard::Pin), &params("username=a&repo=b&theme=nord"), installed);
        let grs = grs.unwrap().request;
        assert_eq!(grs.kind, BannerType::Pin);
        assert!(matches!(grs.subject, Subject::Repository(repo) if repo.to_string() == "a/b"));
        let refused =
            UrlRequest::parse(UrlRoute::Grs(GrsCard::Stats), &params("theme=nord&format=png"), installed).unwrap_err();
        assert_eq!((refused.error.name, refused.look.theme.as_str()), ("username", "nord"));
        assert_eq!(refused.look.format, ImageFormat::Png);
        let streak = UrlRequest::parse(UrlRoute::StreakStats, &params("theme=dark&mode=hourly&type=png"), installed)
            .unwrap_err();
        assert_eq!(
            (streak.error.name, streak.look.theme.as_str(), streak.look.format),
            ("user", "dark", ImageFormat::Png)
        );
    }

    #[test]
    fn a_long_url_keeps_little_once_parsed() {
        let junk: String = (0..3000).map(|i| format!("&x{i}=abcdefghijklmnop")).collect();
        let query = format!("username=octocat&custom_title={}{junk}", "t".repeat(100));
        assert!(query.len() > 60_000);
        let parsed = UrlRequest::parse(UrlRoute::Ours(None), &params(&query), |_| true).unwrap();
        assert!(parsed.weight() < 2_048, "{} bytes for a {} byte URL", parsed.weight(), query.len());
    }
}
