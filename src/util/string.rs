//! Locale-independent ASCII helpers: character classes, case mapping and case-insensitive
//! comparison (what protocols such as HTTP need, whatever the C locale says), plus the small
//! string utilities libevent's internals share: trailing-whitespace trimming, hex digits and a
//! BSD `strlcpy`.

use std::cmp::Ordering;

/// The character classes of upstream's `EVUTIL_IS*_` functions, all strictly 7-bit ASCII.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CharClass {
    Alpha,
    Alnum,
    /// Space, `\t`, `\n`, `\v`, `\f`, `\r` (the C locale's isspace, unlike Rust's
    /// `is_ascii_whitespace` which leaves out `\v`).
    Space,
    Digit,
    XDigit,
    /// Printable: space through `~`.
    Print,
    Lower,
    Upper,
}

impl CharClass {
    pub fn contains(self, c: u8) -> bool {
        match self {
            CharClass::Alpha => c.is_ascii_alphabetic(),
            CharClass::Alnum => c.is_ascii_alphanumeric(),
            CharClass::Space => c == b' ' || (b'\t'..=b'\r').contains(&c),
            CharClass::Digit => c.is_ascii_digit(),
            CharClass::XDigit => c.is_ascii_hexdigit(),
            CharClass::Print => c == b' ' || c.is_ascii_graphic(),
            CharClass::Lower => c.is_ascii_lowercase(),
            CharClass::Upper => c.is_ascii_uppercase(),
        }
    }
}

/// Case-insensitive comparison of two byte strings up to the first NUL or `limit` bytes.
///
/// Characters are compared after ASCII lower-casing *as C `char`* (signed on our targets), so
/// bytes above 0x7f sort before ASCII, exactly as upstream's functions order them.
pub fn ascii_casecmp(a: &[u8], b: &[u8], limit: usize) -> Ordering {
    // Treat the end of a slice as the terminating NUL.
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    for i in 0..limit {
        let ca = at(a, i).to_ascii_lowercase() as i8;
        let cb = at(b, i).to_ascii_lowercase() as i8;
        match ca.cmp(&cb) {
            Ordering::Equal if ca == 0 => return Ordering::Equal,
            Ordering::Equal => {}
            unequal => return unequal,
        }
    }
    Ordering::Equal
}

/// Length of `s` after removing trailing horizontal whitespace (spaces and tabs).
pub fn rtrim_lws_len(s: &[u8]) -> usize {
    s.iter().rposition(|&c| c != b' ' && c != b'\t').map_or(0, |last| last + 1)
}

/// Value of one hexadecimal digit, or `None`.
pub fn hex_digit_value(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|v| v as u8)
}

/// BSD `strlcpy`: copies as much of `src` as fits in `dst` (always NUL-terminating a non-empty
/// `dst`) and returns `src.len()`, so a result `>= dst.len()` means the copy was truncated.
pub fn strlcpy(dst: &mut [u8], src: &[u8]) -> usize {
    if let Some(room) = dst.len().checked_sub(1) {
        let n = src.len().min(room);
        dst[..n].copy_from_slice(&src[..n]);
        dst[n] = 0;
    }
    src.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_match_the_c_locale() {
        for c in 0..=255u8 {
            // SAFETY: the libc classifiers accept any unsigned char value; the test process
            // runs in the "C" locale (nothing calls setlocale).
            let (alpha, space, print, xdigit) = unsafe {
                let i = c as libc::c_int;
                (libc::isalpha(i) != 0, libc::isspace(i) != 0, libc::isprint(i) != 0, libc::isxdigit(i) != 0)
            };
            assert_eq!(CharClass::Alpha.contains(c), alpha, "alpha {c}");
            assert_eq!(CharClass::Space.contains(c), space, "space {c}");
            assert_eq!(CharClass::Print.contains(c), print, "print {c}");
            assert_eq!(CharClass::XDigit.contains(c), xdigit, "xdigit {c}");
        }
        assert!(CharClass::Digit.contains(b'0'));
        assert!(!CharClass::Digit.contains(b'a'));
        assert!(!CharClass::Digit.contains(0xff));
        assert!(CharClass::Space.contains(0x0b));
    }

    #[test]
    fn casecmp_orders_like_upstream() {
        let cmp = |a: &str, b: &str| ascii_casecmp(a.as_bytes(), b.as_bytes(), usize::MAX);
        let ncmp = |a: &str, b: &str, n| ascii_casecmp(a.as_bytes(), b.as_bytes(), n);
        assert_eq!(cmp("ABC", "abc"), Ordering::Equal);
        assert_eq!(cmp("ABC", "abcd"), Ordering::Less);
        assert_eq!(cmp("ABC", "abb"), Ordering::Greater);
        assert_eq!(cmp("ABCd", "abc"), Ordering::Greater);
        assert_eq!(ncmp("Libevent", "LibEXXXX", 4), Ordering::Equal);
        assert_eq!(ncmp("Libe", "LibEvEnT", 4), Ordering::Equal);
        assert_eq!(ncmp("Lib", "LibEvEnT", 4), Ordering::Less);
        assert_eq!(ncmp("Z", "qrst", 1), Ordering::Greater);
        assert_eq!(ncmp("abc", "xyz", 0), Ordering::Equal);
        // High bytes are negative chars, so they sort first.
        assert_eq!(ascii_casecmp(b"\xff", b"a", 1), Ordering::Less);
    }

    #[test]
    fn rtrim_strips_spaces_and_tabs_only() {
        assert_eq!(rtrim_lws_len(b""), 0);
        assert_eq!(rtrim_lws_len(b" \t "), 0);
        assert_eq!(rtrim_lws_len(b"abcdef  gH    \t  "), 10);
        assert_eq!(rtrim_lws_len(b"a\n"), 2);
    }

    #[test]
    fn strlcpy_truncates_and_reports_source_length() {
        let mut buf = [0xaau8; 8];
        assert_eq!(strlcpy(&mut buf, b"Hello"), 5);
        assert_eq!(&buf[..6], b"Hello\0");
        assert_eq!(strlcpy(&mut buf, b"pentasyllabic"), 13);
        assert_eq!(&buf, b"pentasy\0");
        assert_eq!(strlcpy(&mut buf, b"overlong"), 8);
        assert_eq!(&buf, b"overlon\0");
        assert_eq!(strlcpy(&mut [], b"abc"), 3);
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex_digit_value(b'0'), Some(0));
        assert_eq!(hex_digit_value(b'F'), Some(15));
        assert_eq!(hex_digit_value(b'a'), Some(10));
        assert_eq!(hex_digit_value(b'g'), None);
    }
}
