//! TEMPORARY stand-in (the uri helper owns this file and replaces it at the merge): the parts
//! of a request target the server needs (scheme, host, path), split without validation.

use std::ffi::CString;

pub struct Uri {
    pub scheme: Option<CString>,
    pub host: Option<CString>,
    pub path: CString,
}

/// Splits an origin-form (`/path?query`) or absolute-form (`http://host/path`) target.
pub fn parse_target(target: &[u8]) -> Option<Box<Uri>> {
    let mut rest = target;
    let mut scheme = None;
    let mut host = None;
    if let Some(i) = rest.windows(3).position(|w| w == b"://") {
        scheme = Some(CString::new(&rest[..i]).ok()?);
        rest = &rest[i + 3..];
        let end = rest.iter().position(|&c| c == b'/' || c == b'?' || c == b'#').unwrap_or(rest.len());
        let authority = &rest[..end];
        let h = authority.iter().position(|&c| c == b':').map_or(authority, |p| &authority[..p]);
        host = Some(CString::new(h).ok()?);
        rest = &rest[end..];
    }
    let end = rest.iter().position(|&c| c == b'?' || c == b'#').unwrap_or(rest.len());
    Some(Box::new(Uri { scheme, host, path: CString::new(&rest[..end]).ok()? }))
}
