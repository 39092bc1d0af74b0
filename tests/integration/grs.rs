//! github-readme-stats' URLs with only the host changed: its routes, theme names, locale codes and
//! lenient values.

use crate::fake_github::{FakeGist, FakeRepo, FakeUser};
use crate::helpers::{assert_valid_svg, spawn_app};

#[tokio::test]
async fn the_stats_route_draws_our_compact_card_in_its_theme_and_locale() {
    let app = spawn_app().await;

    let reply = app.get("/api?username=octocat&show_icons=true&theme=github_dark&locale=cn").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("content-type").starts_with("image/svg+xml"));
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("2.3k"), "stars, short as there: {text}");
    // github-readme-stats' github_dark title colour, and a Chinese title.
    assert!(reply.body.contains("#58a6ff"), "{}", reply.body);
    assert!(text.contains("GitHub 统计"), "{text}");
}

#[tokio::test]
async fn every_github_readme_stats_theme_name_is_served() {
    let app = spawn_app().await;
    // A sample of its names: underscores, hyphens, mixed case, and one spelt like ours.
    for theme in
        ["vue-dark", "codeSTACKr", "github_dark_dimmed", "highcontrast", "gruvbox_light", "ambient_gradient", "dracula"]
    {
        let reply = app.get(&format!("/api?username=octocat&theme={theme}")).await;
        assert_eq!(reply.status, 200, "{theme}: {}", reply.body);
        assert_valid_svg(&reply.body);
    }
    let gallery = app.get("/themes").await;
    assert!(gallery.body.contains("also github_dark"), "aliases are shown in the gallery");
}

#[tokio::test]
async fn values_it_accepts_never_get_a_400_and_values_it_refuses_name_the_parameter() {
    let app = spawn_app().await;

    let lenient = app
        .get("/api?username=octocat&theme=no_such_theme&title_color=red&show_icons=maybe&hide=stars,bogus&border_radius=99&card_width=x&rank_icon=github")
        .await;
    assert_eq!(lenient.status, 200, "{}", lenient.body);
    assert!(!assert_valid_svg(&lenient.body).contains("2.3k"), "hide=stars hides the stars");

    let refused = app.get("/api?username=octocat&locale=tlh").await;
    assert_eq!(refused.status, 400);
    assert!(assert_valid_svg(&refused.body).contains("locale"), "{}", refused.body);
    let no_user = app.get("/api?theme=dark").await;
    assert_eq!(no_user.status, 400);
    assert!(assert_valid_svg(&no_user.body).contains("username"));
}

#[tokio::test]
async fn its_layout_parameters_change_the_card() {
    let app = spawn_app().await;

    let reply = app
        .get("/api?username=octocat&hide_title=true&hide_rank=true&card_width=5000&exclude_repo=Hello-World&number_format=long&text_bold=false")
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    assert!(reply.body.contains("width=\"1000\""), "card_width takes the nearest bound: {}", reply.body);
    assert!(!reply.body.contains("class=\"title\"") && !reply.body.contains("<circle"), "no title, no ring");
    // spoon-knife's 800 stars and 120 forks without hello-world's 1,500 and 300.
    assert!(text.contains("800") && text.contains("120") && !text.contains("2,300"), "{text}");
    assert!(reply.body.contains("font-weight: 400"), "text_bold=false");
    let top =
        app.get("/api/top-langs?username=octocat&hide_progress=true&hide_title=true&exclude_repo=hello-world").await;
    let top_text = assert_valid_svg(&top.body);
    assert!(!top.body.contains("<rect x=\"0\" y=\"8\""), "no bars: {}", top.body);
    assert!(top_text.contains("TypeScript") && top_text.contains("100.0%") && !top_text.contains("Rust"), "{top_text}");
}

#[tokio::test]
async fn top_languages_hides_languages_and_takes_its_layouts() {
    let app = spawn_app().await;

    let reply = app.get("/api/top-langs?username=octocat&hide=rust&layout=donut-vertical&langs_count=30").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    assert!(!text.contains("Rust"), "{text}");
    // TypeScript 30 and Shell 10 of the remaining 40: 75% and 25%.
    assert!(text.contains("75.0%") && text.contains("25.0%"), "{text}");
    let bad = app.get("/api/top-langs?username=octocat&layout=circle").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn cache_seconds_sets_max_age_within_the_cards_bounds() {
    let app = spawn_app().await;

    let short = app.get("/api?username=octocat&cache_seconds=60").await;
    assert!(short.header("cache-control").contains("max-age=43200"), "{}", short.header("cache-control"));
    let long = app.get("/api/top-langs?username=octocat&cache_seconds=9999999").await;
    assert!(long.header("cache-control").contains("max-age=864000"), "{}", long.header("cache-control"));
    // Asking for a short max-age never makes us ask GitHub again.
    assert_eq!(app.github.request_count_for("octocat", "UserStats"), 1);
}

fn organisation() -> FakeUser {
    FakeUser::new("octo-org").repo(
        FakeRepo::new("Team-Tool", 12_345)
            .forks(678)
            .description("A tool the whole team relies on, with a description long enough to need a second line here.")
            .language("Go", "#00ADD8", 100)
            .archived(),
    )
}

#[tokio::test]
async fn a_pin_shows_any_public_repository_with_its_language_numbers_and_badges() {
    let app = spawn_app().await;
    app.github.set_user(organisation());

    let reply = app.get("/api/pin?username=octo-org&repo=team-tool&show_owner=true&description_lines_count=1").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("octo-org/Team-Tool"), "owner/name as GitHub spells it: {text}");
    assert!(text.contains("12.3k") && text.contains("678"), "{text}");
    assert!(text.contains("Go") && reply.body.contains("#00ADD8"), "language and colour: {text}");
    assert!(text.contains("Archived"), "{text}");
    assert!(text.contains("A tool the whole team relies on") && text.contains('…'), "one line, cut: {text}");
    assert!(!text.contains("second line"), "{text}");
    // The same card from the preview and by `owner/name`.
    let preview = app.preview("type=pin&repo=octo-org/team-tool&show_owner=true&description_lines_count=1").await;
    assert_eq!(preview.body, reply.body);
    assert_eq!(app.github.operation_count("RepositoryCard"), 1, "cached, one GitHub query");
}

#[tokio::test]
async fn private_and_unknown_repositories_get_a_404_card() {
    let app = spawn_app().await;

    for query in ["username=octocat&repo=secret-notes", "username=octocat&repo=nope"] {
        let reply = app.get(&format!("/api/pin?{query}")).await;
        assert_eq!(reply.status, 404, "{query}");
        assert!(assert_valid_svg(&reply.body).contains("not found"), "{}", reply.body);
    }
    let bad = app.get("/api/pin?username=octocat&repo=a%20b").await;
    assert_eq!(bad.status, 400);
    assert!(assert_valid_svg(&bad.body).contains("repo"));
}

#[tokio::test]
async fn a_gist_card_shows_its_first_file_and_main_language() {
    let app = spawn_app().await;
    app.github.set_gist(FakeGist {
        id: "bbfce31e0217a3689c8d961a356cb10d".to_owned(),
        owner: "octocat".to_owned(),
        description: Some("Handy shell snippets".to_owned()),
        is_public: true,
        stars: 31,
        forks: 4,
        files: vec![
            ("setup.sh".to_owned(), Some(("Shell".to_owned(), "#89e051".to_owned())), 200),
            ("notes.py".to_owned(), Some(("Python".to_owned(), "#3572A5".to_owned())), 900),
        ],
    });

    let reply = app.get("/api/gist?id=BBFCE31E0217A3689C8D961A356CB10D&show_owner=true").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("octocat/setup.sh") && text.contains("Handy shell snippets"), "{text}");
    assert!(text.contains("Python") && text.contains("31") && text.contains('4'), "most bytes decide: {text}");
    let missing = app.get("/api/gist?id=abc123").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_stored_banner_can_be_a_repository_card() {
    let app = spawn_app().await;
    app.github.set_user(organisation());
    let created = app
        .graphql(
            "mutation { createBanner(input: {username: \"octo-org\", type: \"pin\", options: [{name: \"repo\", value: \"Team-Tool\"}]}) { id svgUrl } }",
            serde_json::json!({}),
            Some(crate::helpers::API_KEY),
        )
        .await;
    let url = created["data"]["createBanner"]["svgUrl"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();

    let reply = app.get(&url).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(assert_valid_svg(&reply.body).contains("Team-Tool"));
    let refused = app
        .graphql(
            "mutation { createBanner(input: {username: \"octo-org\", type: \"pin\", options: [{name: \"repo\", value: \"missing\"}]}) { id } }",
            serde_json::json!({}),
            Some(crate::helpers::API_KEY),
        )
        .await;
    assert!(refused["errors"][0]["message"].as_str().unwrap_or_default().contains("repo"), "{refused}");
}

#[tokio::test]
async fn repository_cards_are_fetched_once_for_concurrent_readers_and_kept_while_github_fails() {
    let app = spawn_app().await;
    app.github.set_user(organisation());
    let url = "/api/pin?username=octo-org&repo=team-tool";

    let first = futures_util::future::join_all((0..8).map(|_| app.get(url))).await;

    assert!(first.iter().all(|r| r.status == 200));
    assert_eq!(app.github.operation_count("RepositoryCard"), 1, "one query for eight readers");
    // Past the soft TTL, with GitHub failing: the card stays, marked as not fresh.
    app.clock.advance(std::time::Duration::from_secs(3600));
    app.github.fail_next(100, 502);
    let stale = app.get(url).await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.header("x-stats-status"), "revalidating");
    assert!(assert_valid_svg(&stale.body).contains("Team-Tool"));
}

#[tokio::test]
async fn the_wakatime_card_shows_coding_time_by_language_from_the_configured_instance() {
    let wakatime = crate::fake_wakatime::FakeWakaTime::start().await;
    wakatime.set_user("coder", &[("Rust", 7200.0), ("Python", 3600.0), ("YAML", 600.0)]);
    let app = crate::helpers::spawn_app_with(crate::helpers::TestConfig {
        wakatime_url: Some(wakatime.url()),
        ..Default::default()
    })
    .await;

    let reply = app.get("/api/wakatime?username=coder&hide=yaml&cache_seconds=100").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("Rust") && text.contains("2 hrs 0 mins") && text.contains("Python"), "{text}");
    assert!(!text.contains("YAML"), "hide leaves it out: {text}");
    assert!(reply.header("cache-control").contains("max-age=43200"), "{}", reply.header("cache-control"));
    let percent = app.get("/api/wakatime?username=coder&layout=compact&display_format=percent").await;
    assert!(assert_valid_svg(&percent.body).contains("63.2%"), "{}", percent.body);
    assert_eq!(wakatime.requests_for("coder"), 1, "one request, then the cache");

    let unknown = app.get("/api/wakatime?username=nobody").await;
    assert_eq!(unknown.status, 404);
    // Only hosts the operator allows are asked; nothing is fetched for the others.
    let elsewhere = app.get("/api/wakatime?username=coder&api_domain=internal.example").await;
    assert_eq!(elsewhere.status, 400);
    assert!(assert_valid_svg(&elsewhere.body).contains("api_domain"));
    let raw_ip = app.get("/api/wakatime?username=coder&api_domain=169.254.169.254").await;
    assert_eq!(raw_ip.status, 400);
    // Dots alone would be other paths of the allowed host's API (`/api/v1/stats`).
    for dots in [".", "..", "%2E%2E"] {
        let reply = app.get(&format!("/api/wakatime?username={dots}")).await;
        assert_eq!(reply.status, 400, "{dots}");
        assert!(assert_valid_svg(&reply.body).contains("username"));
    }
}

#[tokio::test]
async fn graphql_gives_repositories_and_gists_as_their_cards_show_them() {
    let app = spawn_app().await;
    app.github.set_user(organisation());

    let response = app
        .graphql(
            r#"{ repository(owner: "octo-org", name: "team-tool") { owner name stars forks language languageColor archived stale }
                 missing: repository(owner: "octocat", name: "secret-notes") { name }
                 gist(id: "abc123") { name }
                 card: preview(login: "octo-org", type: "pin", options: [{ name: "repo", value: "team-tool" }]) }"#,
            serde_json::json!({}),
            None,
        )
        .await;

    assert!(response["errors"].is_null(), "{response}");
    let repo = &response["data"]["repository"];
    assert_eq!(repo["owner"], "octo-org");
    assert_eq!(repo["name"], "Team-Tool");
    assert_eq!((repo["stars"].as_i64(), repo["forks"].as_i64()), (Some(12_345), Some(678)));
    assert_eq!((repo["language"].as_str(), repo["archived"].as_bool()), (Some("Go"), Some(true)));
    assert!(response["data"]["missing"].is_null(), "private repositories are not shown");
    assert!(response["data"]["gist"].is_null());
    assert!(assert_valid_svg(response["data"]["card"].as_str().unwrap()).contains("Team-Tool"));
}

#[tokio::test]
async fn pull_requests_and_issues_are_all_time_totals_and_show_adds_stats() {
    let app = spawn_app().await;

    let reply = app
        .preview("username=octocat&type=compact&show=prs_merged,prs_merged_percentage,discussions_started,reviews")
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let text = assert_valid_svg(&reply.body);
    // All time: 5,120 pull requests (4,800 merged: 93%), 3,100 issues, 7 discussions.
    for expected in ["Total pull requests", "5,120", "Total issues", "3,100", "4,800", "93%", "7"] {
        assert!(text.contains(expected), "missing {expected}: {text}");
    }
    // The 12-month counters still say their window.
    assert!(text.contains("Commits (last year)") && text.contains("Reviews (last year)"), "{text}");
    let stats = app.graphql(r#"{ user(login: "octocat") { stats { pullRequests allTime { pullRequests mergedPullRequests issues } } } }"#, serde_json::json!({}), None).await;
    let stats = &stats["data"]["user"]["stats"];
    assert_eq!(stats["pullRequests"], 56, "the 12-month counter stays available");
    assert_eq!(
        stats["allTime"],
        serde_json::json!({ "pullRequests": 5120, "mergedPullRequests": 4800, "issues": 3100 })
    );
}

#[tokio::test]
async fn rank_icon_number_precision_stats_format_and_weights_take_effect() {
    let app = spawn_app().await;

    let stats = app.get("/api?username=octocat&rank_icon=percentile&number_precision=2").await;
    let text = assert_valid_svg(&stats.body);
    assert!(text.contains("1.23k"), "commits with two decimals: {text}");
    assert!(text.contains('%') && !stats.body.contains("class=\"name\""), "the percentile instead of the level");
    let github = app.get("/api?username=octocat&rank_icon=github").await;
    assert_eq!(github.body.matches("<svg").count(), 2, "GitHub's mark inside the card");

    let bytes = app.get("/api/top-langs?username=octocat&stats_format=bytes").await;
    let text = assert_valid_svg(&bytes.body);
    assert!(text.contains("5.9 KB") && text.contains("2.9 KB") && !text.contains('%'), "{text}");
    // By repositories alone: Rust, Shell and TypeScript are each in one counted repository.
    let by_count = app.get("/api/top-langs?username=octocat&size_weight=0&count_weight=1").await;
    let text = assert_valid_svg(&by_count.body);
    assert!(text.contains("33.3%") && text.contains("33.4%"), "{text}");
}

#[tokio::test]
async fn commits_of_all_time_or_of_one_year_are_counted_year_by_year_and_kept() {
    let app = spawn_app().await;
    let this_year = chrono::Datelike::year(&chrono::Utc::now());

    let all = app.get("/api?username=octocat&include_all_commits=true&number_format=long").await;

    let text = assert_valid_svg(&all.body);
    // 100 in 2011 (the account's first year) + 300 in 2020 + 1,000 in 2024.
    assert!(text.contains("Commits (all time)") && text.contains("1,400"), "{text}");
    let queries = app.github.operation_count("CommitsInYear");
    assert_eq!(queries, usize::try_from(this_year - 2011 + 1).unwrap(), "one query per year since 2011");
    app.get("/api?username=octocat&include_all_commits=true").await;
    assert_eq!(app.github.operation_count("CommitsInYear"), queries, "years are kept");

    let one = app.preview("username=octocat&type=compact&commits_year=2020").await;
    let text = assert_valid_svg(&one.body);
    assert!(text.contains("Commits in 2020") && text.contains("300"), "{text}");
    let wide = app.preview("username=octocat&commits_year=2020").await;
    assert!(assert_valid_svg(&wide.body).contains("Commits in 2020"), "{}", wide.body);
    assert_eq!(app.preview("username=octocat&commits_year=1999").await.status, 400);
}
