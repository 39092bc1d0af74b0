//! `theme.toml`: what a pack declares about itself. Parsed strictly (unknown keys are errors, so a
//! typo is caught at validation, not silently ignored).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ThemeError;
use crate::domain::BannerType;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub license: Option<String>,
    pub version: Option<String>,
    /// Pack whose templates, partials, palette and sizes this one inherits.
    pub extends: Option<String>,
    /// Banner types this pack provides (besides the inherited ones).
    #[serde(default)]
    pub types: Vec<String>,
    /// Other names that select this pack (another tool's spelling, an old name).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The pack readers in dark mode see instead of this one (`theme=auto` for the default pack,
    /// `theme=NAME,auto` for any); not inherited.
    pub dark: Option<String>,
    /// Named colors (`#rgb`, `#rrggbb`, `#rrggbbaa`, or `none`), available as `theme.palette.*`.
    #[serde(default)]
    pub palette: BTreeMap<String, String>,
    /// Width and height per banner type.
    #[serde(default)]
    pub sizes: BTreeMap<String, Size>,
    #[serde(default)]
    pub fonts: Fonts,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fonts {
    /// CSS font-family list for all text.
    pub family: Option<String>,
}

/// Palette keys every resolved pack must have: the query-string color overrides target them.
pub const REQUIRED_PALETTE: [&str; 5] = ["title", "text", "icon", "background", "border"];

impl Manifest {
    /// Parses and checks one manifest; `file` is how errors name it.
    pub fn parse(folder: &str, file: &str, text: &str) -> Result<Self, ThemeError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unzip();
            ThemeError::new(folder, file, e.message().to_owned()).at(line, column)
        })?;
        let fail = |message: String| Err(ThemeError::new(folder, file, message));
        if manifest.name != folder {
            return fail(format!("name = \"{}\" must equal the folder name `{folder}`", manifest.name));
        }
        if let Some(parent) = &manifest.extends
            && !is_identifier(parent)
        {
            return fail(format!("extends = \"{parent}\" is not a theme name"));
        }
        if manifest.name == "auto" {
            return fail("`auto` is reserved (theme=auto picks a light and a dark pack)".to_owned());
        }
        if let Some(dark) = &manifest.dark
            && (!is_identifier(dark) || dark == folder)
        {
            return fail(format!("dark = \"{dark}\" is not a theme name other than the pack's own"));
        }
        for alias in &manifest.aliases {
            if !is_identifier(alias) || alias == folder {
                return fail(format!("aliases: `{alias}` is not a theme name other than the pack's own"));
            }
        }
        for kind in &manifest.types {
            if kind.parse::<BannerType>().is_err() {
                return fail(format!("types: unknown banner type `{kind}` (wide, compact, languages)"));
            }
        }
        for (kind, size) in &manifest.sizes {
            if kind.parse::<BannerType>().is_err() {
                return fail(format!("sizes: unknown banner type `{kind}`"));
            }
            if !(16..=4000).contains(&size.width) || !(16..=4000).contains(&size.height) {
                return fail(format!("sizes.{kind}: width and height must be between 16 and 4000"));
            }
        }
        for (key, color) in &manifest.palette {
            if !is_identifier(key) {
                return fail(format!("palette: `{key}` is not a valid key (letters, digits, - and _)"));
            }
            if !is_palette_color(color) {
                return fail(format!("palette.{key} = \"{color}\" is not a color (#rgb, #rrggbb, #rrggbbaa or none)"));
            }
        }
        if let Some(family) = &manifest.fonts.family
            && family.chars().any(|c| matches!(c, '<' | '>' | '{' | '}' | ';' | '"'))
        {
            return fail("fonts.family may not contain < > { } ; or double quotes".to_owned());
        }
        Ok(manifest)
    }
}

/// Theme names and palette keys: never paths, never markup.
pub fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

pub fn is_palette_color(color: &str) -> bool {
    color == "none" || is_hex_color(color)
}

pub fn is_hex_color(color: &str) -> bool {
    color
        .strip_prefix('#')
        .is_some_and(|hex| matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_color_theme_parses() {
        let m = Manifest::parse(
            "ocean",
            "ocean/theme.toml",
            "name = \"ocean\"\nextends = \"default\"\n[palette]\nbackground = \"#001122\"\n",
        )
        .unwrap();
        assert_eq!(m.extends.as_deref(), Some("default"));
        assert_eq!(m.palette["background"], "#001122");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let err =
            Manifest::parse("ocean", "ocean/theme.toml", "name = \"ocean\"\n[palette]\nbackground = 12\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("ocean/theme.toml:3"), "{text}");
    }

    #[test]
    fn bad_values_are_rejected_with_a_reason() {
        let cases = [
            ("name = \"other\"", "folder name"),
            ("name = \"ocean\"\nextends = \"../x\"", "not a theme name"),
            ("name = \"ocean\"\ntypes = [\"huge\"]", "unknown banner type"),
            ("name = \"ocean\"\n[palette]\ntitle = \"red\"", "not a color"),
            ("name = \"ocean\"\n[palette]\ntitle = \"#12345\"", "not a color"),
            ("name = \"ocean\"\ncolour = 1", "unknown field"),
            ("name = \"ocean\"\n[fonts]\nfamily = \"x;}</style>\"", "fonts.family"),
        ];
        for (text, expected) in cases {
            let err = Manifest::parse("ocean", "theme.toml", text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn identifiers_are_never_paths() {
        for bad in ["", "../x", "a/b", "A", ".x", "-x", "x y", &"x".repeat(41)] {
            assert!(!is_identifier(bad), "{bad}");
        }
        for good in ["default", "github-dark", "solarized_light", "x1"] {
            assert!(is_identifier(good), "{good}");
        }
    }
}
