//! TEMPORARY stand-in (the uri helper owns this file and replaces it at the merge): the parts
//! of a request target the server needs (scheme, host, path), split without validation.

use std::ffi::{c_char, CString};
use std::ptr;

pub struct Uri {
    scheme: Option<CString>,
    host: Option<CString>,
    path: CString,
}

/// Splits an origin-form (`/path?query`) or absolute-form (`http://host/path`) target; for
/// CONNECT, an authority (`host:port`). NULL when the target holds a NUL.
pub fn parse_request_target(target: &[u8], authority_form: bool) -> *mut Uri {
    let mut rest = target;
    let mut scheme = None;
    let mut host = None;
    if authority_form {
        let h = rest.iter().rposition(|&c| c == b':').map_or(rest, |p| &rest[..p]);
        host = CString::new(h).ok();
        rest = b"";
    } else if let Some(i) = rest.windows(3).position(|w| w == b"://") {
        scheme = CString::new(&rest[..i]).ok();
        rest = &rest[i + 3..];
        let end = rest.iter().position(|&c| c == b'/' || c == b'?' || c == b'#').unwrap_or(rest.len());
        let authority = &rest[..end];
        let h = authority.iter().position(|&c| c == b':').map_or(authority, |p| &authority[..p]);
        host = CString::new(h).ok();
        rest = &rest[end..];
    }
    let end = rest.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(rest.len());
    match CString::new(&rest[..end]) {
        Ok(path) => Box::into_raw(Box::new(Uri { scheme, host, path })),
        Err(_) => ptr::null_mut(),
    }
}

/// `evhttp_uri_free` (NULL is nothing).
pub fn free(uri: *mut Uri) {
    if !uri.is_null() {
        // SAFETY: came from parse_request_target.
        drop(unsafe { Box::from_raw(uri) });
    }
}

fn field(uri: *const Uri, f: impl Fn(&Uri) -> Option<&CString>) -> *const c_char {
    // SAFETY: NULL or from parse_request_target.
    unsafe { uri.as_ref() }.and_then(f).map_or(ptr::null(), |s| s.as_ptr())
}

pub fn host(uri: *const Uri) -> *const c_char {
    field(uri, |u| u.host.as_ref())
}

pub fn scheme(uri: *const Uri) -> *const c_char {
    field(uri, |u| u.scheme.as_ref())
}

pub fn path(uri: *const Uri) -> *const c_char {
    field(uri, |u| Some(&u.path))
}

/// Percent-decodes a path (no `+` decoding), as `evhttp_decode_uri_internal(.., 0)` does.
pub fn decode_path(path: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < path.len() {
        let c = path[i];
        if c == b'%' && i + 2 < path.len() {
            if let (Some(h), Some(l)) = ((path[i + 1] as char).to_digit(16), (path[i + 2] as char).to_digit(16)) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
}

/// `evhttp_htmlescape` into `out`.
pub fn html_escape(s: &[u8], out: &mut Vec<u8>) {
    for &c in s {
        match c {
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&#039;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            _ => out.push(c),
        }
    }
}
