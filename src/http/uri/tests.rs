use super::*;

fn s(part: Option<&[u8]>) -> Option<&str> {
    part.map(|b| std::str::from_utf8(b).unwrap())
}

/// What a parse should give: scheme, userinfo, host, port, path, query, fragment, and the join.
type Want = (Option<&'static str>, Option<&'static str>, Option<&'static str>, i32, &'static str, Option<&'static str>, Option<&'static str>, &'static str);

/// Upstream's "valid parsing" table of http/parse_uri (and parse_uri_nc: the same in both modes).
const VALID: &[(&str, Want)] = &[
    ("http://www.test.com/?q=t%33est", (Some("http"), None, Some("www.test.com"), -1, "/", Some("q=t%33est"), None, "http://www.test.com/?q=t%33est")),
    ("http://%77ww.test.com", (Some("http"), None, Some("%77ww.test.com"), -1, "", None, None, "http://%77ww.test.com")),
    ("http://www.test.com?q=test", (Some("http"), None, Some("www.test.com"), -1, "", Some("q=test"), None, "http://www.test.com?q=test")),
    ("http://www.test.com#fragment", (Some("http"), None, Some("www.test.com"), -1, "", None, Some("fragment"), "http://www.test.com#fragment")),
    ("http://8000/", (Some("http"), None, Some("8000"), -1, "/", None, None, "http://8000/")),
    ("http://:8000/", (Some("http"), None, Some(""), 8000, "/", None, None, "http://:8000/")),
    ("http://www.test.com:/", (Some("http"), None, Some("www.test.com"), -1, "/", None, None, "http://www.test.com/")),
    ("http://www.test.com:", (Some("http"), None, Some("www.test.com"), -1, "", None, None, "http://www.test.com")),
    ("ftp://www.test.com/?q=test", (Some("ftp"), None, Some("www.test.com"), -1, "/", Some("q=test"), None, "ftp://www.test.com/?q=test")),
    ("ftp://[::1]:999/?q=test", (Some("ftp"), None, Some("[::1]"), 999, "/", Some("q=test"), None, "ftp://[::1]:999/?q=test")),
    ("ftp://[ff00::127.0.0.1]/?q=test", (Some("ftp"), None, Some("[ff00::127.0.0.1]"), -1, "/", Some("q=test"), None, "ftp://[ff00::127.0.0.1]/?q=test")),
    (
        "ftp://[v99.not_(any:time)_soon]/?q=test",
        (Some("ftp"), None, Some("[v99.not_(any:time)_soon]"), -1, "/", Some("q=test"), None, "ftp://[v99.not_(any:time)_soon]/?q=test"),
    ),
    (
        "scheme://user:pass@foo.com:42/?q=test&s=some+thing#fragment",
        (
            Some("scheme"),
            Some("user:pass"),
            Some("foo.com"),
            42,
            "/",
            Some("q=test&s=some+thing"),
            Some("fragment"),
            "scheme://user:pass@foo.com:42/?q=test&s=some+thing#fragment",
        ),
    ),
    ("scheme://user@foo.com/#fragment", (Some("scheme"), Some("user"), Some("foo.com"), -1, "/", None, Some("fragment"), "scheme://user@foo.com/#fragment")),
    ("scheme://%75ser@foo.com/#frag@ment", (Some("scheme"), Some("%75ser"), Some("foo.com"), -1, "/", None, Some("frag@ment"), "scheme://%75ser@foo.com/#frag@ment")),
    ("file:///some/path/to/the/file", (Some("file"), None, Some(""), -1, "/some/path/to/the/file", None, None, "file:///some/path/to/the/file")),
    ("///some/path/to/the-file", (None, None, Some(""), -1, "/some/path/to/the-file", None, None, "///some/path/to/the-file")),
    ("/s:ome/path/to/the-file?q=99#fred", (None, None, None, -1, "/s:ome/path/to/the-file", Some("q=99"), Some("fred"), "/s:ome/path/to/the-file?q=99#fred")),
    ("relative/path/with/co:lon", (None, None, None, -1, "relative/path/with/co:lon", None, None, "relative/path/with/co:lon")),
    ("bob?q=99&q2=q?33#fr?ed", (None, None, None, -1, "bob", Some("q=99&q2=q?33"), Some("fr?ed"), "bob?q=99&q2=q?33#fr?ed")),
    ("#fr?ed", (None, None, None, -1, "", None, Some("fr?ed"), "#fr?ed")),
    ("mailto:foo@bar", (Some("mailto"), None, None, -1, "foo@bar", None, None, "mailto:foo@bar")),
    // Beyond upstream's table: port bounds, leading zeros, an empty IPvFuture tail.
    ("http://h:65535/", (Some("http"), None, Some("h"), 65535, "/", None, None, "http://h:65535/")),
    ("http://h:0/", (Some("http"), None, Some("h"), 0, "/", None, None, "http://h:0/")),
    ("http://h:00080/", (Some("http"), None, Some("h"), 80, "/", None, None, "http://h:80/")),
    ("http://[v5.]/", (Some("http"), None, Some("[v5.]"), -1, "/", None, None, "http://[v5.]/")),
    ("http://u@/", (Some("http"), Some("u"), Some(""), -1, "/", None, None, "http://u@/")),
    ("", (None, None, None, -1, "", None, None, "")),
];

fn check(uri: &Uri, want: &Want, input: &str) {
    let &(scheme, userinfo, host, port, path, query, fragment, joined) = want;
    assert_eq!(s(uri.get(Part::Scheme)), scheme, "scheme of {input}");
    assert_eq!(s(uri.get(Part::Userinfo)), userinfo, "userinfo of {input}");
    assert_eq!(s(uri.get(Part::Host)), host, "host of {input}");
    assert_eq!(uri.port(), port, "port of {input}");
    assert_eq!(s(uri.get(Part::Path)), Some(path), "path of {input}");
    assert_eq!(s(uri.get(Part::Query)), query, "query of {input}");
    assert_eq!(s(uri.get(Part::Fragment)), fragment, "fragment of {input}");
    assert_eq!(s(uri.join().as_deref()), Some(joined), "join of {input}");
}

#[test]
fn parse_uri_valid_table() {
    for flags in [0, NONCONFORMANT] {
        for (input, want) in VALID {
            let uri = Uri::parse(input.as_bytes(), flags).unwrap_or_else(|e| panic!("{input} (flags {flags}): {e:?}"));
            check(&uri, want, input);
            assert_eq!(uri.flags(), flags);
        }
    }
}

/// Upstream's BAD list: refused in both modes, with the part that is wrong.
#[test]
fn parse_uri_bad_table() {
    let bad: &[(&[u8], UriError)] = &[
        (b"http://www.\x01.test.com/why-hello", UriError::Host),
        (b"http://www.%7test.com/why-hello", UriError::Host),
        (b"h%3ttp://www.test.com/why-hello", UriError::Path),
        (b"99:99/foo", UriError::Path),
        (b"http://www.test.com:999x/", UriError::Host),
        (b"http://www.test.com:x/", UriError::Host),
        (b"http://[hello-there]/", UriError::Host),
        (b"http://[::1]]/", UriError::Host),
        (b"http://[::1/", UriError::Host),
        (b"http://[foob/", UriError::Host),
        (b"http://[/", UriError::Host),
        (b"http://[ffff:ffff:ffff:ffff:Ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]/", UriError::Host),
        (b"http://[vX.foo]/", UriError::Host),
        (b"http://[v.foo]/", UriError::Host),
        (b"http://[v5.fo%o]/", UriError::Host),
        (b"http://[v5X]/", UriError::Host),
        (b"http://[v5]/", UriError::Host),
        (b"http://[]/", UriError::Host),
        (b"http://f\x01red@www.example.com/", UriError::Userinfo),
        (b"http://f%0red@www.example.com/", UriError::Userinfo),
        (b"http://www.example.com:9999999999999999999999999999999999999/", UriError::Port),
        (b"http://www.example.com:hihi/", UriError::Host),
        (b"://www.example.com/", UriError::Path),
        // Beyond upstream's table.
        (b"http://h:65536/", UriError::Port),
        (b"http://a@b@c/", UriError::Host),
        (b"http://h/a\0b", UriError::Nul),
        (b"http://[::1]x/", UriError::Host),
        (b"http://[1.2.3.4]/", UriError::Host),
    ];
    for flags in [0, NONCONFORMANT] {
        for &(input, error) in bad {
            let got = Uri::parse(input, flags).map(|_| ());
            assert_eq!(got, Err(error), "{:?} (flags {flags})", String::from_utf8_lossy(input));
        }
    }
}

/// Upstream's NCF list: refused unless NONCONFORMANT, and then joinable.
#[test]
fn parse_uri_nonconformant_table() {
    let ncf: &[&[u8]] = &[
        b"http://www.test.com/ why hello",
        b"http://www.test.com/why-hello\x01",
        b"http://www.test.com/why-hello?\x01",
        b"http://www.test.com/why-hello#\x01",
        b"http://www.test.com/why-hell%7o",
        b"http://www.test.com/why-hello%7",
        b"http://www.test.com/foo?ba%r",
        b"http://www.test.com/foo#ba%r",
    ];
    for &input in ncf {
        let name = String::from_utf8_lossy(input);
        assert!(Uri::parse(input, 0).is_err(), "{name} parsed without NONCONFORMANT");
        let uri = Uri::parse(input, NONCONFORMANT).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(uri.join().as_deref(), Some(input), "{name}");
    }
    // What the parts hold in nonconformant mode.
    let uri = Uri::parse(b"http://h/a b?c d#e#f", NONCONFORMANT).unwrap();
    assert_eq!(uri.get(Part::Path), Some(&b"/a b"[..]));
    assert_eq!(uri.get(Part::Query), Some(&b"c d"[..]));
    assert_eq!(uri.get(Part::Fragment), Some(&b"e#f"[..]));
}

/// Upstream's "bad URIs: joining" part.
#[test]
fn join_errors() {
    let mut uri = Uri::new();
    uri.set(Part::Host, Some(b"www.example.com")).unwrap();
    assert_eq!(uri.join().as_deref(), Some(&b"//www.example.com"[..]));
    let mut buf = [0u8; 64];
    assert_eq!(uri.join_into(&mut buf[..3]), None);
    assert_eq!(uri.join_into(&mut buf[..17]), None, "no room for the NUL");
    assert_eq!(uri.join_into(&mut buf[..18]), Some(18));
    assert_eq!(&buf[..18], b"//www.example.com\0");
    // A host and a relative path would run together.
    uri.set(Part::Path, Some(b"hi_mom")).unwrap();
    assert_eq!(uri.join(), None);
    assert_eq!(uri.join_into(&mut buf), None);
    // Userinfo and port are written only with a host.
    let mut uri = Uri::new();
    uri.set(Part::Userinfo, Some(b"me")).unwrap();
    uri.set_port(8080).unwrap();
    uri.set(Part::Path, Some(b"rel")).unwrap();
    assert_eq!(uri.join().as_deref(), Some(&b"rel"[..]));
    // A new URI has nothing: it joins to "".
    assert_eq!(Uri::new().join().as_deref(), Some(&b""[..]));
}

/// Upstream's setter checks ("setting invalid values" and "setting valid values").
#[test]
fn setters_table() {
    let mut uri = Uri::new();
    let bad: &[(Part, &[u8])] = &[
        (Part::Scheme, b""),
        (Part::Scheme, b"33"),
        (Part::Scheme, b"hi!"),
        (Part::Userinfo, b"hello@"),
        (Part::Host, b"[1.2.3.4]"),
        (Part::Host, b"["),
        (Part::Host, b"www.[foo].com"),
        (Part::Path, b"hello?world"),
        (Part::Query, b"hello#world"),
        (Part::Fragment, b"hello#world"),
        (Part::Path, b"a\0b"),
    ];
    for &(part, value) in bad {
        assert!(uri.set(part, Some(value)).is_err(), "{part:?} = {:?}", String::from_utf8_lossy(value));
        assert_eq!(uri.get(part), None, "a refused value leaves the part unset");
    }
    assert_eq!(uri.set_port(-3), Err(UriError::Port));
    let good: &[(Part, Option<&[u8]>)] = &[
        (Part::Scheme, Some(b"http")),
        (Part::Scheme, None),
        (Part::Userinfo, Some(b"username:pass")),
        (Part::Userinfo, None),
        (Part::Host, Some(b"www.example.com")),
        (Part::Host, Some(b"1.2.3.4")),
        (Part::Host, Some(b"[1:2:3:4::]")),
        (Part::Host, Some(b"[v7.wobblewobble]")),
        (Part::Host, None),
        (Part::Host, Some(b"")),
        (Part::Path, Some(b"")),
        (Part::Path, Some(b"/documents/public/index.html")),
        (Part::Path, None),
        (Part::Query, Some(b"key=val&key2=val2")),
        (Part::Query, Some(b"keyvalblarg")),
        (Part::Query, Some(b"")),
        (Part::Query, None),
        (Part::Fragment, Some(b"")),
        (Part::Fragment, Some(b"here?i?am")),
        (Part::Fragment, None),
    ];
    for &(part, value) in good {
        uri.set(part, value).unwrap_or_else(|e| panic!("{part:?} = {value:?}: {e:?}"));
        assert_eq!(uri.get(part), value);
    }
    for port in [-1, 80, 65535] {
        uri.set_port(port).unwrap();
        assert_eq!(uri.port(), port);
    }
    // The flags decide what the path, query and fragment setters accept.
    assert!(uri.set(Part::Path, Some(b"/a b")).is_err());
    uri.set_flags(NONCONFORMANT);
    uri.set(Part::Path, Some(b"/a b")).unwrap();
    assert!(uri.set(Part::Path, Some(b"/a?b")).is_err());
    uri.set(Part::Query, Some(b"a b?c")).unwrap();
    assert!(uri.set(Part::Query, Some(b"a#b")).is_err());
    uri.set(Part::Fragment, Some(b"a#b")).unwrap();
}

/// Setting one part keeps what the getters returned for the others (and for a parsed part
/// the text stays where it was).
#[test]
fn setters_keep_other_parts() {
    let mut uri = Uri::parse(b"http://host/path?q#f", 0).unwrap();
    let host = uri.get_cstr(Part::Host).unwrap().as_ptr();
    uri.set(Part::Path, Some(b"/other")).unwrap();
    uri.set(Part::Query, None).unwrap();
    assert_eq!(uri.get_cstr(Part::Host).unwrap().as_ptr(), host);
    assert_eq!(uri.join().as_deref(), Some(&b"http://host/other#f"[..]));
}

#[test]
fn authority_form() {
    let uri = Uri::parse_authority(b"www.example.com:443").unwrap();
    assert_eq!(uri.get(Part::Host), Some(&b"www.example.com"[..]));
    assert_eq!(uri.port(), 443);
    assert_eq!(uri.get(Part::Path), Some(&b""[..]));
    assert_eq!(uri.get(Part::Scheme), None);
    let uri = Uri::parse_authority(b"[::1]:80/ignored?x").unwrap();
    assert_eq!(uri.get(Part::Host), Some(&b"[::1]"[..]));
    assert_eq!(uri.port(), 80);
    assert_eq!(Uri::parse_authority(b"bad host:80").map(|_| ()), Err(UriError::Host));
    assert_eq!(Uri::parse_authority(b"h:99999").map(|_| ()), Err(UriError::Port));
    assert_eq!(Uri::parse_authority(b"").unwrap().get(Part::Host), Some(&b""[..]));
}

fn corpus() -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = include_str!("corpus.txt").lines().map(|l| l.as_bytes().to_vec()).collect();
    inputs.extend(VALID.iter().map(|(input, _)| input.as_bytes().to_vec()));
    // Bytes text files do not hold well.
    inputs.push(b"http://h/\x01\xff?\x7f#\x00".to_vec());
    inputs.push(b"/x%00y?a=%00&b=+".to_vec());
    inputs
}

#[test]
fn corpus_parses() {
    // Every line of the corpus is a URI some program sends; each parses in at least one mode.
    for line in include_str!("corpus.txt").lines() {
        let ok = Uri::parse(line.as_bytes(), 0).is_ok() || Uri::parse(line.as_bytes(), NONCONFORMANT).is_ok();
        assert!(ok, "{line}");
    }
}

use crate::util::fuzz::Rng;

/// The bytes URI grammars turn on, which random bytes rarely hit.
const DELIMITERS: &[u8] = b":/?#[]@%!$&'()*+,;=.-_~v0123456789aF \x00\x01\x7f\xff";

/// A few random edits of `input`, biased towards delimiters and escapes.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len() + 1);
        match rng.below(6) {
            0 => v.insert(at, DELIMITERS[rng.below(DELIMITERS.len())]),
            1 if at < v.len() => v[at] = DELIMITERS[rng.below(DELIMITERS.len())],
            2 if at < v.len() => {
                v.remove(at);
            }
            3 => {
                const PIECES: &[&[u8]] = &[b"%", b"%4", b"%41", b"%00", b"//", b"[::1]", b"[v1.x]", b":80", b"@", b"?", b"#"];
                let piece = PIECES[rng.below(PIECES.len())];
                v.splice(at..at, piece.iter().copied());
            }
            4 => v.truncate(at),
            _ if at < v.len() => v[at] = rng.next_u64() as u8,
            _ => v.push(rng.next_u64() as u8),
        }
    }
    v
}

fn fuzz_run(seed: u64, iterations: u64) {
    crate::util::fuzz::run(&corpus(), seed, iterations, mutate, fuzz_parse);
}

#[test]
fn uri_fuzz() {
    fuzz_run(0x0ddba11, 30_000);
}

/// The long run: `URI_FUZZ_ITERATIONS=10000000 URI_FUZZ_SEED=7 cargo test --release uri_fuzz_long -- --ignored`.
#[test]
#[ignore]
fn uri_fuzz_long() {
    let (seed, iterations) = crate::util::fuzz::long_run_settings("URI", 2_000_000);
    fuzz_run(seed, iterations);
}
