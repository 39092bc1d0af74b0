//! What each card kind takes, described for frontends (the builder page's `cards.json`): the
//! subject's parameters and the options with their types, choices and defaults. The server
//! parses the same names (`BannerOptions::from_params`); a test checks that every option
//! described here is one it understands, with the choices and bounds it accepts.

use serde::Serialize;

use super::Source;
use crate::render::contribution_options::{GRAPH_DEFAULT_DAYS, GRAPH_MAX_DAYS, WEEKDAYS, YEARS};
use crate::render::options::StatKey;

#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    pub label: &'static str,
    /// A value that works, shown greyed in the empty field.
    pub example: &'static str,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OptionType {
    Bool {
        default: bool,
    },
    Choice {
        choices: Vec<&'static str>,
        default: &'static str,
    },
    /// A comma-separated set of the choices.
    Multi {
        choices: Vec<&'static str>,
    },
    Number {
        min: i64,
        max: i64,
        default: Option<i64>,
    },
    /// `example`: a value that works, shown greyed in the empty field.
    Text {
        example: &'static str,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionSpec {
    pub name: &'static str,
    #[serde(flatten)]
    pub kind: OptionType,
    pub help: &'static str,
}

pub(super) fn flag(name: &'static str, help: &'static str) -> OptionSpec {
    OptionSpec { name, kind: OptionType::Bool { default: false }, help }
}

pub(super) fn choice(name: &'static str, choices: &[&'static str], help: &'static str) -> OptionSpec {
    OptionSpec { name, kind: OptionType::Choice { choices: choices.to_vec(), default: choices[0] }, help }
}

pub(super) fn number(name: &'static str, min: i64, max: i64, default: Option<i64>, help: &'static str) -> OptionSpec {
    OptionSpec { name, kind: OptionType::Number { min, max, default }, help }
}

fn text(name: &'static str, example: &'static str, help: &'static str) -> OptionSpec {
    OptionSpec { name, kind: OptionType::Text { example }, help }
}

fn year_bounds() -> (i64, i64) {
    (i64::from(*YEARS.start()), i64::from(*YEARS.end()))
}

/// The subject's parameters for a source.
pub fn subject(source: Source) -> Vec<ParamSpec> {
    let param = |name, label, example| vec![ParamSpec { name, label, example, required: true }];
    match source {
        Source::UserStats | Source::Contributions => param("username", "GitHub login", "octocat"),
        Source::Repository => param("repo", "Repository (owner/name)", "octocat/hello-world"),
        Source::Gist => param("id", "Gist id", "bbfce31e0217a3689c8d961a356cb10d"),
        Source::WakaTime => param("username", "WakaTime username", "wakatime-user"),
    }
}

/// Every card's frame.
pub(super) fn common() -> Vec<OptionSpec> {
    vec![
        flag("hide_border", "No border"),
        number("border_radius", 0, 50, None, "Corner radius"),
        flag("disable_animations", "No fade-in"),
    ]
}

/// The stats cards' (`wide`, `compact`).
pub(super) fn stats() -> Vec<OptionSpec> {
    let keys: Vec<&'static str> = StatKey::ALL.iter().map(|k| k.as_str()).collect();
    let mut options = vec![
        flag("show_icons", "Icons before each stat"),
        OptionSpec { name: "hide", kind: OptionType::Multi { choices: keys.clone() }, help: "Stats to leave out" },
        OptionSpec { name: "show", kind: OptionType::Multi { choices: keys }, help: "Stats to add" },
        flag("include_all_commits", "Commits of all time rather than the last year"),
        flag("hide_rank", "No rank ring"),
        choice("rank_icon", &["default", "github", "percentile"], "What the ring shows"),
        choice("number_format", &["long", "short"], "1,234 or 1.2k"),
        flag("hide_title", "No title"),
        text("custom_title", "My stats", "Title instead of the default"),
        number("card_width", 300, 1000, None, "Width in pixels"),
    ];
    options.extend(common());
    options
}

/// The language cards'.
pub(super) fn languages() -> Vec<OptionSpec> {
    let mut options = vec![
        choice("layout", &["normal", "compact", "donut", "pie"], "How the shares are drawn"),
        number("langs_count", 1, 20, None, "Languages shown"),
        text("hide_languages", "html,css", "Languages to leave out"),
        flag("hide_progress", "No bars"),
        choice("stats_format", &["percentages", "bytes"], "Shares or sizes"),
        flag("hide_title", "No title"),
    ];
    options.extend(common());
    options
}

/// The streak card's.
pub(super) fn streak() -> Vec<OptionSpec> {
    let years = year_bounds();
    let mut options = vec![
        text("timezone", "Europe/Berlin", "Whose days count (IANA name; default UTC)"),
        choice("mode", &["daily", "weekly"], "Days or weeks in a row"),
        OptionSpec {
            name: "exclude_days",
            kind: OptionType::Multi { choices: WEEKDAYS.to_vec() },
            help: "Days that do not break a daily streak",
        },
        number("starting_year", years.0, years.1, None, "Leave out earlier years"),
        text("date_format", "M j[, Y]", "Dates: d j m n M Y y; [..] only for other years"),
        flag("hide_total_contributions", "No total"),
        flag("hide_current_streak", "No current streak"),
        flag("hide_longest_streak", "No longest streak"),
    ];
    options.extend(common());
    options
}

/// The calendar card's.
pub(super) fn calendar() -> Vec<OptionSpec> {
    let years = year_bounds();
    let mut options = vec![
        choice("layout", &["normal", "graph"], "Heatmap, or the activity graph"),
        number("year", years.0, years.1, None, "A calendar year instead of the last 12 months"),
        number("days", 1, i64::from(GRAPH_MAX_DAYS), Some(i64::from(GRAPH_DEFAULT_DAYS)), "Days the graph shows"),
        text("timezone", "Europe/Berlin", "Whose days count (IANA name; default UTC)"),
        flag("hide_title", "No title"),
        text("custom_title", "My contributions", "Title instead of the default"),
    ];
    options.extend(common());
    options
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::BannerType;
    use crate::images::{CardRequest, SubjectFrom};

    /// `type=KIND`, its subject filled in, and `extra`.
    fn request(kind: BannerType, extra: &[(&str, String)]) -> Result<CardRequest, crate::render::OptionError> {
        let mut params: HashMap<String, String> = HashMap::new();
        params.insert("type".to_owned(), kind.as_str().to_owned());
        for param in subject(super::super::kind(kind).source()) {
            params.insert(param.name.to_owned(), param.example.to_owned());
        }
        params.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        CardRequest::parse(&params, None, SubjectFrom::Params).map_err(|refused| refused.error)
    }

    /// What the builder page offers, the server takes: every choice, both ends of every range,
    /// every example; and refuses a number out of range, naming the option.
    #[test]
    fn every_option_a_kind_describes_is_one_the_server_parses() {
        for kind in BannerType::ALL {
            assert!(request(kind, &[]).is_ok(), "{kind:?}: its subject's examples parse");
            for option in super::super::kind(kind).options() {
                let accepted: Vec<String> = match &option.kind {
                    OptionType::Bool { .. } => vec!["true".into(), "false".into()],
                    OptionType::Choice { choices, default } => {
                        assert!(choices.contains(default), "{}: default among the choices", option.name);
                        choices.iter().map(|c| (*c).to_owned()).collect()
                    }
                    // Every one alone, and all but one together (all of the week is refused).
                    OptionType::Multi { choices } => {
                        let mut sets: Vec<String> = choices.iter().map(|c| (*c).to_owned()).collect();
                        sets.push(choices[1..].join(","));
                        sets
                    }
                    OptionType::Number { min, max, .. } => {
                        for wrong in [min - 1, max + 1] {
                            let refused = request(kind, &[(option.name, wrong.to_string())]).map(|_| ());
                            assert_eq!(
                                refused.map_err(|e| e.name),
                                Err(option.name),
                                "{kind:?} {}={wrong}",
                                option.name
                            );
                        }
                        vec![min.to_string(), max.to_string()]
                    }
                    OptionType::Text { example } => vec![(*example).to_owned()],
                };
                for value in accepted {
                    let parsed = request(kind, &[(option.name, value.clone())]);
                    assert!(parsed.is_ok(), "{kind:?}: {}={value} is refused: {:?}", option.name, parsed.err());
                }
                assert!(
                    crate::render::options::OPTION_NAMES.contains(&option.name),
                    "{} is not an option name the server reads",
                    option.name
                );
            }
        }
    }
}
