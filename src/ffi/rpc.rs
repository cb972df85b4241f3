//! Entry points of `event2/rpc.h`: argument checks, then `crate::rpc`.
//!
//! Upstream checks none of these arguments (NULL crashes, a bad hook type asserts); here each
//! bad one is a warning and the function's failure result.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::ptr;

use crate::base::EventBase;
use crate::ffi::util::opt_cstr;
use crate::rpc::client::{self, EvrpcPool, EvrpcRequestWrapper, Messages, RpcDoneFn};
use crate::rpc::hooks::{Direction, Hooks, MetaSlot, RpcHookFn};
use crate::rpc::http::{Evhttp, EvhttpConnection};
use crate::rpc::server::{self, EvrpcBase, EvrpcReqGeneric, Evrpc, RpcHandlerFn, TailqEntry};
use crate::rpc::server::{MsgCompleteFn, MsgFreeFn, MsgMarshalFn, MsgNewFn, MsgUnmarshalFn};

/// `enum EVRPC_HOOK_TYPE` as C passes it (any value: checked, never trusted).
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct EvrpcHookType(pub c_uint);

/// `enum EVRPC_HOOK_RESULT` as C passes it to evrpc_resume_request.
#[repr(transparent)]
#[derive(Clone, Copy)]
pub struct EvrpcHookResult(pub c_int);

/// A C handle that must not be NULL: the reference, or a warning and `$ret`.
macro_rules! handle {
    ($p:expr, (), $func:literal, $what:literal) => {{
        ensure_arg!(!$p.is_null(), (), concat!($func, ": NULL ", $what));
        // SAFETY: as below.
        unsafe { &*$p }
    }};
    ($p:expr, $ret:expr, $func:literal, $what:literal) => {{
        ensure_arg!(!$p.is_null(), $ret, concat!($func, ": NULL ", $what));
        // SAFETY: a non-NULL handle the library made and the caller has not freed (the C
        // API's contract).
        unsafe { &*$p }
    }};
}

// ---- server ---------------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evrpc_init(server: *mut Evhttp) -> *mut EvrpcBase {
    ensure_arg!(!server.is_null(), ptr::null_mut(), "evrpc_init: NULL HTTP server");
    EvrpcBase::new(server)
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_free(base: *mut EvrpcBase) {
    ensure_arg!(!base.is_null(), (), "evrpc_free: NULL base");
    // SAFETY: a live base handed back by its owner.
    unsafe { server::free(base) }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_register_rpc(
    base: *mut EvrpcBase,
    rpc: *mut Evrpc,
    cb: Option<RpcHandlerFn>,
    cb_arg: *mut c_void,
) -> c_int {
    let b = handle!(base, -1, "evrpc_register_rpc", "base");
    ensure_arg!(!rpc.is_null(), -1, "evrpc_register_rpc: NULL rpc");
    let Some(cb) = cb else {
        warnx!("evrpc_register_rpc: NULL callback");
        return -1;
    };
    // SAFETY: the caller's struct evrpc.
    let r = unsafe { &*rpc };
    let complete = r.request_new.is_some()
        && r.request_free.is_some()
        && r.request_unmarshal.is_some()
        && r.reply_new.is_some()
        && r.reply_free.is_some()
        && r.reply_complete.is_some()
        && r.reply_marshal.is_some();
    ensure_arg!(!r.uri.is_null() && complete, -1, "evrpc_register_rpc: the rpc lacks its name or a message function");
    // SAFETY: a filled-in struct evrpc; upstream too takes it and its name over, to mm_free them.
    if unsafe { b.register(rpc, cb, cb_arg) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_register_generic(
    base: *mut EvrpcBase,
    name: *const c_char,
    callback: Option<RpcHandlerFn>,
    cbarg: *mut c_void,
    req_new: Option<MsgNewFn>,
    req_new_arg: *mut c_void,
    req_free: Option<MsgFreeFn>,
    req_unmarshal: Option<MsgUnmarshalFn>,
    rpl_new: Option<MsgNewFn>,
    rpl_new_arg: *mut c_void,
    rpl_free: Option<MsgFreeFn>,
    rpl_complete: Option<MsgCompleteFn>,
    rpl_marshal: Option<MsgMarshalFn>,
) -> c_int {
    let b = handle!(base, -1, "evrpc_register_generic", "base");
    // SAFETY: NULL or a C string (the C API's contract).
    let Some(name) = (unsafe { opt_cstr(name) }) else {
        warnx!("evrpc_register_generic: NULL name");
        return -1;
    };
    let complete = callback.is_some()
        && req_new.is_some()
        && req_free.is_some()
        && req_unmarshal.is_some()
        && rpl_new.is_some()
        && rpl_free.is_some()
        && rpl_complete.is_some()
        && rpl_marshal.is_some();
    ensure_arg!(complete, -1, "evrpc_register_generic: NULL callback or message function for {:?}", name);
    let template = Evrpc {
        next: TailqEntry { tqe_next: ptr::null_mut(), tqe_prev: ptr::null_mut() },
        uri: ptr::null(),
        request_new: req_new,
        request_new_arg: req_new_arg,
        request_free: req_free,
        request_unmarshal: req_unmarshal,
        reply_new: rpl_new,
        reply_new_arg: rpl_new_arg,
        reply_free: rpl_free,
        reply_complete: rpl_complete,
        reply_marshal: rpl_marshal,
        cb: callback,
        cb_arg: cbarg,
        base,
    };
    // SAFETY: C function pointers of the declared types.
    if unsafe { b.register_new(name, template) } {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_unregister_rpc(base: *mut EvrpcBase, name: *const c_char) -> c_int {
    let b = handle!(base, -1, "evrpc_unregister_rpc", "base");
    // SAFETY: NULL or a C string.
    let Some(name) = (unsafe { opt_cstr(name) }) else {
        warnx!("evrpc_unregister_rpc: NULL name");
        return -1;
    };
    if b.unregister(name) {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_done(req: *mut EvrpcReqGeneric) {
    ensure_arg!(!req.is_null(), (), "evrpc_request_done: NULL request");
    // SAFETY: a request handed to a handler, answered once (the C API's contract).
    unsafe { server::request_done(req) }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_reqstate_free_(rpc_state: *mut EvrpcReqGeneric) {
    ensure_arg!(!rpc_state.is_null(), (), "evrpc_reqstate_free_: NULL request");
    // SAFETY: a live request, not used afterwards.
    unsafe { server::free_request(rpc_state) }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_request(req: *mut EvrpcReqGeneric) -> *mut c_void {
    handle!(req, ptr::null_mut(), "evrpc_get_request", "request").request()
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_get_reply(req: *mut EvrpcReqGeneric) -> *mut c_void {
    handle!(req, ptr::null_mut(), "evrpc_get_reply", "request").reply()
}

// ---- client ---------------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn evrpc_pool_new(base: *mut EventBase) -> *mut EvrpcPool {
    EvrpcPool::new(base)
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_free(pool: *mut EvrpcPool) {
    ensure_arg!(!pool.is_null(), (), "evrpc_pool_free: NULL pool");
    // SAFETY: a live pool handed back by its owner.
    unsafe { client::free(pool) }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_add_connection(pool: *mut EvrpcPool, evcon: *mut EvhttpConnection) {
    ensure_arg!(!pool.is_null() && !evcon.is_null(), (), "evrpc_pool_add_connection: NULL argument");
    // SAFETY: a live pool and connection (the C API's contract).
    if !unsafe { EvrpcPool::add_connection(pool, evcon) } {
        warnx!("evrpc_pool_add_connection: a server's connection, or one the pool has already");
    }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_remove_connection(pool: *mut EvrpcPool, evcon: *mut EvhttpConnection) {
    let p = handle!(pool, (), "evrpc_pool_remove_connection", "pool");
    if !p.remove_connection(evcon) {
        warnx!("evrpc_pool_remove_connection: the connection is not in the pool");
    }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_pool_set_timeout(pool: *mut EvrpcPool, timeout_in_secs: c_int) {
    handle!(pool, (), "evrpc_pool_set_timeout", "pool").set_timeout(timeout_in_secs);
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_make_request_ctx(
    pool: *mut EvrpcPool,
    request: *mut c_void,
    reply: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<MsgMarshalFn>,
    rpl_clear: Option<MsgFreeFn>,
    rpl_unmarshal: Option<MsgUnmarshalFn>,
    cb: Option<RpcDoneFn>,
    cbarg: *mut c_void,
) -> *mut EvrpcRequestWrapper {
    // SAFETY: NULL or a C string.
    let name = unsafe { opt_cstr(rpcname) };
    let (Some(name), Some(request_marshal), Some(reply_clear), Some(reply_unmarshal), Some(cb)) =
        (name, req_marshal, rpl_clear, rpl_unmarshal, cb)
    else {
        warnx!("evrpc_make_request_ctx: NULL name, message function or callback");
        return ptr::null_mut();
    };
    let msgs = Messages { request, reply, request_marshal, reply_clear, reply_unmarshal };
    client::new_ctx(pool, name, msgs, cb, cbarg)
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_make_request(ctx: *mut EvrpcRequestWrapper) -> c_int {
    let c = handle!(ctx, -1, "evrpc_make_request", "context");
    ensure_arg!(c.is_unsent(), -1, "evrpc_make_request: the RPC has been sent already");
    // SAFETY: an unsent context; its pool is NULL or live (the C API's contract).
    unsafe { client::send(ctx) }
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn evrpc_send_request_generic(
    pool: *mut EvrpcPool,
    request: *mut c_void,
    reply: *mut c_void,
    cb: Option<RpcDoneFn>,
    cb_arg: *mut c_void,
    rpcname: *const c_char,
    req_marshal: Option<MsgMarshalFn>,
    rpl_clear: Option<MsgFreeFn>,
    rpl_unmarshal: Option<MsgUnmarshalFn>,
) -> c_int {
    // SAFETY: forwarded.
    let ctx = unsafe {
        evrpc_make_request_ctx(pool, request, reply, rpcname, req_marshal, rpl_clear, rpl_unmarshal, cb, cb_arg)
    };
    if ctx.is_null() {
        if let Some(cb) = cb {
            // SAFETY: the program's callback with its own objects.
            unsafe { client::report_unstarted(cb, request, reply, cb_arg) };
        }
        return -1;
    }
    // SAFETY: a fresh context.
    unsafe { client::send(ctx) }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_get_pool(ctx: *mut EvrpcRequestWrapper) -> *mut EvrpcPool {
    handle!(ctx, ptr::null_mut(), "evrpc_request_get_pool", "context").pool()
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_pool(ctx: *mut EvrpcRequestWrapper, pool: *mut EvrpcPool) {
    let c = handle!(ctx, (), "evrpc_request_set_pool", "context");
    if !c.set_pool(pool) {
        warnx!("evrpc_request_set_pool: the RPC has been sent already");
    }
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_request_set_cb(ctx: *mut EvrpcRequestWrapper, cb: Option<RpcDoneFn>, cb_arg: *mut c_void) {
    let c = handle!(ctx, (), "evrpc_request_set_cb", "context");
    let Some(cb) = cb else {
        warnx!("evrpc_request_set_cb: NULL callback");
        return;
    };
    c.set_cb(cb, cb_arg);
}

// ---- hooks ----------------------------------------------------------------------------------

/// The hooks of a `void *vbase` (a base or a pool) and the list a hook type names.
unsafe fn hooks_arg<'a>(vbase: *mut c_void, hook_type: EvrpcHookType, func: &str) -> Option<(&'a Hooks, Direction)> {
    if vbase.is_null() {
        warnx!("{}: NULL base or pool", func);
        return None;
    }
    let Some(dir) = c_int::try_from(hook_type.0).ok().and_then(Direction::from_c) else {
        warnx!("{}: hook type {} is neither EVRPC_INPUT nor EVRPC_OUTPUT", func, hook_type.0);
        return None;
    };
    // SAFETY: a live base or pool (the C API's contract).
    Some((unsafe { Hooks::from_vbase(vbase) }, dir))
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_add_hook(
    vbase: *mut c_void,
    hook_type: EvrpcHookType,
    cb: Option<RpcHookFn>,
    cb_arg: *mut c_void,
) -> *mut c_void {
    // SAFETY: forwarded.
    let Some((hooks, dir)) = (unsafe { hooks_arg(vbase, hook_type, "evrpc_add_hook") }) else { return ptr::null_mut() };
    let Some(cb) = cb else {
        warnx!("evrpc_add_hook: NULL callback");
        return ptr::null_mut();
    };
    hooks.add(dir, cb, cb_arg)
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_remove_hook(vbase: *mut c_void, hook_type: EvrpcHookType, handle: *mut c_void) -> c_int {
    // SAFETY: forwarded.
    let Some((hooks, dir)) = (unsafe { hooks_arg(vbase, hook_type, "evrpc_remove_hook") }) else { return 0 };
    hooks.remove(dir, handle) as c_int
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_resume_request(vbase: *mut c_void, ctx: *mut c_void, res: EvrpcHookResult) -> c_int {
    ensure_arg!(!vbase.is_null(), -1, "evrpc_resume_request: NULL base or pool");
    // SAFETY: a live base or pool, whose paused RPCs are live.
    if unsafe { Hooks::from_vbase(vbase).resume(ctx, res.0) } {
        0
    } else {
        -1
    }
}

/// The meta data of a hook's context.
unsafe fn meta_arg<'a>(ctx: *mut c_void, func: &str) -> Option<&'a MetaSlot> {
    if ctx.is_null() {
        warnx!("{}: NULL context", func);
        return None;
    }
    // SAFETY: a context handed to a hook (the C API's contract).
    Some(unsafe { MetaSlot::of_ctx(ctx) })
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_add_meta(ctx: *mut c_void, key: *const c_char, data: *const c_void, data_size: usize) {
    // SAFETY: forwarded.
    let Some(meta) = (unsafe { meta_arg(ctx, "evrpc_hook_add_meta") }) else { return };
    // SAFETY: NULL or a C string.
    let Some(key) = (unsafe { opt_cstr(key) }) else {
        warnx!("evrpc_hook_add_meta: NULL key");
        return;
    };
    ensure_arg!(!data.is_null() || data_size == 0, (), "evrpc_hook_add_meta: NULL data of {} bytes", data_size);
    let bytes = if data_size == 0 {
        &[][..]
    } else {
        // SAFETY: data_size readable bytes (the C API's contract).
        unsafe { std::slice::from_raw_parts(data.cast::<u8>(), data_size) }
    };
    meta.add(key, bytes);
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_find_meta(ctx: *mut c_void, key: *const c_char, data: *mut *mut c_void, data_size: *mut usize) -> c_int {
    // SAFETY: forwarded.
    let Some(meta) = (unsafe { meta_arg(ctx, "evrpc_hook_find_meta") }) else { return -1 };
    // SAFETY: NULL or a C string.
    let key = unsafe { opt_cstr(key) };
    let (Some(key), false, false) = (key, data.is_null(), data_size.is_null()) else {
        warnx!("evrpc_hook_find_meta: NULL argument");
        return -1;
    };
    let Some((p, len)) = meta.find(key) else { return -1 };
    // SAFETY: the caller's out-parameters.
    unsafe {
        *data = p;
        *data_size = len;
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn evrpc_hook_get_connection(ctx: *mut c_void) -> *mut EvhttpConnection {
    // SAFETY: forwarded.
    let Some(meta) = (unsafe { meta_arg(ctx, "evrpc_hook_get_connection") }) else { return ptr::null_mut() };
    meta.connection()
}
