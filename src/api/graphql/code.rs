//! Public repositories and gists, as their cards show them (the data of `pin` and `gist` cards).

use async_graphql::{Context, ErrorExtensions as _, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{admit_subject, payer, state};
use crate::api::AppError;
use crate::cards::Subject;
use crate::domain::{CodeCard, GistId, Login, RepoRef};
use crate::images::ImageError;
use crate::stats::{CodeKey, Freshness, StatsError};

#[derive(Default)]
pub(super) struct CodeQuery;

/// A public repository or gist as its card shows it.
#[derive(SimpleObject)]
struct CodeObject {
    /// The owner's login, as GitHub spells it.
    owner: String,
    /// The repository's name, or the gist's first file name.
    name: String,
    description: Option<String>,
    /// The primary language (for a gist: the one most of its bytes are in).
    language: Option<String>,
    language_color: Option<String>,
    stars: i64,
    forks: i64,
    archived: bool,
    template: bool,
    /// When GitHub was last asked.
    fetched_at: DateTime<Utc>,
    /// True when older than the soft TTL (a refresh is under way or GitHub failed).
    stale: bool,
}

impl CodeObject {
    fn new(card: &CodeCard, freshness: Freshness) -> Self {
        Self {
            owner: card.owner.clone(),
            name: card.name.clone(),
            description: card.description.clone(),
            language: card.language.clone(),
            language_color: card.language_color.clone(),
            stars: card.stars,
            forks: card.forks,
            archived: card.archived,
            template: card.template,
            fetched_at: card.fetched_at,
            stale: freshness != Freshness::Fresh,
        }
    }
}

async fn lookup(ctx: &Context<'_>, key: CodeKey<'_>) -> async_graphql::Result<Option<CodeObject>> {
    match state(ctx)?.images.code(key, &payer(ctx)?).await {
        Ok(found) => Ok(Some(CodeObject::new(&found.value, found.freshness))),
        Err(ImageError::Code { error: StatsError::GitHub(crate::github::GitHubError::NotFound), .. }) => Ok(None),
        Err(error) => Err(AppError::from(error).extend()),
    }
}

#[Object]
impl CodeQuery {
    /// A public repository of any owner (organisations included); null when GitHub has none or
    /// it is private. Costs 20 toward the complexity limit, and counts toward the distinct subjects.
    #[graphql(complexity = "20")]
    async fn repository(
        &self,
        ctx: &Context<'_>,
        owner: String,
        name: String,
    ) -> async_graphql::Result<Option<CodeObject>> {
        let invalid = |reason: String| AppError::InvalidParameter { name: "repository", reason }.extend();
        let owner = Login::parse(owner.trim()).map_err(|e| invalid(e.to_string()))?;
        let repo = RepoRef::new(owner, name.trim()).map_err(invalid)?;
        admit_subject(ctx, &Subject::Repository(repo.clone()))?;
        lookup(ctx, CodeKey::Repository(&repo)).await
    }

    /// A public gist by id; null when GitHub has none. Costs 20 toward the complexity limit, and
    /// counts toward the distinct subjects.
    #[graphql(complexity = "20")]
    async fn gist(&self, ctx: &Context<'_>, id: String) -> async_graphql::Result<Option<CodeObject>> {
        let id = GistId::parse(&id).map_err(|reason| AppError::InvalidParameter { name: "id", reason }.extend())?;
        admit_subject(ctx, &Subject::Gist(id.clone()))?;
        lookup(ctx, CodeKey::Gist(&id)).await
    }
}
