//! What the cards about a user's stats share: the template context built from the snapshot.

use crate::domain::{BannerType, StatsOptions, compute_excluding, weighted_language_shares};
use crate::render::options::StatKey;
use crate::render::{BannerContext, BannerData, BannerOptions, CardSpec, LanguagesLayout, Pack, RenderError};

use super::{CardData, Output, finish};

/// How one user-stats card differs from the others.
pub(super) struct UserCard {
    pub(super) kind: BannerType,
    /// The stats it shows, in order (minus `hide`).
    pub(super) items: &'static [StatKey],
    /// Languages shown without `langs_count`, by layout.
    pub(super) default_languages: fn(LanguagesLayout) -> usize,
    pub(super) title: Title,
}

pub(super) enum Title {
    DisplayName,
    Label(&'static str),
}

impl UserCard {
    pub(super) fn render(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        let CardData::User { snapshot, stale, commits, partial } = data else {
            return Err(RenderError::Template {
                theme: pack.name.clone(),
                template: format!("{}.svg.hbs", self.kind.as_str()),
                message: "this card shows a user's stats".to_owned(),
            });
        };
        let counted = StatsOptions { include_forks: options.include_forks };
        let mut stats = compute_excluding(snapshot, counted, &options.exclude_repos);
        if let Some(commits) = commits {
            stats.commits = *commits;
        }
        if let Some((size, count)) = options.language_weights {
            stats.languages = weighted_language_shares(snapshot, counted, &options.exclude_repos, size, count);
        }
        let data = BannerData { partial: *partial, ..BannerData::new(snapshot, stats, *stale) };
        let context = BannerContext::new(pack, self.kind, &data, options, &self.spec());
        finish(pack, self.kind, &context, output)
    }

    fn spec(&self) -> CardSpec {
        CardSpec {
            items: self.items,
            default_languages: self.default_languages,
            title_label: match self.title {
                Title::DisplayName => None,
                Title::Label(key) => Some(key),
            },
        }
    }
}
