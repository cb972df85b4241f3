//! Header lists: `struct evkeyvalq` / `struct evkeyval` of event2/keyvalq_struct.h, a BSD
//! `TAILQ` that programs walk themselves (`TAILQ_FOREACH`, even `TAILQ_LAST`), so the links keep
//! the TAILQ meaning exactly: each entry's `prev` points at the pointer that points at it (the
//! head's `first` or the previous entry's `next`), and the head's `last` points at the last
//! entry's `next` (at `first` when empty). Keys and values are NUL-terminated strings that live
//! in their entry's own allocation from `crate::mm`, right after the `KeyVal`: one allocation
//! per header instead of three (a reply's four headers and a request's few cost twelve mallocs
//! and twelve frees a request before, a fifth of the server's instructions per keep-alive
//! request), still visible to a program's `event_set_mem_functions`, and `evhttp_clear_headers`
//! frees what `evhttp_parse_query` made. Upstream frees `key` and `value` separately, but only in its own
//! code: no API hands them to the program to free or replace.
//!
//! All pointer work on these lists is in this module. Names compare case-insensitively (ASCII),
//! as upstream's `evutil_ascii_strcasecmp`; values compare exactly.

use std::ffi::{c_char, CStr};
use std::ptr;

use crate::mm;

/// `struct evkeyval`.
#[repr(C)]
pub struct KeyVal {
    pub next: *mut KeyVal,
    pub prev: *mut *mut KeyVal,
    pub key: *mut c_char,
    pub value: *mut c_char,
}

/// `struct evkeyvalq` (a `TAILQ_HEAD`).
#[repr(C)]
pub struct KeyValQ {
    pub first: *mut KeyVal,
    pub last: *mut *mut KeyVal,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<KeyVal>() == 32);
    assert!(offset_of!(KeyVal, key) == 16);
    assert!(offset_of!(KeyVal, value) == 24);
    assert!(size_of::<KeyValQ>() == 16);
};

/// Why `add` refused a header.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    /// CR or LF in the name or the value: it would end the header line on the wire (header
    /// injection). Upstream 2.1.12 let a value through when every line break in it was followed
    /// by a space or tab (obs-fold); the fixed library, as 2.1.13 and Debian's patched 2.1.12,
    /// refuses every CR and LF.
    LineBreak,
    OutOfMemory,
}

/// Whether `name` may be a header name: no CR or LF (upstream checks nothing else here; the wire
/// parser is stricter about what it accepts from peers).
pub fn valid_name(name: &[u8]) -> bool {
    memchr::memchr2(b'\r', b'\n', name).is_none()
}

/// Whether `value` may be a header value: no CR or LF anywhere.
pub fn valid_value(value: &[u8]) -> bool {
    memchr::memchr2(b'\r', b'\n', value).is_none()
}

/// The bytes of a NUL-terminated string of the list.
///
/// # Safety
/// `s` is a live NUL-terminated string that outlives the result.
unsafe fn bytes<'a>(s: *const c_char) -> &'a [u8] {
    // SAFETY: caller's contract.
    unsafe { CStr::from_ptr(s) }.to_bytes()
}

/// Whether the NUL-terminated `s` equals `name` ignoring ASCII case, without measuring `s` first.
///
/// # Safety
/// `s` is a live NUL-terminated string.
unsafe fn name_matches(s: *const c_char, name: &[u8]) -> bool {
    let s = s.cast::<u8>();
    for (i, &b) in name.iter().enumerate() {
        // SAFETY: s is readable up to its NUL, and the loop returns at that NUL.
        let c = unsafe { *s.add(i) };
        if c == 0 || !c.eq_ignore_ascii_case(&b) {
            return false;
        }
    }
    // SAFETY: the bytes before index name.len() were non-NUL, so this one is readable.
    unsafe { *s.add(name.len()) == 0 }
}

/// `TAILQ_INIT`.
///
/// # Safety
/// `q` points at writable memory for a `KeyValQ` that does not move while it is in use.
pub unsafe fn init(q: *mut KeyValQ) {
    // SAFETY: caller's contract.
    unsafe {
        (*q).first = ptr::null_mut();
        (*q).last = &raw mut (*q).first;
    }
}

/// A fresh, initialised list from `mm` (what `evhttp_request_new` gives each request), or NULL.
pub fn new_list() -> *mut KeyValQ {
    let q = mm::malloc(std::mem::size_of::<KeyValQ>()).cast::<KeyValQ>();
    if !q.is_null() {
        // SAFETY: fresh memory of the right size; the list never moves.
        unsafe { init(q) };
    }
    q
}

/// Clears and frees a list from `new_list` (NULL is nothing).
///
/// # Safety
/// `q` is NULL or came from `new_list` and is not used afterwards.
pub unsafe fn free_list(q: *mut KeyValQ) {
    if !q.is_null() {
        // SAFETY: caller's contract.
        unsafe { clear(q) };
        mm::free(q.cast());
    }
}

/// Appends `name: value` after checking both (`evhttp_add_header`).
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn add(q: *mut KeyValQ, name: &[u8], value: &[u8]) -> Result<(), AddError> {
    if !valid_name(name) || !valid_value(value) {
        return Err(AddError::LineBreak);
    }
    // SAFETY: forwarded contract.
    unsafe { push(q, name, value) }
}

/// Appends `name: value` unchecked: for pairs whose bytes are not header lines (query
/// arguments, where a decoded `%0A` is data) and for headers the library writes from bytes it
/// knows have no line break (a reply's Date, Content-Length and Connection).
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn push(q: *mut KeyValQ, name: &[u8], value: &[u8]) -> Result<(), AddError> {
    let kv = new_entry(name, value);
    if kv.is_null() {
        return Err(AddError::OutOfMemory);
    }
    // SAFETY: kv is a fresh entry; q is consistent, so q.last points at the link (first or the
    // last entry's next) that must now point at kv.
    unsafe {
        (*kv).prev = (*q).last;
        *(*q).last = kv;
        (*q).last = &raw mut (*kv).next;
    }
    Ok(())
}

/// One allocation holding an unlinked entry followed by its NUL-terminated key and value
/// (`next` NULL, `prev` dangling until linked), or NULL when memory runs out.
fn new_entry(name: &[u8], value: &[u8]) -> *mut KeyVal {
    let head = std::mem::size_of::<KeyVal>();
    let Some(size) = name.len().checked_add(value.len()).and_then(|n| n.checked_add(head + 2)) else {
        return ptr::null_mut();
    };
    let kv = mm::malloc(size).cast::<KeyVal>();
    if kv.is_null() {
        return kv;
    }
    // SAFETY: kv has room for a KeyVal (mm::malloc aligns for any type) and then
    // name.len() + 1 + value.len() + 1 bytes; the slices cannot overlap fresh memory.
    unsafe {
        let key = kv.cast::<u8>().add(head);
        ptr::copy_nonoverlapping(name.as_ptr(), key, name.len());
        *key.add(name.len()) = 0;
        let val = key.add(name.len() + 1);
        ptr::copy_nonoverlapping(value.as_ptr(), val, value.len());
        *val.add(value.len()) = 0;
        kv.write(KeyVal { next: ptr::null_mut(), prev: ptr::null_mut(), key: key.cast(), value: val.cast() });
    }
    kv
}

/// Unlinks `kv` from `q` and frees it with its strings.
///
/// # Safety
/// `kv` is an entry of the live, consistent list `q`.
unsafe fn unlink_and_free(q: *mut KeyValQ, kv: *mut KeyVal) {
    // SAFETY: TAILQ_REMOVE on a member (contract).
    unsafe {
        let next = (*kv).next;
        if next.is_null() {
            (*q).last = (*kv).prev;
        } else {
            (*next).prev = (*kv).prev;
        }
        *(*kv).prev = next;
    }
    // The key and value live in the entry's allocation.
    mm::free(kv.cast());
}

/// The first entry named `name`.
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn find_entry(q: *const KeyValQ, name: &[u8]) -> *mut KeyVal {
    // SAFETY: walking a consistent list (contract); keys are live C strings.
    unsafe {
        let mut kv = (*q).first;
        while !kv.is_null() && !name_matches((*kv).key, name) {
            kv = (*kv).next;
        }
        kv
    }
}

/// The value of the first entry named `name` (`evhttp_find_header`), as the C string.
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn find(q: *const KeyValQ, name: &[u8]) -> *const c_char {
    // SAFETY: forwarded contract; a found entry is live.
    unsafe {
        let kv = find_entry(q, name);
        if kv.is_null() {
            ptr::null()
        } else {
            (*kv).value
        }
    }
}

/// The value of the first entry named `name`, as bytes.
///
/// # Safety
/// `q` is a live, consistent list; the result lives until that entry is removed.
pub unsafe fn value<'a>(q: *const KeyValQ, name: &[u8]) -> Option<&'a [u8]> {
    // SAFETY: forwarded contract.
    let v = unsafe { find(q, name) };
    // SAFETY: a live value string of the list.
    (!v.is_null()).then(|| unsafe { bytes(v) })
}

/// Removes the first entry named `name` (`evhttp_remove_header`); false if there is none.
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn remove(q: *mut KeyValQ, name: &[u8]) -> bool {
    // SAFETY: forwarded contract.
    let kv = unsafe { find_entry(q, name) };
    if kv.is_null() {
        return false;
    }
    // SAFETY: kv is an entry of q.
    unsafe { unlink_and_free(q, kv) };
    true
}

/// Removes and frees every entry (`evhttp_clear_headers`); the list stays usable.
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn clear(q: *mut KeyValQ) {
    // SAFETY: entries are removed from the head while the list stays consistent.
    unsafe {
        while !(*q).first.is_null() {
            unlink_and_free(q, (*q).first);
        }
    }
}

/// Whether the list has no entry.
///
/// # Safety
/// `q` is a live list.
pub unsafe fn is_empty(q: *const KeyValQ) -> bool {
    // SAFETY: caller's contract.
    unsafe { (*q).first.is_null() }
}

/// The name of the last entry, if any.
///
/// # Safety
/// `q` is a live, consistent list; the result lives until that entry is removed.
pub unsafe fn last_name<'a>(q: *const KeyValQ) -> Option<&'a [u8]> {
    // SAFETY: consistent list: `last` points at the last entry's `next`, its first field.
    unsafe { (!(*q).first.is_null()).then(|| bytes((*(*q).last.cast::<KeyVal>()).key)) }
}

/// Appends an obs-fold continuation to the last entry's value, joined by one space (upstream's
/// folding of multi-line headers). Err when the list is empty or memory runs out. The value
/// lives in its entry's allocation, so the last entry is replaced by a longer one.
///
/// # Safety
/// `q` is a live, consistent list.
pub unsafe fn append_to_last(q: *mut KeyValQ, more: &[u8]) -> Result<(), AddError> {
    // SAFETY: consistent list: `last` points at the last entry's `next`, which is its first
    // field, so the entry starts there (TAILQ_LAST's trick, without going through the head).
    unsafe {
        if (*q).first.is_null() {
            return Err(AddError::LineBreak);
        }
        let last = (*q).last.cast::<KeyVal>();
        let old = bytes((*last).value);
        let mut joined = Vec::with_capacity(old.len() + 1 + more.len());
        joined.extend_from_slice(old);
        joined.push(b' ');
        joined.extend_from_slice(more);
        let kv = new_entry(bytes((*last).key), &joined);
        if kv.is_null() {
            return Err(AddError::OutOfMemory);
        }
        // The new entry takes the old one's place: the link that pointed at the old one now
        // points at it, and it is the last.
        (*kv).prev = (*last).prev;
        *(*kv).prev = kv;
        (*q).last = &raw mut (*kv).next;
        mm::free(last.cast());
    }
    Ok(())
}

/// The entries in order, as (name, value) bytes.
///
/// # Safety
/// `q` is a live, consistent list that nobody changes while the iterator is used.
pub unsafe fn iter<'a>(q: *const KeyValQ) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    // SAFETY: caller's contract.
    let mut kv = unsafe { (*q).first };
    std::iter::from_fn(move || {
        if kv.is_null() {
            return None;
        }
        // SAFETY: kv is a live entry of the unchanging list.
        unsafe {
            let item = (bytes((*kv).key), bytes((*kv).value));
            kv = (*kv).next;
            Some(item)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(q: *const KeyValQ) -> Vec<(String, String)> {
        // SAFETY: the test's lists are live and unchanged while read.
        unsafe { iter(q) }
            .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }

    /// Checks the TAILQ invariants a C program's TAILQ_LAST / TAILQ_PREV rely on.
    fn check_links(q: *const KeyValQ) {
        // SAFETY: live test list.
        unsafe {
            let mut link: *const *mut KeyVal = &(*q).first;
            let mut kv = (*q).first;
            while !kv.is_null() {
                assert_eq!((*kv).prev as *const _, link);
                link = &(*kv).next;
                kv = (*kv).next;
            }
            assert_eq!((*q).last as *const _, link);
        }
    }

    #[test]
    fn add_find_remove_clear() {
        let q = new_list();
        // SAFETY: q is a live list for the whole test.
        unsafe {
            assert!(add(q, b"Host", b"example.com").is_ok());
            assert!(add(q, b"Content-Length", b"10").is_ok());
            assert!(add(q, b"host", b"second").is_ok());
            check_links(q);
            assert_eq!(value(q, b"HOST"), Some(&b"example.com"[..]));
            assert_eq!(value(q, b"content-length"), Some(&b"10"[..]));
            assert_eq!(value(q, b"Content-Lengt"), None);
            assert_eq!(value(q, b"Content-Length2"), None);
            assert!(remove(q, b"HoSt"));
            check_links(q);
            assert_eq!(value(q, b"host"), Some(&b"second"[..]));
            assert!(remove(q, b"host"));
            assert!(!remove(q, b"host"));
            check_links(q);
            assert_eq!(collect(q), vec![("Content-Length".into(), "10".into())]);
            assert!(remove(q, b"content-length"));
            assert!(is_empty(q));
            check_links(q);
            assert!(add(q, b"A", b"1").is_ok());
            clear(q);
            assert!(is_empty(q));
            check_links(q);
            free_list(q);
        }
    }

    #[test]
    fn line_breaks_are_refused_everywhere() {
        let q = new_list();
        // SAFETY: live list.
        unsafe {
            assert_eq!(add(q, b"One\r", b"Two"), Err(AddError::LineBreak));
            assert_eq!(add(q, b"One\n", b"Two"), Err(AddError::LineBreak));
            assert_eq!(add(q, b"One", b"Two\r"), Err(AddError::LineBreak));
            assert_eq!(add(q, b"One", b"Two\n"), Err(AddError::LineBreak));
            // obs-fold in a value is header injection waiting to happen: refused (see AddError).
            assert_eq!(add(q, b"One", b"Two\r\n Three"), Err(AddError::LineBreak));
            assert!(is_empty(q));
            // Query arguments may carry decoded line breaks.
            assert!(push(q, b"q", b"test\nfoo").is_ok());
            free_list(q);
        }
    }

    #[test]
    fn continuation_joins_with_one_space() {
        let q = new_list();
        // SAFETY: live list.
        unsafe {
            assert!(append_to_last(q, b"x").is_err());
            add(q, b"First", b"1").unwrap();
            add(q, b"X-Multi", b"aaaaaaaa").unwrap();
            append_to_last(q, b"a").unwrap();
            append_to_last(q, b"END").unwrap();
            assert_eq!(value(q, b"x-multi"), Some(&b"aaaaaaaa a END"[..]));
            check_links(q);
            assert_eq!(collect(q), vec![("First".into(), "1".into()), ("X-Multi".into(), "aaaaaaaa a END".into())]);
            add(q, b"After", b"2").unwrap();
            check_links(q);
            assert_eq!(last_name(q), Some(&b"After"[..]));
            free_list(q);
        }
    }
}
