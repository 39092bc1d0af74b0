//! Data generated from npm packages by `tools/generate_assets.py` (never hand-typed): GitHub linguist
//! language colors and Primer octicons; plus the translated labels in `assets/locales/`.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

static LINGUIST_COLORS: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| serde_json::from_str(include_str!("assets/linguist_colors.json")).unwrap_or_default());

#[derive(Deserialize)]
pub(crate) struct Icon {
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Inner SVG markup: ours, generated from @primer/octicons, so it is emitted unescaped.
    pub(crate) body: String,
}

static OCTICONS: LazyLock<HashMap<String, Icon>> =
    LazyLock::new(|| serde_json::from_str(include_str!("assets/octicons.json")).unwrap_or_default());

/// GitHub's color for a language, from linguist.
pub fn linguist_color(language: &str) -> Option<&'static str> {
    LINGUIST_COLORS.get(language).map(String::as_str)
}

pub(crate) fn icon(name: &str) -> Option<&'static Icon> {
    OCTICONS.get(name)
}

pub(crate) fn icon_names() -> impl Iterator<Item = &'static str> {
    OCTICONS.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_assets_parse_and_hold_known_entries() {
        assert_eq!(linguist_color("Rust"), Some("#dea584"));
        assert!(LINGUIST_COLORS.len() > 300);
        for name in ["star", "repo-forked", "git-commit", "git-pull-request", "issue-opened", "people"] {
            let icon = icon(name).unwrap_or_else(|| panic!("missing icon {name}"));
            assert!(icon.body.contains("<path") && icon.width == 16 && icon.height == 16);
        }
    }
}
