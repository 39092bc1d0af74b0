//! `compact`: the stats card of github-readme-stats' shape.

use super::user_card::{Title, UserCard};
use super::{CardData, CardKind, Output, Source};
use crate::domain::BannerType;
use crate::render::options::StatKey;
use crate::render::{BannerOptions, Pack, RenderError};

pub(super) struct Compact;

const CARD: UserCard = UserCard {
    kind: BannerType::Compact,
    items: &[
        StatKey::Stars,
        StatKey::Commits,
        StatKey::PullRequests,
        StatKey::Issues,
        StatKey::ContributedTo,
        StatKey::Forks,
    ],
    default_languages: |_| 0,
    title: Title::Label("stats_title"),
};

impl CardKind for Compact {
    fn title(&self) -> &'static str {
        "Stats card"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        super::spec::stats()
    }

    fn kind(&self) -> BannerType {
        BannerType::Compact
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
}
