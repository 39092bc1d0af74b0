//! Persistent banners: queries (by id, and a Relay connection by cursor), mutations (API key),
//! and the owner loader that fetches every listed banner's owner in one store query.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::user::BannerOptionInput;
use super::{admit_login, require_trusted, state};
use crate::api::{AppError, AppState};
use crate::banners::{Banner, BannerInput, encode_cursor};
use crate::domain::ViewSubject;
use async_graphql::ErrorExtensions as _;

#[derive(Default)]
pub(super) struct BannerQuery;

#[derive(Default)]
pub(super) struct BannerMutation;

const MAX_BANNERS_PAGE: i32 = 100;

#[derive(SimpleObject)]
#[graphql(complex, name = "Banner")]
struct BannerNode {
    id: ID,
    /// The GitHub login the banner shows.
    username: String,
    #[graphql(name = "type")]
    banner_type: String,
    theme: String,
    options: Vec<BannerOption>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Stable image URLs (relative to this service).
    svg_url: String,
    png_url: String,
}

#[derive(SimpleObject, Clone)]
struct BannerOption {
    name: String,
    value: String,
}

/// What the store knows of a banner's owner (no GitHub call).
#[derive(SimpleObject, Clone)]
pub(super) struct BannerOwner {
    login: String,
    name: Option<String>,
    avatar_url: Option<String>,
    fetched_at: DateTime<Utc>,
}

#[ComplexObject]
impl BannerNode {
    /// How often this banner's image was served, on every replica together; batched: a page of
    /// banners costs one store query.
    async fn views(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        super::views::count(ctx, ViewSubject::Banner, self.id.to_string()).await
    }

    /// The owner's stored profile; null until their stats were first fetched. Batched: a page of
    /// banners costs one store query for all owners.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BannerOwner>> {
        let loader = ctx.data::<DataLoader<OwnerLoader>>()?;
        loader.load_one(self.username.to_ascii_lowercase()).await.map_err(|e| (*e).clone())
    }
}

impl From<Banner> for BannerNode {
    fn from(b: Banner) -> Self {
        Self {
            svg_url: format!("/banners/{}.svg", b.id),
            png_url: format!("/banners/{}.png", b.id),
            id: ID(b.id),
            username: b.username,
            banner_type: b.banner_type,
            theme: b.theme,
            options: b.options.into_iter().map(|(name, value)| BannerOption { name, value }).collect(),
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

pub(super) struct OwnerLoader {
    state: AppState,
}

impl OwnerLoader {
    pub(super) fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl Loader<String> for OwnerLoader {
    type Value = BannerOwner;
    type Error = Arc<async_graphql::Error>;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, BannerOwner>, Self::Error> {
        let found = self.state.stats.summaries(keys).await.map_err(|e| Arc::new(AppError::internal(e).extend()))?;
        Ok(found
            .into_iter()
            .map(|(key, s)| {
                (key, BannerOwner { login: s.login, name: s.name, avatar_url: s.avatar_url, fetched_at: s.fetched_at })
            })
            .collect())
    }
}

#[derive(InputObject)]
struct CreateBannerInput {
    username: String,
    #[graphql(name = "type", default_with = "String::from(\"wide\")")]
    banner_type: String,
    #[graphql(default_with = "String::from(\"default\")")]
    theme: String,
    /// URL-style options, as on /banners/preview (`show_icons` = `true`, `layout` = `donut`).
    #[graphql(default)]
    options: Vec<BannerOptionInput>,
}

/// Only the fields given change; `options` replaces the whole option list.
#[derive(InputObject)]
struct UpdateBannerInput {
    username: Option<String>,
    #[graphql(name = "type")]
    banner_type: Option<String>,
    theme: Option<String>,
    options: Option<Vec<BannerOptionInput>>,
}

/// A banner's user counts toward the request's distinct subjects (creating one may ask GitHub);
/// an invalid login is left for the banner service to refuse with its usual message.
fn admit_username(ctx: &Context<'_>, username: &str) -> async_graphql::Result<()> {
    match crate::domain::Login::parse(username.trim()) {
        Ok(login) => admit_login(ctx, &login),
        Err(_) => Ok(()),
    }
}

fn options(list: Vec<BannerOptionInput>) -> BTreeMap<String, String> {
    list.into_iter().map(|o| (o.name, o.value)).collect()
}

#[Object]
impl BannerQuery {
    async fn banner(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<BannerNode> {
        let banner = state(ctx)?.banners.get(&id).await.map_err(|e| AppError::from(e).extend())?;
        Ok(banner.into())
    }

    /// Banners in creation order, by cursor; `owner` filters by GitHub login.
    async fn banners(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        owner: Option<String>,
    ) -> async_graphql::Result<Connection<String, BannerNode, EmptyFields, EmptyFields>> {
        if !(1..=MAX_BANNERS_PAGE).contains(&first) {
            return Err(AppError::InvalidParameter {
                name: "first",
                reason: format!("must be from 1 to {MAX_BANNERS_PAGE}"),
            }
            .extend());
        }
        let page = state(ctx)?
            .banners
            .list(owner.as_deref(), u64::try_from(first).unwrap_or(20), after.as_deref())
            .await
            .map_err(|e| AppError::from(e).extend())?;
        // Forward-only pagination (`first`/`after`): `hasPreviousPage` is always false.
        let mut connection = Connection::new(false, page.has_next);
        connection.edges.extend(page.items.into_iter().map(|b| Edge::new(encode_cursor(&b), BannerNode::from(b))));
        Ok(connection)
    }
}

#[Object]
impl BannerMutation {
    /// Saves a banner (API key). Its image is then at `svgUrl` / `pngUrl`, kept up to date.
    #[graphql(complexity = "20 + child_complexity")]
    async fn create_banner(&self, ctx: &Context<'_>, input: CreateBannerInput) -> async_graphql::Result<BannerNode> {
        require_trusted(ctx)?;
        admit_username(ctx, &input.username)?;
        let input = BannerInput {
            username: Some(input.username),
            banner_type: Some(input.banner_type),
            theme: Some(input.theme),
            options: Some(options(input.options)),
        };
        Ok(state(ctx)?.banners.create(input).await.map_err(|e| AppError::from(e).extend())?.into())
    }

    #[graphql(complexity = "20 + child_complexity")]
    async fn update_banner(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateBannerInput,
    ) -> async_graphql::Result<BannerNode> {
        require_trusted(ctx)?;
        if let Some(username) = &input.username {
            admit_username(ctx, username)?;
        }
        let input = BannerInput {
            username: input.username,
            banner_type: input.banner_type,
            theme: input.theme,
            options: input.options.map(options),
        };
        Ok(state(ctx)?.banners.update(&id, input).await.map_err(|e| AppError::from(e).extend())?.into())
    }

    /// Deletes a banner and its stored images; returns the deleted id.
    async fn delete_banner(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        require_trusted(ctx)?;
        state(ctx)?.banners.delete(&id).await.map_err(|e| AppError::from(e).extend())?;
        Ok(id)
    }
}
