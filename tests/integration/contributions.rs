//! Streak and calendar cards and `User.contributions`, against the fake GitHub's calendars:
//! numbers worked out by hand from the fixtures below, in the reader's timezone.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use github_banners::clock::ManualClock;
use serde_json::{Value, json};

use crate::fake_github::FakeUser;
use crate::helpers::{TestApp, TestConfig, assert_valid_svg, spawn_app_with};

/// 03:00 on 2 January 2025 in UTC is still 22:00 on 1 January in New York (UTC-5).
fn new_year_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2025, 1, 2, 3, 0, 0).unwrap()))
}

/// Three years: a day in 2023, a streak over the leap day, a private day (shown), and a streak
/// over the new year whose last contributions are on 2 January in UTC but 1 January in New York.
fn long_timer() -> FakeUser {
    let mut user = FakeUser::new("longtimer")
        .contribution("2023-07-04T12:00:00Z", 2)
        .contribution("2024-02-28T12:00:00Z", 1)
        .contribution("2024-02-29T12:00:00Z", 2)
        .contribution("2024-03-01T12:00:00Z", 1)
        .private_contribution("2024-06-01T12:00:00Z", 3)
        .contribution("2024-12-29T15:00:00Z", 1)
        .contribution("2024-12-30T15:00:00Z", 1)
        .contribution("2024-12-31T15:00:00Z", 1)
        .contribution("2025-01-01T15:00:00Z", 1)
        .contribution("2025-01-02T02:00:00Z", 5);
    user.private_contributions_shown = true;
    user
}

async fn app_at(clock: Arc<ManualClock>) -> TestApp {
    spawn_app_with(TestConfig { clock: Some(clock), ..TestConfig::default() }).await
}

async fn json_of(app: &TestApp, query: &str) -> Value {
    let reply = app.preview(&format!("{query}&format=json")).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// (count, start, end) of each panel, by key.
fn panels(card: &Value) -> Vec<(String, u64, Value, Value)> {
    card["panels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["key"].as_str().unwrap().to_owned(), p["count"].as_u64().unwrap(), p["start"].clone(), p["end"].clone())
        })
        .collect()
}

fn panel(key: &str, count: u64, start: &str, end: &str) -> (String, u64, Value, Value) {
    (key.to_owned(), count, json!(start), json!(end))
}

#[tokio::test]
async fn streaks_follow_the_readers_timezone_across_the_new_year_and_the_leap_day() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    // UTC: today is 2 January and has 5; the streak runs 29 December - 2 January.
    // Total: 2 + (1 + 2 + 1) + 3 private + (1 + 1 + 1) + 1 + 5 = 18.
    let utc = json_of(&app, "username=longtimer&type=streak").await;
    assert_eq!(utc["today"], "2025-01-02");
    assert_eq!(
        panels(&utc),
        [
            panel("total", 18, "2023-07-04", "2025-01-02"),
            panel("current", 5, "2024-12-29", "2025-01-02"),
            panel("longest", 5, "2024-12-29", "2025-01-02"),
        ]
    );
    assert_eq!(utc["panels"][0]["dates"], "Jul 4, 2023 – Present");
    assert_eq!(utc["panels"][1]["dates"], "Dec 29, 2024 – Jan 2");

    // New York: it is still 1 January, which holds the 5 made at 21:00 local time.
    let new_york = json_of(&app, "username=longtimer&type=streak&timezone=America/New_York").await;
    assert_eq!(new_york["today"], "2025-01-01");
    assert_eq!(
        panels(&new_york),
        [
            panel("total", 18, "2023-07-04", "2025-01-01"),
            panel("current", 4, "2024-12-29", "2025-01-01"),
            panel("longest", 4, "2024-12-29", "2025-01-01"),
        ]
    );

    let since_2024 = json_of(&app, "username=longtimer&type=streak&hide_current_streak=true&starting_year=2024").await;
    assert_eq!(panels(&since_2024)[0], panel("total", 16, "2024-02-28", "2025-01-02"), "2023 left out");

    // Each timezone is a calendar of its own: 2025, 2024, 2023 in UTC; west of UTC also the
    // year before each listed one (2022), whose last hours could hold a listed year's first.
    assert_eq!(app.github.operation_count("ContributionCalendar"), 7);
    let svg = app.preview("username=longtimer&type=streak&timezone=America/New_York").await;
    let text = assert_valid_svg(&svg.body);
    assert!(text.contains("Total contributions") && text.contains("Dec 29, 2024 – Jan 1"), "{text}");

    // A streak over the leap day: 28 February, 29 February, 1 March 2024.
    app.github.set_user(
        FakeUser::new("leaper")
            .contribution("2024-02-28T12:00:00Z", 1)
            .contribution("2024-02-29T12:00:00Z", 1)
            .contribution("2024-03-01T12:00:00Z", 1)
            .contribution("2024-03-03T12:00:00Z", 1),
    );
    let leap = json_of(&app, "username=leaper&type=streak").await;
    assert_eq!(panels(&leap)[1], ("current".to_owned(), 0, Value::Null, Value::Null));
    assert_eq!(panels(&leap)[2], panel("longest", 3, "2024-02-28", "2024-03-01"));
}

#[tokio::test]
async fn today_without_contributions_first_contribution_today_excluded_days_and_none_at_all() {
    let app = app_at(new_year_clock()).await;
    // Friday 27 December, then Monday 30 December to Wednesday 1 January; nothing yet on
    // Thursday 2 January (today), nothing on the weekend between.
    let weekday_worker = FakeUser::new("weekdays")
        .contribution("2024-12-27T12:00:00Z", 1)
        .contribution("2024-12-30T12:00:00Z", 1)
        .contribution("2024-12-31T12:00:00Z", 1)
        .contribution("2025-01-01T12:00:00Z", 1);
    app.github.set_user(weekday_worker);
    app.github.set_user(FakeUser::new("firstday").contribution("2025-01-02T01:00:00Z", 1));
    app.github.set_user(FakeUser::new("quiet"));

    let plain = json_of(&app, "username=weekdays&type=streak").await;
    assert_eq!(panels(&plain)[1], panel("current", 3, "2024-12-30", "2025-01-01"), "today does not end it yet");
    let weekends_off = json_of(&app, "username=weekdays&type=streak&exclude_days=Sat,Sun").await;
    assert_eq!(panels(&weekends_off)[1], panel("current", 4, "2024-12-27", "2025-01-01"));
    assert_eq!(panels(&weekends_off)[2], panel("longest", 4, "2024-12-27", "2025-01-01"));
    let weekly = json_of(&app, "username=weekdays&type=streak&mode=weekly").await;
    assert_eq!(panels(&weekly)[1], panel("current", 2, "2024-12-22", "2024-12-29"), "two weeks, by their Sundays");
    assert_eq!(weekly["panels"][1]["label"], "Current weekly streak");

    let first = json_of(&app, "username=firstday&type=streak").await;
    assert_eq!(
        panels(&first),
        [
            panel("total", 1, "2025-01-02", "2025-01-02"),
            panel("current", 1, "2025-01-02", "2025-01-02"),
            panel("longest", 1, "2025-01-02", "2025-01-02"),
        ]
    );

    let quiet = json_of(&app, "username=quiet&type=streak").await;
    assert_eq!(
        panels(&quiet),
        [
            ("total".to_owned(), 0, Value::Null, Value::Null),
            ("current".to_owned(), 0, Value::Null, Value::Null),
            ("longest".to_owned(), 0, Value::Null, Value::Null),
        ]
    );
    assert_eq!(quiet["panels"][0]["dates"], "No contributions yet");
    assert!(assert_valid_svg(&app.preview("username=quiet&type=streak").await.body).contains("No contributions yet"));
}

#[tokio::test]
async fn private_contributions_count_only_when_the_user_shows_them() {
    let app = app_at(new_year_clock()).await;
    let mut hidden = long_timer();
    hidden.login = "hidden".to_owned();
    hidden.private_contributions_shown = false;
    app.github.set_user(hidden);
    app.github.set_user(long_timer());

    let query = "query($login: String!) { user(login: $login) { contributions { total restricted } } }";
    let shown = app.graphql(query, json!({ "login": "longtimer" }), None).await;
    assert_eq!(shown["data"]["user"]["contributions"], json!({ "total": 18, "restricted": 3 }), "{shown}");
    let kept = app.graphql(query, json!({ "login": "hidden" }), None).await;
    assert_eq!(kept["data"]["user"]["contributions"], json!({ "total": 15, "restricted": 0 }), "{kept}");
}

#[tokio::test]
async fn a_year_heatmap_has_a_cell_per_day_shaded_by_its_share_of_the_busiest() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    let card = json_of(&app, "username=longtimer&type=calendar&year=2024").await;
    assert_eq!((card["first_date"].clone(), card["last_date"].clone()), (json!("2024-01-01"), json!("2024-12-31")));
    let days = card["days"].as_array().unwrap();
    assert_eq!(days.len(), 366, "a leap year");
    assert_eq!(card["total"], 10);
    assert_eq!(card["title"], "10 contributions in 2024");
    // The busiest day has 3: 1 is level 2 (a third, rounded up to quarters), 2 is 3, 3 is 4.
    let day = |date: &str| days.iter().find(|d| d["date"] == date).cloned().unwrap();
    assert_eq!(day("2024-02-28"), json!({ "date": "2024-02-28", "count": 1, "level": 2 }));
    assert_eq!(day("2024-02-29"), json!({ "date": "2024-02-29", "count": 2, "level": 3 }));
    assert_eq!(day("2024-06-01"), json!({ "date": "2024-06-01", "count": 3, "level": 4 }));
    assert_eq!(day("2024-06-02")["level"], 0);
    for geometry in ["cells", "month_labels", "weekday_labels", "legend", "graph", "theme"] {
        assert!(card.get(geometry).is_none(), "{geometry} is how it is drawn, not what it shows");
    }

    let svg = app.preview("username=longtimer&type=calendar&year=2024").await.body;
    assert_valid_svg(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let rects: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("rect")).collect();
    let cells: Vec<_> = rects.iter().filter(|r| r.children().any(|c| c.has_tag_name("title"))).collect();
    assert_eq!(cells.len(), 366);
    // 1 January 2024 was a Monday: the first column starts a day down; 53 columns.
    let xs: std::collections::BTreeSet<&str> = cells.iter().map(|c| c.attribute("x").unwrap()).collect();
    assert_eq!(xs.len(), 53);
    let legend: Vec<&str> = rects.iter().rev().take(5).map(|r| r.attribute("fill").unwrap()).rev().collect();
    let fill_of = |tip: &str| {
        cells
            .iter()
            .find(|c| c.text().is_none() && c.descendants().any(|t| t.text() == Some(tip)))
            .unwrap()
            .attribute("fill")
            .unwrap()
    };
    assert_eq!(fill_of("2024-02-29 – 2"), legend[3], "level 3 is the legend's fourth shade");
    assert_eq!(fill_of("2024-06-01 – 3"), legend[4]);
    assert_eq!(fill_of("2024-06-02 – 0"), legend[0]);
    let months: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("class") == Some("muted"))
        .filter_map(|n| n.text())
        .filter(|t| t.len() == 3)
        .collect();
    assert!(months.starts_with(&["Jan", "Feb", "Mar"]) && months.contains(&"Dec"), "{months:?}");
}

#[tokio::test]
async fn the_activity_graph_plots_the_last_days() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    let card = json_of(&app, "username=longtimer&type=calendar&layout=graph&days=7").await;
    assert_eq!(card["layout"], "graph");
    let counts: Vec<u64> = card["days"].as_array().unwrap().iter().map(|d| d["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [0, 0, 1, 1, 1, 1, 5], "27 December to 2 January");
    assert_eq!(card["title"], "Contributions in the last 7 days");

    let svg = app.preview("username=longtimer&type=calendar&layout=graph&days=7").await.body;
    assert_valid_svg(&svg);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let line = doc.descendants().find(|n| n.has_tag_name("polyline")).expect("a line");
    let ys: Vec<f64> =
        line.attribute("points").unwrap().split(' ').map(|p| p.split(',').nth(1).unwrap().parse().unwrap()).collect();
    assert_eq!(ys.len(), 7);
    assert!(ys[6] < ys[5] && ys[5] < ys[0], "more contributions are drawn higher: {ys:?}");
    assert_eq!(ys[2], ys[3]);
}

#[tokio::test]
async fn past_years_are_fetched_once_then_only_the_current_year_refreshes() {
    // Well after the new year: 2024 is settled.
    let clock = Arc::new(ManualClock::at(Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()));
    let app = app_at(clock.clone()).await;
    app.github.set_user(long_timer());
    let count = |year| app.github.calendar_requests("longtimer", year);

    assert_eq!(app.preview("username=longtimer&type=streak").await.status, 200);
    assert_eq!((count("2025"), count("2024"), count("2023")), (1, 1, 1), "one query per year at first");
    assert_eq!(app.preview("username=longtimer&type=calendar").await.status, 200);
    assert_eq!(app.github.operation_count("ContributionCalendar"), 3, "the calendar card shares them");

    clock.advance(Duration::from_secs(11 * 60));
    assert_eq!(app.preview("username=longtimer&type=streak&hide_total_contributions=true").await.status, 200);
    assert_eq!((count("2025"), count("2024"), count("2023")), (2, 1, 1), "a refresh asks for this year only");

    // A restart on the same database: the past years come from the store.
    let restarted = spawn_app_with(TestConfig {
        clock: Some(clock.clone()),
        db: Some(app.db.clone()),
        github: Some(app.github.clone()),
        ..TestConfig::default()
    })
    .await;
    let card = json_of(&restarted, "username=longtimer&type=streak").await;
    assert_eq!(panels(&card)[0].1, 18);
    assert_eq!((count("2025"), count("2024"), count("2023")), (3, 1, 1));
}

#[tokio::test]
async fn contributions_in_graphql_match_the_cards() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    let query = r#"query {
        user(login: "longtimer") {
            contributions(timezone: "America/New_York") {
                today total
                streak { total firstContribution current { start end length } longest { length } }
                weekly: streak(mode: WEEKLY) { current { start length } }
                calendar(from: "2024-12-30") { date count }
            }
        }
    }"#;
    let reply = app.graphql(query, json!({}), None).await;
    let c = &reply["data"]["user"]["contributions"];
    assert_eq!(c["today"], "2025-01-01", "{reply}");
    assert_eq!(c["streak"]["current"], json!({ "start": "2024-12-29", "end": "2025-01-01", "length": 4 }));
    assert_eq!(
        (c["streak"]["total"].clone(), c["streak"]["firstContribution"].clone()),
        (json!(18), json!("2023-07-04"))
    );
    assert_eq!(c["weekly"]["current"], json!({ "start": "2024-12-29", "length": 1 }));
    assert_eq!(
        c["calendar"],
        json!([
            { "date": "2024-12-30", "count": 1 },
            { "date": "2024-12-31", "count": 1 },
            { "date": "2025-01-01", "count": 6 },
        ])
    );

    let bad = app
        .graphql(
            r#"{ user(login: "longtimer") { contributions(timezone: "Mars/Olympus") { total } } }"#,
            json!({}),
            None,
        )
        .await;
    assert!(bad["errors"][0]["message"].as_str().unwrap().contains("timezone"), "{bad}");
}

#[tokio::test]
async fn bad_contribution_options_get_a_clear_error_card_and_cost_no_query() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    for (query, name) in [
        ("type=streak&timezone=Mars/Olympus", "timezone"),
        ("type=streak&mode=hourly", "mode"),
        ("type=streak&exclude_days=Funday", "exclude_days"),
        ("type=streak&date_format=%3Cb%3E", "date_format"),
        ("type=calendar&days=400&layout=graph", "days"),
        ("type=calendar&year=1999", "year"),
        ("type=wide&layout=graph", "layout"),
    ] {
        let reply = app.preview(&format!("username=longtimer&{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert!(assert_valid_svg(&reply.body).contains(name), "{query}: {}", reply.body);
    }
    assert_eq!(app.github.operation_count("ContributionCalendar"), 0);
    // Every route refuses it, not only the preview's query string.
    let sample = app.get("/themes/default/compact.svg?layout=graph").await;
    assert_eq!(sample.status, 400);
    let created = app
        .client
        .post(format!("{}/banners", app.address))
        .bearer_auth(crate::helpers::API_KEY)
        .json(&json!({ "username": "longtimer", "type": "wide", "options": { "layout": "graph" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 400);
}

#[tokio::test]
async fn streak_and_calendar_follow_the_readers_dark_mode_and_come_as_png() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    for kind in ["streak", "calendar", "calendar&layout=graph"] {
        let svg = app.preview(&format!("username=longtimer&type={kind}&theme=auto")).await;
        assert_eq!(svg.status, 200, "{kind}");
        assert_valid_svg(&svg.body);
        assert!(svg.body.contains("prefers-color-scheme: dark") && svg.body.contains("#151515"), "{kind}");
        let png = app.get(&format!("/banners/preview.png?username=longtimer&type={kind}")).await;
        assert_eq!((png.status, png.header("content-type")), (200, "image/png"), "{kind}");
    }
}

#[tokio::test]
async fn a_stored_streak_banner_serves_svg_and_json() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    let id = app
        .create_banner(
            json!({ "username": "longtimer", "type": "streak", "options": { "timezone": "America/New_York" } }),
        )
        .await;

    let stored: Value = serde_json::from_str(&app.get(&format!("/banners/{id}.json")).await.body).unwrap();
    assert_eq!(panels(&stored)[1], panel("current", 4, "2024-12-29", "2025-01-01"));
    let svg = app.get(&format!("/banners/{id}.svg")).await;
    assert_eq!(svg.status, 200);
    assert!(assert_valid_svg(&svg.body).contains("Current streak"));
}

#[tokio::test]
async fn github_readme_streak_stats_urls_work_by_changing_the_host() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    let card = app.get("/?user=longtimer&theme=dark&type=json&exclude_days=Sun&hide_border=true").await;
    assert_eq!(card.status, 200, "{}", card.body);
    let card: Value = serde_json::from_str(&card.body).unwrap();
    assert_eq!((card["kind"].clone(), panels(&card)[0].1), (json!("streak"), 18));
    let svg = app.get("/?user=longtimer&theme=no-such-theme&background=not-a-colour&border_radius=248").await;
    assert_eq!(svg.status, 200, "what it shrugs off falls back: {}", svg.body);
    assert!(assert_valid_svg(&svg.body).contains("Current streak"));
    let png = app.get("/?user=longtimer&type=png").await;
    assert_eq!(png.header("content-type"), "image/png");

    let refused = app.get("/?user=longtimer&mode=hourly").await;
    assert_eq!(refused.status, 400);
    assert!(assert_valid_svg(&refused.body).contains("mode"));
    // `/` alone is someone looking for the builder.
    let bare = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    assert_eq!(bare.url().path(), "/builder", "followed the redirect");
    assert!(bare.text().await.unwrap().contains("Card builder"));
}

/// The JSON of each card has the fields themes/README.md section 5 documents, and only those.
#[tokio::test]
async fn contribution_json_has_the_documented_shape() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    let keys = |card: &Value| card.as_object().unwrap().keys().cloned().collect::<std::collections::BTreeSet<_>>();
    let set = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<std::collections::BTreeSet<_>>();
    let common = ["format_version", "version", "kind", "locale", "login", "stale", "fetched_at"];

    let streak = json_of(&app, "username=longtimer&type=streak").await;
    assert_eq!(keys(&streak), set(&[&common[..], &["mode", "today", "timezone", "panels"]].concat()));
    let panel = streak["panels"][1].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(panel, ["count", "dates", "end", "key", "label", "start", "value", "x"]);
    let calendar = json_of(&app, "username=longtimer&type=calendar").await;
    let fields = ["title", "layout", "year", "first_date", "last_date", "total", "total_text", "days"];
    assert_eq!(keys(&calendar), set(&[&common[..], &fields].concat()));
    assert_eq!(calendar["days"].as_array().unwrap().len(), 365, "the last 12 months, today included");
    assert_eq!(calendar["last_date"], "2025-01-02");
}

#[tokio::test]
async fn a_calendar_asks_only_for_the_years_it_shows() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());

    assert_eq!(app.preview("username=longtimer&type=calendar").await.status, 200);
    assert_eq!(app.preview("username=longtimer&type=calendar&layout=graph&days=365").await.status, 200);
    let count = |year| app.github.calendar_requests("longtimer", year);
    assert_eq!((count("2025"), count("2024"), count("2023")), (1, 1, 0), "the last 12 months reach into 2024 only");
    let card = json_of(&app, "username=longtimer&type=calendar&year=2023").await;
    assert_eq!((card["total"].clone(), count("2023")), (json!(2), 1));
}

#[tokio::test]
async fn cycling_through_timezones_cannot_multiply_what_a_user_costs() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    for timezone in ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"] {
        assert_eq!(app.preview(&format!("username=longtimer&type=streak&timezone={timezone}")).await.status, 200);
    }
    let before = app.github.operation_count("ContributionCalendar");
    // A reader in Berlin after strangers asked for four other offsets today: the card counted in
    // the nearest of them (UTC), saying so, rather than a refusal caused by others.
    let fifth = app.preview("username=longtimer&type=streak&timezone=Europe/Berlin").await;
    assert_eq!(fifth.status, 200);
    assert_eq!(fifth.header("x-stats-status"), "fresh, nearest-timezone");
    assert_eq!(fifth.header("x-stats-utc-offset"), "+00:00");
    assert!(assert_valid_svg(&fifth.body).contains("UTC+00:00"), "{}", fifth.body);
    assert_eq!(app.github.operation_count("ContributionCalendar"), before, "no query for it");
    let json = json_of(&app, "username=longtimer&type=streak&timezone=Europe/Berlin").await;
    assert_eq!(json["counted_in"], "UTC+00:00");
    let tokyo = app.preview("username=longtimer&type=calendar&timezone=Asia/Tokyo").await;
    assert_eq!((tokyo.status, tokyo.header("x-stats-status")), (200, "fresh"));
    assert!(tokyo.headers.get("x-stats-utc-offset").is_none(), "counted in the reader's own offset");
}

#[tokio::test]
async fn graphql_refuses_dates_out_of_range_without_a_panic() {
    let app = app_at(new_year_clock()).await;
    app.github.set_user(long_timer());
    for args in [
        r#"to: "-262143-01-01""#,
        r#"from: "2025-01-02", to: "2024-01-01""#,
        r#"from: "1999-01-01""#,
        r#"from: "2020-01-01""#,
    ] {
        let query = format!(r#"{{ user(login: "longtimer") {{ contributions {{ calendar({args}) {{ date }} }} }} }}"#);
        let reply = app.graphql(&query, json!({}), None).await;
        assert!(reply["errors"][0]["message"].is_string(), "{args}: {reply}");
    }
    let ok = app
        .graphql(
            r#"{ user(login: "longtimer") { contributions { calendar(from: "2024-12-31") { count } } } }"#,
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        ok["data"]["user"]["contributions"]["calendar"],
        json!([{ "count": 1 }, { "count": 1 }, { "count": 5 }]),
        "{ok}"
    );
}

/// GraphQL's `utcOffset`: the offset the days are counted in. It costs nothing beyond the
/// calendar (admitted and charged like a streak card: the login policy, the client's costly
/// budget); two spellings of one offset are one offset; a fifth offset is the nearest counted one.
#[tokio::test]
async fn graphql_says_which_utc_offset_the_days_are_counted_in() {
    let mut config = TestConfig {
        clock: Some(new_year_clock()),
        blocked_users: vec!["blocked".to_owned()],
        ..TestConfig::default()
    };
    config.limits.graphql_max_users = 10;
    let app = spawn_app_with(config).await;
    app.github.set_user(long_timer());
    let offset = |timezone: &'static str| {
        let app = &app;
        async move {
            let query = format!(
                r#"{{ user(login: "longtimer") {{ contributions(timezone: "{timezone}") {{ utcOffset }} }} }}"#
            );
            let reply = app.graphql(&query, json!({}), None).await;
            reply["data"]["user"]["contributions"]["utcOffset"].as_str().unwrap_or_else(|| panic!("{reply}")).to_owned()
        }
    };
    // Berlin and Paris are one offset in January: one of the four a user may cost a day.
    for (timezone, expected) in [
        ("UTC", "+00:00"),
        ("Europe/Berlin", "+01:00"),
        ("Europe/Paris", "+01:00"),
        ("Asia/Kolkata", "+05:30"),
        ("Asia/Tokyo", "+09:00"),
        ("America/New_York", "+00:00"),
    ] {
        assert_eq!(offset(timezone).await, expected, "{timezone}");
    }
    let blocked = app.graphql(r#"{ user(login: "blocked") { contributions { utcOffset } } }"#, json!({}), None).await;
    assert_eq!(blocked["errors"][0]["extensions"]["code"], "FORBIDDEN", "{blocked}");
}

#[tokio::test]
async fn graphql_contributions_spend_the_clients_costly_budget() {
    let mut config = TestConfig { clock: Some(new_year_clock()), ..TestConfig::default() };
    config.limits.client_costly_per_minute = 4;
    let app = spawn_app_with(config).await;
    app.github.set_user(long_timer());
    app.github.set_user(FakeUser::new("second").contribution("2024-03-01T12:00:00Z", 1));
    // Their stats in memory, so only the calendars are costly.
    for login in ["longtimer", "second"] {
        app.stats.get(&github_banners::domain::Login::parse(login).unwrap()).await.unwrap();
    }
    let query = |login: &str| format!(r#"{{ user(login: "{login}") {{ contributions {{ utcOffset total }} }} }}"#);
    let first = app.graphql(&query("longtimer"), json!({}), None).await;
    assert!(first["errors"].is_null(), "{first}");
    let before = app.github.operation_count("ContributionCalendar");
    let second = app.graphql(&query("second"), json!({}), None).await;
    assert_eq!(second["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS", "{second}");
    assert_eq!(app.github.operation_count("ContributionCalendar"), before, "refused before any query");
}
