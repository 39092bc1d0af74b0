//! `wide`: the profile banner: name, every stat and the top languages.

use super::user_card::{Title, UserCard};
use super::{CardData, CardKind, Source};
use crate::domain::BannerType;
use crate::render::options::StatKey;
use crate::render::{BannerOptions, Pack, RenderError};

pub(super) struct Wide;

const CARD: UserCard =
    UserCard { kind: BannerType::Wide, items: &StatKey::ALL, default_languages: |_| 6, title: Title::DisplayName };

impl CardKind for Wide {
    fn kind(&self) -> BannerType {
        BannerType::Wide
    }

    fn source(&self) -> Source {
        Source::UserStats
    }

    fn render(&self, pack: &Pack, data: &CardData, options: &BannerOptions) -> Result<String, RenderError> {
        CARD.render(pack, data, options)
    }
}
