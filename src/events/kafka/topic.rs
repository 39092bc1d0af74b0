//! Creating the events topic when it is missing and the operator allowed it
//! (`KAFKA_TOPIC_PARTITIONS`): a fresh broker, or one that restarted without its data, has none,
//! and without it nothing can be published or consumed.

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::util::Timeout;

use super::KafkaSettings;

/// Creates the topic unless it exists or creation is off. Never fails: a broker that refuses or
/// is unreachable is logged, and the caller tries again on its next failure.
pub(super) async fn ensure_topic(settings: &KafkaSettings) {
    let Some(partitions) = settings.create_topic else { return };
    let admin: Result<AdminClient<DefaultClientContext>, _> =
        ClientConfig::new().set("bootstrap.servers", &settings.brokers).create();
    let admin = match admin {
        Ok(admin) => admin,
        Err(error) => {
            tracing::warn!(%error, "could not create a Kafka admin client");
            return;
        }
    };
    let topic = NewTopic::new(&settings.topic, partitions, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Timeout::After(settings.delivery_timeout)));
    match tokio::time::timeout(settings.delivery_timeout, admin.create_topics(&[topic], &options)).await {
        Ok(Ok(results)) => {
            for result in results {
                match result {
                    Ok(topic) => tracing::info!(topic, partitions, "created the Kafka topic"),
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((topic, code)) => tracing::warn!(topic, ?code, "could not create the Kafka topic"),
                }
            }
        }
        Ok(Err(error)) => tracing::warn!(%error, "could not create the Kafka topic"),
        Err(_) => tracing::warn!("creating the Kafka topic timed out"),
    }
    super::close_in_background("kafka-admin-close", admin);
}
