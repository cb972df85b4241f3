//! OpenSSL, reached through function pointers found in the running process (see the module
//! doc of `src/ssl/mod.rs` for why): the C types as opaque pointers, the functions the TLS
//! bufferevent needs with their OpenSSL 3 prototypes, the constants it uses (OpenSSL's
//! documented values), the ctrl-based macros written as calls, and safe wrappers.
//!
//! The wrappers are safe because their receivers can only be made from pointers the program
//! handed us ([`Ssl::from_raw`]) or OpenSSL returned, and the table exists only once every
//! function was found.

use std::ffi::{c_char, c_int, c_long, c_ulong, c_void};
use std::ptr;
use std::sync::OnceLock;

/// `SSL`.
#[repr(C)]
pub struct SslSt {
    _opaque: [u8; 0],
}
/// `BIO`.
#[repr(C)]
pub struct BioSt {
    _opaque: [u8; 0],
}
/// `BIO_METHOD`.
#[repr(C)]
pub struct BioMethodSt {
    _opaque: [u8; 0],
}

pub type BioWriteFn = unsafe extern "C" fn(*mut BioSt, *const c_char, c_int) -> c_int;
pub type BioReadFn = unsafe extern "C" fn(*mut BioSt, *mut c_char, c_int) -> c_int;
pub type BioCtrlFn = unsafe extern "C" fn(*mut BioSt, c_int, c_long, *mut c_void) -> c_long;

// SSL_get_error results.
pub const SSL_ERROR_SSL: c_int = 1;
pub const SSL_ERROR_WANT_READ: c_int = 2;
pub const SSL_ERROR_WANT_WRITE: c_int = 3;
pub const SSL_ERROR_SYSCALL: c_int = 5;
pub const SSL_ERROR_ZERO_RETURN: c_int = 6;

// SSL_ctrl / SSL_set_mode.
const SSL_CTRL_MODE: c_int = 33;
pub const SSL_MODE_ENABLE_PARTIAL_WRITE: c_long = 0x1;
pub const SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: c_long = 0x2;
/// SSL_get_shutdown: the peer's close_notify arrived.
pub const SSL_RECEIVED_SHUTDOWN: c_int = 2;

/// SSL_set_options: EOF without close_notify is reported as a close (OpenSSL 3).
const SSL_OP_IGNORE_UNEXPECTED_EOF: u64 = 1 << 7;

// BIO_ctrl commands.
const BIO_CTRL_EOF: c_int = 2;
const BIO_C_GET_FD: c_int = 105;
pub const BIO_CTRL_GET_CLOSE: c_int = 8;
pub const BIO_CTRL_SET_CLOSE: c_int = 9;
pub const BIO_CTRL_PENDING: c_int = 10;
pub const BIO_CTRL_FLUSH: c_int = 11;
pub const BIO_CTRL_DUP: c_int = 12;
pub const BIO_CTRL_WPENDING: c_int = 13;
pub const BIO_NOCLOSE: c_int = 0;

// BIO flags and types.
const BIO_FLAGS_READ: c_int = 0x01;
const BIO_FLAGS_WRITE: c_int = 0x02;
const BIO_FLAGS_RWS: c_int = 0x07;
const BIO_FLAGS_SHOULD_RETRY: c_int = 0x08;
/// BIOs on a descriptor (socket, fd, connect, accept): the only ones BIO_get_fd means for.
const BIO_TYPE_DESCRIPTOR: c_int = 0x0100;
const BIO_TYPE_SOURCE_SINK: c_int = 0x0400;

// Error codes (err.h): library and reason of a packed code.
pub const ERR_LIB_SSL: u32 = 20;
/// `SSL_R_UNEXPECTED_EOF_WHILE_READING`: OpenSSL 3's report of EOF without close_notify.
pub const SSL_R_UNEXPECTED_EOF_WHILE_READING: u32 = 294;
const ERR_SYSTEM_FLAG: c_ulong = 1 << 31;

/// `ERR_PACK(ERR_LIB_SSL, 0, SSL_R_UNEXPECTED_EOF_WHILE_READING)`, as OpenSSL 3 queues it.
pub fn unexpected_eof_code() -> c_ulong {
    (c_ulong::from(ERR_LIB_SSL) << 23) | c_ulong::from(SSL_R_UNEXPECTED_EOF_WHILE_READING)
}

/// `ERR_GET_LIB` (OpenSSL 3: system errors have their own flag and are never SSL's).
pub fn err_lib(e: c_ulong) -> u32 {
    if e & ERR_SYSTEM_FLAG != 0 {
        2 // ERR_LIB_SYS
    } else {
        ((e >> 23) & 0xff) as u32
    }
}

/// `ERR_GET_REASON`.
pub fn err_reason(e: c_ulong) -> u32 {
    if e & ERR_SYSTEM_FLAG != 0 {
        (e & 0x7fff_ffff) as u32
    } else {
        (e & 0x7f_ffff) as u32
    }
}

/// Declares the table of OpenSSL functions and its resolver: every function must be found,
/// or the table does not exist.
macro_rules! openssl_api {
    ($( fn $name:ident($($ty:ty),*) $(-> $ret:ty)?; )*) => {
        #[allow(non_snake_case)]
        pub struct Api {
            $( $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
        }

        impl Api {
            /// # Safety
            /// `handle` must be a dlopen handle or RTLD_DEFAULT; the symbols found must have
            /// the prototypes above (OpenSSL 3's, which 1.1 shares for these).
            unsafe fn resolve(handle: *mut c_void) -> Result<Api, &'static str> {
                Ok(Api {
                    $( $name: {
                        // SAFETY: a NUL-terminated name; handle per the contract.
                        let f = unsafe { libc::dlsym(handle, concat!(stringify!($name), "\0").as_ptr().cast()) };
                        if f.is_null() {
                            return Err(stringify!($name));
                        }
                        // SAFETY: the symbol is OpenSSL's function of that name (contract).
                        unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($ty),*) $(-> $ret)?>(f) }
                    }, )*
                })
            }
        }
    };
}

openssl_api! {
    fn SSL_read(*mut SslSt, *mut c_void, c_int) -> c_int;
    fn SSL_write(*mut SslSt, *const c_void, c_int) -> c_int;
    fn SSL_get_error(*const SslSt, c_int) -> c_int;
    fn SSL_do_handshake(*mut SslSt) -> c_int;
    fn SSL_set_connect_state(*mut SslSt);
    fn SSL_set_accept_state(*mut SslSt);
    fn SSL_clear(*mut SslSt) -> c_int;
    fn SSL_free(*mut SslSt);
    fn SSL_ctrl(*mut SslSt, c_int, c_long, *mut c_void) -> c_long;
    fn SSL_set_bio(*mut SslSt, *mut BioSt, *mut BioSt);
    fn SSL_get_rbio(*const SslSt) -> *mut BioSt;
    fn SSL_get_wbio(*const SslSt) -> *mut BioSt;
    fn SSL_pending(*const SslSt) -> c_int;
    fn SSL_get_shutdown(*const SslSt) -> c_int;
    fn SSL_renegotiate(*mut SslSt) -> c_int;
    fn SSL_shutdown(*mut SslSt) -> c_int;
    fn SSL_set_options(*mut SslSt, u64) -> u64;
    fn SSL_set_read_ahead(*mut SslSt, c_int);
    fn SSL_set_default_read_buffer_len(*mut SslSt, usize);
    fn OpenSSL_version_num() -> c_ulong;
    fn BIO_new_socket(c_int, c_int) -> *mut BioSt;
    fn BIO_new(*const BioMethodSt) -> *mut BioSt;
    fn BIO_ctrl(*mut BioSt, c_int, c_long, *mut c_void) -> c_long;
    fn BIO_method_type(*const BioSt) -> c_int;
    fn BIO_get_new_index() -> c_int;
    fn BIO_meth_new(c_int, *const c_char) -> *mut BioMethodSt;
    fn BIO_meth_set_write(*mut BioMethodSt, BioWriteFn) -> c_int;
    fn BIO_meth_set_read(*mut BioMethodSt, BioReadFn) -> c_int;
    fn BIO_meth_set_ctrl(*mut BioMethodSt, BioCtrlFn) -> c_int;
    fn BIO_set_data(*mut BioSt, *mut c_void);
    fn BIO_get_data(*mut BioSt) -> *mut c_void;
    fn BIO_set_init(*mut BioSt, c_int);
    fn BIO_set_flags(*mut BioSt, c_int);
    fn BIO_clear_flags(*mut BioSt, c_int);
    fn BIO_set_shutdown(*mut BioSt, c_int);
    fn BIO_get_shutdown(*mut BioSt) -> c_int;
    fn BIO_number_read(*mut BioSt) -> u64;
    fn BIO_number_written(*mut BioSt) -> u64;
    fn ERR_get_error() -> c_ulong;
    fn ERR_clear_error();
}

static API: OnceLock<Api> = OnceLock::new();

/// The OpenSSL the program uses, resolved once: libssl.so.3 if the process has loaded it
/// (RTLD_NOLOAD never loads it), else whatever the global scope offers (a program linked with
/// another build of libssl). None, with a log message, when the process has no OpenSSL; a
/// later call tries again (the program may load it in between).
pub fn api() -> Option<&'static Api> {
    if let Some(a) = API.get() {
        return Some(a);
    }
    // SAFETY: dlopen with RTLD_NOLOAD only returns a handle to a library already loaded; its
    // symbols (and its dependency libcrypto's) are OpenSSL's. The handle is kept for ever, so
    // the library stays loaded while the table points into it.
    let found = unsafe {
        let h = libc::dlopen(c"libssl.so.3".as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        let from_lib = if h.is_null() { Err("libssl.so.3 not loaded") } else { Api::resolve(h) };
        from_lib.or_else(|_| Api::resolve(libc::RTLD_DEFAULT))
    };
    match found {
        Ok(a) => Some(API.get_or_init(|| a)),
        Err(missing) => {
            warnx!("bufferevent_openssl: the program has not loaded OpenSSL (no {} found in the process)", missing);
            None
        }
    }
}

/// The calling thread's OpenSSL error queue.
#[derive(Clone, Copy)]
pub struct ErrQueue(&'static Api);

impl ErrQueue {
    pub fn new(api: &'static Api) -> Self {
        ErrQueue(api)
    }

    /// `ERR_get_error`: the oldest queued code, removed; 0 when empty.
    pub fn pop(self) -> c_ulong {
        // SAFETY: no arguments; thread-local state inside OpenSSL.
        unsafe { (self.0.ERR_get_error)() }
    }

    pub fn clear(self) {
        // SAFETY: as in pop.
        unsafe { (self.0.ERR_clear_error)() }
    }
}

/// A program's `SSL *`.
#[derive(Clone, Copy)]
pub struct Ssl {
    api: &'static Api,
    ptr: *mut SslSt,
}

/// A `BIO *` that OpenSSL gave us or an SSL holds.
#[derive(Clone, Copy)]
pub struct Bio {
    api: &'static Api,
    ptr: *mut BioSt,
}

impl Ssl {
    /// # Safety
    /// `ptr` must be a live `SSL *` of the OpenSSL `api` was resolved from, and stay live
    /// while the value (or a copy) is used.
    pub unsafe fn from_raw(api: &'static Api, ptr: *mut SslSt) -> Self {
        Ssl { api, ptr }
    }

    pub fn as_ptr(self) -> *mut SslSt {
        self.ptr
    }

    pub fn api(self) -> &'static Api {
        self.api
    }

    pub fn errors(self) -> ErrQueue {
        ErrQueue(self.api)
    }

    /// `SSL_read` into `buf` (at most `c_int::MAX` bytes of it).
    pub fn read(self, buf: &mut [u8]) -> c_int {
        let n = buf.len().min(c_int::MAX as usize) as c_int;
        // SAFETY: live SSL (from_raw); buf is writable for n bytes.
        unsafe { (self.api.SSL_read)(self.ptr, buf.as_mut_ptr().cast(), n) }
    }

    /// `SSL_write` of `buf` (at most `c_int::MAX` bytes of it).
    pub fn write(self, buf: &[u8]) -> c_int {
        let n = buf.len().min(c_int::MAX as usize) as c_int;
        // SAFETY: live SSL; buf is readable for n bytes.
        unsafe { (self.api.SSL_write)(self.ptr, buf.as_ptr().cast(), n) }
    }

    pub fn get_error(self, ret: c_int) -> c_int {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_get_error)(self.ptr, ret) }
    }

    pub fn do_handshake(self) -> c_int {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_do_handshake)(self.ptr) }
    }

    /// `SSL_clear` then the connect (client) or accept (server) state; false if the clear failed.
    pub fn restart(self, client: bool) -> bool {
        // SAFETY: live SSL.
        unsafe {
            if (self.api.SSL_clear)(self.ptr) == 0 {
                return false;
            }
            if client {
                (self.api.SSL_set_connect_state)(self.ptr)
            } else {
                (self.api.SSL_set_accept_state)(self.ptr)
            }
        }
        true
    }

    /// `SSL_free`: the value must not be used afterwards.
    pub fn free(self) {
        // SAFETY: live SSL, given up here (callers' contract: the last use).
        unsafe { (self.api.SSL_free)(self.ptr) }
    }

    /// `SSL_set_mode`: adds `mode` bits.
    pub fn set_mode(self, mode: c_long) {
        // SAFETY: live SSL; SSL_CTRL_MODE takes its bits in larg.
        unsafe { (self.api.SSL_ctrl)(self.ptr, SSL_CTRL_MODE, mode, ptr::null_mut()) };
    }

    /// `SSL_set_read_ahead(ssl, 1)` with a read buffer of `len` bytes: OpenSSL then reads
    /// whatever the transport has, up to `len`, per read, instead of each record's header and
    /// body apart.
    pub fn set_read_ahead(self, len: usize) {
        // SAFETY: live SSL; both only set fields of it.
        unsafe {
            (self.api.SSL_set_default_read_buffer_len)(self.ptr, len);
            (self.api.SSL_set_read_ahead)(self.ptr, 1);
        }
    }

    /// `SSL_set_bio(ssl, bio, bio)`: the SSL takes the (one) reference on `bio`.
    pub fn set_bio(self, bio: Bio) {
        // SAFETY: live SSL and BIO.
        unsafe { (self.api.SSL_set_bio)(self.ptr, bio.ptr, bio.ptr) }
    }

    pub fn rbio(self) -> Option<Bio> {
        // SAFETY: live SSL.
        let p = unsafe { (self.api.SSL_get_rbio)(self.ptr) };
        (!p.is_null()).then_some(Bio { api: self.api, ptr: p })
    }

    pub fn wbio(self) -> Option<Bio> {
        // SAFETY: live SSL.
        let p = unsafe { (self.api.SSL_get_wbio)(self.ptr) };
        (!p.is_null()).then_some(Bio { api: self.api, ptr: p })
    }

    /// Plaintext bytes decrypted and waiting inside the SSL.
    pub fn pending(self) -> c_int {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_pending)(self.ptr) }
    }

    pub fn received_shutdown(self) -> bool {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_get_shutdown)(self.ptr) & SSL_RECEIVED_SHUTDOWN != 0 }
    }

    /// `SSL_renegotiate`: true if a new handshake was scheduled.
    pub fn renegotiate(self) -> bool {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_renegotiate)(self.ptr) > 0 }
    }

    /// OpenSSL 3 answers an EOF without close_notify with a fatal decode_error alert to the peer
    /// (the peer then sees an error, not the end of the connection, as with OpenSSL 1.1 and
    /// libevent's tests expect) unless SSL_OP_IGNORE_UNEXPECTED_EOF is set; then the EOF is a
    /// close, and [`Bio::at_eof`] tells it from a close_notify. Older versions need nothing.
    pub fn report_eof_as_close(self) {
        // SAFETY: live SSL; OpenSSL_version_num has no arguments.
        unsafe {
            if (self.api.OpenSSL_version_num)() >= 0x3000_0000 {
                (self.api.SSL_set_options)(self.ptr, SSL_OP_IGNORE_UNEXPECTED_EOF);
            }
        }
    }

    /// `SSL_shutdown`: sends close_notify (once); what the peer answers is not waited for.
    pub fn shutdown(self) -> c_int {
        // SAFETY: live SSL.
        unsafe { (self.api.SSL_shutdown)(self.ptr) }
    }

    /// A BIO on socket `fd` that never closes it; None if OpenSSL cannot make one.
    pub fn socket_bio(self, fd: c_int) -> Option<Bio> {
        // SAFETY: BIO_new_socket only stores fd.
        let p = unsafe { (self.api.BIO_new_socket)(fd, BIO_NOCLOSE) };
        (!p.is_null()).then_some(Bio { api: self.api, ptr: p })
    }

    /// A BIO of `method` with `data`; None if OpenSSL cannot make one.
    pub fn new_bio(self, method: BioMethod, data: *mut c_void) -> Option<Bio> {
        // SAFETY: a method table made by BioMethod::new.
        let p = unsafe { (self.api.BIO_new)(method.0) };
        if p.is_null() {
            return None;
        }
        let bio = Bio { api: self.api, ptr: p };
        // SAFETY: a fresh BIO of ours.
        unsafe {
            (self.api.BIO_set_data)(p, data);
            (self.api.BIO_set_init)(p, 1);
            (self.api.BIO_set_shutdown)(p, 0);
        }
        Some(bio)
    }
}

impl Bio {
    /// # Safety
    /// `ptr` must be a live `BIO *` of `api`'s OpenSSL (one OpenSSL passes to a BIO callback).
    pub unsafe fn from_raw(api: &'static Api, ptr: *mut BioSt) -> Self {
        Bio { api, ptr }
    }

    /// `BIO_get_fd`, only for BIOs on a descriptor (for others OpenSSL's answer is not an fd).
    pub fn fd(self) -> Option<c_int> {
        // SAFETY: live BIO.
        unsafe {
            if (self.api.BIO_method_type)(self.ptr) & BIO_TYPE_DESCRIPTOR == 0 {
                return None;
            }
            let fd = (self.api.BIO_ctrl)(self.ptr, BIO_C_GET_FD, 0, ptr::null_mut());
            (fd >= 0).then_some(fd as c_int)
        }
    }

    /// `BIO_eof`: the transport under a socket BIO ended (OpenSSL 3 keeps that in a flag; BIOs
    /// that do not answer say no).
    pub fn at_eof(self) -> bool {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_ctrl)(self.ptr, BIO_CTRL_EOF, 0, ptr::null_mut()) != 0 }
    }

    /// `BIO_set_close`.
    pub fn set_close(self, close: bool) {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_ctrl)(self.ptr, BIO_CTRL_SET_CLOSE, c_long::from(close), ptr::null_mut()) };
    }

    pub fn data(self) -> *mut c_void {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_get_data)(self.ptr) }
    }

    pub fn shutdown(self) -> c_int {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_get_shutdown)(self.ptr) }
    }

    pub fn set_shutdown(self, v: c_int) {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_set_shutdown)(self.ptr, v) }
    }

    /// `BIO_clear_retry_flags`.
    pub fn clear_retry(self) {
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_clear_flags)(self.ptr, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY) }
    }

    /// `BIO_set_retry_read` (`write` false) or `BIO_set_retry_write`.
    pub fn set_retry(self, write: bool) {
        let dir = if write { BIO_FLAGS_WRITE } else { BIO_FLAGS_READ };
        // SAFETY: live BIO.
        unsafe { (self.api.BIO_set_flags)(self.ptr, dir | BIO_FLAGS_SHOULD_RETRY) }
    }

    /// (`BIO_number_read`, `BIO_number_written`): bytes through the BIO since it was made.
    pub fn counts(self) -> (u64, u64) {
        // SAFETY: live BIO.
        unsafe { ((self.api.BIO_number_read)(self.ptr), (self.api.BIO_number_written)(self.ptr)) }
    }

    pub fn as_ptr(self) -> *mut BioSt {
        self.ptr
    }
}

/// A BIO method table of ours (made once, never freed: BIOs of it may live as long as the
/// program's SSL objects).
#[derive(Clone, Copy)]
pub struct BioMethod(*mut BioMethodSt);

// SAFETY: OpenSSL method tables are immutable once set up and shared between threads.
unsafe impl Send for BioMethod {}
// SAFETY: as above.
unsafe impl Sync for BioMethod {}

impl BioMethod {
    /// A source/sink method named `name` with the given callbacks; None if OpenSSL cannot
    /// make one.
    pub fn new(api: &'static Api, name: &'static std::ffi::CStr, read: BioReadFn, write: BioWriteFn, ctrl: BioCtrlFn) -> Option<Self> {
        // SAFETY: name lives for ever; the callbacks have BIO's prototypes.
        unsafe {
            let index = (api.BIO_get_new_index)();
            if index < 0 {
                return None;
            }
            let m = (api.BIO_meth_new)(index | BIO_TYPE_SOURCE_SINK, name.as_ptr());
            if m.is_null() {
                return None;
            }
            (api.BIO_meth_set_read)(m, read);
            (api.BIO_meth_set_write)(m, write);
            (api.BIO_meth_set_ctrl)(m, ctrl);
            Some(BioMethod(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_code_fields() {
        // ERR_PACK(ERR_LIB_SSL, 0, SSL_R_UNEXPECTED_EOF_WHILE_READING) as OpenSSL 3 builds it.
        let e: c_ulong = (20 << 23) | 294;
        assert_eq!(unexpected_eof_code(), e);
        assert_eq!(err_lib(e), ERR_LIB_SSL);
        assert_eq!(err_reason(e), SSL_R_UNEXPECTED_EOF_WHILE_READING);
        // A system error (errno 104 recorded by OpenSSL 3) is never SSL's.
        let sys: c_ulong = ERR_SYSTEM_FLAG | 104;
        assert_eq!(err_lib(sys), 2);
        assert_eq!(err_reason(sys), 104);
    }
}
