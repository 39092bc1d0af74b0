//! The GraphQL API: `POST /graphql`, GraphiQL at `GET /graphql`, subscriptions over WebSocket
//! (graphql-transport-ws) at `/graphql/ws`. Resolvers are thin: they call services.
//!
//! Invariants: mutations and admin fields need a trusted caller (API key); errors carry a stable
//! `extensions.code` and never internals; depth, complexity and size are limited.

mod admin;
mod banners;
mod code;
mod contributions;
mod graphiql;
pub(crate) mod guard;
mod themes;
mod user;
mod views;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ErrorExtensions, Executor, MergedObject, MergedSubscription, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};

use super::auth::Caller;
use super::clients::{Client, ClientPayer};
use super::{AppError, AppState};
use crate::cards::Subject;
use crate::domain::Login;
pub use guard::GraphQlLimits;
use guard::{Connection, GuardedSchema, SubjectBudget};

#[derive(MergedObject, Default)]
pub struct QueryRoot(user::UserQuery, code::CodeQuery, themes::ThemeQuery, banners::BannerQuery, admin::AdminQuery);

#[derive(MergedObject, Default)]
pub struct MutationRoot(banners::BannerMutation, user::UserMutation);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(user::UserSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deeper or costlier queries are refused before they run. 16 admits the standard introspection
/// query (15 levels: its type references nest `ofType` nine times) that GraphiQL, codegen and
/// other tools send on connect; our own types nest far less.
const MAX_DEPTH: usize = 16;
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

pub(super) fn routes(schema: AppSchema, state: &AppState) -> Router<AppState> {
    let guarded = GuardedSchema::new(schema, state.graphql_limits, state.clients.clone());
    Router::new()
        .route("/graphql", get(graphiql::page).post(execute))
        .route("/graphql/graphiql.js", get(graphiql::script))
        .route("/graphql/ws", get(subscriptions))
        .layer(Extension(guarded))
}

/// A JSON GraphQL request, read and parsed here rather than by the integration crate so that a
/// bad body gets a plain GraphQL error (never a Rust debug string) and an oversized one a 413.
async fn execute(
    State(state): State<AppState>,
    Extension(schema): Extension<GuardedSchema>,
    caller: Caller,
    client: Client,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request = match body {
        Ok(body) => serde_json::from_slice::<async_graphql::Request>(&body).map_err(|e| AppError::InvalidParameter {
            name: "body",
            reason: format!("expected a JSON GraphQL request with `query`: {e}"),
        }),
        Err(rejection) => Err(AppError::from(rejection)),
    };
    let request = match request {
        Ok(request) => request,
        Err(error) => return request_error(&error),
    };
    let loader = DataLoader::new(banners::OwnerLoader::new(state.clone()), tokio::spawn);
    let views = DataLoader::new(views::ViewsLoader::new(state.clone()), tokio::spawn);
    let request = request.data(caller).data(client).data(loader).data(views);
    GraphQLResponse::from(schema.execute(request).await).into_response()
}

/// A request that never reached execution, in GraphQL's error shape.
fn request_error(error: &AppError) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": error.to_string(), "extensions": { "code": error.code() } }],
    });
    (error.status(), Json(body)).into_response()
}

/// Subscriptions (and queries) over WebSocket; a message larger than a request body is refused.
/// Each operation is admitted like an HTTP request (see `guard::Connection`); a connection with
/// nothing running is closed after WEBSOCKET_IDLE_TIMEOUT without a message.
async fn subscriptions(
    Extension(schema): Extension<GuardedSchema>,
    client: Client,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let idle = schema.limits().idle_timeout;
    upgrade
        .max_message_size(guard::MAX_DOCUMENT_BYTES)
        .max_frame_size(guard::MAX_DOCUMENT_BYTES)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            use async_graphql::futures_util::StreamExt as _;
            let connection = Connection::new(client);
            let (sink, input) = socket.split();
            let input = guard::idle_input(input, connection.running(), idle);
            let mut data = async_graphql::Data::default();
            data.insert(client);
            data.insert(connection);
            GraphQLWebSocket::new_with_pair(sink, input, schema, protocol).with_data(data).serve()
        })
}

/// The client behind the request (the local one when there was none, as in a test).
fn client(ctx: &Context<'_>) -> Client {
    ctx.data_opt::<Client>().copied().unwrap_or_else(Client::local)
}

/// The client behind the request, as the payer of what its fields cost.
fn payer(ctx: &Context<'_>) -> async_graphql::Result<ClientPayer> {
    Ok(client(ctx).payer(state(ctx)?))
}

/// Counts `subject` against the request's budget of distinct subjects (`guard::SubjectBudget`).
fn admit_subject(ctx: &Context<'_>, subject: &Subject) -> async_graphql::Result<()> {
    let key = match subject {
        Subject::User(login) => format!("user:{}", login.key()),
        Subject::Repository(repo) => format!("repo:{}", repo.key()),
        Subject::Gist(id) => format!("gist:{}", id.as_str()),
        Subject::WakaTime(user) => format!("wakatime:{}", user.key()),
        Subject::Sample(_) | Subject::Given(_) => return Ok(()),
    };
    let budget = ctx
        .data::<SubjectBudget>()
        .map_err(|_| AppError::bug("a GraphQL request without a subject budget").extend())?;
    budget.admit(key).map_err(|max| {
        AppError::InvalidParameter {
            name: "login",
            reason: format!("one request may ask for at most {max} different users, repositories or gists"),
        }
        .extend()
    })
}

/// [`admit_subject`] for a user.
fn admit_login(ctx: &Context<'_>, login: &Login) -> async_graphql::Result<()> {
    admit_subject(ctx, &Subject::User(login.clone()))
}

/// The application's state; always present in a served schema.
fn state<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    ctx.data::<AppState>().map_err(|_| AppError::bug("a GraphQL schema built without state").extend())
}

/// Fails with UNAUTHENTICATED unless the caller presented an API key.
fn require_trusted(ctx: &Context<'_>) -> async_graphql::Result<()> {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Trusted) => Ok(()),
        _ => Err(AppError::Unauthenticated.extend()),
    }
}
