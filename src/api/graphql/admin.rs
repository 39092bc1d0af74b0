//! Admin-only fields: the token pool's state (never a token's value).

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{require_trusted, state};
use crate::github::TokenStatus;

#[derive(Default)]
pub(super) struct AdminQuery;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    Active,
    /// Rate limited until `parkedUntil`.
    Parked,
    /// Rejected by GitHub as bad credentials; rechecked at `recheckAt`.
    Disabled,
}

#[derive(SimpleObject)]
struct PoolToken {
    /// 1-based position in GITHUB_TOKENS.
    position: i32,
    state: TokenState,
    remaining: Option<i64>,
    limit: Option<i64>,
    reset_at: Option<DateTime<Utc>>,
    parked_until: Option<DateTime<Utc>>,
    /// When a rejected token is next tried again.
    recheck_at: Option<DateTime<Utc>>,
    /// Requests using it right now.
    in_flight: i32,
}

#[Object]
impl AdminQuery {
    /// The GitHub token pool (admin: needs an API key).
    async fn token_pool(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolToken>> {
        require_trusted(ctx)?;
        Ok(state(ctx)?
            .stats
            .token_pool()
            .into_iter()
            .map(|t| PoolToken {
                position: i32::try_from(t.position).unwrap_or(i32::MAX),
                state: match t.status {
                    TokenStatus::Active => TokenState::Active,
                    TokenStatus::Parked { .. } => TokenState::Parked,
                    TokenStatus::Disabled { .. } => TokenState::Disabled,
                },
                remaining: t.remaining,
                limit: t.limit,
                reset_at: t.reset_at,
                parked_until: match t.status {
                    TokenStatus::Parked { until } => Some(until),
                    _ => None,
                },
                recheck_at: match t.status {
                    TokenStatus::Disabled { recheck_at } => Some(recheck_at),
                    _ => None,
                },
                in_flight: i32::try_from(t.in_flight).unwrap_or(i32::MAX),
            })
            .collect())
    }
}
