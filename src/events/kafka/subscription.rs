//! One Kafka subscription: a consumer polled by a background task, replaced by a new one when
//! every broker connection is lost.
//!
//! Why replace it rather than let librdkafka reconnect: a broker that comes back without its data
//! (tansu on memory storage, a wiped cluster) has no topic until someone re-creates it, and
//! librdkafka 2.12 mishandles fetches in that window. A fetch answered for an unknown topic with a
//! leader hint (tansu answers so) makes its main thread compare a NULL topic name and crash the
//! whole process (`rd_kafka_metadata_update_op`; confluentinc/librdkafka#5280), and positions in
//! a re-created topic are not reset. So the consumer is closed as soon as every broker is down,
//! before it can fetch again, and a new one subscribes once metadata shows the topic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio::sync::{mpsc, watch};

use super::quiet::QuietContext;
use super::{KafkaSettings, close_in_background, topic};
use crate::events::{Event, EventError, EventStream};

/// How long `open` waits for the group coordinator to assign partitions. A new group waits
/// `group.initial.rebalance.delay.ms` (3 s by default) before its first assignment, and joining a
/// busy group can take a rebalance round; a join that misses a round waits until the coordinator
/// gives up on a member that did not rejoin, after `session.timeout.ms` (45 s by default), so
/// this is longer than that (30 s once failed a loaded CI run where the group settled later).
const ASSIGNMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// Decoded events buffered per subscription before the consumer stops fetching (back-pressure).
const BUFFER: usize = 1024;

/// Pauses between attempts to replace a lost consumer: short first, so a quick broker restart
/// costs little, and bounded, so a long outage is noticed soon after it ends.
const FIRST_RECONNECT_WAIT: Duration = Duration::from_millis(250);
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(2);

/// What a subscription is for; decides its offsets policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Private group, nothing committed, starts at explicit offsets.
    Broadcast,
    /// Shared, durable group: committed offsets, at least once.
    Shared,
}

/// What a subscription consumes: enough to build its consumer again.
pub(super) struct Plan {
    pub(super) settings: KafkaSettings,
    pub(super) group: String,
    pub(super) mode: Mode,
}

type Handle = Arc<StreamConsumer<SubscriptionContext>>;

/// Low and high watermark per partition.
type Watermarks = HashMap<i32, (i64, i64)>;

/// A consumer and the counter of "every broker is down" reports it made.
struct Connection {
    consumer: Handle,
    lost: watch::Receiver<u64>,
}

impl Plan {
    fn config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.settings.brokers)
            .set("client.id", &self.settings.client_id)
            .set("group.id", &self.group);
        if let Some(timeout) = self.settings.session_timeout {
            let ms = timeout.as_millis().max(1);
            config.set("session.timeout.ms", ms.to_string()).set("heartbeat.interval.ms", (ms / 3).max(1).to_string());
        }
        match self.mode {
            Mode::Broadcast => config
                // Nothing to resume: a broadcast group lives as long as its subscription, and
                // uncommitted groups vanish from the broker when their member leaves.
                .set("enable.auto.commit", "false")
                // Only a fallback: assignments carry explicit start offsets.
                .set("auto.offset.reset", "latest"),
            Mode::Shared => config
                .set("enable.auto.commit", "true")
                // Offsets are stored by the stream once the caller moved past an event.
                .set("enable.auto.offset.store", "false")
                .set("auto.offset.reset", "earliest"),
        };
        config
    }

    /// A consumer that is not subscribed yet.
    fn connect(
        &self,
        start_offsets: HashMap<i32, i64>,
        assigned: watch::Sender<usize>,
    ) -> Result<Connection, EventError> {
        let (lost_tx, lost) = watch::channel(0);
        let context = SubscriptionContext {
            topic: self.settings.topic.clone(),
            start_offsets: Mutex::new(start_offsets),
            assigned,
            lost: lost_tx,
            quiet: QuietContext::default(),
        };
        let consumer: StreamConsumer<SubscriptionContext> = self
            .config()
            .create_with_context(context)
            .map_err(|e| EventError::Subscribe(format!("invalid Kafka consumer settings: {e}")))?;
        Ok(Connection { consumer: Arc::new(consumer), lost })
    }

    fn subscribe(&self, consumer: &Handle) -> Result<(), EventError> {
        let topic = &self.settings.topic;
        consumer.subscribe(&[topic]).map_err(|e| EventError::Subscribe(format!("subscribe to {topic}: {e}")))
    }
}

/// Subscribes and returns the stream of decoded events. A broadcast plan starts each partition at
/// `start_offsets` (others at the log's end); a shared one at the group's committed offsets.
/// With `wait_for_assignment`, returns only once partitions are assigned (bounded).
pub(super) async fn open(
    plan: Plan,
    start_offsets: HashMap<i32, i64>,
    wait_for_assignment: bool,
) -> Result<EventStream, EventError> {
    let (assigned_tx, mut assigned_rx) = watch::channel(0usize);
    let connection = plan.connect(start_offsets.clone(), assigned_tx)?;
    plan.subscribe(&connection.consumer)?;
    let (topic, group, mode) = (plan.settings.topic.clone(), plan.group.clone(), plan.mode);

    let (sender, receiver) = mpsc::channel(BUFFER);
    // The consumer must be polled continuously, not only when the caller reads: rebalances
    // (including the first assignment) are served from the poll loop, and a member that is not
    // polled blocks its whole group's rebalance.
    let pump = Pump { plan, sender, positions: start_offsets, lost_topic: false };
    tokio::spawn(pump.run(connection));

    if wait_for_assignment {
        match tokio::time::timeout(ASSIGNMENT_TIMEOUT, assigned_rx.wait_for(|count| *count > 0)).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return Err(EventError::Subscribe("Kafka consumer stopped before assignment".into())),
            Err(_) => {
                return Err(EventError::Subscribe(format!(
                    "no partitions of {topic} assigned to group {group} within {ASSIGNMENT_TIMEOUT:?}"
                )));
            }
        }
    }
    tracing::debug!(group, topic, ?mode, "Kafka subscription open");

    let state = StreamState { receiver, topic, pending: None, mode };
    let stream = futures_util::stream::unfold(state, |mut state| async move {
        if let Some(done) = state.pending.take()
            // A replaced consumer's offsets mean nothing to its successor, which redelivers.
            && let Some(consumer) = done.from.upgrade()
        {
            // The caller asked for the next event, so it is done with the previous one: only now
            // may the group's committed offset move past it (at least once).
            if let Err(error) = consumer.store_offset(&state.topic, done.partition, done.offset) {
                // Usually the partition moved to another member; it will redeliver.
                tracing::debug!(%error, partition = done.partition, offset = done.offset, "could not store Kafka offset");
            }
        }
        let delivered = state.receiver.recv().await?;
        let event = delivered.event;
        if state.mode == Mode::Shared {
            state.pending =
                Some(Done { from: delivered.from, partition: delivered.partition, offset: delivered.offset });
        }
        Some((event, state))
    });
    Ok(Box::pin(stream))
}

/// One decoded event and where it came from (for offset storing and resuming).
struct Delivered {
    event: Event,
    from: Weak<StreamConsumer<SubscriptionContext>>,
    partition: i32,
    offset: i64,
}

/// The event handed out last in shared mode, committed once the caller asks for the next one.
struct Done {
    from: Weak<StreamConsumer<SubscriptionContext>>,
    partition: i32,
    offset: i64,
}

struct StreamState {
    receiver: mpsc::Receiver<Delivered>,
    topic: String,
    pending: Option<Done>,
    mode: Mode,
}

/// The background task of one subscription: polls its consumer into the channel until the stream
/// is dropped, and replaces the consumer after a loss of every broker.
struct Pump {
    plan: Plan,
    sender: mpsc::Sender<Delivered>,
    /// Per partition, the offset after the last event handed on (at first the start offsets):
    /// where a broadcast replacement resumes.
    positions: HashMap<i32, i64>,
    /// Whether a replacement attempt found the topic missing: then the topic it finds later is a
    /// new log, read from its start.
    lost_topic: bool,
}

enum Step {
    Closed,
    Lost,
    Deliver(Delivered),
    Nothing,
}

impl Pump {
    async fn run(mut self, mut connection: Connection) {
        loop {
            let step = tokio::select! {
                _ = self.sender.closed() => Step::Closed,
                // An error here means the context is gone, which cannot happen while the consumer
                // lives; replacing the consumer is the safe reading.
                _ = connection.lost.changed() => Step::Lost,
                message = connection.consumer.recv() => self.decode(&connection.consumer, message),
            };
            let step = match step {
                Step::Deliver(delivered) => {
                    let partition_offset = (delivered.partition, delivered.offset);
                    tokio::select! {
                        sent = self.sender.send(delivered) => match sent {
                            Ok(()) => {
                                self.positions.insert(partition_offset.0, partition_offset.1 + 1);
                                Step::Nothing
                            }
                            Err(_) => Step::Closed,
                        },
                        // While the caller is slow the consumer still fetches ahead; a loss must
                        // be acted on now. The unsent event is redelivered by the replacement.
                        _ = connection.lost.changed() => Step::Lost,
                    }
                }
                other => other,
            };
            match step {
                Step::Closed => break,
                Step::Lost => {
                    tracing::warn!(
                        group = %self.plan.group,
                        "every Kafka broker connection is down; replacing this consumer once the topic is back"
                    );
                    close_in_background("kafka-consumer-close", connection.consumer);
                    match self.reconnect().await {
                        Some(replacement) => connection = replacement,
                        None => return,
                    }
                }
                Step::Deliver(_) | Step::Nothing => {}
            }
        }
        close_in_background("kafka-consumer-close", connection.consumer);
    }

    fn decode(&self, consumer: &Handle, message: Result<BorrowedMessage<'_>, KafkaError>) -> Step {
        match message {
            Ok(message) => {
                consumer.context().quiet.recovered();
                let (partition, offset) = (message.partition(), message.offset());
                match Event::from_json(message.payload().unwrap_or_default()) {
                    Ok(event) => Step::Deliver(Delivered { event, from: Arc::downgrade(consumer), partition, offset }),
                    Err(error) => {
                        tracing::warn!(%error, partition, offset, "skipping undecodable Kafka message");
                        if self.plan.mode == Mode::Shared
                            && let Err(error) = consumer.store_offset(message.topic(), partition, offset)
                        {
                            tracing::debug!(%error, "could not store Kafka offset");
                        }
                        Step::Nothing
                    }
                }
            }
            Err(error) => {
                // librdkafka retries on its own; errors here are informational (topic missing,
                // a broker hiccup) and the consumer keeps going.
                consumer.context().quiet.error(&error, "consumer");
                Step::Nothing
            }
        }
    }

    /// Waits until a replacement consumer is subscribed; None when the stream was dropped first.
    async fn reconnect(&mut self) -> Option<Connection> {
        let mut wait = FIRST_RECONNECT_WAIT;
        loop {
            tokio::select! {
                _ = self.sender.closed() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(MAX_RECONNECT_WAIT);
            match self.replacement().await {
                Ok(Some(connection)) => {
                    tracing::info!(group = %self.plan.group, "replaced the Kafka consumer");
                    return Some(connection);
                }
                Ok(None) => {
                    self.lost_topic = true;
                    topic::ensure_topic(&self.plan.settings).await;
                }
                Err(error) => tracing::debug!(%error, "Kafka consumer not replaced yet"),
            }
        }
    }

    /// A new consumer, subscribed once metadata shows the topic (None while it is missing).
    async fn replacement(&mut self) -> Result<Option<Connection>, EventError> {
        let connection = self.plan.connect(HashMap::new(), watch::channel(0).0)?;
        let probe = connection.consumer.clone();
        let topic = self.plan.settings.topic.clone();
        let timeout = self.plan.settings.delivery_timeout.min(MAX_RECONNECT_WAIT * 2);
        // Metadata and ListOffsets calls block the calling thread.
        let marks = tokio::task::spawn_blocking(move || watermarks(&probe, &topic, timeout))
            .await
            .map_err(|e| EventError::Subscribe(format!("offset query task failed: {e}")))?;
        let marks = match marks {
            Ok(Some(marks)) => marks,
            other => {
                close_in_background("kafka-consumer-close", connection.consumer);
                return other.map(|_| None);
            }
        };
        if self.plan.mode == Mode::Broadcast {
            let new_log = std::mem::take(&mut self.lost_topic)
                || marks.iter().any(|(id, &(_, high))| self.positions.get(id).is_some_and(|&at| at > high));
            let starts: HashMap<i32, i64> = marks
                .iter()
                .map(|(&id, &(low, high))| {
                    let at = if new_log { None } else { self.positions.get(&id).copied() };
                    (id, resume_at(at, low, high))
                })
                .collect();
            self.positions.clone_from(&starts);
            *connection.consumer.context().start_offsets.lock().unwrap_or_else(|p| p.into_inner()) = starts;
        }
        let mut lost = connection.lost;
        // The probe just reached the broker: losses reported while connecting are over.
        lost.borrow_and_update();
        self.plan.subscribe(&connection.consumer)?;
        Ok(Some(Connection { consumer: connection.consumer, lost }))
    }
}

/// Low and high watermark of every partition of `topic`; None when the broker does not have the
/// topic (or has it without partitions yet).
fn watermarks(consumer: &Handle, topic: &str, timeout: Duration) -> Result<Option<Watermarks>, EventError> {
    let metadata = consumer
        .client()
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| EventError::Subscribe(format!("Kafka metadata for {topic}: {e}")))?;
    let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else { return Ok(None) };
    if found.error().is_some() || found.partitions().is_empty() {
        return Ok(None);
    }
    let mut marks = HashMap::new();
    for partition in found.partitions() {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition.id(), timeout)
            .map_err(|e| EventError::Subscribe(format!("Kafka offsets for {topic}: {e}")))?;
        marks.insert(partition.id(), (low, high));
    }
    Ok(Some(marks))
}

/// Where a replacement broadcast consumer starts in a partition whose log spans `low..high`:
/// where the old consumer stopped, or the log's start for a partition it never read (or a new
/// log, passed as `None`); never before the first retained event.
///
/// A topic re-created under the same name is recognised when it was seen missing or when a
/// partition ends before the old position; one that grew past every old position before the
/// replacement looked is taken for the old log, and its first events are skipped (a cache entry
/// then stays until its TTL; shared groups are not affected, they resume from committed offsets).
fn resume_at(position: Option<i64>, low: i64, high: i64) -> i64 {
    match position {
        Some(at) => at.clamp(low, high),
        None => low,
    }
}

/// Consumer callbacks: sets the start offsets of new assignments, reports assignment changes and
/// counts "every broker is down" reports.
struct SubscriptionContext {
    topic: String,
    /// Start offset per partition for broadcast subscriptions; empty for shared groups, which use
    /// their committed offsets.
    start_offsets: Mutex<HashMap<i32, i64>>,
    /// Number of partitions currently assigned, so `open` can wait for the first assignment.
    assigned: watch::Sender<usize>,
    lost: watch::Sender<u64>,
    quiet: QuietContext,
}

impl ClientContext for SubscriptionContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.quiet.log(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if matches!(error, KafkaError::Global(RDKafkaErrorCode::AllBrokersDown)) {
            self.lost.send_modify(|count| *count += 1);
        }
        self.quiet.error(&error, reason);
    }
}

impl ConsumerContext for SubscriptionContext {
    // Replaces rdkafka's default (which assigns as given) to set explicit start offsets; the
    // rest mirrors it: eager protocols assign/unassign wholesale, cooperative ones incrementally.
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, partitions: &mut TopicPartitionList) {
        let cooperative = matches!(consumer.rebalance_protocol(), RebalanceProtocol::Cooperative);
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let starts = self.start_offsets.lock().unwrap_or_else(|p| p.into_inner());
                let ids: Vec<i32> = partitions.elements_for_topic(&self.topic).iter().map(|p| p.partition()).collect();
                for id in ids {
                    if let Some(&offset) = starts.get(&id)
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

#[cfg(test)]
mod tests {
    use super::resume_at;

    #[test]
    fn a_replacement_resumes_where_the_old_consumer_stopped() {
        assert_eq!(resume_at(Some(7), 0, 10), 7);
        assert_eq!(resume_at(Some(10), 0, 10), 10);
    }

    #[test]
    fn a_partition_never_read_or_a_new_log_is_read_from_its_start() {
        assert_eq!(resume_at(None, 3, 10), 3);
    }

    #[test]
    fn positions_outside_the_retained_log_are_clamped() {
        // Retention dropped events the consumer had not read yet: the oldest retained one is next.
        assert_eq!(resume_at(Some(2), 5, 10), 5);
        // A log shorter than the position can only be a new one; the caller passes None for it,
        // but a clamp keeps even a wrong position inside the log.
        assert_eq!(resume_at(Some(50), 0, 10), 10);
    }
}
