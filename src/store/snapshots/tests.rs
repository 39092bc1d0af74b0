//! Store tests for snapshots: every test runs on SQLite and, when configured, PostgreSQL.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, PaginatorTrait, QuerySelect, Statement, TransactionTrait};

use super::*;
use crate::store::{OutboxStore, testing::TestDatabase};

/// Microsecond precision: PostgreSQL's timestamptz keeps no more, so the round trip is exact.
fn at(secs: i64, micros: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, micros * 1_000).unwrap()
}

fn lang(name: &str, color: Option<&str>, bytes: i64) -> LanguageSize {
    LanguageSize { name: name.into(), color: color.map(Into::into), bytes }
}

fn repo(github_id: &str, name: &str, stars: i64, languages: Vec<LanguageSize>) -> RepoSnapshot {
    RepoSnapshot {
        github_id: github_id.into(),
        owner: "OctoCat".into(),
        name: name.into(),
        stars,
        forks: stars / 2,
        is_fork: false,
        is_private: false,
        primary_language: languages.first().map(|l| l.name.clone()),
        pushed_at: Some(at(1_700_000_000 + stars, 654_321)),
        languages,
    }
}

fn snapshot(github_id: &str, login: &str, repositories: Vec<RepoSnapshot>) -> UserSnapshot {
    UserSnapshot {
        profile: Profile {
            github_id: github_id.into(),
            login: login.into(),
            name: Some("The Octocat".into()),
            avatar_url: Some("https://avatars.githubusercontent.com/u/583231".into()),
            bio: None,
            company: Some("@github".into()),
            location: Some("San Francisco".into()),
            created_at: Some(at(1_295_981_077, 0)),
            followers: 12_345,
            following: 9,
            all_time: Some(crate::domain::AllTime {
                pull_requests: 420,
                merged_pull_requests: 400,
                issues: 99,
                discussions_started: 3,
                discussions_answered: 2,
            }),
        },
        contributions: Contributions {
            commits: 1_000,
            restricted: 17,
            pull_requests: 42,
            issues: 7,
            reviews: 3,
            contributed_to: 11,
        },
        repositories,
        fetched_at: at(1_763_700_000, 123_456),
        source: Default::default(),
    }
}

fn login(raw: &str) -> Login {
    Login::parse(raw).unwrap()
}

async fn count_languages(db: &DatabaseConnection) -> u64 {
    repository_language::Entity::find().count(db).await.unwrap()
}

#[tokio::test]
async fn save_then_load_returns_the_same_snapshot_in_display_order() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let mut bare = repo("R_c", "zeta", 5, vec![]);
        (bare.is_fork, bare.is_private, bare.pushed_at) = (true, true, None);
        let saved = snapshot(
            "U_1",
            "OctoCat",
            vec![
                bare.clone(),
                repo("R_a", "alpha", 5, vec![lang("Go", None, 10), lang("Rust", Some("#dea584"), 900)]),
                repo("R_b", "hello-world", 80, vec![lang("C", Some("#555555"), 7), lang("Awk", None, 7)]),
            ],
        );

        store.save(&saved).await.unwrap();
        let loaded = store.load(&login("OctoCat")).await.unwrap().unwrap();

        // Stars descending, then name; languages by bytes descending, then name.
        let mut want = saved.clone();
        want.repositories = vec![
            repo("R_b", "hello-world", 80, vec![lang("Awk", None, 7), lang("C", Some("#555555"), 7)]),
            repo("R_a", "alpha", 5, vec![lang("Rust", Some("#dea584"), 900), lang("Go", None, 10)]),
            bare,
        ];
        want.repositories[0].primary_language = Some("C".into());
        want.repositories[1].primary_language = Some("Go".into());
        assert_eq!(loaded, want, "{}", t.label);
    }
}

#[tokio::test]
async fn second_save_leaves_exactly_the_new_repositories_and_languages() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let first = snapshot(
            "U_1",
            "octocat",
            vec![
                repo("R_keep", "kept", 30, vec![lang("Rust", None, 100), lang("Shell", None, 5)]),
                repo("R_gone", "removed", 20, vec![lang("Perl", None, 50), lang("C", None, 60)]),
                repo("R_ren", "old-name", 10, vec![lang("Go", None, 70)]),
            ],
        );
        store.save(&first).await.unwrap();
        let gone_id: i64 = repository::Entity::find()
            .select_only()
            .column(repository::Column::Id)
            .filter(repository::Column::GithubId.eq("R_gone"))
            .into_tuple()
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();

        let mut second = snapshot(
            "U_1",
            "octocat",
            vec![
                repo("R_keep", "kept", 31, vec![lang("Rust", None, 120), lang("TOML", None, 2)]),
                repo("R_ren", "new-name", 10, vec![lang("Go", None, 70)]),
                repo("R_new", "added", 1, vec![lang("Zig", Some("#ec915c"), 9)]),
            ],
        );
        second.contributions.commits = 1_001;
        store.save(&second).await.unwrap();

        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
        assert_eq!(loaded, second, "{}", t.label);
        let orphaned = repository_language::Entity::find()
            .filter(repository_language::Column::RepositoryId.eq(gone_id))
            .count(&t.db)
            .await
            .unwrap();
        assert_eq!(orphaned, 0, "{}: removed repository's languages remain", t.label);
        assert_eq!(count_languages(&t.db).await, 4, "{}", t.label);
        let renamed_rows =
            repository::Entity::find().filter(repository::Column::GithubId.eq("R_ren")).count(&t.db).await.unwrap();
        assert_eq!(renamed_rows, 1, "{}: rename must update in place", t.label);
    }
}

#[tokio::test]
async fn load_finds_a_user_whatever_the_letter_case() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        store.save(&snapshot("U_1", "OctoCat", vec![])).await.unwrap();

        for spelling in ["octocat", "OCTOCAT", "OctoCat", "oCtOcAt"] {
            let loaded = store.load(&login(spelling)).await.unwrap();
            let loaded = loaded.unwrap_or_else(|| panic!("{}: {spelling} not found", t.label));
            assert_eq!(loaded.profile.login, "OctoCat", "{}: GitHub's spelling is kept", t.label);
        }
    }
}

#[tokio::test]
async fn saving_another_spelling_updates_the_same_user() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap();
        store.save(&snapshot("U_1", "OctoCat", vec![])).await.unwrap();

        let users = github_user::Entity::find().count(&t.db).await.unwrap();
        assert_eq!(users, 1, "{}", t.label);
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
        assert_eq!(loaded.profile.login, "OctoCat", "{}", t.label);
    }
}

#[tokio::test]
async fn load_of_an_unknown_login_is_none() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap();

        assert_eq!(store.load(&login("ghost")).await.unwrap(), None, "{}", t.label);
    }
}

#[tokio::test]
async fn two_hundred_fifty_repositories_round_trip() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        // Three languages each: 750 language rows, more than one insert chunk.
        let repos: Vec<_> = (0..250)
            .map(|i| {
                let languages = vec![
                    lang("Rust", Some("#dea584"), 3_000 + i),
                    lang("Python", Some("#3572A5"), 2_000 + i),
                    lang("Shell", None, 1_000 + i),
                ];
                repo(&format!("R_{i:04}"), &format!("repo-{i:04}"), 1_000 - i, languages)
            })
            .collect();
        let saved = snapshot("U_1", "octocat", repos);

        store.save(&saved).await.unwrap();
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

        assert_eq!(loaded.repositories.len(), 250, "{}", t.label);
        assert_eq!(loaded, saved, "{}", t.label);
    }
}

#[tokio::test]
async fn thousands_of_repositories_stay_under_bind_parameter_limits() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let repos: Vec<_> =
            (0..3_100).map(|i| repo(&format!("R_{i:05}"), &format!("r{i:05}"), 0, vec![lang("C", None, 1)])).collect();
        let mut saved = snapshot("U_1", "octocat", repos);

        store.save(&saved).await.unwrap();
        // The second save updates everything and deletes over a chunk's worth of repositories.
        saved.repositories.truncate(2_400);
        store.save(&saved).await.unwrap();
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

        assert_eq!(loaded, saved, "{}", t.label);
        assert_eq!(count_languages(&t.db).await, 2_400, "{}", t.label);
    }
}

#[tokio::test]
async fn hostile_strings_round_trip_unchanged() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let hostile = "Robert'); DROP TABLE github_users;-- \"quoted\" \\back\\slash %_ <script>alert(1)</script> 🦀👩‍💻 ünïcødé \u{202e}rtl";
        let mut saved = snapshot("U_'\"1", "octocat", vec![]);
        saved.profile.name = Some("x".repeat(500));
        saved.profile.bio = Some(hostile.into());
        saved.profile.company = Some(String::new());
        saved.profile.location = Some("line1\nline2\ttab".into());
        let mut r = repo("R_<script>", &format!("{hostile}-{}", "n".repeat(500)), 1, vec![]);
        r.owner = "O'Brien \"<b>\"".into();
        r.languages = vec![lang("C++ 🦀 '<x>'", Some("#'\"<>"), 1)];
        r.primary_language = Some(hostile.into());
        saved.repositories = vec![r];

        store.save(&saved).await.unwrap();
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

        assert_eq!(loaded, saved, "{}", t.label);
    }
}

#[tokio::test]
async fn renamed_account_replaces_its_old_login() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        store.save(&snapshot("U_1", "old-name", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])])).await.unwrap();

        let renamed = snapshot("U_1", "new-name", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);
        store.save(&renamed).await.unwrap();

        assert_eq!(store.load(&login("old-name")).await.unwrap(), None, "{}", t.label);
        assert_eq!(store.load(&login("new-name")).await.unwrap(), Some(renamed), "{}", t.label);
    }
}

#[tokio::test]
async fn transferred_repository_moves_to_its_new_owner() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let moving = repo("R_moving", "tool", 3, vec![lang("Go", None, 10)]);
        store.save(&snapshot("U_a", "alice", vec![moving.clone()])).await.unwrap();

        let mut moved = moving.clone();
        moved.owner = "bob".into();
        store.save(&snapshot("U_b", "bob", vec![moved.clone()])).await.unwrap();

        let alice = store.load(&login("alice")).await.unwrap().unwrap();
        let bob = store.load(&login("bob")).await.unwrap().unwrap();
        assert!(alice.repositories.is_empty(), "{}", t.label);
        assert_eq!(bob.repositories, vec![moved], "{}", t.label);
    }
}

#[tokio::test]
async fn duplicate_entries_in_a_snapshot_are_stored_once() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let first = repo("R_1", "dup", 1, vec![lang("C", None, 5), lang("C", None, 9)]);
        let mut later = first.clone();
        later.name = "dup-again".into();

        store.save(&snapshot("U_1", "octocat", vec![first, later])).await.unwrap();
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();

        assert_eq!(loaded.repositories.len(), 1, "{}", t.label);
        assert_eq!(loaded.repositories[0].name, "dup", "{}", t.label);
        assert_eq!(loaded.repositories[0].languages, vec![lang("C", None, 5)], "{}", t.label);
    }
}

#[tokio::test]
async fn concurrent_saves_of_one_user_all_succeed_and_one_wins_whole() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let versions: Vec<_> = (0..8)
            .map(|v| {
                let repos = (0..40)
                    .map(|i| repo(&format!("R_{i:02}"), &format!("r{i:02}"), v, vec![lang("C", None, v + 1)]))
                    .collect();
                snapshot("U_1", "octocat", repos)
            })
            .collect();

        let results = futures::future::join_all(versions.iter().map(|s| store.save(s))).await;

        for result in results {
            result.unwrap();
        }
        let loaded = store.load(&login("octocat")).await.unwrap().unwrap();
        assert!(versions.contains(&loaded), "{}: load mixed two saves", t.label);
    }
}

async fn stats_events(db: &DatabaseConnection) -> Vec<crate::events::Event> {
    let pending = OutboxStore::new(db.clone()).pending(100).await.unwrap();
    pending.into_iter().map(|(_, event)| event).collect()
}

fn changed_of(event: &crate::events::Event) -> Vec<String> {
    match &event.kind {
        EventKind::StatsRefreshed { changed, .. } => changed.clone(),
        other => panic!("not a StatsRefreshed: {other:?}"),
    }
}

#[tokio::test]
async fn save_writes_exactly_one_stats_refreshed_event_with_the_snapshot() {
    for t in TestDatabase::all().await {
        let saved = snapshot("U_1", "OctoCat", vec![repo("R_1", "a", 1, vec![])]);

        SnapshotStore::new(t.db.clone()).save(&saved).await.unwrap();
        SnapshotStore::with_origin(t.db.clone(), "replica-b").save(&saved).await.unwrap();

        let events = stats_events(&t.db).await;
        assert_eq!(events.len(), 2, "{}: one event per save", t.label);
        let want = EventKind::StatsRefreshed {
            login: "OctoCat".into(),
            stats_version: saved.fetched_at.to_rfc3339(),
            changed: vec![],
        };
        assert_eq!(events[0].kind, want, "{}", t.label);
        assert_eq!(events[0].origin, DEFAULT_ORIGIN, "{}", t.label);
        assert_eq!(events[1].origin, "replica-b", "{}", t.label);
        assert_eq!(events[0].key(), "octocat", "{}", t.label);
    }
}

#[tokio::test]
async fn changed_lists_the_stats_that_differ_from_the_previous_save() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let first = snapshot("U_1", "octocat", vec![repo("R_1", "a", 10, vec![]), repo("R_2", "b", 4, vec![])]);
        store.save(&first).await.unwrap();

        // Counters and one repository's stars.
        let mut second = first.clone();
        second.profile.followers += 1;
        second.contributions.reviews += 2;
        second.contributions.restricted += 5;
        second.repositories[1].stars = 5;
        store.save(&second).await.unwrap();
        // Nothing that counts (a new name and new languages are not stats).
        let mut third = second.clone();
        third.profile.name = Some("Renamed".into());
        third.repositories[0].languages = vec![lang("C", None, 1)];
        store.save(&third).await.unwrap();
        // A repository gone, and one more commit.
        let mut fourth = third.clone();
        fourth.repositories.truncate(1);
        fourth.contributions.commits += 1;
        store.save(&fourth).await.unwrap();
        // Same number of repositories, but another one.
        let mut fifth = fourth.clone();
        fifth.repositories = vec![repo("R_3", "c", 10, vec![])];
        fifth.repositories[0].forks = fourth.repositories[0].forks;
        store.save(&fifth).await.unwrap();
        // A renamed account compares with its old row.
        let mut sixth = fifth.clone();
        sixth.profile.login = "new-name".into();
        sixth.contributions.issues += 1;
        store.save(&sixth).await.unwrap();

        let changed: Vec<Vec<String>> = stats_events(&t.db).await.iter().map(changed_of).collect();
        let want: [&[&str]; 6] = [
            &[],
            &["followers", "reviews", "repositories"],
            &[],
            &["commits", "repositories"],
            &["repositories"],
            &["issues"],
        ];
        assert_eq!(changed, want, "{}", t.label);
    }
}

#[tokio::test]
async fn a_login_taken_over_by_another_account_starts_with_nothing_changed() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        store.save(&snapshot("U_old", "octocat", vec![])).await.unwrap();
        let mut other = snapshot("U_new", "octocat", vec![]);
        other.profile.followers = 1;

        store.save(&other).await.unwrap();

        let changed: Vec<Vec<String>> = stats_events(&t.db).await.iter().map(changed_of).collect();
        assert_eq!(changed, [Vec::<String>::new(), vec![]], "{}", t.label);
    }
}

#[tokio::test]
async fn a_save_whose_event_cannot_be_written_stores_nothing() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let first = snapshot("U_1", "octocat", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);
        store.save(&first).await.unwrap();
        t.db.execute_unprepared("DROP TABLE event_outbox").await.unwrap();

        let mut second = first.clone();
        second.contributions.commits += 1;
        second.repositories = vec![repo("R_2", "b", 2, vec![])];
        let err = store.save(&second).await.unwrap_err();

        assert!(matches!(err, StoreError::Query { operation: "save snapshot: write event", .. }), "{err:?}");
        assert_eq!(store.load(&login("octocat")).await.unwrap(), Some(first), "{}", t.label);
    }
}

#[tokio::test]
async fn a_save_that_fails_after_its_event_leaves_no_event() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        // The languages are written after the event: their failure must take the event back.
        t.db.execute_unprepared("DROP TABLE repository_languages").await.unwrap();

        let err = store.save(&snapshot("U_1", "octocat", vec![])).await.unwrap_err();

        assert!(matches!(err, StoreError::Query { operation: "save snapshot: clear languages", .. }), "{err:?}");
        assert_eq!(OutboxStore::new(t.db.clone()).count_pending().await.unwrap(), 0, "{}", t.label);
        assert_eq!(github_user::Entity::find().count(&t.db).await.unwrap(), 0, "{}", t.label);
    }
}

#[tokio::test]
async fn in_memory_sqlite_keeps_data_between_calls() {
    let t = TestDatabase::sqlite_memory().await;
    let store = SnapshotStore::new(t.db.clone());
    let saved = snapshot("U_1", "octocat", vec![repo("R_1", "a", 1, vec![lang("C", None, 1)])]);

    store.save(&saved).await.unwrap();

    assert_eq!(store.load(&login("octocat")).await.unwrap(), Some(saved));
}

#[tokio::test]
async fn every_pooled_sqlite_connection_enforces_foreign_keys() {
    let t = TestDatabase::sqlite().await;
    // Open transactions pin distinct connections, so this checks each one the pool opened.
    let mut txns = Vec::new();
    for _ in 0..4 {
        txns.push(t.db.begin().await.unwrap());
    }
    for txn in &txns {
        let row =
            txn.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA foreign_keys")).await.unwrap().unwrap();
        assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 1);
    }
}

#[tokio::test]
async fn deleting_a_user_cascades_to_repositories_and_languages() {
    for t in TestDatabase::all().await {
        let store = SnapshotStore::new(t.db.clone());
        let repos = vec![repo("R_1", "a", 1, vec![lang("C", None, 1), lang("Go", None, 2)])];
        store.save(&snapshot("U_1", "octocat", repos)).await.unwrap();

        github_user::Entity::delete_many().exec(&t.db).await.unwrap();

        assert_eq!(repository::Entity::find().count(&t.db).await.unwrap(), 0, "{}", t.label);
        assert_eq!(count_languages(&t.db).await, 0, "{}", t.label);
    }
}
