//! The BIO of filter mode: OpenSSL reads records from the underlying bufferevent's input and
//! writes them to its output. Its data pointer is the underlying bufferevent (not the TLS one),
//! so an SSL whose TLS bufferevent was freed without CLOSE_ON_FREE still has a BIO that
//! points at something the program owns; freeing the BIO frees nothing.

use std::ffi::{c_char, c_int, c_long, c_void};
use std::sync::OnceLock;

use super::openssl::*;
use crate::bufferevent::layout::Bufferevent;
use crate::ffi::buffer as evb;

static METHOD: OnceLock<Option<BioMethod>> = OnceLock::new();

/// A new BIO over `underlying`, owned by the caller until given to an SSL; None if OpenSSL
/// cannot make one.
pub fn new(ssl: Ssl, underlying: *mut Bufferevent) -> Option<Bio> {
    let method = (*METHOD.get_or_init(|| BioMethod::new(ssl.api(), c"libevent-rs bufferevent", bio_read, bio_write, bio_ctrl)))?;
    ssl.new_bio(method, underlying.cast())
}

/// The BIO OpenSSL calls us with and its underlying bufferevent (NULL if it has none).
///
/// # Safety
/// `b` must be a BIO of our method (OpenSSL only calls its callbacks with those).
unsafe fn bio_and_bufferevent(b: *mut BioSt) -> Option<(Bio, *mut Bufferevent)> {
    // The table exists: our method was made from it.
    let api = api()?;
    // SAFETY: b is live for the callback (contract).
    let bio = unsafe { Bio::from_raw(api, b) };
    Some((bio, bio.data().cast()))
}

/// Takes up to `outlen` bytes of the underlying's input; none there is "retry when readable".
unsafe extern "C" fn bio_read(b: *mut BioSt, out: *mut c_char, outlen: c_int) -> c_int {
    // SAFETY: called by OpenSSL with our BIO; the underlying outlives the TLS bufferevent
    // using this BIO (it holds a reference); out has outlen writable bytes.
    unsafe {
        let Some((bio, u)) = bio_and_bufferevent(b) else { return -1 };
        bio.clear_retry();
        if out.is_null() || outlen <= 0 {
            return 0;
        }
        if u.is_null() {
            return -1;
        }
        let input = (*u).input;
        if evb::evbuffer_get_length(input) == 0 {
            bio.set_retry(false);
            return -1;
        }
        evb::evbuffer_remove(input, out.cast(), outlen as usize)
    }
}

/// Appends to the underlying's output, no further than its high watermark: a full output is
/// "retry when writable" (the underlying's write callback says when it drained).
unsafe extern "C" fn bio_write(b: *mut BioSt, data: *const c_char, len: c_int) -> c_int {
    // SAFETY: as in bio_read; data has len readable bytes.
    unsafe {
        let Some((bio, u)) = bio_and_bufferevent(b) else { return -1 };
        bio.clear_retry();
        if u.is_null() || len < 0 {
            return -1;
        }
        let output = (*u).output;
        let mut n = len as usize;
        let high = (*u).wm_write.high;
        if high != 0 {
            let room = high.saturating_sub(evb::evbuffer_get_length(output));
            if room == 0 {
                bio.set_retry(true);
                return -1;
            }
            n = n.min(room);
        }
        if evb::evbuffer_add(output, data.cast::<c_void>(), n) < 0 {
            return -1;
        }
        n as c_int
    }
}

unsafe extern "C" fn bio_ctrl(b: *mut BioSt, cmd: c_int, num: c_long, _ptr: *mut c_void) -> c_long {
    // SAFETY: as in bio_read.
    unsafe {
        let Some((bio, u)) = bio_and_bufferevent(b) else { return 0 };
        match cmd {
            BIO_CTRL_GET_CLOSE => c_long::from(bio.shutdown()),
            BIO_CTRL_SET_CLOSE => {
                bio.set_shutdown(num as c_int);
                1
            }
            BIO_CTRL_PENDING if !u.is_null() => evb::evbuffer_get_length((*u).input).min(c_long::MAX as usize) as c_long,
            // What is in the underlying's output has left as far as OpenSSL is concerned.
            BIO_CTRL_WPENDING => 0,
            BIO_CTRL_FLUSH | BIO_CTRL_DUP => 1,
            _ => 0,
        }
    }
}
