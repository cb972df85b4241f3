//! TLS bufferevents through OpenSSL (`event2/bufferevent_ssl.h`, upstream's
//! libevent_openssl).
//!
//! # One library, OpenSSL found at run time
//!
//! Upstream ships this part as its own library, libevent_openssl, linked with libssl. We ship
//! one library (libevent_openssl-2.1.so.7 is one more name of it), and it does not link
//! OpenSSL: a program that never uses TLS must not get libssl loaded because of us. OpenSSL's
//! functions are reached through a table of function pointers (`openssl.rs`) filled in the
//! first time a program hands us an `SSL *`. A program that has one has loaded libssl itself,
//! so `dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD)` finds it without ever loading a copy;
//! failing that (another soname, a static build exporting its symbols), the process's global
//! scope is searched. If neither has OpenSSL, the constructors fail with NULL and a log
//! message. Chosen over a second library because one file serves every compatibility name,
//! and because the program's own libssl is then, by construction, the one we call.
//!
//! # Files
//!
//! - `openssl.rs`: the function table, OpenSSL's constants and safe wrappers (`Ssl`, `Bio`).
//! - `bio.rs`: the BIO that carries records through an underlying bufferevent (filter mode).
//! - `bufferevent.rs`: the bufferevent kind (`bufferevent_ops_openssl`, type_name "ssl").
//! - This file: what is pure, unit-tested: how a failed SSL call maps to the event the program
//!   sees, the error store of `bufferevent_get_openssl_error`, which transport readiness the
//!   connection waits for.
//!
//! # Differences from upstream 2.1.12, on purpose
//!
//! - OpenSSL 3 reports a connection closed without close_notify as `SSL_ERROR_SSL` with reason
//!   `SSL_R_UNEXPECTED_EOF_WHILE_READING` (1.1 reported `SSL_ERROR_SYSCALL` with nothing
//!   queued), and also answers it with a fatal alert to the peer, which then sees an error
//!   instead of the end. The SSL objects given to us get SSL_OP_IGNORE_UNEXPECTED_EOF (no
//!   alert; the EOF comes as a close, told from close_notify by the socket BIO's EOF flag).
//!   Every form is a dirty shutdown here: EOF with allow_dirty_shutdown, ERROR without.
//!   2.1.12 knows only the 1.1 form, so its dirty-shutdown tests fail against OpenSSL 3.
//! - Reads take several `SSL_read` calls per readiness, up to 256 KiB (the default
//!   max_single_read of this kind; rate limits and watermarks bound it further), as 2.2 does;
//!   2.1.12 reads 4 KiB. Writes hand whole chains to `SSL_write` with partial writes on.
//! - `bufferevent_get_openssl_error` returns only OpenSSL error codes; 2.1.12 also queued the
//!   `SSL_get_error` result (a small integer that is no error code).
//! - A handshake that times out disables both directions (2.1.12 kept waiting).

pub mod bio;
pub mod bufferevent;
pub mod openssl;

use std::ffi::{c_int, c_short, c_ulong};

use crate::bufferevent::layout::{BEV_EVENT_EOF, BEV_EVENT_ERROR};
use openssl::*;

pub use self::bufferevent::is_ssl;

/// How a connection ended, from the failed call's `SSL_get_error` result, its return value,
/// whether OpenSSL counts the connection as closed by the peer, whether the transport itself
/// ended (with SSL_OP_IGNORE_UNEXPECTED_EOF, OpenSSL 3 reports an EOF without close_notify
/// as a close: the transport's EOF tells them apart), and the error codes OpenSSL queued.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// The peer sent close_notify.
    Clean,
    /// The transport ended without close_notify.
    Dirty,
    /// A protocol, verification or system error.
    Failed,
}

pub fn classify(ssl_error: c_int, ret: c_int, received_shutdown: bool, transport_eof: bool, errors: &[c_ulong]) -> Close {
    let unexpected_eof = |e: c_ulong| err_lib(e) == ERR_LIB_SSL && err_reason(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
    match ssl_error {
        SSL_ERROR_ZERO_RETURN if received_shutdown && !transport_eof => Close::Clean,
        SSL_ERROR_ZERO_RETURN => Close::Dirty,
        // OpenSSL 1.1: EOF is a "system call" failure returning 0 with nothing queued.
        SSL_ERROR_SYSCALL if ret == 0 && errors.is_empty() => Close::Dirty,
        // OpenSSL 3: EOF is an SSL error of its own reason (and nothing else went wrong).
        SSL_ERROR_SSL if !errors.is_empty() && errors.iter().all(|&e| unexpected_eof(e)) => Close::Dirty,
        _ => Close::Failed,
    }
}

/// The BEV_EVENT_* bit the program gets for `close`.
pub fn close_event(close: Close, allow_dirty_shutdown: bool) -> c_short {
    match close {
        Close::Clean => BEV_EVENT_EOF,
        Close::Dirty if allow_dirty_shutdown => BEV_EVENT_EOF,
        Close::Dirty | Close::Failed => BEV_EVENT_ERROR,
    }
}

/// The error codes recorded at a failure, for `bufferevent_get_openssl_error`: the first few
/// are kept (the rest are rarely more than repetitions) and handed out most recent first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    codes: [c_ulong; Errors::CAP],
    n: u8,
}

impl Errors {
    const CAP: usize = 4;

    pub fn push(&mut self, code: c_ulong) {
        if code != 0 && usize::from(self.n) < Self::CAP {
            self.codes[usize::from(self.n)] = code;
            self.n += 1;
        }
    }

    /// The most recent code not yet taken; 0 when none is left.
    pub fn pop(&mut self) -> c_ulong {
        if self.n == 0 {
            return 0;
        }
        self.n -= 1;
        self.codes[usize::from(self.n)]
    }
}

/// What an SSL call that could not finish waits for.
#[repr(u8)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Blocked {
    #[default]
    No = 0,
    /// The transport must become readable (SSL_ERROR_WANT_READ).
    OnRead,
    /// The transport must become writable (SSL_ERROR_WANT_WRITE).
    OnWrite,
}

impl Blocked {
    /// The wait an `SSL_get_error` result asks for, if it is one.
    pub fn from_ssl_error(e: c_int) -> Option<Blocked> {
        match e {
            SSL_ERROR_WANT_READ => Some(Blocked::OnRead),
            SSL_ERROR_WANT_WRITE => Some(Blocked::OnWrite),
            _ => None,
        }
    }
}

/// Which readiness of the transport a connection waits for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wants {
    pub read: bool,
    pub write: bool,
}

/// The connection's state as far as waiting goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoState {
    /// Handshaking (connecting, accepting or renegotiating), and what it waits for.
    pub handshake: Option<Blocked>,
    /// Closed: nothing to wait for.
    pub closed: bool,
    /// The program enabled reading / writing, and nothing suspends it.
    pub reading: bool,
    pub writing: bool,
    /// There is plaintext to send (or a write to finish).
    pub has_output: bool,
    pub read_blocked: Blocked,
    pub write_blocked: Blocked,
}

/// A handshake waits for what OpenSSL asked for while the program has either direction on. Open,
/// reading waits for readability unless the last SSL_read needs a write first, writing (with
/// something to write) for writability unless the last SSL_write needs a read first; either
/// may add the other direction's wait.
pub fn wants(s: &IoState, enabled_any: bool) -> Wants {
    if s.closed {
        return Wants::default();
    }
    if let Some(b) = s.handshake {
        return Wants { read: enabled_any && b == Blocked::OnRead, write: enabled_any && b == Blocked::OnWrite };
    }
    let writing = s.writing && s.has_output;
    Wants {
        read: (s.reading && s.read_blocked != Blocked::OnWrite) || (writing && s.write_blocked == Blocked::OnRead),
        write: (writing && s.write_blocked != Blocked::OnRead) || (s.reading && s.read_blocked == Blocked::OnWrite),
    }
}

/// How many bytes a readiness may bring into the input: the read limit, and no further than the
/// high watermark (0: none).
pub fn read_budget(read_max: isize, wm_high: usize, input_len: usize) -> usize {
    let max = read_max.max(0) as usize;
    if wm_high == 0 {
        return max;
    }
    max.min(wm_high.saturating_sub(input_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EOF3: c_ulong = (20 << 23) | 294;
    const VERIFY_FAILED: c_ulong = (20 << 23) | 134;

    #[test]
    fn clean_and_dirty_shutdowns() {
        assert_eq!(classify(SSL_ERROR_ZERO_RETURN, 0, true, false, &[]), Close::Clean);
        assert_eq!(classify(SSL_ERROR_ZERO_RETURN, 0, false, false, &[]), Close::Dirty);
        // OpenSSL 3 with SSL_OP_IGNORE_UNEXPECTED_EOF: "closed", but by the transport.
        assert_eq!(classify(SSL_ERROR_ZERO_RETURN, 0, true, true, &[]), Close::Dirty);
        // OpenSSL 1.1's EOF, and 3's without the option.
        assert_eq!(classify(SSL_ERROR_SYSCALL, 0, false, true, &[]), Close::Dirty);
        assert_eq!(classify(SSL_ERROR_SSL, -1, false, true, &[EOF3]), Close::Dirty);
        assert_eq!(classify(SSL_ERROR_SSL, -1, false, false, &[EOF3, EOF3]), Close::Dirty);
    }

    #[test]
    fn failures() {
        // A socket error (ECONNRESET: OpenSSL returns -1), a protocol error, a failed
        // verification, an unexpected EOF with another error beside it, and results that are
        // no failure at all.
        assert_eq!(classify(SSL_ERROR_SYSCALL, -1, false, false, &[]), Close::Failed);
        assert_eq!(classify(SSL_ERROR_SYSCALL, 0, false, false, &[VERIFY_FAILED]), Close::Failed);
        assert_eq!(classify(SSL_ERROR_SSL, -1, false, false, &[VERIFY_FAILED]), Close::Failed);
        assert_eq!(classify(SSL_ERROR_SSL, -1, false, false, &[EOF3, VERIFY_FAILED]), Close::Failed);
        assert_eq!(classify(SSL_ERROR_SSL, -1, false, false, &[]), Close::Failed);
        assert_eq!(classify(SSL_ERROR_WANT_READ, -1, false, false, &[]), Close::Failed);
        assert_eq!(classify(4, -1, false, false, &[]), Close::Failed);
    }

    #[test]
    fn events_of_closes() {
        assert_eq!(close_event(Close::Clean, false), BEV_EVENT_EOF);
        assert_eq!(close_event(Close::Clean, true), BEV_EVENT_EOF);
        assert_eq!(close_event(Close::Dirty, false), BEV_EVENT_ERROR);
        assert_eq!(close_event(Close::Dirty, true), BEV_EVENT_EOF);
        assert_eq!(close_event(Close::Failed, true), BEV_EVENT_ERROR);
    }

    #[test]
    fn error_store() {
        let mut e = Errors::default();
        assert_eq!(e.pop(), 0);
        e.push(0);
        assert_eq!(e.pop(), 0);
        for c in 1..=6 {
            e.push(c);
        }
        assert_eq!([e.pop(), e.pop(), e.pop(), e.pop(), e.pop()], [4, 3, 2, 1, 0]);
    }

    #[test]
    fn handshake_waits() {
        let hs = |b| IoState { handshake: Some(b), ..IoState::default() };
        assert_eq!(wants(&hs(Blocked::OnRead), true), Wants { read: true, write: false });
        assert_eq!(wants(&hs(Blocked::OnWrite), true), Wants { read: false, write: true });
        // Disabled both ways (or timed out): the handshake stalls.
        assert_eq!(wants(&hs(Blocked::OnRead), false), Wants::default());
        let closed = IoState { closed: true, reading: true, writing: true, has_output: true, ..IoState::default() };
        assert_eq!(wants(&closed, true), Wants::default());
    }

    #[test]
    fn open_waits() {
        let open = IoState { reading: true, ..IoState::default() };
        assert_eq!(wants(&open, true), Wants { read: true, write: false });
        // Nothing to write: no wait for writability.
        let idle = IoState { writing: true, ..IoState::default() };
        assert_eq!(wants(&idle, true), Wants::default());
        let busy = IoState { writing: true, has_output: true, ..IoState::default() };
        assert_eq!(wants(&busy, true), Wants { read: false, write: true });
        // Crossings: a read that needs a write (renegotiation), a write that needs a read.
        let rw = IoState { reading: true, read_blocked: Blocked::OnWrite, ..IoState::default() };
        assert_eq!(wants(&rw, true), Wants { read: false, write: true });
        let wr = IoState { writing: true, has_output: true, write_blocked: Blocked::OnRead, ..IoState::default() };
        assert_eq!(wants(&wr, true), Wants { read: true, write: false });
    }

    #[test]
    fn budgets() {
        assert_eq!(read_budget(262144, 0, 100), 262144);
        assert_eq!(read_budget(262144, 5120, 1000), 4120);
        assert_eq!(read_budget(262144, 5120, 6000), 0);
        assert_eq!(read_budget(100, 5120, 0), 100);
        assert_eq!(read_budget(-1, 0, 0), 0);
    }
}
