//! What a calendar card shows: a year of contributions as a heatmap (53 weeks x 7 days, as on a
//! GitHub profile) or the last days as an activity graph. Positions are worked out here so that
//! templates only draw.

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use super::CONTEXT_VERSION;
use super::context::{ThemeView, theme_view};
use super::i18n::{self, Locale};
use super::options::BannerOptions;
use super::theme::Pack;
use crate::domain::{BannerType, ContributionCalendar, ContributionDay, level, week_start};

/// Distance between cells of the heatmap, at most (less when a wide year must fit).
const CELL_PITCH: f64 = 14.0;
/// Room for the weekday labels on the left and a margin on the right.
const LEFT: f64 = 40.0;
const RIGHT: f64 = 20.0;
/// Keys of the context that place things on the card rather than say what it shows; JSON leaves
/// them out.
pub const GEOMETRY: [&str; 5] = ["cells", "month_labels", "weekday_labels", "legend", "graph"];

#[derive(Debug, Serialize)]
pub struct CalendarContext {
    pub version: u32,
    pub kind: &'static str,
    pub locale: &'static str,
    pub login: String,
    /// `heatmap` or `graph`.
    pub layout: &'static str,
    pub title: String,
    /// `year=`, when the card shows one calendar year.
    pub year: Option<i32>,
    pub first_date: String,
    pub last_date: String,
    pub total: u64,
    pub total_text: String,
    /// Every date shown, in order, with its contributions and shade (0-4).
    pub days: Vec<DayView>,
    pub cells: Vec<CellView>,
    pub month_labels: Vec<Label>,
    pub weekday_labels: Vec<Label>,
    pub legend: Legend,
    pub graph: Option<GraphView>,
    pub theme: ThemeView,
    pub stale: bool,
    pub fetched_at: String,
    /// The UTC offset the days are counted in (`UTC+09:00`) when it is not the reader's: the
    /// user's calendar was already counted in as many offsets today as one user may cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted_in: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DayView {
    pub date: String,
    pub count: u32,
    pub level: u8,
}

#[derive(Debug, Serialize)]
pub struct CellView {
    pub x: f64,
    pub y: f64,
    pub size: f64,
    pub level: u8,
    /// "3 on 2024-03-05", for the cell's tooltip.
    pub tip: String,
}

#[derive(Debug, Serialize)]
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Legend {
    pub less: Label,
    pub more: Label,
    /// Five cells from no contributions to the most.
    pub cells: Vec<CellView>,
}

#[derive(Debug, Serialize)]
pub struct GraphView {
    /// `x,y x,y ...` of the line.
    pub points: String,
    /// The area under the line, as a path.
    pub area: String,
    /// Dots on each day when there are few enough to tell apart.
    pub dots: Vec<Label>,
    pub x_labels: Vec<Label>,
    /// The count axis: 0, half and the most in a day, with grid lines at their `y`.
    pub y_labels: Vec<Label>,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub max: u32,
}

impl CalendarContext {
    pub fn new(pack: &Pack, calendar: &ContributionCalendar, stale: bool, options: &BannerOptions) -> Self {
        let locale = i18n::locale(options.locale).unwrap_or_else(i18n::default_locale);
        let o = &options.contributions;
        let theme = theme_view(pack, BannerType::Calendar, options);
        let today = calendar.today;
        let (first, last) = match (o.graph, o.year) {
            (true, _) => (today - Days::new(u64::from(o.days.max(1) - 1)), today),
            (false, Some(year)) => (
                NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today),
                NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today).min(today),
            ),
            (false, None) => (today - Days::new(364), today),
        };
        let shown = if first <= last { calendar.range(first, last) } else { Vec::new() };
        let max = shown.iter().map(|d| d.count).max().unwrap_or(0);
        let total: u64 = shown.iter().map(|d| u64::from(d.count)).sum();
        let days: Vec<DayView> = shown
            .iter()
            .map(|d| DayView { date: d.date.to_string(), count: d.count, level: level(d.count, max) })
            .collect();
        let title = options.custom_title.clone().unwrap_or_else(|| match (o.graph, o.year) {
            (true, _) => locale.label("contributions_last_days").replace("{days}", &o.days.to_string()),
            (false, Some(year)) => locale
                .label("contributions_in_year")
                .replace("{count}", &locale.number(total as i64))
                .replace("{year}", &year.to_string()),
            (false, None) => locale.label("contributions_last_days").replace("{days}", "365"),
        });
        let top = if options.hide_title { 16.0 } else { 48.0 };
        let width = f64::from(theme.width);
        let height = f64::from(theme.height);
        let mut context = Self {
            version: CONTEXT_VERSION,
            kind: BannerType::Calendar.as_str(),
            locale: locale.code,
            login: calendar.login.clone(),
            layout: if o.graph { "graph" } else { "heatmap" },
            title,
            year: if o.graph { None } else { o.year },
            first_date: first.to_string(),
            last_date: last.to_string(),
            total,
            total_text: format!("{}: {}", locale.label("total_contributions"), locale.number(total as i64)),
            days,
            cells: Vec::new(),
            month_labels: Vec::new(),
            weekday_labels: Vec::new(),
            legend: legend(locale, width, height),
            graph: None,
            theme,
            stale,
            fetched_at: calendar.fetched_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            counted_in: None,
        };
        if o.graph {
            let months: Vec<&str> = locale.label("months").split(',').collect();
            let date = |d: NaiveDate| o.format_date(d, today.year(), &months);
            context.graph = Some(graph(&shown, max, width, top, height, &date));
        } else {
            heatmap(&mut context, locale, &shown, max, width, top);
        }
        context
    }
}

/// Cells by week column and weekday row, month names over the first week of each month, and
/// Mon/Wed/Fri beside their rows.
fn heatmap(context: &mut CalendarContext, locale: &Locale, shown: &[ContributionDay], max: u32, width: f64, top: f64) {
    let Some(first) = shown.first().map(|d| week_start(d.date)) else { return };
    let column = |date: NaiveDate| ((week_start(date) - first).num_days() / 7) as f64;
    let columns = shown.last().map_or(1.0, |d| column(d.date) + 1.0);
    let pitch = CELL_PITCH.min(((width - LEFT - RIGHT) / columns).floor());
    let size = pitch - 3.0;
    let grid_top = top + 18.0;
    let left = LEFT + ((width - LEFT - RIGHT - columns * pitch) / 2.0).max(0.0).floor();
    context.cells = shown
        .iter()
        .map(|d| CellView {
            x: left + column(d.date) * pitch,
            y: grid_top + f64::from(d.date.weekday().num_days_from_sunday()) * pitch,
            size,
            level: level(d.count, max),
            tip: format!("{} – {}", d.date, locale.number(i64::from(d.count))),
        })
        .collect();
    let months: Vec<&str> = locale.label("months").split(',').collect();
    let mut last_label = f64::NEG_INFINITY;
    for day in shown.iter().filter(|d| d.date.day() == 1 || d.date == shown[0].date) {
        let x = left + column(day.date) * pitch;
        // A month starting late in the first week would print over the next one's name.
        if x - last_label >= 3.0 * pitch && column(day.date) < columns - 1.0 {
            let text = months.get(day.date.month0() as usize).copied().unwrap_or_default().to_owned();
            context.month_labels.push(Label { x, y: grid_top - 6.0, text });
            last_label = x;
        }
    }
    let weekdays: Vec<&str> = locale.label("weekdays").split(',').collect();
    context.weekday_labels = [1usize, 3, 5]
        .into_iter()
        .map(|row| Label {
            x: left - 6.0,
            y: grid_top + row as f64 * pitch + size - 1.0,
            text: weekdays.get(row).copied().unwrap_or_default().to_owned(),
        })
        .collect();
}

/// "Less [five cells] More" at the bottom right.
fn legend(locale: &Locale, width: f64, height: f64) -> Legend {
    let y = height - 22.0;
    let start = width - RIGHT - 5.0 * 14.0 - 30.0;
    Legend {
        less: Label { x: start - 6.0, y: y + 9.0, text: locale.label("less").to_owned() },
        more: Label { x: start + 5.0 * 14.0 + 3.0, y: y + 9.0, text: locale.label("more").to_owned() },
        cells: (0..5u8)
            .map(|level| CellView { x: start + f64::from(level) * 14.0, y, size: 11.0, level, tip: String::new() })
            .collect(),
    }
}

fn graph(
    shown: &[ContributionDay],
    max: u32,
    width: f64,
    top: f64,
    height: f64,
    date: &dyn Fn(NaiveDate) -> String,
) -> GraphView {
    let (left, right, bottom) = (50.0, width - RIGHT, height - 40.0);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let step = if shown.len() > 1 { (right - left) / (shown.len() - 1) as f64 } else { 0.0 };
    let scale = if max == 0 { 0.0 } else { (bottom - top) / f64::from(max) };
    let at = |i: usize, count: u32| {
        let x = if shown.len() > 1 { left + i as f64 * step } else { (left + right) / 2.0 };
        (round(x), round(bottom - f64::from(count) * scale))
    };
    let points: Vec<(f64, f64)> = shown.iter().enumerate().map(|(i, d)| at(i, d.count)).collect();
    let line = points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
    let area = match (points.first(), points.last()) {
        (Some((x0, _)), Some((xn, _))) => format!("M{x0},{bottom} L{} L{xn},{bottom} Z", line.replace(' ', " L")),
        _ => String::new(),
    };
    let dots = if shown.len() <= 60 {
        points.iter().map(|(x, y)| Label { x: *x, y: *y, text: String::new() }).collect()
    } else {
        Vec::new()
    };
    let mut picks = vec![0, shown.len() / 2, shown.len().saturating_sub(1)];
    picks.dedup();
    let x_labels = picks
        .into_iter()
        .filter_map(|i| shown.get(i).map(|d| (i, d)))
        .map(|(i, d)| Label { x: at(i, 0).0, y: bottom + 18.0, text: date(d.date) })
        .collect();
    let mut ticks = vec![0, max.div_ceil(2), max];
    ticks.dedup();
    let y_labels = ticks
        .into_iter()
        .map(|tick| Label { x: left - 8.0, y: round(bottom - f64::from(tick) * scale), text: tick.to_string() })
        .collect();
    GraphView { points: line, area, dots, x_labels, y_labels, left, right, top, bottom, max }
}
