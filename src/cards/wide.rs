//! `wide`: the profile banner: name, every stat and the top languages.

use super::user_card::{Title, UserCard};
use super::{CardData, CardKind, Output, Source};
use crate::domain::BannerType;
use crate::render::options::StatKey;
use crate::render::{BannerOptions, Pack, RenderError};

pub(super) struct Wide;

const CARD: UserCard =
    UserCard { kind: BannerType::Wide, items: &WIDE_ITEMS, default_languages: |_| 6, title: Title::DisplayName };

/// Two columns of five: the profile's counters (`show` adds to a third column).
const WIDE_ITEMS: [StatKey; 9] = [
    StatKey::Stars,
    StatKey::Forks,
    StatKey::Repositories,
    StatKey::Followers,
    StatKey::Commits,
    StatKey::PullRequests,
    StatKey::Issues,
    StatKey::Reviews,
    StatKey::ContributedTo,
];

impl CardKind for Wide {
    fn title(&self) -> &'static str {
        "Profile banner"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        super::spec::stats()
    }

    fn kind(&self) -> BannerType {
        BannerType::Wide
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
