//! The server side: RPCs registered under "/.rpc.<name>" of an evhttp server, and the
//! requests they receive.
//!
//! A request goes: POST with a body (else 503) -> input hooks -> decode into a new request
//! object, make an empty reply -> the program's handler, which later calls
//! `evrpc_request_done` -> check the reply is complete, marshal it -> output hooks -> 200 with
//! the marshalled reply. Any failure on the way answers 503 (upstream's HTTP_SERVUNAVAIL) and
//! frees the request; a hook may pause either hook stage.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use super::hooks::{Direction, Hooks, MetaSlot, Resume, Verdict};
use super::http::{self, Evhttp, EvhttpRequest};
use super::{mm_alloc, mm_release, rpc_path};
use crate::buffer::{self, Evbuffer};

/// `void *(*)(void *)`: a generated `<type>_new_with_arg`.
pub type MsgNewFn = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
/// `void (*)(void *)`: a generated `<type>_free` or `<type>_clear`.
pub type MsgFreeFn = unsafe extern "C" fn(*mut c_void);
/// `int (*)(void *, struct evbuffer *)`: a generated `<type>_unmarshal`.
pub type MsgUnmarshalFn = unsafe extern "C" fn(*mut c_void, *mut Evbuffer) -> c_int;
/// `int (*)(void *)`: a generated `<type>_complete`.
pub type MsgCompleteFn = unsafe extern "C" fn(*mut c_void) -> c_int;
/// `void (*)(struct evbuffer *, void *)`: a generated `<type>_marshal`.
pub type MsgMarshalFn = unsafe extern "C" fn(*mut Evbuffer, *mut c_void);
/// `void (*)(struct evrpc_req_generic *, void *)`: the program's handler of an RPC.
pub type RpcHandlerFn = unsafe extern "C" fn(*mut EvrpcReqGeneric, *mut c_void);

/// `TAILQ_ENTRY(evrpc)`: part of the public layout only; the base keeps its own list.
#[repr(C)]
pub struct TailqEntry {
    pub tqe_next: *mut Evrpc,
    pub tqe_prev: *mut *mut Evrpc,
}

/// `struct evrpc` (rpc_struct.h).
#[repr(C)]
pub struct Evrpc {
    pub next: TailqEntry,
    pub uri: *const c_char,
    pub request_new: Option<MsgNewFn>,
    pub request_new_arg: *mut c_void,
    pub request_free: Option<MsgFreeFn>,
    pub request_unmarshal: Option<MsgUnmarshalFn>,
    pub reply_new: Option<MsgNewFn>,
    pub reply_new_arg: *mut c_void,
    pub reply_free: Option<MsgFreeFn>,
    pub reply_complete: Option<MsgCompleteFn>,
    pub reply_marshal: Option<MsgMarshalFn>,
    pub cb: Option<RpcHandlerFn>,
    pub cb_arg: *mut c_void,
    pub base: *mut EvrpcBase,
}

const _: () = assert!(std::mem::size_of::<Evrpc>() == 120);
const _: () = assert!(std::mem::offset_of!(Evrpc, uri) == 16);
const _: () = assert!(std::mem::offset_of!(Evrpc, reply_marshal) == 88);
const _: () = assert!(std::mem::offset_of!(Evrpc, base) == 112);

/// An RPC's functions, all present (checked when it is registered and again per request,
/// since C may change its struct evrpc in between).
#[derive(Clone, Copy)]
struct Handlers {
    request_new: MsgNewFn,
    request_new_arg: *mut c_void,
    request_free: MsgFreeFn,
    request_unmarshal: MsgUnmarshalFn,
    reply_new: MsgNewFn,
    reply_new_arg: *mut c_void,
    reply_free: MsgFreeFn,
    reply_complete: MsgCompleteFn,
    reply_marshal: MsgMarshalFn,
    cb: RpcHandlerFn,
    cb_arg: *mut c_void,
}

impl Handlers {
    fn of(rpc: &Evrpc) -> Option<Handlers> {
        Some(Handlers {
            request_new: rpc.request_new?,
            request_new_arg: rpc.request_new_arg,
            request_free: rpc.request_free?,
            request_unmarshal: rpc.request_unmarshal?,
            reply_new: rpc.reply_new?,
            reply_new_arg: rpc.reply_new_arg,
            reply_free: rpc.reply_free?,
            reply_complete: rpc.reply_complete?,
            reply_marshal: rpc.reply_marshal?,
            cb: rpc.cb?,
            cb_arg: rpc.cb_arg,
        })
    }
}

/// `struct evrpc_base`, opaque to C: the RPCs served on one evhttp server.
#[repr(C)]
pub struct EvrpcBase {
    /// First: `void *vbase` hook functions see a base as its hooks.
    hooks: Hooks,
    http: *mut Evhttp,
    /// Registered RPCs (from mm, each with its name), in registration order.
    rpcs: RefCell<Vec<*mut Evrpc>>,
    /// The program's reference (until evrpc_free) plus one per unfinished request.
    refs: Cell<usize>,
    /// False once evrpc_free has run: requests still pending finish without hooks.
    alive: Cell<bool>,
}

/// `struct evrpc_req_generic`: one request being served. C reads the first six fields
/// (EVRPC_STRUCT(name) is the same struct, typed), the rest is ours.
#[repr(C)]
pub struct EvrpcReqGeneric {
    meta: MetaSlot,
    request: Cell<*mut c_void>,
    reply: Cell<*mut c_void>,
    rpc: *mut Evrpc,
    http_req: *mut EvhttpRequest,
    /// The marshalled reply, once evrpc_request_done has made it.
    rpc_data: Cell<*mut Evbuffer>,
    base: *mut EvrpcBase,
    handlers: Handlers,
}

const _: () = assert!(std::mem::offset_of!(EvrpcReqGeneric, request) == 8);
const _: () = assert!(std::mem::offset_of!(EvrpcReqGeneric, reply) == 16);
const _: () = assert!(std::mem::offset_of!(EvrpcReqGeneric, rpc) == 24);
const _: () = assert!(std::mem::offset_of!(EvrpcReqGeneric, http_req) == 32);
const _: () = assert!(std::mem::offset_of!(EvrpcReqGeneric, rpc_data) == 40);

impl EvrpcBase {
    /// `evrpc_init`: a base serving on `http`; NULL when out of memory.
    pub fn new(http: *mut Evhttp) -> *mut EvrpcBase {
        mm_alloc(EvrpcBase {
            hooks: Hooks::default(),
            http,
            rpcs: RefCell::new(Vec::new()),
            refs: Cell::new(1),
            alive: Cell::new(true),
        })
    }

    /// Registers a struct evrpc (with a name and every message function): served under
    /// "/.rpc.<name>" by `cb(request, cb_arg)`. False (with a warning) when its name is taken;
    /// the struct is then still the caller's.
    ///
    /// # Safety
    /// `rpc` must point to a struct evrpc from mm whose `uri` is a string from mm; on success
    /// both belong to the base.
    pub unsafe fn register(&self, rpc: *mut Evrpc, cb: RpcHandlerFn, cb_arg: *mut c_void) -> bool {
        // SAFETY: contract.
        let name = unsafe { CStr::from_ptr((*rpc).uri) };
        if self.find(name).is_some() {
            warnx!("evrpc_register_rpc: an RPC named {:?} is already registered", name);
            return false;
        }
        let base = ptr::from_ref(self).cast_mut();
        // SAFETY: contract (the struct is the caller's to fill in).
        unsafe {
            (*rpc).base = base;
            (*rpc).cb = Some(cb);
            (*rpc).cb_arg = cb_arg;
        }
        // SAFETY: the base's server lives as long as the base (evrpc_init's contract).
        if !unsafe { http::set_cb(self.http, &rpc_path(name), on_request, rpc.cast()) } {
            warnx!("evrpc_register_rpc: the HTTP server already serves {:?}", rpc_path(name));
            return false;
        }
        self.rpcs.borrow_mut().push(rpc);
        true
    }

    /// `evrpc_register_generic`: a new struct evrpc named `name` with the functions of
    /// `template`, registered. False when out of memory or the name is taken.
    ///
    /// # Safety
    /// `template`'s functions must have the types they are declared with.
    pub unsafe fn register_new(&self, name: &CStr, template: Evrpc) -> bool {
        let (Some(cb), cb_arg) = (template.cb, template.cb_arg) else { return false };
        // SAFETY: name is a C string.
        let uri = unsafe { crate::mm::strdup(name.as_ptr()) };
        if uri.is_null() {
            return false;
        }
        let rpc = mm_alloc(Evrpc { uri, ..template });
        if rpc.is_null() {
            crate::mm::free(uri.cast());
            return false;
        }
        // SAFETY: both from mm, as register wants.
        if unsafe { self.register(rpc, cb, cb_arg) } {
            return true;
        }
        // SAFETY: not registered, so still ours.
        unsafe { free_evrpc(rpc) };
        false
    }

    fn find(&self, name: &CStr) -> Option<usize> {
        // SAFETY: registered structs and their names live until unregistered.
        self.rpcs.borrow().iter().position(|&rpc| unsafe { CStr::from_ptr((*rpc).uri) } == name)
    }

    /// `evrpc_unregister_rpc`: stops serving RPC `name` and frees its struct evrpc. Its
    /// pending requests finish normally (they copied its functions). False when no RPC has
    /// that name.
    pub fn unregister(&self, name: &CStr) -> bool {
        let Some(i) = self.find(name) else { return false };
        let rpc = self.rpcs.borrow_mut().remove(i);
        // SAFETY: the server outlives the base.
        if !unsafe { http::del_cb(self.http, &rpc_path(name)) } {
            warnx!("evrpc_unregister_rpc: the HTTP server no longer served {:?}", rpc_path(name));
        }
        // SAFETY: registered, so from mm and ours; nothing refers to it any more.
        unsafe { free_evrpc(rpc) };
        true
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }
}

/// Frees a struct evrpc and its name (both from mm).
///
/// # Safety
/// `rpc` must be a struct evrpc from mm that nothing refers to.
unsafe fn free_evrpc(rpc: *mut Evrpc) {
    // SAFETY: contract.
    unsafe {
        crate::mm::free((*rpc).uri.cast_mut().cast());
        mm_release(rpc);
    }
}

/// `evrpc_free`: unregisters every RPC, answers the requests paused in hooks with 503, drops
/// the hooks. The base's memory goes with its last pending request.
///
/// # Safety
/// `base` must be a live base from `EvrpcBase::new`, not used by the program afterwards.
pub unsafe fn free(base: *mut EvrpcBase) {
    // SAFETY: contract.
    let b = unsafe { &*base };
    b.alive.set(false);
    loop {
        let Some(&rpc) = b.rpcs.borrow().first() else { break };
        // SAFETY: a registered struct's name.
        let name = unsafe { CStr::from_ptr((*rpc).uri) }.to_owned();
        b.unregister(&name);
    }
    for ctx in b.hooks.take_paused() {
        // SAFETY: only server requests of this base are paused on it.
        unsafe { fail(ctx.cast()) };
    }
    b.hooks.clear();
    // SAFETY: the program's reference.
    unsafe { release(base) };
}

/// Drops one reference to a base; the last one frees it.
unsafe fn release(base: *mut EvrpcBase) {
    // SAFETY: live while referenced.
    let left = unsafe { (*base).refs.get() } - 1;
    // SAFETY: as above.
    unsafe { (*base).refs.set(left) };
    if left == 0 {
        // SAFETY: nothing refers to it any more.
        unsafe { mm_release(base) };
    }
}

/// The evhttp handler of every registered RPC (`arg` is its struct evrpc).
unsafe extern "C" fn on_request(req: *mut EvhttpRequest, arg: *mut c_void) {
    let rpc = arg.cast::<Evrpc>();
    // SAFETY: the server hands us live requests; `rpc` is registered while its path is served.
    let (is_post, body_len, handlers, base) = unsafe {
        (
            http::is_post(req),
            crate::ffi::buffer::evbuffer_get_length(http::input_buffer(req)),
            Handlers::of(&*rpc),
            (*rpc).base,
        )
    };
    let Some(handlers) = handlers.filter(|_| is_post && body_len > 0) else {
        // SAFETY: live request.
        unsafe { http::send_error(req, http::HTTP_SERVUNAVAIL) };
        return;
    };
    let state = mm_alloc(EvrpcReqGeneric {
        meta: MetaSlot::default(),
        request: Cell::new(ptr::null_mut()),
        reply: Cell::new(ptr::null_mut()),
        rpc,
        http_req: req,
        rpc_data: Cell::new(ptr::null_mut()),
        base,
        handlers,
    });
    if state.is_null() {
        // SAFETY: live request.
        unsafe { http::send_error(req, http::HTTP_SERVUNAVAIL) };
        return;
    }
    // SAFETY: a registered RPC's base is alive.
    unsafe { (*base).refs.set((*base).refs.get() + 1) };
    // SAFETY: fresh state with its live request.
    unsafe { run_hooks(state, Direction::Input, http::input_buffer(req), decode) };
}

/// Runs the base's hooks of one direction on a request, then `next` unless they stopped
/// (503) or paused it (`next` is then its resume step).
///
/// # Safety
/// `state` must be a live request and `buf` the body the hooks are shown.
unsafe fn run_hooks(state: *mut EvrpcReqGeneric, dir: Direction, buf: *mut Evbuffer, next: Resume) {
    // SAFETY: contract; the base stays allocated while the request refers to it.
    let (s, hooks) = unsafe { (&*state, &(*(*state).base).hooks) };
    let mut verdict = Verdict::Continue;
    if hooks.has(dir) {
        // SAFETY: live request.
        s.meta.set_connection(unsafe { http::connection_of(s.http_req) });
        // SAFETY: contract.
        verdict = unsafe { hooks.run(dir, state.cast(), s.http_req, buf) };
        // SAFETY: as above.
        if verdict == Verdict::Pause && !unsafe { (*s.base).alive.get() } {
            // Nobody can resume it on a freed base.
            verdict = Verdict::Terminate;
        }
    }
    match verdict {
        Verdict::Pause => hooks.pause(state.cast(), next),
        // SAFETY: contract.
        v => unsafe { next(state.cast(), v) },
    }
}

/// After the input hooks: decode the request, make the reply, call the handler.
unsafe fn decode(ctx: *mut c_void, verdict: Verdict) {
    let state = ctx.cast::<EvrpcReqGeneric>();
    // SAFETY: a live request (resume steps get only those).
    let s = unsafe { &*state };
    let h = s.handlers;
    if verdict == Verdict::Terminate {
        // SAFETY: live request.
        return unsafe { fail(state) };
    }
    // SAFETY: the RPC's own functions on the objects they make; the request's body is live.
    let ok = unsafe {
        s.request.set((h.request_new)(h.request_new_arg));
        !s.request.get().is_null()
            && (h.request_unmarshal)(s.request.get(), http::input_buffer(s.http_req)) != -1
            && {
                s.reply.set((h.reply_new)(h.reply_new_arg));
                !s.reply.get().is_null()
            }
    };
    if !ok {
        // SAFETY: live request.
        return unsafe { fail(state) };
    }
    // SAFETY: the handler owns the request until it calls evrpc_request_done.
    unsafe { (h.cb)(state, h.cb_arg) };
}

/// `evrpc_request_done`: checks and marshals the reply, runs the output hooks, answers.
///
/// # Safety
/// `state` must be a request handed to a handler and not yet done.
pub unsafe fn request_done(state: *mut EvrpcReqGeneric) {
    // SAFETY: contract.
    let s = unsafe { &*state };
    let h = s.handlers;
    // SAFETY: the RPC's function on its reply.
    if unsafe { (h.reply_complete)(s.reply.get()) } == -1 {
        // SAFETY: live request.
        return unsafe { fail(state) };
    }
    let data = Evbuffer::new();
    if data.is_null() {
        // SAFETY: live request.
        return unsafe { fail(state) };
    }
    s.rpc_data.set(data);
    // SAFETY: the RPC's function, a fresh buffer, its reply.
    unsafe { (h.reply_marshal)(data, s.reply.get()) };
    // SAFETY: contract.
    unsafe { run_hooks(state, Direction::Output, data, answer) };
}

/// After the output hooks: send the marshalled reply.
unsafe fn answer(ctx: *mut c_void, verdict: Verdict) {
    let state = ctx.cast::<EvrpcReqGeneric>();
    if verdict == Verdict::Terminate {
        // SAFETY: a live request.
        return unsafe { fail(state) };
    }
    // SAFETY: a live request with its reply marshalled; it is freed after the answer.
    unsafe {
        http::send_binary_reply((*state).http_req, (*state).rpc_data.get());
        free_request(state);
    }
}

/// Frees a request and answers it with 503.
unsafe fn fail(state: *mut EvrpcReqGeneric) {
    // SAFETY: a live request; its HTTP request outlives it.
    unsafe {
        let req = (*state).http_req;
        free_request(state);
        http::send_error(req, http::HTTP_SERVUNAVAIL);
    }
}

/// `evrpc_reqstate_free_`: frees a request without answering it (its request and reply
/// objects, its marshalled reply and meta data).
///
/// # Safety
/// `state` must be a live request, not used afterwards.
pub unsafe fn free_request(state: *mut EvrpcReqGeneric) {
    // SAFETY: contract.
    let s = unsafe { &*state };
    let h = s.handlers;
    let base = s.base;
    // SAFETY: the base is allocated while the request refers to it.
    unsafe { (*base).hooks.unpause(state.cast()) };
    s.meta.clear();
    // SAFETY: objects made by these very functions; the buffer is ours.
    unsafe {
        if !s.request.get().is_null() {
            (h.request_free)(s.request.get());
        }
        if !s.reply.get().is_null() {
            (h.reply_free)(s.reply.get());
        }
        if !s.rpc_data.get().is_null() {
            buffer::free(s.rpc_data.get());
        }
        mm_release(state);
        release(base);
    }
}

impl EvrpcReqGeneric {
    pub fn request(&self) -> *mut c_void {
        self.request.get()
    }

    pub fn reply(&self) -> *mut c_void {
        self.reply.get()
    }
}
