//! Users: profile, stats, languages, repositories (a Relay connection read from the store), rank;
//! the `preview` query; `refreshUser`; the `statsUpdated` subscription.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::futures_util::{Stream, StreamExt};
use async_graphql::{Context, InputObject, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};

use super::{admit_login, admit_subject, payer, require_trusted, state};
use crate::api::AppError;
use crate::domain::{self, ImageFormat, Login, StatsOptions, UserSnapshot, ViewSubject, compute};
use crate::images::{CardRequest, SubjectFrom};
use crate::stats::Freshness;
use async_graphql::ErrorExtensions as _;

#[derive(Default)]
pub(super) struct UserQuery;

#[derive(Default)]
pub(super) struct UserMutation;

#[derive(Default)]
pub(super) struct UserSubscription;

/// Most items one page of `repositories` returns.
const MAX_REPOSITORIES_PAGE: i32 = 100;

fn parse_login(login: &str) -> async_graphql::Result<Login> {
    Login::parse(login.trim()).map_err(|e| AppError::InvalidParameter { name: "login", reason: e.to_string() }.extend())
}

/// A URL-style banner option, as on /banners/preview (`show_icons` = `true`).
#[derive(InputObject, Clone)]
pub(super) struct BannerOptionInput {
    pub name: String,
    pub value: String,
}

pub(super) fn options_map(options: Option<Vec<BannerOptionInput>>) -> HashMap<String, String> {
    options.unwrap_or_default().into_iter().map(|o| (o.name, o.value)).collect()
}

#[Object]
impl UserQuery {
    /// A GitHub user, from the cache, the store or GitHub (see the README for freshness).
    /// Costs 20 toward the complexity limit, and counts toward the distinct subjects per request.
    #[graphql(complexity = "20 + child_complexity")]
    async fn user(&self, ctx: &Context<'_>, login: String) -> async_graphql::Result<User> {
        let login = parse_login(&login)?;
        admit_login(ctx, &login)?;
        let lookup = state(ctx)?.images.user(&login, &payer(ctx)?).await.map_err(|e| AppError::from(e).extend())?;
        Ok(User { snapshot: lookup.snapshot, freshness: lookup.freshness })
    }

    /// A banner rendered on the fly, as SVG text; `options` as on /banners/preview. A whole render:
    /// costs 100 toward the complexity limit, and counts toward the distinct subjects per request.
    #[graphql(complexity = "100")]
    async fn preview(
        &self,
        ctx: &Context<'_>,
        login: String,
        #[graphql(name = "type", default_with = "String::from(\"wide\")")] banner_type: String,
        theme: Option<String>,
        options: Option<Vec<BannerOptionInput>>,
    ) -> async_graphql::Result<String> {
        let state = state(ctx)?;
        let mut params = options_map(options);
        if let Some(theme) = theme {
            params.insert("theme".to_owned(), theme);
        }
        // Repository and gist cards name their subject in options (`repo`, `id`).
        params.insert("username".to_owned(), login.trim().to_owned());
        params.insert("type".to_owned(), banner_type);
        let request = CardRequest::parse(&params, Some(ImageFormat::Svg), SubjectFrom::Params)
            .map_err(|refused| AppError::from(refused.error).extend())?;
        admit_subject(ctx, &request.subject)?;
        state.images.svg(&request, &payer(ctx)?).await.map_err(|e| AppError::from(e).extend())
    }
}

#[Object]
impl UserMutation {
    /// Fetches the user from GitHub now (API key; at most once a minute per user).
    #[graphql(complexity = "20 + child_complexity")]
    async fn refresh_user(&self, ctx: &Context<'_>, login: String) -> async_graphql::Result<User> {
        require_trusted(ctx)?;
        let login = parse_login(&login)?;
        admit_login(ctx, &login)?;
        let snapshot = state(ctx)?.stats.refresh_now(&login).await.map_err(|e| AppError::from(e).extend())?;
        Ok(User { snapshot, freshness: Freshness::Fresh })
    }
}

#[Subscription]
impl UserSubscription {
    /// The user's stats each time a refresh of that user completes.
    async fn stats_updated(&self, ctx: &Context<'_>, login: String) -> async_graphql::Result<impl Stream<Item = User>> {
        let login = parse_login(&login)?;
        let state = state(ctx)?;
        state.images.admit_login(&login).map_err(|e| AppError::from(e).extend())?;
        let key = login.key();
        let updates = state.stats.updates();
        let stream = async_graphql::futures_util::stream::unfold(updates, |mut updates| async move {
            loop {
                match updates.recv().await {
                    Ok(snapshot) => return Some((snapshot, updates)),
                    // A slow subscriber skips to the newest; it only needs the latest stats.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream
            .filter(move |s| std::future::ready(s.profile.login.eq_ignore_ascii_case(&key)))
            .map(|snapshot| User { snapshot, freshness: Freshness::Fresh }))
    }
}

pub(super) struct User {
    snapshot: Arc<UserSnapshot>,
    freshness: Freshness,
}

#[derive(SimpleObject)]
struct Stats {
    /// Owned public repositories counted (forks only with includeForks).
    repositories: i64,
    stars: i64,
    forks: i64,
    followers: i64,
    /// Last 12 months, like the GitHub profile.
    commits: i64,
    pull_requests: i64,
    issues: i64,
    reviews: i64,
    contributed_to: i64,
    /// All-time totals; null until the user is fetched again after an upgrade.
    all_time: Option<AllTimeStats>,
}

/// All-time totals (what github-readme-stats shows for pull requests and issues).
#[derive(SimpleObject)]
struct AllTimeStats {
    pull_requests: i64,
    merged_pull_requests: i64,
    issues: i64,
    discussions_started: i64,
    discussions_answered: i64,
}

#[derive(SimpleObject)]
struct Language {
    name: String,
    color: Option<String>,
    bytes: i64,
    /// Share of all counted bytes; the full list sums to 100.
    percent: f64,
}

#[derive(SimpleObject)]
struct Rank {
    /// S, A+, A, A-, B+, B, B-, C+ or C.
    level: String,
    /// Lower is better: estimated share of users ranking above.
    percentile: f64,
}

#[derive(SimpleObject)]
struct Repository {
    name: String,
    stars: i64,
    forks: i64,
    is_fork: bool,
    primary_language: Option<String>,
    pushed_at: Option<DateTime<Utc>>,
    languages: Vec<Language>,
}

#[derive(SimpleObject)]
struct RepositoryConnectionFields {
    /// Owned public repositories, forks included.
    total_count: i64,
}

#[Object]
impl User {
    async fn login(&self) -> &str {
        &self.snapshot.profile.login
    }
    async fn name(&self) -> Option<&str> {
        self.snapshot.profile.name.as_deref()
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.snapshot.profile.avatar_url.as_deref()
    }
    async fn bio(&self) -> Option<&str> {
        self.snapshot.profile.bio.as_deref()
    }
    async fn company(&self) -> Option<&str> {
        self.snapshot.profile.company.as_deref()
    }
    async fn location(&self) -> Option<&str> {
        self.snapshot.profile.location.as_deref()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.snapshot.profile.created_at
    }
    async fn followers(&self) -> i64 {
        self.snapshot.profile.followers
    }
    async fn following(&self) -> i64 {
        self.snapshot.profile.following
    }
    /// When GitHub was last asked.
    async fn fetched_at(&self) -> DateTime<Utc> {
        self.snapshot.fetched_at
    }
    /// True when the data is older than the soft TTL (a refresh is under way or GitHub failed).
    async fn stale(&self) -> bool {
        self.freshness != Freshness::Fresh
    }

    /// How often this user's cards were served (any route, stored banners included), on every
    /// replica together; batched: a list of users costs one store query.
    async fn views(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        super::views::count(ctx, ViewSubject::User, self.snapshot.profile.login.to_ascii_lowercase()).await
    }

    /// Contribution calendar and streaks with the days of `timezone` (IANA name, default UTC),
    /// every year from `startingYear` (default: the first with contributions). The first time
    /// costs one GitHub query per year with contributions, then one per refresh.
    #[graphql(complexity = "20 + child_complexity")]
    async fn contributions(
        &self,
        ctx: &Context<'_>,
        timezone: Option<String>,
        starting_year: Option<i32>,
    ) -> async_graphql::Result<super::contributions::Contributions> {
        let login = parse_login(&self.snapshot.profile.login)?;
        super::contributions::load(ctx, &login, timezone, starting_year).await
    }

    async fn stats(&self, #[graphql(default = false)] include_forks: bool) -> Stats {
        let s = compute(&self.snapshot, StatsOptions { include_forks });
        Stats {
            repositories: s.repositories,
            stars: s.stars,
            forks: s.forks,
            followers: s.followers,
            commits: s.commits,
            pull_requests: s.pull_requests,
            issues: s.issues,
            reviews: s.reviews,
            contributed_to: s.contributed_to,
            all_time: s.all_time.map(|a| AllTimeStats {
                pull_requests: a.pull_requests,
                merged_pull_requests: a.merged_pull_requests,
                issues: a.issues,
                discussions_started: a.discussions_started,
                discussions_answered: a.discussions_answered,
            }),
        }
    }

    /// Languages by bytes across counted repositories, largest first.
    async fn languages(
        &self,
        #[graphql(default = 10, validator(minimum = 1, maximum = 100))] limit: i32,
        #[graphql(default)] exclude_repositories: Vec<String>,
        #[graphql(default = false)] include_forks: bool,
    ) -> Vec<Language> {
        domain::language_shares_excluding(&self.snapshot, StatsOptions { include_forks }, &exclude_repositories)
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(10))
            .map(|l| Language { name: l.name, color: l.color, bytes: l.bytes, percent: l.percent })
            .collect()
    }

    async fn rank(&self, #[graphql(default = false)] include_forks: bool) -> Rank {
        let r = domain::rank(&compute(&self.snapshot, StatsOptions { include_forks }));
        Rank { level: r.level.to_owned(), percentile: r.percentile }
    }

    /// Owned public repositories, most starred first, from the store by cursor.
    async fn repositories(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Repository, RepositoryConnectionFields, EmptyFields>> {
        if !(1..=MAX_REPOSITORIES_PAGE).contains(&first) {
            return Err(AppError::InvalidParameter {
                name: "first",
                reason: format!("must be from 1 to {MAX_REPOSITORIES_PAGE}"),
            }
            .extend());
        }
        let after = after.as_deref().map(decode_repo_cursor).transpose()?;
        let login = parse_login(&self.snapshot.profile.login)?;
        let page = state(ctx)?
            .stats
            .repositories(&login, u64::try_from(first).unwrap_or(20), after)
            .await
            .map_err(|e| AppError::internal(e).extend())?;
        let total = i64::try_from(page.as_ref().map_or(0, |p| p.total)).unwrap_or(i64::MAX);
        // Forward-only pagination (`first`/`after`): `hasPreviousPage` is always false.
        let mut connection = Connection::with_additional_fields(
            false,
            page.as_ref().is_some_and(|p| p.has_next),
            RepositoryConnectionFields { total_count: total },
        );
        for repo in page.map(|p| p.items).unwrap_or_default() {
            let cursor = format!("{}~{}", repo.stars, repo.name);
            let languages = domain::language_shares(&repo.languages)
                .into_iter()
                .map(|l| Language { name: l.name, color: l.color, bytes: l.bytes, percent: l.percent })
                .collect();
            connection.edges.push(Edge::new(
                cursor,
                Repository {
                    name: repo.name,
                    stars: repo.stars,
                    forks: repo.forks,
                    is_fork: repo.is_fork,
                    primary_language: repo.primary_language,
                    pushed_at: repo.pushed_at,
                    languages,
                },
            ));
        }
        Ok(connection)
    }
}

fn decode_repo_cursor(cursor: &str) -> async_graphql::Result<(i64, String)> {
    let bad = || AppError::InvalidParameter { name: "after", reason: "not a cursor from this API".to_owned() }.extend();
    let (stars, name) = cursor.split_once('~').ok_or_else(bad)?;
    Ok((stars.parse().map_err(|_| bad())?, name.to_owned()))
}
