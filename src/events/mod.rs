//! Events: what happened (stats refreshed, banners created/updated/deleted/rendered), carried by
//! an `EventBus` between the parts of one process or, with Kafka, between replicas and workers.
//!
//! Invariants: events are versioned JSON (`{"version":1,"kind":...}`) so consumers can reject what
//! they do not understand; every event has a partition key (the GitHub login) so one user's events
//! stay in order; consumers tolerate duplicates (delivery is at least once).

#[cfg(test)]
mod contract_tests;
mod in_process;
#[cfg(feature = "kafka")]
pub mod kafka;

use std::pin::Pin;

use futures_util::Stream;
use serde::{Deserialize, Serialize};

pub use in_process::InProcessBus;

/// Version of the event envelope; bumped when a field changes meaning.
pub const EVENT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// New stats for `login` were fetched from GitHub and stored.
    StatsRefreshed {
        login: String,
        /// The snapshot's `fetched_at` (RFC 3339): the stats version renders are made from.
        stats_version: String,
        /// Stats that differ from the previous snapshot (empty when unknown or unchanged).
        changed: Vec<String>,
    },
    BannerCreated {
        banner_id: String,
        login: String,
    },
    BannerUpdated {
        banner_id: String,
        login: String,
    },
    BannerDeleted {
        banner_id: String,
        login: String,
    },
    BannerRendered {
        banner_id: String,
        login: String,
        format: String,
        etag: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub version: u32,
    /// Unique per event (the outbox row id, or a random id): lets consumers drop duplicates.
    pub id: String,
    /// The process that produced it, so a replica can skip its own events.
    pub origin: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    pub fn new(id: String, origin: String, kind: EventKind) -> Self {
        Self { version: EVENT_VERSION, id, origin, kind }
    }

    /// The partition key: the GitHub login (lowercase), so one user's events keep their order.
    pub fn key(&self) -> String {
        match &self.kind {
            EventKind::StatsRefreshed { login, .. }
            | EventKind::BannerCreated { login, .. }
            | EventKind::BannerUpdated { login, .. }
            | EventKind::BannerDeleted { login, .. }
            | EventKind::BannerRendered { login, .. } => login.to_ascii_lowercase(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses an event, refusing versions this build does not know.
    pub fn from_json(bytes: &[u8]) -> Result<Self, EventError> {
        let event: Event = serde_json::from_slice(bytes).map_err(|e| EventError::Decode(e.to_string()))?;
        if event.version != EVENT_VERSION {
            return Err(EventError::Decode(format!("unsupported event version {}", event.version)));
        }
        Ok(event)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum EventError {
    #[error("could not publish: {0}")]
    Publish(String),
    #[error("could not subscribe: {0}")]
    Subscribe(String),
    #[error("not an event: {0}")]
    Decode(String),
}

pub type EventStream = Pin<Box<dyn Stream<Item = Event> + Send>>;

/// Publishes events and hands out subscriptions. Publishing returns once the bus has accepted
/// the event (for Kafka: acknowledged by the broker), so the outbox can mark it sent.
#[async_trait::async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &Event) -> Result<(), EventError>;

    /// A stream of events published from now on (by anyone on this bus).
    async fn subscribe(&self) -> Result<EventStream, EventError>;

    /// Like `subscribe`, but members of one `group` share the events (each goes to one member),
    /// for work that must happen once. A bus without groups gives every subscriber everything.
    async fn subscribe_group(&self, group: &str) -> Result<EventStream, EventError> {
        let _ = group;
        self.subscribe().await
    }

    /// `in-process` or `kafka`, for logs and /readyz.
    fn name(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_versioned_json_keyed_by_login() {
        let event = Event::new(
            "1".into(),
            "replica-a".into(),
            EventKind::StatsRefreshed { login: "OctoCat".into(), stats_version: "v".into(), changed: vec![] },
        );
        let json: serde_json::Value = serde_json::from_slice(&event.to_json()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["kind"], "stats_refreshed");
        assert_eq!(event.key(), "octocat");
        assert_eq!(Event::from_json(&event.to_json()).unwrap(), event);
    }

    #[test]
    fn unknown_versions_and_garbage_are_refused() {
        assert!(Event::from_json(b"{\"version\":99,\"id\":\"1\",\"origin\":\"x\",\"kind\":\"banner_deleted\",\"banner_id\":\"b\",\"login\":\"l\"}").is_err());
        assert!(Event::from_json(b"not json").is_err());
    }
}
