//! The client side: pools of evhttp connections and the RPCs sent over them.
//!
//! An RPC (`struct evrpc_request_wrapper`, the "context") goes through these stages:
//! - `Unsent`: made by evrpc_make_request_ctx; the program may still change its pool and
//!   callback.
//! - `Queued`: sent with evrpc_make_request, waiting for an idle connection of its pool (no
//!   request on it, no RPC of the pool holding it).
//! - `Sending`: given a connection and an HTTP request holding the marshalled request; the
//!   pool's output hooks run on it, and may pause it. The HTTP request is ours.
//! - `InFlight`: POSTed; the HTTP request is the connection's, and the pool's timeout runs.
//! - `Receiving`: the reply arrived; the pool's input hooks run on it and may pause it (the
//!   HTTP request is then owned, so the connection does not free it).
//! - `Done`: its callback is running; it is freed right after, and the pool hands the freed
//!   connection the next queued RPC.
//!
//! Every RPC past `Unsent` holds a reference to its pool. evrpc_pool_free drops all of them
//! at once without callbacks (cancelling what is in flight), except one whose hooks are
//! running: that one is marked `Abandoned` and dropped when its hooks return.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::VecDeque;
use std::ffi::{c_int, c_short, c_void, CStr, CString};
use std::ptr;

use libc::timeval;

use super::hooks::{Direction, Hooks, MetaSlot, Verdict};
use super::http::{self, EvhttpConnection, EvhttpRequest};
use super::server::{MsgFreeFn, MsgMarshalFn, MsgUnmarshalFn};
use super::{mm_alloc, mm_release, rpc_path, EvrpcStatus};
use super::{EVRPC_STATUS_ERR_BADPAYLOAD, EVRPC_STATUS_ERR_HOOKABORTED, EVRPC_STATUS_ERR_NONE};
use super::{EVRPC_STATUS_ERR_TIMEOUT, EVRPC_STATUS_ERR_UNSTARTED};
use crate::base::EventBase;
use crate::buffer::Evbuffer;
use crate::event::Event;
use crate::ffi::event as ev;

/// `void (*)(struct evrpc_status *, void *request, void *reply, void *arg)`.
pub type RpcDoneFn = unsafe extern "C" fn(*mut EvrpcStatus, *mut c_void, *mut c_void, *mut c_void);

/// `struct evrpc_pool`, opaque to C.
#[repr(C)]
pub struct EvrpcPool {
    /// First: `void *vbase` hook functions see a pool as its hooks.
    hooks: Hooks,
    /// Where the timers of its RPCs run (NULL: the current base), and where its connections
    /// are moved.
    base: *mut EventBase,
    connections: RefCell<Vec<*mut EvhttpConnection>>,
    /// Seconds an RPC may take; 0 or less: no limit (-1 until evrpc_pool_set_timeout).
    timeout: Cell<c_int>,
    queue: RefCell<VecDeque<*mut EvrpcRequestWrapper>>,
    /// RPCs holding a connection (Sending, InFlight, Receiving).
    active: RefCell<Vec<*mut EvrpcRequestWrapper>>,
    /// The program's reference (until evrpc_pool_free) plus one per RPC past Unsent.
    refs: Cell<usize>,
    /// False once evrpc_pool_free has run.
    alive: Cell<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Unsent,
    Queued,
    Sending,
    InFlight,
    Receiving,
    Done,
    Abandoned,
}

/// The generated functions and objects of one RPC's messages.
pub struct Messages {
    pub request: *mut c_void,
    pub reply: *mut c_void,
    pub request_marshal: MsgMarshalFn,
    pub reply_clear: MsgFreeFn,
    pub reply_unmarshal: MsgUnmarshalFn,
}

/// `struct evrpc_request_wrapper`, opaque to C but for its first field (see hooks).
#[repr(C)]
pub struct EvrpcRequestWrapper {
    meta: MetaSlot,
    pool: Cell<*mut EvrpcPool>,
    stage: Cell<Stage>,
    /// Past Unsent: its timer is assigned and it holds a reference to its pool.
    joined: Cell<bool>,
    /// Its pool's hooks are running on it.
    in_hooks: Cell<bool>,
    evcon: Cell<*mut EvhttpConnection>,
    req: Cell<*mut EvhttpRequest>,
    /// The pool's timeout while InFlight. The base links it through raw pointers.
    timer: UnsafeCell<Event>,
    /// "/.rpc.<name>".
    path: CString,
    cb: Cell<RpcDoneFn>,
    cb_arg: Cell<*mut c_void>,
    msgs: Messages,
}

impl EvrpcPool {
    /// `evrpc_pool_new`; NULL when out of memory.
    pub fn new(base: *mut EventBase) -> *mut EvrpcPool {
        mm_alloc(EvrpcPool {
            hooks: Hooks::default(),
            base,
            connections: RefCell::new(Vec::new()),
            timeout: Cell::new(-1),
            queue: RefCell::new(VecDeque::new()),
            active: RefCell::new(Vec::new()),
            refs: Cell::new(1),
            alive: Cell::new(true),
        })
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// `evrpc_pool_add_connection`. False (nothing done) for a server's connection or one
    /// already in the pool.
    ///
    /// # Safety
    /// `pool` must be live and `evcon` a live client connection.
    pub unsafe fn add_connection(pool: *mut EvrpcPool, evcon: *mut EvhttpConnection) -> bool {
        // SAFETY: contract.
        let p = unsafe { &*pool };
        // SAFETY: live connection.
        if unsafe { http::connection_is_incoming(evcon) } || p.connections.borrow().contains(&evcon) {
            return false;
        }
        p.connections.borrow_mut().push(evcon);
        // SAFETY: live connection; the pool's base outlives the pool.
        unsafe {
            if !p.base.is_null() {
                http::connection_move_to(evcon, p.base);
            }
            // A timeout set on the connection itself wins over the pool's.
            if !http::connection_has_timeout(evcon) {
                http::connection_set_timeout(evcon, p.timeout.get());
            }
            schedule(pool);
        }
        true
    }

    /// `evrpc_pool_remove_connection`: false when the connection is not in the pool. An RPC
    /// in flight on it goes on.
    pub fn remove_connection(&self, evcon: *mut EvhttpConnection) -> bool {
        let mut conns = self.connections.borrow_mut();
        let Some(i) = conns.iter().position(|&c| c == evcon) else { return false };
        conns.remove(i);
        true
    }

    /// `evrpc_pool_set_timeout`: for the RPCs sent from now on and every connection.
    pub fn set_timeout(&self, secs: c_int) {
        for &evcon in self.connections.borrow().iter() {
            // SAFETY: the pool's connections are live while in it.
            unsafe { http::connection_set_timeout(evcon, secs) };
        }
        self.timeout.set(secs);
    }

    /// A connection with no request on it and none of the pool's RPCs (one paused in an
    /// output hook has not reached its connection yet).
    fn idle_connection(&self) -> Option<*mut EvhttpConnection> {
        let active = self.active.borrow();
        // SAFETY: the pool's connections and active RPCs are live.
        let busy = |c: *mut EvhttpConnection| unsafe { !http::connection_is_idle(c) || active.iter().any(|&r| (*r).evcon.get() == c) };
        self.connections.borrow().iter().copied().find(|&c| !busy(c))
    }

    fn detach(&self, ctx: *mut EvrpcRequestWrapper) {
        self.queue.borrow_mut().retain(|&r| r != ctx);
        self.active.borrow_mut().retain(|&r| r != ctx);
    }
}

fn acquire(pool: *mut EvrpcPool) {
    // SAFETY: only called on pools that are allocated (referenced by the caller).
    unsafe { (*pool).refs.set((*pool).refs.get() + 1) };
}

/// Drops one reference to a pool; the last one frees it.
unsafe fn release(pool: *mut EvrpcPool) {
    // SAFETY: allocated while referenced.
    let left = unsafe { (*pool).refs.get() } - 1;
    // SAFETY: as above.
    unsafe { (*pool).refs.set(left) };
    if left == 0 {
        // SAFETY: nothing refers to it any more.
        unsafe { mm_release(pool) };
    }
}

/// `evrpc_pool_free`: drops every RPC (no callbacks; those in flight are cancelled), frees
/// the connections, drops the hooks.
///
/// # Safety
/// `pool` must be live and not used by the program afterwards.
pub unsafe fn free(pool: *mut EvrpcPool) {
    // SAFETY: contract.
    let p = unsafe { &*pool };
    p.alive.set(false);
    for ctx in p.queue.take() {
        // SAFETY: queued RPCs are live.
        unsafe { free_ctx(ctx) };
    }
    for ctx in p.active.take() {
        // SAFETY: active RPCs are live.
        let c = unsafe { &*ctx };
        if c.in_hooks.get() {
            c.stage.set(Stage::Abandoned);
            continue;
        }
        let req = c.req.get();
        // SAFETY: the request is in the state its stage says (see the module doc).
        unsafe {
            match c.stage.get() {
                // Built but never posted, or owned while paused in the input hooks.
                Stage::Sending | Stage::Receiving if !req.is_null() => http::request_free(req),
                Stage::InFlight if !req.is_null() => http::cancel(req),
                _ => {}
            }
            free_ctx(ctx);
        }
    }
    p.hooks.take_paused();
    for evcon in p.connections.take() {
        // SAFETY: the pool's connections are its to free.
        unsafe { http::connection_free(evcon) };
    }
    p.hooks.clear();
    // SAFETY: the program's reference.
    unsafe { release(pool) };
}

/// A struct event before its event_assign (in `send`).
fn unassigned_event() -> Event {
    // SAFETY: struct event is plain C data; all zeroes is its state before event_assign.
    unsafe { std::mem::zeroed() }
}

/// `evrpc_make_request_ctx`: an unsent RPC named `name`; NULL when out of memory.
pub fn new_ctx(pool: *mut EvrpcPool, name: &CStr, msgs: Messages, cb: RpcDoneFn, cb_arg: *mut c_void) -> *mut EvrpcRequestWrapper {
    mm_alloc(EvrpcRequestWrapper {
        meta: MetaSlot::default(),
        pool: Cell::new(pool),
        stage: Cell::new(Stage::Unsent),
        joined: Cell::new(false),
        in_hooks: Cell::new(false),
        evcon: Cell::new(ptr::null_mut()),
        req: Cell::new(ptr::null_mut()),
        timer: UnsafeCell::new(unassigned_event()),
        path: rpc_path(name),
        cb: Cell::new(cb),
        cb_arg: Cell::new(cb_arg),
        msgs,
    })
}

impl EvrpcRequestWrapper {
    pub fn pool(&self) -> *mut EvrpcPool {
        self.pool.get()
    }

    /// `evrpc_request_set_pool`: false once the RPC has been sent.
    pub fn set_pool(&self, pool: *mut EvrpcPool) -> bool {
        if self.stage.get() != Stage::Unsent {
            return false;
        }
        self.pool.set(pool);
        true
    }

    pub fn set_cb(&self, cb: RpcDoneFn, cb_arg: *mut c_void) {
        self.cb.set(cb);
        self.cb_arg.set(cb_arg);
    }

    pub fn is_unsent(&self) -> bool {
        self.stage.get() == Stage::Unsent
    }
}

/// `evrpc_make_request`: queues an unsent RPC on its pool and sends what can be sent. -1
/// when it has no live pool: it is then finished with EVRPC_STATUS_ERR_UNSTARTED.
///
/// # Safety
/// `ctx` must be an unsent RPC, its pool NULL or live.
pub unsafe fn send(ctx: *mut EvrpcRequestWrapper) -> c_int {
    // SAFETY: contract.
    let c = unsafe { &*ctx };
    let pool = c.pool.get();
    // SAFETY: contract.
    if pool.is_null() || !unsafe { (*pool).alive.get() } {
        warnx!("evrpc_make_request: the RPC has no pool");
        // SAFETY: unsent, so in no pool's lists.
        unsafe { finish(ctx, EVRPC_STATUS_ERR_UNSTARTED) };
        return -1;
    }
    // SAFETY: the timer is fresh memory in the RPC; the pool's base outlives the pool.
    unsafe { ev::event_assign(c.timer.get(), (*pool).base, -1, 0, Some(on_timeout), ctx.cast()) };
    acquire(pool);
    c.joined.set(true);
    c.stage.set(Stage::Queued);
    // SAFETY: live pool.
    unsafe {
        (*pool).queue.borrow_mut().push_back(ctx);
        schedule(pool);
    }
    0
}

/// Hands queued RPCs to idle connections, oldest first, while there are both.
unsafe fn schedule(pool: *mut EvrpcPool) {
    // Held across the loop: an RPC finishing in it may drop the last other reference.
    acquire(pool);
    loop {
        // SAFETY: referenced, so allocated.
        let p = unsafe { &*pool };
        if !p.alive.get() {
            break;
        }
        let Some(evcon) = p.idle_connection() else { break };
        let Some(ctx) = p.queue.borrow_mut().pop_front() else { break };
        // SAFETY: a queued RPC of this pool, and one of its connections.
        unsafe { start(pool, ctx, evcon) };
    }
    // SAFETY: ours from above.
    unsafe { release(pool) };
}

/// Builds the HTTP request of a queued RPC on `evcon` and runs the output hooks on it.
unsafe fn start(pool: *mut EvrpcPool, ctx: *mut EvrpcRequestWrapper, evcon: *mut EvhttpConnection) {
    // SAFETY: contract of schedule.
    let (p, c) = unsafe { (&*pool, &*ctx) };
    c.evcon.set(evcon);
    c.stage.set(Stage::Sending);
    p.active.borrow_mut().push(ctx);
    // SAFETY: on_reply gets back this RPC, which lives until it is called or cancelled.
    let req = unsafe { http::request_new(on_reply, ctx.cast()) };
    if req.is_null() {
        // SAFETY: live RPC.
        return unsafe { finish(ctx, EVRPC_STATUS_ERR_UNSTARTED) };
    }
    c.req.set(req);
    // SAFETY: the generated marshal function on its request; a fresh HTTP request's body.
    let body = unsafe {
        let body = http::output_buffer(req);
        (c.msgs.request_marshal)(body, c.msgs.request);
        body
    };
    // SAFETY: live RPC with its request and body.
    match unsafe { run_hooks(ctx, Direction::Output, req, body) } {
        None => {}
        Some(Verdict::Pause) => p.hooks.pause(ctx.cast(), post),
        // SAFETY: live RPC.
        Some(v) => unsafe { post(ctx.cast(), v) },
    }
}

/// Runs the pool's hooks of one direction on an RPC. None when a hook freed the pool: the
/// RPC is then gone too.
unsafe fn run_hooks(ctx: *mut EvrpcRequestWrapper, dir: Direction, req: *mut EvhttpRequest, buf: *mut Evbuffer) -> Option<Verdict> {
    // SAFETY: a live RPC holds its pool.
    let (c, p) = unsafe { (&*ctx, &*(*ctx).pool.get()) };
    if !p.hooks.has(dir) {
        return Some(Verdict::Continue);
    }
    c.meta.set_connection(c.evcon.get());
    c.in_hooks.set(true);
    // SAFETY: live RPC, request and body.
    let verdict = unsafe { p.hooks.run(dir, ctx.cast(), req, buf) };
    c.in_hooks.set(false);
    if c.stage.get() == Stage::Abandoned {
        // SAFETY: an outgoing request is still ours; an incoming one is the connection's.
        unsafe {
            if dir == Direction::Output {
                http::request_free(req);
            }
            free_ctx(ctx);
        }
        return None;
    }
    Some(verdict)
}

/// After the output hooks: POST the request (the resume step of Sending).
unsafe fn post(ctx: *mut c_void, verdict: Verdict) {
    let ctx = ctx.cast::<EvrpcRequestWrapper>();
    if verdict == Verdict::Terminate {
        // SAFETY: a live RPC.
        return unsafe { finish(ctx, EVRPC_STATUS_ERR_UNSTARTED) };
    }
    // SAFETY: a live RPC holds its pool.
    let (c, p) = unsafe { (&*ctx, &*(*ctx).pool.get()) };
    let secs = p.timeout.get();
    if secs > 0 {
        let tv = timeval { tv_sec: secs.into(), tv_usec: 0 };
        // SAFETY: the timer was assigned in send.
        unsafe { ev::event_add(c.timer.get(), &tv) };
    }
    c.stage.set(Stage::InFlight);
    // SAFETY: the RPC's connection and its unsent request, which the connection takes.
    if !unsafe { http::post(c.evcon.get(), c.req.get(), &c.path) } {
        // The HTTP layer has freed the request.
        c.req.set(ptr::null_mut());
        // SAFETY: live RPC.
        unsafe {
            ev::event_del(c.timer.get());
            finish(ctx, EVRPC_STATUS_ERR_UNSTARTED);
        }
    }
    // Once posted, the reply (or a failure) may already have finished the RPC: it is not
    // touched again here.
}

/// The HTTP completion callback: the reply, or NULL when the request failed.
unsafe extern "C" fn on_reply(req: *mut EvhttpRequest, arg: *mut c_void) {
    let ctx = arg.cast::<EvrpcRequestWrapper>();
    // SAFETY: the connection calls back once per posted RPC, which is live until then.
    let c = unsafe { &*ctx };
    // SAFETY: assigned timer.
    unsafe { ev::event_del(c.timer.get()) };
    c.req.set(req);
    if req.is_null() {
        // SAFETY: live RPC.
        return unsafe { finish(ctx, EVRPC_STATUS_ERR_TIMEOUT) };
    }
    c.stage.set(Stage::Receiving);
    // SAFETY: live RPC and reply.
    match unsafe { run_hooks(ctx, Direction::Input, req, http::input_buffer(req)) } {
        None => {}
        Some(Verdict::Pause) => {
            // Keep the reply past this callback until the RPC is resumed.
            // SAFETY: live reply; a live RPC holds its pool.
            unsafe {
                http::request_own(req);
                (*c.pool.get()).hooks.pause(ctx.cast(), receive);
            }
        }
        // SAFETY: live RPC.
        Some(v) => unsafe { receive(ctx.cast(), v) },
    }
}

/// After the input hooks: decode the reply (the resume step of Receiving).
unsafe fn receive(ctx: *mut c_void, verdict: Verdict) {
    let ctx = ctx.cast::<EvrpcRequestWrapper>();
    // SAFETY: a live RPC with its reply.
    let (c, req) = unsafe { (&*ctx, (*ctx).req.get()) };
    // SAFETY: live reply; the generated unmarshal function on the RPC's reply object.
    let decoded = || unsafe {
        http::response_code(req) == http::HTTP_OK && (c.msgs.reply_unmarshal)(c.msgs.reply, http::input_buffer(req)) != -1
    };
    let error = if verdict == Verdict::Terminate {
        EVRPC_STATUS_ERR_HOOKABORTED
    } else if decoded() {
        EVRPC_STATUS_ERR_NONE
    } else {
        EVRPC_STATUS_ERR_BADPAYLOAD
    };
    // SAFETY: live RPC.
    unsafe { finish(ctx, error) };
}

/// The pool's timeout: withdraw the request and fail the RPC.
unsafe extern "C" fn on_timeout(_fd: c_int, _what: c_short, arg: *mut c_void) {
    let ctx = arg.cast::<EvrpcRequestWrapper>();
    // SAFETY: the timer runs only while its RPC is in flight (deleted before it is freed).
    let c = unsafe { &*ctx };
    if c.stage.get() != Stage::InFlight {
        return;
    }
    // SAFETY: the posted request, which the HTTP layer frees without calling back.
    unsafe { http::cancel(c.req.replace(ptr::null_mut())) };
    // SAFETY: live RPC.
    unsafe { finish(ctx, EVRPC_STATUS_ERR_TIMEOUT) };
}

/// Ends an RPC: its callback with `error`, then it is freed and its connection goes to the
/// next queued RPC.
unsafe fn finish(ctx: *mut EvrpcRequestWrapper, error: c_int) {
    // SAFETY: a live RPC.
    let c = unsafe { &*ctx };
    let pool = c.pool.get();
    let joined = c.joined.get();
    if joined {
        // SAFETY: a joined RPC holds its pool.
        unsafe { (*pool).detach(ctx) };
        // Kept for schedule below: freeing the RPC drops its reference.
        acquire(pool);
    }
    let stage = c.stage.replace(Stage::Done);
    let req = c.req.get();
    let unstarted = error == EVRPC_STATUS_ERR_UNSTARTED;
    if error != EVRPC_STATUS_ERR_NONE && !unstarted {
        // SAFETY: the generated clear function on the RPC's reply object.
        unsafe { (c.msgs.reply_clear)(c.msgs.reply) };
    }
    let mut status = EvrpcStatus { error, http_req: if unstarted { ptr::null_mut() } else { req } };
    // SAFETY: the program's callback with its own objects; the reply lives through it.
    unsafe { (c.cb.get())(&mut status, c.msgs.request, c.msgs.reply, c.cb_arg.get()) };
    if !req.is_null() {
        // SAFETY: the request is in the state its stage says (see the module doc).
        unsafe {
            match stage {
                Stage::Sending => http::request_free(req),
                Stage::Receiving if http::request_is_owned(req) => http::request_free(req),
                _ => {}
            }
        }
    }
    // SAFETY: finished, in no list.
    unsafe { free_ctx(ctx) };
    if joined {
        // SAFETY: referenced above.
        unsafe {
            if (*pool).alive.get() {
                schedule(pool);
            }
            release(pool);
        }
    }
}

/// Frees an RPC (no callback: finish calls it first, a freed pool does not): its timer comes off the loop, its meta data goes, its pool reference too.
unsafe fn free_ctx(ctx: *mut EvrpcRequestWrapper) {
    // SAFETY: a live RPC, not used afterwards.
    unsafe {
        let pool = (*ctx).pool.get();
        let joined = (*ctx).joined.get();
        if joined {
            let timer = (*ctx).timer.get();
            ev::event_del(timer);
            // Debug mode must not remember an event in memory about to be reused.
            ev::event_debug_unassign(timer);
        }
        (*ctx).meta.clear();
        mm_release(ctx);
        if joined {
            release(pool);
        }
    }
}

/// `evrpc_send_request_generic`'s failure: the callback learns that its RPC never started.
///
/// # Safety
/// `cb` must be the program's callback for these objects.
pub unsafe fn report_unstarted(cb: RpcDoneFn, request: *mut c_void, reply: *mut c_void, cb_arg: *mut c_void) {
    let mut status = EvrpcStatus { error: EVRPC_STATUS_ERR_UNSTARTED, http_req: ptr::null_mut() };
    // SAFETY: contract.
    unsafe { cb(&mut status, request, reply, cb_arg) };
}
