//! Store tests for the refresh schedule, on SQLite and, when configured, PostgreSQL.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{SubsecRound, TimeDelta};

use super::*;
use crate::store::testing::TestDatabase;

const LONG: Duration = Duration::from_secs(600);

async fn row(db: &DatabaseConnection, key: &str) -> refresh_schedule::Model {
    refresh_schedule::Entity::find_by_id(key.to_owned()).one(db).await.unwrap().unwrap()
}

/// A time PostgreSQL stores exactly (it keeps microseconds; SQLite keeps what it is given).
fn in_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

fn logins(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[tokio::test]
async fn ensure_adds_only_new_logins_whatever_the_letter_case() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());

        assert_eq!(
            schedule.ensure(&logins(&["OctoCat", "alice", "ALICE"]), Utc::now()).await.unwrap(),
            2,
            "{}",
            t.label
        );
        assert_eq!(schedule.ensure(&logins(&["octocat", "bob"]), Utc::now()).await.unwrap(), 1, "{}", t.label);
        assert_eq!(schedule.ensure(&[], Utc::now()).await.unwrap(), 0, "{}", t.label);

        let octocat = row(&t.db, "octocat").await;
        assert_eq!(octocat.login, "OctoCat", "{}: the first spelling is kept", t.label);
        assert!(octocat.due_at <= Utc::now(), "{}: new users are due now", t.label);
        assert_eq!((octocat.leased_until, octocat.leased_by), (None, None), "{}", t.label);
    }
}

#[tokio::test]
async fn ensure_does_not_reset_a_scheduled_user() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
        let later = in_micros(Utc::now() + TimeDelta::hours(6));
        schedule.complete("alice", later, Utc::now()).await.unwrap();

        schedule.ensure(&logins(&["Alice"]), Utc::now()).await.unwrap();

        let alice = row(&t.db, "alice").await;
        assert_eq!((alice.login.as_str(), alice.due_at), ("alice", later), "{}", t.label);
    }
}

#[tokio::test]
async fn claim_due_leases_earliest_due_first_and_skips_leased_and_future_rows() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        schedule.ensure(&logins(&["a", "b", "c", "d"]), Utc::now()).await.unwrap();
        let now = Utc::now();
        schedule.release("a", now - TimeDelta::minutes(1)).await.unwrap();
        schedule.release("b", now - TimeDelta::minutes(3)).await.unwrap();
        schedule.release("c", now - TimeDelta::minutes(2)).await.unwrap();
        schedule.release("d", now + TimeDelta::hours(1)).await.unwrap();

        let first = schedule.claim_due("w1", 2, LONG, Utc::now()).await.unwrap();
        let second = schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap();
        let third = schedule.claim_due("w3", 10, LONG, Utc::now()).await.unwrap();

        assert_eq!(first, ["b", "c"], "{}", t.label);
        assert_eq!(second, ["a"], "{}", t.label);
        assert!(third.is_empty(), "{}", t.label);
        let b = row(&t.db, "b").await;
        assert_eq!(b.leased_by.as_deref(), Some("w1"), "{}", t.label);
        assert!(b.leased_until.unwrap() > Utc::now() + TimeDelta::minutes(9), "{}", t.label);
        assert!(schedule.claim_due("w1", 0, LONG, Utc::now()).await.unwrap().is_empty(), "{}", t.label);
    }
}

#[tokio::test]
async fn an_expired_lease_can_be_claimed_again() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        let now = Utc::now();
        schedule.ensure(&logins(&["OctoCat"]), now).await.unwrap();

        assert_eq!(schedule.claim_due("w1", 10, Duration::from_millis(200), now).await.unwrap(), ["OctoCat"]);
        let soon = now + TimeDelta::milliseconds(100);
        assert!(schedule.claim_due("w2", 10, LONG, soon).await.unwrap().is_empty(), "{}: still leased", t.label);
        // The lease is over by the clock `claim_due` is given: nothing waits in real time.
        let later = now + TimeDelta::milliseconds(300);
        let reclaimed = schedule.claim_due("w2", 10, LONG, later).await.unwrap();

        assert_eq!(reclaimed, ["OctoCat"], "{}", t.label);
        assert_eq!(row(&t.db, "octocat").await.leased_by.as_deref(), Some("w2"), "{}", t.label);
    }
}

#[tokio::test]
async fn complete_clears_the_lease_and_sets_the_next_due_time() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
        schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap();
        let before = Utc::now();
        let next_due = in_micros(before + TimeDelta::hours(6));

        schedule.complete("ALICE", next_due, Utc::now()).await.unwrap();

        let alice = row(&t.db, "alice").await;
        assert_eq!(alice.due_at, next_due, "{}", t.label);
        assert_eq!((alice.leased_until, alice.leased_by), (None, None), "{}", t.label);
        assert!(alice.last_refreshed_at.unwrap() >= in_micros(before), "{}", t.label);
        assert!(schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap().is_empty(), "{}: not due yet", t.label);
        schedule.complete("alice", Utc::now() - TimeDelta::seconds(1), Utc::now()).await.unwrap();
        assert_eq!(schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap(), ["alice"], "{}", t.label);
        schedule.complete("nobody", next_due, Utc::now()).await.unwrap();
    }
}

#[tokio::test]
async fn release_clears_the_lease_and_retries_at_the_given_time() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        schedule.ensure(&logins(&["alice"]), Utc::now()).await.unwrap();
        schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap();
        let retry_at = in_micros(Utc::now() + TimeDelta::minutes(5));

        schedule.release("alice", retry_at).await.unwrap();

        let alice = row(&t.db, "alice").await;
        assert_eq!(alice.due_at, retry_at, "{}", t.label);
        assert_eq!((alice.leased_until, alice.leased_by), (None, None), "{}", t.label);
        assert_eq!(alice.last_refreshed_at, None, "{}: a failure is not a refresh", t.label);
        assert!(schedule.claim_due("w1", 10, LONG, Utc::now()).await.unwrap().is_empty(), "{}", t.label);
        schedule.release("alice", Utc::now() - TimeDelta::seconds(1)).await.unwrap();
        assert_eq!(schedule.claim_due("w2", 10, LONG, Utc::now()).await.unwrap(), ["alice"], "{}", t.label);
    }
}

#[tokio::test]
async fn prune_keeps_owners_and_recent_viewers_only() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        let now = in_micros(Utc::now());
        schedule.ensure(&logins(&["alice", "Bob"]), now).await.unwrap();
        let views = [("carol".to_owned(), now - TimeDelta::hours(1)), ("dave".to_owned(), now - TimeDelta::hours(30))];
        assert_eq!(schedule.record_views(&views, now).await.unwrap(), 2, "{}", t.label);
        // A view of a scheduled owner keeps the owner's due time and records the view.
        schedule.record_views(&[("ALICE".to_owned(), now)], now + TimeDelta::days(9)).await.unwrap();

        let removed = schedule.prune(&logins(&["bob"]), now - TimeDelta::hours(24)).await.unwrap();

        assert_eq!(removed, 1, "{}: dave was viewed too long ago", t.label);
        let left: Vec<String> = refresh_schedule::Entity::find()
            .order_by_asc(refresh_schedule::Column::LoginKey)
            .all(&t.db)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.login_key)
            .collect();
        assert_eq!(left, ["alice", "bob", "carol"], "{}", t.label);
        let alice = row(&t.db, "alice").await;
        assert_eq!(alice.due_at, now, "{}", t.label);
        assert!(alice.last_viewed_at.is_some(), "{}", t.label);
        schedule.remove("Carol").await.unwrap();
        assert!(refresh_schedule::Entity::find_by_id("carol".to_owned()).one(&t.db).await.unwrap().is_none());
    }
}

/// Two workers, each with its own connection pool, race over 100 due users in batches of 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_claim_every_due_user_exactly_once() {
    for t in TestDatabase::all().await {
        let all: Vec<String> = (0..100).map(|i| format!("user-{i:03}")).collect();
        RefreshSchedule::new(t.db.clone()).ensure(&all, Utc::now()).await.unwrap();
        let pools = [t.db.clone(), t.another_pool().await];
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(pools.len()));

        let workers = pools.into_iter().enumerate().map(|(n, db)| {
            let start = start.clone();
            tokio::spawn(async move {
                let schedule = RefreshSchedule::new(db);
                let worker = format!("worker-{n}");
                let mut claimed = Vec::new();
                start.wait().await;
                loop {
                    let batch = schedule.claim_due(&worker, 10, LONG, Utc::now()).await.unwrap();
                    if batch.is_empty() {
                        return claimed;
                    }
                    assert!(batch.len() <= 10);
                    claimed.extend(batch);
                    // "Refreshing" the batch, so the other worker gets its turns at claiming.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        });
        let per_worker: Vec<Vec<String>> =
            futures::future::join_all(workers).await.into_iter().map(|r| r.unwrap()).collect();

        let mut times: HashMap<&str, usize> = HashMap::new();
        for login in per_worker.iter().flatten() {
            *times.entry(login.as_str()).or_default() += 1;
        }
        let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{}: claimed more than once: {twice:?}", t.label);
        assert_eq!(times.len(), 100, "{}: every due user is claimed", t.label);
        eprintln!("{}: claims per worker: {:?}", t.label, per_worker.iter().map(Vec::len).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn the_backlog_counts_due_unleased_rows_and_the_longest_wait() {
    for t in TestDatabase::all().await {
        let schedule = RefreshSchedule::new(t.db.clone());
        let now = in_micros(Utc::now());
        assert_eq!(schedule.backlog(now).await.unwrap(), (0, None), "{}", t.label);
        schedule.ensure(&logins(&["a", "b", "c", "d"]), now + TimeDelta::hours(1)).await.unwrap();
        schedule.release("a", now - TimeDelta::minutes(5)).await.unwrap();
        schedule.release("b", now - TimeDelta::minutes(1)).await.unwrap();
        schedule.release("c", now - TimeDelta::minutes(9)).await.unwrap();
        // c is being refreshed: leased, so not waiting.
        assert_eq!(schedule.claim_due("w", 1, Duration::from_secs(60), now).await.unwrap(), ["c"]);

        let backlog = schedule.backlog(now).await.unwrap();

        assert_eq!(backlog, (2, Some(now - TimeDelta::minutes(5))), "{}", t.label);
    }
}
