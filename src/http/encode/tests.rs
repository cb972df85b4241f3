use super::*;

/// Upstream's http/uriencode table (regress_http.c): each string encodes to what it lists and
/// decodes back to itself with the same `+` setting.
#[test]
fn uriencode_table() {
    let table: &[(&[u8], &[u8], bool)] = &[
        (b"Hello", b"Hello", false),
        (b"99", b"99", false),
        (b"", b"", false),
        (
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ123456789-.~_",
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ123456789-.~_",
            false,
        ),
        (b" ", b"%20", false),
        (b" ", b"+", true),
        (b"\xff\xf0\xe0", b"%FF%F0%E0", false),
        (b"\x01\x19", b"%01%19", true),
        (b"http://www.ietf.org/rfc/rfc3986.txt", b"http%3A%2F%2Fwww.ietf.org%2Frfc%2Frfc3986.txt", true),
        (b"1+2=3", b"1%2B2%3D3", true),
        (b"1+2=3", b"1%2B2%3D3", false),
    ];
    for &(from, want, plus) in table {
        let encoded = encode(from, plus);
        assert_eq!(encoded, want, "encode {:?}", String::from_utf8_lossy(from));
        assert_eq!(encoded_len(from, plus), want.len());
        let mode = if plus { Plus::Space } else { Plus::Keep };
        assert_eq!(decode(&encoded, mode), from);
    }
    // Internal NULs encode like any other byte.
    assert_eq!(encode(b"hello\0world", false), b"hello%00world");
}

#[test]
fn decode_cases() {
    // A prefix only: the '%' at its end has no digits after it.
    let mut out = [0u8; 6];
    assert_eq!(decode_into(&b"hello%20%20"[..6], Plus::Keep, &mut out), 6);
    assert_eq!(&out, b"hello%");
    // Malformed escapes are kept as they are.
    assert_eq!(decode(b"%%xhello th+ere \xff", Plus::Keep), b"%%xhello th+ere \xff");
    assert_eq!(decode(b"%4", Plus::Keep), b"%4");
    assert_eq!(decode(b"%", Plus::Keep), b"%");
    assert_eq!(decode(b"%g1%1g", Plus::Keep), b"%g1%1g");
    assert_eq!(decode(b"plus+should%20work+", Plus::Space), b"plus should work ");
    assert_eq!(decode(b"%f0%a0%b0", Plus::Space), b"\xf0\xa0\xb0");
    assert_eq!(decode(b"%41%4a%4A", Plus::Keep), b"AJJ");
    // Binary-safe decoding keeps NULs (upstream's regress checks evhttp_uridecode so).
    assert_eq!(decode(b"%00%00x%00%00", Plus::Space), b"\0\0x\0\0");
    // The deprecated whole-URI mode: '+' is a space only after the first '?'.
    assert_eq!(
        decode(b"http://example.com/normal+path/?key=val+with+spaces", Plus::SpaceAfterQuestionMark),
        b"http://example.com/normal+path/?key=val with spaces"
    );
    assert_eq!(decode(b"a+b?c+d?e+f", Plus::SpaceAfterQuestionMark), b"a+b?c d?e f");
    assert_eq!(decode(b"a+b?c+d", Plus::Keep), b"a+b?c+d");
}

/// Upstream issue 1904: "/admin/secret%00.jpg" must not come out as the C string
/// "/admin/secret" that a path comparison or fopen() would see.
#[test]
fn nul_never_truncates_text() {
    assert_eq!(decode_text(b"/admin/secret%00.jpg", Plus::Keep), Err(HasNul));
    assert_eq!(decode_text(b"%00", Plus::Space), Err(HasNul));
    assert_eq!(decode_text(b"a\0b", Plus::Keep), Err(HasNul));
    assert_eq!(decode_text(b"/admin/secret%2500.jpg", Plus::Keep).unwrap(), b"/admin/secret%00.jpg");
    assert_eq!(decode_text(b"/a%20b", Plus::Keep).unwrap(), b"/a b");
    let mut out = [0xffu8; 8];
    assert_eq!(decode_text_into(b"ab%00cd", Plus::Keep, &mut out), Err(HasNul));
    assert_eq!(&out[..2], b"ab");
}

#[test]
fn html_escape() {
    let cases: &[(&[u8], &[u8])] = &[
        (b"<script>", b"&lt;script&gt;"),
        (b"\"'&", b"&quot;&#039;&amp;"),
        (b"", b""),
        (b"plain text", b"plain text"),
        (b"a<b>c", b"a&lt;b&gt;c"),
    ];
    for &(from, want) in cases {
        let len = html_escaped_len(from).unwrap();
        assert_eq!(len, want.len());
        let mut out = vec![0; len];
        assert_eq!(html_escape_into(from, &mut out), len);
        assert_eq!(out, want);
    }
}

/// A query and the pairs it holds.
type QueryCase = (&'static [u8], &'static [(&'static [u8], &'static [u8])]);

/// Upstream's http/parse_query and http/parse_query_str tables, on the query part.
#[test]
fn parse_query_table() {
    let ok: &[QueryCase] = &[
        (b"q=test", &[(b"q", b"test")]),
        (b"q=test&foo=bar", &[(b"q", b"test"), (b"foo", b"bar")]),
        (b"q=test+foo", &[(b"q", b"test foo")]),
        (b"q=test%0Afoo", &[(b"q", b"test\nfoo")]),
        (b"q=test%0Dfoo", &[(b"q", b"test\rfoo")]),
        (b"q=test+this", &[(b"q", b"test this")]),
        (b"q=test&q2=foo", &[(b"q", b"test"), (b"q2", b"foo")]),
        (b"q=&q2=&q3=", &[(b"q", b""), (b"q2", b""), (b"q3", b"")]),
        (b"", &[]),
        (b"a=1&", &[(b"a", b"1")]),
        (b"a=b=c", &[(b"a", b"b=c")]),
        // Keys are not decoded, values are.
        (b"k%41+y=v%41+l", &[(b"k%41+y", b"vA l")]),
    ];
    for &(query, want) in ok {
        let pairs = parse_query(query).unwrap();
        let got: Vec<(&[u8], &[u8])> = pairs.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(query));
    }
    let bad: &[&[u8]] = &[b"q=test&&q2", b"q&q2=foo", b"q=foo&q2", b"q=foo&q2&q3=x", b"=1", b"&a=1", b"a=1&&", b"&"];
    for &query in bad {
        assert_eq!(parse_query(query), Err(QueryError::Malformed), "{:?}", String::from_utf8_lossy(query));
    }
    // A value decoding to NUL would be cut short in the header list: refused.
    assert_eq!(parse_query(b"user=admin%00x"), Err(QueryError::Nul));
}

#[test]
fn encode_decode_round_trip_every_byte() {
    let all: Vec<u8> = (0..=255).collect();
    for plus in [false, true] {
        let encoded = encode(&all, plus);
        assert!(encoded.iter().all(|&c| is_unreserved(c) || c == b'%' || c == b'+'));
        let mode = if plus { Plus::Space } else { Plus::Keep };
        assert_eq!(decode(&encoded, mode), all);
    }
}
