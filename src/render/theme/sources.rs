//! Where pack files come from: the built-in packs compiled into the binary, overlaid file by file
//! by a themes directory on disk (mdBook's rule: a file on disk replaces the built-in file of the
//! same pack and path; a new folder adds a pack).

use std::collections::BTreeMap;
use std::path::Path;

use rust_embed::Embed;

use super::ThemeError;
use super::manifest::is_identifier;

/// Largest template or manifest accepted from disk: theme files are small; this stops a mistake
/// (or a hostile file) from eating memory on every reload.
const MAX_FILE_BYTES: u64 = 256 * 1024;

#[derive(Embed)]
#[folder = "themes/"]
#[include = "*/theme.toml"]
#[include = "*/*.svg.hbs"]
#[include = "*/partials/*.hbs"]
struct BuiltinThemes;

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub text: String,
    /// How errors name the file: `themes/<pack>/<path>` for built-ins, the real path on disk.
    pub display: String,
}

/// One pack's own files, before inheritance; keys are paths relative to the pack folder.
#[derive(Debug, Clone, Default)]
pub struct PackFiles {
    pub files: BTreeMap<String, SourceFile>,
    pub on_disk: bool,
}

/// Only these files belong to a pack; anything else in its folder (README, previews) is ignored.
fn is_pack_file(relative: &str) -> bool {
    match relative.split('/').collect::<Vec<_>>().as_slice() {
        ["theme.toml"] => true,
        [file] => file.ends_with(".svg.hbs"),
        ["partials", file] => file.ends_with(".hbs"),
        _ => false,
    }
}

pub fn builtin() -> BTreeMap<String, PackFiles> {
    let mut packs: BTreeMap<String, PackFiles> = BTreeMap::new();
    for path in BuiltinThemes::iter() {
        let Some((pack, relative)) = path.split_once('/') else { continue };
        let Some(asset) = BuiltinThemes::get(&path) else { continue };
        if !is_pack_file(relative) {
            continue;
        }
        // Built-in files are ours and checked by the tests; a non-UTF-8 one is a build mistake.
        let text = String::from_utf8_lossy(&asset.data).into_owned();
        let file = SourceFile { text, display: format!("themes/{path}") };
        packs.entry(pack.to_owned()).or_default().files.insert(relative.to_owned(), file);
    }
    packs
}

/// Reads every pack folder under `dir` and lays its files over `packs`. Unreadable files and
/// folders that are not theme names become errors; the rest still loads.
pub fn overlay(packs: &mut BTreeMap<String, PackFiles>, dir: &Path) -> Vec<ThemeError> {
    let mut errors = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(ThemeError::new("*", &dir.display().to_string(), format!("cannot read themes directory: {e}")));
            return errors;
        }
    };
    let mut folders: Vec<_> = entries.filter_map(Result::ok).filter(|e| e.path().is_dir()).collect();
    folders.sort_by_key(|e| e.file_name());
    for folder in folders {
        let name = folder.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if !is_identifier(&name) {
            errors.push(ThemeError::new(
                &name,
                &folder.path().display().to_string(),
                "folder name is not a theme name (lowercase letters, digits, - and _)".to_owned(),
            ));
            continue;
        }
        let mut read = Vec::new();
        collect(&folder.path(), "", &mut read, &mut errors, &name);
        let pack = packs.entry(name).or_default();
        pack.on_disk = true;
        for (relative, file) in read {
            pack.files.insert(relative, file);
        }
    }
    errors
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<(String, SourceFile)>, errors: &mut Vec<ThemeError>, pack: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let relative = format!("{prefix}{file_name}");
        if path.is_dir() {
            if relative == "partials" {
                collect(&path, "partials/", out, errors, pack);
            }
            continue;
        }
        if !is_pack_file(&relative) {
            continue;
        }
        let display = path.display().to_string();
        let too_big = entry.metadata().map(|m| m.len() > MAX_FILE_BYTES).unwrap_or(false);
        if too_big {
            errors.push(ThemeError::new(pack, &display, format!("larger than {} KiB", MAX_FILE_BYTES / 1024)));
            continue;
        }
        // Read whole before it replaces the inherited file, so a half-written file never mixes in.
        match std::fs::read_to_string(&path) {
            Ok(text) => out.push((relative, SourceFile { text, display })),
            Err(e) => errors.push(ThemeError::new(pack, &display, format!("cannot read: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifests_templates_and_partials_belong_to_a_pack() {
        for yes in ["theme.toml", "wide.svg.hbs", "partials/style.hbs"] {
            assert!(is_pack_file(yes), "{yes}");
        }
        for no in ["README.md", "preview.png", "partials/deep/x.hbs", "other/x.svg.hbs", "wide.svg"] {
            assert!(!is_pack_file(no), "{no}");
        }
    }

    #[test]
    fn the_default_pack_is_built_in() {
        let packs = builtin();
        let default = &packs["default"];
        assert!(default.files.contains_key("theme.toml"));
        assert!(default.files.contains_key("wide.svg.hbs"));
    }
}
