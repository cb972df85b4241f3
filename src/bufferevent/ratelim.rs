//! Token buckets for rate limiting: the configuration (`struct ev_token_bucket_cfg`) and the
//! bucket arithmetic (`struct ev_token_bucket`), as plain values with no pointers, no time
//! source and no events, so every rule is testable here.
//!
//! Time is cut into ticks of `msec_per_tick` milliseconds, numbered from the epoch of the
//! clock the caller reads (the base's cached time) and wrapping at 2^32. A bucket holds how
//! many bytes may still be read and written; each tick that passes adds the rate, up to the
//! burst (`*_maximum`). Buckets are signed: an operation may overspend, and the debt is paid
//! back by later ticks.
//!
//! Both layouts are upstream's (ratelim-internal.h), because the internal entry points
//! `ev_token_bucket_*_` that take them are exported and their callers lay them out in C.
//! Since C may hand us a configuration it filled in itself, no method here relies on
//! [`TokenBucketCfg::new`]'s checks: any field values give a defined result.
//!
//! Hardening (OSS-Fuzz found these in upstream's 2.1 code, fixed after 2.1.12):
//! - a tick shorter than a millisecond (`{0, 0}`, `{0, 999}`), or one whose millisecond count
//!   does not fit the `unsigned` field and wraps (`{536870912, 0}` wraps to exactly 0), made
//!   every tick computation divide by zero; [`TokenBucketCfg::new`] refuses both, and
//!   [`TokenBucketCfg::tick_of`] reads a zero tick length as one millisecond;
//! - rates and bursts above `EV_RATE_LIMIT_MAX` are refused (they do not fit a signed bucket);
//! - a refill computes `limit + ticks * rate` in 128 bits and caps it at the burst, so no
//!   tick count overflows; a bucket already above its burst (a program refilled it by hand
//!   with a negative decrement) is left as it is instead of growing further, which is what
//!   upstream's unsigned shortcut did until it overflowed;
//! - spending saturates at the ends of `ev_ssize_t` instead of wrapping.
//!
//! # How the bufferevent code will use these (bufferevent_ratelim.c's job, not written yet)
//!
//! - Per bufferevent: `bufferevent_set_rate_limit(bev, cfg)` gives the bufferevent a
//!   [`TokenBucket`] made with [`TokenBucket::new`] at the current tick (or, when it already
//!   had one, keeps it and [`TokenBucket::clip_to`]s the new cfg), plus a refill timer event
//!   of `cfg->tick_timeout`. Before each read or write it calls [`TokenBucket::refill`] for
//!   the current tick ([`TokenBucketCfg::tick_of`] of `event_base_gettimeofday_cached`) and
//!   reads at most `min(max_single_read, read_limit)` (likewise for writes). After the I/O it
//!   [`TokenBucket::spend`]s what moved; at zero or below it suspends that direction
//!   (`BEV_SUSPEND_BW`) and arms the refill timer, whose callback refills and unsuspends
//!   once the bucket is positive again, re-arming itself otherwise.
//!   `bufferevent_get_read_limit` / `_write_limit` return the bucket's value (`EV_SSIZE_MAX`
//!   without one); `bufferevent_decrement_read_limit` spends by hand and re-evaluates the
//!   suspension. The configuration stays owned by the program (not reference-counted).
//! - Per group: `bufferevent_rate_limit_group_new(base, cfg)` copies the cfg (the group owns
//!   its copy, unlike a bufferevent), makes one bucket and a persistent timer of one tick
//!   that refills it. A member may use `max(bucket / n_members, min_share)` per operation
//!   (min_share 64 by default, `set_min_share`); what members move is spent from the group
//!   bucket and added to the group's 64-bit read/written totals. When the group bucket
//!   reaches zero every member is suspended (`BEV_SUSPEND_BW_GROUP`); the group timer
//!   unsuspends them, starting from a random member for fairness, once the bucket holds at
//!   least min_share. `set_cfg` clips the existing bucket to the new burst. A member's
//!   effective limit is the smaller of its own and its share of the group's.
//! - test-ratelim checks the outcome: with 100 ms ticks, 30 connections, per-connection
//!   limits (`-c 1000`), group limits (`-g 30000`) and a group drain (`-G 500`), the measured
//!   rates must stay within the given tolerances of the configured ones.

use std::ffi::c_uint;

use libc::timeval;

/// `EV_RATE_LIMIT_MAX` (= `EV_SSIZE_MAX`): the largest rate or burst a configuration takes.
pub const RATE_LIMIT_MAX: usize = isize::MAX as usize;

/// Bits of a common timeout's `tv_usec` that hold the microseconds; a tick length may be a
/// common timeout (so that the refill timers share one queue), whose other bits are tags.
const MICROSECONDS_MASK: i64 = 0x000f_ffff;

/// The tick length when the program gives none.
const DEFAULT_TICK: timeval = timeval { tv_sec: 1, tv_usec: 0 };

/// One direction of a bucket or configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Read,
    Write,
}

const DIRECTIONS: [Direction; 2] = [Direction::Read, Direction::Write];

/// Why [`TokenBucketCfg::new`] refused its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfgError {
    /// A rate of 0 bytes per tick.
    ZeroRate,
    /// A rate above its burst.
    RateAboveBurst,
    /// A rate or burst above `EV_RATE_LIMIT_MAX`.
    AboveLimitMax,
    /// A negative field, a tick under one millisecond, or one of more than 2^32-1 ms.
    BadTickLength,
}

impl std::fmt::Display for CfgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CfgError::ZeroRate => "a rate is 0",
            CfgError::RateAboveBurst => "a rate is above its burst",
            CfgError::AboveLimitMax => "a rate or burst is above EV_RATE_LIMIT_MAX",
            CfgError::BadTickLength => "the tick length is negative, under 1 ms or over 2^32-1 ms",
        })
    }
}

/// `struct ev_token_bucket_cfg`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TokenBucketCfg {
    /// Bytes per tick on average, and at most in one tick, for reading; then for writing.
    pub read_rate: usize,
    pub read_maximum: usize,
    pub write_rate: usize,
    pub write_maximum: usize,
    /// The tick length as the program gave it (refill timers are added with it as is).
    pub tick_timeout: timeval,
    /// The tick length in whole milliseconds.
    pub msec_per_tick: c_uint,
}

/// `struct ev_token_bucket`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenBucket {
    /// Bytes that may still be read / written; negative after overspending.
    pub read_limit: isize,
    pub write_limit: isize,
    /// The tick of the last refill (or of creation).
    pub last_updated: u32,
}

// Upstream's x86_64 layouts.
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(size_of::<TokenBucketCfg>() == 56 && align_of::<TokenBucketCfg>() == 8);
    assert!(offset_of!(TokenBucketCfg, read_maximum) == 8);
    assert!(offset_of!(TokenBucketCfg, write_rate) == 16);
    assert!(offset_of!(TokenBucketCfg, write_maximum) == 24);
    assert!(offset_of!(TokenBucketCfg, tick_timeout) == 32);
    assert!(offset_of!(TokenBucketCfg, msec_per_tick) == 48);
    assert!(size_of::<TokenBucket>() == 24 && align_of::<TokenBucket>() == 8);
    assert!(offset_of!(TokenBucket, write_limit) == 8);
    assert!(offset_of!(TokenBucket, last_updated) == 16);
};

/// The largest value a bucket may hold for a given burst: the burst, within `ev_ssize_t`.
fn cap(value: usize) -> isize {
    value.min(RATE_LIMIT_MAX) as isize
}

/// Milliseconds in a tick length, as upstream counts them (the microseconds of a common
/// timeout, fractions of a millisecond dropped), if the result is a usable tick.
fn tick_msec(tick: &timeval) -> Option<c_uint> {
    if tick.tv_sec < 0 || tick.tv_usec < 0 {
        return None;
    }
    let msec = i128::from(tick.tv_sec) * 1000 + i128::from((tick.tv_usec & MICROSECONDS_MASK) / 1000);
    c_uint::try_from(msec).ok().filter(|&ms| ms > 0)
}

impl TokenBucketCfg {
    /// A configuration with the given rates and bursts (bytes) per tick; `tick_len` `None`
    /// means one second.
    pub fn new(
        read_rate: usize,
        read_burst: usize,
        write_rate: usize,
        write_burst: usize,
        tick_len: Option<timeval>,
    ) -> Result<TokenBucketCfg, CfgError> {
        if read_rate == 0 || write_rate == 0 {
            return Err(CfgError::ZeroRate);
        }
        if read_rate > read_burst || write_rate > write_burst {
            return Err(CfgError::RateAboveBurst);
        }
        // The bursts bound the rates, so checking them covers all four.
        if read_burst > RATE_LIMIT_MAX || write_burst > RATE_LIMIT_MAX {
            return Err(CfgError::AboveLimitMax);
        }
        let tick_timeout = tick_len.unwrap_or(DEFAULT_TICK);
        let msec_per_tick = tick_msec(&tick_timeout).ok_or(CfgError::BadTickLength)?;
        Ok(TokenBucketCfg {
            read_rate,
            read_maximum: read_burst,
            write_rate,
            write_maximum: write_burst,
            tick_timeout,
            msec_per_tick,
        })
    }

    pub fn rate(&self, dir: Direction) -> usize {
        match dir {
            Direction::Read => self.read_rate,
            Direction::Write => self.write_rate,
        }
    }

    pub fn maximum(&self, dir: Direction) -> usize {
        match dir {
            Direction::Read => self.read_maximum,
            Direction::Write => self.write_maximum,
        }
    }

    /// The tick `now` falls in. Tick numbers wrap (the refill arithmetic expects that), and
    /// a time before the epoch wraps the same way upstream's unsigned arithmetic does.
    pub fn tick_of(&self, now: &timeval) -> u32 {
        let msec = (now.tv_sec as u64).wrapping_mul(1000).wrapping_add((now.tv_usec / 1000) as u64);
        // A configuration C filled in with a zero tick: the finest tick there is.
        (msec / u64::from(self.msec_per_tick.max(1))) as u32
    }
}

impl TokenBucket {
    /// A bucket starting at one tick's worth (the rate) in `tick`.
    pub fn new(cfg: &TokenBucketCfg, tick: u32) -> TokenBucket {
        TokenBucket { read_limit: cap(cfg.read_rate), write_limit: cap(cfg.write_rate), last_updated: tick }
    }

    pub fn limit(&self, dir: Direction) -> isize {
        match dir {
            Direction::Read => self.read_limit,
            Direction::Write => self.write_limit,
        }
    }

    fn limit_mut(&mut self, dir: Direction) -> &mut isize {
        match dir {
            Direction::Read => &mut self.read_limit,
            Direction::Write => &mut self.write_limit,
        }
    }

    /// A new configuration for an existing bucket: lowers it to the new bursts, and keeps
    /// what it has otherwise (this tick's bandwidth may already be spent) and its tick.
    pub fn clip_to(&mut self, cfg: &TokenBucketCfg) {
        for dir in DIRECTIONS {
            let limit = self.limit_mut(dir);
            *limit = (*limit).min(cap(cfg.maximum(dir)));
        }
    }

    /// Adds the rate for every tick since the last refill, up to the burst; false (nothing
    /// changed) when no tick passed or `tick` lies before the last refill (the clock went
    /// back: a difference above `i32::MAX` ticks is read as that).
    pub fn refill(&mut self, cfg: &TokenBucketCfg, tick: u32) -> bool {
        let ticks = tick.wrapping_sub(self.last_updated);
        if ticks == 0 || ticks > i32::MAX as u32 {
            return false;
        }
        for dir in DIRECTIONS {
            let limit = self.limit_mut(dir);
            let burst = cap(cfg.maximum(dir));
            if *limit < burst {
                let grown = *limit as i128 + i128::from(ticks) * cfg.rate(dir) as i128;
                *limit = grown.min(burst as i128) as isize;
            }
        }
        self.last_updated = tick;
        true
    }

    /// Takes `bytes` out of one direction (a negative amount puts some in), saturating.
    pub fn spend(&mut self, dir: Direction, bytes: isize) {
        let limit = self.limit_mut(dir);
        *limit = limit.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tv(sec: i64, usec: i64) -> timeval {
        timeval { tv_sec: sec, tv_usec: usec }
    }

    fn cfg(rate: usize, burst: usize) -> TokenBucketCfg {
        TokenBucketCfg::new(rate, burst, rate, burst, None).unwrap()
    }

    #[test]
    fn new_keeps_the_values_and_defaults_to_one_second() {
        let c = TokenBucketCfg::new(10, 20, 30, 40, None).unwrap();
        assert_eq!((c.read_rate, c.read_maximum, c.write_rate, c.write_maximum), (10, 20, 30, 40));
        assert_eq!((c.tick_timeout.tv_sec, c.tick_timeout.tv_usec, c.msec_per_tick), (1, 0, 1000));
        let c = TokenBucketCfg::new(1, 1, 1, 1, Some(tv(0, 100_500))).unwrap();
        assert_eq!((c.tick_timeout.tv_usec, c.msec_per_tick), (100_500, 100));
    }

    #[test]
    fn new_refuses_bad_rates() {
        assert_eq!(TokenBucketCfg::new(0, 1, 1, 1, None).err(), Some(CfgError::ZeroRate));
        assert_eq!(TokenBucketCfg::new(1, 1, 0, 1, None).err(), Some(CfgError::ZeroRate));
        assert_eq!(TokenBucketCfg::new(2, 1, 1, 1, None).err(), Some(CfgError::RateAboveBurst));
        assert_eq!(TokenBucketCfg::new(1, 1, 2, 1, None).err(), Some(CfgError::RateAboveBurst));
        let max = RATE_LIMIT_MAX;
        assert!(TokenBucketCfg::new(max, max, max, max, None).is_ok());
        assert_eq!(TokenBucketCfg::new(1, max + 1, 1, 1, None).err(), Some(CfgError::AboveLimitMax));
        assert_eq!(TokenBucketCfg::new(1, 1, 1, usize::MAX, None).err(), Some(CfgError::AboveLimitMax));
        assert_eq!(TokenBucketCfg::new(usize::MAX, usize::MAX, 1, 1, None).err(), Some(CfgError::AboveLimitMax));
    }

    #[test]
    fn new_refuses_ticks_that_would_divide_by_zero_or_wrap() {
        for bad in [tv(0, 0), tv(0, 999), tv(-1, 0), tv(0, -1), tv(536_870_912, 0), tv(i64::MAX, 0), tv(4_294_968, 0)] {
            assert_eq!(TokenBucketCfg::new(1, 1, 1, 1, Some(bad)).err(), Some(CfgError::BadTickLength), "{bad:?}");
        }
        assert_eq!(TokenBucketCfg::new(1, 1, 1, 1, Some(tv(0, 1000))).unwrap().msec_per_tick, 1);
        assert_eq!(TokenBucketCfg::new(1, 1, 1, 1, Some(tv(4_294_967, 295_000))).unwrap().msec_per_tick, u32::MAX);
    }

    #[test]
    fn common_timeout_tick_lengths_count_their_microseconds_only() {
        // A common timeout: magic 0x5 in the top bits, index 3, 250 ms.
        let common = tv(2, 0x5000_0000 | (3 << 20) | 250_000);
        let c = TokenBucketCfg::new(1, 1, 1, 1, Some(common)).unwrap();
        assert_eq!(c.msec_per_tick, 2250);
        assert_eq!(c.tick_timeout.tv_usec, common.tv_usec);
    }

    #[test]
    fn ticks_are_whole_tick_lengths_since_the_epoch() {
        let c = TokenBucketCfg::new(1, 1, 1, 1, Some(tv(0, 250_000))).unwrap();
        assert_eq!(c.tick_of(&tv(0, 0)), 0);
        assert_eq!(c.tick_of(&tv(0, 249_999)), 0);
        assert_eq!(c.tick_of(&tv(0, 250_000)), 1);
        assert_eq!(c.tick_of(&tv(10, 999_999)), 43);
        // Large times wrap at 2^32 ticks rather than overflowing.
        let ms = 1000 * (1u64 << 32) + 7;
        assert_eq!(cfg(1, 1).tick_of(&tv((ms / 1000) as i64, 0)) as u64, (ms / 1000) % (1 << 32));
        // A zero tick length filled in by C counts milliseconds instead of dividing by zero.
        let zero = TokenBucketCfg { msec_per_tick: 0, ..c };
        assert_eq!(zero.tick_of(&tv(1, 500_000)), 1500);
    }

    #[test]
    fn a_new_bucket_holds_one_rate_and_refills_up_to_the_burst() {
        let c = TokenBucketCfg::new(10, 25, 100, 100, None).unwrap();
        let mut b = TokenBucket::new(&c, 7);
        assert_eq!(b, TokenBucket { read_limit: 10, write_limit: 100, last_updated: 7 });
        assert!(!b.refill(&c, 7));
        b.spend(Direction::Read, 10);
        b.spend(Direction::Write, 150);
        assert!(b.refill(&c, 8));
        assert_eq!((b.read_limit, b.write_limit, b.last_updated), (10, 50, 8));
        assert!(b.refill(&c, 10));
        assert_eq!((b.read_limit, b.write_limit), (25, 100));
    }

    #[test]
    fn refill_survives_wrapping_ticks_and_ignores_time_going_back() {
        let c = cfg(10, 1000);
        let mut b = TokenBucket { read_limit: 0, write_limit: 0, last_updated: u32::MAX - 1 };
        assert!(b.refill(&c, 2));
        assert_eq!((b.read_limit, b.last_updated), (40, 2));
        assert!(!b.refill(&c, 1));
        assert_eq!((b.read_limit, b.last_updated), (40, 2));
    }

    #[test]
    fn refill_never_overflows() {
        let max = RATE_LIMIT_MAX;
        let c = cfg(max, max);
        let mut b = TokenBucket { read_limit: isize::MIN, write_limit: -1, last_updated: 0 };
        assert!(b.refill(&c, i32::MAX as u32));
        assert_eq!((b.read_limit, b.write_limit), (isize::MAX, isize::MAX));
        // A hand-made configuration beyond EV_RATE_LIMIT_MAX is capped at EV_SSIZE_MAX.
        let huge = TokenBucketCfg { read_rate: usize::MAX, read_maximum: usize::MAX, ..c };
        let mut b = TokenBucket::new(&huge, 0);
        assert_eq!(b.read_limit, isize::MAX);
        b.spend(Direction::Read, isize::MAX);
        assert!(b.refill(&huge, 1));
        assert_eq!(b.read_limit, isize::MAX);
    }

    #[test]
    fn refill_leaves_a_bucket_above_its_burst_alone() {
        let c = cfg(10, 100);
        let mut b = TokenBucket::new(&c, 0);
        b.spend(Direction::Read, -1000);
        assert!(b.refill(&c, 5));
        assert_eq!((b.read_limit, b.write_limit), (1010, 60));
    }

    #[test]
    fn clip_to_only_lowers() {
        let mut b = TokenBucket { read_limit: 500, write_limit: 5, last_updated: 3 };
        b.clip_to(&cfg(10, 100));
        assert_eq!(b, TokenBucket { read_limit: 100, write_limit: 5, last_updated: 3 });
    }

    #[test]
    fn spend_saturates() {
        let mut b = TokenBucket { read_limit: isize::MIN + 1, write_limit: isize::MAX - 1, last_updated: 0 };
        b.spend(Direction::Read, 10);
        b.spend(Direction::Write, -10);
        assert_eq!((b.read_limit, b.write_limit), (isize::MIN, isize::MAX));
        b.spend(Direction::Read, isize::MIN);
        assert_eq!(b.read_limit, 0);
    }
}
