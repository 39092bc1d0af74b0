//! github-readme-stats' URLs with only the host changed: its routes, theme names, locale codes and
//! lenient values.

use crate::helpers::{assert_valid_svg, spawn_app};

#[tokio::test]
async fn the_stats_route_draws_our_compact_card_in_its_theme_and_locale() {
    let app = spawn_app().await;

    let reply = app.get("/api?username=octocat&show_icons=true&theme=github_dark&locale=cn").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.header("content-type").starts_with("image/svg+xml"));
    let text = assert_valid_svg(&reply.body);
    assert!(text.contains("2,300"), "stars: {text}");
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
    assert!(!assert_valid_svg(&lenient.body).contains("2,300"), "hide=stars hides the stars");

    let refused = app.get("/api?username=octocat&locale=tlh").await;
    assert_eq!(refused.status, 400);
    assert!(assert_valid_svg(&refused.body).contains("locale"), "{}", refused.body);
    let no_user = app.get("/api?theme=dark").await;
    assert_eq!(no_user.status, 400);
    assert!(assert_valid_svg(&no_user.body).contains("username"));
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
