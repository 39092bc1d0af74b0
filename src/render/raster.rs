//! Bounded PNG rasterisation: at most `concurrency` PNGs are drawn at once (each takes a core for
//! milliseconds and a few megabytes), at most `max_queue` wait, and the rest are refused at once
//! with [`RasterError::Busy`] (a 503 with Retry-After), so a flood of PNG requests can neither
//! grow threads and memory without bound nor starve SVG requests of CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, Semaphore};

use super::png::{self, PngError};

#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("too many images are being drawn; try again shortly")]
    Busy,
    #[error(transparent)]
    Png(#[from] PngError),
    #[error("the drawing task failed: {0}")]
    Task(String),
}

pub struct RasterPool {
    permits: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
    /// Woken when a request starts waiting (what tests wait for instead of polling).
    queue_grew: Notify,
    max_queue: usize,
}

/// Counts a waiting request while it waits, however the wait ends (a client may hang up).
struct Queued(Arc<AtomicUsize>);

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl RasterPool {
    pub fn new(concurrency: usize, max_queue: usize) -> Self {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        Self { permits, queued: Arc::default(), queue_grew: Notify::new(), max_queue }
    }

    /// One per core: rasterising is pure CPU work.
    pub fn per_core(max_queue: usize) -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()), max_queue)
    }

    /// Draws `svg` at `scale` on a blocking thread once a slot is free.
    pub async fn rasterize(&self, svg: String, scale: f32) -> Result<Vec<u8>, RasterError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queue {
                    self.queued.fetch_sub(1, Ordering::AcqRel);
                    return Err(RasterError::Busy);
                }
                let _queued = Queued(self.queued.clone());
                self.queue_grew.notify_waiters();
                self.permits.clone().acquire_owned().await.map_err(|e| RasterError::Task(e.to_string()))?
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            png::rasterize(&svg, scale)
        })
        .await
        .map_err(|e| RasterError::Task(e.to_string()))?
        .map_err(RasterError::from)
    }

    /// Requests waiting for a slot right now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Returns once at least `n` requests are waiting.
    #[cfg(test)]
    async fn until_queued(&self, n: usize) {
        loop {
            let grew = self.queue_grew.notified();
            tokio::pin!(grew);
            grew.as_mut().enable();
            if self.queued() >= n {
                return;
            }
            grew.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>"#;

    #[tokio::test]
    async fn beyond_the_queue_requests_are_refused_not_queued() {
        let pool = Arc::new(RasterPool::new(1, 1));
        let held = pool.permits.clone().acquire_owned().await.unwrap();
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.rasterize(SVG.to_owned(), 1.0).await }
        });
        pool.until_queued(1).await;
        assert!(matches!(pool.rasterize(SVG.to_owned(), 1.0).await, Err(RasterError::Busy)));
        drop(held);
        assert!(waiting.await.unwrap().unwrap().starts_with(b"\x89PNG"));
        assert_eq!(pool.queued(), 0);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_queue() {
        let pool = RasterPool::new(1, 4);
        let _held = pool.permits.clone().acquire_owned().await.unwrap();
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), pool.rasterize(SVG.to_owned(), 1.0)).await;
        assert!(gave_up.is_err());
        assert_eq!(pool.queued(), 0);
    }
}
