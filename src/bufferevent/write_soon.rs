//! Output added inside a socket bufferevent's callback is written when that callback returns.
//!
//! A socket bufferevent starts writing new output from the loop (socket.rs `start_write`): its
//! write event is made active, and runs after every event already due in this turn. When a
//! program answers inside its callbacks, as servers and clients do, a batch of ready sockets
//! then runs all their callbacks first and makes all their writes afterwards. bench_httpclient
//! shows what that costs: each finished request starts the next one from its event callback
//! (socket, connect, write the request), and with a hundred finished requests a turn the
//! hundred connects go out first and the requests only after them, so the server wakes up for
//! each connection and again for each request that was not there yet (20 000 wake-ups of the
//! other CPU for 20 000 requests, against 11 000 for the same client without a library, which
//! writes right after connecting).
//!
//! So each thread keeps a list of the socket bufferevents whose writing started while one of
//! their socket callbacks was running; when the outermost of those callbacks returns (its
//! bufferevent unlocked), each one's write callback runs at once, as the loop would have run
//! it, and its turn in the loop is cancelled. The write event is still made active as before,
//! so everything that can look (event_pending on `bev->ev_write`) sees what it saw before, and
//! a write that cannot be made here is made by the loop. Only bufferevents of the base whose
//! callback is running are listed: another base's may belong to another thread, whose
//! callbacks must not run on this one. The list is not extended while it is being written:
//! what those writes start takes the loop's way, so the loop keeps polling between them.

use std::cell::Cell;
use std::ffi::c_short;
use std::ptr;

use super::core::{self, upcast, FREED, WRITE_SOON};
use super::layout::Bufferevent;
use crate::base::EventBase;
use crate::event::EV_WRITE;
use crate::ffi::event as ev;

struct Soon {
    /// Socket bufferevent callbacks running on this thread (nested ones counted).
    depth: Cell<u32>,
    /// The base of the outermost of them.
    base: Cell<*mut EventBase>,
    /// The list is being written.
    writing: Cell<bool>,
    /// First and last of the list, linked through `BevPrivate::write_soon_next`.
    head: Cell<*mut Bufferevent>,
    tail: Cell<*mut Bufferevent>,
}

thread_local! {
    static SOON: Soon = const {
        Soon {
            depth: Cell::new(0),
            base: Cell::new(ptr::null_mut()),
            writing: Cell::new(false),
            head: Cell::new(ptr::null_mut()),
            tail: Cell::new(ptr::null_mut()),
        }
    };
}

/// A socket bufferevent's event callback on `base` begins.
pub(super) fn enter(base: *mut EventBase) {
    let _ = SOON.try_with(|s| {
        if s.depth.get() == 0 {
            s.base.set(base);
        }
        s.depth.set(s.depth.get() + 1);
    });
}

/// It ends, its bufferevent unlocked: the outermost one makes the writes listed meanwhile.
pub(super) fn leave() {
    let _ = SOON.try_with(|s| {
        let depth = s.depth.get() - 1;
        if depth == 0 && !s.writing.get() && !s.head.get().is_null() {
            s.writing.set(true);
            write_listed(s);
            s.writing.set(false);
        }
        s.depth.set(depth);
    });
}

/// Lists `bev`, whose write event was just made active, when a socket callback of its base is
/// running on this thread.
///
/// # Safety
/// `bev` is a live, locked socket bufferevent.
pub(super) unsafe fn list(bev: *mut Bufferevent) {
    let p = upcast(bev);
    let _ = SOON.try_with(|s| {
        // SAFETY: live and locked (contract): its fields are ours to use.
        unsafe {
            if s.depth.get() == 0 || s.writing.get() || s.base.get() != (*bev).ev_base || (*p).state & WRITE_SOON != 0 {
                return;
            }
            (*p).state |= WRITE_SOON;
            core::incref(bev);
            (*p).write_soon_next = ptr::null_mut();
            let tail = s.tail.get();
            if tail.is_null() {
                s.head.set(bev);
            } else {
                (*upcast(tail)).write_soon_next = bev;
            }
            s.tail.set(bev);
        }
    });
}

/// Runs the write callback of each listed bufferevent whose write event is still due, in the
/// order they were listed, and drops the list's references.
fn write_listed(s: &Soon) {
    loop {
        let bev = s.head.get();
        if bev.is_null() {
            break;
        }
        let p = upcast(bev);
        // SAFETY: a listed bufferevent is live: the list holds a reference on it.
        unsafe {
            core::lock(bev);
            s.head.set((*p).write_soon_next);
            if s.head.get().is_null() {
                s.tail.set(ptr::null_mut());
            }
            (*p).state &= !WRITE_SOON;
            // Not freed by the program since, and its write not yet run or stopped (a disable
            // deletes the event).
            let e = &raw mut (*bev).ev_write;
            if (*p).state & FREED == 0 && ev::event_pending(e, EV_WRITE, ptr::null_mut()) != 0 {
                ev::event_del(e);
                super::socket::writecb((*bev).ev_write.fd, EV_WRITE as c_short, bev.cast());
            }
            core::decref_and_unlock(bev);
        }
    }
}
