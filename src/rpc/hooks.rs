//! Hooks (shared by RPC bases and pools) and the meta data hooks attach to an RPC.
//!
//! C addresses the hooks of either owner through the same `void *vbase`, so both
//! `server::RpcBase` and `client::Pool` start with a [`Hooks`] (`#[repr(C)]`, offset 0), and
//! [`Hooks::from_vbase`] is the one cast from that pointer.
//!
//! Likewise a hook's `ctx` is either a server request (`struct evrpc_req_generic`) or a client
//! RPC (`struct evrpc_request_wrapper`); both keep their meta data pointer as their first field
//! ([`MetaSlot`]), which is all the meta data functions need.
//!
//! Hooks run one at a time into C, which may add or remove hooks (its own included), pause
//! or resume RPCs, so the lists are behind `RefCell`s borrowed only between calls.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};
use std::ptr;

use super::http::{EvhttpConnection, EvhttpRequest};
use crate::buffer::Evbuffer;

/// `int (*)(void *ctx, struct evhttp_request *, struct evbuffer *, void *arg)`.
pub type RpcHookFn = unsafe extern "C" fn(*mut c_void, *mut EvhttpRequest, *mut Evbuffer, *mut c_void) -> c_int;

/// `enum EVRPC_HOOK_TYPE`.
pub const EVRPC_INPUT: c_int = 0;
pub const EVRPC_OUTPUT: c_int = 1;

/// `enum EVRPC_HOOK_RESULT`.
pub const EVRPC_TERMINATE: c_int = -1;
pub const EVRPC_CONTINUE: c_int = 0;
pub const EVRPC_PAUSE: c_int = 1;

/// What the hooks decided about an RPC.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Continue,
    Terminate,
    Pause,
}

impl Verdict {
    /// A hook's return value. Anything but the three results is a broken hook: the RPC stops.
    fn of_hook(res: c_int) -> Verdict {
        match res {
            EVRPC_CONTINUE => Verdict::Continue,
            EVRPC_PAUSE => Verdict::Pause,
            EVRPC_TERMINATE => Verdict::Terminate,
            other => {
                warnx!("evrpc: a hook returned {other}, not an EVRPC_HOOK_RESULT: the RPC is stopped");
                Verdict::Terminate
            }
        }
    }

    /// The result given to `evrpc_resume_request`: only EVRPC_TERMINATE stops the RPC (a
    /// paused RPC that is resumed goes on, whatever else the caller passed).
    pub fn of_resume(res: c_int) -> Verdict {
        if res == EVRPC_TERMINATE {
            Verdict::Terminate
        } else {
            Verdict::Continue
        }
    }
}

/// Which list: EVRPC_INPUT or EVRPC_OUTPUT.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Direction {
    Input,
    Output,
}

impl Direction {
    pub fn from_c(hook_type: c_int) -> Option<Direction> {
        match hook_type {
            EVRPC_INPUT => Some(Direction::Input),
            EVRPC_OUTPUT => Some(Direction::Output),
            _ => None,
        }
    }
}

/// One hook; its address (boxed, so stable) is the handle C removes it by.
struct Hook {
    process: RpcHookFn,
    arg: *mut c_void,
}

/// What resumes a paused RPC: the step after the hooks that paused it.
pub type Resume = unsafe fn(ctx: *mut c_void, verdict: Verdict);

struct Paused {
    ctx: *mut c_void,
    resume: Resume,
}

/// `struct evrpc_hooks_`'s role: the hooks of a base or pool and the RPCs they paused.
#[repr(C)]
#[derive(Default)]
// Boxed so that a hook's address, its handle, survives the list growing.
#[allow(clippy::vec_box)]
pub struct Hooks {
    input: RefCell<Vec<Box<Hook>>>,
    output: RefCell<Vec<Box<Hook>>>,
    paused: RefCell<Vec<Paused>>,
}

impl Hooks {
    /// The hooks of the base or pool a `void *vbase` names.
    ///
    /// # Safety
    /// `vbase` must point to a live `RpcBase` or `Pool` (both start with their `Hooks`).
    pub unsafe fn from_vbase<'a>(vbase: *mut c_void) -> &'a Hooks {
        // SAFETY: contract; Hooks is the first field of both #[repr(C)] owners.
        unsafe { &*vbase.cast::<Hooks>() }
    }

    #[allow(clippy::vec_box)]
    fn list(&self, dir: Direction) -> &RefCell<Vec<Box<Hook>>> {
        match dir {
            Direction::Input => &self.input,
            Direction::Output => &self.output,
        }
    }

    /// Appends a hook; returns its handle.
    pub fn add(&self, dir: Direction, process: RpcHookFn, arg: *mut c_void) -> *mut c_void {
        let hook = Box::new(Hook { process, arg });
        let handle = ptr::from_ref::<Hook>(&*hook).cast_mut().cast();
        self.list(dir).borrow_mut().push(hook);
        handle
    }

    /// Removes the hook with this handle; false when the list has none.
    pub fn remove(&self, dir: Direction, handle: *mut c_void) -> bool {
        let mut list = self.list(dir).borrow_mut();
        match list.iter().position(|h| is_handle(h, handle)) {
            Some(i) => {
                list.remove(i);
                true
            }
            None => false,
        }
    }

    pub fn has(&self, dir: Direction) -> bool {
        !self.list(dir).borrow().is_empty()
    }

    /// Runs the hooks of one direction on an RPC, in order, until one does not continue.
    /// Hooks added meanwhile run too; a removed one no longer does.
    ///
    /// # Safety
    /// `ctx` must be the live RPC the hooks are told about, `req` and `buf` its live HTTP
    /// message and body.
    pub unsafe fn run(&self, dir: Direction, ctx: *mut c_void, req: *mut EvhttpRequest, buf: *mut Evbuffer) -> Verdict {
        let list = self.list(dir);
        let mut i = 0;
        loop {
            let (process, arg, handle) = match list.borrow().get(i) {
                Some(h) => (h.process, h.arg, ptr::from_ref::<Hook>(h)),
                None => return Verdict::Continue,
            };
            // SAFETY: a hook registered by C with its argument; pointers per the contract.
            let res = unsafe { process(ctx, req, buf, arg) };
            let verdict = Verdict::of_hook(res);
            if verdict != Verdict::Continue {
                return verdict;
            }
            // The next hook is the one after this hook's current place, or at its old place
            // when the hook removed itself.
            i = match list.borrow().iter().position(|h| ptr::eq(&**h, handle)) {
                Some(at) => at + 1,
                None => i,
            };
        }
    }

    /// Records an RPC paused by a hook, to be resumed with `resume`.
    pub fn pause(&self, ctx: *mut c_void, resume: Resume) {
        self.paused.borrow_mut().push(Paused { ctx, resume });
    }

    /// Takes an RPC off the paused list; its resume step, or None when it was not paused here.
    pub fn unpause(&self, ctx: *mut c_void) -> Option<Resume> {
        let mut paused = self.paused.borrow_mut();
        let i = paused.iter().position(|p| p.ctx == ctx)?;
        Some(paused.remove(i).resume)
    }

    /// `evrpc_resume_request`: continues an RPC paused here with its resume step. False when
    /// `ctx` is not paused here.
    ///
    /// # Safety
    /// The paused RPCs must be live (they are until resumed or their owner is freed).
    pub unsafe fn resume(&self, ctx: *mut c_void, res: c_int) -> bool {
        let Some(resume) = self.unpause(ctx) else { return false };
        // SAFETY: contract.
        unsafe { resume(ctx, Verdict::of_resume(res)) };
        true
    }

    /// Empties the paused list; the contexts it held.
    pub fn take_paused(&self) -> Vec<*mut c_void> {
        self.paused.take().into_iter().map(|p| p.ctx).collect()
    }

    /// Drops every hook (the owner is being freed).
    pub fn clear(&self) {
        self.input.take();
        self.output.take();
    }
}

fn is_handle(hook: &Hook, handle: *mut c_void) -> bool {
    ptr::eq(ptr::from_ref(hook).cast::<c_void>(), handle)
}

/// `struct evrpc_hook_meta`: key/data pairs hooks attach to one RPC, and the connection the
/// RPC travels over.
pub struct HookMeta {
    entries: Vec<(Box<CStr>, Box<[u8]>)>,
    evcon: *mut EvhttpConnection,
}

/// The first field of both kinds of hook context: the RPC's meta data, created when a hook
/// first sees the RPC or adds meta data to it. `Cell<T>` has `T`'s layout, so C sees a
/// plain `struct evrpc_hook_meta *` there.
#[repr(transparent)]
#[derive(Default)]
pub struct MetaSlot(Cell<Option<Box<HookMeta>>>);

impl MetaSlot {
    /// The slot of a hook context.
    ///
    /// # Safety
    /// `ctx` must point to a live server request or client RPC (both start with their slot).
    pub unsafe fn of_ctx<'a>(ctx: *mut c_void) -> &'a MetaSlot {
        // SAFETY: contract; the slot is the first field of both #[repr(C)] contexts.
        unsafe { &*ctx.cast::<MetaSlot>() }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HookMeta) -> R) -> R {
        let mut meta = self.0.take().unwrap_or_else(|| {
            Box::new(HookMeta { entries: Vec::new(), evcon: ptr::null_mut() })
        });
        let r = f(&mut meta);
        self.0.set(Some(meta));
        r
    }

    /// Notes the RPC's connection before hooks see it (evrpc_hook_get_connection).
    pub fn set_connection(&self, evcon: *mut EvhttpConnection) {
        self.with(|m| m.evcon = evcon);
    }

    pub fn connection(&self) -> *mut EvhttpConnection {
        let meta = self.0.take();
        let evcon = meta.as_ref().map_or(ptr::null_mut(), |m| m.evcon);
        self.0.set(meta);
        evcon
    }

    /// Attaches a copy of `data` under `key`.
    pub fn add(&self, key: &CStr, data: &[u8]) {
        self.with(|m| m.entries.push((key.into(), data.into())));
    }

    /// The data first attached under `key` (pointer, length), the pointer NULL for empty data;
    /// it stays valid until the RPC is freed.
    pub fn find(&self, key: &CStr) -> Option<(*mut c_void, usize)> {
        let meta = self.0.take();
        let found = meta.as_ref().and_then(|m| m.entries.iter().find(|(k, _)| **k == *key)).map(|(_, d)| {
            let p = if d.is_empty() { ptr::null_mut() } else { d.as_ptr().cast_mut().cast() };
            (p, d.len())
        });
        self.0.set(meta);
        found
    }

    /// Frees the meta data (the RPC is done).
    pub fn clear(&self) {
        self.0.take();
    }
}


#[cfg(test)]
mod tests;
