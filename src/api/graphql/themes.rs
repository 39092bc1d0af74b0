//! Installed theme packs.

use async_graphql::{Context, Object, SimpleObject};

use super::state;
use crate::render::Pack;

#[derive(Default)]
pub(super) struct ThemeQuery;

#[derive(SimpleObject)]
struct Theme {
    name: String,
    display_name: String,
    description: String,
    author: Option<String>,
    license: Option<String>,
    version: Option<String>,
    extends: Option<String>,
    /// Other names that select this theme (e.g. github-readme-stats' spelling).
    aliases: Vec<String>,
    /// The theme readers in dark mode see instead of this one with `theme=NAME,auto`; null when
    /// it names none (any two still pair up with `theme=LIGHT,DARK`).
    dark: Option<String>,
    /// Banner types the pack renders.
    types: Vec<String>,
    palette: Vec<PaletteColor>,
    sizes: Vec<BannerSize>,
}

#[derive(SimpleObject)]
struct PaletteColor {
    key: String,
    color: String,
}

#[derive(SimpleObject)]
struct BannerSize {
    #[graphql(name = "type")]
    banner_type: String,
    width: i32,
    height: i32,
}

impl From<&Pack> for Theme {
    fn from(p: &Pack) -> Self {
        Self {
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            description: p.description.clone(),
            author: p.author.clone(),
            license: p.license.clone(),
            version: p.version.clone(),
            extends: p.extends.clone(),
            aliases: p.aliases.clone(),
            dark: p.dark.clone(),
            types: p.types.iter().map(|t| t.as_str().to_owned()).collect(),
            palette: p.palette.iter().map(|(k, c)| PaletteColor { key: k.clone(), color: c.clone() }).collect(),
            sizes: p
                .sizes
                .iter()
                .map(|(kind, s)| BannerSize {
                    banner_type: (*kind).to_owned(),
                    width: i32::try_from(s.width).unwrap_or(i32::MAX),
                    height: i32::try_from(s.height).unwrap_or(i32::MAX),
                })
                .collect(),
        }
    }
}

#[Object]
impl ThemeQuery {
    /// Every installed theme pack.
    async fn themes(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Theme>> {
        Ok(state(ctx)?.renderer.themes().packs().map(|p| Theme::from(p.as_ref())).collect())
    }

    /// One pack by name; null when it is not installed.
    async fn theme(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<Option<Theme>> {
        Ok(state(ctx)?.renderer.themes().get(&name).map(|p| Theme::from(p.as_ref())))
    }
}
