//! Handlebars helpers for theme authors, registered in one place (`register`). Errors name the
//! helper and say how to call it.

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderError, RenderErrorReason,
    ScopedJson, handlebars_helper,
};
use serde_json::Value;

use super::assets;
use super::i18n::{self, Locale};
use super::png;

handlebars_helper!(truncate: |s: str, limit: u64| truncate_chars(s, limit as usize));
handlebars_helper!(add: |a: f64, b: f64| round2(a + b));
handlebars_helper!(sub: |a: f64, b: f64| round2(a - b));
handlebars_helper!(mul: |a: f64, b: f64| round2(a * b));
handlebars_helper!(div: |a: f64, b: f64| if b == 0.0 { Value::from(0) } else { round2(a / b) });
// `x` percent of `total`: bar widths and offsets.
handlebars_helper!(floor: |x: f64| x.floor() as i64);
handlebars_helper!(modulo: |a: i64, b: i64| if b == 0 { 0 } else { a.rem_euclid(b) });
handlebars_helper!(larger: |a: f64, b: f64| round2(a.max(b)));
handlebars_helper!(pct_of: |x: f64, total: f64| round2(x * total / 100.0));
handlebars_helper!(lang_color: |name: str| assets::linguist_color(name).unwrap_or("#858585"));
// Donut segment from `offset` to `offset + percent` (percent of a full turn), as a path `d`.
handlebars_helper!(donut_arc: |cx: f64, cy: f64, outer: f64, inner: f64, offset: f64, percent: f64|
    donut_path(cx, cy, outer, inner, offset, percent));
handlebars_helper!(pie_arc: |cx: f64, cy: f64, r: f64, offset: f64, percent: f64|
    donut_path(cx, cy, r, 0.0, offset, percent));

pub(super) fn register(registry: &mut Handlebars<'static>) {
    registry.register_helper("truncate", Box::new(truncate));
    registry.register_helper("add", Box::new(add));
    registry.register_helper("sub", Box::new(sub));
    registry.register_helper("mul", Box::new(mul));
    registry.register_helper("div", Box::new(div));
    registry.register_helper("floor", Box::new(floor));
    registry.register_helper("mod", Box::new(modulo));
    registry.register_helper("max", Box::new(larger));
    registry.register_helper("pct_of", Box::new(pct_of));
    registry.register_helper("lang_color", Box::new(lang_color));
    registry.register_helper("donut_arc", Box::new(donut_arc));
    registry.register_helper("pie_arc", Box::new(pie_arc));
    registry.register_helper("t", Box::new(Translate));
    registry.register_helper("number", Box::new(NumberFormat::Long));
    registry.register_helper("short", Box::new(NumberFormat::Short));
    registry.register_helper("percent", Box::new(NumberFormat::Percent));
    registry.register_helper("bytes", Box::new(NumberFormat::Bytes));
    registry.register_helper("icon", Box::new(IconHelper));
    registry.register_helper("stat_value", Box::new(StatValue));
    registry.register_helper("fit", Box::new(Fit));
    registry.register_helper("mirror", Box::new(Mirror::Card));
    registry.register_helper("flip", Box::new(Mirror::Text));
    registry.register_helper("anchor", Box::new(Mirror::Anchor));
}

fn round2(x: f64) -> Value {
    let rounded = (x * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 { Value::from(rounded as i64) } else { Value::from(rounded) }
}

/// The locale of the banner being rendered (`locale` at the context root).
fn locale_of(ctx: &Context) -> &'static Locale {
    ctx.data().get("locale").and_then(Value::as_str).and_then(i18n::locale).unwrap_or_else(i18n::default_locale)
}

fn usage(helper: &'static str, hint: &str) -> RenderError {
    RenderErrorReason::Other(format!("helper `{helper}`: {hint}")).into()
}

/// Right-to-left locales see the card mirrored: `<g transform="{{mirror theme.width}}">` flips the
/// layout (bars fill from the right, labels sit on the right), `<text transform="{{flip x}}"
/// text-anchor="{{anchor "start"}}">` puts each text back the right way round at its mirrored
/// place and anchors it on the other side. All three are no-ops in left-to-right locales.
enum Mirror {
    Card,
    Text,
    Anchor,
}

impl HelperDef for Mirror {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let rtl = locale_of(ctx).rtl;
        let param = h.param(0).map(|p| p.value());
        let text = match self {
            Mirror::Anchor => {
                let anchor =
                    param.and_then(Value::as_str).ok_or_else(|| usage("anchor", "expects start, middle or end"))?;
                match (rtl, anchor) {
                    (true, "start") => "end",
                    (true, "end") => "start",
                    (_, "start" | "middle" | "end") => anchor,
                    _ => return Err(usage("anchor", "expects start, middle or end")),
                }
                .to_owned()
            }
            Mirror::Card | Mirror::Text => {
                let name = if matches!(self, Mirror::Card) { "mirror" } else { "flip" };
                let x = param.and_then(Value::as_f64).ok_or_else(|| usage(name, "expects a number"))?;
                let shift = if matches!(self, Mirror::Card) { x } else { 2.0 * x };
                if rtl { format!("matrix(-1 0 0 1 {} 0)", (shift * 100.0).round() / 100.0) } else { String::new() }
            }
        };
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{t "stars"}}`, or `{{t "stats_title" name=user.display_name}}` to fill `{name}`.
struct Translate;

impl HelperDef for Translate {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or_else(|| usage("t", "expects a label key, e.g. {{t \"stars\"}}"))?;
        let locale = locale_of(ctx);
        if !locale.has_label(key) {
            return Err(usage("t", &format!("unknown label `{key}` (see src/render/assets/locales/en.toml)")));
        }
        let mut text = locale.label(key).to_owned();
        for (name, value) in h.hash() {
            let value = match value.value() {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            text = text.replace(&format!("{{{name}}}"), &value);
        }
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// A number as a whole one (rounded), as the number helpers show it.
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_f64().map(|f| f.round() as i64))
}

/// `{{number n}}` 1,234,567 · `{{short n}}` 1.2k · `{{percent p}}` 42.5%, in the banner's locale.
enum NumberFormat {
    Long,
    /// `{{short n}}`, `{{short n precision}}`.
    Short,
    Percent,
    Bytes,
}

impl HelperDef for NumberFormat {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let name = match self {
            NumberFormat::Long => "number",
            NumberFormat::Short => "short",
            NumberFormat::Percent => "percent",
            NumberFormat::Bytes => "bytes",
        };
        let value = h.param(0).map(|p| p.value()).ok_or_else(|| usage(name, "expects a number"))?;
        let locale = locale_of(ctx);
        let text = match self {
            NumberFormat::Percent => locale.percent(value.as_f64().ok_or_else(|| usage(name, "expects a number"))?),
            NumberFormat::Long | NumberFormat::Short | NumberFormat::Bytes => {
                let n = integer(value).ok_or_else(|| usage(name, "expects a number"))?;
                let precision = h.param(1).and_then(|p| p.value().as_u64()).map_or(1, |p| p.min(2) as usize);
                match self {
                    NumberFormat::Long => locale.number(n),
                    NumberFormat::Bytes => locale.bytes(n),
                    _ => locale.short_with(n, precision),
                }
            }
        };
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{icon "star" x y size}}`: an octicon as a nested `<svg>` with class `icon` (color it with
/// CSS `fill`). Writes markup, so it is not escaped; the markup is ours, never user data.
struct IconHelper;

impl HelperDef for IconHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let hint = "call as {{icon \"star\" x y size}}";
        let name = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| usage("icon", hint))?;
        let number = |i: usize| h.param(i).and_then(|p| p.value().as_f64()).ok_or_else(|| usage("icon", hint));
        let (x, y, size) = (number(1)?, number(2)?, number(3)?);
        let icon = assets::icon(name).ok_or_else(|| {
            let mut known: Vec<_> = assets::icon_names().collect();
            known.sort_unstable();
            usage("icon", &format!("unknown icon `{name}`; known: {}", known.join(", ")))
        })?;
        out.write(&format!(
            r#"<svg class="icon" x="{x}" y="{y}" width="{size}" height="{size}" viewBox="0 0 {} {}">{}</svg>"#,
            icon.width, icon.height, icon.body
        ))?;
        Ok(())
    }
}

/// `{{stat_value value percent short}}`: a stat row's number as the card shows it: `75%` when
/// `percent`, `1.2k` when `short` (with `theme.number_precision` decimals), else `1,234`; in the
/// banner's locale. One expression, so `fit` can measure what is drawn.
struct StatValue;

impl HelperDef for StatValue {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let hint = "call as {{stat_value value percent short}}";
        let value = h.param(0).map(|p| p.value()).ok_or_else(|| usage("stat_value", hint))?;
        let flag = |i: usize| h.param(i).is_some_and(|p| p.value().as_bool() == Some(true));
        let n = integer(value).ok_or_else(|| usage("stat_value", hint))?;
        let locale = locale_of(ctx);
        let text = if flag(1) {
            format!("{value}%")
        } else if flag(2) {
            let precision =
                ctx.data().pointer("/theme/number_precision").and_then(Value::as_u64).map_or(1, |p| p.min(2));
            locale.short_with(n, precision as usize)
        } else {
            locale.number(n)
        };
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `<text ...{{fit text size room [value]}}>`: when `text`, at `size` px in the card's fonts, is
/// wider than `room` pixels (less the width of `value`, bold, and an 8 px gap: the number drawn
/// right-aligned at the end of the room), writes ` style="font-size: …px"` with the size at which
/// it fits; else nothing. Labels sit at fixed places, and in some languages (Malayalam, Tamil,
/// Serbian, Azerbaijani...) they are longer than the room before their number, which they were
/// drawn over. A smaller size rather than `textLength`: resvg stretches instead of squeezing text
/// whose clusters have several glyphs (usvg 0.49 `apply_length_adjust` adds up each cluster's
/// widest glyph, not its advance), which is the Indic text that needs it. Widths are the PNG
/// renderer's, with the bundled fonts (`png::text_width`); `size` must be the CSS size of the
/// text. Writes markup (an attribute with a number), so it is not escaped.
struct Fit;

impl HelperDef for Fit {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let hint = "call as {{fit text size room}} or {{fit text size room value}}";
        let text = h.param(0).and_then(|p| p.value().as_str()).ok_or_else(|| usage("fit", hint))?;
        let number = |i: usize| h.param(i).and_then(|p| p.value().as_f64()).ok_or_else(|| usage("fit", hint));
        let (size, mut room) = (number(1)? as f32, number(2)? as f32);
        let family = ctx.data().pointer("/theme/font_family").and_then(Value::as_str).unwrap_or("sans-serif");
        if let Some(value) = h.param(3).map(|p| p.value()) {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            room -= png::text_width(&value, family, size, 700) + 8.0;
        }
        let width = png::text_width(text, family, size, 400);
        if room > 0.0 && width > room {
            out.write(&format!(r#" style="font-size: {}px""#, (size * room / width * 100.0).floor() / 100.0))?;
        }
        Ok(())
    }
}

/// Cuts to `max` columns, counting East Asian wide characters and emoji as two (they take about
/// twice the room of a Latin letter), and ends a cut string with an ellipsis.
fn truncate_chars(s: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let width = |c: char| c.width().unwrap_or(0);
    if s.chars().map(width).sum::<usize>() <= max {
        return s.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + width(c) > max.saturating_sub(1) {
            break;
        }
        used += width(c);
        out.push(c);
    }
    out.push('…');
    out
}

/// A ring segment (or a pie slice when `inner` is 0) starting at 12 o'clock, clockwise.
fn donut_path(cx: f64, cy: f64, outer: f64, inner: f64, offset: f64, percent: f64) -> String {
    let percent = percent.clamp(0.0, 100.0);
    // A full circle cannot be drawn as one arc (start == end); two halves can.
    if percent >= 99.99 {
        let ring = |r: f64, sweep: u8| {
            format!(
                "M {cx} {top} A {r} {r} 0 1 {sweep} {cx} {bottom} A {r} {r} 0 1 {sweep} {cx} {top} Z",
                top = cy - r,
                bottom = cy + r
            )
        };
        return if inner > 0.0 { format!("{} {}", ring(outer, 1), ring(inner, 0)) } else { ring(outer, 1) };
    }
    let angle = |p: f64| (p / 100.0) * std::f64::consts::TAU - std::f64::consts::FRAC_PI_2;
    let point = |r: f64, p: f64| {
        let a = angle(p);
        (round3(cx + r * a.cos()), round3(cy + r * a.sin()))
    };
    let large = u8::from(percent > 50.0);
    let (x1, y1) = point(outer, offset);
    let (x2, y2) = point(outer, offset + percent);
    if inner > 0.0 {
        let (x3, y3) = point(inner, offset + percent);
        let (x4, y4) = point(inner, offset);
        format!(
            "M {x1} {y1} A {outer} {outer} 0 {large} 1 {x2} {y2} L {x3} {y3} A {inner} {inner} 0 {large} 0 {x4} {y4} Z"
        )
    } else {
        format!("M {cx} {cy} L {x1} {y1} A {outer} {outer} 0 {large} 1 {x2} {y2} Z")
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_columns_with_wide_characters_as_two() {
        assert_eq!(truncate_chars("héllo wörld", 5), "héll…");
        assert_eq!(truncate_chars("short", 5), "short");
        assert_eq!(truncate_chars("🦀🦀🦀", 3), "🦀…");
        assert_eq!(truncate_chars("王小明", 6), "王小明");
        assert_eq!(truncate_chars("王小明王小明", 6), "王小…");
    }

    #[test]
    fn a_quarter_slice_ends_at_three_oclock() {
        assert_eq!(donut_path(50.0, 50.0, 40.0, 0.0, 0.0, 25.0), "M 50 50 L 50 10 A 40 40 0 0 1 90 50 Z");
    }

    #[test]
    fn a_full_ring_is_two_arcs_not_a_degenerate_one() {
        let d = donut_path(50.0, 50.0, 40.0, 25.0, 0.0, 100.0);
        assert_eq!(d.matches(" A ").count(), 4, "{d}");
    }

    #[test]
    fn more_than_half_uses_the_large_arc_flag() {
        assert!(donut_path(0.0, 0.0, 10.0, 5.0, 0.0, 75.0).contains(" 0 1 1 "));
    }
}
