//! `struct evhttp_uri`: a URI-Reference (RFC 3986) split into scheme, userinfo, host, port,
//! path, query and fragment, with upstream's grammar checks, its setters and its join.
//!
//! Parsing is [`Uri::parse`], a plain function over bytes. The parts are not percent-decoded
//! (that is `crate::http::encode`). What upstream accepts is the grammar of RFC 3986 with a few
//! liberties it takes and we keep: an empty port (`http://host:/`) means "no port", an
//! IPvFuture literal may have nothing after its dot, and `EVHTTP_URI_NONCONFORMANT` lets the
//! path, query and fragment hold any byte but their delimiters (some clients send spaces and
//! control characters there). Scheme-specific rules are not checked, as upstream documents.
//!
//! Storage: a parse copies the parsed parts, each NUL-terminated, into one buffer, so a request
//! costs one allocation for its URI whatever its shape; the C getters return pointers into it.
//! A setter stores its value in an allocation of its own and leaves the others alone, so a
//! pointer a getter returned stays valid until that same part is set again or the URI is freed,
//! as with upstream's one-string-per-part layout.

use std::ffi::CStr;
use std::io::Write as _;
use std::ops::Range;

use memchr::{memchr, memchr2, memchr3};

use crate::http::encode::is_unreserved;
use crate::util::addr::parse_ipv6;

/// `EVHTTP_URI_NONCONFORMANT`: accept otherwise forbidden characters in the path, query and
/// fragment.
pub const NONCONFORMANT: u32 = 0x01;

/// RFC 3986 sub-delims.
fn is_subdelim(c: u8) -> bool {
    matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// `%` and two hex digits at the start of `s`.
fn is_pct_encoded(s: &[u8]) -> bool {
    matches!(s, [b'%', h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit())
}

/// Whether all of `s` is made of single characters that `ok` accepts and `%XX` escapes.
fn all_chars_or_escapes(s: &[u8], ok: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while i < s.len() {
        if ok(s[i]) {
            i += 1;
        } else if is_pct_encoded(&s[i..]) {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
fn scheme_ok(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic() && rest.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// `userinfo = *( unreserved / pct-encoded / sub-delims / ":" )`
fn userinfo_ok(s: &[u8]) -> bool {
    all_chars_or_escapes(s, |c| is_unreserved(c) || is_subdelim(c) || c == b':')
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )`, which IPv4 addresses match too.
fn regname_ok(s: &[u8]) -> bool {
    all_chars_or_escapes(s, |c| is_unreserved(c) || is_subdelim(c))
}

/// An IP-literal with its brackets: `[` IPv6address `]` or `[v` 1*HEXDIG `.` *(unreserved /
/// sub-delims / ":") `]` (upstream allows the empty tail after the dot).
fn bracket_addr_ok(s: &[u8]) -> bool {
    let [b'[', inner @ .., b']'] = s else { return false };
    if inner.is_empty() {
        return false;
    }
    if let Some(future) = inner.strip_prefix(b"v") {
        let digits = future.iter().take_while(|c| c.is_ascii_hexdigit()).count();
        return match future[digits..].split_first() {
            Some((b'.', tail)) if digits > 0 => tail.iter().all(|&c| is_unreserved(c) || is_subdelim(c) || c == b':'),
            _ => false,
        };
    }
    // Upstream copies the address into a 64-byte buffer and refuses anything longer.
    inner.len() < 64 && parse_ipv6(inner).is_some()
}

/// A host as its setter accepts it: a bracketed literal or a reg-name (possibly empty).
fn host_ok(s: &[u8]) -> bool {
    if s.first() == Some(&b'[') {
        bracket_addr_ok(s)
    } else {
        regname_ok(s)
    }
}

/// The part a run of characters belongs to, which decides where it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    Path,
    Query,
    Fragment,
}

/// Length of the longest prefix of `s` that can be the `run` part: `*( pchar / "/" )` for a
/// path, with `?` too for a query or fragment. With `NONCONFORMANT`: anything up to `?` or `#`
/// for a path, up to `#` for a query, everything for a fragment.
fn run_len(s: &[u8], run: Run, flags: u32) -> usize {
    if flags & NONCONFORMANT != 0 {
        return match run {
            Run::Path => memchr2(b'?', b'#', s),
            Run::Query => memchr(b'#', s),
            Run::Fragment => None,
        }
        .unwrap_or(s.len());
    }
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if is_unreserved(c) || is_subdelim(c) || matches!(c, b':' | b'@' | b'/') || (c == b'?' && run != Run::Path) {
            i += 1;
        } else if is_pct_encoded(&s[i..]) {
            i += 3;
        } else {
            break;
        }
    }
    i
}

/// Whether all of `s` can be the `run` part.
fn run_ok(s: &[u8], run: Run, flags: u32) -> bool {
    run_len(s, run, flags) == s.len()
}

/// Which part of a URI was malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriError {
    Scheme,
    Userinfo,
    Host,
    Port,
    Path,
    Query,
    Fragment,
    /// A NUL byte, which no part can hold (the C side could not even see past it).
    Nul,
}

/// The seven parts of a URI; the port is a number and has its own accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Scheme,
    Userinfo,
    Host,
    Path,
    Query,
    Fragment,
}

const PARTS: usize = 6;
const ALL_PARTS: [Part; PARTS] = [Part::Scheme, Part::Userinfo, Part::Host, Part::Path, Part::Query, Part::Fragment];

/// Where a part's text lives.
#[derive(Clone, Debug)]
enum Text {
    /// In `Uri::parsed`: this range, followed there by a NUL.
    Parsed(Range<usize>),
    /// Set afterwards: the value and its NUL.
    Owned(Box<[u8]>),
}

/// A parsed (or built) URI-Reference: the `struct evhttp_uri` C programs hold pointers to.
#[derive(Clone, Debug)]
pub struct Uri {
    flags: u32,
    /// -1 when there is none.
    port: i32,
    /// The parsed parts, each followed by a NUL.
    parsed: Box<[u8]>,
    parts: [Option<Text>; PARTS],
}

/// The parts found by the grammar, as ranges of the input.
#[derive(Default)]
struct Found {
    parts: [Option<Range<usize>>; PARTS],
    port: Option<i32>,
}

impl Found {
    fn set(&mut self, part: Part, range: Range<usize>) {
        self.parts[part as usize] = Some(range);
    }
}

impl Default for Uri {
    fn default() -> Uri {
        Uri::new()
    }
}

impl Uri {
    /// A URI with no part set and no port: `evhttp_uri_new()`.
    pub fn new() -> Uri {
        Uri { flags: 0, port: -1, parsed: Box::default(), parts: Default::default() }
    }

    /// Parses a URI-Reference: `scheme ":" ["//" authority] path ["?" query] ["#" fragment]`
    /// or the same without the scheme (a relative reference, whose first path segment then
    /// cannot hold a `:`). A parsed URI always has a path, possibly empty.
    pub fn parse(input: &[u8], flags: u32) -> Result<Uri, UriError> {
        if memchr(0, input).is_some() {
            return Err(UriError::Nul);
        }
        let mut found = Found::default();
        let mut at = 0;

        // The scheme is what precedes the first ':' if it has the shape of one; otherwise the
        // reference is relative and that ':' belongs to the path (checked below).
        if let Some(colon) = memchr(b':', input) {
            if scheme_ok(&input[..colon]) {
                found.set(Part::Scheme, 0..colon);
                at = colon + 1;
            }
        }

        let got_authority = input[at..].starts_with(b"//");
        if got_authority {
            let start = at + 2;
            let end = start + memchr3(b'/', b'?', b'#', &input[start..]).unwrap_or(input.len() - start);
            parse_authority(input, start..end, &mut found)?;
            at = end;
        }

        let path = at..at + run_len(&input[at..], Run::Path, flags);
        at = path.end;
        let mut last = UriError::Path;
        if input.get(at) == Some(&b'?') {
            let start = at + 1;
            let query = start..start + run_len(&input[start..], Run::Query, flags);
            at = query.end;
            found.set(Part::Query, query);
            last = UriError::Query;
        }
        if input.get(at) == Some(&b'#') {
            let start = at + 1;
            let fragment = start..start + run_len(&input[start..], Run::Fragment, flags);
            at = fragment.end;
            found.set(Part::Fragment, fragment);
            last = UriError::Fragment;
        }
        if at != input.len() {
            return Err(last);
        }

        let path_text = &input[path.clone()];
        // Without an authority the path cannot start with "//" (it would read as one); with one
        // it is empty or absolute. The grammar above already ensures both; kept as guards.
        if !got_authority && path_text.starts_with(b"//") {
            return Err(UriError::Path);
        }
        if got_authority && !path_text.is_empty() && path_text[0] != b'/' {
            return Err(UriError::Path);
        }
        // A relative reference's first segment with a ':' would read as a scheme.
        if found.parts[Part::Scheme as usize].is_none() {
            let segment_end = memchr(b'/', path_text).unwrap_or(path_text.len());
            if memchr(b':', &path_text[..segment_end]).is_some() {
                return Err(UriError::Path);
            }
        }
        found.set(Part::Path, path);
        Ok(Uri::from_found(input, found, flags))
    }

    /// Parses the authority form of a CONNECT request's target (`host:port`, RFC 7230 5.3.3):
    /// an authority up to the first `/`, `?` or `#` (the rest is ignored, as upstream does),
    /// with an empty path.
    pub fn parse_authority(input: &[u8]) -> Result<Uri, UriError> {
        if memchr(0, input).is_some() {
            return Err(UriError::Nul);
        }
        let end = memchr3(b'/', b'?', b'#', input).unwrap_or(input.len());
        let mut found = Found::default();
        parse_authority(input, 0..end, &mut found)?;
        found.set(Part::Path, end..end);
        Ok(Uri::from_found(input, found, 0))
    }

    /// Copies the found parts, NUL-terminated, into one buffer.
    fn from_found(input: &[u8], found: Found, flags: u32) -> Uri {
        let size: usize = found.parts.iter().flatten().map(|r| r.len() + 1).sum();
        let mut parsed = Vec::with_capacity(size);
        let mut parts: [Option<Text>; PARTS] = Default::default();
        for (slot, range) in parts.iter_mut().zip(found.parts) {
            if let Some(range) = range {
                let start = parsed.len();
                parsed.extend_from_slice(&input[range]);
                *slot = Some(Text::Parsed(start..parsed.len()));
                parsed.push(0);
            }
        }
        Uri { flags, port: found.port.unwrap_or(-1), parsed: parsed.into_boxed_slice(), parts }
    }

    /// The part's bytes (without the NUL that follows them in storage), or `None` if unset.
    pub fn get(&self, part: Part) -> Option<&[u8]> {
        self.stored(part).map(|s| &s[..s.len() - 1])
    }

    /// The part as a C string: what the C getters return.
    pub fn get_cstr(&self, part: Part) -> Option<&CStr> {
        // SAFETY: every stored text is its bytes, which hold no NUL (parse and the setters
        // refuse NUL bytes), followed by exactly one NUL.
        self.stored(part).map(|s| unsafe { CStr::from_bytes_with_nul_unchecked(s) })
    }

    /// The part with its terminating NUL.
    fn stored(&self, part: Part) -> Option<&[u8]> {
        match self.parts[part as usize].as_ref()? {
            Text::Parsed(range) => Some(&self.parsed[range.start..range.end + 1]),
            Text::Owned(bytes) => Some(bytes),
        }
    }

    /// The port, or -1.
    pub fn port(&self) -> i32 {
        self.port
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// `evhttp_uri_set_flags`: the flags later setters check values with.
    pub fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }

    /// Sets (or with `None` clears) a part after checking the value the way the parser checks
    /// that part; an invalid value leaves the URI unchanged.
    pub fn set(&mut self, part: Part, value: Option<&[u8]>) -> Result<(), UriError> {
        let Some(value) = value else {
            self.parts[part as usize] = None;
            return Ok(());
        };
        if memchr(0, value).is_some() {
            return Err(UriError::Nul);
        }
        let (ok, error) = match part {
            Part::Scheme => (scheme_ok(value), UriError::Scheme),
            Part::Userinfo => (userinfo_ok(value), UriError::Userinfo),
            Part::Host => (host_ok(value), UriError::Host),
            Part::Path => (run_ok(value, Run::Path, self.flags), UriError::Path),
            Part::Query => (run_ok(value, Run::Query, self.flags), UriError::Query),
            Part::Fragment => (run_ok(value, Run::Fragment, self.flags), UriError::Fragment),
        };
        if !ok {
            return Err(error);
        }
        let mut owned = Vec::with_capacity(value.len() + 1);
        owned.extend_from_slice(value);
        owned.push(0);
        self.parts[part as usize] = Some(Text::Owned(owned.into_boxed_slice()));
        Ok(())
    }

    /// Sets the port; -1 clears it, anything below is refused. Upstream checks no upper bound
    /// here (the parser does).
    pub fn set_port(&mut self, port: i32) -> Result<(), UriError> {
        if port < -1 {
            return Err(UriError::Port);
        }
        self.port = port;
        Ok(())
    }

    /// The URI-Reference of the parts, as `evhttp_uri_join` writes it:
    /// `[scheme ":"] ["//" [userinfo "@"] host [":" port]] [path] ["?" query] ["#" fragment]`.
    /// The authority is written only when there is a host (userinfo and port need one). `None`
    /// when there is a host and a path that is neither empty nor absolute: they would run
    /// together. The parts are written as they are, unescaped.
    pub fn join(&self) -> Option<Vec<u8>> {
        // Each part plus its delimiters, and room for ":65535".
        let total = ALL_PARTS.iter().filter_map(|&p| self.get(p)).map(|s| s.len() + 2).sum::<usize>() + 6;
        let mut out = Vec::with_capacity(total);
        if let Some(scheme) = self.get(Part::Scheme) {
            out.extend_from_slice(scheme);
            out.push(b':');
        }
        if let Some(host) = self.get(Part::Host) {
            out.extend_from_slice(b"//");
            if let Some(userinfo) = self.get(Part::Userinfo) {
                out.extend_from_slice(userinfo);
                out.push(b'@');
            }
            out.extend_from_slice(host);
            if self.port >= 0 {
                // Writing into a Vec cannot fail.
                let _ = write!(out, ":{}", self.port);
            }
            if matches!(self.get(Part::Path), Some(path) if !path.is_empty() && path[0] != b'/') {
                return None;
            }
        }
        if let Some(path) = self.get(Part::Path) {
            out.extend_from_slice(path);
        }
        if let Some(query) = self.get(Part::Query) {
            out.push(b'?');
            out.extend_from_slice(query);
        }
        if let Some(fragment) = self.get(Part::Fragment) {
            out.push(b'#');
            out.extend_from_slice(fragment);
        }
        Some(out)
    }

    /// [`Uri::join`] into `out` with a terminating NUL: the length written (NUL included), or
    /// `None` when the URI cannot be joined or does not fit.
    pub fn join_into(&self, out: &mut [u8]) -> Option<usize> {
        let joined = self.join()?;
        let dst = out.get_mut(..joined.len() + 1)?;
        dst[..joined.len()].copy_from_slice(&joined);
        dst[joined.len()] = 0;
        Some(joined.len() + 1)
    }
}

/// Parses `input[range]` as `[userinfo "@"] host [":" [port]]` into `found`.
fn parse_authority(input: &[u8], range: Range<usize>, found: &mut Found) -> Result<(), UriError> {
    let authority = &input[range.clone()];
    let mut host = range.clone();
    if let Some(at) = memchr(b'@', authority) {
        if !userinfo_ok(&authority[..at]) {
            return Err(UriError::Userinfo);
        }
        found.set(Part::Userinfo, range.start..range.start + at);
        host.start = range.start + at + 1;
    }
    // A trailing ":digits" (digits possibly none) is the port; an empty one means no port.
    let hostport = &input[host.clone()];
    let digits = hostport.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let colon = hostport.len() - digits;
    if colon > 0 && hostport[colon - 1] == b':' {
        if digits > 0 {
            found.port = Some(parse_port(&hostport[colon..])?);
        }
        host.end = host.start + colon - 1;
    }
    let host_text = &input[host.clone()];
    let ok = if host_text.len() >= 2 && host_text[0] == b'[' && host_text[host_text.len() - 1] == b']' {
        bracket_addr_ok(host_text)
    } else {
        regname_ok(host_text)
    };
    if !ok {
        return Err(UriError::Host);
    }
    found.set(Part::Host, host);
    Ok(())
}

/// Decimal digits to a port number of at most 65535.
fn parse_port(digits: &[u8]) -> Result<i32, UriError> {
    digits.iter().try_fold(0i32, |port, &d| {
        let port = port * 10 + i32::from(d - b'0');
        if port > 65535 {
            Err(UriError::Port)
        } else {
            Ok(port)
        }
    })
}

/// Fuzz entry point: parses `data` in both modes and checks what a parse promises: every getter
/// works, the setters accept each parsed part back, the join parses again to the same parts,
/// and the encoders and decoders round-trip. Panics on a broken promise; never on input.
pub fn fuzz_parse(data: &[u8]) {
    use crate::http::encode::{self, Plus};

    for flags in [0, NONCONFORMANT] {
        if let Ok(uri) = Uri::parse(data, flags) {
            check_parsed(&uri, flags);
        }
    }
    if let Ok(uri) = Uri::parse_authority(data) {
        assert_eq!(uri.get(Part::Path), Some(&b""[..]));
        assert!(uri.join().is_some());
    }
    for plus in [false, true] {
        let encoded = encode::encode(data, plus);
        assert_eq!(encoded.len(), encode::encoded_len(data, plus));
        let mode = if plus { Plus::Space } else { Plus::Keep };
        assert_eq!(encode::decode(&encoded, mode), data);
    }
    for mode in [Plus::Keep, Plus::Space, Plus::SpaceAfterQuestionMark] {
        let decoded = encode::decode(data, mode);
        assert!(decoded.len() <= data.len());
        assert_eq!(encode::decode_text(data, mode).is_err(), memchr(0, &decoded).is_some());
    }
    let escaped_len = encode::html_escaped_len(data).unwrap();
    let mut escaped = vec![0; escaped_len];
    assert_eq!(encode::html_escape_into(data, &mut escaped), escaped_len);
    if let Ok(pairs) = encode::parse_query(data) {
        assert!(pairs.iter().all(|(key, value)| !key.is_empty() && memchr(0, value).is_none()));
    }
}

/// The promises of one successful parse (see [`fuzz_parse`]).
fn check_parsed(uri: &Uri, flags: u32) {
    assert!(uri.get(Part::Path).is_some());
    assert!((-1..=65535).contains(&uri.port()));
    let mut rebuilt = Uri::new();
    rebuilt.set_flags(flags);
    for part in ALL_PARTS {
        let bytes = uri.get(part);
        assert_eq!(uri.get_cstr(part).map(CStr::to_bytes), bytes);
        rebuilt.set(part, bytes).unwrap_or_else(|e| panic!("setter refused parsed {part:?}: {e:?}"));
    }
    rebuilt.set_port(uri.port()).unwrap();
    let joined = uri.join().expect("a parsed URI joins");
    assert_eq!(rebuilt.join().as_deref(), Some(&joined[..]));
    let again = Uri::parse(&joined, flags).expect("a joined URI parses");
    for part in ALL_PARTS {
        assert_eq!(again.get(part), uri.get(part), "{part:?} changed through join");
    }
    assert_eq!(again.port(), uri.port());
    let mut buf = vec![0u8; joined.len() + 1];
    assert_eq!(uri.join_into(&mut buf), Some(joined.len() + 1));
    assert_eq!(uri.join_into(&mut buf[..joined.len()]), None);
}

#[cfg(test)]
mod tests;
