//! libevent-rs: libevent 2.1 rewritten in Rust, exporting the same C ABI.
//!
//! Layout: `ffi/` holds the `extern "C"` entry points, one file per public header, thin and
//! argument-checking; everything below them is the implementation, one module per subsystem.

#![allow(clippy::missing_safety_doc)]

#[macro_use]
pub mod log;
pub mod backend;
pub mod base;
pub mod bufferevent;
pub mod buffer;
pub mod config;
pub mod debug;
pub mod dns;
pub mod event;
pub mod evmap;
pub mod ffi;
pub mod http;
pub mod list;
pub mod listener;
pub mod minheap;
pub mod mm;
pub mod rpc;
pub mod signal;
pub mod ssl;
pub mod tag;
pub mod thread;
pub mod time;
pub mod util;
