//! `ContributionCalendar`: a user's contributions between `from` and `to`, counted per day in
//! `from`'s UTC offset, as GitHub's `contributionsCollection(from, to)` answers it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate};
use serde_json::{Value, json};

use super::{Budget, FakeState, FakeUser, invalid_variable};

/// Contributions made at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeContribution {
    /// RFC 3339, e.g. `2024-02-29T12:00:00Z`.
    pub at: String,
    pub count: u32,
    /// Counted only when the user shows private contributions on their profile.
    pub private: bool,
}

impl FakeUser {
    pub fn contribution(mut self, at: &str, count: u32) -> FakeUser {
        self.contributions.push(FakeContribution { at: at.to_owned(), count, private: false });
        self
    }

    pub fn private_contribution(mut self, at: &str, count: u32) -> FakeUser {
        self.contributions.push(FakeContribution { at: at.to_owned(), count, private: true });
        self
    }

    /// What the user's profile shows: private contributions only when they opted in.
    fn shown(&self) -> impl Iterator<Item = (DateTime<FixedOffset>, &FakeContribution)> {
        self.contributions
            .iter()
            .filter(|c| !c.private || self.private_contributions_shown)
            .map(|c| (DateTime::parse_from_rfc3339(&c.at).expect("a fake contribution's time is RFC 3339"), c))
    }
}

pub(super) fn contribution_calendar(state: &FakeState, variables: &Value, query: &str, budget: &Budget) -> Value {
    let bound = |name: &str| variables[name].as_str().and_then(|v| DateTime::parse_from_rfc3339(v).ok());
    let (Some(login), Some(from), Some(to)) = (variables["login"].as_str(), bound("from"), bound("to")) else {
        return invalid_variable("from", query);
    };
    let Some(user) = state.users.get(&login.to_ascii_lowercase()) else {
        return json!({
            "data": { "rateLimit": budget.json(), "user": null },
            "errors": [{ "type": "NOT_FOUND", "path": ["user"], "message": format!("Could not resolve to a User with the login of '{login}'.") }],
        });
    };
    if to - from > chrono::Duration::days(366) {
        return json!({ "data": null, "errors": [{ "message": "The total time spanned by 'from' and 'to' must not exceed 1 year" }] });
    }
    let offset = *from.offset();
    let mut by_day: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    let mut restricted = 0;
    for (at, contribution) in user.shown().filter(|(at, _)| (from..=to).contains(at)) {
        *by_day.entry(at.with_timezone(&offset).date_naive()).or_default() += contribution.count;
        if contribution.private {
            restricted += contribution.count;
        }
    }
    // Weeks run Sunday to Saturday; the first and last may be short.
    let mut weeks: Vec<Vec<Value>> = Vec::new();
    let last = to.with_timezone(&offset).date_naive();
    let mut day = from.date_naive();
    while day <= last {
        if weeks.is_empty() || day.weekday() == chrono::Weekday::Sun {
            weeks.push(Vec::new());
        }
        let count = by_day.get(&day).copied().unwrap_or(0);
        weeks.last_mut().expect("a week").push(json!({ "date": day.to_string(), "contributionCount": count }));
        day = day + Days::new(1);
    }
    let mut years: Vec<i32> = user.shown().map(|(at, _)| at.with_timezone(&offset).year()).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    json!({
        "data": {
            "rateLimit": budget.json(),
            "user": {
                "contributionsCollection": {
                    "contributionYears": years,
                    "restrictedContributionsCount": restricted,
                    "contributionCalendar": {
                        "weeks": weeks.into_iter().map(|days| json!({ "contributionDays": days })).collect::<Vec<_>>(),
                    },
                },
            },
        }
    })
}
