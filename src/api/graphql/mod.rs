//! The GraphQL API: `POST /graphql`, GraphiQL at `GET /graphql`, subscriptions over WebSocket
//! (graphql-transport-ws) at `/graphql/ws`. Resolvers are thin: they call services.
//!
//! Invariants: mutations and admin fields need a trusted caller (API key); errors carry a stable
//! `extensions.code` and never internals; depth, complexity and size are limited.

mod admin;
mod banners;
mod themes;
mod user;

use async_graphql::dataloader::DataLoader;
use async_graphql::http::GraphiQLSource;
use async_graphql::{Context, ErrorExtensions, MergedObject, MergedSubscription, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

use super::auth::Caller;
use super::{AppError, AppState};

#[derive(MergedObject, Default)]
pub struct QueryRoot(user::UserQuery, themes::ThemeQuery, banners::BannerQuery, admin::AdminQuery);

#[derive(MergedObject, Default)]
pub struct MutationRoot(banners::BannerMutation, user::UserMutation);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(user::UserSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deeper or costlier queries are refused before they run.
const MAX_DEPTH: usize = 10;
const MAX_COMPLEXITY: usize = 1_000;
/// Also bounds the parser's recursion on hostile documents.
const MAX_RECURSIVE_DEPTH: usize = 32;

fn builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot::default())
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
}

pub fn schema(state: AppState) -> AppSchema {
    builder().data(state).finish()
}

/// The SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

pub(super) fn routes(schema: AppSchema) -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphiql).post(execute))
        .route("/graphql/ws", get(subscriptions))
        .layer(Extension(schema))
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").finish())
}

async fn execute(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    headers: HeaderMap,
    signed: Option<Extension<Caller>>,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let caller = state.caller(&headers, signed);
    let loader = DataLoader::new(banners::OwnerLoader::new(state.clone()), tokio::spawn);
    schema.execute(request.into_inner().data(caller).data(loader)).await.into()
}

async fn subscriptions(
    Extension(schema): Extension<AppSchema>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| GraphQLWebSocket::new(stream, schema, protocol).serve())
}

/// The application's state; always present in a served schema.
fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| gql(AppError::Internal("schema built without state".to_owned())))
}

/// Fails with UNAUTHENTICATED unless the caller presented an API key.
fn require_trusted(ctx: &Context<'_>) -> async_graphql::Result<()> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Trusted) => Ok(()),
        _ => Err(gql(AppError::Unauthenticated)),
    }
}

/// An application error as a GraphQL error with `extensions.code` (and `retryAfter`); server
/// errors are logged here and shown without their cause.
pub(super) fn gql(error: AppError) -> async_graphql::Error {
    let message = if error.status().is_server_error() {
        tracing::error!(code = error.code(), %error, "GraphQL request failed");
        error.public_text().1
    } else {
        error.to_string()
    };
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("code", error.code());
        if let Some(seconds) = error.retry_after() {
            e.set("retryAfter", seconds);
        }
    })
}
