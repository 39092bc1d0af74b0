//! One SVG for both colour schemes (`theme=auto`, `theme=LIGHT,DARK`): the card drawn in a light
//! and in a dark pack, side by side in one document, and the reader's `prefers-color-scheme`
//! decides which is shown. It works for every card kind and every pack without a template
//! change, because each copy is made independent of the other:
//!
//! - each copy's CSS is scoped to it (every selector is prefixed with the copy's class), since a
//!   `<style>` anywhere in an SVG applies to the whole document;
//! - the dark copy's ids (gradients, title, description) are renamed, and the references to them.
//!
//! Without `prefers-color-scheme` support (and in our PNGs, drawn from the light copy alone) the
//! light copy shows.

use std::fmt::Write as _;

const LIGHT: &str = "gb-scheme-light";
const DARK: &str = "gb-scheme-dark";
/// Prefix of the dark copy's ids.
const DARK_IDS: &str = "gb-dark-";

/// The card `light` and `dark` (each a whole SVG document as our templates draw it) as one SVG
/// showing the copy of the reader's scheme. None when either is not an SVG we drew.
pub fn both_schemes(light: &str, dark: &str) -> Option<String> {
    let light = Copy::parse(light)?;
    let dark = Copy::parse(dark)?;
    let (width, height) = (light.width.max(dark.width), light.height.max(dark.height));
    let mut out = String::with_capacity(light.body.len() + dark.body.len() + 512);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
        w = number(width),
        h = number(height)
    );
    let _ = write!(
        out,
        "<style>.{DARK} {{ display: none; }} @media (prefers-color-scheme: dark) {{ .{LIGHT} {{ display: none; }} \
         .{DARK} {{ display: inline; }} }}</style>"
    );
    out.push_str(&light.scoped(LIGHT, None));
    out.push_str(&dark.scoped(DARK, Some(DARK_IDS)));
    out.push_str("</svg>");
    Some(out)
}

/// One card: its root `<svg ...>` start tag, size and the rest of the document.
struct Copy<'a> {
    /// `<svg` up to (not including) the `>` of the root start tag.
    root: &'a str,
    /// Everything after the root start tag, up to and including `</svg>`.
    body: &'a str,
    width: f64,
    height: f64,
}

impl<'a> Copy<'a> {
    fn parse(svg: &'a str) -> Option<Self> {
        let start = svg.find("<svg")?;
        // Only an XML declaration or comments may come before the root.
        let before = svg[..start].trim();
        if !(before.is_empty() || before.starts_with("<?xml") || before.starts_with("<!--")) {
            return None;
        }
        let end = start + svg[start..].find('>')?;
        let root = svg[start..end].trim_end_matches('/');
        let body = &svg[end + 1..];
        if root.contains(" class=") || !body.trim_end().ends_with("</svg>") {
            return None;
        }
        Some(Self { root, body, width: attribute(root, "width")?, height: attribute(root, "height")? })
    }

    /// The copy as a nested `<svg>` of class `class`, its CSS scoped to that class and (when
    /// `ids` is set) its ids renamed with that prefix.
    fn scoped(&self, class: &str, ids: Option<&str>) -> String {
        let mut text = format!(r#"<svg class="{class}" x="0" y="0"{}>{}"#, &self.root[4..], self.body);
        if let Some(prefix) = ids {
            text = rename_ids(&text, prefix);
        }
        scope_styles(&text, class)
    }
}

/// A numeric attribute of a start tag (`width="495"`).
fn attribute(tag: &str, name: &str) -> Option<f64> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let value = &tag[at..at + tag[at..].find('"')?];
    value.trim_end_matches("px").parse().ok().filter(|v: &f64| v.is_finite() && *v > 0.0)
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value}") }
}

/// Renames every `id="x"` to `id="{prefix}x"`, and the references to it: `url(#x)`, `href="#x"`
/// (with or without `xlink:`) and `aria-labelledby`/`aria-describedby` lists.
fn rename_ids(svg: &str, prefix: &str) -> String {
    let mut ids: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(" id=\"") {
        let value = &rest[at + 5..];
        let Some(end) = value.find('"') else { break };
        ids.push(&value[..end]);
        rest = &value[end..];
    }
    // Longest first, so renaming `title` cannot touch `title-2`'s references halfway.
    ids.sort_by_key(|id| std::cmp::Reverse(id.len()));
    ids.dedup();
    let mut out = svg.to_owned();
    for id in ids {
        for (from, to) in [
            (format!(" id=\"{id}\""), format!(" id=\"{prefix}{id}\"")),
            (format!("url(#{id})"), format!("url(#{prefix}{id})")),
            (format!("href=\"#{id}\""), format!("href=\"#{prefix}{id}\"")),
        ] {
            out = out.replace(&from, &to);
        }
    }
    for attribute in ["aria-labelledby", "aria-describedby"] {
        out = rename_in_lists(&out, attribute, prefix);
    }
    out
}

/// Prefixes every id in `attribute="a b"` lists.
fn rename_in_lists(svg: &str, attribute: &str, prefix: &str) -> String {
    let needle = format!(" {attribute}=\"");
    let mut out = String::with_capacity(svg.len() + 32);
    let mut rest = svg;
    while let Some(at) = rest.find(&needle) {
        let start = at + needle.len();
        let Some(end) = rest[start..].find('"') else { break };
        out.push_str(&rest[..start]);
        let renamed: Vec<String> =
            rest[start..start + end].split_whitespace().map(|id| format!("{prefix}{id}")).collect();
        out.push_str(&renamed.join(" "));
        rest = &rest[start + end..];
    }
    out.push_str(rest);
    out
}

/// Scopes the CSS of every `<style>` element in `svg` to elements inside `.class`.
fn scope_styles(svg: &str, class: &str) -> String {
    let mut out = String::with_capacity(svg.len() + 256);
    let mut rest = svg;
    while let Some(open) = rest.find("<style") {
        let Some(content) = rest[open..].find('>').map(|i| open + i + 1) else { break };
        let Some(close) = rest[content..].find("</style>").map(|i| content + i) else { break };
        out.push_str(&rest[..content]);
        out.push_str(&scope_css(&rest[content..close], &format!(".{class}")));
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// `css` with every style rule's selectors prefixed by `scope` (as ancestors), inside `@media`
/// and `@supports` too; other at-rules (`@keyframes`, `@font-face`) are kept as they are.
fn scope_css(css: &str, scope: &str) -> String {
    let css = strip_comments(css);
    let mut out = String::with_capacity(css.len() + 64);
    let mut rest = css.as_str();
    loop {
        let Some(brace) = rest.find('{') else {
            out.push_str(rest);
            return out;
        };
        let prelude = &rest[..brace];
        let Some(end) = matching_brace(rest, brace) else {
            out.push_str(rest);
            return out;
        };
        let block = &rest[brace + 1..end];
        // A statement at-rule (`@import ...;`) before the block belongs to neither.
        let (statements, prelude) = match prelude.rfind(';') {
            Some(at) => prelude.split_at(at + 1),
            None => ("", prelude),
        };
        out.push_str(statements);
        let head = prelude.trim();
        if head.starts_with("@media") || head.starts_with("@supports") {
            let _ = write!(out, "{head} {{{}}}", scope_css(block, scope));
        } else if head.starts_with('@') {
            let _ = write!(out, "{head} {{{block}}}");
        } else {
            let selectors: Vec<String> = head
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| if s == ":root" || s == "svg" { scope.to_owned() } else { format!("{scope} {s}") })
                .collect();
            let _ = write!(out, "\n{} {{{block}}}", selectors.join(", "));
        }
        rest = &rest[end + 1..];
    }
}

/// The index of the `}` closing the `{` at `open`.
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(fill: &str, width: u32) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="120" viewBox="0 0 {width} 120" role="img" aria-labelledby="title desc"><title id="title">T</title><desc id="desc">D</desc><style>
  /* the title */
  text {{ font-family: sans-serif; }}
  .title, .name {{ fill: {fill}; }}
  @keyframes fade-in {{ from {{ opacity: 0; }} }}
  @media (max-width: 100px) {{ .small {{ display: none; }} }}
</style><defs><linearGradient id="background-gradient"><stop offset="0" stop-color="{fill}"/></linearGradient></defs><rect fill="url(#background-gradient)" width="10" height="10"/><text class="title">Hi</text></svg>"##
        )
    }

    #[test]
    fn both_copies_are_scoped_and_the_dark_ids_renamed() {
        let combined = both_schemes(&card("#111111", 495), &card("#eeeeee", 500)).unwrap();

        let doc = roxmltree::Document::parse(&combined).unwrap();
        let root = doc.root_element();
        assert_eq!((root.attribute("width"), root.attribute("height")), (Some("500"), Some("120")));
        let ids: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("id")).collect();
        assert_eq!(
            ids,
            ["title", "desc", "background-gradient", "gb-dark-title", "gb-dark-desc", "gb-dark-background-gradient"]
        );
        assert!(combined.contains(r#"fill="url(#gb-dark-background-gradient)""#));
        assert!(combined.contains(r#"aria-labelledby="gb-dark-title gb-dark-desc""#));
        assert!(combined.contains(".gb-scheme-light .title, .gb-scheme-light .name {"), "{combined}");
        assert!(combined.contains(".gb-scheme-dark .title, .gb-scheme-dark .name {"), "{combined}");
        assert!(combined.contains("@media (max-width: 100px) {\n.gb-scheme-dark .small {"), "{combined}");
        assert!(combined.contains("@keyframes fade-in { from { opacity: 0; } }"), "{combined}");
        assert!(combined.contains("@media (prefers-color-scheme: dark)"));
        assert!(!combined.contains("the title"), "comments go");
        // The PNG renderer draws it, showing the light copy.
        resvg::usvg::Tree::from_str(&combined, &resvg::usvg::Options::default()).unwrap();
    }

    #[test]
    fn anything_but_a_card_we_drew_is_refused() {
        assert!(both_schemes("<p>hi</p>", &card("#000", 10)).is_none());
        assert!(both_schemes(r#"<svg width="10"></svg>"#, &card("#000", 10)).is_none(), "no height");
        assert!(both_schemes(r#"<svg class="x" width="1" height="1"></svg>"#, &card("#000", 10)).is_none());
    }
}
