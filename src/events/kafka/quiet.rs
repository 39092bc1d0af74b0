//! librdkafka's logs and errors without the flood: during a broker outage it reports every failed
//! connection attempt (hundreds of lines a minute). This logs at WARN once when problems start and
//! at INFO once when a round trip works again; the rest goes to DEBUG/TRACE.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

#[derive(Default)]
pub(super) struct QuietContext {
    failing: AtomicBool,
    /// Whether every broker connection was down at some point: after a broker restart, state
    /// the client holds (an idempotent producer id, a topic's id) may be gone with it.
    /// Shared with the owner: librdkafka keeps the context out of reach inside some clients.
    lost_every_broker: Arc<AtomicBool>,
}

impl QuietContext {
    pub(super) fn error(&self, error: &KafkaError, reason: &str) {
        if matches!(error, KafkaError::Global(RDKafkaErrorCode::AllBrokersDown)) {
            self.lost_every_broker.store(true, Ordering::Release);
        }
        if !self.failing.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, reason, "Kafka is unreachable or failing; events wait in the outbox");
        } else {
            tracing::debug!(%error, reason, "Kafka error");
        }
    }

    pub(super) fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        use RDKafkaLogLevel as L;
        match level {
            L::Emerg | L::Alert | L::Critical | L::Error | L::Warning => {
                if !self.failing.swap(true, Ordering::AcqRel) {
                    tracing::warn!(fac, message, "Kafka reports a problem");
                } else {
                    tracing::debug!(fac, message, "librdkafka");
                }
            }
            _ => tracing::trace!(fac, message, "librdkafka"),
        }
    }

    /// Reads whether every broker was lost, after the context moved into a client.
    pub(super) fn lost_every_broker(&self) -> Arc<AtomicBool> {
        self.lost_every_broker.clone()
    }

    /// A successful round trip: the next failure is news again.
    pub(super) fn recovered(&self) {
        if self.failing.swap(false, Ordering::AcqRel) {
            tracing::info!("Kafka is reachable again");
        }
    }
}

impl ClientContext for QuietContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        QuietContext::log(self, level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        QuietContext::error(self, &error, reason);
    }
}
