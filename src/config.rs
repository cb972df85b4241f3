//! `struct event_config`: what a caller asks of a new base (methods to avoid, features to
//! require, flags, dispatch limits).

use std::ffi::{c_int, CStr, CString};

use libc::timeval;

pub const EVENT_BASE_FLAG_NOLOCK: c_int = 0x01;
pub const EVENT_BASE_FLAG_IGNORE_ENV: c_int = 0x02;
pub const EVENT_BASE_FLAG_STARTUP_IOCP: c_int = 0x04;
pub const EVENT_BASE_FLAG_NO_CACHE_TIME: c_int = 0x08;
pub const EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST: c_int = 0x10;
pub const EVENT_BASE_FLAG_PRECISE_TIMER: c_int = 0x20;

pub struct EventConfig {
    pub avoided: Vec<CString>,
    pub require_features: c_int,
    pub flags: c_int,
    pub n_cpus_hint: c_int,
    /// tv_sec == -1: no limit.
    pub max_dispatch_interval: timeval,
    /// -1: no limit.
    pub max_dispatch_callbacks: c_int,
    pub limit_callbacks_after_prio: c_int,
}

impl Default for EventConfig {
    fn default() -> Self {
        EventConfig {
            avoided: Vec::new(),
            require_features: 0,
            flags: 0,
            n_cpus_hint: 0,
            max_dispatch_interval: timeval { tv_sec: -1, tv_usec: 0 },
            max_dispatch_callbacks: c_int::MAX,
            limit_callbacks_after_prio: 1,
        }
    }
}

impl EventConfig {
    pub fn is_avoided(&self, method: &CStr) -> bool {
        self.avoided.iter().any(|m| m.as_c_str() == method)
    }

    /// `event_config_set_max_dispatch_interval`: None/-1 mean "no limit".
    pub fn set_max_dispatch_interval(&mut self, interval: Option<timeval>, max_callbacks: c_int, min_priority: c_int) {
        self.max_dispatch_interval = interval.unwrap_or(timeval { tv_sec: -1, tv_usec: 0 });
        self.max_dispatch_callbacks = if max_callbacks >= 0 { max_callbacks } else { c_int::MAX };
        self.limit_callbacks_after_prio = min_priority.max(0);
    }
}

/// Whether an environment variable is set (ignored in set-id programs, see `util::file::getenv`).
pub fn env_is_set(name: &CStr) -> bool {
    !crate::util::file::getenv(name).is_null()
}
