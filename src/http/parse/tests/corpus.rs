//! Real messages (src/http/parse/corpus/, captured by its capture.sh from curl, wget, python,
//! nginx, apache, python's http.server and Debian's libevent, plus a few written by hand from
//! what browsers and proxies send): every file reads as the messages `EXPECTED` lists.

use super::super::*;
use std::path::Path;

/// One corpus file: `req-<client>-<what>.http` or `resp-<method>-<server>-<what>.http`.
pub(super) struct Captured {
    pub name: String,
    pub bytes: Vec<u8>,
}

pub(super) fn all() -> Vec<Captured> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/parse/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "http"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| Captured { name: p.file_stem().unwrap().to_str().unwrap().to_string(), bytes: std::fs::read(p).unwrap() })
        .collect()
}

impl Captured {
    /// What the file holds, from its name: requests, or responses to the method it names.
    pub fn incoming(&self) -> Incoming {
        if self.name.starts_with("req-") {
            return Incoming::Request;
        }
        let method = self.name.strip_prefix("resp-").and_then(|rest| rest.split('-').next()).unwrap_or_default();
        let bit = method_bit(method.to_ascii_uppercase().as_bytes()).unwrap_or_else(|| panic!("{}: no method in the name", self.name));
        Incoming::Response { request_method: bit }
    }

    /// The messages of the file, in order, and the bytes after the last one that are not
    /// a message.
    pub fn messages(&self) -> (Vec<Message>, &[u8]) {
        let mut at = 0;
        let mut out = Vec::new();
        while let Ok(Some(m)) = parse_message(&self.bytes[at..], self.incoming(), &Limits::default()) {
            at += m.consumed;
            out.push(m);
            if at == self.bytes.len() {
                break;
            }
        }
        (out, &self.bytes[at..])
    }
}

/// One message in a line: `METHOD target version` or `status version`, then the field count,
/// the framing, the body length and the trailer lines dropped.
fn summary(m: &Message) -> String {
    let start = match &m.start {
        StartLine::Request { method, uri, major, minor, .. } => {
            format!("{} {} {major}.{minor}", String::from_utf8_lossy(method), String::from_utf8_lossy(uri))
        }
        StartLine::Status { major, minor, code, .. } => format!("{code} {major}.{minor}"),
    };
    let framing = match m.framing {
        BodyFraming::None => "none",
        BodyFraming::ContentLength(_) => "length",
        BodyFraming::Chunked => "chunked",
        BodyFraming::UntilClose => "close",
    };
    format!("{start} h{} {framing} {} t{}", m.headers.len(), m.body.len(), m.trailers)
}

/// Each file's messages (" + " between them), and the bytes after them that do not parse.
const EXPECTED: &[(&str, &str, usize)] = &[
    ("req-chromium-get", "GET /app/ 1.1 h15 none 0 t0", 0),
    ("req-chromium-post-then-favicon", "POST /comment 1.1 h9 length 33 t0 + GET /favicon.ico 1.1 h5 none 0 t0", 0),
    ("req-curl-delete", "DELETE /item/7 1.1 h3 none 0 t0", 0),
    ("req-curl-expect-continue", "POST /big 1.1 h6 length 300 t0", 0),
    ("req-curl-get", "GET /index.html 1.1 h3 none 0 t0", 0),
    ("req-curl-head", "HEAD /index.html 1.1 h3 none 0 t0", 0),
    ("req-curl-headers", "GET /hdrs 1.1 h7 none 0 t0", 0),
    ("req-curl-http10", "GET /old?x=1 1.0 h3 none 0 t0", 0),
    ("req-curl-options", "OPTIONS * 1.1 h3 none 0 t0", 0),
    ("req-curl-post-chunked", "POST /upload 1.1 h5 chunked 920 t0", 0),
    ("req-curl-post-form", "POST /form 1.1 h5 length 28 t0", 0),
    ("req-curl-proxy-absolute", "GET http://example.test/path?x=1 1.1 h4 none 0 t0", 0),
    ("req-curl-proxy-connect", "CONNECT example.test:443 1.1 h3 none 0 t0", 0),
    ("req-curl-put", "PUT /put/upload.txt 1.1 h4 length 920 t0", 0),
    ("req-evhttp-get", "GET /get?a=1 1.1 h1 none 0 t0", 0),
    ("req-evhttp-post", "POST /submit 1.1 h2 length 10 t0", 0),
    ("req-firefox-get", "GET /index.html?lang=en 1.1 h12 none 0 t0", 0),
    ("req-python-requests-chunked", "POST /stream 1.1 h6 chunked 27 t0", 0),
    ("req-python-requests-get", "GET /api?q=a+b&n=3 1.1 h5 none 0 t0", 0),
    ("req-python-requests-post-json", "POST /api/items 1.1 h7 length 29 t0", 0),
    ("req-python-urllib-get", "GET /urllib 1.1 h4 none 0 t0", 0),
    ("req-python-urllib-post", "POST /urllib 1.1 h6 length 3 t0", 0),
    ("req-wget-get", "GET /file.tar.gz 1.1 h5 none 0 t0", 0),
    ("req-wget-post", "POST /search 1.1 h7 length 14 t0", 0),
    ("resp-connect-proxy-established", "200 1.1 h0 none 0 t0", 0),
    ("resp-get-apache-cgi-chunked", "200 1.1 h5 chunked 48 t0", 0),
    ("resp-get-apache-cgi-http10", "200 1.1 h5 close 48 t0", 0),
    ("resp-get-apache-file", "200 1.1 h8 length 58 t0", 0),
    ("resp-get-apache-listing", "200 1.1 h5 length 245 t0", 0),
    ("resp-get-apache-not-found", "404 1.1 h5 length 236 t0", 0),
    ("resp-get-apache-not-modified", "304 1.1 h6 none 0 t0", 0),
    ("resp-get-apache-redirect", "301 1.1 h6 length 269 t0", 0),
    ("resp-get-chunked-trailer", "200 1.1 h3 chunked 13 t1", 0),
    ("resp-get-evhttp-chunked", "200 1.1 h4 chunked 45 t0", 0),
    ("resp-get-evhttp-hello", "200 1.1 h4 length 18 t0", 0),
    ("resp-get-evhttp-not-found", "404 1.1 h4 length 90 t0", 0),
    ("resp-get-http10-until-close", "200 1.0 h2 close 55 t0", 0),
    ("resp-get-nginx-file", "200 1.1 h8 length 58 t0", 0),
    ("resp-get-nginx-gzip-chunked", "200 1.1 h8 chunked 98 t0", 0),
    ("resp-get-nginx-listing", "200 1.1 h5 chunked 143 t0", 0),
    ("resp-get-nginx-not-found", "404 1.1 h5 length 153 t0", 0),
    ("resp-get-nginx-not-modified", "304 1.1 h5 none 0 t0", 0),
    ("resp-get-nginx-range", "206 1.1 h8 length 20 t0", 0),
    ("resp-get-nginx-redirect", "301 1.1 h6 length 169 t0", 0),
    ("resp-get-python-file", "200 1.0 h5 length 58 t0", 0),
    ("resp-get-python-listing", "200 1.0 h4 length 195 t0", 0),
    ("resp-get-python-not-found", "404 1.0 h5 length 335 t0", 0),
    ("resp-get-python-not-modified", "304 1.0 h2 none 0 t0", 0),
    ("resp-get-python-redirect", "301 1.0 h4 none 0 t0", 0),
    ("resp-head-apache-file", "200 1.1 h8 none 0 t0", 0),
    // Debian's libevent 2.1.12 writes the body after a HEAD answer (evhttp_make_header adds
    // the output buffer whatever the method): 18 bytes that are not a response.
    ("resp-head-evhttp-hello", "200 1.1 h3 none 0 t0", 18),
    ("resp-head-nginx-file", "200 1.1 h8 none 0 t0", 0),
    ("resp-head-python-file", "200 1.0 h5 none 0 t0", 0),
    ("resp-post-evhttp-continue", "100 1.1 h0 none 0 t0 + 200 1.1 h4 length 18 t0", 0),
];

#[test]
fn corpus_files_read_as_expected() {
    let all = all();
    let mut got = Vec::new();
    for c in &all {
        let (messages, rest) = c.messages();
        let line: Vec<String> = messages.iter().map(summary).collect();
        got.push((c.name.clone(), line.join(" + "), rest.len()));
    }
    let want: Vec<(String, String, usize)> = EXPECTED.iter().map(|&(n, s, r)| (n.to_string(), s.to_string(), r)).collect();
    if got != want {
        // The table as the files read now, to compare with EXPECTED (or replace it after a
        // recapture).
        for row in &got {
            println!("    (\"{}\", \"{}\", {}),", row.0, row.1, row.2);
        }
    }
    assert_eq!(got, want);
}
