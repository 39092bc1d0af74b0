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
