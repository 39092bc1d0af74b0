//! What repository (`pin`) and gist cards show: the template context built from a [`CodeCard`].

use serde::Serialize;

use super::context::{ThemeView, theme_view};
use super::i18n;
use super::options::BannerOptions;
use super::theme::Pack;
use super::{CONTEXT_VERSION, linguist_color};
use crate::domain::{BannerType, CodeCard};

/// Characters per description line: the card is 400 wide and the text 13 px.
const LINE_CHARS: usize = 56;
const FALLBACK_COLOR: &str = "#858585";

#[derive(Debug, Serialize)]
pub struct CodeContext {
    pub version: u32,
    /// `pin` or `gist`.
    pub kind: &'static str,
    pub locale: &'static str,
    /// The name, or `owner/name` with `show_owner`, or `custom_title`.
    pub title: String,
    pub owner: String,
    pub name: String,
    /// The description wrapped to at most `description_lines_count` lines (1-3, default 3); the
    /// last line ends with "…" when text was cut.
    pub description_lines: Vec<String>,
    pub language: Option<CodeLanguage>,
    pub stars: i64,
    pub forks: i64,
    pub archived: bool,
    pub template: bool,
    pub theme: ThemeView,
    pub stale: bool,
    pub fetched_at: String,
}

#[derive(Debug, Serialize)]
pub struct CodeLanguage {
    pub name: String,
    pub color: String,
}

impl CodeContext {
    pub fn new(pack: &Pack, kind: BannerType, card: &CodeCard, stale: bool, options: &BannerOptions) -> Self {
        let locale = i18n::locale(options.locale).unwrap_or_else(i18n::default_locale);
        let title = options.custom_title.clone().unwrap_or_else(|| {
            if options.show_owner { format!("{}/{}", card.owner, card.name) } else { card.name.clone() }
        });
        let lines = options.description_lines.unwrap_or(3);
        let description = card.description.as_deref().map(str::trim).filter(|d| !d.is_empty());
        let language = card.language.as_ref().map(|name| CodeLanguage {
            name: name.clone(),
            color: card
                .language_color
                .as_deref()
                .filter(|c| super::theme::manifest::is_hex_color(c))
                .or_else(|| linguist_color(name))
                .unwrap_or(FALLBACK_COLOR)
                .to_owned(),
        });
        Self {
            version: CONTEXT_VERSION,
            kind: kind.as_str(),
            locale: locale.code,
            title,
            owner: card.owner.clone(),
            name: card.name.clone(),
            description_lines: description.map(|d| wrap(d, LINE_CHARS, lines)).unwrap_or_default(),
            language,
            stars: card.stars,
            forks: card.forks,
            archived: card.archived,
            template: card.template,
            theme: theme_view(pack, kind, options),
            stale,
            fetched_at: card.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// Words into at most `max_lines` lines of at most `width` characters; a word longer than a line
/// is cut, and the last line ends with "…" when anything was left out.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut cut = false;
    for word in text.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        let needed = if current.is_empty() { 0 } else { 1 } + word.chars().count();
        if current.chars().count() + needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            if lines.len() == max_lines {
                cut = true;
                break;
            }
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.extend(word.chars().take(width));
    }
    if !cut && !current.is_empty() {
        lines.push(current);
    }
    if cut && let Some(last) = lines.last_mut() {
        let kept: String = last.chars().take(width.saturating_sub(1)).collect();
        *last = format!("{}…", kept.trim_end());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_wrap_to_the_asked_number_of_lines() {
        let text = "one two three four five six seven eight nine ten";
        assert_eq!(wrap(text, 14, 3), ["one two three", "four five six", "seven eight…"]);
        assert_eq!(wrap(text, 100, 1), [text]);
        assert_eq!(wrap("short", 14, 2), ["short"]);
        assert_eq!(wrap(&"x".repeat(30), 10, 2), ["x".repeat(10)]);
        assert!(wrap("", 10, 3).is_empty());
    }
}
