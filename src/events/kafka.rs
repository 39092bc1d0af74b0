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
//!
//! Each subscription has a background task that polls its consumer and buffers up to 1024 decoded
//! events: the consumer must be polled for rebalances to happen even when the caller is busy. A
//! caller that stops reading for longer than `max.poll.interval.ms` (5 min) is dropped from its
//! group by librdkafka and rejoins when it reads again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::util::Timeout;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::{mpsc, watch};

use super::{Event, EventBus, EventError, EventStream};

/// How long `subscribe`/`subscribe_group` wait for the group coordinator to assign partitions.
/// A new group waits `group.initial.rebalance.delay.ms` (3 s by default) before its first
/// assignment, and joining a busy group can take a rebalance round, so this is generous.
const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Decoded events buffered per subscription before the consumer stops fetching (back-pressure).
const BUFFER: usize = 1024;

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
}

/// `EventBus` over Kafka. Cheap to share behind an `Arc`; the producer is internally pooled.
pub struct KafkaBus {
    settings: KafkaSettings,
    producer: FutureProducer,
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

/// What a consumer subscription is for; decides its offsets policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Private group, nothing committed, starts at the high watermarks seen at subscribe time.
    Broadcast,
    /// Shared, durable group: committed offsets, at least once.
    Shared,
}

impl KafkaBus {
    /// Creates the producer. Does not contact the broker: librdkafka connects on first use, so
    /// this succeeds while Kafka is down. Fails only on invalid settings.
    pub fn new(settings: KafkaSettings) -> Result<Self, EventError> {
        let timeout_ms = millis(settings.delivery_timeout);
        let producer: FutureProducer = ClientConfig::new()
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
            .create()
            .map_err(|e| EventError::Publish(format!("invalid Kafka producer settings: {e}")))?;
        let mut random = [0u8; 4];
        // Without randomness we fall back to the process id, which also differs across restarts.
        let instance = match getrandom::fill(&mut random) {
            Ok(()) => format!("{:08x}", u32::from_be_bytes(random)),
            Err(_) => format!("{:08x}", std::process::id()),
        };
        Ok(Self { settings, producer, instance, subscriptions: AtomicU64::new(0) })
    }

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
        self.open(group.to_owned(), Mode::Shared, HashMap::new(), true).await
    }

    fn consumer_config(&self, group: &str, mode: Mode) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.settings.brokers)
            .set("client.id", &self.settings.client_id)
            .set("group.id", group);
        match mode {
            Mode::Broadcast => config
                // Nothing to resume: a broadcast group lives as long as its subscription, and
                // uncommitted groups vanish from the broker when their member leaves.
                .set("enable.auto.commit", "false")
                // Only a fallback: assignments carry explicit start offsets (see `open`).
                .set("auto.offset.reset", "latest"),
            Mode::Shared => config
                .set("enable.auto.commit", "true")
                // Offsets are stored by the stream once the caller moved past an event.
                .set("enable.auto.offset.store", "false")
                .set("auto.offset.reset", "earliest"),
        };
        config
    }

    /// The next offset of every partition of the topic, right now. A broadcast subscription starts
    /// there, so "every event published after subscribe()" holds exactly, whatever the timing of
    /// the group join (`auto.offset.reset=latest` alone would skip events published between
    /// `subscribe()` returning and librdkafka resolving "latest").
    async fn high_watermarks(&self) -> Result<HashMap<i32, i64>, EventError> {
        let producer = self.producer.clone();
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

    async fn open(
        &self,
        group: String,
        mode: Mode,
        start_offsets: HashMap<i32, i64>,
        wait_for_assignment: bool,
    ) -> Result<EventStream, EventError> {
        let topic = self.settings.topic.clone();
        let (assigned_tx, mut assigned_rx) = watch::channel(0usize);
        let context = SubscriptionContext { topic: topic.clone(), start_offsets, assigned: assigned_tx };
        let consumer: StreamConsumer<SubscriptionContext> = self
            .consumer_config(&group, mode)
            .create_with_context(context)
            .map_err(|e| EventError::Subscribe(format!("invalid Kafka consumer settings: {e}")))?;
        consumer.subscribe(&[&topic]).map_err(|e| EventError::Subscribe(format!("subscribe to {topic}: {e}")))?;
        let consumer = Arc::new(consumer);

        let (sender, receiver) = mpsc::channel(BUFFER);
        // The consumer must be polled continuously, not only when the caller reads: rebalances
        // (including the first assignment) are served from the poll loop, and a member that is
        // not polled blocks its whole group's rebalance.
        tokio::spawn(pump(consumer.clone(), sender, mode));

        let assigned = if wait_for_assignment {
            tokio::time::timeout(ASSIGNMENT_TIMEOUT, assigned_rx.wait_for(|count| *count > 0))
                .await
                .map(|r| r.map(|_| ()))
        } else {
            Ok(Ok(()))
        };
        match assigned {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(EventError::Subscribe("Kafka consumer stopped before assignment".into())),
            Err(_) => {
                return Err(EventError::Subscribe(format!(
                    "no partitions of {topic} assigned to group {group} within {ASSIGNMENT_TIMEOUT:?}"
                )));
            }
        }
        tracing::debug!(group, topic, ?mode, "Kafka subscription assigned");

        let state = StreamState { receiver, consumer, topic, pending: None, mode };
        let stream = futures_util::stream::unfold(state, |mut state| async move {
            if let Some((partition, offset)) = state.pending.take() {
                // The caller asked for the next event, so it is done with the previous one: only
                // now may the group's committed offset move past it (at-least-once).
                if let Err(error) = state.consumer.store_offset(&state.topic, partition, offset) {
                    // Usually the partition moved to another member; it will redeliver.
                    tracing::debug!(%error, partition, offset, "could not store Kafka offset");
                }
            }
            let delivered = state.receiver.recv().await?;
            if state.mode == Mode::Shared {
                state.pending = Some((delivered.partition, delivered.offset));
            }
            Some((delivered.event, state))
        });
        Ok(Box::pin(stream))
    }
}

#[async_trait::async_trait]
impl EventBus for KafkaBus {
    async fn publish(&self, event: &Event) -> Result<(), EventError> {
        let payload = event.to_json();
        let key = event.key();
        let record = FutureRecord::to(&self.settings.topic).payload(&payload).key(&key);
        let timeout = self.settings.delivery_timeout;
        // librdkafka enforces message.timeout.ms itself, but only checks it about once a second;
        // this outer bound makes "never past delivery_timeout" exact.
        match tokio::time::timeout(timeout, self.producer.send(record, Timeout::After(timeout))).await {
            Ok(Ok(_delivery)) => Ok(()),
            Ok(Err((error, _message))) => Err(EventError::Publish(format!("Kafka did not accept the event: {error}"))),
            Err(_) => Err(EventError::Publish(format!("no Kafka acknowledgement within {timeout:?}"))),
        }
    }

    /// Broadcast: a private consumer group per subscription (`{group_id}-{client_id}-{instance}-{n}`),
    /// starting at the offsets current when this is called. Returns once partitions are assigned.
    async fn subscribe(&self) -> Result<EventStream, EventError> {
        let number = self.subscriptions.fetch_add(1, Ordering::Relaxed);
        let group = format!("{}-{}-{}-{number}", self.settings.group_id, self.settings.client_id, self.instance);
        let start_offsets = self.high_watermarks().await?;
        self.open(group, Mode::Broadcast, start_offsets, true).await
    }

    /// Shared work: the Kafka group `{group_id}-{group}` (see `subscribe_shared`). Returns without
    /// waiting for partitions: a group member that joins late misses nothing (the group resumes
    /// from its committed offsets), and a rebalance can take a while when replicas start together.
    async fn subscribe_group(&self, group: &str) -> Result<EventStream, EventError> {
        let group = format!("{}-{group}", self.settings.group_id);
        self.open(group, Mode::Shared, HashMap::new(), false).await
    }

    fn name(&self) -> &'static str {
        "kafka"
    }
}

fn millis(duration: Duration) -> u128 {
    // librdkafka rejects 0 ms for message.timeout.ms (it means "infinite"); 1 ms is the floor.
    duration.as_millis().max(1)
}

/// One decoded event and where it came from (for offset storing).
struct Delivered {
    event: Event,
    partition: i32,
    offset: i64,
}

struct StreamState {
    receiver: mpsc::Receiver<Delivered>,
    consumer: Arc<StreamConsumer<SubscriptionContext>>,
    topic: String,
    /// The event handed out last (shared mode), committed once the caller asks for the next one.
    pending: Option<(i32, i64)>,
    mode: Mode,
}

/// Polls the consumer until the subscription's stream is dropped, decoding into the channel.
async fn pump(consumer: Arc<StreamConsumer<SubscriptionContext>>, sender: mpsc::Sender<Delivered>, mode: Mode) {
    loop {
        let decoded = tokio::select! {
            _ = sender.closed() => break,
            message = consumer.recv() => match message {
                Ok(message) => {
                    let (partition, offset) = (message.partition(), message.offset());
                    match Event::from_json(message.payload().unwrap_or_default()) {
                        Ok(event) => Some(Delivered { event, partition, offset }),
                        Err(error) => {
                            tracing::warn!(%error, partition, offset, "skipping undecodable Kafka message");
                            if mode == Mode::Shared
                                && let Err(error) = consumer.store_offset(message.topic(), partition, offset)
                            {
                                tracing::debug!(%error, "could not store Kafka offset");
                            }
                            None
                        }
                    }
                }
                Err(error) => {
                    // librdkafka reconnects and retries on its own; errors here are informational
                    // (broker down, topic missing) and the consumer keeps going.
                    tracing::warn!(%error, "Kafka consumer error");
                    None
                }
            },
        };
        if let Some(delivered) = decoded
            && sender.send(delivered).await.is_err()
        {
            break;
        }
    }
    // Closing a consumer leaves its group: a blocking round trip, kept off the async workers. On
    // a plain thread rather than tokio's blocking pool: with the broker gone the close can wait a
    // long time, and the runtime's shutdown waits for every blocking-pool task.
    let closing = std::thread::Builder::new().name("kafka-consumer-close".into()).spawn(move || drop(consumer));
    if let Err(error) = closing {
        tracing::warn!(%error, "could not close a Kafka consumer on its own thread");
    }
}

/// Consumer callbacks: sets the start offsets of new assignments and reports assignment changes.
struct SubscriptionContext {
    topic: String,
    /// Start offset per partition for broadcast subscriptions; empty for shared groups, which use
    /// their committed offsets.
    start_offsets: HashMap<i32, i64>,
    /// Number of partitions currently assigned, so `open` can wait for the first assignment.
    assigned: watch::Sender<usize>,
}

impl ClientContext for SubscriptionContext {}

impl ConsumerContext for SubscriptionContext {
    // Replaces rdkafka's default (which assigns as given) to set explicit start offsets; the
    // rest mirrors it: eager protocols assign/unassign wholesale, cooperative ones incrementally.
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, partitions: &mut TopicPartitionList) {
        let cooperative = matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative);
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let ids: Vec<i32> = partitions.elements_for_topic(&self.topic).iter().map(|p| p.partition()).collect();
                for id in ids {
                    if let Some(&offset) = self.start_offsets.get(&id)
                        && let Err(error) = partitions.set_partition_offset(&self.topic, id, Offset::Offset(offset))
                    {
                        tracing::warn!(%error, partition = id, "could not set Kafka start offset");
                    }
                }
                if cooperative { consumer.incremental_assign(partitions) } else { consumer.assign(partitions) }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                if cooperative {
                    consumer.incremental_unassign(partitions)
                } else {
                    consumer.unassign()
                }
            }
            other => {
                tracing::warn!(error = ?other, "Kafka rebalance error; dropping assignment");
                consumer.unassign()
            }
        };
        if let Err(error) = result {
            tracing::warn!(%error, "Kafka (un)assign failed");
        }
        let count = consumer.assignment().map(|a| a.count()).unwrap_or(0);
        self.assigned.send_replace(count);
    }
}
