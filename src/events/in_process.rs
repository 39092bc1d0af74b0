//! The default bus: a tokio broadcast channel inside this process. Nothing to install; events
//! reach only this process's subscribers.

use tokio::sync::broadcast;

use super::{Event, EventBus, EventError, EventStream};

/// Events kept for slow subscribers; one that falls further behind skips ahead (and is told).
const CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct InProcessBus {
    sender: broadcast::Sender<Event>,
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0 }
    }
}

#[async_trait::async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: &Event) -> Result<(), EventError> {
        // No subscriber is not an error: the event simply has no audience yet.
        let _ = self.sender.send(event.clone());
        Ok(())
    }

    async fn subscribe(&self) -> Result<EventStream, EventError> {
        let receiver = self.sender.subscribe();
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "event subscriber fell behind; skipped events");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(Box::pin(stream))
    }

    fn name(&self) -> &'static str {
        "in-process"
    }
}
