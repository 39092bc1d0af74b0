//! XML escaping for template output.

/// Escapes the five XML specials and drops characters XML 1.0 forbids even as references
/// (C0 controls other than tab/newline/return, U+FFFE, U+FFFF): GitHub lets users put them in
/// names and bios, and a single one would make the whole SVG unparseable.
pub fn xml(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn markup_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(xml(r#"<a href="x">&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
        assert_eq!(xml("a\u{1}b\u{FFFF}c"), "abc");
        assert_eq!(xml("]]>"), "]]&gt;");
        assert_eq!(xml("héllo 🦀"), "héllo 🦀");
    }
}
