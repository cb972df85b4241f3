//! `event2/dns.h`, `dns_compat.h`: the evdns resolver and server entry points.

use crate::dns::log::{set_log_fn, LogFn};

pub mod getaddrinfo;
pub mod server;

/// Routes every evdns log message to `f` (NULL: back to the library's log).
#[no_mangle]
pub extern "C" fn evdns_set_log_fn(f: Option<LogFn>) {
    set_log_fn(f);
}

mod resolver;
