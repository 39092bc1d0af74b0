//! github-readme-stats compatibility, table-driven: every theme name, every locale code, every
//! parameter of every route, and realistic README URLs with only the host changed.

use crate::fake_github::{FakeGist, FakeRepo, FakeUser};
use crate::fake_wakatime::FakeWakaTime;
use crate::helpers::{TestApp, TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

/// Its 75 theme names, spelt as it spells them.
const THEMES: [&str; 75] = [
    "default",
    "default_repocard",
    "transparent",
    "shadow_red",
    "shadow_green",
    "shadow_blue",
    "dark",
    "radical",
    "merko",
    "gruvbox",
    "gruvbox_light",
    "tokyonight",
    "onedark",
    "cobalt",
    "synthwave",
    "highcontrast",
    "dracula",
    "prussian",
    "monokai",
    "vue",
    "vue-dark",
    "shades-of-purple",
    "nightowl",
    "buefy",
    "blue-green",
    "algolia",
    "great-gatsby",
    "darcula",
    "bear",
    "solarized-dark",
    "solarized-light",
    "chartreuse-dark",
    "nord",
    "gotham",
    "material-palenight",
    "graywhite",
    "vision-friendly-dark",
    "ayu-mirage",
    "midnight-purple",
    "calm",
    "flag-india",
    "omni",
    "react",
    "jolly",
    "maroongold",
    "yeblu",
    "blueberry",
    "slateorange",
    "kacho_ga",
    "outrun",
    "ocean_dark",
    "city_lights",
    "github_dark",
    "github_dark_dimmed",
    "discord_old_blurple",
    "aura_dark",
    "panda",
    "noctis_minimus",
    "cobalt2",
    "swift",
    "aura",
    "apprentice",
    "moltack",
    "codeSTACKr",
    "rose_pine",
    "catppuccin_latte",
    "catppuccin_mocha",
    "date_night",
    "one_dark_pro",
    "rose",
    "holi",
    "neon",
    "blue_navy",
    "calm_pink",
    "ambient_gradient",
];

/// Its 46 locale codes.
const LOCALES: [&str; 46] = [
    "en", "ar", "az", "bg", "bn", "ca", "cn", "zh-tw", "cs", "de", "sw", "ur", "es", "fa", "fi", "fr", "hi", "sa",
    "hu", "it", "ja", "kr", "nl", "pt-pt", "pt-br", "np", "el", "ro", "ru", "uk-ua", "id", "ml", "my", "ta", "sk",
    "tr", "pl", "uz", "vi", "se", "he", "fil", "th", "sr", "sr-latn", "no",
];

#[tokio::test]
async fn every_theme_name_selects_a_pack_of_its_own() {
    let app = spawn_app().await;
    let default = app.get("/api?username=octocat").await.body;

    for theme in THEMES {
        let reply = app.get(&format!("/api?username=octocat&theme={theme}")).await;
        assert_eq!(reply.status, 200, "{theme}");
        assert_valid_svg(&reply.body);
        if theme != "default" {
            assert_ne!(reply.body, default, "{theme} fell back to the default theme");
        }
    }
}

#[tokio::test]
async fn every_locale_code_translates_the_card() {
    let app = spawn_app().await;
    let english = assert_valid_svg(&app.get("/api?username=octocat").await.body);

    for locale in LOCALES {
        let reply = app.get(&format!("/api?username=octocat&locale={locale}")).await;
        assert_eq!(reply.status, 200, "{locale}");
        let text = assert_valid_svg(&reply.body);
        if locale != "en" {
            assert_ne!(text, english, "{locale} is not translated");
        }
    }
}

fn organisation() -> FakeUser {
    FakeUser::new("octo-org").repo(
        FakeRepo::new("tool", 42)
            .description("A tool with a description long enough to wrap onto a second and a third line of the card.")
            .language("Go", "#00ADD8", 100),
    )
}

async fn full_app() -> (TestApp, FakeWakaTime) {
    let wakatime = FakeWakaTime::start().await;
    wakatime.set_user("coder", &[("Rust", 7200.0), ("Python", 3600.0), ("YAML", 600.0), ("Go", 300.0)]);
    let app = spawn_app_with(TestConfig { wakatime_url: Some(wakatime.url()), ..Default::default() }).await;
    app.github.set_user(organisation());
    // Rust has most bytes, Go is in most repositories.
    app.github.set_user(FakeUser::new("polyglot").repos([
        FakeRepo::new("a", 3).language("Rust", "#dea584", 1000).language("Go", "#00ADD8", 10),
        FakeRepo::new("b", 2).language("Go", "#00ADD8", 10),
        FakeRepo::new("c", 1).language("Go", "#00ADD8", 10),
    ]));
    app.github.set_gist(FakeGist {
        id: "abc123".to_owned(),
        owner: "octocat".to_owned(),
        description: Some("Snippets".to_owned()),
        is_public: true,
        stars: 3,
        forks: 1,
        files: vec![("a.sh".to_owned(), Some(("Shell".to_owned(), "#89e051".to_owned())), 10)],
    });
    (app, wakatime)
}

/// Every parameter each route takes changes the card (compared with the same URL without it).
#[tokio::test]
async fn every_parameter_of_every_route_takes_effect() {
    let (app, _wakatime) = full_app().await;
    let cases: &[(&str, &str)] = &[
        ("/api?username=octocat&show_icons=true", "theme=dracula"),
        ("/api?username=octocat&show_icons=true", "title_color=ff0000"),
        ("/api?username=octocat&show_icons=true", "text_color=ff0000"),
        ("/api?username=octocat&show_icons=true", "icon_color=ff0000"),
        ("/api?username=octocat&show_icons=true", "bg_color=30,e96443,904e95"),
        ("/api?username=octocat&show_icons=true", "border_color=ff0000"),
        ("/api?username=octocat&show_icons=true", "hide_border=true"),
        ("/api?username=octocat&show_icons=true", "border_radius=0"),
        ("/api?username=octocat&show_icons=true", "locale=de"),
        ("/api?username=octocat&show_icons=true", "disable_animations=true"),
        ("/api?username=octocat", "show_icons=true"),
        ("/api?username=octocat", "hide=stars,prs"),
        (
            "/api?username=octocat",
            "show=reviews,discussions_started,discussions_answered,prs_merged,prs_merged_percentage",
        ),
        ("/api?username=octocat", "hide_title=true"),
        ("/api?username=octocat", "hide_rank=true"),
        ("/api?username=octocat", "rank_icon=github"),
        ("/api?username=octocat", "include_all_commits=true"),
        ("/api?username=octocat", "commits_year=2020"),
        ("/api?username=octocat", "line_height=30"),
        ("/api?username=octocat", "card_width=600"),
        ("/api?username=octocat", "custom_title=Mine"),
        ("/api?username=octocat", "text_bold=false"),
        ("/api?username=octocat", "ring_color=ff0000"),
        ("/api?username=octocat", "number_format=long"),
        ("/api?username=octocat", "number_precision=2"),
        ("/api?username=octocat", "exclude_repo=hello-world"),
        ("/api/top-langs?username=octocat", "hide=rust"),
        ("/api/top-langs?username=octocat", "hide_title=true"),
        ("/api/top-langs?username=octocat", "hide_progress=true"),
        ("/api/top-langs?username=octocat", "card_width=500"),
        ("/api/top-langs?username=octocat", "layout=compact"),
        ("/api/top-langs?username=octocat", "layout=donut"),
        ("/api/top-langs?username=octocat", "layout=donut-vertical"),
        ("/api/top-langs?username=octocat", "layout=pie"),
        ("/api/top-langs?username=octocat", "langs_count=1"),
        ("/api/top-langs?username=octocat", "exclude_repo=hello-world"),
        ("/api/top-langs?username=octocat", "size_weight=0.5"),
        ("/api/top-langs?username=polyglot", "count_weight=1"),
        ("/api/top-langs?username=octocat", "stats_format=bytes"),
        ("/api/top-langs?username=octocat", "custom_title=Mine"),
        ("/api/top-langs?username=octocat", "theme=nord"),
        ("/api/pin?username=octo-org&repo=tool", "show_owner=true"),
        ("/api/pin?username=octo-org&repo=tool", "description_lines_count=1"),
        ("/api/pin?username=octo-org&repo=tool", "theme=radical"),
        ("/api/gist?id=abc123", "show_owner=true"),
        ("/api/gist?id=abc123", "hide_border=true"),
        ("/api/wakatime?username=coder", "hide=rust"),
        ("/api/wakatime?username=coder", "hide_title=true"),
        ("/api/wakatime?username=coder", "hide_progress=true"),
        ("/api/wakatime?username=coder", "card_width=500"),
        ("/api/wakatime?username=coder", "line_height=30"),
        ("/api/wakatime?username=coder", "custom_title=Mine"),
        ("/api/wakatime?username=coder", "layout=compact"),
        ("/api/wakatime?username=coder", "langs_count=1"),
        ("/api/wakatime?username=coder", "display_format=percent"),
        ("/api/wakatime?username=coder", "locale=fr"),
    ];
    for (base, parameter) in cases {
        let plain = app.get(base).await;
        let with = app.get(&format!("{base}&{parameter}")).await;
        assert_eq!((plain.status, with.status), (200, 200), "{base}&{parameter}: {}", with.body);
        assert_valid_svg(&with.body);
        assert_ne!(plain.body, with.body, "{parameter} changed nothing on {base}");
    }
    // cache_seconds changes the header, not the card.
    let cached = app.get("/api/pin?username=octo-org&repo=tool&cache_seconds=172800").await;
    assert!(cached.header("cache-control").contains("max-age=172800"), "{}", cached.header("cache-control"));
}

/// URLs as people write them in their READMEs, with only the host changed.
#[tokio::test]
async fn realistic_readme_urls_work_with_only_the_host_changed() {
    let (app, _wakatime) = full_app().await;
    let urls = [
        "/api?username=octocat",
        "/api?username=octocat&show_icons=true&theme=radical",
        "/api?username=octocat&show_icons=true&theme=github_dark&hide_border=true&count_private=true",
        "/api?username=octocat&show_icons=true&locale=cn&theme=tokyonight&include_all_commits=true",
        "/api?username=octocat&hide=contribs,prs&show=reviews&rank_icon=github&hide_border=true",
        "/api?username=octocat&bg_color=30,e96443,904e95&title_color=fff&text_color=fff&icon_color=fff",
        "/api?username=octocat&theme=transparent&hide_title=true&card_width=450&border_radius=10",
        "/api?username=octocat&custom_title=My%20Stats&disable_animations=true&number_format=long",
        "/api/top-langs/?username=octocat&layout=compact&theme=dracula",
        "/api/top-langs?username=octocat&layout=donut&langs_count=8&hide=html,css",
        "/api/top-langs?username=octocat&layout=pie&hide_border=true&locale=de",
        "/api/top-langs?username=octocat&layout=donut-vertical&theme=catppuccin_mocha",
        "/api/top-langs?username=octocat&size_weight=0.5&count_weight=0.5&exclude_repo=dotfiles",
        "/api/pin/?username=octo-org&repo=tool&theme=onedark",
        "/api/pin?username=octo-org&repo=tool&show_owner=true&description_lines_count=2",
        "/api/gist?id=abc123&theme=nord",
        "/api/wakatime?username=coder&layout=compact&theme=synthwave",
        "/api/wakatime?username=coder&display_format=percent&langs_count=3&hide_progress=true",
    ];
    for url in urls {
        let reply = app.get(url).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.body);
        assert_valid_svg(&reply.body);
    }
}

#[tokio::test]
async fn wakatime_down_gets_a_clear_502_card() {
    // Nothing listens on port 9 of 127.0.0.1.
    let app = spawn_app().await;

    let reply = app.get("/api/wakatime?username=coder").await;

    assert_eq!(reply.status, 502, "{}", reply.body);
    assert!(assert_valid_svg(&reply.body).contains("WakaTime could not be reached"), "{}", reply.body);
}

#[tokio::test]
async fn right_to_left_locales_mirror_the_card() {
    let app = spawn_app().await;

    for locale in ["ar", "fa", "he", "ur"] {
        let reply = app.get(&format!("/api?username=octocat&locale={locale}")).await;
        assert_eq!(reply.status, 200, "{locale}");
        assert_valid_svg(&reply.body);
        // The layout is mirrored; every text is put back the right way round and anchored on
        // its right: labels end at the right edge (495 - 25).
        assert!(reply.body.contains(r#"<g transform="matrix(-1 0 0 1 495 0)">"#), "{locale}: {}", reply.body);
        assert!(
            reply.body.contains(r#"transform="matrix(-1 0 0 1 50 0)" text-anchor="end" class="title""#),
            "{locale}"
        );
    }
    let ltr = app.get("/api?username=octocat&locale=de").await;
    assert!(!ltr.body.contains("matrix(-1"), "left-to-right cards are not mirrored");
}
