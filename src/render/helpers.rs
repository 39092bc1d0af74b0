//! Handlebars helpers for theme templates: number formatting, truncation and layout arithmetic.
//! Registered in one place so every template sees the same set.

use handlebars::{Handlebars, handlebars_helper};
use serde_json::Value;

handlebars_helper!(short_number: |n: i64| format_short(n));
handlebars_helper!(long_number: |n: i64| format_long(n));
handlebars_helper!(percent: |p: f64| format!("{p:.1}%"));
handlebars_helper!(truncate: |s: str, max: u64| truncate_chars(s, max as usize));
handlebars_helper!(add: |a: f64, b: f64| round2(a + b));
handlebars_helper!(sub: |a: f64, b: f64| round2(a - b));
handlebars_helper!(mul: |a: f64, b: f64| round2(a * b));
handlebars_helper!(div: |a: f64, b: f64| if b == 0.0 { Value::from(0) } else { round2(a / b) });
// `x` percent of `total`: bar widths and offsets.
handlebars_helper!(pct_of: |x: f64, total: f64| round2(x * total / 100.0));

pub(super) fn register(registry: &mut Handlebars<'static>) {
    registry.register_helper("short", Box::new(short_number));
    registry.register_helper("number", Box::new(long_number));
    registry.register_helper("percent", Box::new(percent));
    registry.register_helper("truncate", Box::new(truncate));
    registry.register_helper("add", Box::new(add));
    registry.register_helper("sub", Box::new(sub));
    registry.register_helper("mul", Box::new(mul));
    registry.register_helper("div", Box::new(div));
    registry.register_helper("pct_of", Box::new(pct_of));
}

fn round2(x: f64) -> Value {
    let rounded = (x * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 { Value::from(rounded as i64) } else { Value::from(rounded) }
}

/// `1234` -> `1.2k`, `5_300_000` -> `5.3M`; under 1000 unchanged.
fn format_short(n: i64) -> String {
    let abs = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    let (value, unit) = match abs {
        a if a >= 1e9 => (a / 1e9, "B"),
        a if a >= 1e6 => (a / 1e6, "M"),
        a if a >= 1e3 => (a / 1e3, "k"),
        a => return format!("{sign}{a}"),
    };
    // 999_950 would print as "1000.0k"; it reads better as the next unit.
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{sign}{text}{unit}")
}

/// `1234567` -> `1,234,567`.
fn format_long(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers() {
        assert_eq!(format_short(0), "0");
        assert_eq!(format_short(999), "999");
        assert_eq!(format_short(1000), "1k");
        assert_eq!(format_short(1234), "1.2k");
        assert_eq!(format_short(5_300_000), "5.3M");
        assert_eq!(format_short(-2500), "-2.5k");
        assert_eq!(format_short(i64::MAX), "9223372036.9B");
    }

    #[test]
    fn long_numbers() {
        assert_eq!(format_long(0), "0");
        assert_eq!(format_long(1234567), "1,234,567");
        assert_eq!(format_long(-1000), "-1,000");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("héllo wörld", 5), "héll…");
        assert_eq!(truncate_chars("short", 5), "short");
        assert_eq!(truncate_chars("🦀🦀🦀", 2), "🦀…");
    }
}
