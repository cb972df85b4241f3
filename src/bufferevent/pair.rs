//! Bufferevent pairs: two bufferevents joined like the ends of a socketpair, without one.
//! Data written to one end moves straight into the other end's input, as far as the reader
//! has reading enabled and below its high watermark.
//!
//! As with sockets, the user's callbacks run from the loop, never from inside the call that
//! moved the data: a pair always defers its callbacks (upstream's flush tests count on it).
//! With BEV_OPT_THREADSAFE both ends share one lock, so locking one end locks the pair; the
//! lock is shared-counted (thread::alloc_shared_lock), so it goes with the last end or buffer.

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use super::core::{self, upcast, BevPrivate};
use super::layout::*;
use crate::base::EventBase;
use crate::buffer::callbacks::CbInfo;
use crate::buffer::Evbuffer;
use crate::event::{EV_READ, EV_WRITE};
use crate::ffi::buffer as evb;
use crate::ffi::event as ev;

#[no_mangle]
pub static bufferevent_ops_pair: BuffereventOps = BuffereventOps {
    type_name: c"pair_elt".as_ptr(),
    mem_offset: 0,
    enable: Some(be_enable),
    disable: Some(be_disable),
    unlink: Some(be_unlink),
    destruct: None,
    adj_timeouts: Some(be_adj_timeouts),
    flush: Some(be_flush),
    ctrl: Some(be_ctrl),
};

/// One end of a pair.
#[repr(C)]
struct PairBev {
    p: BevPrivate,
    /// The other end, until either is freed.
    partner: *mut Bufferevent,
}

unsafe fn partner_of(bev: *mut Bufferevent) -> *mut Bufferevent {
    // SAFETY: bev is one end of a pair (callers' contract).
    unsafe { (*bev.cast::<PairBev>()).partner }
}

/// One end; NULL when out of memory.
unsafe fn elt_new(base: *mut EventBase, options: c_int) -> *mut Bufferevent {
    let pb = crate::mm::calloc(1, std::mem::size_of::<PairBev>()).cast::<PairBev>();
    if pb.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: zeroed memory of a PairBev, ours until returned.
    unsafe {
        if core::init_common(&raw mut (*pb).p, base, &bufferevent_ops_pair, options) < 0 {
            crate::mm::free(pb.cast());
            return ptr::null_mut();
        }
        let bev = &raw mut (*pb).p.bev;
        core::init_generic_timeout_cbs(bev);
        let cb: crate::buffer::callbacks::CbFunc = outbuf_cb;
        evb::evbuffer_add_cb((*bev).output, Some(cb), bev.cast());
        bev
    }
}

/// `bufferevent_pair_new`.
///
/// # Safety
/// `base` must be NULL (the current base) or a live base.
pub unsafe fn new(base: *mut EventBase, options: c_int, out: &mut [*mut Bufferevent; 2]) -> c_int {
    let base = crate::ffi::event::current_base_or(base);
    crate::ensure_arg!(!base.is_null(), -1, "bufferevent_pair_new: no event base");
    let options = options | BEV_OPT_DEFER_CALLBACKS;
    // SAFETY: live base; the two ends are ours until returned.
    unsafe {
        let a = elt_new(base, options);
        if a.is_null() {
            return -1;
        }
        let b = elt_new(base, options & !BEV_OPT_THREADSAFE);
        if b.is_null() {
            core::free(a);
            return -1;
        }
        if options & BEV_OPT_THREADSAFE != 0 {
            core::enable_locking(b, (*upcast(a)).lock);
        }
        (*a.cast::<PairBev>()).partner = b;
        (*b.cast::<PairBev>()).partner = a;
        out[0] = a;
        out[1] = b;
    }
    0
}

/// `bufferevent_pair_get_partner`: NULL for other kinds and once the other end is freed.
///
/// # Safety
/// `bev` must be a live bufferevent.
pub unsafe fn get_partner(bev: *mut Bufferevent) -> *mut Bufferevent {
    // SAFETY: live (contract).
    unsafe {
        if !ptr::eq((*bev).be_ops, &bufferevent_ops_pair) {
            return ptr::null_mut();
        }
        core::lock(bev);
        let p = partner_of(bev);
        core::unlock(bev);
        p
    }
}

/// Whether `src` has data for `dst` and both sides are open for it.
unsafe fn wants_to_talk(src: *mut Bufferevent, dst: *mut Bufferevent) -> bool {
    // SAFETY: the two live ends of a pair (callers' contract).
    unsafe {
        (*src).enabled & EV_WRITE != 0
            && (*upcast(src)).write_suspended == 0
            && (*dst).enabled & EV_READ != 0
            && (*upcast(dst)).read_suspended == 0
            && evb::evbuffer_get_length((*src).output) != 0
    }
}

/// Restarts a generic timer if its direction is on and has a timeout, else stops it.
unsafe fn reset_timer(bev: *mut Bufferevent, dir: c_short, on: bool) {
    // SAFETY: live bufferevent with generic timers (callers' contract).
    unsafe {
        let (e, tv) = core::generic_timer(bev, dir);
        if on && core::timer_is_set(&*tv) {
            ev::event_add(e, tv);
        } else {
            ev::event_del(e);
        }
    }
}

/// Moves what `src` has written into `dst`'s input (up to `dst`'s high watermark unless
/// `ignore_wm`), then tells both.
unsafe fn transfer(src: *mut Bufferevent, dst: *mut Bufferevent, ignore_wm: bool) {
    // SAFETY: the two live, locked ends of a pair (callers' contract).
    unsafe {
        let dst_len = evb::evbuffer_get_length((*dst).input);
        let src_len = evb::evbuffer_get_length((*src).output);
        let mut n = src_len;
        let high = (*dst).wm_read.high;
        if !ignore_wm && high != 0 {
            n = n.min(high.saturating_sub(dst_len));
        }
        if n == 0 {
            return;
        }
        if n == src_len {
            evb::evbuffer_add_buffer((*dst).input, (*src).output);
        } else {
            evb::evbuffer_remove_buffer((*src).output, (*dst).input, n);
        }
        reset_timer(dst, EV_READ, (*dst).enabled & EV_READ != 0);
        reset_timer(src, EV_WRITE, (*src).enabled & EV_WRITE != 0 && evb::evbuffer_get_length((*src).output) != 0);
        if evb::evbuffer_get_length((*dst).input) >= (*dst).wm_read.low {
            core::run_readcb(dst, 0);
        }
        if evb::evbuffer_get_length((*src).output) <= (*src).wm_write.low {
            core::run_writecb(src, 0);
        }
    }
}

/// Data appended to an end's output: hand it over if the partner listens.
unsafe extern "C" fn outbuf_cb(_buf: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: installed on a live end's output; info valid for the call. The lock is the
    // buffer's, which is the bufferevent's.
    unsafe {
        if (*info).n_added <= (*info).n_deleted {
            return;
        }
        let partner = partner_of(bev);
        if !partner.is_null() && wants_to_talk(bev, partner) {
            core::incref_and_lock(bev);
            transfer(bev, partner, false);
            core::decref_and_unlock(bev);
        }
    }
}

unsafe extern "C" fn be_enable(bev: *mut Bufferevent, events: c_short) -> c_int {
    // SAFETY: called by the common code on a live, locked, referenced end.
    unsafe {
        if events & EV_READ != 0 {
            reset_timer(bev, EV_READ, true);
        }
        if events & EV_WRITE != 0 && evb::evbuffer_get_length((*bev).output) != 0 {
            reset_timer(bev, EV_WRITE, true);
        }
        let partner = partner_of(bev);
        if partner.is_null() {
            return 0;
        }
        if events & EV_READ != 0 && wants_to_talk(partner, bev) {
            transfer(partner, bev, false);
        }
        if events & EV_WRITE != 0 && wants_to_talk(bev, partner) {
            transfer(bev, partner, false);
        }
    }
    0
}

unsafe extern "C" fn be_disable(bev: *mut Bufferevent, events: c_short) -> c_int {
    // SAFETY: as in be_enable.
    unsafe {
        if events & EV_READ != 0 {
            ev::event_del(&raw mut (*bev).ev_read);
        }
        if events & EV_WRITE != 0 {
            ev::event_del(&raw mut (*bev).ev_write);
        }
    }
    0
}

/// At bufferevent_free: the partner sees NULL from now on.
unsafe extern "C" fn be_unlink(bev: *mut Bufferevent) {
    // SAFETY: a live, locked end (the lock covers both ends).
    unsafe {
        let partner = partner_of(bev);
        if !partner.is_null() {
            (*partner.cast::<PairBev>()).partner = ptr::null_mut();
            (*bev.cast::<PairBev>()).partner = ptr::null_mut();
        }
    }
}

unsafe extern "C" fn be_adj_timeouts(bev: *mut Bufferevent) -> c_int {
    // SAFETY: a live end with generic timers.
    unsafe { core::generic_adj_timeouts(bev, false) }
}

/// BEV_FLUSH / BEV_FINISHED move everything, watermarks ignored; BEV_FINISHED also tells the
/// partner that this side is done (EOF for its reading and/or writing).
unsafe extern "C" fn be_flush(bev: *mut Bufferevent, iotype: c_short, mode: FlushMode) -> c_int {
    if mode == FlushMode::Normal {
        return 0;
    }
    // SAFETY: called by bufferevent_flush on a live, locked, referenced end.
    unsafe {
        let partner = partner_of(bev);
        if partner.is_null() {
            return -1;
        }
        if iotype & EV_READ != 0 {
            transfer(partner, bev, true);
        }
        if iotype & EV_WRITE != 0 {
            transfer(bev, partner, true);
        }
        if mode == FlushMode::Finished {
            let mut what = BEV_EVENT_EOF;
            if iotype & EV_READ != 0 {
                what |= BEV_EVENT_WRITING;
            }
            if iotype & EV_WRITE != 0 {
                what |= BEV_EVENT_READING;
            }
            core::run_eventcb(partner, what, 0);
        }
    }
    0
}

/// Pairs have no descriptor and nothing underneath.
unsafe extern "C" fn be_ctrl(_bev: *mut Bufferevent, op: CtrlOp, _data: *mut CtrlData) -> c_int {
    match op {
        CtrlOp::CancelAll => 0,
        CtrlOp::SetFd | CtrlOp::GetFd | CtrlOp::GetUnderlying => -1,
    }
}
