//! Rate limiting of bufferevents: per-bufferevent token buckets and rate-limit groups (the
//! arithmetic is in [`super::ratelim`]; here are the timers and suspensions).
//!
//! - A bufferevent with a configuration (`bufferevent_set_rate_limit`, which the program keeps
//!   owning) has its own bucket, refilled lazily from the base's cached time whenever the
//!   reading or writing code asks how much it may move. Spending it to zero suspends that
//!   direction (`SUSPEND_BW`) and arms a one-tick refill timer, which lifts the suspension
//!   once the bucket is positive again.
//! - A group (`bufferevent_rate_limit_group_*`) owns a copy of its configuration and one
//!   bucket that a persistent timer refills every tick. A member may move its share per
//!   operation (the bucket divided among the members, at least `min_share`); when the bucket
//!   is spent every member is suspended (`SUSPEND_BW_GROUP`) until the next tick leaves it at
//!   least `min_share`. Members are resumed starting from a different one each time, so that
//!   the first member does not always get the bandwidth first.
//!
//! Lock order: a bufferevent's lock, then its group's. A group that suspends or resumes its
//! members while a member is locked only try-locks the others; one it cannot lock notices
//! the group's state the next time it asks for its limit (suspension) or is resumed at the
//! next tick (resumption).

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use libc::timeval;

use super::core::{self, upcast, BevPrivate, SuspendFlags, MAX_SINGLE_READ_DEFAULT, MAX_SINGLE_WRITE_DEFAULT, SUSPEND_BW, SUSPEND_BW_GROUP};
use super::layout::Bufferevent;
use super::ratelim::{Direction, TokenBucket, TokenBucketCfg, RATE_LIMIT_MAX};
use crate::base::EventBase;
use crate::event::{Event, EV_FINALIZE, EV_PERSIST};
use crate::ffi::event as ev;
use crate::thread::{self, RawLock};

/// A group's share floor when the program sets none.
const DEFAULT_MIN_SHARE: usize = 64;

/// The rate-limit state of one bufferevent (`struct bufferevent_rate_limit`).
pub struct RateLimit {
    /// The group it belongs to, or NULL.
    group: *mut Group,
    /// Its own configuration (the program's), or NULL.
    cfg: *const TokenBucketCfg,
    bucket: TokenBucket,
    /// Lifts SUSPEND_BW once the bucket refilled.
    refill: Event,
}

/// `struct bufferevent_rate_limit_group`.
pub struct Group {
    members: Vec<*mut Bufferevent>,
    cfg: TokenBucketCfg,
    bucket: TokenBucket,
    read_suspended: bool,
    write_suspended: bool,
    /// A resumption that could not reach every member: retried at the next tick.
    pending_unsuspend_read: bool,
    pending_unsuspend_write: bool,
    total_read: u64,
    total_written: u64,
    /// What the program asked for, and what applies (at most one tick's rate).
    configured_min_share: usize,
    min_share: usize,
    /// Where the next resumption starts.
    next_first: usize,
    refill: Event,
    lock: RawLock,
}

/// Suspends or resumes one direction of a bufferevent.
unsafe fn set_suspended(bev: *mut Bufferevent, dir: Direction, what: SuspendFlags, on: bool) {
    // SAFETY: live bufferevent (callers' contract).
    unsafe {
        match (dir, on) {
            (Direction::Read, true) => core::suspend_read(bev, what),
            (Direction::Read, false) => core::unsuspend_read(bev, what),
            (Direction::Write, true) => core::suspend_write(bev, what),
            (Direction::Write, false) => core::unsuspend_write(bev, what),
        }
    }
}

fn suspended_by(p: *mut BevPrivate, dir: Direction, what: SuspendFlags) -> bool {
    // SAFETY: live bufferevent (callers' contract).
    let s = unsafe {
        match dir {
            Direction::Read => (*p).read_suspended,
            Direction::Write => (*p).write_suspended,
        }
    };
    s & what != 0
}

fn current_tick(base: *mut EventBase, cfg: &TokenBucketCfg) -> u32 {
    let mut now = timeval { tv_sec: 0, tv_usec: 0 };
    // SAFETY: live base (the bufferevent's or group's); now is writable.
    unsafe { ev::event_base_gettimeofday_cached(base, &mut now) };
    cfg.tick_of(&now)
}

/// The refill timer of a bufferevent, for the finalizer's list (None without rate limits).
///
/// # Safety
/// `p` must be a live bufferevent.
pub unsafe fn refill_event(p: *mut BevPrivate) -> Option<*mut Event> {
    // SAFETY: live bufferevent (contract); the event is assigned when rl is made.
    unsafe {
        let rl = (*p).rate_limiting;
        (!rl.is_null()).then(|| &raw mut (*rl).refill)
    }
}

/// `bufferevent_ratelim_init_`: no limits, the default single read and write sizes.
///
/// # Safety
/// `p` must be a bufferevent being set up (no rate-limit state to lose).
pub unsafe fn init(p: *mut BevPrivate) {
    // SAFETY: being set up (contract).
    unsafe {
        (*p).rate_limiting = ptr::null_mut();
        (*p).max_single_read = MAX_SINGLE_READ_DEFAULT;
        (*p).max_single_write = MAX_SINGLE_WRITE_DEFAULT;
    }
}

/// The rate-limit state of a bufferevent, made on first use (NULL if out of memory).
unsafe fn ensure(bev: *mut Bufferevent) -> *mut RateLimit {
    let p = upcast(bev);
    // SAFETY: live, locked bufferevent (callers' contract); the new state is owned by it.
    unsafe {
        if (*p).rate_limiting.is_null() {
            let rl = Box::into_raw(Box::new(RateLimit { group: ptr::null_mut(), cfg: ptr::null(), bucket: TokenBucket::default(), refill: std::mem::zeroed() }));
            ev::event_assign(&raw mut (*rl).refill, (*bev).ev_base, -1, EV_FINALIZE, Some(bev_refill), bev.cast());
            (*p).rate_limiting = rl;
        }
        (*p).rate_limiting
    }
}

/// At finalization: leave the group, free the state (its timer was finalized with the rest).
///
/// # Safety
/// `p` must be a bufferevent being finalized.
pub unsafe fn destroy(p: *mut BevPrivate) {
    // SAFETY: being finalized (contract): nothing else uses the state.
    unsafe {
        let rl = (*p).rate_limiting;
        if rl.is_null() {
            return;
        }
        remove_from_group(&raw mut (*p).bev, false);
        (*p).rate_limiting = ptr::null_mut();
        drop(Box::from_raw(rl));
    }
}

/// Refills the bufferevent's own bucket to the current tick.
unsafe fn refresh(bev: *mut Bufferevent, rl: *mut RateLimit) {
    // SAFETY: live, locked bufferevent and its state with a cfg (callers' contract).
    unsafe {
        let cfg = &*(*rl).cfg;
        let tick = current_tick((*bev).ev_base, cfg);
        (*rl).bucket.refill(cfg, tick);
    }
}

/// `bufferevent_get_read_max_` / `_write_max_`: the most one operation may move now. Without
/// rate-limit state (the usual case) that is the single read/write size, inline in the I/O
/// paths.
#[inline]
fn get_max(p: *mut BevPrivate, dir: Direction) -> isize {
    // SAFETY: live, locked bufferevent (callers' contract).
    let (max, rl) = unsafe {
        let max = match dir {
            Direction::Read => (*p).max_single_read,
            Direction::Write => (*p).max_single_write,
        };
        (max, (*p).rate_limiting)
    };
    if rl.is_null() {
        max
    } else {
        limited_max(p, rl, dir, max)
    }
}

/// `get_max` under rate limits: `max` lowered to the buckets' limits.
#[inline(never)]
fn limited_max(p: *mut BevPrivate, rl: *mut RateLimit, dir: Direction, mut max: isize) -> isize {
    // SAFETY: live, locked bufferevent and its rate-limit state (callers' contract).
    unsafe {
        let bev = &raw mut (*p).bev;
        if !(*rl).cfg.is_null() {
            refresh(bev, rl);
            max = max.min((*rl).bucket.limit(dir));
        }
        let g = (*rl).group;
        if !g.is_null() {
            thread::lock((*g).lock, 0);
            let suspended = match dir {
                Direction::Read => (*g).read_suspended,
                Direction::Write => (*g).write_suspended,
            };
            let share = if suspended {
                // Suspending the group could not lock this member: catch up now.
                set_suspended(bev, dir, SUSPEND_BW_GROUP, true);
                0
            } else {
                let n = (*g).members.len().max(1) as isize;
                ((*g).bucket.limit(dir) / n).max((*g).min_share as isize)
            };
            thread::unlock((*g).lock, 0);
            max = max.min(share);
        }
        max.max(0)
    }
}

#[inline]
pub fn get_read_max(p: *mut BevPrivate) -> isize {
    get_max(p, Direction::Read)
}

#[inline]
pub fn get_write_max(p: *mut BevPrivate) -> isize {
    get_max(p, Direction::Write)
}

/// `bufferevent_decrement_read_buckets_` / `_write_buckets_`: `bytes` moved. 0, or -1 when
/// the refill timer could not be armed. Without rate-limit state nothing is counted (inline).
#[inline]
fn decrement_buckets(p: *mut BevPrivate, dir: Direction, bytes: isize) -> c_int {
    // SAFETY: live, locked bufferevent (callers' contract).
    let rl = unsafe { (*p).rate_limiting };
    if rl.is_null() {
        0
    } else {
        spend_buckets(p, rl, dir, bytes)
    }
}

/// `decrement_buckets` under rate limits.
#[inline(never)]
fn spend_buckets(p: *mut BevPrivate, rl: *mut RateLimit, dir: Direction, bytes: isize) -> c_int {
    let mut r = 0;
    // SAFETY: live, locked bufferevent and its rate-limit state (callers' contract).
    unsafe {
        let bev = &raw mut (*p).bev;
        if !(*rl).cfg.is_null() {
            (*rl).bucket.spend(dir, bytes);
            if own_bucket_changed(bev, rl, dir) < 0 {
                r = -1;
            }
        }
        let g = (*rl).group;
        if !g.is_null() {
            thread::lock((*g).lock, 0);
            (*g).bucket.spend(dir, bytes);
            match dir {
                Direction::Read => (*g).total_read += bytes as u64,
                Direction::Write => (*g).total_written += bytes as u64,
            }
            group_bucket_changed(g, dir);
            thread::unlock((*g).lock, 0);
        }
    }
    r
}

#[inline]
pub fn decrement_read_buckets(p: *mut BevPrivate, bytes: isize) -> c_int {
    decrement_buckets(p, Direction::Read, bytes)
}

#[inline]
pub fn decrement_write_buckets(p: *mut BevPrivate, bytes: isize) -> c_int {
    decrement_buckets(p, Direction::Write, bytes)
}

/// After the own bucket changed: suspend (arming the refill) when spent, resume when not.
unsafe fn own_bucket_changed(bev: *mut Bufferevent, rl: *mut RateLimit, dir: Direction) -> c_int {
    let p = upcast(bev);
    // SAFETY: live, locked bufferevent with a cfg (callers' contract).
    unsafe {
        if (*rl).bucket.limit(dir) <= 0 {
            set_suspended(bev, dir, SUSPEND_BW, true);
            return ev::event_add(&raw mut (*rl).refill, &(*(*rl).cfg).tick_timeout);
        }
        if suspended_by(p, dir, SUSPEND_BW) {
            let other = if dir == Direction::Read { Direction::Write } else { Direction::Read };
            if !suspended_by(p, other, SUSPEND_BW) {
                ev::event_del(&raw mut (*rl).refill);
            }
            set_suspended(bev, dir, SUSPEND_BW, false);
        }
    }
    0
}

/// The refill timer of one bufferevent.
unsafe extern "C" fn bev_refill(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    let p = upcast(bev);
    // SAFETY: the timer belongs to a live bufferevent (finalized with it).
    unsafe {
        core::incref_and_lock(bev);
        let rl = (*p).rate_limiting;
        if !rl.is_null() && !(*rl).cfg.is_null() {
            refresh(bev, rl);
            let mut again = false;
            for dir in [Direction::Read, Direction::Write] {
                if suspended_by(p, dir, SUSPEND_BW) {
                    if (*rl).bucket.limit(dir) > 0 {
                        set_suspended(bev, dir, SUSPEND_BW, false);
                    } else {
                        again = true;
                    }
                }
            }
            if again {
                ev::event_add(&raw mut (*rl).refill, &(*(*rl).cfg).tick_timeout);
            }
        }
        core::decref_and_unlock(bev);
    }
}

/// `bufferevent_set_rate_limit`: NULL removes the bufferevent's own limit.
///
/// # Safety
/// `bev` must be a live bufferevent; `cfg` NULL or a configuration outliving its use here.
pub unsafe fn set_rate_limit(bev: *mut Bufferevent, cfg: *const TokenBucketCfg) -> c_int {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let r = 'set: {
            if cfg.is_null() {
                let rl = (*p).rate_limiting;
                if !rl.is_null() {
                    (*rl).cfg = ptr::null();
                    core::unsuspend_read(bev, SUSPEND_BW);
                    core::unsuspend_write(bev, SUSPEND_BW);
                    ev::event_del(&raw mut (*rl).refill);
                }
                break 'set 0;
            }
            let rl = ensure(bev);
            if rl.is_null() {
                break 'set -1;
            }
            if (*rl).cfg == cfg {
                break 'set 0;
            }
            let c = &*cfg;
            let tick = current_tick((*bev).ev_base, c);
            if (*rl).cfg.is_null() {
                (*rl).bucket = TokenBucket::new(c, tick);
            } else {
                (*rl).bucket.clip_to(c);
            }
            (*rl).cfg = cfg;
            let mut suspended = false;
            for dir in [Direction::Read, Direction::Write] {
                let spent = (*rl).bucket.limit(dir) <= 0;
                set_suspended(bev, dir, SUSPEND_BW, spent);
                suspended |= spent;
            }
            if suspended {
                ev::event_add(&raw mut (*rl).refill, &c.tick_timeout);
            }
            0
        };
        core::unlock(bev);
        r
    }
}

/// `bufferevent_get_token_bucket_cfg`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_cfg(bev: *mut Bufferevent) -> *const TokenBucketCfg {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let rl = (*upcast(bev)).rate_limiting;
        let cfg = if rl.is_null() { ptr::null() } else { (*rl).cfg };
        core::unlock(bev);
        cfg
    }
}

/// `bufferevent_get_read_limit` / `_write_limit`: the own bucket, EV_SSIZE_MAX without one.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_limit(bev: *mut Bufferevent, dir: Direction) -> isize {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let rl = (*upcast(bev)).rate_limiting;
        let r = if rl.is_null() || (*rl).cfg.is_null() {
            RATE_LIMIT_MAX as isize
        } else {
            refresh(bev, rl);
            (*rl).bucket.limit(dir)
        };
        core::unlock(bev);
        r
    }
}

/// `bufferevent_get_max_to_read` / `_write`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_max_to(bev: *mut Bufferevent, dir: Direction) -> isize {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let r = get_max(upcast(bev), dir);
        core::unlock(bev);
        r
    }
}

/// `bufferevent_decrement_read_limit` / `_write_limit`: -1 when the bufferevent has no own
/// limit (upstream asserts) or the refill timer could not be armed.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn decrement_limit(bev: *mut Bufferevent, dir: Direction, decr: isize) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let rl = (*upcast(bev)).rate_limiting;
        let r = if rl.is_null() || (*rl).cfg.is_null() {
            warnx!("bufferevent_decrement_*_limit: the bufferevent has no rate limit");
            -1
        } else {
            (*rl).bucket.spend(dir, decr);
            own_bucket_changed(bev, rl, dir)
        };
        core::unlock(bev);
        r
    }
}

/// `bufferevent_set_max_single_read` / `_write`: 0 or too large means the default.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn set_max_single(bev: *mut Bufferevent, dir: Direction, size: usize) {
    let p = upcast(bev);
    let default = match dir {
        Direction::Read => MAX_SINGLE_READ_DEFAULT,
        Direction::Write => MAX_SINGLE_WRITE_DEFAULT,
    };
    let v = if size == 0 || size > RATE_LIMIT_MAX { default } else { size as isize };
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        match dir {
            Direction::Read => (*p).max_single_read = v,
            Direction::Write => (*p).max_single_write = v,
        }
        core::unlock(bev);
    }
}

/// `bufferevent_get_max_single_read` / `_write`.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_max_single(bev: *mut Bufferevent, dir: Direction) -> isize {
    let p = upcast(bev);
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let v = match dir {
            Direction::Read => (*p).max_single_read,
            Direction::Write => (*p).max_single_write,
        };
        core::unlock(bev);
        v
    }
}

// ---- groups ------------------------------------------------------------------------------------

/// Suspends (`on`) or resumes one direction of every member. Returns false when some member
/// could not be locked (see the module doc).
unsafe fn group_set_suspended(g: *mut Group, dir: Direction, on: bool) -> bool {
    // SAFETY: live, locked group (callers' contract); its members are live bufferevents.
    unsafe {
        match dir {
            Direction::Read => (*g).read_suspended = on,
            Direction::Write => (*g).write_suspended = on,
        }
        let n = (*g).members.len();
        let mut all = true;
        if n == 0 {
            return true;
        }
        let first = (*g).next_first % n;
        (*g).next_first = (*g).next_first.wrapping_add(1);
        for i in 0..n {
            let bev = (&(*g).members)[(first + i) % n];
            let lk = (*upcast(bev)).lock;
            if lk.is_null() || thread::try_lock(lk) {
                set_suspended(bev, dir, SUSPEND_BW_GROUP, on);
                thread::unlock(lk, 0);
            } else {
                all = false;
            }
        }
        all
    }
}

/// After the group's bucket changed (group locked).
unsafe fn group_bucket_changed(g: *mut Group, dir: Direction) {
    // SAFETY: live, locked group (contract).
    unsafe {
        let suspended = match dir {
            Direction::Read => (*g).read_suspended,
            Direction::Write => (*g).write_suspended,
        };
        if (*g).bucket.limit(dir) <= 0 {
            if !suspended {
                group_set_suspended(g, dir, true);
            }
        } else if suspended {
            let done = group_set_suspended(g, dir, false);
            set_pending(g, dir, !done);
        }
    }
}

unsafe fn set_pending(g: *mut Group, dir: Direction, on: bool) {
    // SAFETY: live, locked group (contract).
    unsafe {
        match dir {
            Direction::Read => (*g).pending_unsuspend_read = on,
            Direction::Write => (*g).pending_unsuspend_write = on,
        }
    }
}

/// The group's tick: refill, then resume what may go again.
unsafe extern "C" fn group_refill(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let g = arg.cast::<Group>();
    // SAFETY: the timer belongs to a live group (deleted when it is freed).
    unsafe {
        thread::lock((*g).lock, 0);
        let tick = current_tick((*g).refill.base, &(*g).cfg);
        (*g).bucket.refill(&(*g).cfg, tick);
        for dir in [Direction::Read, Direction::Write] {
            let (suspended, pending) = match dir {
                Direction::Read => ((*g).read_suspended, (*g).pending_unsuspend_read),
                Direction::Write => ((*g).write_suspended, (*g).pending_unsuspend_write),
            };
            if pending || (suspended && (*g).bucket.limit(dir) >= (*g).min_share as isize) {
                let done = group_set_suspended(g, dir, false);
                set_pending(g, dir, !done);
            }
        }
        thread::unlock((*g).lock, 0);
    }
}

/// The share floor that applies: what was asked for, at most one tick's rate.
fn effective_min_share(g: &Group) -> usize {
    g.configured_min_share.min(g.cfg.read_rate).min(g.cfg.write_rate)
}

/// `bufferevent_rate_limit_group_new`: the group copies `cfg`. NULL when the timer cannot run.
///
/// # Safety
/// `base` must be a live base.
pub unsafe fn group_new(base: *mut EventBase, cfg: &TokenBucketCfg) -> *mut Group {
    let tick = current_tick(base, cfg);
    let g = Box::into_raw(Box::new(Group {
        members: Vec::new(),
        cfg: *cfg,
        bucket: TokenBucket::new(cfg, tick),
        read_suspended: false,
        write_suspended: false,
        pending_unsuspend_read: false,
        pending_unsuspend_write: false,
        total_read: 0,
        total_written: 0,
        configured_min_share: DEFAULT_MIN_SHARE,
        min_share: 0,
        next_first: 0,
        // SAFETY: an all-zero struct event is the unassigned state.
        refill: unsafe { std::mem::zeroed() },
        lock: thread::alloc_lock(thread::LOCKTYPE_RECURSIVE),
    }));
    // SAFETY: g is ours; the timer is assigned to the live base before being added.
    unsafe {
        (*g).min_share = effective_min_share(&*g);
        ev::event_assign(&raw mut (*g).refill, base, -1, EV_PERSIST | EV_FINALIZE, Some(group_refill), g.cast());
        if ev::event_add(&raw mut (*g).refill, &(*g).cfg.tick_timeout) < 0 {
            thread::free_lock((*g).lock, thread::LOCKTYPE_RECURSIVE);
            drop(Box::from_raw(g));
            return ptr::null_mut();
        }
    }
    g
}

/// `bufferevent_rate_limit_group_set_cfg`: the bucket is clipped to the new bursts.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_set_cfg(g: *mut Group, cfg: &TokenBucketCfg) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        let same_tick = (*g).cfg.tick_timeout.tv_sec == cfg.tick_timeout.tv_sec && (*g).cfg.tick_timeout.tv_usec == cfg.tick_timeout.tv_usec;
        (*g).cfg = *cfg;
        (*g).bucket.clip_to(cfg);
        (*g).min_share = effective_min_share(&*g);
        let r = if same_tick { 0 } else { ev::event_add(&raw mut (*g).refill, &(*g).cfg.tick_timeout) };
        thread::unlock((*g).lock, 0);
        r
    }
}

/// `bufferevent_rate_limit_group_set_min_share`: -1 above EV_SSIZE_MAX.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_set_min_share(g: *mut Group, share: usize) -> c_int {
    if share > RATE_LIMIT_MAX {
        return -1;
    }
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        (*g).configured_min_share = share;
        (*g).min_share = effective_min_share(&*g);
        thread::unlock((*g).lock, 0);
    }
    0
}

/// `bufferevent_rate_limit_group_free`: members still in it leave it first.
///
/// # Safety
/// `g` must be a live group, not used afterwards.
pub unsafe fn group_free(g: *mut Group) {
    // SAFETY: live (contract); after the members left and the timer stopped, only we use it.
    unsafe {
        while let Some(&bev) = (*g).members.last() {
            remove_from_group(bev, true);
        }
        ev::event_del(&raw mut (*g).refill);
        thread::free_lock((*g).lock, thread::LOCKTYPE_RECURSIVE);
        drop(Box::from_raw(g));
    }
}

/// `bufferevent_add_to_rate_limit_group` (leaving its previous group): 0, or -1 out of memory.
///
/// # Safety
/// `bev` must be a live bufferevent and `g` a live group.
pub unsafe fn add_to_group(bev: *mut Bufferevent, g: *mut Group) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let rl = ensure(bev);
        if rl.is_null() {
            core::unlock(bev);
            return -1;
        }
        if (*rl).group != g {
            if !(*rl).group.is_null() {
                remove_from_group(bev, true);
            }
            thread::lock((*g).lock, 0);
            (*rl).group = g;
            (*g).members.push(bev);
            let (rs, ws) = ((*g).read_suspended, (*g).write_suspended);
            thread::unlock((*g).lock, 0);
            if rs {
                core::suspend_read(bev, SUSPEND_BW_GROUP);
            }
            if ws {
                core::suspend_write(bev, SUSPEND_BW_GROUP);
            }
        }
        core::unlock(bev);
    }
    0
}

/// `bufferevent_remove_from_rate_limit_group_internal_`: `unsuspend` lifts the group's
/// suspensions (not wanted when the bufferevent is going away).
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn remove_from_group(bev: *mut Bufferevent, unsuspend: bool) {
    // SAFETY: live (contract).
    unsafe {
        core::lock(bev);
        let rl = (*upcast(bev)).rate_limiting;
        if !rl.is_null() && !(*rl).group.is_null() {
            let g = (*rl).group;
            thread::lock((*g).lock, 0);
            (*g).members.retain(|&m| m != bev);
            (*rl).group = ptr::null_mut();
            thread::unlock((*g).lock, 0);
            if unsuspend {
                core::unsuspend_read(bev, SUSPEND_BW_GROUP);
                core::unsuspend_write(bev, SUSPEND_BW_GROUP);
            }
        }
        core::unlock(bev);
    }
}

/// `bufferevent_rate_limit_group_get_read_limit` / `_write_limit`.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_get_limit(g: *mut Group, dir: Direction) -> isize {
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        let v = (*g).bucket.limit(dir);
        thread::unlock((*g).lock, 0);
        v
    }
}

/// `bufferevent_rate_limit_group_decrement_read` / `_write`: spending may suspend the members,
/// refunding may resume them.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_decrement(g: *mut Group, dir: Direction, decr: isize) -> c_int {
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        (*g).bucket.spend(dir, decr);
        group_bucket_changed(g, dir);
        thread::unlock((*g).lock, 0);
    }
    0
}

/// `bufferevent_rate_limit_group_get_totals`: (read, written) since creation or the last reset.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_totals(g: *mut Group) -> (u64, u64) {
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        let t = ((*g).total_read, (*g).total_written);
        thread::unlock((*g).lock, 0);
        t
    }
}

/// `bufferevent_rate_limit_group_reset_totals`.
///
/// # Safety
/// `g` must be a live group.
pub unsafe fn group_reset_totals(g: *mut Group) {
    // SAFETY: live (contract).
    unsafe {
        thread::lock((*g).lock, 0);
        (*g).total_read = 0;
        (*g).total_written = 0;
        thread::unlock((*g).lock, 0);
    }
}
