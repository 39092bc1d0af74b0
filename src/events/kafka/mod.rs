//! The Kafka bus (rdkafka over librdkafka): carries events between replicas and to workers.
//!
//! Owns one idempotent producer per bus and one consumer per subscription. Invariants:
//! - Messages are keyed by `Event::key()` (the login), so one user's events land in one partition
//!   and keep their order.
//! - `publish` returns only after the broker acknowledged the event (`acks=all`), and always within
//!   `delivery_timeout`: an unreachable broker is an `EventError::Publish`, never a hang, and the
//!   outbox relay retries later. A publish that timed out may still reach the broker afterwards,
//!   which is fine because consumers tolerate duplicates.
//! - `subscribe` is broadcast: every subscription is its own consumer group, so every replica (and
//!   every subscriber inside one) sees every event published after `subscribe` was called.
//! - `subscribe_group` shares work: the members of one named group split the partitions, so each
//!   event goes to one member (at least once; a rebalance can redeliver).
//!
//! Creating the bus never talks to the broker (librdkafka connects lazily), so the service starts
//! while Kafka is down; publishing fails until it is back, and subscribing fails (bounded) too.
//! A broker restart is survived without restarting the process: a producer that keeps failing is
//! replaced (a broker that lost its state fences the old producer id), a missing topic is created
//! when `create_topic` allows it, and each subscription replaces its consumer once every broker
//! connection was lost (see `subscription`).
//!
//! Each subscription has a background task that polls its consumer and buffers up to 1024 decoded
//! events: the consumer must be polled for rebalances to happen even when the caller is busy. A
//! caller that stops reading for longer than `max.poll.interval.ms` (5 min) is dropped from its
//! group by librdkafka and rejoins when it reads again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;

mod quiet;
mod subscription;
mod topic;

use super::{Event, EventBus, EventError, EventStream};
use quiet::QuietContext;
use subscription::{Mode, Plan};

/// Where and how to reach Kafka. Built from config (`KAFKA_BROKERS`, ...).
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    pub brokers: String,
    /// The topic every event goes to.
    pub topic: String,
    /// Prefix of this service's consumer groups (broadcast subscriptions add the client id).
    pub group_id: String,
    /// This process's name (host or pod name): `client.id`, and part of its broadcast groups.
    pub client_id: String,
    /// Longest wait for a broker acknowledgement (and for metadata queries when subscribing).
    pub delivery_timeout: Duration,
    /// Create the topic (with this many partitions) when it is missing; None leaves that to the
    /// operator.
    pub create_topic: Option<i32>,
    /// `session.timeout.ms` of consumer group members; None: librdkafka's (45 s). A join that
    /// misses a rebalance round (a retried request leaves a stale member behind) waits for it.
    pub session_timeout: Option<Duration>,
}

/// `EventBus` over Kafka. Cheap to share behind an `Arc`; the producer is internally pooled.
pub struct KafkaBus {
    settings: KafkaSettings,
    /// Replaced when librdkafka reports it unusable (a fatal idempotence error after a broker
    /// lost its state) or after failures in a row: a new producer gets a new producer id.
    producer: std::sync::RwLock<ProducerHandle>,
    /// Whether the topic was checked (and created when missing) by a first subscription.
    topic_checked: std::sync::atomic::AtomicBool,
    /// Publishes that failed in a row.
    failures: AtomicU64,
    /// Random per bus: broadcast groups of a restarted process must not collide with the groups
    /// its previous run left behind (those would hold partitions until their session times out).
    instance: String,
    /// Numbers this bus's broadcast subscriptions, each of which gets its own group.
    subscriptions: AtomicU64,
}

impl std::fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaBus").field("settings", &self.settings).field("instance", &self.instance).finish()
    }
}

impl KafkaBus {
    /// Creates the producer. Does not contact the broker: librdkafka connects on first use, so
    /// this succeeds while Kafka is down. Fails only on invalid settings.
    pub fn new(settings: KafkaSettings) -> Result<Self, EventError> {
        let producer = producer(&settings)?;
        let mut random = [0u8; 4];
        // Without randomness we fall back to the process id, which also differs across restarts.
        let instance = match getrandom::fill(&mut random) {
            Ok(()) => format!("{:08x}", u32::from_be_bytes(random)),
            Err(_) => format!("{:08x}", std::process::id()),
        };
        Ok(Self {
            settings,
            producer: std::sync::RwLock::new(producer),
            failures: AtomicU64::new(0),
            topic_checked: std::sync::atomic::AtomicBool::new(false),
            instance,
            subscriptions: AtomicU64::new(0),
        })
    }

    fn current_producer(&self) -> ProducerHandle {
        self.producer.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// After a failed publish: a producer librdkafka calls unusable (fatal error), one that lost
    /// every broker connection since it was made (the broker may have restarted without the
    /// producer id it knew, and then never acknowledges it again), or one that failed
    /// `REBUILD_AFTER` times in a row is replaced; a missing topic is created.
    async fn after_failure(&self, error: &str) {
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        let current = self.current_producer();
        let fatal = current.client.client().fatal_error();
        let lost = current.lost_every_broker.load(Ordering::Acquire);
        if fatal.is_some() || lost || failures.is_multiple_of(REBUILD_AFTER) {
            match producer(&self.settings) {
                Ok(fresh) => {
                    tracing::warn!(?fatal, lost, failures, "replacing the Kafka producer");
                    *self.producer.write().unwrap_or_else(|p| p.into_inner()) = fresh;
                }
                Err(error) => tracing::warn!(%error, "could not replace the Kafka producer"),
            }
        }
        // A broker that restarted without its data has no topic, and librdkafka then waits for
        // one until the delivery times out, whatever the cause says; creating it when it exists
        // costs one request. Tried after a lost connection, on the first failures of a streak,
        // and then ever more rarely.
        if lost || failures.is_power_of_two() || error.contains("UnknownTopic") {
            topic::ensure_topic(&self.settings).await;
        }
    }

    /// `ensure_topic` for the first subscription of this bus.
    async fn ensure_topic_once(&self) {
        if !self.topic_checked.swap(true, Ordering::AcqRel) {
            topic::ensure_topic(&self.settings).await;
        }
    }
}

/// Publishes failing in a row before the producer is replaced anyway (a stuck connection state).
const REBUILD_AFTER: u64 = 3;

/// A producer and whether it has lost every broker since it was made.
#[derive(Clone)]
struct ProducerHandle {
    client: FutureProducer<QuietContext>,
    lost_every_broker: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

fn producer(settings: &KafkaSettings) -> Result<ProducerHandle, EventError> {
    let timeout_ms = millis(settings.delivery_timeout);
    let context = QuietContext::default();
    let lost_every_broker = context.lost_every_broker();
    let client: FutureProducer<QuietContext> = ClientConfig::new()
        .set("bootstrap.servers", &settings.brokers)
        .set("client.id", &settings.client_id)
        // Idempotence: librdkafka's own retries cannot duplicate or reorder a partition's
        // messages, which keeps one login's events in order across broker hiccups.
        .set("enable.idempotence", "true")
        .set("acks", "all")
        // The whole delivery (queueing, retries, in-flight request) is bounded by this; after it
        // the delivery future fails and the outbox keeps the event for a later retry.
        .set("message.timeout.ms", timeout_ms.to_string())
        // With idempotence an in-flight request is not timed out by message.timeout.ms alone,
        // so a hung broker must not hold a request longer than the delivery budget either.
        .set("request.timeout.ms", timeout_ms.min(30_000).to_string())
        .create_with_context(context)
        .map_err(|e| EventError::Publish(format!("invalid Kafka producer settings: {e}")))?;
    Ok(ProducerHandle { client, lost_every_broker })
}

impl KafkaBus {
    /// A stream of events for work shared by the consumer group `group` (used verbatim as the
    /// Kafka `group.id`): the members split the topic's partitions, so each event reaches one
    /// member, and one login's events always reach the same member in order.
    ///
    /// Delivery is at least once: an event's offset is committed only after the caller asked for
    /// the next event, so a crash or rebalance redelivers the event being processed. A group seen
    /// for the first time starts at the oldest retained event (no work is skipped); later it
    /// resumes where it left off. Returns once this member has been assigned partitions (bounded
    /// by 30 s); a member joining a running group triggers a rebalance of the others.
    pub async fn subscribe_shared(&self, group: &str) -> Result<EventStream, EventError> {
        let plan = Plan { settings: self.settings.clone(), group: group.to_owned(), mode: Mode::Shared };
        self.ensure_topic_once().await;
        subscription::open(plan, HashMap::new(), true).await
    }

    /// The next offset of every partition of the topic, right now. A broadcast subscription starts
    /// there, so "every event published after subscribe()" holds exactly, whatever the timing of
    /// the group join (`auto.offset.reset=latest` alone would skip events published between
    /// `subscribe()` returning and librdkafka resolving "latest").
    async fn high_watermarks(&self) -> Result<HashMap<i32, i64>, EventError> {
        let producer = self.current_producer().client;
        let topic = self.settings.topic.clone();
        let timeout = self.settings.delivery_timeout;
        // Metadata and ListOffsets calls block the calling thread.
        let query = tokio::task::spawn_blocking(move || -> Result<HashMap<i32, i64>, EventError> {
            let client = producer.client();
            let metadata = client
                .fetch_metadata(Some(&topic), timeout)
                .map_err(|e| EventError::Subscribe(format!("Kafka metadata for {topic}: {e}")))?;
            let mut offsets = HashMap::new();
            for found in metadata.topics().iter().filter(|t| t.name() == topic) {
                if let Some(error) = found.error() {
                    // Typically the topic does not exist yet: partitions created later start at
                    // `latest` when the consumer discovers them.
                    tracing::warn!(topic, ?error, "Kafka topic metadata has an error; subscribing from latest");
                    continue;
                }
                for partition in found.partitions() {
                    let (_low, high) = client
                        .fetch_watermarks(&topic, partition.id(), timeout)
                        .map_err(|e| EventError::Subscribe(format!("Kafka offsets for {topic}: {e}")))?;
                    offsets.insert(partition.id(), high);
                }
            }
            Ok(offsets)
        });
        query.await.map_err(|e| EventError::Subscribe(format!("offset query task failed: {e}")))?
    }
}

#[async_trait::async_trait]
impl EventBus for KafkaBus {
    async fn publish(&self, event: &Event) -> Result<(), EventError> {
        let payload = event.to_json();
        let key = event.key();
        let record = FutureRecord::to(&self.settings.topic).payload(&payload).key(&key);
        let timeout = self.settings.delivery_timeout;
        let producer = self.current_producer().client;
        // librdkafka enforces message.timeout.ms itself, but only checks it about once a second;
        // this outer bound makes "never past delivery_timeout" exact.
        let result = match tokio::time::timeout(timeout, producer.send(record, Timeout::After(timeout))).await {
            Ok(Ok(_delivery)) => Ok(()),
            Ok(Err((error, _message))) => Err(format!("Kafka did not accept the event: {error}")),
            Err(_) => Err(format!("no Kafka acknowledgement within {timeout:?}")),
        };
        match result {
            Ok(()) => {
                if self.failures.swap(0, Ordering::AcqRel) > 0 {
                    tracing::info!("Kafka accepts events again");
                }
                Ok(())
            }
            Err(message) => {
                self.after_failure(&message).await;
                Err(EventError::Publish(message))
            }
        }
    }

    /// Broadcast: a private consumer group per subscription (`{group_id}-{client_id}-{instance}-{n}`),
    /// starting at the offsets current when this is called. Returns once partitions are assigned.
    async fn subscribe(&self) -> Result<EventStream, EventError> {
        let number = self.subscriptions.fetch_add(1, Ordering::Relaxed);
        let group = format!("{}-{}-{}-{number}", self.settings.group_id, self.settings.client_id, self.instance);
        let start_offsets = self.high_watermarks().await?;
        let plan = Plan { settings: self.settings.clone(), group, mode: Mode::Broadcast };
        subscription::open(plan, start_offsets, true).await
    }

    /// Shared work: the Kafka group `{group_id}-{group}` (see `subscribe_shared`). Returns without
    /// waiting for partitions: a group member that joins late misses nothing (the group resumes
    /// from its committed offsets), and a rebalance can take a while when replicas start together.
    async fn subscribe_group(&self, group: &str) -> Result<EventStream, EventError> {
        let group = format!("{}-{group}", self.settings.group_id);
        let plan = Plan { settings: self.settings.clone(), group, mode: Mode::Shared };
        self.ensure_topic_once().await;
        subscription::open(plan, HashMap::new(), false).await
    }

    fn name(&self) -> &'static str {
        "kafka"
    }
}

fn millis(duration: Duration) -> u128 {
    // librdkafka rejects 0 ms for message.timeout.ms (it means "infinite"); 1 ms is the floor.
    duration.as_millis().max(1)
}

/// Drops a librdkafka client on a plain thread: closing is a blocking round trip (a consumer
/// leaves its group) that can wait long when the broker is gone, and it must not hold an async
/// worker, nor tokio's blocking pool, whose shutdown waits for every task.
fn close_in_background<T: Send + 'static>(name: &str, client: T) {
    if let Err(error) = std::thread::Builder::new().name(name.into()).spawn(move || drop(client)) {
        tracing::warn!(%error, "could not close a Kafka client on its own thread");
    }
}
