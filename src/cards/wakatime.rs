//! `wakatime`: a WakaTime user's coding time by language (github-readme-stats' `/api/wakatime`).

use super::{CardData, CardKind, Source};
use crate::domain::BannerType;
use crate::render::{BannerOptions, DisplayFormat, LanguagesLayout, Pack, RenderError, WakaContext};

pub(super) struct WakaTime;

impl CardKind for WakaTime {
    fn kind(&self) -> BannerType {
        BannerType::Wakatime
    }

    fn source(&self) -> Source {
        Source::WakaTime
    }

    fn render(&self, pack: &Pack, data: &CardData, options: &BannerOptions) -> Result<String, RenderError> {
        let template = "wakatime.svg.hbs".to_owned();
        let CardData::WakaTime { stats, stale } = data else {
            return Err(RenderError::Template {
                theme: pack.name.clone(),
                template,
                message: "this card shows WakaTime stats".to_owned(),
            });
        };
        let context = WakaContext::new(pack, stats, *stale, options);
        pack.registry.render(BannerType::Wakatime.as_str(), &context).map_err(|e| RenderError::Template {
            theme: pack.name.clone(),
            template,
            message: e.to_string(),
        })
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
