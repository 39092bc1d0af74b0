//! The time the services go by. Production reads the system clock; tests move a manual one, so
//! no test waits in real time for a TTL, a lease or a viewing window to pass.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The clock every service uses unless told otherwise.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that moves only when told to (tests jump it past TTLs and windows), except that every
/// reading is a microsecond after the one before, as real readings are: two fetches never share
/// a `fetched_at`, which versions renders.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self { now: Mutex::new(Utc::now()) }
    }
}

impl ManualClock {
    /// A clock standing at `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(now) }
    }

    pub fn advance(&self, by: std::time::Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now = now.checked_add_signed(by).unwrap_or(*now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += chrono::Duration::microseconds(1);
        *now
    }
}
