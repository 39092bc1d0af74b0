//! Repositories and gists for their cards, through [`UpstreamCache`].

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::upstream::{Dated, Lookup, UpstreamCache};
use super::{StatsError, TtlPolicy, Waits};
use crate::clock::Clock;
use crate::domain::{CodeCard, GistId, RepoRef};
use crate::github::GitHubApi;

/// What a card is about.
#[derive(Debug, Clone, Copy)]
pub enum CodeKey<'a> {
    Repository(&'a RepoRef),
    Gist(&'a GistId),
}

impl CodeKey<'_> {
    fn cache_key(self) -> String {
        match self {
            CodeKey::Repository(repo) => format!("repo:{}", repo.key()),
            CodeKey::Gist(id) => format!("gist:{}", id.as_str()),
        }
    }

    /// How errors name it.
    pub fn describe(self) -> String {
        match self {
            CodeKey::Repository(repo) => format!("repository {repo}"),
            CodeKey::Gist(id) => format!("gist {}", id.as_str()),
        }
    }
}

impl Dated for CodeCard {
    fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    fn set_fetched_at(&mut self, at: DateTime<Utc>) {
        self.fetched_at = at;
    }
}

#[derive(Clone)]
pub struct CodeService {
    github: Arc<dyn GitHubApi>,
    cache: Arc<UpstreamCache<CodeCard>>,
}

impl CodeService {
    pub fn new(github: Arc<dyn GitHubApi>, policy: TtlPolicy, waits: Waits, max: u64, clock: Arc<dyn Clock>) -> Self {
        Self { github, cache: UpstreamCache::new(policy, waits, max, clock) }
    }

    pub async fn get(&self, key: CodeKey<'_>) -> Result<Lookup<CodeCard>, StatsError> {
        let github = self.github.clone();
        let fetch = match key {
            CodeKey::Repository(repo) => {
                let repo = repo.clone();
                futures_util::future::FutureExt::boxed(async move { github.fetch_repository(&repo).await })
            }
            CodeKey::Gist(id) => {
                let id = id.clone();
                futures_util::future::FutureExt::boxed(async move { github.fetch_gist(&id).await })
            }
        };
        self.cache.get(&key.cache_key(), &key.describe(), fetch).await
    }

    /// Whether answering costs no GitHub call.
    pub fn is_cached(&self, key: CodeKey<'_>) -> bool {
        self.cache.is_cached(&key.cache_key())
    }
}
