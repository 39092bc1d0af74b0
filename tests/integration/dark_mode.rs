//! Cards that follow the reader's light or dark mode: `theme=auto`, `theme=LIGHT,DARK`,
//! `theme=LIGHT,auto`; PNGs are drawn light unless `scheme=dark`.

use crate::helpers::{TestApp, assert_valid_svg, spawn_app};

/// Title colours of the packs used here (their theme.toml).
const DEFAULT_TITLE: &str = "#2f80ed";
const DARK_TITLE: &str = "#ffffff";
const GITHUB_DARK_TITLE: &str = "#e6edf3";
const DRACULA_TITLE: &str = "#ff79c6";

async fn svg(app: &TestApp, query: &str) -> String {
    let reply = app.preview(&format!("username=octocat&type=compact&{query}")).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    assert_valid_svg(&reply.body);
    reply.body
}

#[tokio::test]
async fn theme_auto_is_one_svg_with_both_palettes_chosen_by_the_readers_scheme() {
    let app = spawn_app().await;

    let auto = svg(&app, "theme=auto").await;

    assert!(auto.contains("@media (prefers-color-scheme: dark)"), "{auto}");
    assert!(auto.contains(DEFAULT_TITLE) && auto.contains(DARK_TITLE), "both palettes: {auto}");
    // Each copy's styles apply to it alone, and the two copies' ids do not collide.
    assert!(auto.contains(".gb-scheme-light .title") && auto.contains(".gb-scheme-dark .title"), "{auto}");
    let doc = roxmltree::Document::parse(&auto).unwrap();
    let mut ids: Vec<&str> = doc.descendants().filter_map(|n| n.attribute("id")).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate ids: {ids:?}");
    // The light copy is the default pack's card, unchanged but for its scope.
    let single = svg(&app, "theme=default").await;
    let single = roxmltree::Document::parse(&single).unwrap();
    let light_text: Vec<&str> =
        single.descendants().filter_map(|n| n.text()).filter(|t| !t.trim().is_empty() && !t.contains('{')).collect();
    let pair: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for text in light_text {
        assert!(pair.contains(&text), "`{text}` missing from the pair");
    }
}

#[tokio::test]
async fn any_two_packs_pair_up_and_a_pack_names_its_own_dark_pair() {
    let app = spawn_app().await;

    let chosen = svg(&app, "theme=github-light,dracula").await;
    let own = svg(&app, "theme=github-light,auto").await;
    let grs = app.get("/api?username=octocat&theme=solarized-light,auto").await;

    assert!(chosen.contains(DRACULA_TITLE) && !chosen.contains(GITHUB_DARK_TITLE), "{chosen}");
    assert!(own.contains(GITHUB_DARK_TITLE), "{own}");
    assert_eq!(grs.status, 200);
    assert!(grs.body.contains("prefers-color-scheme"), "github-readme-stats routes take pairs too");
}

#[tokio::test]
async fn a_png_of_a_pair_is_drawn_light_unless_the_scheme_says_dark() {
    let app = spawn_app().await;
    let png = |query: &'static str| {
        let app = &app;
        async move {
            let url = format!("{}/banners/preview.png?username=octocat&type=compact&{query}", app.address);
            let reply = app.client.get(url).send().await.unwrap();
            assert_eq!(reply.status(), 200, "{query}");
            assert_eq!(reply.headers()["content-type"], "image/png");
            reply.bytes().await.unwrap()
        }
    };

    let (auto, light) = (png("theme=auto").await, png("theme=default").await);
    let (auto_dark, dark) = (png("theme=auto&scheme=dark").await, png("theme=dark").await);

    assert_eq!(auto, light);
    assert_eq!(auto_dark, dark);
    assert_ne!(auto, auto_dark);
    // An SVG can be asked for one scheme too.
    let only_dark = svg(&app, "theme=auto&scheme=dark").await;
    assert!(only_dark.contains(DARK_TITLE) && !only_dark.contains("prefers-color-scheme"), "{only_dark}");
}

#[tokio::test]
async fn pairs_that_cannot_be_made_say_why() {
    let app = spawn_app().await;

    for (query, expected) in [
        ("theme=nord,auto", "theme `nord` names no dark pack; use theme=nord,DARK"),
        ("theme=default,no-such-pack", "no theme named `no-such-pack`"),
        ("theme=a,b,c", "one theme name, `auto`, or LIGHT,DARK"),
        ("theme=auto&scheme=dim", "use light, dark or auto"),
    ] {
        let reply = app.preview(&format!("username=octocat&{query}")).await;
        assert_eq!(reply.status, 400, "{query}");
        assert!(assert_valid_svg(&reply.body).contains(expected), "{query}: {}", reply.body);
    }
    assert!(app.github.requests().is_empty(), "a bad theme never reaches GitHub");
}

#[tokio::test]
async fn theme_samples_keep_the_dark_pair_the_query_asks_for() {
    let app = crate::helpers::spawn_app().await;
    let auto = app.get("/themes/github-light/compact.svg?theme=auto").await;
    let pair = app.get("/themes/github-light/compact.svg?theme=x,dracula").await;
    let plain = app.get("/themes/nord/compact.svg").await;
    assert_eq!((auto.status, pair.status, plain.status), (200, 200, 200));
    assert!(auto.body.contains("prefers-color-scheme"), "github-light with its own dark pack");
    assert!(pair.body.contains("prefers-color-scheme") && pair.body.to_ascii_lowercase().contains("#282a36"));
    assert!(!plain.body.contains("prefers-color-scheme"));
}
