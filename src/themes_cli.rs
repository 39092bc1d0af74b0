//! `github-banners themes ...`: the theme author's tools. All work offline with sample stats.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use std::sync::Arc;

use crate::cards::{CardData, validate_pack};
use crate::domain::{BannerType, ImageFormat, UserSnapshot};
use crate::images::{CardRequest, ImageService, SubjectFrom, Unlimited};
use crate::render::theme::manifest::is_identifier;
use crate::render::{DEFAULT_THEME, RasterPool, Renderer, Sample, ThemeSet};

fn load(dir: Option<&Path>) -> anyhow::Result<Renderer> {
    Ok(Renderer::load(dir, validate_pack)?)
}

/// One line per pack: name, types, origin, inheritance; then the packs that failed.
pub fn list(dir: Option<&Path>) -> anyhow::Result<String> {
    let renderer = load(dir)?;
    let themes = renderer.themes();
    let mut out = String::new();
    for pack in themes.packs() {
        let types: Vec<_> = pack.types.iter().map(|t| t.as_str()).collect();
        let _ = writeln!(
            out,
            "{:<20} {:<28} {:<26} {}{}{}",
            pack.name,
            pack.display_name,
            types.join(","),
            if pack.on_disk { "dir" } else { "built-in" },
            pack.extends.as_deref().map(|e| format!(" (extends {e})")).unwrap_or_default(),
            if pack.aliases.is_empty() { String::new() } else { format!(" (also {})", pack.aliases.join(", ")) }
        );
    }
    for error in themes.errors() {
        let _ = writeln!(out, "not loaded: {error}");
    }
    Ok(out)
}

/// Loads every pack (built-ins overlaid by `dir`) with the full checks; the report and whether
/// all passed.
pub fn validate(dir: Option<&Path>) -> (String, bool) {
    let set = ThemeSet::load(dir, &validate_pack);
    let mut out = String::new();
    for pack in set.packs() {
        let _ = writeln!(out, "ok      {}", pack.name);
    }
    for error in set.errors() {
        let _ = writeln!(out, "FAILED  {} — {error}", error.pack);
    }
    let ok = set.errors().is_empty();
    let _ = writeln!(out, "{} passed, {} failed", set.packs().count(), set.errors().len());
    (out, ok)
}

/// Creates `dir/name/theme.toml` extending `parent`, with the parent's palette written out to edit.
pub fn new_pack(dir: &Path, name: &str, parent: &str) -> anyhow::Result<PathBuf> {
    if !is_identifier(name) {
        bail!("`{name}` is not a theme name: use lowercase letters, digits, - and _ (at most 40)");
    }
    let renderer = load(Some(dir).filter(|d| d.is_dir()))?;
    let themes = renderer.themes();
    let parent_pack = themes.get(parent).with_context(|| format!("no theme named `{parent}` to extend"))?;
    let folder = dir.join(name);
    if folder.exists() {
        bail!("{} already exists", folder.display());
    }
    std::fs::create_dir_all(folder.join("partials"))
        .with_context(|| format!("could not create {}", folder.display()))?;
    let mut manifest = format!(
        "# Theme pack `{name}`. Guide: themes/README.md. Check it with: github-banners themes validate\n\
         name = \"{name}\"\ndisplay_name = \"{name}\"\ndescription = \"\"\nauthor = \"\"\nlicense = \"MIT\"\nversion = \"0.1.0\"\n\
         extends = \"{parent}\"\n\n# Colors: #rgb, #rrggbb or #rrggbbaa (or none). Delete a line to inherit it.\n[palette]\n"
    );
    for (key, color) in &parent_pack.palette {
        let _ = writeln!(manifest, "{key} = \"{color}\"");
    }
    manifest.push_str(
        "\n# To change a layout, copy a template (e.g. wide.svg.hbs) or a partial from the parent pack\n\
         # into this folder and edit it; files you do not copy are inherited.\n",
    );
    let path = folder.join("theme.toml");
    std::fs::write(&path, manifest).with_context(|| format!("could not write {}", path.display()))?;
    Ok(path)
}

#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub theme: String,
    pub kind: BannerType,
    /// `sample` (typical), a sample name, or a JSON file holding a `UserSnapshot`.
    pub stats: String,
    pub png: bool,
    /// Banner options as in a URL.
    pub options: HashMap<String, String>,
}

/// The rendered banner's bytes (SVG or PNG), through the image service with offline data.
pub async fn preview(dir: Option<&Path>, request: &PreviewRequest) -> anyhow::Result<Vec<u8>> {
    let renderer = Arc::new(load(dir)?);
    if renderer.themes().get(&request.theme).is_none() {
        let why = renderer.themes().errors().iter().find(|e| e.pack == request.theme).map(ToString::to_string);
        match why {
            Some(why) => bail!("theme `{}` did not load: {why}", request.theme),
            None => bail!("no theme named `{}` (see `github-banners themes list`)", request.theme),
        }
    }
    let subject = match Sample::parse(&request.stats) {
        Some(sample) => SubjectFrom::Sample(sample),
        None => {
            let text = std::fs::read_to_string(&request.stats).with_context(|| {
                format!(
                    "--stats {}: not a sample (typical, empty, huge, unicode, hostile) nor a readable file",
                    request.stats
                )
            })?;
            let snapshot: UserSnapshot =
                serde_json::from_str(&text).with_context(|| format!("{} is not a UserSnapshot JSON", request.stats))?;
            SubjectFrom::Given(CardData::User {
                snapshot: Arc::new(snapshot),
                stale: false,
                commits: None,
                partial: None,
            })
        }
    };
    let mut params = request.options.clone();
    params.insert("theme".to_owned(), request.theme.clone());
    params.insert("type".to_owned(), request.kind.as_str().to_owned());
    let format = if request.png { ImageFormat::Png } else { ImageFormat::Svg };
    let card = CardRequest::parse(&params, Some(format), subject)?;
    let images =
        ImageService::new(None, renderer, Arc::new(RasterPool::per_core(0)), crate::images::DEFAULT_CACHE_BYTES);
    let rendered = images.image(&card, &Unlimited).await?;
    Ok(rendered.image.bytes.to_vec())
}

/// The default pack's name, for CLI defaults.
pub const DEFAULT: &str = DEFAULT_THEME;
