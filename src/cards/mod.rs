//! Card kinds: the extension point for new cards.
//!
//! A card kind declares its subject and where its data comes from ([`Source`]), how it renders
//! (its own template context, from the data and the parsed options) and which option variants the
//! pack validator must try. Everything else (parsing the request, fetching, caching, PNG, ETags,
//! errors) is the image service's (`src/images/`) and is the same for every kind.
//!
//! # Adding a card kind
//!
//! 1. Name it: a variant in [`BannerType`] (`src/domain/banner.rs`: the name in URLs, stored
//!    banners and theme manifests).
//! 2. Write its module here (`src/cards/<name>.rs`) implementing [`CardKind`], and return it from
//!    [`kind`]. A kind whose data is not a user's stats adds a [`Source`] (and its fetcher in
//!    `src/images/sources.rs`) and [`CardData`] variant with sample data for every [`Sample`].
//! 3. Add its template `themes/default/<name>.svg.hbs` (and the size in
//!    `themes/default/theme.toml`); every pack that extends `default` then provides it, and pack
//!    validation renders it for every sample shape and variant.
//!
//! Nothing in `api/`, `banners/`, `main.rs` or `themes_cli.rs` changes: REST previews, stored
//! banners, GraphQL `preview` and the CLI all go through the image service.

mod code;
mod compact;
mod contributions;
mod languages;
pub mod spec;
mod user_card;
mod wakatime;
mod wide;

use std::sync::Arc;

use chrono::NaiveDate;

use crate::domain::{
    BannerType, CodeCard, ContributionYear, GistId, Login, PartialCount, PastYears, RepoRef, UserSnapshot, WakaStats,
    WakaUser,
};
use crate::render::{BannerOptions, Pack, RenderError, Sample, ThemeError};

/// Where a card kind's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A GitHub user's snapshot, through `StatsService` (cache, store, GitHub).
    UserStats,
    /// A repository, through `CodeService` (cache, GitHub).
    Repository,
    /// A gist, through `CodeService`.
    Gist,
    /// A WakaTime user, through `WakaService`.
    WakaTime,
    /// A GitHub user's contribution calendar, through `ContributionsService`.
    Contributions,
}

impl Source {
    /// The data this source gives for a sample shape (pack validation, gallery, CLI preview).
    pub fn sample(self, sample: Sample) -> CardData {
        match self {
            Source::UserStats => {
                CardData::User { snapshot: Arc::new(sample.snapshot()), stale: false, commits: None, partial: None }
            }
            Source::Repository | Source::Gist => CardData::Code { card: Arc::new(sample.code_card()), stale: false },
            Source::WakaTime => CardData::WakaTime { stats: Arc::new(sample.waka_stats()), stale: false },
            Source::Contributions => {
                let (login, years, today) = sample.contribution_years();
                let years: Arc<[Arc<ContributionYear>]> = years.into_iter().map(Arc::new).collect();
                let past = crate::domain::past_years_version(&years);
                CardData::Contributions { login, years, past, today, stale: false, counted_in: None }
            }
        }
    }
}

/// What a card is about.
#[derive(Debug, Clone)]
pub enum Subject {
    User(Login),
    Repository(RepoRef),
    Gist(GistId),
    WakaTime(WakaUser),
    /// Built-in sample data (the gallery, `themes preview`).
    Sample(Sample),
    /// Data given by the caller (`themes preview --stats FILE`).
    Given(CardData),
}

/// A subject's data, as a card kind renders it.
#[derive(Debug, Clone)]
pub enum CardData {
    User {
        snapshot: Arc<UserSnapshot>,
        /// Older than the soft TTL: the card may say so.
        stale: bool,
        /// Commits of the window the options ask for, when it is not the last 12 months.
        commits: Option<i64>,
        /// Set when the snapshot has only the repository pages fetched so far.
        partial: Option<PartialCount>,
    },
    /// A repository or a gist.
    Code {
        card: Arc<CodeCard>,
        stale: bool,
    },
    WakaTime {
        stats: Arc<WakaStats>,
        stale: bool,
    },
    /// A user's contribution years (current first), as of the reader's `today`.
    Contributions {
        login: String,
        years: Arc<[Arc<ContributionYear>]>,
        /// [`crate::domain::past_years_version`] of `years`.
        past: i64,
        today: NaiveDate,
        /// The current year is older than the soft TTL.
        stale: bool,
        /// The UTC offset (minutes east) the days are counted in, when it is not the reader's.
        counted_in: Option<i32>,
    },
}

impl CardData {
    /// Identifies the data for caching: equal versions render equal cards.
    pub fn version(&self) -> impl std::hash::Hash + '_ {
        match self {
            CardData::User { snapshot, stale, commits, partial } => (
                "user",
                snapshot.profile.login.as_str(),
                snapshot.fetched_at.timestamp_micros(),
                *stale,
                commits.unwrap_or(-1),
                partial.map(|p| p.counted),
            ),
            CardData::Code { card, stale } => {
                ("code", card.name.as_str(), card.fetched_at.timestamp_micros(), *stale, 0, None)
            }
            CardData::WakaTime { stats, stale } => {
                ("wakatime", stats.username.as_str(), stats.fetched_at.timestamp_micros(), *stale, 0, None)
            }
            // The current year's fetch, what the past years hold (they are reloaded from the
            // store unchanged), and the reader's date.
            CardData::Contributions { login, years, past, today, stale, counted_in } => (
                "contributions",
                login.as_str(),
                years.first().map_or(0, |y| y.fetched_at.timestamp_micros()),
                *stale,
                past.wrapping_mul(31)
                    .wrapping_add(i64::from(chrono::Datelike::num_days_from_ce(today)))
                    .wrapping_mul(1441)
                    .wrapping_add(i64::from(counted_in.map_or(0, |m| m + 721))),
                Some(years.len() as u32),
            ),
        }
    }

    /// Marks the data as older than the soft TTL (pack validation shows the stale line).
    pub fn set_stale(&mut self, value: bool) {
        match self {
            CardData::User { stale, .. }
            | CardData::Code { stale, .. }
            | CardData::WakaTime { stale, .. }
            | CardData::Contributions { stale, .. } => *stale = value,
        }
    }
}

/// What a kind makes of its template context: the card, or its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Svg,
    Json,
}

/// Version of the JSON shape (`format_version` in every JSON card); it follows the template
/// context's (`CONTEXT_VERSION`, documented in themes/README.md), which only ever gains fields.
pub const JSON_VERSION: u32 = 1;

/// The card drawn by `pack`'s `kind` template from `context`, or the context as JSON: everything
/// the card shows (texts, numbers, dates, languages with colours and shares), without the look
/// (`theme`).
pub(crate) fn finish<C: serde::Serialize>(
    pack: &Pack,
    kind: BannerType,
    context: &C,
    output: Output,
) -> Result<String, RenderError> {
    finish_without(pack, kind, context, output, &[])
}

/// [`finish`], leaving `geometry` (keys that only place things on the card) out of the JSON.
pub(crate) fn finish_without<C: serde::Serialize>(
    pack: &Pack,
    kind: BannerType,
    context: &C,
    output: Output,
    geometry: &[&str],
) -> Result<String, RenderError> {
    let failed = |message: String| RenderError::Template {
        theme: pack.name.clone(),
        template: format!("{}.svg.hbs", kind.as_str()),
        message,
    };
    match output {
        Output::Svg => pack.registry.render(kind.as_str(), context).map_err(|e| failed(e.to_string())),
        Output::Json => {
            let mut value = serde_json::to_value(context).map_err(|e| failed(e.to_string()))?;
            if let Some(fields) = value.as_object_mut() {
                fields.remove("theme");
                for key in geometry {
                    fields.remove(*key);
                }
                // Templates may read any number from `stats`; the card shows its `items` (minus
                // `hide`) and the repository count beside the rank, so only those are data here.
                if let Some(stats) = fields.get_mut("stats").and_then(|s| s.as_object_mut()) {
                    stats.retain(|key, _| key == "repositories");
                }
                fields.insert("format_version".to_owned(), JSON_VERSION.into());
            }
            serde_json::to_string(&value).map_err(|e| failed(e.to_string()))
        }
    }
}

/// One kind of card.
pub trait CardKind: Send + Sync + 'static {
    fn kind(&self) -> BannerType;

    /// Where its data comes from.
    fn source(&self) -> Source;

    /// The card for `data` in `pack`: its SVG, or what it shows as JSON (`format=json`: its
    /// template context without the theme); see [`finish`].
    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError>;

    /// The SVG of this card for `data`, in `pack`.
    fn render(&self, pack: &Pack, data: &CardData, options: &BannerOptions) -> Result<String, RenderError> {
        self.draw(pack, data, options, Output::Svg)
    }

    /// What the card shows, as JSON.
    fn json(&self, pack: &Pack, data: &CardData, options: &BannerOptions) -> Result<String, RenderError> {
        self.draw(pack, data, options, Output::Json)
    }

    /// What it is called on the builder page.
    fn title(&self) -> &'static str;

    /// The options it takes, for frontends (see [`spec`]).
    fn options(&self) -> Vec<spec::OptionSpec>;

    /// Contribution cards: the years before the current one the card shows.
    fn past_years(&self, options: &BannerOptions) -> PastYears {
        PastYears::From(options.contributions.starting_year)
    }

    /// The option sets pack validation renders every sample with (layouts, icons).
    fn variants(&self) -> Vec<BannerOptions> {
        vec![BannerOptions { show_icons: true, ..BannerOptions::default() }]
    }
}

/// The implementation of a kind.
pub fn kind(kind: BannerType) -> &'static dyn CardKind {
    match kind {
        BannerType::Wide => &wide::Wide,
        BannerType::Compact => &compact::Compact,
        BannerType::Languages => &languages::Languages,
        BannerType::Pin => &code::Pin,
        BannerType::Gist => &code::Gist,
        BannerType::Wakatime => &wakatime::WakaTime,
        BannerType::Streak => &contributions::Streak,
        BannerType::Calendar => &contributions::Calendar,
    }
}

/// Every kind the pack provides, with every sample shape and variant (and the stale marker on the
/// hostile sample), must render and parse as XML; the first failure names the template and sample.
pub fn validate_pack(pack: &Pack) -> Result<(), ThemeError> {
    for card in pack.types.iter().map(|t| kind(*t)) {
        let file = format!("{}/{}.svg.hbs", pack.name, card.kind().as_str());
        for sample in Sample::ALL {
            let mut data = card.source().sample(sample);
            data.set_stale(sample == Sample::Hostile);
            for options in card.variants() {
                let svg = card
                    .render(pack, &data, &options)
                    .map_err(|e| ThemeError::new(&pack.name, &file, format!("{e} (sample `{}`)", sample.name())))?;
                roxmltree::Document::parse(&svg).map_err(|e| {
                    ThemeError::new(
                        &pack.name,
                        &file,
                        format!(
                            "renders invalid SVG for sample `{}` (layout {}): {e}",
                            sample.name(),
                            options.layout.as_str()
                        ),
                    )
                })?;
            }
        }
    }
    crate::render::validate_error_template(pack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{DEFAULT_THEME, ThemeSet, png};

    /// A tester's name: Latin, emoji, Han and Arabic. The wide card drew everything after the
    /// emoji as missing-glyph boxes.
    const NAME: &str = "Zoë Ñandú 🦀✨ 李小龍 عربي";

    /// Every card kind, with the unicode sample (mixed scripts and emoji in names, bios,
    /// repositories, languages) and with the name above as its title (the wide card's name line),
    /// in a locale of every bundled script: the PNG draws a missing-glyph box only for a character
    /// no loaded font has (emoji on a host without an emoji font), never for one a font has. It
    /// drew boxes for the Han and Arabic after an emoji, for "PR" in Malayalam labels, for ASCII
    /// digits in Myanmar ones and for the dash between a streak's dates in Tamil.
    #[test]
    fn mixed_scripts_are_drawn_wherever_a_font_has_them() {
        let themes = ThemeSet::load(None, &|_: &Pack| -> Result<(), ThemeError> { Ok(()) });
        let pack = themes.get(DEFAULT_THEME).expect("the default pack loads");
        let mut failures = Vec::new();
        for card in pack.types.iter().map(|t| kind(*t)) {
            let data = card.source().sample(Sample::Unicode);
            for locale in ["en", "ml", "ta", "hi", "bn", "my", "th", "ar", "he", "ja", "ko", "zh-CN"] {
                for custom_title in [None, Some(NAME.to_owned())] {
                    let options = BannerOptions { locale, custom_title, ..BannerOptions::default() };
                    let svg = card.render(pack, &data, &options).expect("the card renders");
                    let boxed: String = png::boxes(&svg).into_iter().filter(|c| png::has_font_for(*c)).collect();
                    if !boxed.is_empty() {
                        failures.push(format!("{} in {locale}: {boxed}", card.kind().as_str()));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "characters a loaded font has, drawn as boxes:\n{}", failures.join("\n"));
    }
}
