//! The C ABI: `extern "C"` entry points grouped by the public header that declares them.
//!
//! Convention for every export: check pointer and range arguments first; on bad input log
//! through `warnx!` and return upstream's error result (-1 or NULL). The core modules are only
//! called with checked arguments. Panics abort (panic = "abort"), so none unwinds into C.

/// Returns `$ret` after a warning when `$cond` is false: the entry-point argument check.
#[macro_export]
macro_rules! ensure_arg {
    ($cond:expr, (), $($msg:tt)*) => {
        if !$cond {
            $crate::warnx!($($msg)*);
            return;
        }
    };
    ($cond:expr, $ret:expr, $($msg:tt)*) => {
        if !$cond {
            $crate::warnx!($($msg)*);
            return $ret;
        }
    };
}

pub mod bufferevent;
pub mod bufferevent_ssl;
pub mod buffer;
pub mod dns;
pub mod event;
pub mod http;
pub mod internal;
pub mod listener;
pub mod rpc;
pub mod tag;
pub mod thread;
pub mod util;
pub mod variadic;
