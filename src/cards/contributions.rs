//! `streak` and `calendar`: cards drawn from a user's contribution calendar (every year since
//! their first contribution, in the reader's timezone).

use super::{CardData, CardKind, Output, Source, finish, finish_without};
use crate::domain::{BannerType, ContributionCalendar, PastYears};
use crate::render::contribution_options::ContributionOptions;
use crate::render::{BannerOptions, CALENDAR_GEOMETRY, CalendarContext, Pack, RenderError, StreakContext};

pub(super) struct Streak;
pub(super) struct Calendar;

/// The data as one calendar, whether it is stale, and the offset it is counted in when that is
/// not the reader's; or the error a kind gives for data of another source.
fn calendar(
    pack: &Pack,
    kind: BannerType,
    data: &CardData,
) -> Result<(ContributionCalendar, bool, Option<String>), RenderError> {
    let CardData::Contributions { login, years, today, stale, counted_in, .. } = data else {
        return Err(RenderError::Template {
            theme: pack.name.clone(),
            template: format!("{}.svg.hbs", kind.as_str()),
            message: "this card shows a contribution calendar".to_owned(),
        });
    };
    let years: Vec<_> = years.iter().map(|y| &**y).collect();
    // `UTC+09:00`: the offset as the card's bottom line names it.
    let counted_in = counted_in.map(|minutes| format!("UTC{}", crate::domain::utc_offset(minutes)));
    Ok((ContributionCalendar::merge(login, &years, *today), *stale, counted_in))
}

impl CardKind for Streak {
    fn title(&self) -> &'static str {
        "Contribution streak"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        super::spec::streak()
    }

    fn kind(&self) -> BannerType {
        BannerType::Streak
    }

    fn source(&self) -> Source {
        Source::Contributions
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        let (calendar, stale, counted_in) = calendar(pack, BannerType::Streak, data)?;
        let context = StreakContext { counted_in, ..StreakContext::new(pack, &calendar, stale, options) };
        finish(pack, BannerType::Streak, &context, output)
    }

    /// Three panels, two, one; weekly.
    fn variants(&self) -> Vec<BannerOptions> {
        let with = |contributions: ContributionOptions| BannerOptions { contributions, ..BannerOptions::default() };
        let all = ContributionOptions::default();
        vec![
            with(all.clone()),
            with(ContributionOptions { hide_total: true, ..all.clone() }),
            with(ContributionOptions { hide_total: true, hide_longest: true, ..all.clone() }),
            with(ContributionOptions { mode: crate::domain::StreakMode::Weekly, ..all }),
        ]
    }
}

impl CardKind for Calendar {
    fn title(&self) -> &'static str {
        "Contribution calendar"
    }

    fn options(&self) -> Vec<super::spec::OptionSpec> {
        super::spec::calendar()
    }

    fn kind(&self) -> BannerType {
        BannerType::Calendar
    }

    fn source(&self) -> Source {
        Source::Contributions
    }

    fn draw(
        &self,
        pack: &Pack,
        data: &CardData,
        options: &BannerOptions,
        output: Output,
    ) -> Result<String, RenderError> {
        let (calendar, stale, counted_in) = calendar(pack, BannerType::Calendar, data)?;
        let context = CalendarContext { counted_in, ..CalendarContext::new(pack, &calendar, stale, options) };
        finish_without(pack, BannerType::Calendar, &context, output, &CALENDAR_GEOMETRY)
    }

    /// Only the years it shows: one calendar year, or the last 12 months and the graph's at most
    /// 365 days, which reach into the year before.
    fn past_years(&self, options: &BannerOptions) -> PastYears {
        match (options.contributions.graph, options.contributions.year) {
            (false, Some(year)) => PastYears::Only(year),
            _ => PastYears::Previous,
        }
    }

    /// The last 12 months, a past year, and the graph over a month and over a year.
    fn variants(&self) -> Vec<BannerOptions> {
        let with = |contributions: ContributionOptions| BannerOptions { contributions, ..BannerOptions::default() };
        let all = ContributionOptions::default();
        vec![
            with(all.clone()),
            with(ContributionOptions { year: Some(2024), ..all.clone() }),
            with(ContributionOptions { graph: true, ..all.clone() }),
            with(ContributionOptions { graph: true, days: 365, ..all.clone() }),
            with(ContributionOptions { graph: true, days: 1, ..all }),
        ]
    }
}
