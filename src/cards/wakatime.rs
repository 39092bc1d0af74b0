//! `wakatime`: a WakaTime user's coding time by language (github-readme-stats' `/api/wakatime`).

use super::{CardData, CardKind, Output, Source, finish};
use crate::domain::BannerType;
use crate::render::{BannerOptions, DisplayFormat, LanguagesLayout, Pack, RenderError, WakaContext};

pub(super) struct WakaTime;

impl CardKind for WakaTime {
    fn title(&self) -> &'static str {
        "WakaTime"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        let mut o = vec![
            super::spec::choice("layout", &["normal", "compact"], "Rows or one bar"),
            super::spec::choice("display_format", &["time", "percent"], "Time or share"),
            super::spec::number("langs_count", 1, 20, None, "Languages shown"),
            super::spec::flag("hide_progress", "No bars"),
            super::spec::flag("hide_title", "No title"),
        ];
        o.extend(super::spec::common());
        o
    }

    fn kind(&self) -> BannerType {
        BannerType::Wakatime
    }

    fn source(&self) -> Source {
        Source::WakaTime
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        draw(pack, data, options, output)
    }

    /// Both layouts, with and without bars, in both formats.
    fn variants(&self) -> Vec<BannerOptions> {
        let normal = BannerOptions::default();
        vec![
            BannerOptions { display_format: DisplayFormat::Percent, ..normal.clone() },
            BannerOptions { hide_progress: true, ..normal.clone() },
            BannerOptions { layout: LanguagesLayout::Compact, ..normal.clone() },
            BannerOptions { layout: LanguagesLayout::Compact, hide_progress: true, ..normal },
        ]
    }
}

fn draw(pack: &Pack, data: &CardData, options: &BannerOptions, output: Output) -> Result<String, RenderError> {
    let CardData::WakaTime { stats, stale } = data else {
        return Err(RenderError::Template {
            theme: pack.name.clone(),
            template: "wakatime.svg.hbs".to_owned(),
            message: "this card shows WakaTime stats".to_owned(),
        });
    };
    finish(pack, BannerType::Wakatime, &WakaContext::new(pack, stats, *stale, options), output)
}
