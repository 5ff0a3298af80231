//! Login throttling rules (ASVS 6.3.1). Failures are counted per lower-cased
//! login name and source IP (consecutive, reset by a success) and per name in
//! fixed hourly windows across all IPs; the counting itself is atomic in the
//! users table. These functions decide, from the counts, what to do.

use super::Timestamp;

pub const DEFAULT_FAILURES_BEFORE_LOCK: u64 = 5;
pub const DEFAULT_BACKOFF_BASE_SECONDS: u64 = 30;
pub const DEFAULT_BACKOFF_MAX_SECONDS: u64 = 15 * 60;
pub const DEFAULT_MAX_FAILURES_PER_NAME_PER_HOUR: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    pub failures_before_lock: u64,
    pub backoff_base_seconds: u64,
    pub backoff_max_seconds: u64,
    pub max_failures_per_name_per_hour: u64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            failures_before_lock: DEFAULT_FAILURES_BEFORE_LOCK,
            backoff_base_seconds: DEFAULT_BACKOFF_BASE_SECONDS,
            backoff_max_seconds: DEFAULT_BACKOFF_MAX_SECONDS,
            max_failures_per_name_per_hour: DEFAULT_MAX_FAILURES_PER_NAME_PER_HOUR,
        }
    }
}

/// What the table holds for one login attempt's name and IP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginCounters {
    pub pair_failures: u64,
    pub pair_locked_until: Option<i64>,
    pub name_failures_this_hour: u64,
}

/// The fixed hourly window a moment falls in.
pub fn hour_window(now: Timestamp) -> i64 {
    now.unix_seconds().div_euclid(3600)
}

impl LoginThrottle {
    /// `Err(retry_after_seconds)` when an attempt must be refused before any
    /// password is checked.
    pub fn check(&self, counters: &LoginCounters, now: Timestamp) -> Result<(), u64> {
        let now_s = now.unix_seconds();
        let pair_wait = counters
            .pair_locked_until
            .filter(|until| *until > now_s)
            .map(|until| (until - now_s) as u64);
        let name_wait = (counters.name_failures_this_hour >= self.max_failures_per_name_per_hour)
            .then(|| ((hour_window(now) + 1) * 3600 - now_s) as u64);
        match (pair_wait, name_wait) {
            (None, None) => Ok(()),
            (a, b) => Err(a.unwrap_or(0).max(b.unwrap_or(0)).max(1)),
        }
    }

    /// How long the pair is refused after its `consecutive`-th failure: 30 s at
    /// the 5th, doubling with each further failure, at most 15 minutes.
    pub fn lock_seconds(&self, consecutive: u64) -> Option<u64> {
        if consecutive < self.failures_before_lock {
            return None;
        }
        let doublings = (consecutive - self.failures_before_lock).min(32) as u32;
        Some(
            self.backoff_base_seconds
                .saturating_mul(1u64 << doublings)
                .min(self.backoff_max_seconds),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_unix(s).unwrap()
    }

    #[test]
    fn lock_starts_at_fifth_failure_and_doubles_to_the_cap() {
        let t = LoginThrottle::default();
        assert_eq!(t.lock_seconds(4), None);
        assert_eq!(t.lock_seconds(5), Some(30));
        assert_eq!(t.lock_seconds(6), Some(60));
        assert_eq!(t.lock_seconds(7), Some(120));
        assert_eq!(t.lock_seconds(10), Some(900));
        assert_eq!(t.lock_seconds(1000), Some(900));
    }

    #[test]
    fn locked_pair_is_refused_with_retry_after() {
        let t = LoginThrottle::default();
        let c = LoginCounters {
            pair_failures: 5,
            pair_locked_until: Some(1030),
            name_failures_this_hour: 5,
        };
        assert_eq!(t.check(&c, at(1000)), Err(30));
        assert_eq!(t.check(&c, at(1030)), Ok(()));
    }

    #[test]
    fn hundred_failures_per_name_per_hour() {
        let t = LoginThrottle::default();
        let c = LoginCounters {
            name_failures_this_hour: 100,
            ..Default::default()
        };
        // 10 minutes into the hour: wait for the next window.
        assert_eq!(t.check(&c, at(7200 + 600)), Err(3000));
        let c = LoginCounters {
            name_failures_this_hour: 99,
            ..Default::default()
        };
        assert_eq!(t.check(&c, at(7200 + 600)), Ok(()));
    }

    #[test]
    fn the_longer_wait_wins() {
        let t = LoginThrottle::default();
        let c = LoginCounters {
            pair_failures: 9,
            pair_locked_until: Some(7200 + 600 + 480),
            name_failures_this_hour: 100,
        };
        assert_eq!(t.check(&c, at(7200 + 3590)), Err(10));
        assert_eq!(t.check(&c, at(7200 + 600)), Err(3000));
    }

    #[test]
    fn configurable_schedule() {
        let t = LoginThrottle {
            backoff_base_seconds: 1,
            backoff_max_seconds: 4,
            ..Default::default()
        };
        assert_eq!(t.lock_seconds(5), Some(1));
        assert_eq!(t.lock_seconds(8), Some(4));
    }
}
