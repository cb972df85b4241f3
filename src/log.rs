//! Logging: the user's log and fatal callbacks, debug-logging mask, and the Rust-side helpers the
//! rest of the library uses to report bad arguments (`warnx!`) the way upstream does.

use std::ffi::{c_char, c_int, CStr};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

pub const EVENT_LOG_DEBUG: c_int = 0;
pub const EVENT_LOG_MSG: c_int = 1;
pub const EVENT_LOG_WARN: c_int = 2;
pub const EVENT_LOG_ERR: c_int = 3;
/// Exit code that means "abort()" rather than exit().
pub const EVENT_ERR_ABORT: c_int = 0xdeaddead_u32 as c_int;

pub type LogCallback = unsafe extern "C" fn(c_int, *const c_char);
pub type FatalCallback = unsafe extern "C" fn(c_int);

// Function pointers stored as usize so they can live in atomics; 0 means "not set".
static LOG_CB: AtomicUsize = AtomicUsize::new(0);
static FATAL_CB: AtomicUsize = AtomicUsize::new(0);

/// Mask of enabled debug-logging categories; exported because upstream's macros read it.
#[no_mangle]
pub static mut event_debug_logging_mask_: u32 = 0;

pub fn debug_mask() -> u32 {
    // SAFETY: a plain word read through the exported (possibly copy-relocated) symbol.
    unsafe { std::ptr::read_volatile(&raw const event_debug_logging_mask_) }
}

pub fn set_debug_mask(mask: u32) {
    // SAFETY: a plain word write; upstream has the same unsynchronised global.
    unsafe { std::ptr::write_volatile(&raw mut event_debug_logging_mask_, mask) }
}

pub fn set_log_callback(cb: Option<LogCallback>) {
    LOG_CB.store(cb.map_or(0, |f| f as usize), Ordering::Release);
}

pub fn set_fatal_callback(cb: Option<FatalCallback>) {
    FATAL_CB.store(cb.map_or(0, |f| f as usize), Ordering::Release);
}

/// Delivers one finished message to the log callback, or to stderr as upstream formats it.
pub fn message(severity: c_int, msg: &CStr) {
    let cb = LOG_CB.load(Ordering::Acquire);
    if cb != 0 {
        // SAFETY: only values of type LogCallback are ever stored in LOG_CB.
        let f: LogCallback = unsafe { std::mem::transmute::<usize, LogCallback>(cb) };
        // SAFETY: msg is a valid NUL-terminated string for the duration of the call.
        unsafe { f(severity, msg.as_ptr()) };
        return;
    }
    let tag = match severity {
        EVENT_LOG_DEBUG => "debug",
        EVENT_LOG_MSG => "msg",
        EVENT_LOG_WARN => "warn",
        EVENT_LOG_ERR => "err",
        _ => "???",
    };
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"[");
    let _ = err.write_all(tag.as_bytes());
    let _ = err.write_all(b"] ");
    let _ = err.write_all(msg.to_bytes());
    let _ = err.write_all(b"\n");
}

/// Logs a Rust-formatted message (used by `warnx!`, `msgx!`, `debugx!`).
pub fn log_fmt(severity: c_int, args: std::fmt::Arguments<'_>) {
    if severity == EVENT_LOG_DEBUG && debug_mask() == 0 {
        return;
    }
    let mut text = std::fmt::format(args).into_bytes();
    text.retain(|&b| b != 0);
    text.push(0);
    let msg = CStr::from_bytes_with_nul(&text).expect("NUL appended, interior NULs removed");
    message(severity, msg);
}

/// Ends the process after a fatal error, as upstream's `event_exit` does.
pub fn fatal_exit(errcode: c_int) -> ! {
    let cb = FATAL_CB.load(Ordering::Acquire);
    if cb != 0 {
        // SAFETY: only values of type FatalCallback are ever stored in FATAL_CB.
        let f: FatalCallback = unsafe { std::mem::transmute::<usize, FatalCallback>(cb) };
        // SAFETY: calling the user's callback with the documented argument.
        unsafe { f(errcode) };
        std::process::exit(errcode);
    }
    if errcode == EVENT_ERR_ABORT {
        std::process::abort();
    }
    std::process::exit(errcode);
}

/// Logs at error level and ends the process (`event_errx`).
pub fn errx(errcode: c_int, args: std::fmt::Arguments<'_>) -> ! {
    log_fmt(EVENT_LOG_ERR, args);
    fatal_exit(errcode)
}

/// Upstream's EVUTIL_ASSERT: a broken invariant is reported and the process aborts.
#[macro_export]
macro_rules! ev_assert {
    ($cond:expr) => {
        if !$cond {
            $crate::log::errx(
                $crate::log::EVENT_ERR_ABORT,
                format_args!("{}:{}: Assertion {} failed in {}", file!(), line!(), stringify!($cond), module_path!()),
            );
        }
    };
}

#[macro_export]
macro_rules! warnx {
    ($($arg:tt)*) => { $crate::log::log_fmt($crate::log::EVENT_LOG_WARN, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! msgx {
    ($($arg:tt)*) => { $crate::log::log_fmt($crate::log::EVENT_LOG_MSG, format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! debugx {
    ($($arg:tt)*) => {
        if $crate::log::debug_mask() != 0 {
            $crate::log::log_fmt($crate::log::EVENT_LOG_DEBUG, format_args!($($arg)*))
        }
    };
}

/// `warn!`: like `warnx!` with ": strerror(errno)" appended, as event_warn does.
#[macro_export]
macro_rules! warn_errno {
    ($($arg:tt)*) => {{
        let e = std::io::Error::last_os_error();
        $crate::log::log_fmt($crate::log::EVENT_LOG_WARN, format_args!("{}: {}", format_args!($($arg)*), $crate::log::strerror(e.raw_os_error().unwrap_or(0))))
    }};
}

/// The C library's text for an errno value (Rust's io::Error adds "(os error N)").
pub fn strerror(errnum: c_int) -> String {
    // SAFETY: strerror returns a pointer to a NUL-terminated string owned by libc.
    let p = unsafe { libc::strerror(errnum) };
    if p.is_null() {
        return format!("Unknown error {errnum}");
    }
    // SAFETY: checked non-NULL above; libc keeps it valid until the next strerror call.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

// Entry points for capi/log.c.

/// Called by capi/log.c with a formatted message.
///
/// # Safety
/// `msg` must be a valid NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn event_rs_log_message(severity: c_int, msg: *const c_char) {
    if msg.is_null() {
        return;
    }
    // SAFETY: the caller passes a NUL-terminated buffer.
    message(severity, unsafe { CStr::from_ptr(msg) });
}

#[no_mangle]
pub extern "C" fn event_rs_fatal_exit(errcode: c_int) {
    fatal_exit(errcode)
}

#[no_mangle]
pub extern "C" fn event_rs_debug_mask() -> u32 {
    debug_mask()
}
