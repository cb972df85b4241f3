//! evdns's own log hook (`evdns_set_log_fn`): the resolver and the server report through it.
//!
//! With a hook installed every message, debug ones included, goes to it as
//! `(is_warning, text)`; without one, messages go to the library's log (`event_set_log_callback`
//! or stderr), where debug messages appear only when debug logging is on, as upstream does.

use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::log::EVENT_LOG_WARN;

/// `evdns_debug_log_fn_type`.
pub type LogFn = unsafe extern "C" fn(is_warning: c_int, msg: *const c_char);

static LOG_FN: AtomicUsize = AtomicUsize::new(0);

pub fn set_log_fn(f: Option<LogFn>) {
    LOG_FN.store(f.map_or(0, |f| f as usize), Ordering::Release);
}

/// Upstream formats into a 512-byte buffer before calling the hook; longer texts are cut there.
const HOOK_TEXT_MAX: usize = 511;

/// Logs one evdns message at `severity` (EVENT_LOG_DEBUG or EVENT_LOG_WARN).
pub fn log(severity: c_int, args: std::fmt::Arguments<'_>) {
    let hook = LOG_FN.load(Ordering::Acquire);
    if hook == 0 {
        crate::log::log_fmt(severity, args);
        return;
    }
    let mut text = std::fmt::format(args).into_bytes();
    text.retain(|&b| b != 0);
    text.truncate(HOOK_TEXT_MAX);
    text.push(0);
    let msg = CStr::from_bytes_with_nul(&text).expect("NUL appended, interior NULs removed");
    // SAFETY: only values of type LogFn are ever stored in LOG_FN.
    let f: LogFn = unsafe { std::mem::transmute::<usize, LogFn>(hook) };
    // SAFETY: msg is a valid NUL-terminated string for the duration of the call.
    unsafe { f(c_int::from(severity == EVENT_LOG_WARN), msg.as_ptr()) };
}

/// Whether a debug message would be seen: skips formatting it otherwise.
pub fn debug_enabled() -> bool {
    LOG_FN.load(Ordering::Acquire) != 0 || crate::log::debug_mask() != 0
}

/// `evdns_warn!(...)`: a warning through the evdns log hook.
#[macro_export]
macro_rules! evdns_warn {
    ($($arg:tt)*) => { $crate::dns::log::log($crate::log::EVENT_LOG_WARN, format_args!($($arg)*)) };
}

/// `evdns_msg!(...)`: an informational message (upstream's EVDNS_LOG_MSG: a nameserver going
/// down or coming back), not a warning for the hook.
#[macro_export]
macro_rules! evdns_msg {
    ($($arg:tt)*) => { $crate::dns::log::log($crate::log::EVENT_LOG_MSG, format_args!($($arg)*)) };
}

/// `evdns_debug!(...)`: a debug message through the evdns log hook (formatted only when seen).
#[macro_export]
macro_rules! evdns_debug {
    ($($arg:tt)*) => {
        if $crate::dns::log::debug_enabled() {
            $crate::dns::log::log($crate::log::EVENT_LOG_DEBUG, format_args!($($arg)*))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<(c_int, Vec<u8>)>> = Mutex::new(Vec::new());

    unsafe extern "C" fn record(is_warning: c_int, msg: *const c_char) {
        // SAFETY: log() passes a valid C string.
        let text = unsafe { CStr::from_ptr(msg) }.to_bytes().to_vec();
        SEEN.lock().unwrap().push((is_warning, text));
    }

    #[test]
    fn hook_gets_every_message_cut_at_511_bytes() {
        set_log_fn(Some(record));
        evdns_debug!("probe {}", 1);
        evdns_warn!("{}", "x".repeat(600));
        set_log_fn(None);
        let seen = SEEN.lock().unwrap();
        assert_eq!(seen[0], (0, b"probe 1".to_vec()));
        assert_eq!(seen[1].0, 1);
        assert_eq!(seen[1].1.len(), HOOK_TEXT_MAX);
    }
}
