//! Typed GitHub GraphQL v4 operations, checked against GitHub's public schema at compile time.

#![allow(clippy::upper_case_acronyms, unreachable_pub)]

use graphql_client::GraphQLQuery;

type DateTime = chrono::DateTime<chrono::Utc>;
#[allow(clippy::upper_case_acronyms)]
type URI = String;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/user_stats.graphql",
    response_derives = "Debug"
)]
pub struct UserStats;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/user_repositories.graphql",
    response_derives = "Debug"
)]
pub struct UserRepositories;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/rate_limit.graphql",
    response_derives = "Debug"
)]
pub struct RateLimitCheck;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/repository.graphql",
    response_derives = "Debug"
)]
pub struct RepositoryCard;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/gist.graphql",
    response_derives = "Debug"
)]
pub struct GistCard;

#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "github_queries/github.schema.graphql",
    query_path = "github_queries/commits_in_year.graphql",
    response_derives = "Debug"
)]
pub struct CommitsInYear;

/// The calendar query sends its bounds with the reader's UTC offset (GitHub counts the days in
/// it), so here `DateTime` keeps its offset.
pub mod calendar {
    use graphql_client::GraphQLQuery;

    type DateTime = chrono::DateTime<chrono::FixedOffset>;
    type Date = chrono::NaiveDate;

    #[derive(GraphQLQuery)]
    #[graphql(
        schema_path = "github_queries/github.schema.graphql",
        query_path = "github_queries/contribution_calendar.graphql",
        response_derives = "Debug"
    )]
    pub struct ContributionCalendar;
}
