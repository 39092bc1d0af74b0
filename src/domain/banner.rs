//! The kinds of banner the service renders, and the image formats it renders them in.

use std::str::FromStr;

/// A banner layout; each has one template per theme pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BannerType {
    /// Profile banner: name, key stats and top languages.
    Wide,
    /// Stats card.
    Compact,
    /// Top languages.
    Languages,
    /// A repository (github-readme-stats' pin card).
    Pin,
    /// A gist.
    Gist,
    /// A WakaTime user's coding time by language.
    Wakatime,
    /// Contribution streaks: total, current and longest.
    Streak,
    /// The contribution heatmap of a year, or the activity graph (`layout=graph`).
    Calendar,
}

impl BannerType {
    pub const ALL: [BannerType; 8] = [
        BannerType::Wide,
        BannerType::Compact,
        BannerType::Languages,
        BannerType::Pin,
        BannerType::Gist,
        BannerType::Wakatime,
        BannerType::Streak,
        BannerType::Calendar,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BannerType::Wide => "wide",
            BannerType::Compact => "compact",
            BannerType::Languages => "languages",
            BannerType::Pin => "pin",
            BannerType::Gist => "gist",
            BannerType::Wakatime => "wakatime",
            BannerType::Streak => "streak",
            BannerType::Calendar => "calendar",
        }
    }
}

impl FromStr for BannerType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| "must be one of wide, compact, languages, pin, gist, wakatime, streak, calendar".to_owned())
    }
}

/// An encoding a card is served in: an image, or the card's data as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Svg,
    Png,
    /// What the card shows, as data (`format=json`).
    Json,
}

impl ImageFormat {
    pub const ALL: [ImageFormat; 3] = [ImageFormat::Svg, ImageFormat::Png, ImageFormat::Json];

    /// The name in URLs and file extensions.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
            ImageFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Svg => "image/svg+xml; charset=utf-8",
            ImageFormat::Png => "image/png",
            ImageFormat::Json => "application/json; charset=utf-8",
        }
    }

    /// Text that compresses well (served gzip or brotli when accepted).
    pub fn is_text(self) -> bool {
        self != ImageFormat::Png
    }
}

impl FromStr for ImageFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| "must be svg, png or json".to_owned())
    }
}
