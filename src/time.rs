//! Clocks and `timeval` arithmetic shared by the event loop and evutil.

use libc::timeval;

pub const USEC_PER_SEC: i64 = 1_000_000;

/// Reads a clock as a timeval.
pub fn clock_now(clock: libc::clockid_t) -> timeval {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid out-pointer.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    timeval { tv_sec: ts.tv_sec, tv_usec: (ts.tv_nsec / 1000) as libc::suseconds_t }
}

/// Wall-clock time (gettimeofday).
pub fn wall_now() -> timeval {
    clock_now(libc::CLOCK_REALTIME)
}

pub fn add(a: &timeval, b: &timeval) -> timeval {
    let mut r = timeval { tv_sec: a.tv_sec + b.tv_sec, tv_usec: a.tv_usec + b.tv_usec };
    if r.tv_usec >= USEC_PER_SEC as libc::suseconds_t {
        r.tv_sec += 1;
        r.tv_usec -= USEC_PER_SEC as libc::suseconds_t;
    }
    r
}

pub fn sub(a: &timeval, b: &timeval) -> timeval {
    let mut r = timeval { tv_sec: a.tv_sec - b.tv_sec, tv_usec: a.tv_usec - b.tv_usec };
    if r.tv_usec < 0 {
        r.tv_sec -= 1;
        r.tv_usec += USEC_PER_SEC as libc::suseconds_t;
    }
    r
}

/// Ordering of two timevals (seconds, then microseconds).
pub fn cmp(a: &timeval, b: &timeval) -> std::cmp::Ordering {
    (a.tv_sec, a.tv_usec).cmp(&(b.tv_sec, b.tv_usec))
}

pub fn is_set(t: &timeval) -> bool {
    // One test instead of two: this runs for every persistent event's callback.
    (t.tv_sec | t.tv_usec) != 0
}

pub const ZERO: timeval = timeval { tv_sec: 0, tv_usec: 0 };

/// A non-negative number of milliseconds as a timeval.
pub fn from_ms(ms: i64) -> timeval {
    timeval { tv_sec: ms / 1000, tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t }
}

/// A timeval in whole milliseconds.
pub fn to_ms(t: &timeval) -> i64 {
    t.tv_sec * 1000 + t.tv_usec as i64 / 1000
}

/// Configuration flags of a monotonic timer (upstream's EV_MONOT_*).
pub const EV_MONOT_PRECISE: i32 = 1;
pub const EV_MONOT_FALLBACK: i32 = 2;

/// A clock that never goes backwards, as upstream's `struct evutil_monotonic_timer` (same
/// layout on Linux: which clock, the adjustment applied to the fallback clock, the last reading).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct MonotonicTimer {
    /// The POSIX clock in use, or -1 when falling back to gettimeofday.
    pub clock: libc::c_int,
    pub adjust: timeval,
    pub last_time: timeval,
}

impl Default for MonotonicTimer {
    fn default() -> Self {
        MonotonicTimer { clock: -1, adjust: ZERO, last_time: ZERO }
    }
}

impl MonotonicTimer {
    /// Picks the clock as upstream does: CLOCK_MONOTONIC_COARSE whenever it works and precision
    /// was not asked for (reading it costs a quarter of the precise clock; its tick is what
    /// EVENT_PRECISE_TIMER exists to avoid), CLOCK_MONOTONIC otherwise, gettimeofday made
    /// monotonic when FALLBACK is forced.
    pub fn configure(&mut self, flags: i32) {
        *self = MonotonicTimer::default();
        if flags & EV_MONOT_FALLBACK != 0 {
            return;
        }
        if flags & EV_MONOT_PRECISE == 0 {
            let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            // SAFETY: ts is a valid out-pointer.
            if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) } == 0 {
                self.clock = libc::CLOCK_MONOTONIC_COARSE;
                return;
            }
        }
        self.clock = libc::CLOCK_MONOTONIC;
    }

    /// The current time of this timer.
    pub fn now(&mut self) -> timeval {
        if self.clock >= 0 {
            return clock_now(self.clock);
        }
        // Fallback: wall time, shifted so that it never runs backwards.
        let mut t = add(&wall_now(), &self.adjust);
        if cmp(&t, &self.last_time).is_lt() {
            let gap = sub(&self.last_time, &t);
            self.adjust = add(&self.adjust, &gap);
            t = self.last_time;
        }
        self.last_time = t;
        t
    }
}
