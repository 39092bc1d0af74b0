//! Store tests for banners and their renders, on SQLite and, when configured, PostgreSQL.
#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use sea_orm::{ConnectionTrait, DbBackend, PaginatorTrait, Statement};

use super::*;
use crate::domain::ImageFormat;
use crate::store::{OutboxStore, testing::TestDatabase};

/// Microsecond precision: PostgreSQL's timestamptz keeps no more, so the round trip is exact.
fn at(secs: i64, micros: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, micros * 1_000).unwrap()
}

fn banner(id: &str, owner: &str, created_at: DateTime<Utc>) -> BannerRecord {
    BannerRecord {
        id: id.into(),
        owner_login: owner.into(),
        banner_type: BannerType::Wide,
        theme: "default".into(),
        options: BTreeMap::from([("hide".into(), "stars,forks".into()), ("locale".into(), "en".into())]),
        created_at,
        updated_at: created_at,
    }
}

fn render(format: ImageFormat, bytes: &[u8], etag: &str) -> StoredRender {
    StoredRender {
        format,
        bytes: bytes.to_vec(),
        etag: etag.into(),
        stats_version: "2025-11-21T04:40:00.123456+00:00".into(),
        rendered_at: at(1_763_700_100, 42),
    }
}

async fn count_renders(db: &DatabaseConnection) -> u64 {
    banner_render::Entity::find().count(db).await.unwrap()
}

/// Every page of `list` from the start, following cursors; panics on a runaway loop.
async fn all_pages(store: &BannerStore, owner: Option<&str>, first: u64) -> Vec<Page<BannerRecord>> {
    let mut pages: Vec<Page<BannerRecord>> = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(owner, first, after).await.unwrap();
        after = page.items.last().map(|b| (b.created_at, b.id.clone()));
        let done = !page.has_next;
        pages.push(page);
        assert!(pages.len() < 100, "pagination does not end");
        if done {
            return pages;
        }
    }
}

#[tokio::test]
async fn insert_then_get_round_trips_every_field() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        let mut saved = banner("x7Kq_-9z", "OctoCat", at(1_763_700_000, 123_456));
        saved.updated_at = at(1_763_700_001, 654_321);
        saved.theme = "thème 🦀 'quoted' \"double\"".into();
        saved.options = BTreeMap::from([
            ("title".into(), "Hello, 世界! <script>alert(1)</script>".into()),
            ("empty".into(), String::new()),
            ("emoji 👩‍💻".into(), "a=b&c=d%20e\n\"q\"\\".into()),
        ]);

        store.insert(&saved).await.unwrap();

        assert_eq!(store.get("x7Kq_-9z").await.unwrap(), Some(saved), "{}", t.label);
        assert_eq!(store.get("X7KQ_-9Z").await.unwrap(), None, "{}: ids are case-sensitive", t.label);
        assert_eq!(store.get("missing").await.unwrap(), None, "{}", t.label);
    }
}

#[tokio::test]
async fn inserting_a_taken_id_is_a_conflict_and_keeps_the_first() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        let first = banner("dup", "alice", at(1_763_700_000, 0));
        store.insert(&first).await.unwrap();

        let err = store.insert(&banner("dup", "bob", at(1_763_700_005, 0))).await.unwrap_err();

        assert!(matches!(err, StoreError::Conflict { .. }), "{}: {err:?}", t.label);
        assert_eq!(store.get("dup").await.unwrap(), Some(first), "{}", t.label);
    }
}

#[tokio::test]
async fn update_replaces_the_configuration_keeps_created_at_and_clears_renders() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        let original = banner("b1", "alice", at(1_763_700_000, 5));
        store.insert(&original).await.unwrap();
        store.insert(&banner("other", "alice", at(1_763_700_000, 6))).await.unwrap();
        store.save_render("b1", &render(ImageFormat::Svg, b"<svg/>", "\"e1\"")).await.unwrap();
        store.save_render("b1", &render(ImageFormat::Png, &[0x89, b'P', b'N', b'G'], "\"e2\"")).await.unwrap();
        store.save_render("other", &render(ImageFormat::Svg, b"<svg/>", "\"e3\"")).await.unwrap();

        let mut changed = banner("b1", "Alice", at(1_900_000_000, 0));
        changed.banner_type = BannerType::Compact;
        changed.theme = "dark".into();
        changed.options = BTreeMap::from([("locale".into(), "ja".into())]);
        changed.updated_at = at(1_763_800_000, 777);
        let updated = store.update(&changed).await.unwrap();

        assert!(updated, "{}", t.label);
        let mut want = changed.clone();
        want.created_at = original.created_at;
        assert_eq!(store.get("b1").await.unwrap(), Some(want), "{}", t.label);
        assert_eq!(store.get_render("b1", ImageFormat::Svg).await.unwrap(), None, "{}", t.label);
        assert_eq!(store.get_render("b1", ImageFormat::Png).await.unwrap(), None, "{}", t.label);
        assert!(
            store.get_render("other", ImageFormat::Svg).await.unwrap().is_some(),
            "{}: other banners keep theirs",
            t.label
        );
        assert!(!store.update(&banner("ghost", "alice", at(0, 0))).await.unwrap(), "{}", t.label);
        assert_eq!(store.get("ghost").await.unwrap(), None, "{}: update must not insert", t.label);
    }
}

#[tokio::test]
async fn delete_removes_the_banner_and_cascades_to_its_renders() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        store.insert(&banner("b1", "alice", at(1_763_700_000, 0))).await.unwrap();
        store.insert(&banner("b2", "alice", at(1_763_700_000, 0))).await.unwrap();
        store.save_render("b1", &render(ImageFormat::Svg, b"<svg/>", "e1")).await.unwrap();
        store.save_render("b1", &render(ImageFormat::Png, b"png", "e2")).await.unwrap();
        store.save_render("b2", &render(ImageFormat::Svg, b"<svg/>", "e3")).await.unwrap();

        assert!(store.delete("b1").await.unwrap(), "{}", t.label);

        assert_eq!(store.get("b1").await.unwrap(), None, "{}", t.label);
        assert_eq!(count_renders(&t.db).await, 1, "{}: b1's renders must go with it", t.label);
        assert!(!store.delete("b1").await.unwrap(), "{}: second delete finds nothing", t.label);
    }
}

#[tokio::test]
async fn save_render_upserts_by_format_and_get_render_returns_the_bytes() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        store.insert(&banner("b1", "alice", at(1_763_700_000, 0))).await.unwrap();
        // Every byte value, including NUL and invalid UTF-8, must survive.
        let png: Vec<u8> = (0..=255u8).chain([0, 0xff, 0xfe]).collect();
        let first = render(ImageFormat::Png, &png, "\"v1\"");
        store.save_render("b1", &first).await.unwrap();
        let svg = render(ImageFormat::Svg, "<svg>🦀</svg>".as_bytes(), "\"s1\"");
        store.save_render("b1", &svg).await.unwrap();

        let mut second = render(ImageFormat::Png, &[1, 2, 3], "\"v2\"");
        second.stats_version = "2025-11-22T00:00:00+00:00".into();
        second.rendered_at = at(1_763_800_000, 999_999);
        store.save_render("b1", &second).await.unwrap();

        assert_eq!(store.get_render("b1", ImageFormat::Png).await.unwrap(), Some(second), "{}", t.label);
        assert_eq!(store.get_render("b1", ImageFormat::Svg).await.unwrap(), Some(svg), "{}", t.label);
        assert_eq!(store.get_render("nope", ImageFormat::Png).await.unwrap(), None, "{}", t.label);
        assert_eq!(count_renders(&t.db).await, 2, "{}", t.label);
    }
}

#[tokio::test]
async fn saving_a_render_for_a_missing_banner_is_not_found() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());

        let err = store.save_render("deleted-meanwhile", &render(ImageFormat::Svg, b"<svg/>", "e")).await.unwrap_err();

        assert!(matches!(err, StoreError::NotFound { .. }), "{}: {err:?}", t.label);
        assert_eq!(count_renders(&t.db).await, 0, "{}", t.label);
    }
}

async fn events(db: &DatabaseConnection) -> Vec<crate::events::Event> {
    OutboxStore::new(db.clone()).pending(100).await.unwrap().into_iter().map(|(_, event)| event).collect()
}

#[tokio::test]
async fn every_change_writes_its_event() {
    for t in TestDatabase::all().await {
        let store = BannerStore::with_origin(t.db.clone(), "replica-a");
        let mut b1 = banner("b1", "OctoCat", at(1_763_700_000, 0));

        store.insert(&b1).await.unwrap();
        b1.theme = "dark".into();
        assert!(store.update(&b1).await.unwrap());
        store.save_render("b1", &render(ImageFormat::Svg, b"<svg/>", "\"e1\"")).await.unwrap();
        assert!(store.delete("b1").await.unwrap());

        let events = events(&t.db).await;
        let kinds: Vec<EventKind> = events.iter().map(|e| e.kind.clone()).collect();
        let (id, login) = (String::from("b1"), String::from("OctoCat"));
        assert_eq!(
            kinds,
            [
                EventKind::BannerCreated { banner_id: id.clone(), login: login.clone() },
                EventKind::BannerUpdated { banner_id: id.clone(), login: login.clone() },
                EventKind::BannerRendered {
                    banner_id: id.clone(),
                    login: login.clone(),
                    format: "svg".into(),
                    etag: "\"e1\"".into()
                },
                EventKind::BannerDeleted { banner_id: id, login },
            ],
            "{}",
            t.label
        );
        assert!(events.iter().all(|e| e.origin == "replica-a" && e.key() == "octocat"), "{}", t.label);
        assert_eq!(BannerStore::new(t.db.clone()).origin, DEFAULT_ORIGIN);
    }
}

#[tokio::test]
async fn changes_that_do_nothing_write_no_event() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        store.insert(&banner("taken", "alice", at(1_763_700_000, 0))).await.unwrap();
        let before = events(&t.db).await.len();

        assert!(store.insert(&banner("taken", "bob", at(1_763_700_000, 0))).await.is_err());
        assert!(!store.update(&banner("ghost", "alice", at(0, 0))).await.unwrap());
        assert!(!store.delete("ghost").await.unwrap());
        let err = store.save_render("ghost", &render(ImageFormat::Svg, b"<svg/>", "e")).await.unwrap_err();

        assert!(matches!(err, StoreError::NotFound { .. }), "{}: {err:?}", t.label);
        assert_eq!(events(&t.db).await.len(), before, "{}", t.label);
    }
}

#[tokio::test]
async fn a_change_whose_event_cannot_be_written_is_rolled_back() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        let kept = banner("kept", "alice", at(1_763_700_000, 0));
        store.insert(&kept).await.unwrap();
        t.db.execute_unprepared("DROP TABLE event_outbox").await.unwrap();

        assert!(store.insert(&banner("new", "alice", at(1_763_700_001, 0))).await.is_err());
        let mut changed = kept.clone();
        changed.theme = "dark".into();
        assert!(store.update(&changed).await.is_err());
        assert!(store.save_render("kept", &render(ImageFormat::Svg, b"<svg/>", "e")).await.is_err());
        assert!(store.delete("kept").await.is_err());

        assert_eq!(store.get("new").await.unwrap(), None, "{}", t.label);
        assert_eq!(store.get("kept").await.unwrap(), Some(kept), "{}", t.label);
        assert_eq!(count_renders(&t.db).await, 0, "{}", t.label);
    }
}

#[tokio::test]
async fn list_pages_through_260_banners_each_exactly_once_in_order() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        // Three banners per timestamp, so the id decides within a timestamp; prefixes whose
        // byte order differs from a locale's (`B` < `Z` < `a`, `-` and `_` not ignored).
        let prefixes = ["b-", "B_", "a", "Z", "-z", "_A"];
        let mut banners: Vec<BannerRecord> = (0..260)
            .map(|i| {
                let owner = if i % 4 == 0 { "OctoCat" } else { "alice" };
                let created = at(1_763_000_000 + (i as i64 / 3) * 7, (i as u32 / 3) * 1_001);
                banner(&format!("{}{:03}", prefixes[i % prefixes.len()], (i * 37) % 260), owner, created)
            })
            .collect();
        // Inserted out of order, so insertion order cannot pass for the sort.
        for b in banners.iter().rev() {
            store.insert(b).await.unwrap();
        }
        banners.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));

        let pages = all_pages(&store, None, 50).await;

        let sizes: Vec<usize> = pages.iter().map(|p| p.items.len()).collect();
        assert_eq!(sizes, [50, 50, 50, 50, 50, 10], "{}", t.label);
        let has_next: Vec<bool> = pages.iter().map(|p| p.has_next).collect();
        assert_eq!(has_next, [true, true, true, true, true, false], "{}", t.label);
        let listed: Vec<BannerRecord> = pages.into_iter().flat_map(|p| p.items).collect();
        assert_eq!(listed, banners, "{}", t.label);

        // Owner filter, in another spelling than the one stored.
        let octocat: Vec<BannerRecord> = banners.iter().filter(|b| b.owner_login == "OctoCat").cloned().collect();
        assert_eq!(octocat.len(), 65, "{}", t.label);
        for spelling in ["octocat", "OCTOCAT"] {
            let pages = all_pages(&store, Some(spelling), 50).await;
            let has_next: Vec<bool> = pages.iter().map(|p| p.has_next).collect();
            assert_eq!(has_next, [true, false], "{}: {spelling}", t.label);
            let listed: Vec<BannerRecord> = pages.into_iter().flat_map(|p| p.items).collect();
            assert_eq!(listed, octocat, "{}: {spelling}", t.label);
        }
        let nobody = store.list(Some("nobody"), 50, None).await.unwrap();
        assert_eq!(nobody, Page { items: vec![], has_next: false }, "{}", t.label);
    }
}

#[tokio::test]
async fn list_caps_a_huge_first_and_reports_more_for_first_zero() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        for i in 0..3 {
            store.insert(&banner(&format!("b{i}"), "alice", at(1_763_700_000 + i, 0))).await.unwrap();
        }

        let all = store.list(None, u64::MAX, None).await.unwrap();
        let none = store.list(None, 0, None).await.unwrap();

        assert_eq!((all.items.len(), all.has_next), (3, false), "{}", t.label);
        assert_eq!((none.items.len(), none.has_next), (0, true), "{}", t.label);
    }
}

/// The pagination tests pass on a PostgreSQL whose default collation is already byte order
/// (`C.UTF-8`); this catches a lost `COLLATE "C"` there too. (Against a database created with
/// an ICU `en-US` locale, the pagination tests themselves fail without it.)
#[tokio::test]
async fn postgres_orders_banner_ids_by_bytes_whatever_the_database_locale() {
    for t in TestDatabase::all().await.into_iter().filter(|t| t.db.get_database_backend() == DbBackend::Postgres) {
        let row =
            t.db.query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT collation_name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = 'banners' AND column_name = 'id'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<Option<String>>(0).unwrap().as_deref(), Some("C"));
    }
}

#[tokio::test]
async fn ids_for_owner_and_owners_treat_logins_case_insensitively() {
    for t in TestDatabase::all().await {
        let store = BannerStore::new(t.db.clone());
        store.insert(&banner("c", "OctoCat", at(1_763_700_002, 0))).await.unwrap();
        store.insert(&banner("a", "octocat", at(1_763_700_001, 0))).await.unwrap();
        store.insert(&banner("b", "Zed", at(1_763_700_000, 0))).await.unwrap();

        assert_eq!(store.ids_for_owner("OCTOCAT").await.unwrap(), ["a", "c"], "{}", t.label);
        assert_eq!(store.ids_for_owner("zed").await.unwrap(), ["b"], "{}", t.label);
        assert!(store.ids_for_owner("nobody").await.unwrap().is_empty(), "{}", t.label);

        let owners = store.owners().await.unwrap();
        assert_eq!(owners.len(), 2, "{}: one entry per account: {owners:?}", t.label);
        assert!(["OctoCat", "octocat"].contains(&owners[0].as_str()), "{}: {owners:?}", t.label);
        assert_eq!(owners[1], "Zed", "{}", t.label);
    }
}
