//! Theme packs through HTTP: every built-in pack renders, options take effect and are validated,
//! a themes directory overlays the built-ins, a broken pack is rejected while the rest serve.

use std::path::Path;

use crate::helpers::{TestConfig, assert_valid_svg, spawn_app, spawn_app_with};

const TYPES: [&str; 6] = ["wide", "compact", "languages", "pin", "gist", "wakatime"];
const SAMPLES: [&str; 5] = ["typical", "empty", "huge", "unicode", "hostile"];

/// Names of the packs the gallery lists.
async fn pack_names(app: &crate::helpers::TestApp) -> Vec<String> {
    let html = app.get("/themes").await.body;
    html.split("<section id=\"").skip(1).map(|s| s.split('"').next().unwrap().to_owned()).collect()
}

pub(crate) fn assert_png_not_blank(bytes: &[u8]) {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(bytes).expect("a PNG");
    let first = pixmap.pixels()[0];
    let differing = pixmap.pixels().iter().filter(|p| **p != first).count();
    assert!(differing > pixmap.pixels().len() / 100, "PNG is (nearly) blank: {differing} differing pixels");
}

#[tokio::test]
async fn every_built_in_pack_renders_every_type_and_sample_as_valid_svg() {
    let app = spawn_app().await;
    let packs = pack_names(&app).await;
    assert!(packs.len() >= 14, "only {} packs: {packs:?}", packs.len());

    for pack in &packs {
        for kind in TYPES {
            for sample in SAMPLES {
                let reply = app.get(&format!("/themes/{pack}/{kind}.svg?sample={sample}&show_icons=true")).await;
                assert_eq!(reply.status, 200, "{pack}/{kind}/{sample}: {}", reply.body);
                assert_valid_svg(&reply.body);
            }
        }
        for layout in ["compact", "donut", "pie"] {
            let reply = app.get(&format!("/themes/{pack}/languages.svg?layout={layout}")).await;
            assert_valid_svg(&reply.body);
        }
    }
}

#[tokio::test]
async fn every_built_in_pack_renders_a_png_that_is_not_blank() {
    let app = spawn_app().await;

    for pack in pack_names(&app).await {
        for kind in TYPES {
            let reply = app.client.get(format!("{}/themes/{pack}/{kind}.png", app.address)).send().await.unwrap();
            assert_eq!(reply.status(), 200, "{pack}/{kind}");
            assert_eq!(reply.headers()["content-type"], "image/png");
            assert_png_not_blank(&reply.bytes().await.unwrap());
        }
    }
}

#[tokio::test]
async fn format_png_and_the_png_path_return_the_banner_as_png() {
    let app = spawn_app().await;

    for path in ["/banners/preview?username=octocat&format=png", "/banners/preview.png?username=octocat&type=compact"] {
        let reply = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        assert_eq!(reply.headers()["content-type"], "image/png");
        assert!(reply.headers().contains_key("etag"));
        assert_png_not_blank(&reply.bytes().await.unwrap());
    }
}

#[tokio::test]
async fn a_bad_parameter_on_a_png_route_gets_a_png_error_image() {
    let app = spawn_app().await;

    let reply = app
        .client
        .get(format!("{}/banners/preview.png?username=octocat&theme=nope", app.address))
        .send()
        .await
        .unwrap();

    assert_eq!(reply.status(), 400);
    assert_eq!(reply.headers()["content-type"], "image/png");
    assert_png_not_blank(&reply.bytes().await.unwrap());
}

#[tokio::test]
async fn every_option_is_validated_with_a_400_card_naming_it() {
    let app = spawn_app().await;
    let cases = [
        ("theme", "no-such-theme"),
        ("theme", "../default"),
        ("locale", "xx"),
        ("title_color", "red"),
        ("text_color", "12345"),
        ("icon_color", "%23ggg"),
        ("bg_color", "30,fff"),
        ("border_color", "url(x)"),
        ("hide_border", "sometimes"),
        ("border_radius", "500"),
        ("hide", "stars,nonsense"),
        ("show_icons", "maybe"),
        ("custom_title", &"t".repeat(101)),
        ("langs_count", "99"),
        ("layout", "spiral"),
        ("disable_animations", "2"),
        ("include_forks", "x"),
        ("format", "gif"),
    ];

    for (name, value) in cases {
        let reply = app.preview(&format!("username=octocat&{name}={value}")).await;

        assert_eq!(reply.status, 400, "{name}={value}");
        let text = assert_valid_svg(&reply.body);
        assert!(text.contains(&format!("`{name}`")), "{name}={value}: {text}");
    }
    assert!(app.github.requests().is_empty(), "bad options must not cost GitHub budget");
}

#[tokio::test]
async fn options_change_the_banner() {
    let app = spawn_app().await;
    let get = |q: &'static str| {
        let app = &app;
        async move {
            let reply = app.preview(&format!("username=octocat&{q}")).await;
            assert_eq!(reply.status, 200, "{q}: {}", reply.body);
            reply.body
        }
    };

    assert!(get("type=compact&title_color=ff0000").await.contains("#ff0000"));
    assert!(get("type=compact&bg_color=30,e96443,904e95").await.contains("<linearGradient"));
    assert!(get("type=compact&hide_border=true").await.contains("stroke=\"none\""));
    assert!(get("type=compact&border_radius=12").await.contains("rx=\"12\""));
    assert!(!get("type=compact&hide=stars,prs").await.contains("Total stars"));
    assert!(get("type=compact&show_icons=true").await.contains("class=\"icon\""));
    assert!(!get("type=compact").await.contains("class=\"icon\""));
    assert!(assert_valid_svg(&get("type=compact&custom_title=My%20%3Cstats%3E").await).contains("My <stats>"));
    assert!(get("type=compact&locale=de").await.contains("Sterne"));
    assert!(get("type=languages&layout=donut").await.contains("<path"));
    assert!(!get("type=compact&disable_animations=true").await.contains("@keyframes"));
    let two = assert_valid_svg(&get("type=languages&langs_count=2").await);
    assert!(two.contains("Rust") && two.contains("Other") && !two.contains("Shell"), "{two}");
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn a_themes_directory_adds_packs_overrides_built_ins_and_isolates_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    // A pure color theme: one small theme.toml.
    write(
        dir.path(),
        "ocean/theme.toml",
        "name = \"ocean\"\nextends = \"default\"\naliases = [\"sea\"]\n[palette]\nbackground = \"#012345\"\n",
    );
    // An alias that is a pack's name, or that two packs claim, selects nothing: never a silent
    // choice between two packs.
    write(dir.path(), "lake/theme.toml", "name = \"lake\"\nextends = \"default\"\naliases = [\"bay\", \"ocean\"]\n");
    write(dir.path(), "pond/theme.toml", "name = \"pond\"\nextends = \"default\"\naliases = [\"bay\"]\n");
    // A pack extending that one inherits its palette and overrides one partial.
    write(
        dir.path(),
        "deep-ocean/theme.toml",
        "name = \"deep-ocean\"\nextends = \"ocean\"\n[palette]\ntitle = \"#abcdef\"\n",
    );
    write(dir.path(), "deep-ocean/partials/extra.hbs", "<text x=\"5\" y=\"15\">deep-mark</text>");
    // Overriding one file of a built-in changes every pack that inherits it.
    write(dir.path(), "default/partials/stale.hbs", "<text x=\"5\" y=\"30\">site-mark</text>");
    // Broken ones: a template syntax error, a cycle, an unknown parent.
    write(dir.path(), "broken/theme.toml", "name = \"broken\"\nextends = \"default\"\n");
    write(dir.path(), "broken/wide.svg.hbs", "<svg>\n{{#if user.login}}\n</svg>");
    write(dir.path(), "loop-a/theme.toml", "name = \"loop-a\"\nextends = \"loop-b\"\n");
    write(dir.path(), "loop-b/theme.toml", "name = \"loop-b\"\nextends = \"loop-a\"\n");
    write(dir.path(), "orphan/theme.toml", "name = \"orphan\"\nextends = \"nobody\"\n");
    write(dir.path(), "raw/theme.toml", "name = \"raw\"\nextends = \"default\"\n");
    write(dir.path(), "raw/partials/extra.hbs", "<text>{{{user.login}}}</text>");
    let app = spawn_app_with(TestConfig { themes_dir: Some(dir.path().to_owned()), ..Default::default() }).await;

    let ocean = app.preview("username=octocat&type=compact&theme=ocean").await;
    let sea = app.preview("username=octocat&type=compact&theme=sea").await;
    assert_eq!(sea.body, ocean.body, "an alias selects its pack");
    let deep = app.preview("username=octocat&type=compact&theme=deep-ocean").await;
    let default = app.preview("username=octocat&type=compact").await;

    assert_eq!(ocean.status, 200);
    assert!(ocean.body.contains("#012345") && ocean.body.contains("site-mark"));
    assert!(deep.body.contains("#012345") && deep.body.contains("#abcdef") && deep.body.contains("deep-mark"));
    assert!(default.body.contains("site-mark") && !default.body.contains("deep-mark"));
    for broken in ["broken", "loop-a", "orphan", "raw"] {
        let reply = app.preview(&format!("username=octocat&theme={broken}")).await;
        assert_eq!(reply.status, 400, "{broken}");
    }
    let gallery = app.get("/themes").await.body;
    assert!(gallery.contains("broken/wide.svg.hbs:"), "the error names the file and line");
    assert!(gallery.contains("extends cycle"));
    assert!(gallery.contains("alias `ocean` is the name of a pack"), "{gallery}");
    assert!(gallery.contains("alias `bay` is claimed by lake and pond"), "{gallery}");
    assert_eq!(app.preview("username=octocat&theme=bay").await.status, 400);
    assert!(gallery.contains("which is not installed"));
    assert!(gallery.contains("raw/partials/extra.hbs:1"), "unescaped output is refused by line");
    assert!(gallery.contains("id=\"tokyonight\""), "built-ins still serve");
}

#[tokio::test]
async fn the_gallery_shows_every_pack_with_embed_snippets() {
    let app = spawn_app().await;

    let reply = app.get("/themes").await;

    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("text/html"));
    assert!(reply.body.contains("<img src=\"/themes/default/wide.svg\""));
    assert!(reply.body.contains("![GitHub stats](/banners/preview?"), "relative without PUBLIC_URL");
    assert!(reply.body.contains("theme=default"));
    assert!(!reply.header("content-security-policy").contains("script"));
}

#[tokio::test]
async fn the_gallery_never_writes_the_host_a_client_sent_into_its_snippets() {
    let plain = spawn_app().await;
    let configured = spawn_app_with(TestConfig {
        public_url: Some("https://banners.example.com".to_owned()),
        ..TestConfig::default()
    })
    .await;
    for app in [&plain, &configured] {
        let reply = app.get_with("/themes", &[("host", "evil.example"), ("x-forwarded-proto", "https")]).await;
        assert_eq!(reply.status, 200);
        assert!(!reply.body.contains("evil.example"), "a shared cache would hand this page to others");
    }
    let reply = configured.get("/themes").await;
    assert!(reply.body.contains("![GitHub stats](https://banners.example.com/banners/preview?"), "PUBLIC_URL");
}

#[tokio::test]
async fn no_shipped_template_prints_unescaped_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut checked = 0;
    for entry in walk(&root) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains("{{{") && !text.contains("{{&"), "{} uses an unescaped expression", entry.display());
        checked += 1;
    }
    assert!(checked > 10);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "hbs") {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn with_watch_themes_a_new_pack_is_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(TestConfig {
        themes_dir: Some(dir.path().to_owned()),
        watch_themes: true,
        ..Default::default()
    })
    .await;
    assert_eq!(app.get("/themes/sunrise/compact.svg").await.status, 400);

    let mut reloads = app.renderer.reloads();
    write(
        dir.path(),
        "sunrise/theme.toml",
        "name = \"sunrise\"\nextends = \"default\"\n[palette]\ntitle = \"#ff7700\"\n",
    );

    // Each reload is announced; the watcher may reload more than once for one save.
    let mut reply = app.get("/themes/sunrise/compact.svg").await;
    while reply.status != 200 {
        tokio::time::timeout(std::time::Duration::from_secs(10), reloads.changed())
            .await
            .expect("the new pack was not picked up within 10s")
            .unwrap();
        reply = app.get("/themes/sunrise/compact.svg").await;
    }
    assert!(reply.body.contains("#ff7700"));
}
