//! The `github-banners` command: parses the CLI and calls into the library.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand};
use github_banners::app::{Application, Services};
use github_banners::config::{DatabaseSettings, LogSettings, Settings, ThemeSettings};
use github_banners::domain::{BannerType, ImageFormat, Login};
use github_banners::images::{CardRequest, SubjectFrom, Unlimited};
use github_banners::themes_cli::{self, PreviewRequest};
use github_banners::{store, telemetry};

/// mimalloc over glibc's malloc: less fragmentation under many small allocations per request
/// (measured in benches/ratios.py: RSS with 2,000 users cached, and hot-path throughput).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "github-banners", version, about = "Live GitHub statistics as embeddable SVG banners")]
struct Cli {
    #[command(flatten)]
    log: LogSettings,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service and the background worker (`--no-worker` for the API only).
    Serve(Box<Settings>),
    /// Run only the background worker (refresh scheduler, outbox relay, event consumers): no HTTP.
    Worker(Box<Settings>),
    /// Fetch one user from GitHub now, store it and publish the event (as the scheduler would).
    Refresh {
        login: String,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Render one user's banner (from the store, or GitHub when missing or stale) to a file.
    Render {
        login: String,
        #[command(flatten)]
        banner: BannerArgs,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Apply database migrations and exit.
    Migrate(DatabaseSettings),
    /// Print this service's GraphQL schema (SDL); `schema.graphql` is its checked-in output.
    Schema,
    /// A bare axum route serving a static body of `--bytes` bytes on 127.0.0.1: the baseline
    /// `benches/ratios.py` compares the service with.
    #[command(hide = true)]
    BenchBare {
        #[arg(long, default_value_t = 5_000)]
        bytes: usize,
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Theme pack tools: list, validate, create and preview packs (offline, with sample stats).
    Themes {
        #[command(flatten)]
        themes: ThemeSettings,
        #[command(subcommand)]
        command: ThemesCommand,
    },
}

/// What to render and where to write it (`render` and `themes preview`).
#[derive(Args)]
struct BannerArgs {
    /// Card kind: wide, compact, languages, pin, gist, wakatime, streak or calendar.
    #[arg(long = "type", default_value = "wide")]
    kind: BannerType,
    /// svg or png.
    #[arg(long, default_value = "svg", value_parser = ["svg", "png"])]
    format: String,
    /// Banner option as in a URL, repeatable: --option layout=donut --option locale=de
    #[arg(long = "option", value_name = "KEY=VALUE")]
    options: Vec<String>,
    /// Output file (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

impl BannerArgs {
    fn png(&self) -> bool {
        self.format == "png"
    }

    fn format(&self) -> ImageFormat {
        if self.png() { ImageFormat::Png } else { ImageFormat::Svg }
    }

    /// The `--option` pairs as given.
    fn pairs(&self) -> anyhow::Result<std::collections::HashMap<String, String>> {
        self.options
            .iter()
            .map(|pair| {
                pair.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                    .with_context(|| format!("--option {pair}: expected KEY=VALUE"))
            })
            .collect::<anyhow::Result<_>>()
    }

    fn write(&self, bytes: &[u8]) -> anyhow::Result<()> {
        match &self.output {
            Some(path) => std::fs::write(path, bytes).with_context(|| format!("could not write {}", path.display())),
            None => std::io::stdout().write_all(bytes).context("could not write to standard output"),
        }
    }
}

#[derive(Subcommand)]
enum ThemesCommand {
    /// List installed packs (built-in and from THEMES_DIR) and the ones that failed to load.
    List,
    /// Load every pack with the full checks; exits 1 if any fails.
    Validate {
        /// Themes directory to check (default: THEMES_DIR, else ./themes).
        dir: Option<PathBuf>,
    },
    /// Create a new pack folder with a theme.toml extending another pack.
    New {
        name: String,
        #[arg(long, default_value = themes_cli::DEFAULT)]
        extends: String,
    },
    /// Render one banner from sample stats.
    Preview {
        name: String,
        /// `sample` (typical), typical, empty, huge, unicode, hostile, or a UserSnapshot JSON file.
        #[arg(long, default_value = "sample")]
        stats: String,
        #[command(flatten)]
        banner: BannerArgs,
    },
}

fn main() -> ExitCode {
    drop_empty_env_vars(&Cli::command());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => error.exit(),
        Err(error) if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => error.exit(),
        Err(error) => {
            // One line naming the setting, not clap's usage block: this is usually a bad env var.
            let text = error.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("error: invalid arguments"));
            return ExitCode::from(2);
        }
    };
    let filter = match cli.log.filter() {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(filter, cli.log.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// An optional variable set to the empty string (`API_KEYS=` in a compose file, `${X:-}`) means
/// "unset", as operators expect; clap would otherwise parse the empty string and refuse it.
/// A list with an empty element inside (`a,,b`) still reaches the parser and is refused there.
fn drop_empty_env_vars(command: &clap::Command) {
    fn names(command: &clap::Command, into: &mut Vec<std::ffi::OsString>) {
        into.extend(command.get_arguments().filter_map(|arg| arg.get_env().map(ToOwned::to_owned)));
        for sub in command.get_subcommands() {
            names(sub, into);
        }
    }
    let mut env = Vec::new();
    names(command, &mut env);
    for name in env {
        if std::env::var_os(&name).is_some_and(|value| value.to_string_lossy().trim().is_empty()) {
            // SAFETY: called first thing in `main`, before the runtime or any other thread exists,
            // so nothing can read the environment concurrently.
            unsafe { std::env::remove_var(&name) };
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(settings) => {
            let app = Application::build(&settings).await?;
            app.run_until_stopped().await.context("the server failed")
        }
        Command::Worker(settings) => github_banners::app::run_worker(&settings).await,
        Command::Refresh { login, settings } => {
            let login = Login::parse(&login).map_err(|e| anyhow::anyhow!("invalid login `{login}`: {e}"))?;
            let services = Services::build(&settings).await?;
            services
                .state
                .stats
                .refresh_scheduled(&login)
                .await
                .with_context(|| format!("could not refresh {login}"))?;
            let published = services.relay.run_once().await.context("could not publish the refresh event")?;
            println!("refreshed {login}; {published} event(s) published");
            Ok(())
        }
        Command::Render { login, banner, settings } => {
            // `render OWNER --type pin --option repo=NAME`, `render LOGIN --type gist --option id=ID`.
            let mut pairs = banner.pairs()?;
            pairs.insert("username".to_owned(), login.trim().to_owned());
            pairs.insert("type".to_owned(), banner.kind.as_str().to_owned());
            let request = CardRequest::parse(&pairs, Some(banner.format()), SubjectFrom::Params)?;
            let services = Services::build(&settings).await?;
            // The operator's own command: admitted (the login policy applies), paid by nobody.
            let rendered = services.state.images.image(&request, &Unlimited).await?;
            banner.write(&rendered.image.bytes)
        }
        Command::Themes { themes, command } => run_themes(&themes, command).await,
        Command::BenchBare { bytes, port } => {
            let body = axum::body::Bytes::from(vec![b' '; bytes]);
            let app = axum::Router::new().route(
                "/",
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([(axum::http::header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], body) }
                }),
            );
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            println!("listening on {}", listener.local_addr()?);
            axum::serve(listener, app).await.context("the bare server failed")
        }
        Command::Schema => {
            print!("{}", github_banners::api::graphql::sdl());
            Ok(())
        }
        Command::Migrate(database) => {
            let db = store::connect(database.url()).await.context("could not open the database")?;
            store::migrate(&db).await.context("could not migrate the database")?;
            tracing::info!("migrations applied");
            Ok(())
        }
    }
}

async fn run_themes(settings: &ThemeSettings, command: ThemesCommand) -> anyhow::Result<()> {
    match command {
        ThemesCommand::List => print!("{}", themes_cli::list(settings.resolve()?.as_deref())?),
        ThemesCommand::Validate { dir: explicit } => {
            let dir = match explicit {
                Some(dir) => Some(dir),
                None => settings.resolve()?,
            };
            if let Some(dir) = &dir
                && !dir.is_dir()
            {
                anyhow::bail!("{} is not a directory", dir.display());
            }
            let (report, ok) = themes_cli::validate(dir.as_deref());
            print!("{report}");
            if !ok {
                anyhow::bail!("some theme packs failed validation");
            }
        }
        ThemesCommand::New { name, extends } => {
            // Creating the directory is what the user asked for, so an explicit THEMES_DIR that
            // does not exist yet is not an error here.
            let dir = settings.themes_dir.clone().unwrap_or_else(|| PathBuf::from("themes"));
            let path = themes_cli::new_pack(&dir, &name, &extends)?;
            println!("created {}; preview it with: github-banners themes preview {name}", path.display());
        }
        ThemesCommand::Preview { name, stats, banner } => {
            let request =
                PreviewRequest { theme: name, kind: banner.kind, stats, png: banner.png(), options: banner.pairs()? };
            banner.write(&themes_cli::preview(settings.resolve()?.as_deref(), &request).await?)?;
        }
    }
    Ok(())
}
