//! Hostile strings from GitHub never break out of the SVG.

use crate::fake_github::fixtures;
use crate::helpers::{assert_valid_svg, spawn_app};

#[tokio::test]
async fn every_banner_type_of_a_hostile_profile_is_valid_svg_with_no_live_markup() {
    let app = spawn_app().await;

    for kind in ["wide", "compact", "languages"] {
        let reply = app.preview(&format!("username=hostile-user&type={kind}")).await;

        assert_eq!(reply.status, 200, "{kind}");
        let text = assert_valid_svg(&reply.body);
        assert!(!reply.body.contains("<script"), "{kind}: raw markup in\n{}", reply.body);
        assert!(!reply.body.contains("onload=\""), "{kind}: attribute injection in\n{}", reply.body);
        assert!(!reply.body.contains('\u{1}'), "{kind}: control character survived");
        if kind != "languages" {
            assert!(
                text.contains("<script>alert(1)</script>") || text.contains("<script>alert(1)</scri"),
                "{kind}: the name is shown as text: {text}"
            );
        }
    }
}

#[tokio::test]
async fn long_names_are_truncated_not_overflowing() {
    let app = spawn_app().await;
    app.github.update_user("octocat", |u| u.name = Some(fixtures::long_hostile_text()));

    let reply = app.preview("username=octocat&type=wide").await;

    let text = assert_valid_svg(&reply.body);
    assert!(text.contains('…'), "{text}");
    assert!(!text.contains(&fixtures::long_hostile_text()));
}
