//! The services every role shares, wired from the settings; and the background loops.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::api::clients::ClientLimits;
use crate::api::signing::RequestSigning;
use crate::api::webhooks::WebhookVerifier;
use crate::api::{ApiKeys, AppInner, AppState};
use crate::banners::BannerService;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::LoginPolicy;
use crate::events::{EventBus, InProcessBus};
use crate::github::{GitHubClient, PoolLimits, RestClient, RetryPolicy};
use crate::images::{ImageService, LiveSources};
use crate::render::{RasterPool, Renderer};
use crate::stats::{
    CodeService, CommitsService, ContributionsService, StatsService, StatsSettings, TtlPolicy, Waits, WakaService,
};
use crate::store::{
    self, BannerStore, Claims, ContributionStore, OutboxStore, RefreshSchedule, SnapshotStore, ViewStore,
};
use crate::views::ViewCounter;
use crate::wakatime::WakaTimeClient;
use crate::worker::{Consumers, OutboxRelay, RefreshScheduler, SchedulerSettings};

use super::SHUTDOWN_GRACE;

/// Everything the roles share: built once from settings, whatever the process serves.
pub struct Services {
    pub state: AppState,
    pub bus: Arc<dyn EventBus>,
    pub relay: OutboxRelay,
    pub scheduler: RefreshScheduler,
    /// This process's event subscriptions (cache follow-up, banner re-rendering).
    pub consumers: Consumers,
    /// This process's name in events (`origin`), so it can tell its own events from others'.
    pub origin: String,
    pub(super) themes_dir: Option<std::path::PathBuf>,
}

impl Services {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, crate::clock::system()).await
    }

    /// As `build`, with the clock the services go by (tests move a manual one).
    pub async fn build_with_clock(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        // Before anything records: the recorder is installed on first use.
        crate::metrics::handle();
        settings.validate()?;
        let db = store::connect(settings.database.url()).await.context("could not open the database")?;
        store::migrate(&db).await.context("could not migrate the database")?;
        let origin = process_origin();

        if settings.github_tokens.is_empty() {
            tracing::warn!(
                "GITHUB_TOKENS is not set: banners will show an error card until it is \
                 (GITHUB_TOKENS=token1,token2; tokens need no scopes)"
            );
        }
        let limits = &settings.limits;
        let github = github_api(settings)?;
        let list = |l: &Option<crate::config::LoginList>| l.as_ref().map(|l| l.0.clone()).unwrap_or_default();
        let ttl = TtlPolicy { soft: settings.cache_soft_ttl, hard: settings.cache_hard_ttl };
        let waits = Waits { known_user: settings.known_user_wait, new_user: settings.first_view_deadline };
        let code = CodeService::new(github.clone(), ttl, waits, settings.cache_max_users, clock.clone());
        let wakatime_client = WakaTimeClient::new(
            settings.wakatime_api_url.clone(),
            settings.wakatime_domains.clone(),
            settings.request_timeout,
        )
        .context("could not build the WakaTime client")?;
        let wakatime = WakaService::new(wakatime_client, ttl, waits, settings.cache_max_users, clock.clone());
        let commits = CommitsService::new(github.clone(), ttl, waits, settings.cache_max_users, clock.clone());
        let contributions = ContributionsService::new(
            github.clone(),
            ContributionStore::new(db.clone()),
            ttl,
            waits,
            settings.cache_max_users,
            clock.clone(),
        );
        let stats = StatsService::new(
            github,
            SnapshotStore::with_origin(db.clone(), origin.clone()),
            StatsSettings {
                ttl,
                max_users: settings.cache_max_users,
                waits,
                access: LoginPolicy::new(&list(&settings.allowed_users), &list(&settings.blocked_users)),
            },
            clock.clone(),
        )
        .with_claims(Claims::new(db.clone()));
        let themes_dir = settings.themes.resolve()?;
        let renderer = Arc::new(
            Renderer::load(themes_dir.as_deref(), crate::cards::validate_pack).context("the themes did not load")?,
        );
        let raster = Arc::new(match limits.png_max_concurrency {
            Some(n) => RasterPool::new(usize::from(n), usize::from(limits.png_max_queue)),
            None => RasterPool::per_core(usize::from(limits.png_max_queue)),
        });
        let images = ImageService::new(
            Some(LiveSources {
                stats: stats.clone(),
                code: code.clone(),
                wakatime,
                commits,
                contributions: contributions.clone(),
            }),
            renderer.clone(),
            raster,
            settings.response_cache_bytes,
        );
        let banner_store = BannerStore::with_origin(db.clone(), origin.clone());
        let views = ViewCounter::new(ViewStore::new(db.clone()), clock.clone());
        let banners = BannerService::new(banner_store.clone(), stats.clone(), images.clone(), views.clone());
        let bus = event_bus(settings, &origin)?;
        let relay = OutboxRelay::new(OutboxStore::new(db.clone()), bus.clone());
        let scheduler = RefreshScheduler::new(
            RefreshSchedule::new(db.clone()),
            banner_store,
            stats.clone(),
            origin.clone(),
            SchedulerSettings::for_soft_ttl(
                settings.cache_soft_ttl,
                settings.worker.worker_interval,
                usize::from(settings.worker.worker_concurrency),
                settings.worker.worker_lease,
            ),
        );
        let consumers = Consumers::new(bus.clone(), stats.clone(), banners.clone(), origin.clone());
        let state = AppState::new(AppInner {
            consumers: consumers.clone(),
            bus_name: bus.name(),
            stats,
            code,
            contributions,
            renderer,
            banners,
            api_keys: ApiKeys::new(&settings.api_keys),
            metrics_token: settings.metrics_token.as_ref().map(|t| ApiKeys::new(std::slice::from_ref(t))),
            signing: RequestSigning::new(settings.services_secret_key.clone(), settings.services_replay_window),
            webhooks: WebhookVerifier::new(settings.github_webhook_secret.clone(), Claims::new(db.clone())),
            db,
            images,
            clients: Arc::new(ClientLimits::new(limits)),
            graphql_limits: crate::api::graphql::GraphQlLimits {
                max_subjects: usize::from(limits.graphql_max_users),
                max_operations: limits.websocket_max_operations,
                idle_timeout: limits.websocket_idle_timeout,
            },
            parsed_requests: crate::api::parsed_requests(),
            public_url: settings.public_url.clone(),
            readiness: crate::api::health::Readiness::default(),
            views,
        });
        Ok(Self { state, bus, relay, scheduler, consumers, origin, themes_dir })
    }

    /// Starts the relay and the event consumers (every role needs them), and the scheduler
    /// when `with_scheduler`; they run until the returned handle is shut down.
    pub fn start_background(&self, with_scheduler: bool) -> Background {
        let cancel = CancellationToken::new();
        let mut tasks = vec![self.relay.clone().spawn(RELAY_INTERVAL, cancel.clone())];
        tasks.extend(self.consumers.spawn(cancel.clone()));
        let views = self.state.views.clone();
        tasks.push(crate::worker::spawn_flushing(
            VIEW_COUNT_FLUSH_INTERVAL,
            cancel.clone(),
            "could not write view counts; kept for the next try",
            move || {
                let views = views.clone();
                async move { views.flush().await }
            },
        ));
        if with_scheduler {
            tasks.push(self.scheduler.clone().spawn(cancel.clone()));
        } else {
            // The workers (other processes) schedule refreshes from the views this replica saw.
            tasks.push(self.scheduler.clone().spawn_view_flush(VIEW_FLUSH_INTERVAL, cancel.clone()));
        }
        tracing::info!(bus = self.bus.name(), origin = %self.origin, scheduler = with_scheduler, "background work started");
        Background { cancel, tasks }
    }

    /// One step of the relay and consumers (see `worker::step`).
    pub async fn step(&self) -> anyhow::Result<usize> {
        crate::worker::step(&self.relay, &self.consumers).await
    }
}

/// The background loops of a process: cancelled and awaited at shutdown.
pub struct Background {
    cancel: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Tells every loop to stop and waits for them (a round in progress finishes).
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let stopped = tokio::time::timeout(SHUTDOWN_GRACE, futures_util::future::join_all(self.tasks)).await;
        match stopped {
            Ok(results) => {
                for error in results.into_iter().filter_map(Result::err) {
                    tracing::error!(%error, "a background task failed");
                }
                tracing::info!("background work stopped");
            }
            // A round stuck on an unreachable broker or database; what it did not finish is
            // still in the outbox or the schedule for the next start.
            Err(_) => tracing::warn!(?SHUTDOWN_GRACE, "background work did not stop in time; leaving it"),
        }
    }
}

/// How often an API-only replica writes the users it served into the shared refresh schedule.
const VIEW_FLUSH_INTERVAL: Duration = Duration::from_secs(30);

/// How often each process writes the views it counted (a crash loses at most this much).
const VIEW_COUNT_FLUSH_INTERVAL: Duration = Duration::from_secs(10);

/// How often the relay looks for committed events when idle.
const RELAY_INTERVAL: Duration = Duration::from_millis(200);

fn event_bus(settings: &Settings, origin: &str) -> anyhow::Result<Arc<dyn EventBus>> {
    match &settings.events.kafka_brokers {
        None => Ok(Arc::new(InProcessBus::default())),
        #[cfg(feature = "kafka")]
        Some(brokers) => {
            let kafka = crate::events::kafka::KafkaBus::new(crate::events::kafka::KafkaSettings {
                brokers: brokers.clone(),
                topic: settings.events.kafka_topic.clone(),
                group_id: settings.events.kafka_group.clone(),
                client_id: origin.to_owned(),
                delivery_timeout: Duration::from_secs(10),
                create_topic: (settings.events.kafka_topic_partitions > 0)
                    .then_some(settings.events.kafka_topic_partitions),
                session_timeout: None,
            })
            .context("could not set up Kafka (KAFKA_BROKERS)")?;
            Ok(Arc::new(kafka))
        }
        #[cfg(not(feature = "kafka"))]
        Some(_) => {
            let _ = origin;
            anyhow::bail!(
                "KAFKA_BROKERS is set but this build has no Kafka support (built without the `kafka` feature)"
            )
        }
    }
}

/// Unique per process: host, pid and a random suffix (pids repeat across containers).
fn process_origin() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "local".to_owned());
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("{host}-{}-{}", std::process::id(), hex::encode(random))
}

/// The GitHub client: the token pool over GraphQL, and the REST API without a token unless
/// NO_REST_FALLBACK.
fn github_api(settings: &Settings) -> anyhow::Result<Arc<dyn crate::github::GitHubApi>> {
    let limits = &settings.limits;
    let github = GitHubClient::new(
        settings.github_api_url.clone(),
        settings.github_tokens.clone(),
        settings.request_timeout,
        RetryPolicy::default(),
        PoolLimits {
            total: usize::from(limits.github_max_in_flight),
            per_token: usize::from(limits.github_max_in_flight_per_token),
            recheck: limits.github_token_recheck,
            ..PoolLimits::default()
        },
    )
    .context("could not build the GitHub client")?;
    let github = if settings.no_rest_fallback {
        github
    } else {
        let rest = RestClient::new(&settings.github_rest_url, settings.request_timeout)
            .context("could not build the GitHub REST client")?;
        github.with_rest_fallback(rest)
    };
    Ok(Arc::new(github))
}
