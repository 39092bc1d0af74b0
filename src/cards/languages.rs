//! `languages`: top languages by bytes, in four layouts.

use super::user_card::{Title, UserCard};
use super::{CardData, CardKind, Output, Source};
use crate::domain::BannerType;
use crate::render::{BannerOptions, LanguagesLayout, Pack, RenderError};

pub(super) struct Languages;

const CARD: UserCard = UserCard {
    kind: BannerType::Languages,
    items: &[],
    default_languages: |layout| match layout {
        LanguagesLayout::Donut | LanguagesLayout::Pie => 6,
        LanguagesLayout::Compact => 8,
        LanguagesLayout::Normal => 5,
    },
    title: Title::Label("languages_title"),
};

impl CardKind for Languages {
    fn title(&self) -> &'static str {
        "Top languages"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        super::spec::languages()
    }

    fn kind(&self) -> BannerType {
        BannerType::Languages
    }

    fn source(&self) -> Source {
        Source::UserStats
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        CARD.render(pack, data, options, output)
    }

    /// Every layout, with icons on the normal one.
    fn variants(&self) -> Vec<BannerOptions> {
        LanguagesLayout::ALL
            .into_iter()
            .map(|layout| BannerOptions {
                layout,
                show_icons: layout == LanguagesLayout::Normal,
                ..BannerOptions::default()
            })
            .collect()
    }
}
