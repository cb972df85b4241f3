//! Percent-encoding (RFC 3986), the HTML escaping of error pages, and query strings
//! (`key=value&key2=value2`): plain functions over byte slices.
//!
//! Each transformation comes as a length function plus a writer into a caller-sized slice, so
//! the C entry points allocate their result once, at its exact size, through `crate::mm`
//! (the program frees it with `free()` or its own replacement), and Rust callers get a
//! `Vec` wrapper of the same code.
//!
//! NUL bytes: a decoded `%00` inside a string that then travels as a C string would cut it
//! short without anyone noticing: "/admin%00.png" would be served as "/admin" (upstream issue
//! 1904). [`decode_text`] refuses those, and every place that stores decoded bytes as a C
//! string uses it (`evhttp_decode_uri`, query values, the server's path match).
//! [`decode`] keeps them: it is for callers that get the decoded length back
//! (`evhttp_uridecode` with its `size_out`).

use memchr::{memchr, memchr2, memchr3};

use crate::util::string::hex_digit_value;

/// RFC 3986 "unreserved": ALPHA / DIGIT / "-" / "." / "_" / "~". These pass through encoding
/// untouched; every other byte becomes `%XX`.
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~';
        c += 1;
    }
    t
};

/// Whether `c` is an RFC 3986 unreserved character.
#[inline]
pub fn is_unreserved(c: u8) -> bool {
    UNRESERVED[c as usize]
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Length of `input` percent-encoded (see [`encode_into`]).
pub fn encoded_len(input: &[u8], space_as_plus: bool) -> usize {
    input.iter().map(|&c| if is_unreserved(c) || (space_as_plus && c == b' ') { 1 } else { 3 }).sum()
}

/// Writes `input` percent-encoded into `out` (at least [`encoded_len`] bytes) and returns the
/// length written: unreserved bytes as they are, a space as `+` when `space_as_plus`, every
/// other byte as `%XX` in upper-case hex.
pub fn encode_into(input: &[u8], space_as_plus: bool, out: &mut [u8]) -> usize {
    let mut n = 0;
    for &c in input {
        if is_unreserved(c) {
            out[n] = c;
            n += 1;
        } else if space_as_plus && c == b' ' {
            out[n] = b'+';
            n += 1;
        } else {
            out[n..n + 3].copy_from_slice(&[b'%', HEX_UPPER[usize::from(c >> 4)], HEX_UPPER[usize::from(c & 15)]]);
            n += 3;
        }
    }
    n
}

/// `input` percent-encoded, as a `Vec`.
pub fn encode(input: &[u8], space_as_plus: bool) -> Vec<u8> {
    let mut out = vec![0; encoded_len(input, space_as_plus)];
    encode_into(input, space_as_plus, &mut out);
    out
}

/// What decoding does with `+`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plus {
    /// `+` stays `+` (paths).
    Keep,
    /// `+` is a space (query values, `application/x-www-form-urlencoded`).
    Space,
    /// `+` is a space only after the first `?`: the whole-URI decoding of the deprecated
    /// `evhttp_decode_uri`.
    SpaceAfterQuestionMark,
}

/// Decodes `input` into `out`, which must hold at least `input.len()` bytes (decoding never
/// lengthens), and returns the decoded length.
///
/// `%` followed by two hex digits (either case) is that byte; a `%` without two hex digits after
/// it is kept as it is; `+` as [`Plus`] says. Nothing else changes, NUL bytes included.
pub fn decode_into(input: &[u8], plus: Plus, out: &mut [u8]) -> usize {
    let mut plus_is_space = plus == Plus::Space;
    let mut n = 0;
    let mut i = 0;
    while i < input.len() {
        // Copy the run up to the next byte decoding may change in one go.
        let rest = &input[i..];
        let special = match plus {
            Plus::Keep => memchr(b'%', rest),
            Plus::Space => memchr2(b'%', b'+', rest),
            Plus::SpaceAfterQuestionMark => memchr3(b'%', b'+', b'?', rest),
        };
        let run = special.unwrap_or(rest.len());
        out[n..n + run].copy_from_slice(&rest[..run]);
        n += run;
        i += run;
        let Some(&c) = input.get(i) else { break };
        let (byte, used) = match c {
            b'%' => match (input.get(i + 1).and_then(|&h| hex_digit_value(h)), input.get(i + 2).and_then(|&l| hex_digit_value(l))) {
                (Some(h), Some(l)) => (h << 4 | l, 3),
                _ => (b'%', 1),
            },
            b'+' if plus_is_space => (b' ', 1),
            b'?' => {
                plus_is_space |= plus == Plus::SpaceAfterQuestionMark;
                (b'?', 1)
            }
            other => (other, 1),
        };
        out[n] = byte;
        n += 1;
        i += used;
    }
    n
}

/// `input` decoded (see [`decode_into`]), NUL bytes kept: for callers that keep the length.
pub fn decode(input: &[u8], plus: Plus) -> Vec<u8> {
    let mut out = vec![0; input.len()];
    let n = decode_into(input, plus, &mut out);
    out.truncate(n);
    out
}

/// The decoded bytes would hold a NUL, which a C string cannot carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HasNul;

/// Decodes `input` into `out` (as [`decode_into`]) for use as a C string: a NUL in the result,
/// decoded from `%00` or present in `input`, is an error instead of a silent end of the string.
/// On error `out` holds the bytes decoded before the NUL.
pub fn decode_text_into(input: &[u8], plus: Plus, out: &mut [u8]) -> Result<usize, HasNul> {
    let n = decode_into(input, plus, out);
    match memchr(0, &out[..n]) {
        Some(_) => Err(HasNul),
        None => Ok(n),
    }
}

/// `input` decoded for use as a C string (see [`decode_text_into`]).
pub fn decode_text(input: &[u8], plus: Plus) -> Result<Vec<u8>, HasNul> {
    let mut out = vec![0; input.len()];
    let n = decode_text_into(input, plus, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// The HTML entity that stands for `c` in escaped text, if it needs one.
fn html_entity(c: u8) -> Option<&'static [u8]> {
    Some(match c {
        b'<' => b"&lt;",
        b'>' => b"&gt;",
        b'"' => b"&quot;",
        b'\'' => b"&#039;",
        b'&' => b"&amp;",
        _ => return None,
    })
}

/// Length of `input` HTML-escaped (see [`html_escape_into`]), or `None` if it overflows.
pub fn html_escaped_len(input: &[u8]) -> Option<usize> {
    input.iter().try_fold(0usize, |n, &c| n.checked_add(html_entity(c).map_or(1, <[u8]>::len)))
}

/// Writes `input` into `out` (at least [`html_escaped_len`] bytes) with `<`, `>`, `"`, `'` and
/// `&` replaced by `&lt;`, `&gt;`, `&quot;`, `&#039;` and `&amp;`; returns the length written.
pub fn html_escape_into(input: &[u8], out: &mut [u8]) -> usize {
    let mut n = 0;
    for &c in input {
        match html_entity(c) {
            Some(entity) => {
                out[n..n + entity.len()].copy_from_slice(entity);
                n += entity.len();
            }
            None => {
                out[n] = c;
                n += 1;
            }
        }
    }
    n
}

/// Why a query string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// A parameter without `=` (`a&b=1`), or with an empty key (`=1`, `a=1&&b=2`).
    Malformed,
    /// A value decodes to a NUL byte.
    Nul,
}

/// One `key=value` pair of a query string: the key as written (upstream does not decode keys),
/// the value decoded with `+` as a space.
pub type QueryPair<'a> = (&'a [u8], Vec<u8>);

/// Splits a query string (what follows `?`, without the `#fragment`) into its pairs.
///
/// Parameters are separated by `&`; each must be `key=value` with a non-empty key (the value may
/// be empty). An empty query has no pairs; one trailing `&` is allowed ("a=1&"), as upstream
/// reads it, but an empty parameter elsewhere is malformed.
pub fn parse_query(query: &[u8]) -> Result<Vec<QueryPair<'_>>, QueryError> {
    let mut pairs = Vec::new();
    let mut rest = query;
    while !rest.is_empty() {
        let (param, after) = match memchr(b'&', rest) {
            Some(amp) => (&rest[..amp], &rest[amp + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        let eq = memchr(b'=', param).ok_or(QueryError::Malformed)?;
        if eq == 0 {
            return Err(QueryError::Malformed);
        }
        let value = decode_text(&param[eq + 1..], Plus::Space).map_err(|HasNul| QueryError::Nul)?;
        pairs.push((&param[..eq], value));
        rest = after;
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests;
