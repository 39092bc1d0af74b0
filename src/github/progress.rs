//! What a fetch of one user has so far: a request that cannot wait for every repository page
//! answers from the pages that have arrived, while the fetch goes on. It also carries who pays
//! for the fetch's requests without a token, when that is limited.

use std::sync::{Arc, Mutex};

use super::GitHubError;
use crate::domain::{RepoSnapshot, UserSnapshot};

/// A share of the requests GitHub allows without a token (60 an hour for the whole server): a
/// visitor's, so that one visitor cannot spend everyone's.
pub trait AnonymousShare: Send + Sync {
    /// Takes `requests` from the share, before they are sent; refused when it is spent.
    fn take(&self, requests: u32) -> Result<(), GitHubError>;
}

/// Shared between the fetch (which writes) and the callers waiting on it (which read).
#[derive(Clone, Default)]
pub struct FetchProgress {
    so_far: Arc<Mutex<Option<SoFar>>>,
    /// None: not limited (background refreshes, the CLI).
    share: Option<Arc<dyn AnonymousShare>>,
}

struct SoFar {
    snapshot: UserSnapshot,
    total_repositories: usize,
}

/// A user with only some of their repositories counted.
#[derive(Debug, Clone)]
pub struct PartialUser {
    pub snapshot: UserSnapshot,
    /// How many repositories GitHub says the user owns (`snapshot.repositories` has fewer).
    pub total_repositories: usize,
}

impl FetchProgress {
    /// Progress of a fetch whose token-less requests come out of `share`.
    pub fn paid_by(share: Option<Arc<dyn AnonymousShare>>) -> Self {
        Self { so_far: Arc::default(), share }
    }

    /// Takes `requests` from the payer's share of the token-less budget, if it has one.
    pub(crate) fn take_anonymous(&self, requests: u32) -> Result<(), GitHubError> {
        self.share.as_ref().map_or(Ok(()), |share| share.take(requests))
    }

    /// The first page is in: the profile, counters and first repositories.
    pub(crate) fn started(&self, snapshot: &UserSnapshot, total_repositories: usize) {
        *self.lock() = Some(SoFar { snapshot: snapshot.clone(), total_repositories });
    }

    /// Another page of repositories is in.
    pub(crate) fn add(&self, repositories: &[RepoSnapshot]) {
        if let Some(so_far) = self.lock().as_mut() {
            so_far.snapshot.repositories.extend_from_slice(repositories);
        }
    }

    /// What has arrived, when the first page has and more are due; None otherwise.
    pub fn so_far(&self) -> Option<PartialUser> {
        let guard = self.lock();
        let so_far = guard.as_ref()?;
        (so_far.snapshot.repositories.len() < so_far.total_repositories)
            .then(|| PartialUser { snapshot: so_far.snapshot.clone(), total_repositories: so_far.total_repositories })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SoFar>> {
        self.so_far.lock().unwrap_or_else(|p| p.into_inner())
    }
}
