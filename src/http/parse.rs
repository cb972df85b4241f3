//! The HTTP/1.0 and 1.1 wire grammar as plain functions over byte slices: no I/O, no evbuffer,
//! no allocation outside `parse_message` (a driver for tests and fuzzing). evhttp's connection
//! state machine reads through these functions and nothing else, so the rules against request
//! smuggling live in this one file.
//!
//! # Reading a message
//!
//! 1. The head: [`HeadReader`] (`request`, `response` or `trailer`) takes the bytes buffered so
//!    far and yields one [`HeadItem`] per complete line with the number of bytes it used:
//!    the request or status line, each field, each obs-fold continuation, and `End` at the
//!    empty line. `Ok(None)` means "wait for more bytes". It enforces the header size limit
//!    and refuses a folded `Content-Length` or `Transfer-Encoding` (a proxy that does not join
//!    folds would frame the message differently). The building blocks it uses are public too:
//!    [`find_line`], [`parse_request_line`], [`parse_status_line`], [`parse_header_line`].
//! 2. The framing: [`body_framing`] over the fields (after the caller joined continuations
//!    into the field before them, with one SP) gives a [`BodyFraming`]. Requests are framed by
//!    their headers whatever the method (a `HEAD` request with `Content-Length: 5` has a
//!    5-byte body to skip, else those bytes would be read as the next request); responses
//!    by the status and the request's method as well.
//! 3. The body: `ContentLength(n)` bytes, or a [`ChunkedReader`] that yields the data of each
//!    chunk and checks every size line and CRLF, or everything until the peer closes.
//! 4. Trailers: after the last chunk, a `HeadReader::trailer` checks the trailer section and
//!    yields [`HeadItem::Trailer`] for each line, which carries nothing. **The caller must never
//!    merge trailer fields into the message's headers** (CVE-2026-63379: a trailer
//!    `Content-Length` or `Host` would otherwise reach the application as if it had been in the
//!    head, after the proxy in front checked the head). [`parse_trailer_line`] is the same
//!    check for one line.
//!
//! Every error is a [`ParseError`]; a server answers it with [`ParseError::status`] and closes
//! the connection (the bytes after a framing error cannot be trusted).
//!
//! # Rules, and where they differ from 2.1.12
//!
//! 2.1.12's own rules are kept where they are safe: heads end lines with CRLF or a bare LF
//! (as `evbuffer_readln(EVBUFFER_EOL_CRLF)`), trailing spaces after the request line's
//! version are dropped, obs-fold continuations are joined to the field before them, unknown
//! methods get 501 (after the head, as upstream answers them), a header section over the limit
//! gets 400 (upstream's regress suite asserts 400 there, not 413), a body over the limit 413,
//! and a response without framing headers but with a `Connection` header other than `close`
//! has no body. Stricter than 2.1.12, as 2.1.13 and upstream's master are or as RFC 9112 asks:
//!
//! - request line: `method SP target SP HTTP/<digit>.<digit>`, method a token, single spaces
//!   around the target, no control bytes in it (spaces inside it pass, as 2.1 takes everything
//!   between the first and the last space), target longer than the limit -> 414; major
//!   version above 1 refused as upstream does;
//! - status line: `HTTP/<digit>.<digit> SP 3DIGIT [SP reason]`, code 100..=999;
//! - fields: name a non-empty token (so no whitespace before the colon), value trimmed of SP and
//!   HTAB on both sides; a NUL or a bare CR anywhere in a field or continuation line is refused,
//!   not cut (upstream 1810, CVE-2026-63385); a continuation with no field before it is refused;
//! - `Transfer-Encoding` (CVE-2026-63382, as 2.1.13 reads it where not said otherwise): a comma
//!   list of codings, empty elements ignored, `chunked` (parameters allowed) only as the last
//!   element; a list ending in `chunked` frames the body as chunks whatever comes before it
//!   (`gzip, chunked`: the application gets the gzip bytes, as from 2.1.13); a request whose
//!   list does not end in `chunked` is refused (RFC 9112 6.3; 2.1.13 read it as bodiless), a
//!   response's is read until close. Stricter than 2.1.13: a second `Transfer-Encoding` field
//!   is refused (2.1.13 took `gzip` then `chunked`), and so are codings that are not tokens;
//! - `Transfer-Encoding` together with `Content-Length`: refused (as 2.1.13);
//! - `Content-Length`: digits only, at most `i64::MAX` (upstream stores it signed); a second
//!   field is refused even with the same value (as 2.1.13 and master);
//! - chunks: size lines end in CRLF, a bare LF is refused (CVE-2026-63382); sizes are hex digits
//!   only (no `0x`, sign or leading space), at most `i64::MAX`; extensions after `;` are
//!   allowed and ignored; each chunk's data is followed by exactly CRLF.

use memchr::{memchr, memchr2, memrchr};

/// The `EVHTTP_REQ_*` bits of `enum evhttp_cmd_type` (event2/http.h), the methods 2.1 knows.
pub mod method {
    pub const GET: u16 = 1 << 0;
    pub const POST: u16 = 1 << 1;
    pub const HEAD: u16 = 1 << 2;
    pub const PUT: u16 = 1 << 3;
    pub const DELETE: u16 = 1 << 4;
    pub const OPTIONS: u16 = 1 << 5;
    pub const TRACE: u16 = 1 << 6;
    pub const CONNECT: u16 = 1 << 7;
    pub const PATCH: u16 = 1 << 8;
}

/// Method names and bits, one table for both directions (parsing and `evhttp_method`).
const METHODS: [(&[u8], u16); 9] = [
    (b"GET", method::GET),
    (b"POST", method::POST),
    (b"HEAD", method::HEAD),
    (b"PUT", method::PUT),
    (b"DELETE", method::DELETE),
    (b"OPTIONS", method::OPTIONS),
    (b"TRACE", method::TRACE),
    (b"CONNECT", method::CONNECT),
    (b"PATCH", method::PATCH),
];

/// The bit of a method name; names are case-sensitive, as upstream matches them.
pub fn method_bit(name: &[u8]) -> Option<u16> {
    METHODS.iter().find(|(n, _)| *n == name).map(|&(_, bit)| bit)
}

/// The name of a method bit (`evhttp_method`); None for anything but one known bit.
pub fn method_name(bit: u16) -> Option<&'static [u8]> {
    METHODS.iter().find(|&&(_, b)| b == bit).map(|&(n, _)| n)
}

/// Why a message was refused. `status` is the answer a server sends before closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// A chunk framing line ended in LF without CR.
    BareLf,
    /// The head (request or status line and fields), or the trailer section, is over the limit.
    HeadersTooLarge,
    /// The request line is not `method SP target SP version`.
    RequestLine,
    /// The method is not a token.
    BadMethod,
    /// A token method that 2.1 does not know (`RequestLine::known_method`).
    UnknownMethod,
    /// The request target holds a space or a control byte.
    BadTarget,
    /// The request target is longer than `Limits::max_uri`.
    UriTooLong,
    /// The version is not `HTTP/<digit>.<digit>` with a major of 0 or 1.
    BadVersion,
    /// The status line is not `version SP code [SP reason]`.
    StatusLine,
    /// The status code is not three digits from 100 to 999.
    BadStatusCode,
    /// The reason phrase holds a NUL or a CR.
    BadReason,
    /// A field line without a colon.
    MissingColon,
    /// A field line starting with its colon.
    EmptyHeaderName,
    /// A field name with bytes outside the token set (whitespace before the colon included).
    BadHeaderName,
    /// A NUL in a field or continuation line.
    NulInHeader,
    /// A CR inside a field or continuation line.
    CrInHeader,
    /// An obs-fold continuation line with no field before it.
    OrphanContinuation,
    /// An obs-fold continuation of `Content-Length` or `Transfer-Encoding`.
    FoldedFramingHeader,
    /// `Transfer-Encoding` given in more than one field.
    DuplicateTransferEncoding,
    /// A `Transfer-Encoding` with no coding, or a coding that is not a token.
    BadTransferEncoding,
    /// `chunked` before another coding (or twice) in `Transfer-Encoding`, or a request whose
    /// list does not end in `chunked`.
    NotChunked,
    /// `Transfer-Encoding` together with `Content-Length`.
    TransferEncodingWithContentLength,
    /// A `Content-Length` that is not digits only.
    BadContentLength,
    /// A `Content-Length` above `i64::MAX`.
    ContentLengthOverflow,
    /// More than one `Content-Length` field.
    DuplicateContentLength,
    /// A chunk size line that is not hex digits with optional extensions.
    BadChunkSize,
    /// A chunk size above `i64::MAX`.
    ChunkSizeOverflow,
    /// A chunk size line longer than `MAX_CHUNK_LINE`.
    ChunkLineTooLong,
    /// Chunk data not followed by CRLF.
    MissingChunkCrlf,
    /// The body is longer than `Limits::max_body`.
    BodyTooLarge,
}

impl ParseError {
    /// The status a server answers with: 413 for a body over the limit, 414 for a target
    /// over the limit, 501 for a method 2.1 does not know, 400 otherwise (a header section
    /// over the limit included, as upstream answers it).
    pub fn status(&self) -> u16 {
        match self {
            ParseError::BodyTooLarge => 413,
            ParseError::UriTooLong => 414,
            ParseError::UnknownMethod => 501,
            _ => 400,
        }
    }

    /// A short description for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            ParseError::BareLf => "bare LF in chunk framing",
            ParseError::HeadersTooLarge => "header section too large",
            ParseError::RequestLine => "malformed request line",
            ParseError::BadMethod => "malformed method",
            ParseError::UnknownMethod => "unknown method",
            ParseError::BadTarget => "space or control byte in request target",
            ParseError::UriTooLong => "request target too long",
            ParseError::BadVersion => "bad HTTP version",
            ParseError::StatusLine => "malformed status line",
            ParseError::BadStatusCode => "bad status code",
            ParseError::BadReason => "NUL or CR in reason phrase",
            ParseError::MissingColon => "header line without colon",
            ParseError::EmptyHeaderName => "empty header name",
            ParseError::BadHeaderName => "invalid byte in header name",
            ParseError::NulInHeader => "NUL in header line",
            ParseError::CrInHeader => "CR in header line",
            ParseError::OrphanContinuation => "continuation line without header",
            ParseError::FoldedFramingHeader => "folded Content-Length or Transfer-Encoding",
            ParseError::DuplicateTransferEncoding => "Transfer-Encoding given twice",
            ParseError::BadTransferEncoding => "malformed Transfer-Encoding",
            ParseError::NotChunked => "Transfer-Encoding does not end in chunked",
            ParseError::TransferEncodingWithContentLength => {
                "Transfer-Encoding with Content-Length"
            }
            ParseError::BadContentLength => "malformed Content-Length",
            ParseError::ContentLengthOverflow => "Content-Length too large",
            ParseError::DuplicateContentLength => "Content-Length given twice",
            ParseError::BadChunkSize => "malformed chunk size",
            ParseError::ChunkSizeOverflow => "chunk size too large",
            ParseError::ChunkLineTooLong => "chunk size line too long",
            ParseError::MissingChunkCrlf => "chunk data not followed by CRLF",
            ParseError::BodyTooLarge => "body too large",
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.reason())
    }
}

/// The limits a connection enforces (`evhttp_set_max_headers_size`, `..._body_size`, and a
/// target limit of our own). Upstream's defaults are unlimited, as `Default` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the head: the first line and every field line, line endings not counted (as
    /// upstream counts them). Trailer sections get the same budget of their own.
    pub max_headers: usize,
    /// Bytes of the decoded body.
    pub max_body: u64,
    /// Bytes of the request target (414 above it).
    pub max_uri: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_headers: usize::MAX, max_body: u64::MAX, max_uri: usize::MAX }
    }
}

impl Limits {
    /// `BodyTooLarge` when `total` body bytes are over the limit (for `Content-Length` before
    /// reading, e.g. before `100 Continue`, and for bodies read until close as they grow).
    pub fn check_body(&self, total: u64) -> Result<(), ParseError> {
        if total > self.max_body {
            Err(ParseError::BodyTooLarge)
        } else {
            Ok(())
        }
    }
}

/// The longest chunk size line accepted, extensions included: far above any real one, small
/// enough that a peer cannot make us buffer without bound while waiting for its end.
pub const MAX_CHUNK_LINE: usize = 4096;

/// tchar of RFC 9110 5.6.2: the bytes of methods, field names and transfer codings.
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~');
        c += 1;
    }
    t
};

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| TOKEN[usize::from(b)])
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without SP and HTAB at either end.
fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// One line of `buf` without its ending and the bytes it used, ending included. A line ends
/// in CRLF, or (when `bare_lf_ok`, for heads, as upstream reads them) in a bare LF; without
/// `bare_lf_ok` (chunk framing) a bare LF is an error. None: no complete line yet.
pub fn find_line(buf: &[u8], bare_lf_ok: bool) -> Option<Result<(&[u8], usize), ParseError>> {
    let lf = memchr(b'\n', buf)?;
    Some(match lf.checked_sub(1) {
        Some(cr) if buf[cr] == b'\r' => Ok((&buf[..cr], lf + 1)),
        _ if bare_lf_ok => Ok((&buf[..lf], lf + 1)),
        _ => Err(ParseError::BareLf),
    })
}

/// `HTTP/<digit>.<digit>` with a major of 0 or 1 (upstream refuses a major above 1).
fn parse_version(v: &[u8]) -> Result<(u8, u8), ParseError> {
    match *v {
        [b'H', b'T', b'T', b'P', b'/', major @ b'0'..=b'1', b'.', minor @ b'0'..=b'9'] => {
            Ok((major - b'0', minor - b'0'))
        }
        _ => Err(ParseError::BadVersion),
    }
}

/// A parsed request line; the slices borrow the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLine<'a> {
    pub method: &'a [u8],
    /// The `EVHTTP_REQ_*` bit, None for a method 2.1 does not know.
    pub method_bit: Option<u16>,
    pub uri: &'a [u8],
    pub major: u8,
    pub minor: u8,
}

impl RequestLine<'_> {
    /// The method's bit, or `UnknownMethod` (501). Upstream reads the head of such a request
    /// and then answers 501, so the caller decides when to ask.
    pub fn known_method(&self) -> Result<u16, ParseError> {
        self.method_bit.ok_or(ParseError::UnknownMethod)
    }
}

/// Checks a request target: not empty, no space and no control byte (bytes >= 0x80 pass, as
/// upstream's non-conformant URI parsing takes them). Writers of request lines use it too.
pub fn check_request_target(uri: &[u8]) -> Result<(), ParseError> {
    check_target_bytes(uri, false)
}

/// `check_request_target`, with spaces inside the target allowed when `inner_spaces`: 2.1
/// takes the target to be everything between the first and the last space of the request line
/// (its "non-conformant" parsing; upstream's regress test http/simple_nonconformant requests
/// `/test nonconformant`, and Debian's fixed library still serves it). A space at either end
/// of the target (a doubled separator) stays refused.
fn check_target_bytes(uri: &[u8], inner_spaces: bool) -> Result<(), ParseError> {
    if uri.is_empty() {
        return Err(ParseError::RequestLine);
    }
    let refused = |b: u8| b < b' ' || b == 0x7f || (b == b' ' && !inner_spaces);
    if uri.iter().any(|&b| refused(b)) || uri[0] == b' ' || uri[uri.len() - 1] == b' ' {
        return Err(ParseError::BadTarget);
    }
    Ok(())
}

/// Parses `method SP target SP version`, trailing spaces ignored (upstream's regress suite
/// sends them). A target longer than `max_uri` is `UriTooLong`.
pub fn parse_request_line(line: &[u8], max_uri: usize) -> Result<RequestLine<'_>, ParseError> {
    let end = line.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let line = &line[..end];
    let first = memchr(b' ', line).ok_or(ParseError::RequestLine)?;
    let last = memrchr(b' ', line).filter(|&l| l > first).ok_or(ParseError::RequestLine)?;
    let (method, uri, version) = (&line[..first], &line[first + 1..last], &line[last + 1..]);
    if method.is_empty() {
        return Err(ParseError::RequestLine);
    }
    if !is_token(method) {
        return Err(ParseError::BadMethod);
    }
    if uri.len() > max_uri {
        return Err(ParseError::UriTooLong);
    }
    check_target_bytes(uri, true)?;
    let (major, minor) = parse_version(version)?;
    Ok(RequestLine { method, method_bit: method_bit(method), uri, major, minor })
}

/// A parsed status line; the reason borrows the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLine<'a> {
    pub major: u8,
    pub minor: u8,
    pub code: u16,
    pub reason: &'a [u8],
}

/// Parses `version SP 3DIGIT [SP reason]`; the reason may be empty or missing.
pub fn parse_status_line(line: &[u8]) -> Result<StatusLine<'_>, ParseError> {
    let sp = memchr(b' ', line).ok_or(ParseError::StatusLine)?;
    let (major, minor) = parse_version(&line[..sp])?;
    let rest = &line[sp + 1..];
    let code = match *rest {
        [a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(ParseError::BadStatusCode),
    };
    let reason = match rest.get(3) {
        None => &rest[3..],
        Some(b' ') => &rest[4..],
        Some(_) => return Err(ParseError::BadStatusCode),
    };
    if memchr2(0, b'\r', reason).is_some() {
        return Err(ParseError::BadReason);
    }
    Ok(StatusLine { major, minor, code, reason })
}

/// One line of a header section (the empty line that ends it excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLine<'a> {
    /// `name: value`, the value trimmed of SP and HTAB.
    Field { name: &'a [u8], value: &'a [u8] },
    /// An obs-fold line (it started with SP or HTAB), trimmed: the caller appends it to the
    /// field before it after one SP (upstream's join; `parse_message` leaves the SP out next
    /// to an empty part, so that a rewritten head reads back the same).
    Continuation(&'a [u8]),
}

/// Parses one field or continuation line. Refused: a NUL or CR anywhere (reject, do not cut),
/// no colon, an empty name, a name that is not a token (so `Host :` is refused).
pub fn parse_header_line(line: &[u8]) -> Result<HeaderLine<'_>, ParseError> {
    if let Some(at) = memchr2(0, b'\r', line) {
        return Err(if line[at] == 0 { ParseError::NulInHeader } else { ParseError::CrInHeader });
    }
    if line.first().is_some_and(|&b| is_ows(b)) {
        return Ok(HeaderLine::Continuation(trim_ows(line)));
    }
    let colon = memchr(b':', line).ok_or(ParseError::MissingColon)?;
    let name = &line[..colon];
    if name.is_empty() {
        return Err(ParseError::EmptyHeaderName);
    }
    if !is_token(name) {
        return Err(ParseError::BadHeaderName);
    }
    Ok(HeaderLine::Field { name, value: trim_ows(&line[colon + 1..]) })
}

/// Checks one trailer line as `parse_header_line` does and gives nothing back: trailer fields
/// are discarded, never merged into the headers (CVE-2026-63379).
pub fn parse_trailer_line(line: &[u8]) -> Result<(), ParseError> {
    parse_header_line(line).map(drop)
}

/// Which head a `HeadReader` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadKind {
    Request,
    Response,
    /// The trailer section after the last chunk: no first line, fields checked and discarded.
    Trailer,
}

/// What one line of a head was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadItem<'a> {
    Request(RequestLine<'a>),
    Status(StatusLine<'a>),
    Field { name: &'a [u8], value: &'a [u8] },
    /// Append to the last field after one SP (see `HeaderLine::Continuation`).
    Continuation(&'a [u8]),
    /// A trailer line, checked and dropped: there is nothing to keep.
    Trailer,
    /// The empty line: the head is complete.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeadState {
    FirstLine,
    /// `last`: what a continuation would extend (None before the first field).
    Fields { last: Option<Folds> },
    Done,
}

/// What an obs-fold continuation would be appended to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Folds {
    Plain,
    /// `Content-Length` or `Transfer-Encoding`: folding them is refused.
    Framing,
}

/// Reads a head line by line over whatever is buffered, keeping only counters between calls,
/// so the caller can hand it the readable bytes each time data arrives.
#[derive(Debug, Clone)]
pub struct HeadReader {
    kind: HeadKind,
    size: usize,
    max_headers: usize,
    max_uri: usize,
    state: HeadState,
}

impl HeadReader {
    pub fn new(kind: HeadKind, limits: &Limits) -> Self {
        let state = match kind {
            HeadKind::Trailer => HeadState::Fields { last: None },
            _ => HeadState::FirstLine,
        };
        HeadReader { kind, size: 0, max_headers: limits.max_headers, max_uri: limits.max_uri, state }
    }

    /// A reader for the fields of a head whose first line (and `size` bytes in all) was read
    /// before, by another reader: what `evhttp_parse_headers_` needs, which upstream's callers
    /// invoke once per batch of lines. `last_field` names the field read last, if any, so that
    /// a continuation of it is judged as `next` would have judged it.
    pub fn resume(kind: HeadKind, limits: &Limits, size: usize, last_field: Option<&[u8]>) -> Self {
        let last = last_field.map(|name| if is_framing_field(name) { Folds::Framing } else { Folds::Plain });
        HeadReader { kind, size, max_headers: limits.max_headers, max_uri: limits.max_uri, state: HeadState::Fields { last } }
    }

    /// Bytes of the head so far, line endings not counted (`evhttp_request::headers_size`).
    pub fn size(&self) -> usize {
        self.size
    }

    /// True once `End` was yielded.
    pub fn is_done(&self) -> bool {
        self.state == HeadState::Done
    }

    /// The next line of `buf` (the bytes not consumed yet) and how many bytes it used;
    /// `Ok(None)` when no complete line is buffered yet, or after `End`. A partial line that
    /// already passes the size limit is an error at once, so a peer cannot make us buffer
    /// without bound.
    pub fn next<'a>(&mut self, buf: &'a [u8]) -> Result<Option<(HeadItem<'a>, usize)>, ParseError> {
        if self.state == HeadState::Done {
            return Ok(None);
        }
        let Some(found) = find_line(buf, true) else {
            return if self.size.saturating_add(buf.len()) > self.max_headers {
                Err(ParseError::HeadersTooLarge)
            } else {
                Ok(None)
            };
        };
        let (line, used) = found?;
        self.size = self.size.saturating_add(line.len());
        if self.size > self.max_headers {
            return Err(ParseError::HeadersTooLarge);
        }
        let item = match self.state {
            HeadState::FirstLine => {
                self.state = HeadState::Fields { last: None };
                match self.kind {
                    HeadKind::Request => HeadItem::Request(parse_request_line(line, self.max_uri)?),
                    _ => HeadItem::Status(parse_status_line(line)?),
                }
            }
            HeadState::Fields { .. } if line.is_empty() => {
                self.state = HeadState::Done;
                HeadItem::End
            }
            HeadState::Fields { last } => self.field(line, last)?,
            HeadState::Done => return Ok(None),
        };
        Ok(Some((item, used)))
    }

    fn field<'a>(&mut self, line: &'a [u8], last: Option<Folds>) -> Result<HeadItem<'a>, ParseError> {
        let item = match parse_header_line(line)? {
            HeaderLine::Continuation(value) => match last {
                None => return Err(ParseError::OrphanContinuation),
                Some(Folds::Framing) => return Err(ParseError::FoldedFramingHeader),
                Some(Folds::Plain) => HeadItem::Continuation(value),
            },
            HeaderLine::Field { name, value } => {
                let folds = if is_framing_field(name) { Folds::Framing } else { Folds::Plain };
                self.state = HeadState::Fields { last: Some(folds) };
                HeadItem::Field { name, value }
            }
        };
        Ok(if self.kind == HeadKind::Trailer { HeadItem::Trailer } else { item })
    }
}

fn is_framing_field(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"transfer-encoding")
}

/// What a message's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body (also `Content-Length: 0`).
    None,
    /// Exactly this many bytes (more than 0).
    ContentLength(u64),
    /// Chunked coding: read it with a `ChunkedReader`, then the trailer section.
    Chunked,
    /// Everything until the peer closes (responses only).
    UntilClose,
}

/// The message `body_framing` frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A request, whatever its method: framing comes from its headers alone (RFC 9112 6.3).
    Request,
    /// A response with its status code, to a request with this `EVHTTP_REQ_*` method.
    Response { status: u16, request_method: u16 },
}

/// True when a response has a body at all: not for 1xx, 204, 304, a HEAD request, or a 2xx
/// to CONNECT (the connection is a tunnel from then on).
pub fn response_has_body(status: u16, request_method: u16) -> bool {
    !(status < 200
        || status == 204
        || status == 304
        || request_method == method::HEAD
        || (request_method == method::CONNECT && status < 300))
}

/// Frames a message from its fields (names and values as `HeadReader` gave them, folds
/// joined). The header checks (one `Transfer-Encoding`, one `Content-Length`, never both)
/// apply to every message, bodiless responses included.
pub fn body_framing<'a>(
    headers: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    msg: MessageKind,
) -> Result<BodyFraming, ParseError> {
    let mut te = None;
    let mut length = None;
    let mut connection = None;
    for (name, value) in headers {
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if te.replace(value).is_some() {
                return Err(ParseError::DuplicateTransferEncoding);
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            if length.replace(parse_content_length(value)?).is_some() {
                return Err(ParseError::DuplicateContentLength);
            }
        } else if connection.is_none() && name.eq_ignore_ascii_case(b"connection") {
            connection = Some(value);
        }
    }
    if te.is_some() && length.is_some() {
        return Err(ParseError::TransferEncodingWithContentLength);
    }
    let response = match msg {
        MessageKind::Response { status, request_method } => {
            if !response_has_body(status, request_method) {
                return Ok(BodyFraming::None);
            }
            true
        }
        MessageKind::Request => false,
    };
    if let Some(te) = te {
        return match (ends_in_chunked(te)?, response) {
            (true, _) => Ok(BodyFraming::Chunked),
            (false, true) => Ok(BodyFraming::UntilClose),
            (false, false) => Err(ParseError::NotChunked),
        };
    }
    Ok(match length {
        Some(0) => BodyFraming::None,
        Some(n) => BodyFraming::ContentLength(n),
        // Upstream's rule: a response without framing fields but with a Connection field other
        // than `close` has no body (evhttp_get_body_length); requests without them have none.
        None if response => match connection {
            Some(c) if !c.eq_ignore_ascii_case(b"close") => BodyFraming::None,
            _ => BodyFraming::UntilClose,
        },
        None => BodyFraming::None,
    })
}

/// Whether a `Transfer-Encoding` value, a comma list of codings (each a token, optionally
/// with `;` parameters), ends in `chunked`. Empty elements are skipped, as list syntax asks;
/// a list without any coding is refused, and so is `chunked` followed by a comma (it may only
/// be applied last, and once: `chunked_position`'s 0, as 2.1.13 judges it).
fn ends_in_chunked(te: &[u8]) -> Result<bool, ParseError> {
    let mut codings = 0;
    for element in te.split(|&b| b == b',') {
        if trim_ows(element).is_empty() {
            continue;
        }
        if !is_token(trim_ows(&element[..memchr(b';', element).unwrap_or(element.len())])) {
            return Err(ParseError::BadTransferEncoding);
        }
        codings += 1;
    }
    match (codings, chunked_position(te)) {
        (0, _) => Err(ParseError::BadTransferEncoding),
        (_, 0) => Err(ParseError::NotChunked),
        (_, position) => Ok(position == 1),
    }
}

/// Whether a `Transfer-Encoding` element is the `chunked` coding: after leading SP/HTAB, the
/// token up to SP, HTAB or `;` is `chunked` in any case (`evhttp_str_is_chunked_`, an internal
/// export of Debian's patched 2.1.12; the connection uses `body_framing`).
pub fn is_chunked_element(element: &[u8]) -> bool {
    let start = element.iter().position(|&b| !is_ows(b)).unwrap_or(element.len());
    let token = &element[start..];
    let end = token.iter().position(|&b| matches!(b, b' ' | b'\t' | b';')).unwrap_or(token.len());
    token[..end].eq_ignore_ascii_case(b"chunked")
}

/// Where `chunked` stands in a `Transfer-Encoding` list, as `evhttp_check_transfer_encoding_`
/// (Debian's patched 2.1.12) reports it: 0 before the last element (refused), 1 as the last
/// element, 2 nowhere.
pub fn chunked_position(te: &[u8]) -> u8 {
    let mut elements = te.split(|&b| b == b',').peekable();
    while let Some(element) = elements.next() {
        if elements.peek().is_none() {
            return if is_chunked_element(element) { 1 } else { 2 };
        }
        if is_chunked_element(element) {
            return 0;
        }
    }
    2
}

/// `Content-Length`: one or more digits, at most `i64::MAX`.
pub fn parse_content_length(value: &[u8]) -> Result<u64, ParseError> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadContentLength);
    }
    value
        .iter()
        .try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or(ParseError::ContentLengthOverflow)
}

/// A chunk size line (without its CRLF): hex digits, then optional SP/HTAB, then optionally
/// `;` and extensions (ignored, but without NUL or CR). Nothing else: `0x`, signs and leading
/// spaces are refused, and sizes above `i64::MAX`.
pub fn parse_chunk_size(line: &[u8]) -> Result<u64, ParseError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(ParseError::BadChunkSize);
    }
    let size = line[..digits]
        .iter()
        .try_fold(0u64, |n, &d| {
            let v = (d as char).to_digit(16).map(u64::from)?;
            n.checked_mul(16)?.checked_add(v)
        })
        .filter(|&n| n <= i64::MAX as u64)
        .ok_or(ParseError::ChunkSizeOverflow)?;
    let rest = &line[digits..];
    let rest = &rest[rest.iter().position(|&b| !is_ows(b)).unwrap_or(rest.len())..];
    match rest.split_first() {
        None => Ok(size),
        Some((b';', ext)) if memchr2(0, b'\r', ext).is_none() => Ok(size),
        Some(_) => Err(ParseError::BadChunkSize),
    }
}

/// What one `ChunkedReader::step` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkEvent {
    /// Nothing complete yet: call again with more bytes.
    NeedMore,
    /// A size line or the CRLF after a chunk's data: nothing for the body.
    Framing,
    /// The first `len` bytes of the buffer are body data; `end_of_chunk` when they complete a
    /// chunk (upstream hands chunks to `chunk_cb` whole).
    Data { len: usize, end_of_chunk: bool },
    /// The size-0 chunk: the trailer section follows (`HeadReader::new(HeadKind::Trailer, ..)`).
    LastChunk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    Size,
    Data(u64),
    DataEnd,
    Done,
}

/// Decodes a chunked body incrementally over whatever is buffered.
#[derive(Debug, Clone)]
pub struct ChunkedReader {
    state: ChunkState,
    body: u64,
    max_body: u64,
}

impl ChunkedReader {
    pub fn new(limits: &Limits) -> Self {
        ChunkedReader { state: ChunkState::Size, body: 0, max_body: limits.max_body }
    }

    /// Body bytes announced by the size lines so far (`evhttp_request::body_size`).
    pub fn body_size(&self) -> u64 {
        self.body
    }

    /// One step over `buf` (the bytes not consumed yet): the event and how many bytes of
    /// `buf` it used. A chunk whose size takes the body over the limit is refused at its size
    /// line, before its data is read.
    pub fn step(&mut self, buf: &[u8]) -> Result<(ChunkEvent, usize), ParseError> {
        match self.state {
            ChunkState::Size => {
                let Some(found) = find_line(buf, false) else {
                    return if buf.len() > MAX_CHUNK_LINE + 1 {
                        Err(ParseError::ChunkLineTooLong)
                    } else {
                        Ok((ChunkEvent::NeedMore, 0))
                    };
                };
                let (line, used) = found?;
                if line.len() > MAX_CHUNK_LINE {
                    return Err(ParseError::ChunkLineTooLong);
                }
                let size = parse_chunk_size(line)?;
                if size == 0 {
                    self.state = ChunkState::Done;
                    return Ok((ChunkEvent::LastChunk, used));
                }
                self.body = self.body.saturating_add(size);
                if self.body > self.max_body {
                    return Err(ParseError::BodyTooLarge);
                }
                self.state = ChunkState::Data(size);
                Ok((ChunkEvent::Framing, used))
            }
            ChunkState::Data(left) => {
                if buf.is_empty() {
                    return Ok((ChunkEvent::NeedMore, 0));
                }
                let len = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                let left = left - len as u64;
                self.state = if left == 0 { ChunkState::DataEnd } else { ChunkState::Data(left) };
                Ok((ChunkEvent::Data { len, end_of_chunk: left == 0 }, len))
            }
            ChunkState::DataEnd => match buf {
                [b'\r', b'\n', ..] => {
                    self.state = ChunkState::Size;
                    Ok((ChunkEvent::Framing, 2))
                }
                [] | [b'\r'] => Ok((ChunkEvent::NeedMore, 0)),
                [b'\n', ..] => Err(ParseError::BareLf),
                _ => Err(ParseError::MissingChunkCrlf),
            },
            ChunkState::Done => Ok((ChunkEvent::LastChunk, 0)),
        }
    }
}

/// The decimal digits of `n`, written into `buf`, without formatting machinery (heads,
/// chunk sizes and the Content-Length the server and client add).
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// Appends the decimal digits of `n`.
fn put_decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(decimal(n, &mut [0u8; 20]));
}

fn put_version(out: &mut Vec<u8>, major: u8, minor: u8) {
    out.extend_from_slice(b"HTTP/");
    put_decimal(out, u64::from(major));
    out.push(b'.');
    put_decimal(out, u64::from(minor));
}

/// `name: value` CRLF for each field, then the empty line.
fn put_fields<'a>(out: &mut Vec<u8>, headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
    for (name, value) in headers {
        out.reserve(name.len() + value.len() + 4);
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Writes `method SP uri SP HTTP/major.minor CRLF`, the fields and the empty line. The caller
/// has checked the target (`check_request_target`) and the fields (as `evhttp_add_header`
/// does): this only copies bytes.
pub fn write_request_head<'a>(
    out: &mut Vec<u8>,
    method: &[u8],
    uri: &[u8],
    major: u8,
    minor: u8,
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) {
    out.reserve(method.len() + uri.len() + 12);
    out.extend_from_slice(method);
    out.push(b' ');
    out.extend_from_slice(uri);
    out.push(b' ');
    put_version(out, major, minor);
    out.extend_from_slice(b"\r\n");
    put_fields(out, headers);
}

/// Writes `HTTP/major.minor SP code SP reason CRLF`, the fields and the empty line. A CR, LF
/// or NUL in the reason (it comes from the application) is written as SP, so a reason can
/// never end the status line early and start a header of its own.
pub fn write_response_head<'a>(
    out: &mut Vec<u8>,
    major: u8,
    minor: u8,
    code: u16,
    reason: &[u8],
    headers: impl IntoIterator<Item = (&'a [u8], &'a [u8])>,
) {
    out.reserve(reason.len() + 16);
    put_version(out, major, minor);
    out.push(b' ');
    put_decimal(out, u64::from(code));
    out.push(b' ');
    let start = out.len();
    out.extend_from_slice(reason);
    if memchr::memchr3(b'\r', b'\n', 0, reason).is_some() {
        for b in &mut out[start..] {
            if matches!(*b, b'\r' | b'\n' | 0) {
                *b = b' ';
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    put_fields(out, headers);
}

/// Writes a chunk's size line (`%x` CRLF); the data and `CHUNK_END` follow it.
pub fn write_chunk_header(out: &mut Vec<u8>, len: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        digits[at] = HEX[(n & 0xf) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

/// What ends each chunk's data.
pub const CHUNK_END: &[u8] = b"\r\n";
/// The last chunk and an empty trailer section: the end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// The first line of a message `parse_message` read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Vec<u8>, method_bit: Option<u16>, uri: Vec<u8>, major: u8, minor: u8 },
    Status { major: u8, minor: u8, code: u16, reason: Vec<u8> },
}

/// A whole message as `parse_message` read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    /// Fields in order, continuations joined with one SP between non-empty parts.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub framing: BodyFraming,
    /// The decoded body.
    pub body: Vec<u8>,
    /// Trailer lines checked and discarded.
    pub trailers: usize,
    /// Bytes of the buffer the message used.
    pub consumed: usize,
}

/// What `parse_message` expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    Request,
    /// A response to a request with this `EVHTTP_REQ_*` method.
    Response { request_method: u16 },
}

/// Reads one whole message from the start of `buf` as evhttp's connection does: head, framing,
/// body (chunked decoded, trailers checked and dropped). The end of `buf` is the end of the
/// stream: a body read until close takes the rest. Ok(None): the message is incomplete.
/// For tests and fuzzing; the connection uses the incremental readers above.
pub fn parse_message(buf: &[u8], incoming: Incoming, limits: &Limits) -> Result<Option<Message>, ParseError> {
    let kind = match incoming {
        Incoming::Request => HeadKind::Request,
        Incoming::Response { .. } => HeadKind::Response,
    };
    let mut head = HeadReader::new(kind, limits);
    let mut at = 0;
    let mut start = None;
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    loop {
        let Some((item, used)) = head.next(&buf[at..])? else { return Ok(None) };
        at += used;
        match item {
            HeadItem::Request(r) => {
                start = Some(StartLine::Request {
                    method: r.method.to_vec(),
                    method_bit: r.method_bit,
                    uri: r.uri.to_vec(),
                    major: r.major,
                    minor: r.minor,
                })
            }
            HeadItem::Status(s) => {
                start = Some(StartLine::Status { major: s.major, minor: s.minor, code: s.code, reason: s.reason.to_vec() })
            }
            HeadItem::Field { name, value } => headers.push((name.to_vec(), value.to_vec())),
            HeadItem::Continuation(more) => {
                // HeadReader refuses a continuation before the first field.
                let Some((_, value)) = headers.last_mut() else { return Err(ParseError::OrphanContinuation) };
                if !more.is_empty() && !value.is_empty() {
                    value.push(b' ');
                }
                value.extend_from_slice(more);
            }
            HeadItem::Trailer => {}
            HeadItem::End => break,
        }
    }
    // The first line always comes before End.
    let Some(start) = start else { return Err(ParseError::RequestLine) };
    let msg = match (&start, incoming) {
        (StartLine::Status { code, .. }, Incoming::Response { request_method }) => {
            MessageKind::Response { status: *code, request_method }
        }
        _ => MessageKind::Request,
    };
    let framing = body_framing(headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())), msg)?;
    let mut body = Vec::new();
    let mut trailers = 0;
    match framing {
        BodyFraming::None => {}
        BodyFraming::ContentLength(n) => {
            limits.check_body(n)?;
            let rest = &buf[at..];
            match usize::try_from(n).ok().filter(|&n| n <= rest.len()) {
                Some(n) => {
                    body.extend_from_slice(&rest[..n]);
                    at += n;
                }
                None => return Ok(None),
            }
        }
        BodyFraming::UntilClose => {
            limits.check_body((buf.len() - at) as u64)?;
            body.extend_from_slice(&buf[at..]);
            at = buf.len();
        }
        BodyFraming::Chunked => {
            let mut chunks = ChunkedReader::new(limits);
            loop {
                let (event, used) = chunks.step(&buf[at..])?;
                match event {
                    ChunkEvent::NeedMore => return Ok(None),
                    ChunkEvent::Framing => {}
                    ChunkEvent::Data { len, .. } => body.extend_from_slice(&buf[at..at + len]),
                    ChunkEvent::LastChunk => {
                        at += used;
                        break;
                    }
                }
                at += used;
            }
            let mut trailer = HeadReader::new(HeadKind::Trailer, limits);
            loop {
                let Some((item, used)) = trailer.next(&buf[at..])? else { return Ok(None) };
                at += used;
                match item {
                    HeadItem::End => break,
                    _ => trailers += 1,
                }
            }
        }
    }
    Ok(Some(Message { start, headers, framing, body, trailers, consumed: at }))
}

/// Fuzz entry for the server side: every request of `data` read as pipelined on one
/// connection, each read message written back (head and chunked body) and read again to the
/// same message. Panics on a broken invariant, never on hostile input.
pub fn fuzz_request(data: &[u8]) {
    fuzz_stream(data, Incoming::Request);
}

/// Fuzz entry for the client side: responses to GET, then to HEAD, as `fuzz_request`.
pub fn fuzz_response(data: &[u8]) {
    fuzz_stream(data, Incoming::Response { request_method: method::GET });
    fuzz_stream(data, Incoming::Response { request_method: method::HEAD });
}

fn fuzz_stream(data: &[u8], incoming: Incoming) {
    let limits = Limits { max_headers: 1 << 16, max_body: 1 << 20, max_uri: 1 << 12 };
    let mut at = 0;
    while at < data.len() {
        let Ok(Some(msg)) = parse_message(&data[at..], incoming, &limits) else { return };
        assert!(msg.consumed > 0 && msg.consumed <= data.len() - at);
        at += msg.consumed;
        let again = rewrite(&msg);
        // Unlimited: joined folds make a rewritten head a little longer than the original.
        let reread = parse_message(&again, incoming, &Limits::default())
            .unwrap_or_else(|e| panic!("rewritten message refused: {e}"))
            .expect("rewritten message complete");
        assert_eq!(reread.start, msg.start);
        assert_eq!(reread.headers, msg.headers);
        assert_eq!(reread.body, msg.body);
        assert_eq!(reread.consumed, again.len());
        if msg.framing == BodyFraming::UntilClose {
            return;
        }
    }
}

/// A message as our writers send it: the same head, and the body chunked again when it was
/// chunked (each 7 bytes, to cross chunk borders), as it came otherwise.
fn rewrite(msg: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    let fields = msg.headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
    match &msg.start {
        StartLine::Request { method, uri, major, minor, .. } => {
            write_request_head(&mut out, method, uri, *major, *minor, fields)
        }
        StartLine::Status { major, minor, code, reason } => {
            write_response_head(&mut out, *major, *minor, *code, reason, fields)
        }
    }
    if msg.framing == BodyFraming::Chunked {
        for chunk in msg.body.chunks(7) {
            write_chunk_header(&mut out, chunk.len() as u64);
            out.extend_from_slice(chunk);
            out.extend_from_slice(CHUNK_END);
        }
        out.extend_from_slice(LAST_CHUNK);
    } else {
        out.extend_from_slice(&msg.body);
    }
    out
}

#[cfg(test)]
mod tests;
