//! Entry points of `event2/listener.h`: argument checks, then `crate::listener`.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;

use crate::base::EventBase;
use crate::ffi::event::current_base_or;
use crate::listener::{Listener, ListenerCb, ListenerErrorCb};
use crate::util::socket;

/// The listener behind a C handle, or a warning and `$ret` for NULL.
macro_rules! listener_arg {
    ($lev:expr, $ret:expr, $func:literal) => {{
        ensure_arg!(!$lev.is_null(), $ret, concat!($func, ": NULL listener"));
        // SAFETY: a non-NULL handle from evconnlistener_new[_bind] that the caller has not
        // freed (the C API's contract).
        unsafe { &*$lev }
    }};
}

/// A NULL base means the 1.x API's current base, as for event_assign; none is an error.
fn base_arg(base: *mut EventBase, func: &str) -> Option<*mut EventBase> {
    let base = current_base_or(base);
    if base.is_null() {
        warnx!("{}: NULL base", func);
        return None;
    }
    Some(base)
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new(
    base: *mut EventBase,
    cb: Option<ListenerCb>,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    fd: c_int,
) -> *mut Listener {
    let Some(base) = base_arg(base, "evconnlistener_new") else { return ptr::null_mut() };
    ensure_arg!(socket::is_open(fd), ptr::null_mut(), "evconnlistener_new: bad socket {}", fd);
    // SAFETY: base is live (checked non-NULL; the caller's contract for the rest).
    unsafe { Listener::new(base, cb, ptr, flags, backlog, fd) }
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_new_bind(
    base: *mut EventBase,
    cb: Option<ListenerCb>,
    ptr: *mut c_void,
    flags: c_uint,
    backlog: c_int,
    sa: *const libc::sockaddr,
    socklen: c_int,
) -> *mut Listener {
    let Some(base) = base_arg(base, "evconnlistener_new_bind") else { return ptr::null_mut() };
    ensure_arg!(!sa.is_null(), ptr::null_mut(), "evconnlistener_new_bind: NULL address");
    // The family field must be there to read; bind checks the rest of the length.
    ensure_arg!(
        socklen >= std::mem::size_of::<libc::sa_family_t>() as c_int,
        ptr::null_mut(),
        "evconnlistener_new_bind: address length {} too short",
        socklen
    );
    // Upstream refuses it too: the socket would be bound but never listen.
    ensure_arg!(backlog != 0, ptr::null_mut(), "evconnlistener_new_bind: backlog 0");
    // SAFETY: sa points to socklen readable bytes (the C API's contract).
    let addr = unsafe { std::slice::from_raw_parts(sa.cast::<u8>(), socklen as usize) };
    // SAFETY: as in evconnlistener_new.
    unsafe { Listener::new_bind(base, cb, ptr, flags, backlog, addr) }
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_free(lev: *mut Listener) {
    ensure_arg!(!lev.is_null(), (), "evconnlistener_free: NULL listener");
    // SAFETY: a live listener handed back by its owner.
    unsafe { Listener::free(lev) }
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_enable(lev: *mut Listener) -> c_int {
    listener_arg!(lev, -1, "evconnlistener_enable").enable()
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_disable(lev: *mut Listener) -> c_int {
    listener_arg!(lev, -1, "evconnlistener_disable").disable()
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_base(lev: *mut Listener) -> *mut EventBase {
    listener_arg!(lev, ptr::null_mut(), "evconnlistener_get_base").base()
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_get_fd(lev: *mut Listener) -> c_int {
    listener_arg!(lev, -1, "evconnlistener_get_fd").fd()
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_cb(lev: *mut Listener, cb: Option<ListenerCb>, arg: *mut c_void) {
    ensure_arg!(!lev.is_null(), (), "evconnlistener_set_cb: NULL listener");
    // SAFETY: as in listener_arg!.
    unsafe { (*lev).set_cb(cb, arg) }
}

#[no_mangle]
pub unsafe extern "C" fn evconnlistener_set_error_cb(lev: *mut Listener, errorcb: Option<ListenerErrorCb>) {
    ensure_arg!(!lev.is_null(), (), "evconnlistener_set_error_cb: NULL listener");
    // SAFETY: as in listener_arg!.
    unsafe { (*lev).set_error_cb(errorcb) }
}
