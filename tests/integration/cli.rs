//! The theme author's CLI, run as a real process.

use std::path::Path;
use std::process::{Command, Output};

use crate::themes::assert_png_not_blank;

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_github-banners"))
        .args(args)
        .current_dir(cwd)
        .env_remove("THEMES_DIR")
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn new_creates_a_pack_that_validates_lists_and_previews() {
    let dir = tempfile::tempdir().unwrap();

    let created = run(dir.path(), &["themes", "new", "my-theme", "--extends", "default"]);
    assert!(created.status.success(), "{}", text(&created));
    assert!(dir.path().join("themes/my-theme/theme.toml").is_file());

    let validated = run(dir.path(), &["themes", "validate"]);
    assert!(validated.status.success(), "{}", text(&validated));
    assert!(text(&validated).contains("ok      my-theme"));

    let listed = run(dir.path(), &["themes", "list"]);
    assert!(text(&listed).contains("my-theme") && text(&listed).contains("(extends default)"));

    let png = dir.path().join("out.png");
    let previewed = run(
        dir.path(),
        &[
            "themes",
            "preview",
            "my-theme",
            "--type",
            "languages",
            "--format",
            "png",
            "--option",
            "layout=pie",
            "-o",
            png.to_str().unwrap(),
        ],
    );
    assert!(previewed.status.success(), "{}", text(&previewed));
    assert_png_not_blank(&std::fs::read(&png).unwrap());

    let svg = run(dir.path(), &["themes", "preview", "my-theme", "--stats", "hostile"]);
    assert!(svg.status.success());
    crate::helpers::assert_valid_svg(&String::from_utf8(svg.stdout).unwrap());
}

#[test]
fn validate_reports_a_broken_pack_with_file_and_line_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("bad");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(pack.join("theme.toml"), "name = \"bad\"\nextends = \"default\"\n").unwrap();
    std::fs::write(pack.join("compact.svg.hbs"), "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  {{user.nmae}}\n</svg>")
        .unwrap();

    let validated = run(dir.path(), &["themes", "validate", dir.path().to_str().unwrap()]);

    assert!(!validated.status.success());
    let report = text(&validated);
    assert!(report.contains("FAILED  bad"), "{report}");
    assert!(report.contains("compact.svg.hbs"), "{report}");
    assert!(report.contains("nmae"), "strict mode names the misspelt variable: {report}");
    assert!(report.contains("ok      default"), "{report}");
}

#[test]
fn an_invalid_setting_stops_the_server_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_github-banners"))
        .args(["serve"])
        .current_dir(dir.path())
        .env("CACHE_SOFT_TTL", "3d")
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("CACHE_SOFT_TTL"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_and_refresh_work_against_github_from_the_command_line() {
    let github = crate::fake_github::FakeGitHub::start().await;
    github.add_token(crate::helpers::GOOD_TOKEN);
    github.set_user(crate::fake_github::fixtures::octocat());
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let common = [
        "--github-api-url".to_owned(),
        github.url(),
        "--github-tokens".to_owned(),
        crate::helpers::GOOD_TOKEN.to_owned(),
        "--database-url".to_owned(),
        database,
    ];
    let cwd = dir.path().to_owned();
    let args = |head: &[&str]| head.iter().map(|s| (*s).to_owned()).chain(common.iter().cloned()).collect::<Vec<_>>();
    let (render_args, refresh_args) =
        (args(&["render", "octocat", "--type", "compact", "--option", "theme=nord"]), args(&["refresh", "octocat"]));

    // The fake GitHub runs on this test's runtime: the blocking process waits go elsewhere.
    let (rendered, refreshed) = tokio::task::spawn_blocking(move || {
        let render: Vec<&str> = render_args.iter().map(String::as_str).collect();
        let refresh: Vec<&str> = refresh_args.iter().map(String::as_str).collect();
        (run(&cwd, &render), run(&cwd, &refresh))
    })
    .await
    .unwrap();

    assert!(rendered.status.success(), "{}", text(&rendered));
    let svg = String::from_utf8(rendered.stdout).unwrap();
    assert!(crate::helpers::assert_valid_svg(&svg).contains("2,300"));
    assert!(refreshed.status.success(), "{}", text(&refreshed));
    assert!(text(&refreshed).contains("refreshed octocat; 2 event(s) published"), "{}", text(&refreshed));
    assert_eq!(github.request_count_for("octocat", "UserStats"), 2);
}

#[test]
fn themes_new_creates_an_explicit_themes_dir_that_does_not_exist_yet() {
    let dir = tempfile::tempdir().unwrap();
    let themes = dir.path().join("not/there/yet");

    let created = Command::new(env!("CARGO_BIN_EXE_github-banners"))
        .args(["themes", "new", "ocean"])
        .current_dir(dir.path())
        .env("THEMES_DIR", &themes)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();

    assert!(created.status.success(), "{}", text(&created));
    assert!(themes.join("ocean/theme.toml").is_file());
}

/// Starts `serve` on a free port with `env`, and returns the child, its address and the rest of
/// its log (JSON lines). The caller kills and waits for the child.
#[allow(clippy::zombie_processes)]
fn start_serving(dir: &Path, env: &[(&str, &str)]) -> (std::process::Child, String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader};
    let mut command = Command::new(env!("CARGO_BIN_EXE_github-banners"));
    command
        .args(["serve", "--port", "0", "--no-worker"])
        .current_dir(dir)
        .env("DATABASE_URL", format!("sqlite://{}/t.db?mode=rwc", dir.display()))
        .env("LOG_LEVEL", "info")
        .env("LOG_FORMAT", "json")
        .stderr(std::process::Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    // Read on a thread, so a service that never starts fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = String::new();
    while let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(60)) {
        let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if event["message"] == "listening"
            && let Some(address) = event["address"].as_str()
        {
            return (child, address.to_owned(), rx);
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the service did not start:\n{seen}");
}

fn get_healthz(address: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
}

/// What `docker compose` passes for optional secrets left unset (`${X:-}`): empty strings.
#[test]
fn serve_starts_with_every_optional_variable_set_to_the_empty_string() {
    let dir = tempfile::tempdir().unwrap();
    let empty: Vec<(&str, &str)> = [
        "GITHUB_TOKENS",
        "API_KEYS",
        "GITHUB_WEBHOOK_SECRET",
        "SERVICES_SECRET_KEY",
        "THEMES_DIR",
        "KAFKA_BROKERS",
        "ALLOWED_USERS",
        "BLOCKED_USERS",
        "TRUSTED_PROXIES",
        "RATE_LIMIT_EXEMPT",
        "PNG_MAX_CONCURRENCY",
    ]
    .into_iter()
    .map(|name| (name, ""))
    .collect();
    // The log keeps being read (by start_serving's thread), so this test is only about settings.
    let (mut child, address, _log) = start_serving(dir.path(), &empty);

    let health = get_healthz(&address);

    let _ = child.kill();
    let _ = child.wait();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}

/// A log collector that goes away must not take the service with it.
#[test]
fn requests_are_served_after_the_log_pipe_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, log) = start_serving(dir.path(), &[]);
    // The reading thread stops at the next line, closing the pipe.
    drop(log);
    let _ = get_healthz(&address);

    let health = get_healthz(&address);

    let _ = child.kill();
    let _ = child.wait();
    assert!(health.starts_with("HTTP/1.1 200"), "{health:?}");
}

#[test]
fn a_list_with_an_empty_element_inside_is_refused_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_github-banners"))
        .args(["serve", "--port", "0"])
        .current_dir(dir.path())
        .env("API_KEYS", "a,,b")
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("API_KEYS"), "{}", text(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_renders_contribution_cards_too() {
    let github = crate::fake_github::FakeGitHub::start().await;
    github.add_token(crate::helpers::GOOD_TOKEN);
    github.set_user(
        crate::fake_github::FakeUser::new("streaker")
            .contribution("2023-07-04T12:00:00Z", 2)
            .contribution("2024-02-29T12:00:00Z", 5),
    );
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let args: Vec<String> = ["render", "streaker", "--type", "streak", "--option", "date_format=[Y-]m-d"]
        .into_iter()
        .map(str::to_owned)
        .chain(["--github-api-url".to_owned(), github.url(), "--github-tokens".to_owned()])
        .chain([crate::helpers::GOOD_TOKEN.to_owned(), "--database-url".to_owned(), database])
        .collect();
    let cwd = dir.path().to_owned();
    let rendered = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&cwd, &args)
    })
    .await
    .unwrap();

    assert!(rendered.status.success(), "{}", text(&rendered));
    let shown = crate::helpers::assert_valid_svg(&String::from_utf8(rendered.stdout).unwrap());
    assert!(shown.contains("Total contributions: 7"), "{shown}");
    assert!(shown.contains("2023-07-04"), "first contribution in the asked date format: {shown}");
}
