//! evrpc (event2/rpc.h): remote procedure calls as HTTP POSTs of evtag-marshalled structs.
//!
//! An RPC named N lives at the path "/.rpc.N" of an evhttp server. The message structs and
//! their (un)marshalling code come from upstream's event_rpcgen.py; this layer only moves
//! them: it decodes a request, hands it to the program's handler and sends the reply it
//! fills in (server, [`server`]), or sends a request over a pool of connections and decodes
//! the reply (client, [`client`]). [`hooks`] lets programs look at or rewrite the messages on
//! the way in and out, and pause an RPC. [`http`] is the only door into evhttp.
//!
//! Lifetimes. Every object handed to C (bases, pools, RPC contexts, server requests, struct
//! evrpc and its name) comes from `crate::mm`, as upstream's do. A
//! base or pool stays allocated while anything still refers to it (the program until
//! `evrpc_free`/`evrpc_pool_free`, and every unfinished RPC of it), so a callback may free
//! the base or pool of the RPC it is called about: freeing drops what is not running and
//! marks the owner dead, and whatever is running finishes against dead-but-allocated memory.
//! A server request copies its handler's functions at creation, so unregistering its RPC
//! while it is pending is harmless.
//!
//! Differences from 2.1.12, all where upstream asserts, leaks or reads freed memory:
//! registering a name twice fails instead of leaving a stale entry; an RPC made on a pool
//! without connections waits for one instead of aborting; a reply whose status is not 200 is
//! EVRPC_STATUS_ERR_BADPAYLOAD without being decoded; requests a hook stopped, and pools
//! freed with RPCs pending, free everything they hold; a failed send does not leave its
//! timer running.

pub mod client;
pub mod hooks;
pub mod http;
pub mod server;

use std::ffi::{CStr, CString};

/// The path of RPC `name`: "/.rpc." and the name.
fn rpc_path(name: &CStr) -> CString {
    const PREFIX: &[u8] = b"/.rpc.";
    let mut path = Vec::with_capacity(PREFIX.len() + name.to_bytes().len() + 1);
    path.extend_from_slice(PREFIX);
    path.extend_from_slice(name.to_bytes());
    // Neither the prefix nor a CStr's bytes contain a NUL.
    CString::new(path).expect("no NUL inside a C string's bytes")
}

/// Moves `value` into memory from `crate::mm` (where everything C holds comes from); NULL
/// when out of memory.
fn mm_alloc<T>(value: T) -> *mut T {
    const { assert!(std::mem::align_of::<T>() <= 16, "malloc aligns to 16") };
    let p = crate::mm::malloc(std::mem::size_of::<T>()).cast::<T>();
    if !p.is_null() {
        // SAFETY: fresh memory of T's size, aligned by malloc.
        unsafe { p.write(value) };
    }
    p
}

/// Drops and frees what `mm_alloc` made.
///
/// # Safety
/// `p` must come from `mm_alloc` and not be used afterwards.
unsafe fn mm_release<T>(p: *mut T) {
    // SAFETY: contract.
    unsafe { std::ptr::drop_in_place(p) };
    crate::mm::free(p.cast());
}

/// `struct evrpc_status`: what a client's completion callback gets.
#[repr(C)]
pub struct EvrpcStatus {
    pub error: std::ffi::c_int,
    pub http_req: *mut http::EvhttpRequest,
}

pub const EVRPC_STATUS_ERR_NONE: std::ffi::c_int = 0;
pub const EVRPC_STATUS_ERR_TIMEOUT: std::ffi::c_int = 1;
pub const EVRPC_STATUS_ERR_BADPAYLOAD: std::ffi::c_int = 2;
pub const EVRPC_STATUS_ERR_UNSTARTED: std::ffi::c_int = 3;
pub const EVRPC_STATUS_ERR_HOOKABORTED: std::ffi::c_int = 4;

const _: () = assert!(std::mem::size_of::<EvrpcStatus>() == 16);
const _: () = assert!(std::mem::offset_of!(EvrpcStatus, http_req) == 8);


#[cfg(test)]
mod tests;
