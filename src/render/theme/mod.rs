//! Theme packs: loading, inheritance (`extends`) and compilation into one handlebars registry per
//! pack.
//!
//! Invariants: a pack that fails in any way (manifest, missing template, template syntax, invalid
//! output against the sample stats, unknown parent, cycle) is left out with one error naming the
//! file and, where known, the line; every other pack still loads. Pack names are identifiers,
//! never paths.

pub mod manifest;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use handlebars::Handlebars;

use crate::domain::BannerType;
use manifest::{Manifest, REQUIRED_PALETTE, Size};
use sources::{PackFiles, SourceFile};

/// The pack every other pack may extend, and the one used when no theme is asked for.
pub const DEFAULT_THEME: &str = "default";
const DEFAULT_FONT_FAMILY: &str = "'Segoe UI', Ubuntu, 'Noto Sans', 'Helvetica Neue', sans-serif";

/// A pack that did not load, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeError {
    pub pack: String,
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl ThemeError {
    pub fn new(pack: &str, file: &str, message: String) -> Self {
        Self { pack: pack.to_owned(), file: file.to_owned(), line: None, column: None, message }
    }

    pub fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ThemeError {}

/// A loaded, compiled pack with its inheritance resolved.
pub struct Pack {
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub author: Option<String>,
    pub license: Option<String>,
    pub version: Option<String>,
    pub extends: Option<String>,
    pub types: Vec<BannerType>,
    /// Other names that select this pack.
    pub aliases: Vec<String>,
    /// The pack paired with this one for readers in dark mode.
    pub dark: Option<String>,
    pub palette: BTreeMap<String, String>,
    pub sizes: BTreeMap<&'static str, Size>,
    pub font_family: String,
    /// Loaded (at least partly) from the themes directory rather than the binary.
    pub on_disk: bool,
    /// Compiled templates; a pack that only changes colours or sizes shares its parent's.
    pub(crate) registry: Arc<Handlebars<'static>>,
    /// Uses its parent's templates unchanged, so the parent's validation covers it (its own
    /// values are colours and sizes, checked when the manifest was parsed).
    pub(crate) shares_templates: bool,
}

impl Pack {
    pub fn size(&self, kind: BannerType) -> Size {
        self.sizes.get(kind.as_str()).copied().unwrap_or(Size { width: 495, height: 195 })
    }

    pub fn provides(&self, kind: BannerType) -> bool {
        self.types.contains(&kind)
    }

    pub(crate) fn has_template(&self, name: &str) -> bool {
        self.registry.has_template(name)
    }
}

/// Every pack that loaded, and an error for every one that did not.
pub struct ThemeSet {
    packs: BTreeMap<String, Arc<Pack>>,
    /// Alias -> pack name.
    aliases: BTreeMap<String, String>,
    errors: Vec<ThemeError>,
}

/// Checks a compiled pack by rendering it; supplied by the renderer, which knows the samples.
pub type Validator<'a> = &'a dyn Fn(&Pack) -> Result<(), ThemeError>;

impl ThemeSet {
    /// The built-in packs, overlaid by `dir` when given.
    pub fn load(dir: Option<&Path>, validate: Validator<'_>) -> Self {
        let mut sources = sources::builtin();
        let mut errors = match dir {
            Some(dir) => sources::overlay(&mut sources, dir),
            None => Vec::new(),
        };
        let mut manifests = BTreeMap::new();
        for (name, pack) in &sources {
            match pack.files.get("theme.toml") {
                Some(file) => match Manifest::parse(name, &file.display, &file.text) {
                    Ok(manifest) => {
                        manifests.insert(name.clone(), manifest);
                    }
                    Err(e) => errors.push(e),
                },
                None => errors.push(ThemeError::new(
                    name,
                    &format!("{name}/theme.toml"),
                    "theme.toml is missing".to_owned(),
                )),
            }
        }
        // Parents before children, so a child that only recolours can share its parent's templates.
        let mut order: Vec<(usize, &String)> =
            manifests.keys().map(|name| (chain(name, &manifests).map_or(0, |c| c.len()), name)).collect();
        order.sort();
        let mut packs: BTreeMap<String, Arc<Pack>> = BTreeMap::new();
        for (_, name) in order {
            let built = chain(name, &manifests)
                .and_then(|chain| compile(&chain, &manifests, &sources, &packs))
                .and_then(|pack| if pack.shares_templates { Ok(pack) } else { validate(&pack).map(|()| pack) });
            match built {
                Ok(pack) => {
                    packs.insert(name.clone(), Arc::new(pack));
                }
                Err(e) => errors.push(e),
            }
        }
        let aliases = aliases(&packs, &mut errors);
        let set = Self { packs, aliases, errors };
        let unpaired: Vec<ThemeError> = set
            .packs()
            .filter_map(|pack| {
                let dark = pack.dark.as_deref()?;
                set.get(dark).is_none().then(|| {
                    let file = format!("{}/theme.toml", pack.name);
                    ThemeError::new(&pack.name, &file, format!("dark = \"{dark}\" names no installed pack"))
                })
            })
            .collect();
        Self { errors: set.errors.into_iter().chain(unpaired).collect(), ..set }
    }

    /// A pack by its name or one of its aliases.
    pub fn get(&self, name: &str) -> Option<&Arc<Pack>> {
        self.packs.get(name).or_else(|| self.aliases.get(name).and_then(|target| self.packs.get(target)))
    }

    pub fn packs(&self) -> impl Iterator<Item = &Arc<Pack>> {
        self.packs.values()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.packs.keys().map(String::as_str)
    }

    pub fn errors(&self) -> &[ThemeError] {
        &self.errors
    }
}

/// Every loaded pack's aliases. One that is a pack's name, or that two packs claim, is an error
/// for each claimant and selects nothing: never a silent choice between two packs.
fn aliases(packs: &BTreeMap<String, Arc<Pack>>, errors: &mut Vec<ThemeError>) -> BTreeMap<String, String> {
    let mut claims: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for pack in packs.values() {
        for alias in &pack.aliases {
            claims.entry(alias.as_str()).or_default().push(&pack.name);
        }
    }
    let mut aliases = BTreeMap::new();
    for (alias, claimants) in claims {
        let conflict = if packs.contains_key(alias) {
            Some(format!("alias `{alias}` is the name of a pack"))
        } else if claimants.len() > 1 {
            Some(format!("alias `{alias}` is claimed by {}", claimants.join(" and ")))
        } else {
            None
        };
        match conflict {
            Some(message) => {
                for name in claimants {
                    errors.push(ThemeError::new(name, &format!("{name}/theme.toml"), message.clone()));
                }
            }
            None => {
                aliases.insert(alias.to_owned(), claimants[0].to_owned());
            }
        }
    }
    aliases
}

/// `[name, parent, grandparent, ...]`, or why the chain is broken.
fn chain(name: &str, manifests: &BTreeMap<String, Manifest>) -> Result<Vec<String>, ThemeError> {
    let mut chain = vec![name.to_owned()];
    let mut seen = BTreeSet::from([name.to_owned()]);
    let mut current = name;
    while let Some(parent) = manifests.get(current).and_then(|m| m.extends.as_deref()) {
        let file = format!("{name}/theme.toml");
        if !seen.insert(parent.to_owned()) {
            chain.push(parent.to_owned());
            return Err(ThemeError::new(name, &file, format!("extends cycle: {}", chain.join(" -> "))));
        }
        if !manifests.contains_key(parent) {
            return Err(ThemeError::new(
                name,
                &file,
                format!("extends `{parent}`, which is not installed or did not load"),
            ));
        }
        chain.push(parent.to_owned());
        current = parent;
    }
    Ok(chain)
}

fn compile(
    chain: &[String],
    manifests: &BTreeMap<String, Manifest>,
    sources: &BTreeMap<String, PackFiles>,
    built: &BTreeMap<String, Arc<Pack>>,
) -> Result<Pack, ThemeError> {
    let name = &chain[0];
    let own = &manifests[name];
    // Only a manifest of its own, adding no types and no font: the parent's compiled templates
    // render it as they are.
    let parent = own.extends.as_ref().and_then(|p| built.get(p));
    let recolour_only = sources[name].files.keys().all(|path| path == "theme.toml")
        && own.types.is_empty()
        && own.fonts.family.is_none();
    let manifest_file =
        sources[name].files.get("theme.toml").map_or_else(|| format!("{name}/theme.toml"), |f| f.display.clone());
    // Ancestors first, so each descendant's files and values replace what it inherits.
    let mut files = BTreeMap::new();
    let mut palette = BTreeMap::new();
    let mut sizes = BTreeMap::new();
    let mut types = BTreeSet::new();
    let mut font_family = None;
    for ancestor in chain.iter().rev() {
        let manifest = &manifests[ancestor];
        for (path, file) in &sources[ancestor].files {
            files.insert(path.clone(), file);
        }
        palette.extend(manifest.palette.clone());
        for (kind, size) in &manifest.sizes {
            if let Ok(kind) = kind.parse::<BannerType>() {
                sizes.insert(kind.as_str(), *size);
            }
        }
        types.extend(manifest.types.iter().filter_map(|t| t.parse::<BannerType>().ok()).map(|t| t.as_str()));
        font_family = manifest.fonts.family.clone().or(font_family);
    }
    let fail = |message: String| ThemeError::new(name, &manifest_file, message);
    if types.is_empty() {
        return Err(fail("provides no banner types: set types = [\"wide\", ...] or extends".to_owned()));
    }
    for key in REQUIRED_PALETTE {
        if !palette.contains_key(key) {
            return Err(fail(format!("palette.{key} is missing (required: {})", REQUIRED_PALETTE.join(", "))));
        }
    }
    let types: Vec<BannerType> = BannerType::ALL.into_iter().filter(|t| types.contains(t.as_str())).collect();
    for kind in &types {
        if !sizes.contains_key(kind.as_str()) {
            return Err(fail(format!("sizes.{} is missing", kind.as_str())));
        }
    }

    // User data must only ever reach output escaped; a raw `{{{ }}}` anywhere is refused.
    for file in files.values() {
        if let Some(offset) = file.text.find("{{{").or_else(|| file.text.find("{{&")) {
            let line = file.text[..offset].matches('\n').count() + 1;
            return Err(ThemeError::new(
                name,
                &file.display,
                format!(
                    "`{}` prints a value unescaped; use {{{{value}}}} (icons come from the icon helper)",
                    &file.text[offset..offset + 3]
                ),
            )
            .at(Some(line), None));
        }
    }
    let shared = parent.filter(|_| recolour_only).map(|p| p.registry.clone());
    let shares_templates = shared.is_some();
    let registry = match shared {
        Some(registry) => registry,
        None => Arc::new(compile_templates(name, &files, &types)?),
    };

    Ok(Pack {
        name: name.clone(),
        display_name: own.display_name.clone().unwrap_or_else(|| name.clone()),
        description: own.description.clone().unwrap_or_default(),
        author: own.author.clone(),
        license: own.license.clone(),
        version: own.version.clone(),
        extends: own.extends.clone(),
        types,
        aliases: own.aliases.clone(),
        dark: own.dark.clone(),
        palette,
        sizes,
        font_family: font_family.unwrap_or_else(|| DEFAULT_FONT_FAMILY.to_owned()),
        on_disk: chain.iter().any(|p| sources[p].on_disk),
        registry,
        shares_templates,
    })
}

fn compile_templates(
    name: &str,
    files: &BTreeMap<String, &SourceFile>,
    types: &[BannerType],
) -> Result<Handlebars<'static>, ThemeError> {
    let mut registry = crate::render::new_registry();
    for (path, file) in files {
        if let Some(partial) = path.strip_prefix("partials/").and_then(|p| p.strip_suffix(".hbs")) {
            registry
                .register_partial(&format!("partials/{partial}"), file.text.as_str())
                .map_err(|e| template_error(name, &file.display, &e))?;
        }
    }
    for kind in types {
        let path = format!("{}.svg.hbs", kind.as_str());
        let file = files.get(&path).ok_or_else(|| {
            ThemeError::new(name, &format!("{name}/{path}"), format!("template for `{}` is missing", kind.as_str()))
        })?;
        registry
            .register_template_string(kind.as_str(), &file.text)
            .map_err(|e| template_error(name, &file.display, &e))?;
    }
    if let Some(file) = files.get("error.svg.hbs") {
        registry.register_template_string("error", &file.text).map_err(|e| template_error(name, &file.display, &e))?;
    }
    Ok(registry)
}

fn template_error(pack: &str, file: &str, error: &handlebars::TemplateError) -> ThemeError {
    let (line, column) = error.pos().unzip();
    ThemeError::new(pack, file, error.reason().to_string()).at(line, column)
}
