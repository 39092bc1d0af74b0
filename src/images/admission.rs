//! Admission: who may be shown, what a request will cost and who pays, decided in one place
//! before anything is fetched or drawn. Every front door reaches data through the image service
//! (cards from REST routes, GraphQL over HTTP and WebSocket, stored banners, the gallery and the
//! CLI; GraphQL's user, repository, gist and contribution fields), and the image service admits
//! every request here first.
//!
//! Rules:
//! - **Who may be shown**: every GitHub login a request touches passes the login policy
//!   (ALLOWED_USERS, BLOCKED_USERS): a user card's user, a repository's owner; a gist's owner is
//!   known only from the gist, so it is checked after the gist is fetched, before it is shown.
//!   A refused login costs nothing more.
//! - **Bounds**: values are checked against what exists before they cost anything
//!   (`commits_year` from 2008 to this year).
//! - **Cost, known before the work**: one costly unit for each thing the request needs that is
//!   not in memory: a user, a repository, a gist, a WakaTime user, each commits year, each
//!   contribution year (every year the card could show, until the current year's answer says
//!   which have contributions). A request whose data is all in memory pays one unit when its
//!   image is not in the finished-image cache (a render, or a rasterisation; for the built-in
//!   samples of the gallery, only a rasterisation). The payer is charged before anything is
//!   asked; a request never costs more than its payer's burst.
//! - **Requests without a token** (no usable token: GitHub's REST API, 60 an hour for the whole
//!   server) come out of the payer's share of them, so one client cannot spend everyone's hour.

use std::sync::Arc;

use chrono::Datelike;

use super::{CardRequest, ImageError, ImageService, LiveSources};
use crate::cards::{self, CardData, Source, Subject};
use crate::domain::{CodeCard, Login, PastYears};
use crate::github::AnonymousShare;
use crate::render::{CommitWindow, OptionError};
use crate::stats::{CalendarLookup, CodeKey, FIRST_YEAR};

/// Who pays for a request's costly work.
pub trait Payer: Send + Sync {
    /// Spends `units` of costly work; refused (with when to retry) past the payer's budget.
    fn charge(&self, units: u32) -> Result<(), ImageError>;

    /// Where this payer's requests to GitHub without a token are counted; None: not limited.
    fn anonymous_share(&self) -> Option<Arc<dyn AnonymousShare>> {
        None
    }
}

/// Nobody pays: background work and the command line, run by the operator.
pub struct Unlimited;

impl Payer for Unlimited {
    fn charge(&self, _units: u32) -> Result<(), ImageError> {
        Ok(())
    }
}

/// A request that passed admission, with what admission decided for the work.
pub(super) struct Admitted {
    /// Contribution cards: the UTC offset the calendar is counted in (the reader's, or the
    /// nearest of the user's offsets today).
    pub(super) offset: Option<i32>,
    /// Contribution cards whose calendar admission found whole and fresh in memory.
    pub(super) calendar: Option<CalendarLookup>,
    /// Units charged up front: a request that fetches pays nothing more for its render.
    pub(super) charged: u32,
}

impl ImageService {
    /// Admits `request` for `payer`: login policy, bounds, and the cost of what it needs that
    /// is not in memory, charged before anything is fetched.
    pub(super) async fn admit(&self, request: &CardRequest, payer: &dyn Payer) -> Result<Admitted, ImageError> {
        let Some(live) = self.inner.live.as_ref() else {
            // Sample data: nothing to fetch, nobody to refuse.
            return Ok(Admitted { offset: None, calendar: None, charged: 0 });
        };
        let options = &request.options;
        let mut calendar = None;
        let (units, offset) = match (cards::kind(request.kind).source(), &request.subject) {
            (_, Subject::Sample(_) | Subject::Given(_)) => (0, None),
            (Source::UserStats, Subject::User(login)) => {
                let user = user_units(live, login)?;
                (user.saturating_add(commit_years(live, login, options.commits).await?), None)
            }
            (Source::Contributions, Subject::User(login)) => {
                let requested = live.contributions.offset_now(&options.contributions.timezone);
                let plan = calendar_plan(live, login, requested, cards::kind(request.kind).past_years(options)).await?;
                calendar = plan.warm;
                (plan.units, Some(plan.offset))
            }
            (Source::Repository, Subject::Repository(repo)) => (code_units(live, CodeKey::Repository(repo))?, None),
            (Source::Gist, Subject::Gist(id)) => (code_units(live, CodeKey::Gist(id))?, None),
            (Source::WakaTime, Subject::WakaTime(user)) => {
                if !live.wakatime.allows(user) {
                    return Err(OptionError {
                        name: "api_domain",
                        reason: "this instance does not ask that host (see WAKATIME_DOMAINS)".to_owned(),
                    }
                    .into());
                }
                (u32::from(!live.wakatime.is_cached(user)), None)
            }
            // A request names its subject by its kind's source, so this is a caller's mistake.
            _ => return Err(ImageError::NoSource),
        };
        charge(payer, units)?;
        Ok(Admitted { offset, calendar, charged: units })
    }

    /// What only the data can tell: whose gist it is.
    pub(super) fn check_shown(&self, data: &CardData) -> Result<(), ImageError> {
        match (self.inner.live.as_ref(), data) {
            (Some(live), CardData::Code { card, .. }) => owner_shown(live, card),
            _ => Ok(()),
        }
    }
}

/// What a calendar's admission decided.
pub(super) struct CalendarPlan {
    /// The offset it is counted in: the reader's, or the nearest of the user's offsets today.
    pub(super) offset: i32,
    /// The calendar, when it is whole and fresh in memory.
    pub(super) warm: Option<CalendarLookup>,
    /// Queries it needs otherwise.
    pub(super) units: u32,
}

/// The login policy, then a user's cost: one unit when they are not in memory.
pub(super) fn user_units(live: &LiveSources, login: &Login) -> Result<u32, ImageError> {
    shown(live, login)?;
    Ok(u32::from(!live.stats.is_cached(login)))
}

/// A repository's owner must be shown; a repository or gist not in memory costs one unit (a
/// gist's owner is checked once it is known, [`owner_shown`]).
pub(super) fn code_units(live: &LiveSources, key: CodeKey<'_>) -> Result<u32, ImageError> {
    if let CodeKey::Repository(repo) = key {
        shown(live, &repo.owner)?;
    }
    Ok(u32::from(!live.code.is_cached(key)))
}

/// The login policy, then the calendar from memory, or the offset and years it needs.
pub(super) async fn calendar_plan(
    live: &LiveSources,
    login: &Login,
    requested: i32,
    past: PastYears,
) -> Result<CalendarPlan, ImageError> {
    shown(live, login)?;
    if let Some(warm) = live.contributions.warm(login, requested, past).await {
        return Ok(CalendarPlan { offset: requested, warm: Some(warm), units: 0 });
    }
    let offset = live.contributions.counted_offset(login, requested);
    Ok(CalendarPlan { offset, warm: None, units: live.contributions.missing(login, offset, past).await })
}

/// Charges `units` when there are any.
pub(super) fn charge(payer: &dyn Payer, units: u32) -> Result<(), ImageError> {
    if units > 0 { payer.charge(units) } else { Ok(()) }
}

/// A repository's or gist's owner, as GitHub names it, must be shown.
pub(super) fn owner_shown(live: &LiveSources, card: &CodeCard) -> Result<(), ImageError> {
    match Login::parse(&card.owner) {
        Ok(owner) => shown(live, &owner),
        // GitHub's own logins always parse; an owner we cannot name is not one we refuse.
        Err(_) => Ok(()),
    }
}

/// The login policy (ALLOWED_USERS, BLOCKED_USERS).
pub(super) fn shown(live: &LiveSources, login: &Login) -> Result<(), ImageError> {
    if live.stats.permits(login) { Ok(()) } else { Err(ImageError::NotShown { login: login.as_str().to_owned() }) }
}

/// Commits years beyond the last 12 months that are not in memory; `commits_year` must be a year
/// GitHub can have commits in.
async fn commit_years(live: &LiveSources, login: &Login, window: CommitWindow) -> Result<u32, ImageError> {
    match window {
        CommitWindow::LastYear => Ok(0),
        CommitWindow::Year(year) => {
            let this_year = live.stats.now().year();
            if !(FIRST_YEAR..=this_year).contains(&year) {
                return Err(OptionError {
                    name: "commits_year",
                    reason: format!("must be a year from {FIRST_YEAR} to {this_year}"),
                }
                .into());
            }
            Ok(live.commits.missing(login, year..=year))
        }
        CommitWindow::AllTime => {
            // Until the user is known, every year since GitHub began.
            let joined = live.stats.peek(login).await.and_then(|s| s.profile.created_at);
            Ok(live.commits.missing(login, live.commits.all_years(joined.map_or(FIRST_YEAR, |at| at.year()))))
        }
    }
}
