//! Real messages (src/http/parse/corpus/): every file parses to its end.

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

    /// Every message of the file, in order; the file must end where the last one does.
    pub fn messages(&self) -> Vec<Message> {
        let mut at = 0;
        let mut out = Vec::new();
        while at < self.bytes.len() {
            let m = parse_message(&self.bytes[at..], self.incoming(), &Limits::default())
                .unwrap_or_else(|e| panic!("{} at byte {at}: {e}", self.name))
                .unwrap_or_else(|| panic!("{} at byte {at}: incomplete", self.name));
            at += m.consumed;
            out.push(m);
        }
        out
    }
}

#[test]
fn every_corpus_file_parses_to_its_end() {
    let all = all();
    assert!(!all.is_empty());
    for c in &all {
        assert!(!c.messages().is_empty(), "{}", c.name);
    }
}
