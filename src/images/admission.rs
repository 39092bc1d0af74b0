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
use crate::domain::{Login, PastYears};
use crate::github::AnonymousShare;
use crate::render::{CommitWindow, OptionError};
use crate::stats::{CalendarLookup, FIRST_YEAR};

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
                shown(live, login)?;
                let user = u32::from(!live.stats.is_cached(login));
                (user.saturating_add(commit_years(live, login, options.commits).await?), None)
            }
            (Source::Contributions, Subject::User(login)) => {
                shown(live, login)?;
                let requested = live.contributions.offset_now(&options.contributions.timezone);
                let past = cards::kind(request.kind).past_years(options);
                calendar = live.contributions.warm(login, requested, past).await;
                if calendar.is_some() {
                    (0, Some(requested))
                } else {
                    let offset = live.contributions.counted_offset(login, requested);
                    (live.contributions.missing(login, offset, past).await, Some(offset))
                }
            }
            (Source::Repository, Subject::Repository(repo)) => {
                shown(live, &repo.owner)?;
                (u32::from(!live.code.is_cached(crate::stats::CodeKey::Repository(repo))), None)
            }
            (Source::Gist, Subject::Gist(id)) => {
                (u32::from(!live.code.is_cached(crate::stats::CodeKey::Gist(id))), None)
            }
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
        if units > 0 {
            payer.charge(units)?;
        }
        Ok(Admitted { offset, calendar, charged: units })
    }

    /// A user's stats for GraphQL: the login policy, then one unit when they are not in memory.
    pub(super) fn admit_user(&self, live: &LiveSources, login: &Login, payer: &dyn Payer) -> Result<(), ImageError> {
        shown(live, login)?;
        if !live.stats.is_cached(login) {
            payer.charge(1)?;
        }
        Ok(())
    }

    /// A calendar for GraphQL: the login policy, then the years not in memory. Returns the offset
    /// it is counted in.
    pub(super) async fn admit_calendar(
        &self,
        live: &LiveSources,
        login: &Login,
        requested: i32,
        past: PastYears,
        payer: &dyn Payer,
    ) -> Result<i32, ImageError> {
        shown(live, login)?;
        let offset = live.contributions.counted_offset(login, requested);
        let units = live.contributions.missing(login, offset, past).await;
        if units > 0 {
            payer.charge(units)?;
        }
        Ok(offset)
    }

    /// What only the data can tell: whose gist it is.
    pub(super) fn check_shown(&self, data: &CardData) -> Result<(), ImageError> {
        match (self.inner.live.as_ref(), data) {
            (Some(live), CardData::Code { card, .. }) => match Login::parse(&card.owner) {
                Ok(owner) => shown(live, &owner),
                // GitHub's own logins always parse; an owner we cannot name is not one we refuse.
                Err(_) => Ok(()),
            },
            _ => Ok(()),
        }
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
