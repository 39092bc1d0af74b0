//! The contract every `EventBus` keeps, run against each implementation: the in-process bus, the
//! Kafka bus against librdkafka's mock cluster (a real Kafka protocol peer, created per test), and
//! the Kafka bus against a real broker when `KAFKA_TEST_BROKERS` is set (skipped otherwise).
//!
//! Consumer groups (`KafkaBus::subscribe_shared`) exist only on Kafka: the in-process bus has a
//! single process and therefore nothing to share work with, so those cases run for Kafka only.
//! Every wait is bounded, so a broken bus fails a test instead of hanging it.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::{Event, EventBus, EventKind, EventStream};

/// Upper bound for any single wait on a stream; generous for slow CI machines.
const WAIT: Duration = Duration::from_secs(20);

fn stats_event(id: &str, login: &str, sequence: usize) -> Event {
    Event::new(
        id.into(),
        "contract-test".into(),
        EventKind::StatsRefreshed {
            login: login.into(),
            stats_version: format!("2024-05-01T12:00:{sequence:02}Z"),
            // Non-ASCII content must survive the JSON round trip through the bus untouched.
            changed: vec!["stars ⭐".into(), "名前".into(), format!("Ünïcödé 🎉 #{sequence}")],
        },
    )
}

/// Reads exactly `count` events, failing the test if they do not all arrive within `WAIT`.
async fn take(stream: &mut EventStream, count: usize) -> Vec<Event> {
    let mut events = Vec::with_capacity(count);
    let deadline = tokio::time::Instant::now() + WAIT;
    while events.len() < count {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(event)) => events.push(event),
            Ok(None) => panic!("stream ended after {} of {count} events", events.len()),
            Err(_) => panic!("only {} of {count} events arrived within {WAIT:?}", events.len()),
        }
    }
    events
}

async fn publish_all(bus: &dyn EventBus, events: &[Event]) {
    for event in events {
        bus.publish(event).await.unwrap_or_else(|e| panic!("publish {} failed: {e}", event.id));
    }
}

fn ids(events: &[Event]) -> HashSet<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

pub(super) async fn subscriber_receives_every_event_published_after_it_subscribed(bus: &dyn EventBus) {
    // Arrange: an event from before the subscription must not show up.
    bus.publish(&stats_event("before", "early-bird", 0)).await.unwrap();
    let mut stream = bus.subscribe().await.unwrap();
    let published: Vec<Event> =
        (0..10).map(|n| stats_event(&format!("after-{n}"), &format!("user{}", n % 3), n)).collect();

    // Act
    publish_all(bus, &published).await;
    let received = take(&mut stream, published.len()).await;

    // Assert: same set of events, each one byte-for-byte intact.
    assert_eq!(ids(&received), ids(&published));
    for event in &received {
        let original = published.iter().find(|p| p.id == event.id).unwrap();
        assert_eq!(event, original, "content changed in transit");
    }
}

pub(super) async fn events_with_the_same_key_arrive_in_publish_order(bus: &dyn EventBus) {
    let mut stream = bus.subscribe().await.unwrap();
    let logins = ["alice", "Bob", "carol", "dave", "eve"];
    let published: Vec<Event> = (0..50).map(|n| stats_event(&format!("{n}"), logins[n % logins.len()], n)).collect();

    publish_all(bus, &published).await;
    let received = take(&mut stream, published.len()).await;

    let mut per_login: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for event in &received {
        per_login.entry(event.key()).or_default().push(event.id.parse().unwrap());
    }
    assert_eq!(per_login.len(), logins.len());
    for (login, sequence) in per_login {
        let mut sorted = sequence.clone();
        sorted.sort_unstable();
        assert_eq!(sequence, sorted, "events of {login} arrived out of order");
        assert_eq!(sequence.len(), 10);
    }
}

pub(super) async fn every_subscriber_receives_every_event(bus: &dyn EventBus) {
    let mut first = bus.subscribe().await.unwrap();
    let mut second = bus.subscribe().await.unwrap();
    let published: Vec<Event> = (0..12).map(|n| stats_event(&format!("b-{n}"), &format!("user{}", n % 4), n)).collect();

    publish_all(bus, &published).await;
    let (got_first, got_second) = tokio::join!(take(&mut first, published.len()), take(&mut second, published.len()));

    assert_eq!(ids(&got_first), ids(&published));
    assert_eq!(ids(&got_second), ids(&published));
}

/// Prints how long a Kafka test took (visible with `--nocapture`), for the report on timings.
struct Timer(&'static str, Instant);

impl Drop for Timer {
    fn drop(&mut self) {
        eprintln!("{}: {:.2?}", self.0, self.1.elapsed());
    }
}

/// Generates one `#[tokio::test]` per shared contract case for a bus made by `$fixture` (an
/// async expression giving `Option<impl Deref<Target = dyn EventBus>>`; `None` skips).
macro_rules! contract_suite {
    ($module:ident, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            use crate::events::contract_tests::{self as contract, Fixture, Timer};
            use std::time::Instant;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn subscriber_receives_every_event_published_after_it_subscribed() {
                let _timer = Timer(concat!(stringify!($module), "::after_subscribe"), Instant::now());
                let Some(fixture) = $fixture else { return };
                contract::subscriber_receives_every_event_published_after_it_subscribed(fixture.bus()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn events_with_the_same_key_arrive_in_publish_order() {
                let _timer = Timer(concat!(stringify!($module), "::per_key_order"), Instant::now());
                let Some(fixture) = $fixture else { return };
                contract::events_with_the_same_key_arrive_in_publish_order(fixture.bus()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn every_subscriber_receives_every_event() {
                let _timer = Timer(concat!(stringify!($module), "::broadcast"), Instant::now());
                let Some(fixture) = $fixture else { return };
                contract::every_subscriber_receives_every_event(fixture.bus()).await;
            }
        }
    };
}

/// Something that owns a bus for one test (and whatever the bus needs, e.g. a mock cluster).
trait Fixture {
    fn bus(&self) -> &dyn EventBus;
}

struct InProcessFixture(super::InProcessBus);

impl Fixture for InProcessFixture {
    fn bus(&self) -> &dyn EventBus {
        &self.0
    }
}

async fn in_process() -> Option<InProcessFixture> {
    Some(InProcessFixture(super::InProcessBus::default()))
}

contract_suite!(in_process_bus, in_process().await);

#[cfg(feature = "kafka")]
mod kafka {
    use std::time::{Duration, Instant};

    use futures_util::StreamExt;
    use rdkafka::ClientConfig;
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::mocking::MockCluster;
    use rdkafka::producer::DefaultProducerContext;

    use super::super::kafka::{KafkaBus, KafkaSettings};
    use super::{Fixture, Timer, WAIT, ids, publish_all, stats_event};
    use crate::events::{Event, EventBus};

    const PARTITIONS: i32 = 4;

    pub(super) struct KafkaFixture {
        // Field order is drop order: the bus (and its producer) goes before the cluster it talks to.
        pub(super) bus: KafkaBus,
        _cluster: Option<MockCluster<'static, DefaultProducerContext>>,
    }

    impl Fixture for KafkaFixture {
        fn bus(&self) -> &dyn EventBus {
            &self.bus
        }
    }

    fn settings(brokers: String, topic: String) -> KafkaSettings {
        KafkaSettings {
            create_topic: None,
            brokers,
            topic,
            group_id: "banners-test".into(),
            client_id: "contract".into(),
            delivery_timeout: Duration::from_secs(10),
            // A member left behind by a retried join (it happens under load) is dropped after
            // this rather than librdkafka's 45 s, so the group settles within the test's wait.
            session_timeout: Some(Duration::from_secs(6)),
        }
    }

    /// A fresh librdkafka mock cluster with a multi-partition topic, private to one test.
    pub(super) async fn mock() -> Option<KafkaFixture> {
        let cluster = MockCluster::new(1).expect("mock cluster");
        let topic = "banner-events";
        cluster.create_topic(topic, PARTITIONS, 1).expect("mock topic");
        let bus = KafkaBus::new(settings(cluster.bootstrap_servers(), topic.into())).expect("bus");
        Some(KafkaFixture { bus, _cluster: Some(cluster) })
    }

    /// The real broker in `KAFKA_TEST_BROKERS`, with a new topic per test (so runs and tests do
    /// not see each other's events), or `None` with a note when the variable is unset.
    pub(super) async fn real() -> Option<KafkaFixture> {
        let Ok(brokers) = std::env::var("KAFKA_TEST_BROKERS") else {
            eprintln!("skipped: set KAFKA_TEST_BROKERS=host:port to run the Kafka contract against a real broker");
            return None;
        };
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let topic = format!("banner-events-test-{}", u64::from_be_bytes(random));
        let admin: AdminClient<DefaultClientContext> =
            ClientConfig::new().set("bootstrap.servers", &brokers).create().expect("admin client");
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        let created = tokio::time::timeout(
            WAIT,
            admin.create_topics(&[NewTopic::new(&topic, PARTITIONS, TopicReplication::Fixed(1))], &options),
        )
        .await
        .expect("create topic timed out")
        .expect("create topic");
        for result in created {
            result.expect("topic created");
        }
        Some(KafkaFixture { bus: KafkaBus::new(settings(brokers, topic)).expect("bus"), _cluster: None })
    }

    pub(super) async fn group_members_split_the_events(bus: &KafkaBus) {
        // Arrange: both members join together so one rebalance assigns both (a late joiner would
        // make the mock coordinator wait for the first member to rejoin).
        let (first, second) = tokio::join!(bus.subscribe_shared("renderers"), bus.subscribe_shared("renderers"));
        let (mut first, mut second) = (first.unwrap(), second.unwrap());
        let logins = ["ana", "ben", "cleo", "dan", "emil", "fay", "gus", "hana"];
        let published: Vec<Event> =
            (0..40).map(|n| stats_event(&format!("g-{n}"), logins[n % logins.len()], n)).collect();

        // Act
        publish_all(bus, &published).await;
        let (mut got_first, mut got_second) = (Vec::new(), Vec::new());
        let deadline = tokio::time::Instant::now() + WAIT;
        while got_first.len() + got_second.len() < published.len() {
            tokio::select! {
                Some(event) = first.next() => got_first.push(event),
                Some(event) = second.next() => got_second.push(event),
                () = tokio::time::sleep_until(deadline) => panic!(
                    "only {} of {} events arrived within {WAIT:?}", got_first.len() + got_second.len(), published.len()
                ),
            }
        }
        // A duplicate would arrive on top of the expected count: give it a moment to show up.
        let late = tokio::time::timeout(Duration::from_millis(500), async {
            tokio::select! { Some(e) = first.next() => e, Some(e) = second.next() => e }
        })
        .await;

        // Assert: each event exactly once across the members, and both members got work.
        assert!(late.is_err(), "an event was delivered twice: {late:?}");
        let (a, b) = (ids(&got_first), ids(&got_second));
        assert!(a.is_disjoint(&b), "an event reached both members");
        assert_eq!(a.union(&b).cloned().collect::<std::collections::HashSet<_>>(), ids(&published));
        assert!(!got_first.is_empty() && !got_second.is_empty(), "one member got nothing: no split");
        // Keyed by login: one user's events all go to one member.
        for event in &got_first {
            assert!(got_second.iter().all(|other| other.key() != event.key()), "{} split across members", event.key());
        }
    }

    contract_suite!(mock_cluster, mock().await);
    contract_suite!(real_broker, real().await);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mock_cluster_group_members_split_the_events() {
        let _timer = Timer("mock_cluster::group_split", Instant::now());
        let fixture = mock().await.unwrap();
        group_members_split_the_events(&fixture.bus).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn real_broker_group_members_split_the_events() {
        let _timer = Timer("real_broker::group_split", Instant::now());
        let Some(fixture) = real().await else { return };
        group_members_split_the_events(&fixture.bus).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn publish_to_an_unreachable_broker_fails_within_the_delivery_timeout() {
        // Arrange: nothing listens on port 1; creating the bus must still succeed at once.
        let delivery_timeout = Duration::from_secs(2);
        let bus =
            KafkaBus::new(KafkaSettings { delivery_timeout, ..settings("127.0.0.1:1".into(), "banner-events".into()) })
                .expect("creating the bus does not need the broker");

        // Act
        let result = tokio::time::timeout(WAIT, bus.publish(&stats_event("lost", "octocat", 0))).await;

        // Assert: the delivery timeout ends the wait (the outer one only catches a hang).
        let result = result.expect("publish hung past every timeout");
        assert!(matches!(result, Err(crate::events::EventError::Publish(_))), "{result:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn subscribe_to_an_unreachable_broker_fails_in_bounded_time() {
        let bus = KafkaBus::new(KafkaSettings {
            delivery_timeout: Duration::from_secs(2),
            ..settings("127.0.0.1:1".into(), "banner-events".into())
        })
        .unwrap();
        let result = tokio::time::timeout(WAIT, bus.subscribe()).await.expect("subscribe hung");
        assert!(result.is_err());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kafka_bus_names_itself() {
        let bus = KafkaBus::new(settings("127.0.0.1:1".into(), "t".into())).unwrap();
        assert_eq!(bus.name(), "kafka");
    }
}
