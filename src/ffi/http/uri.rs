//! URIs and encodings: every `evhttp_uri_*` entry point, `evhttp_encode_uri`,
//! `evhttp_uriencode`, `evhttp_decode_uri`, `evhttp_uridecode`, the internal
//! `evhttp_decode_uri_internal` upstream's tests call, `evhttp_htmlescape` and
//! `evhttp_parse_query(_str)`. Each is thin over `crate::http::uri` and `crate::http::encode`.
//!
//! Strings handed to the program are allocated through `crate::mm` at their exact size, so
//! `free()` (or the program's replacement from `event_set_mem_functions`) releases them.

use std::ffi::{c_char, c_int, c_uint};
use std::ptr;

use crate::ffi::http::headers::arg_bytes;
use crate::http::encode::{self, Plus, QueryError};
use crate::http::headers::{self, KeyValQ as Evkeyvalq};
use crate::http::uri::{Part, Uri as EvhttpUri};
use crate::mm;

/// A new C string of `len` bytes from `mm`, filled by `fill` (which returns how many of them it
/// wrote; the string ends there). NULL when memory runs out.
fn c_string(len: usize, fill: impl FnOnce(&mut [u8]) -> usize) -> *mut c_char {
    let Some(size) = len.checked_add(1) else { return ptr::null_mut() };
    let p = mm::malloc(size).cast::<u8>();
    if p.is_null() {
        warnx!("evhttp: out of memory for a {size}-byte string");
        return ptr::null_mut();
    }
    // SAFETY: p is fresh memory of `size` bytes that nothing else refers to.
    let out = unsafe { std::slice::from_raw_parts_mut(p, size) };
    let n = fill(&mut out[..len]);
    out[n] = 0;
    p.cast()
}

// ---- URIs ----------------------------------------------------------------------------------

/// A parsed URI handed to C (NULL on a parse error).
fn into_c(parsed: Result<EvhttpUri, crate::http::uri::UriError>, source: &[u8]) -> *mut EvhttpUri {
    match parsed {
        Ok(uri) => Box::into_raw(Box::new(uri)),
        Err(e) => {
            debugx!("evhttp_uri_parse: {:?} rejected ({:?} part)", String::from_utf8_lossy(source), e);
            ptr::null_mut()
        }
    }
}

#[no_mangle]
pub extern "C" fn evhttp_uri_new() -> *mut EvhttpUri {
    Box::into_raw(Box::new(EvhttpUri::new()))
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_free(uri: *mut EvhttpUri) {
    ensure_arg!(!uri.is_null(), (), "evhttp_uri_free: NULL uri");
    // SAFETY: uri came from Box::into_raw here (evhttp_uri_new / parse) and is not used after.
    drop(unsafe { Box::from_raw(uri) });
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_flags(uri: *mut EvhttpUri, flags: c_uint) {
    ensure_arg!(!uri.is_null(), (), "evhttp_uri_set_flags: NULL uri");
    // SAFETY: a live URI of ours (C contract), not aliased during the call.
    unsafe { (*uri).set_flags(flags) }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse_with_flags(source_uri: *const c_char, flags: c_uint) -> *mut EvhttpUri {
    ensure_arg!(!source_uri.is_null(), ptr::null_mut(), "evhttp_uri_parse_with_flags: NULL uri");
    // SAFETY: a NUL-terminated string (C contract).
    let source = unsafe { arg_bytes(source_uri) };
    into_c(EvhttpUri::parse(source, flags), source)
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_parse(source_uri: *const c_char) -> *mut EvhttpUri {
    // SAFETY: forwarded contract.
    unsafe { evhttp_uri_parse_with_flags(source_uri, 0) }
}

/// One getter and one setter per string part.
macro_rules! uri_part_fns {
    ($($get:ident, $set:ident => $part:ident;)*) => {
        $(
            #[no_mangle]
            pub unsafe extern "C" fn $get(uri: *const EvhttpUri) -> *const c_char {
                ensure_arg!(!uri.is_null(), ptr::null(), concat!(stringify!($get), ": NULL uri"));
                // SAFETY: a live URI of ours (C contract); the string lives until this part is
                // set again or the URI is freed, as upstream documents.
                unsafe { (*uri).get_cstr(Part::$part) }.map_or(ptr::null(), |s| s.as_ptr())
            }

            #[no_mangle]
            pub unsafe extern "C" fn $set(uri: *mut EvhttpUri, value: *const c_char) -> c_int {
                ensure_arg!(!uri.is_null(), -1, concat!(stringify!($set), ": NULL uri"));
                // SAFETY: value is NULL or a NUL-terminated string (C contract).
                let value = (!value.is_null()).then(|| unsafe { arg_bytes(value) });
                // SAFETY: a live URI of ours, not aliased during the call (C contract).
                match unsafe { (*uri).set(Part::$part, value) } {
                    Ok(()) => 0,
                    Err(_) => -1,
                }
            }
        )*
    };
}

uri_part_fns! {
    evhttp_uri_get_scheme, evhttp_uri_set_scheme => Scheme;
    evhttp_uri_get_userinfo, evhttp_uri_set_userinfo => Userinfo;
    evhttp_uri_get_host, evhttp_uri_set_host => Host;
    evhttp_uri_get_path, evhttp_uri_set_path => Path;
    evhttp_uri_get_query, evhttp_uri_set_query => Query;
    evhttp_uri_get_fragment, evhttp_uri_set_fragment => Fragment;
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_get_port(uri: *const EvhttpUri) -> c_int {
    ensure_arg!(!uri.is_null(), -1, "evhttp_uri_get_port: NULL uri");
    // SAFETY: a live URI of ours (C contract).
    unsafe { (*uri).port() }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_set_port(uri: *mut EvhttpUri, port: c_int) -> c_int {
    ensure_arg!(!uri.is_null(), -1, "evhttp_uri_set_port: NULL uri");
    // SAFETY: a live URI of ours, not aliased during the call (C contract).
    match unsafe { (*uri).set_port(port) } {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uri_join(uri: *mut EvhttpUri, buf: *mut c_char, limit: usize) -> *mut c_char {
    ensure_arg!(!uri.is_null() && !buf.is_null() && limit > 0, ptr::null_mut(), "evhttp_uri_join: NULL uri or buffer, or no room");
    // SAFETY: buf has `limit` writable bytes (C contract) that the URI does not overlap.
    let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), limit) };
    // SAFETY: a live URI of ours (C contract).
    match unsafe { (*uri).join_into(out) } {
        Some(_) => buf,
        None => ptr::null_mut(),
    }
}

// ---- Encoding and decoding -----------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn evhttp_uriencode(str: *const c_char, size: isize, space_to_plus: c_int) -> *mut c_char {
    ensure_arg!(!str.is_null(), ptr::null_mut(), "evhttp_uriencode: NULL string");
    let input = match usize::try_from(size) {
        // SAFETY: the caller passes `size` readable bytes (C contract; NULs allowed).
        Ok(n) => unsafe { std::slice::from_raw_parts(str.cast::<u8>(), n) },
        // SAFETY: a negative size means a NUL-terminated string.
        Err(_) => unsafe { arg_bytes(str) },
    };
    let plus = space_to_plus != 0;
    c_string(encode::encoded_len(input, plus), |out| encode::encode_into(input, plus, out))
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_encode_uri(str: *const c_char) -> *mut c_char {
    // SAFETY: forwarded contract.
    unsafe { evhttp_uriencode(str, -1, 0) }
}

/// Upstream's `evhttp_decode_uri_internal(uri, length, ret, decode_plus_ctl)`: decodes
/// `length` bytes of `uri` into `ret` (room for `length + 1`), NUL-terminated; `+` becomes a
/// space when `decode_plus_ctl` is 1, after the first `?` when it is negative. Returns the
/// decoded length, or -1 when the result would hold a NUL (upstream issue 1904: its callers
/// use the result as a C string); `ret` then holds what came before it.
#[no_mangle]
pub unsafe extern "C" fn evhttp_decode_uri_internal(uri: *const c_char, length: usize, ret: *mut c_char, decode_plus_ctl: c_int) -> c_int {
    ensure_arg!(!uri.is_null() && !ret.is_null(), -1, "evhttp_decode_uri_internal: NULL argument");
    ensure_arg!(length < c_int::MAX as usize, -1, "evhttp_decode_uri_internal: {length} bytes is too long");
    let plus = match decode_plus_ctl {
        1 => Plus::Space,
        ctl if ctl < 0 => Plus::SpaceAfterQuestionMark,
        _ => Plus::Keep,
    };
    // SAFETY: `length` readable bytes at uri and `length + 1` writable at ret (C contract);
    // upstream's callers never let them overlap.
    let (input, out) = unsafe { (std::slice::from_raw_parts(uri.cast::<u8>(), length), std::slice::from_raw_parts_mut(ret.cast::<u8>(), length + 1)) };
    match encode::decode_text_into(input, plus, &mut out[..length]) {
        Ok(n) => {
            out[n] = 0;
            n as c_int
        }
        Err(encode::HasNul) => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_decode_uri(uri: *const c_char) -> *mut c_char {
    ensure_arg!(!uri.is_null(), ptr::null_mut(), "evhttp_decode_uri: NULL uri");
    // SAFETY: a NUL-terminated string (C contract).
    let input = unsafe { arg_bytes(uri) };
    // The result is a plain C string: one with a decoded %00 in it would end early, unnoticed.
    let mut refused = false;
    let decoded = c_string(input.len(), |out| {
        encode::decode_text_into(input, Plus::SpaceAfterQuestionMark, out).unwrap_or_else(|encode::HasNul| {
            refused = true;
            0
        })
    });
    if refused {
        debugx!("evhttp_decode_uri: %00 in {:?}: refused", String::from_utf8_lossy(input));
        mm::free(decoded.cast());
        return ptr::null_mut();
    }
    decoded
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_uridecode(uri: *const c_char, decode_plus: c_int, size_out: *mut usize) -> *mut c_char {
    ensure_arg!(!uri.is_null(), ptr::null_mut(), "evhttp_uridecode: NULL uri");
    // SAFETY: a NUL-terminated string (C contract).
    let input = unsafe { arg_bytes(uri) };
    let plus = if decode_plus != 0 { Plus::Space } else { Plus::Keep };
    let mut decoded_len = 0;
    // Binary-safe, as upstream: NUL bytes are kept and *size_out says how long the result is.
    let decoded = c_string(input.len(), |out| {
        decoded_len = encode::decode_into(input, plus, out);
        decoded_len
    });
    if !decoded.is_null() && !size_out.is_null() {
        // SAFETY: a writable size_t (C contract).
        unsafe { *size_out = decoded_len };
    }
    decoded
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_htmlescape(html: *const c_char) -> *mut c_char {
    ensure_arg!(!html.is_null(), ptr::null_mut(), "evhttp_htmlescape: NULL string");
    // SAFETY: a NUL-terminated string (C contract).
    let input = unsafe { arg_bytes(html) };
    let Some(len) = encode::html_escaped_len(input) else {
        warnx!("evhttp_htmlescape: result too long");
        return ptr::null_mut();
    };
    c_string(len, |out| encode::html_escape_into(input, out))
}

// ---- Query strings -------------------------------------------------------------------------

/// Fills `headers` (initialised first, as upstream does: its old entries are not freed) with
/// the pairs of `query`; on a malformed query -1 with `headers` left empty.
///
/// # Safety
/// `headers` points at a writable `struct evkeyvalq`.
unsafe fn fill_query(query: Option<&[u8]>, headers: *mut Evkeyvalq) -> c_int {
    // SAFETY: writable list head (contract).
    unsafe { headers::init(headers) };
    let pairs = match query.map(encode::parse_query) {
        None => return 0,
        Some(Ok(pairs)) => pairs,
        Some(Err(e)) => {
            let why = match e {
                QueryError::Malformed => "a parameter without a key or '='",
                QueryError::Nul => "a value with %00",
            };
            debugx!("evhttp_parse_query: {:?}: {why}", String::from_utf8_lossy(query.unwrap_or_default()));
            return -1;
        }
    };
    for (key, value) in pairs {
        // Query values are data, not header lines: a decoded %0A stays (upstream's tests).
        // SAFETY: the list was initialised above and only this function touches it.
        if unsafe { headers::push(headers, key, &value) }.is_err() {
            warnx!("evhttp_parse_query: out of memory");
            // SAFETY: as above.
            unsafe { headers::clear(headers) };
            return -1;
        }
    }
    0
}

#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query_str(uri: *const c_char, headers: *mut Evkeyvalq) -> c_int {
    ensure_arg!(!uri.is_null() && !headers.is_null(), -1, "evhttp_parse_query_str: NULL argument");
    // SAFETY: a NUL-terminated string and a writable list head (C contract).
    unsafe { fill_query(Some(arg_bytes(uri)), headers) }
}

/// The deprecated form: the query of a whole URI, which must parse.
#[no_mangle]
pub unsafe extern "C" fn evhttp_parse_query(uri: *const c_char, headers: *mut Evkeyvalq) -> c_int {
    ensure_arg!(!uri.is_null() && !headers.is_null(), -1, "evhttp_parse_query: NULL argument");
    // SAFETY: a NUL-terminated string (C contract).
    let source = unsafe { arg_bytes(uri) };
    match EvhttpUri::parse(source, 0) {
        // SAFETY: a writable list head (C contract).
        Ok(parsed) => unsafe { fill_query(parsed.get(Part::Query), headers) },
        Err(_) => {
            // SAFETY: as above; upstream leaves the list initialised and empty here too.
            unsafe { headers::init(headers) };
            debugx!("evhttp_parse_query: {:?} is not a URI", String::from_utf8_lossy(source));
            -1
        }
    }
}
