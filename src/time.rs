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
    t.tv_sec != 0 || t.tv_usec != 0
}

pub const ZERO: timeval = timeval { tv_sec: 0, tv_usec: 0 };
