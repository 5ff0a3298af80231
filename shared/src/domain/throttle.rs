//! Login throttling rules (ASVS 6.3.1). Failures are counted per account
//! (or, for a name no account has, per name, so unknown names are counted
//! like known ones) and source IP, consecutive and reset by a success; and
//! per account across all IPs in a sliding hour. Each attempt is admitted by
//! one atomic write in the users table before its password is checked, so a
//! parallel burst gets no more checks than a sequence would. These functions
//! decide, from the counts, what to allow.

use super::{Timestamp, UserId};
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

/// Whom an attempt's failures count against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An account, whichever of its names (username or e-mail) was typed.
    Account(UserId),
    /// A name no account has (lower-cased).
    Unknown(String),
}

/// The fixed hourly window a moment falls in.
pub fn hour_window(now: Timestamp) -> i64 {
    now.unix_seconds().div_euclid(3600)
}

/// Seconds since the start of `now`'s window.
fn into_window(now: Timestamp) -> u64 {
    now.unix_seconds().rem_euclid(3600) as u64
}

/// The previous window's failures still counted `elapsed` seconds into the
/// current one: the sliding hour's estimate, which weighs the last window by
/// how much of it the past hour still covers (rounded up, never in favour of
/// the guesser).
fn carried(previous: u64, elapsed: u64) -> u64 {
    (previous * (3600 - elapsed.min(3600))).div_ceil(3600)
}

impl LoginThrottle {
    /// How many failures the current window may hold at `now`, given the
    /// previous window's: 200 failures cannot straddle a window boundary.
    pub fn hour_allowance(&self, previous: u64, now: Timestamp) -> u64 {
        self.max_failures_per_name_per_hour
            .saturating_sub(carried(previous, into_window(now)))
    }

    /// When an attempt refused by the sliding hour may come back: the first
    /// second at which `previous` and `current` together leave room for one.
    pub fn hour_retry_after(&self, previous: u64, current: u64, now: Timestamp) -> u64 {
        let limit = self.max_failures_per_name_per_hour;
        let elapsed = into_window(now);
        // Within this window, as the previous one's weight fades.
        for wait in 1..=(3600 - elapsed) {
            if current + carried(previous, elapsed + wait) < limit {
                return wait;
            }
        }
        // In the next window this one becomes the previous.
        let to_next = 3600 - elapsed;
        (0..3600)
            .find(|&x| carried(current, x) < limit)
            .map_or(to_next + 3600, |x| to_next + x)
            .max(1)
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

/// A sliding limit on something that is not a failure (mailing a link):
/// at most `times` in any `window_seconds`. The store keeps the moments of
/// the last `times` uses, one slot each; a use takes the oldest slot, and
/// only once it has left the window, with a write conditioned on the value
/// it read, so concurrent uses cannot share a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub times: usize,
    pub window_seconds: i64,
}

/// `POST /users/verify-email/resend`: three an hour per user.
pub const VERIFICATION_RESENDS: RateLimit = RateLimit {
    times: 3,
    window_seconds: 3600,
};

/// `POST /users/password-reset`: per address (five an hour) and per source
/// IP (twenty an hour, configurable so a test stack on one IP can run).
pub const RESETS_PER_ADDRESS: RateLimit = RateLimit {
    times: 5,
    window_seconds: 3600,
};
pub const DEFAULT_RESETS_PER_IP_PER_HOUR: u64 = 20;

/// `POST /payments` against card testing: at most five declined payments an
/// hour per user, and twenty per source IP (configurable, like resets).
pub const DECLINES_PER_USER: RateLimit = RateLimit {
    times: 5,
    window_seconds: 3600,
};
pub const DEFAULT_DECLINES_PER_IP_PER_HOUR: u64 = 20;

impl RateLimit {
    /// The slot a use at `now` (Unix seconds) takes, given each slot's last
    /// use, or the seconds until the oldest leaves the window.
    pub fn slot(&self, used: &[Option<i64>], now: i64) -> Result<usize, u64> {
        let (index, oldest) = (0..self.times)
            .map(|i| (i, used.get(i).copied().flatten()))
            .min_by_key(|(_, at)| at.unwrap_or(i64::MIN))
            .unwrap_or((0, None));
        match oldest {
            Some(at) if at > now - self.window_seconds => {
                Err((at + self.window_seconds - now).max(1) as u64)
            }
            _ => Ok(index),
        }
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
    fn the_hour_slides_over_the_window_boundary() {
        let t = LoginThrottle::default();
        // 100 failures at the end of one window leave nothing at the start of
        // the next, half at its middle, all at its end.
        assert_eq!(t.hour_allowance(100, at(7200)), 0);
        assert_eq!(t.hour_allowance(100, at(7200 + 1800)), 50);
        assert_eq!(t.hour_allowance(100, at(7200 + 3599)), 99);
        assert_eq!(t.hour_allowance(0, at(7200 + 10)), 100);
    }

    #[test]
    fn a_refusal_by_the_hour_says_when_there_is_room_again() {
        let t = LoginThrottle::default();
        // Two seconds into a window after 100 failures: one slot frees after
        // 36 s of the previous window's weight fading.
        let wait = t.hour_retry_after(100, 0, at(7200 + 2)) as i64;
        assert_eq!(t.hour_allowance(100, at(7200 + 2 + wait)), 1);
        assert_eq!(t.hour_allowance(100, at(7200 + 2 + wait - 1)), 0);
        // A full current window waits into the next.
        let wait = t.hour_retry_after(0, 100, at(7200 + 600));
        assert!(wait > 3000, "{wait}");
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

    #[test]
    fn a_rate_limit_slides() {
        let limit = RateLimit {
            times: 3,
            window_seconds: 3600,
        };
        assert_eq!(limit.slot(&[], 10_000), Ok(0));
        assert_eq!(limit.slot(&[Some(9_000), None, None], 10_000), Ok(1));
        let full = [Some(9_000), Some(8_000), Some(9_500)];
        // The oldest use leaves the window at 8,000 + 3,600.
        assert_eq!(limit.slot(&full, 10_000), Err(1_600));
        assert_eq!(limit.slot(&full, 11_600), Ok(1));
        assert_eq!(limit.slot(&full, 20_000), Ok(1));
    }
}
