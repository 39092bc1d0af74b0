//! Snapshots of the default pack's output (`cargo insta review` after an intended change).

use crate::helpers::spawn_app;

#[tokio::test]
async fn default_pack_output_is_stable() {
    let app = spawn_app().await;
    let cases = [
        ("wide", "wide.svg?show_icons=true"),
        ("compact", "compact.svg"),
        ("languages", "languages.svg"),
        ("languages_compact", "languages.svg?layout=compact"),
        ("languages_donut", "languages.svg?layout=donut"),
        ("languages_pie", "languages.svg?layout=pie"),
        ("hostile_wide", "wide.svg?sample=hostile"),
    ];
    for (name, path) in cases {
        let reply = app.get(&format!("/themes/default/{path}")).await;
        assert_eq!(reply.status, 200, "{path}");
        insta::assert_snapshot!(name, reply.body);
    }
}
