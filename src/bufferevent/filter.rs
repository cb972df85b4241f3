//! Filtering bufferevents: a bufferevent on top of another (the underlying one), whose input is
//! what the input filter makes of the underlying's input, and whose output the output filter
//! turns into the underlying's output. NULL filters pass the data through.
//!
//! The filter takes over the underlying's callbacks and holds a reference on it. Reading
//! from the underlying is suspended (`SUSPEND_FILT_READ`) while the filter does not read or
//! its input is at its high watermark; draining the filter's input below it processes what
//! waited in the underlying's input (otherwise that data would stay stuck there).

use std::ffi::{c_int, c_short, c_void};
use std::ptr;

use super::core::{self, upcast, BevPrivate, SUSPEND_FILT_READ};
use super::layout::*;
use crate::buffer::callbacks::{CbInfo, CB_ENABLED};
use crate::buffer::{CbEntry, Evbuffer};
use crate::event::{EV_READ, EV_WRITE};
use crate::ffi::buffer as evb;
use crate::ffi::event as ev;

/// `bufferevent_filter_cb`; it returns an `enum bufferevent_filter_result`.
pub type FilterCb = unsafe extern "C" fn(src: *mut Evbuffer, dst: *mut Evbuffer, dst_limit: isize, mode: FlushMode, ctx: *mut c_void) -> u32;

/// `enum bufferevent_filter_result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterResult {
    Ok,
    NeedMore,
    Error,
}

/// What a filter returned; anything outside the enum counts as an error.
pub fn filter_result(r: u32) -> FilterResult {
    match r {
        0 => FilterResult::Ok,
        1 => FilterResult::NeedMore,
        2 => FilterResult::Error,
        _ => {
            warnx!("bufferevent filter returned {}, which is no bufferevent_filter_result: treated as BEV_ERROR", r);
            FilterResult::Error
        }
    }
}

#[no_mangle]
pub static bufferevent_ops_filter: BuffereventOps = BuffereventOps {
    type_name: c"filter".as_ptr(),
    mem_offset: 0,
    enable: Some(be_enable),
    disable: Some(be_disable),
    unlink: Some(be_unlink),
    destruct: Some(be_destruct),
    adj_timeouts: Some(be_adj_timeouts),
    flush: Some(be_flush),
    ctrl: Some(be_ctrl),
};

#[repr(C)]
struct FilterBev {
    p: BevPrivate,
    underlying: *mut Bufferevent,
    process_in: Option<FilterCb>,
    process_out: Option<FilterCb>,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    context: *mut c_void,
    /// The callback on our output that runs the output filter.
    outbuf_cb: *mut CbEntry,
    /// The output filter is running: a write from inside it must not start it again.
    outbuf_busy: bool,
}

fn f(bev: *mut Bufferevent) -> *mut FilterBev {
    bev.cast()
}

/// The pass-through filter: moves what fits.
unsafe extern "C" fn null_filter(src: *mut Evbuffer, dst: *mut Evbuffer, lim: isize, _mode: FlushMode, _ctx: *mut c_void) -> u32 {
    // SAFETY: two live buffers (the filter's and the underlying's).
    unsafe {
        let n = if lim < 0 { evb::evbuffer_get_length(src) } else { lim as usize };
        evb::evbuffer_remove_buffer(src, dst, n);
    }
    0
}

/// `bufferevent_filter_new`: NULL when out of memory.
///
/// # Safety
/// `underlying` must be a live bufferevent.
pub unsafe fn new(
    underlying: *mut Bufferevent,
    input_filter: Option<FilterCb>,
    output_filter: Option<FilterCb>,
    options: c_int,
    free_context: Option<unsafe extern "C" fn(*mut c_void)>,
    ctx: *mut c_void,
) -> *mut Bufferevent {
    let fb = crate::mm::calloc(1, std::mem::size_of::<FilterBev>()).cast::<FilterBev>();
    if fb.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: zeroed memory of a FilterBev, ours until returned; underlying is live.
    unsafe {
        (*fb).underlying = underlying;
        (*fb).process_in = Some(input_filter.unwrap_or(null_filter));
        (*fb).process_out = Some(output_filter.unwrap_or(null_filter));
        (*fb).free_context = free_context;
        (*fb).context = ctx;
        if core::init_common(&raw mut (*fb).p, (*underlying).ev_base, &bufferevent_ops_filter, options) < 0 {
            crate::mm::free(fb.cast());
            return ptr::null_mut();
        }
        let bev = &raw mut (*fb).p.bev;
        core::init_generic_timeout_cbs(bev);
        let outcb: crate::buffer::callbacks::CbFunc = outbuf_cb;
        (*fb).outbuf_cb = evb::evbuffer_add_cb((*bev).output, Some(outcb), bev.cast());
        let incb: crate::buffer::callbacks::CbFunc = inbuf_cb;
        evb::evbuffer_add_cb((*bev).input, Some(incb), bev.cast());
        core::setcb(underlying, Some(underlying_readcb), Some(underlying_writecb), Some(underlying_eventcb), bev.cast());
        core::incref(underlying);
        core::enable(underlying, EV_READ | EV_WRITE);
        core::suspend_read(underlying, SUSPEND_FILT_READ);
        bev
    }
}

/// Our input is at its high watermark (only NORMAL processing stops there).
unsafe fn readbuf_full(bev: *mut Bufferevent, mode: FlushMode) -> bool {
    // SAFETY: live filter (callers' contract).
    unsafe { mode == FlushMode::Normal && (*bev).wm_read.high != 0 && evb::evbuffer_get_length((*bev).input) >= (*bev).wm_read.high }
}

/// The underlying's output is at its high watermark.
unsafe fn underlying_writebuf_full(bev: *mut Bufferevent, mode: FlushMode) -> bool {
    // SAFETY: live filter and underlying (callers' contract).
    unsafe {
        let u = (*f(bev)).underlying;
        mode == FlushMode::Normal && (*u).wm_write.high != 0 && evb::evbuffer_get_length((*u).output) >= (*u).wm_write.high
    }
}

/// Restarts a generic timer if it has a timeout (also for TLS bufferevents in filter mode).
pub(crate) unsafe fn reset_timer(bev: *mut Bufferevent, dir: c_short) {
    // SAFETY: live filter (callers' contract).
    unsafe {
        let (e, tv) = core::generic_timer(bev, dir);
        if core::timer_is_set(&*tv) {
            ev::event_add(e, tv);
        }
    }
}

/// Runs the input filter while there is input for it and room for its output; true if it
/// produced anything.
unsafe fn process_input(bev: *mut Bufferevent, mode: FlushMode) -> bool {
    let fb = f(bev);
    let mut processed = false;
    // SAFETY: live, locked, referenced filter (callers' contract).
    unsafe {
        let u = (*fb).underlying;
        if mode == FlushMode::Normal && ((*bev).enabled & EV_READ == 0 || readbuf_full(bev, mode)) {
            return false;
        }
        let Some(filter) = (*fb).process_in else { return false };
        loop {
            let mut limit = -1;
            if mode == FlushMode::Normal && (*bev).wm_read.high != 0 {
                limit = (*bev).wm_read.high.saturating_sub(evb::evbuffer_get_length((*bev).input)) as isize;
            }
            let res = filter_result(filter((*u).input, (*bev).input, limit, mode, (*fb).context));
            if res == FilterResult::Ok {
                processed = true;
            }
            if res != FilterResult::Ok || (*bev).enabled & EV_READ == 0 || evb::evbuffer_get_length((*u).input) == 0 || readbuf_full(bev, mode) {
                break;
            }
        }
        if readbuf_full(bev, FlushMode::Normal) {
            core::suspend_read(u, SUSPEND_FILT_READ);
        }
        if processed {
            reset_timer(bev, EV_READ);
        }
    }
    processed
}

/// Runs the output filter while there is output and the underlying takes more; the filter's
/// write callback runs in between, and what it writes is processed too.
unsafe fn process_output(bev: *mut Bufferevent, mode: FlushMode) -> bool {
    let fb = f(bev);
    let mut processed_any = false;
    // SAFETY: live, locked, referenced filter (callers' contract).
    unsafe {
        if (*fb).outbuf_busy {
            return false;
        }
        let u = (*fb).underlying;
        if mode == FlushMode::Normal
            && ((*bev).enabled & EV_WRITE == 0 || underlying_writebuf_full(bev, mode) || evb::evbuffer_get_length((*bev).output) == 0)
        {
            return false;
        }
        let Some(filter) = (*fb).process_out else { return false };
        (*fb).outbuf_busy = true;
        evb::evbuffer_cb_clear_flags((*bev).output, (*fb).outbuf_cb, CB_ENABLED);
        let more = |bev: *mut Bufferevent| {
            (*bev).enabled & EV_WRITE != 0 && evb::evbuffer_get_length((*bev).output) != 0 && !underlying_writebuf_full(bev, mode)
        };
        loop {
            let mut processed = false;
            let mut res;
            loop {
                let mut limit = -1;
                if mode == FlushMode::Normal && (*u).wm_write.high != 0 {
                    limit = (*u).wm_write.high.saturating_sub(evb::evbuffer_get_length((*u).output)) as isize;
                }
                res = filter_result(filter((*bev).output, (*u).output, limit, mode, (*fb).context));
                if res == FilterResult::Ok {
                    processed = true;
                    processed_any = true;
                }
                if res != FilterResult::Ok || !more(bev) {
                    break;
                }
            }
            if processed {
                (*fb).outbuf_busy = false;
                core::trigger_nolock(bev, EV_WRITE, 0);
                (*fb).outbuf_busy = true;
            }
            // The write callback may have added more.
            if !(res == FilterResult::Ok && more(bev)) {
                break;
            }
        }
        evb::evbuffer_cb_set_flags((*bev).output, (*fb).outbuf_cb, CB_ENABLED);
        (*fb).outbuf_busy = false;
        if processed_any {
            reset_timer(bev, EV_WRITE);
        }
    }
    processed_any
}

/// The program appended to our output.
unsafe extern "C" fn outbuf_cb(_buf: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: installed on a live filter's output; info valid for the call.
    unsafe {
        if (*info).n_added == 0 {
            return;
        }
        core::incref_and_lock(bev);
        process_output(bev, FlushMode::Normal);
        core::decref_and_unlock(bev);
    }
}

/// The program drained our input: what waits underneath may come up now.
unsafe extern "C" fn inbuf_cb(_buf: *mut Evbuffer, info: *const CbInfo, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: installed on a live filter's input; info valid for the call.
    unsafe {
        if (*info).n_deleted == 0 || readbuf_full(bev, FlushMode::Normal) || (*bev).enabled & EV_READ == 0 {
            return;
        }
        core::incref_and_lock(bev);
        let u = (*f(bev)).underlying;
        if !u.is_null() {
            core::unsuspend_read(u, SUSPEND_FILT_READ);
            if evb::evbuffer_get_length((*u).input) != 0 && process_input(bev, FlushMode::Normal) {
                core::trigger_nolock(bev, EV_READ, 0);
            }
        }
        core::decref_and_unlock(bev);
    }
}

unsafe extern "C" fn underlying_readcb(_u: *mut Bufferevent, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: the underlying's callbacks are ours only while the filter lives.
    unsafe {
        core::incref_and_lock(bev);
        if process_input(bev, FlushMode::Normal) {
            core::trigger_nolock(bev, EV_READ, 0);
        }
        core::decref_and_unlock(bev);
    }
}

unsafe extern "C" fn underlying_writecb(_u: *mut Bufferevent, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: as in underlying_readcb.
    unsafe {
        core::incref_and_lock(bev);
        process_output(bev, FlushMode::Normal);
        core::decref_and_unlock(bev);
    }
}

/// The underlying's events are ours to report.
unsafe extern "C" fn underlying_eventcb(_u: *mut Bufferevent, what: c_short, arg: *mut c_void) {
    let bev = arg.cast::<Bufferevent>();
    // SAFETY: as in underlying_readcb.
    unsafe {
        core::incref_and_lock(bev);
        core::run_eventcb(bev, what, 0);
        core::decref_and_unlock(bev);
    }
}

unsafe extern "C" fn be_enable(bev: *mut Bufferevent, events: c_short) -> c_int {
    // SAFETY: called by the common code on a live filter.
    unsafe {
        if events & EV_WRITE != 0 {
            reset_timer(bev, EV_WRITE);
        }
        if events & EV_READ != 0 {
            reset_timer(bev, EV_READ);
            core::unsuspend_read((*f(bev)).underlying, SUSPEND_FILT_READ);
        }
    }
    0
}

unsafe extern "C" fn be_disable(bev: *mut Bufferevent, events: c_short) -> c_int {
    // SAFETY: as in be_enable.
    unsafe {
        if events & EV_WRITE != 0 {
            ev::event_del(&raw mut (*bev).ev_write);
        }
        if events & EV_READ != 0 {
            ev::event_del(&raw mut (*bev).ev_read);
            core::suspend_read((*f(bev)).underlying, SUSPEND_FILT_READ);
        }
    }
    0
}

/// At bufferevent_free of a bufferevent layered on `u` (a filter, or a TLS one in filter
/// mode, whose event callback on `u` is `ours`): with CLOSE_ON_FREE the underlying is freed
/// too (the layer's own reference on it goes at finalization); otherwise it gets its callbacks
/// and reading back to itself.
///
/// # Safety
/// `bev` must be live and locked, `u` its underlying, on which it holds a reference.
pub(crate) unsafe fn release_underlying(bev: *mut Bufferevent, u: *mut Bufferevent, ours: BuffereventEventCb) {
    // SAFETY: live (contract).
    unsafe {
        if (*upcast(bev)).options & BEV_OPT_CLOSE_ON_FREE != 0 {
            if (*upcast(u)).refcnt < 2 {
                warnx!("bufferevent_free: BEV_OPT_CLOSE_ON_FREE on a bufferevent whose underlying has too few references");
            } else {
                core::free(u);
            }
        } else {
            if (*u).errorcb.map(|cb| cb as usize) == Some(ours as usize) {
                core::setcb(u, None, None, None, ptr::null_mut());
            }
            core::unsuspend_read(u, SUSPEND_FILT_READ);
        }
    }
}

unsafe extern "C" fn be_unlink(bev: *mut Bufferevent) {
    // SAFETY: a live, locked filter; its underlying is live (we hold a reference).
    unsafe { release_underlying(bev, (*f(bev)).underlying, underlying_eventcb) }
}

unsafe extern "C" fn be_destruct(bev: *mut Bufferevent) {
    // SAFETY: called by the finalizer of a filter.
    unsafe {
        let fb = f(bev);
        if let Some(free_context) = (*fb).free_context {
            free_context((*fb).context);
        }
    }
}

unsafe extern "C" fn be_adj_timeouts(bev: *mut Bufferevent) -> c_int {
    // SAFETY: a live filter with generic timers.
    unsafe { core::generic_adj_timeouts(bev, false) }
}

/// Runs the filters in `mode` on what is buffered, then flushes the underlying. 1 if the
/// filters produced anything, 0 if not.
unsafe extern "C" fn be_flush(bev: *mut Bufferevent, iotype: c_short, mode: FlushMode) -> c_int {
    let mut any = false;
    // SAFETY: called by bufferevent_flush on a live, locked, referenced filter.
    unsafe {
        if iotype & EV_READ != 0 && process_input(bev, mode) {
            any = true;
            core::trigger_nolock(bev, EV_READ, 0);
        }
        if iotype & EV_WRITE != 0 {
            any |= process_output(bev, mode);
        }
        core::flush((*f(bev)).underlying, iotype, mode);
    }
    c_int::from(any)
}

/// The descriptor and cancelling belong to the underlying bufferevent.
unsafe extern "C" fn be_ctrl(bev: *mut Bufferevent, op: CtrlOp, data: *mut CtrlData) -> c_int {
    // SAFETY: called by the common code with a live filter and its data.
    unsafe {
        let u = (*f(bev)).underlying;
        match op {
            CtrlOp::GetUnderlying => {
                (*data).ptr = u.cast();
                0
            }
            CtrlOp::SetFd | CtrlOp::GetFd | CtrlOp::CancelAll => core::ctrl(u, op, &mut *data),
        }
    }
}
