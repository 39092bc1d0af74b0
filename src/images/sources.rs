//! Where a card's data comes from: each kind's source (user stats, repositories and gists,
//! WakaTime, contribution calendars), asked after admission; and the same data for GraphQL's
//! fields, admitted like the cards that show it.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};

use super::admission::{self, Admitted, Payer};
use super::image::{Image, Rendered};
use super::{CardRequest, ImageError, ImageService, LiveSources};
use crate::cards::{self, CardData, Source, Subject};
use crate::domain::{CodeCard, Login, PastYears, UserSnapshot, WakaUser};
use crate::render::CommitWindow;
use crate::stats::{CalendarLookup, CodeKey, FIRST_YEAR, Freshness, Lookup, StatsError, StatsLookup};

/// Data for a card, with what callers show about its age.
pub(super) struct Fetched {
    pub(super) data: CardData,
    pub(super) freshness: Option<Freshness>,
    pub(super) fetched_at: Option<DateTime<Utc>>,
    /// Contribution cards counted in another offset than the reader's (minutes east of UTC).
    pub(super) counted_in: Option<i32>,
}

impl Fetched {
    fn code(lookup: Lookup<CodeCard>) -> Self {
        let fetched_at = lookup.value.fetched_at;
        Self {
            data: CardData::Code { card: lookup.value, stale: lookup.freshness != Freshness::Fresh },
            freshness: Some(lookup.freshness),
            fetched_at: Some(fetched_at),
            counted_in: None,
        }
    }

    /// A calendar as a card's data; `requested` is the reader's offset (the lookup may be
    /// counted in the nearest other).
    fn contributions(login: &Login, requested: i32, lookup: CalendarLookup) -> Self {
        let fetched_at = lookup.years.first().map(|y| y.fetched_at);
        let stale = matches!(lookup.freshness, Freshness::Revalidating | Freshness::StaleIfError);
        let counted_in = (lookup.offset_minutes != requested).then_some(lookup.offset_minutes);
        Self {
            data: CardData::Contributions {
                login: login.as_str().to_owned(),
                years: lookup.years,
                past: lookup.past_version,
                today: lookup.today,
                stale,
                counted_in,
            },
            freshness: Some(lookup.freshness),
            fetched_at,
            counted_in,
        }
    }

    pub(super) fn rendered(&self, image: Arc<Image>, drawn_now: bool) -> Rendered {
        Rendered {
            image,
            freshness: self.freshness,
            fetched_at: self.fetched_at,
            counted_in: self.counted_in,
            drawn_now,
        }
    }
}

impl ImageService {
    /// A user's stats for a GraphQL field, admitted like a card of them.
    pub async fn user(&self, login: &Login, payer: &dyn Payer) -> Result<StatsLookup, ImageError> {
        let live = self.live()?;
        admission::charge(payer, admission::user_units(live, login)?)?;
        let failed = |error| ImageError::Stats { login: login.as_str().to_owned(), error };
        live.stats.get_paid(login, payer.anonymous_share()).await.map_err(failed)
    }

    /// A repository or gist for a GraphQL field, admitted like its card.
    pub async fn code(&self, key: CodeKey<'_>, payer: &dyn Payer) -> Result<Lookup<CodeCard>, ImageError> {
        let live = self.live()?;
        admission::charge(payer, admission::code_units(live, key)?)?;
        let lookup = self.code_lookup(live, key).await?;
        admission::owner_shown(live, &lookup.value)?;
        Ok(lookup)
    }

    /// A user's contribution calendar in `timezone` for a GraphQL field, admitted like a card.
    pub async fn calendar(
        &self,
        login: &Login,
        timezone: &chrono_tz::Tz,
        past: PastYears,
        payer: &dyn Payer,
    ) -> Result<CalendarLookup, ImageError> {
        let live = self.live()?;
        let requested = live.contributions.offset_now(timezone);
        let plan = admission::calendar_plan(live, login, requested, past).await?;
        admission::charge(payer, plan.units)?;
        match plan.warm {
            Some(warm) => Ok(warm),
            None => self.calendar_lookup(login, plan.offset, past).await,
        }
    }

    pub(super) async fn fetch(
        &self,
        request: &CardRequest,
        source: Source,
        admitted: &Admitted,
        payer: &dyn Payer,
    ) -> Result<Fetched, ImageError> {
        let options = &request.options;
        match (source, &request.subject) {
            (source, Subject::Sample(sample)) => {
                Ok(Fetched { data: source.sample(*sample), freshness: None, fetched_at: None, counted_in: None })
            }
            (_, Subject::Given(data)) => {
                Ok(Fetched { data: data.clone(), freshness: None, fetched_at: None, counted_in: None })
            }
            (Source::Repository, Subject::Repository(repo)) => {
                let lookup = self.code_lookup(self.live()?, CodeKey::Repository(repo)).await?;
                Ok(Fetched::code(lookup))
            }
            (Source::Gist, Subject::Gist(id)) => {
                Ok(Fetched::code(self.code_lookup(self.live()?, CodeKey::Gist(id)).await?))
            }
            (Source::WakaTime, Subject::WakaTime(user)) => self.wakatime(user).await,
            (Source::Contributions, Subject::User(login)) => {
                let past = cards::kind(request.kind).past_years(options);
                let requested = self.live()?.contributions.offset_now(&options.contributions.timezone);
                let lookup = match &admitted.calendar {
                    Some(warm) => warm.clone(),
                    None => self.calendar_lookup(login, admitted.offset.unwrap_or(requested), past).await?,
                };
                Ok(Fetched::contributions(login, requested, lookup))
            }
            (Source::UserStats, Subject::User(login)) => {
                let stats = &self.live()?.stats;
                let failed = |error: StatsError| ImageError::Stats { login: login.as_str().to_owned(), error };
                let lookup = match stats.get_cached(login).await {
                    Some(lookup) => lookup,
                    None => stats.get_or_partial(login, payer.anonymous_share()).await.map_err(failed)?,
                };
                let fetched_at = lookup.snapshot.fetched_at;
                let stale = matches!(lookup.freshness, Freshness::Revalidating | Freshness::StaleIfError);
                let partial = match lookup.freshness {
                    Freshness::Partial(count) => Some(count),
                    _ => None,
                };
                let commits = self.commits(&lookup.snapshot, login, options.commits).await;
                Ok(Fetched {
                    data: CardData::User { snapshot: lookup.snapshot, stale, commits, partial },
                    freshness: Some(lookup.freshness),
                    fetched_at: Some(fetched_at),
                    counted_in: None,
                })
            }
            // A request names its subject by its kind's source, so this is a caller's mistake.
            _ => Err(ImageError::NoSource),
        }
    }

    /// Commits of a window other than the last 12 months. When GitHub cannot say, None: the card
    /// shows the last 12 months, labelled so, rather than failing.
    async fn commits(&self, snapshot: &UserSnapshot, login: &Login, window: CommitWindow) -> Option<i64> {
        let commits = &self.inner.live.as_ref()?.commits;
        let counted = match window {
            CommitWindow::LastYear => return None,
            CommitWindow::Year(year) => commits.in_year(login, year).await,
            CommitWindow::AllTime => {
                let first = snapshot.profile.created_at.map_or(FIRST_YEAR, |at| at.year());
                commits.all_time(login, first).await
            }
        };
        counted.inspect_err(|error| tracing::warn!(%error, %login, "could not count commits beyond the last year")).ok()
    }

    /// A repository or gist, from memory or GitHub (admitted before).
    async fn code_lookup(&self, live: &LiveSources, key: CodeKey<'_>) -> Result<Lookup<CodeCard>, ImageError> {
        live.code.get(key).await.map_err(|error| ImageError::Code { what: key.describe(), upstream: "GitHub", error })
    }

    /// A user's contribution calendar counted at `offset`: the current year from memory or
    /// GitHub, with the past years the card shows (admitted before).
    async fn calendar_lookup(&self, login: &Login, offset: i32, past: PastYears) -> Result<CalendarLookup, ImageError> {
        self.live()?
            .contributions
            .calendar(login, offset, past)
            .await
            .map_err(|error| ImageError::Stats { login: login.as_str().to_owned(), error })
    }

    /// A WakaTime user, from memory or WakaTime (admitted before).
    async fn wakatime(&self, user: &WakaUser) -> Result<Fetched, ImageError> {
        let wakatime = &self.live()?.wakatime;
        let what = format!("WakaTime user {}", user.name);
        let lookup =
            wakatime.get(user).await.map_err(|error| ImageError::Code { what, upstream: "WakaTime", error })?;
        let fetched_at = lookup.value.fetched_at;
        Ok(Fetched {
            data: CardData::WakaTime { stats: lookup.value, stale: lookup.freshness != Freshness::Fresh },
            freshness: Some(lookup.freshness),
            fetched_at: Some(fetched_at),
            counted_in: None,
        })
    }
}
