//! Real replies (src/dns/wire/corpus/, captured by c-tests/dns-corpus/capture.sh from NSD,
//! Unbound, dnsmasq and dns-example's server on Debian's libevent and on ours): every file
//! parses, its header and sections are the ones the server sent, and each query got the
//! records the test zone holds, decoded through `Message::rdata` and `read_name`.

use super::super::*;
use std::collections::BTreeSet;
use std::path::Path;

/// The servers, as the file names start.
const SERVERS: [&str; 5] = ["nsd", "unbound", "dnsmasq", "debian-libevent", "libevent-rs"];
const TYPE_MX: u16 = 15;
const TYPE_TXT: u16 = 16;
const TYPE_SRV: u16 = 33;
const TYPE_OPT: u16 = 41;

/// One captured reply: `<server>-<query>.bin`.
pub(super) struct Captured {
    pub server: &'static str,
    pub query: String,
    pub bytes: Vec<u8>,
}

/// Every .bin file of the corpus directory, sorted by name. Read at run time, so a recapture
/// needs no code change beyond the expectations below.
pub(super) fn real_replies() -> Vec<Captured> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/dns/wire/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap();
            let server = SERVERS
                .into_iter()
                .find(|s| stem.strip_prefix(s).is_some_and(|rest| rest.starts_with('-')))
                .unwrap_or_else(|| panic!("{stem}: not from a known server"));
            Captured { server, query: stem[server.len() + 1..].to_string(), bytes: std::fs::read(path).unwrap() }
        })
        .collect()
}

/// Header flags, question count, and the record types of answer | authority | additional
/// ("A*40" for forty A records, "-" for an empty section), for every file: what the servers
/// sent, checked against the zone capture.sh serves. A missing or extra file fails the test.
const EXPECTED: &[(&str, u16, u16, &str)] = &[
    ("debian-libevent-a-edns", 0x8100, 1, "A | - | -"),
    ("debian-libevent-a", 0x8100, 1, "A | - | -"),
    ("debian-libevent-mixed-case", 0x8100, 1, "A | - | -"),
    ("debian-libevent-ptr", 0x8100, 1, "PTR | - | -"),
    ("debian-libevent-two-questions", 0x8100, 2, "A A | - | -"),
    ("debian-libevent-unanswered-mx", 0x8100, 1, "- | - | -"),
    ("dnsmasq-a-edns", 0x8580, 1, "A | - | OPT"),
    ("dnsmasq-a", 0x8580, 1, "A | - | -"),
    ("dnsmasq-aaaa", 0x8580, 1, "AAAA | - | -"),
    ("dnsmasq-big-edns", 0x8780, 1, "TXT*5 | - | OPT"),
    ("dnsmasq-big-tcp", 0x8580, 1, "TXT*30 | - | -"),
    ("dnsmasq-big-udp", 0x8780, 1, "TXT TXT | - | -"),
    ("dnsmasq-cname-chain-edns", 0x8580, 1, "CNAME CNAME A | - | OPT"),
    ("dnsmasq-cname-chain", 0x8580, 1, "CNAME CNAME A | - | -"),
    ("dnsmasq-many-edns", 0x8580, 1, "A*40 | - | OPT"),
    ("dnsmasq-many-tcp", 0x8580, 1, "A*40 | - | -"),
    ("dnsmasq-many-udp", 0x8780, 1, "A*29 | - | -"),
    ("dnsmasq-mixed-case-cname", 0x8580, 1, "CNAME CNAME A | - | -"),
    ("dnsmasq-mixed-case", 0x8580, 1, "A | - | -"),
    ("dnsmasq-mx", 0x8580, 1, "MX MX | - | A A"),
    ("dnsmasq-nodata", 0x8180, 1, "- | - | -"),
    ("dnsmasq-ns", 0x8180, 1, "- | - | -"),
    ("dnsmasq-nxdomain-edns", 0x8183, 1, "- | - | OPT"),
    ("dnsmasq-nxdomain", 0x8183, 1, "- | - | -"),
    ("dnsmasq-ptr", 0x8580, 1, "PTR | - | -"),
    ("dnsmasq-soa", 0x8180, 1, "- | - | -"),
    ("dnsmasq-srv", 0x8580, 1, "SRV | - | A AAAA"),
    ("dnsmasq-txt", 0x8580, 1, "TXT | - | -"),
    ("dnsmasq-wildcard", 0x8580, 1, "A | - | -"),
    ("libevent-rs-a-edns", 0x8100, 1, "A | - | -"),
    ("libevent-rs-a", 0x8100, 1, "A | - | -"),
    ("libevent-rs-mixed-case", 0x8100, 1, "A | - | -"),
    ("libevent-rs-ptr", 0x8100, 1, "PTR | - | -"),
    ("libevent-rs-two-questions", 0x8100, 2, "A A | - | -"),
    ("libevent-rs-unanswered-mx", 0x8100, 1, "- | - | -"),
    ("nsd-a-edns", 0x8500, 1, "A | NS NS | A A OPT"),
    ("nsd-a", 0x8500, 1, "A | NS NS | A A"),
    ("nsd-aaaa", 0x8500, 1, "AAAA | NS NS | A A"),
    ("nsd-big-edns", 0x8700, 1, "- | - | OPT"),
    ("nsd-big-tcp", 0x8500, 1, "TXT*30 | NS NS | A A"),
    ("nsd-big-udp", 0x8700, 1, "- | - | -"),
    ("nsd-cname-chain-edns", 0x8500, 1, "CNAME CNAME A | NS NS | A A OPT"),
    ("nsd-cname-chain", 0x8500, 1, "CNAME CNAME A | NS NS | A A"),
    ("nsd-many-edns", 0x8500, 1, "A*40 | NS NS | A A OPT"),
    ("nsd-many-tcp", 0x8500, 1, "A*40 | NS NS | A A"),
    ("nsd-many-udp", 0x8700, 1, "- | - | -"),
    ("nsd-mixed-case-cname", 0x8500, 1, "CNAME CNAME A | NS NS | A A"),
    ("nsd-mixed-case", 0x8500, 1, "A | NS NS | A A"),
    ("nsd-mx", 0x8500, 1, "MX MX | NS NS | A*4"),
    ("nsd-nodata", 0x8500, 1, "- | SOA | -"),
    ("nsd-ns", 0x8500, 1, "NS NS | - | A A"),
    ("nsd-nxdomain-edns", 0x8503, 1, "- | SOA | OPT"),
    ("nsd-nxdomain", 0x8503, 1, "- | SOA | -"),
    ("nsd-ptr", 0x8500, 1, "PTR | NS | -"),
    ("nsd-referral", 0x8100, 1, "- | NS | A"),
    ("nsd-soa", 0x8500, 1, "SOA | NS NS | A A"),
    ("nsd-srv", 0x8500, 1, "SRV | NS NS | A*3 AAAA"),
    ("nsd-txt", 0x8500, 1, "TXT | NS NS | A A"),
    ("nsd-wildcard", 0x8500, 1, "A | NS NS | A A"),
    ("unbound-a-edns", 0x8180, 1, "A | - | OPT"),
    ("unbound-a", 0x8180, 1, "A | - | -"),
    ("unbound-aaaa", 0x8180, 1, "AAAA | - | -"),
    ("unbound-big-edns", 0x8380, 1, "- | - | OPT"),
    ("unbound-big-tcp", 0x8180, 1, "TXT*30 | - | -"),
    ("unbound-big-udp", 0x8380, 1, "- | - | -"),
    ("unbound-cname-chain-edns", 0x8180, 1, "CNAME CNAME A | - | OPT"),
    ("unbound-cname-chain", 0x8180, 1, "CNAME CNAME A | - | -"),
    ("unbound-many-edns", 0x8180, 1, "A*40 | - | OPT"),
    ("unbound-many-tcp", 0x8180, 1, "A*40 | - | -"),
    ("unbound-many-udp", 0x8380, 1, "- | - | -"),
    ("unbound-mixed-case-cname", 0x8180, 1, "CNAME CNAME A | - | -"),
    ("unbound-mixed-case", 0x8180, 1, "A | - | -"),
    ("unbound-mx", 0x8180, 1, "MX MX | - | -"),
    ("unbound-nodata", 0x8180, 1, "- | SOA | -"),
    ("unbound-ns", 0x8180, 1, "NS NS | - | A A"),
    ("unbound-nxdomain-edns", 0x8183, 1, "- | SOA | OPT"),
    ("unbound-nxdomain", 0x8183, 1, "- | SOA | -"),
    ("unbound-ptr", 0x8180, 1, "PTR | - | -"),
    ("unbound-soa", 0x8180, 1, "SOA | - | -"),
    ("unbound-srv", 0x8180, 1, "SRV | - | -"),
    ("unbound-txt", 0x8180, 1, "TXT | - | -"),
    ("unbound-wildcard", 0x8180, 1, "A | - | -"),
];

/// What capture.py asked each server of the test zone: query, names, type, EDNS payload
/// size (0: no OPT record), over TCP.
const ZONE_QUERIES: &[(&str, &str, u16, u16, bool)] = &[
    ("a", "www.corpus.test", TYPE_A, 0, false),
    ("a-edns", "www.corpus.test", TYPE_A, 1232, false),
    ("aaaa", "www.corpus.test", TYPE_AAAA, 0, false),
    ("cname-chain", "alias.corpus.test", TYPE_A, 0, false),
    ("cname-chain-edns", "alias.corpus.test", TYPE_A, 1232, false),
    ("ptr", "1.2.0.192.in-addr.arpa", TYPE_PTR, 0, false),
    ("mx", "mx.corpus.test", TYPE_MX, 0, false),
    ("txt", "txt.corpus.test", TYPE_TXT, 0, false),
    ("ns", "corpus.test", TYPE_NS, 0, false),
    ("soa", "corpus.test", TYPE_SOA, 0, false),
    ("srv", "_sip._tcp.corpus.test", TYPE_SRV, 0, false),
    ("nxdomain", "nope.corpus.test", TYPE_A, 0, false),
    ("nxdomain-edns", "nope.corpus.test", TYPE_A, 1232, false),
    ("nodata", "www.corpus.test", TYPE_MX, 0, false),
    ("many-udp", "many.corpus.test", TYPE_A, 0, false),
    ("many-edns", "many.corpus.test", TYPE_A, 4096, false),
    ("many-tcp", "many.corpus.test", TYPE_A, 0, true),
    ("big-udp", "big.corpus.test", TYPE_TXT, 0, false),
    ("big-edns", "big.corpus.test", TYPE_TXT, 1232, false),
    ("big-tcp", "big.corpus.test", TYPE_TXT, 0, true),
    ("mixed-case", "wWw.CoRpUs.tEsT", TYPE_A, 0, false),
    ("mixed-case-cname", "AlIaS.cOrPuS.TeSt", TYPE_A, 0, false),
    ("wildcard", "anything.wild.corpus.test", TYPE_A, 0, false),
    ("referral", "host.sub.corpus.test", TYPE_A, 0, false),
];

/// The same for dns-example's server (two names: one query with two questions).
const LIBEVENT_QUERIES: &[(&str, &str, u16, u16, bool)] = &[
    ("a", "www.example.com", TYPE_A, 0, false),
    ("a-edns", "www.example.com", TYPE_A, 1232, false),
    ("ptr", "1.2.0.192.in-addr.arpa", TYPE_PTR, 0, false),
    ("mixed-case", "wWw.ExAmPlE.cOm", TYPE_A, 0, false),
    ("unanswered-mx", "www.example.com", TYPE_MX, 0, false),
    ("two-questions", "a.example.com b.example.com", TYPE_A, 0, false),
];

const SOA_TEXT: &str = "SOA ns1.corpus.test hostmaster.corpus.test 2026120101 7200 3600 1209600 300";

/// Every record the zone servers were given, as `render` writes them but all in lowercase
/// (compression may give names the question's 0x20 case), and the wildcard's answer as
/// synthesised for the name asked.
fn zone_records() -> BTreeSet<String> {
    let mut z: BTreeSet<String> = [
        format!("corpus.test {SOA_TEXT}"),
        format!("2.0.192.in-addr.arpa {SOA_TEXT}"),
        "corpus.test NS ns1.corpus.test".into(),
        "corpus.test NS ns2.corpus.test".into(),
        "ns1.corpus.test A 127.0.0.1".into(),
        "ns2.corpus.test A 127.0.0.2".into(),
        "www.corpus.test A 192.0.2.1".into(),
        "www.corpus.test AAAA 2001:db8::1".into(),
        "alias.corpus.test CNAME alias2.corpus.test".into(),
        "alias2.corpus.test CNAME www.corpus.test".into(),
        "mx.corpus.test MX 10 mail1.corpus.test".into(),
        "mx.corpus.test MX 20 mail2.corpus.test".into(),
        "mail1.corpus.test A 192.0.2.10".into(),
        "mail2.corpus.test A 192.0.2.11".into(),
        "txt.corpus.test TXT \"hello world\" \"second string\"".into(),
        "_sip._tcp.corpus.test SRV 10 60 5060 www.corpus.test".into(),
        "anything.wild.corpus.test A 192.0.2.99".into(),
        "sub.corpus.test NS ns.sub.corpus.test".into(),
        "ns.sub.corpus.test A 127.0.0.3".into(),
        "2.0.192.in-addr.arpa NS ns1.corpus.test".into(),
        "1.2.0.192.in-addr.arpa PTR www.corpus.test".into(),
    ]
    .into_iter()
    .collect();
    z.extend((1..=40).map(|i| format!("many.corpus.test A 198.51.100.{i}")));
    z.extend((1..=30).map(|i| format!("big.corpus.test TXT \"{i}{}\"", "x".repeat(200))));
    z.into_iter().map(|r| r.to_ascii_lowercase()).collect()
}

fn type_name(t: u16) -> String {
    match t {
        TYPE_A => "A".into(),
        TYPE_NS => "NS".into(),
        TYPE_CNAME => "CNAME".into(),
        TYPE_SOA => "SOA".into(),
        TYPE_PTR => "PTR".into(),
        TYPE_MX => "MX".into(),
        TYPE_TXT => "TXT".into(),
        TYPE_AAAA => "AAAA".into(),
        TYPE_SRV => "SRV".into(),
        TYPE_OPT => "OPT".into(),
        t => format!("TYPE{t}"),
    }
}

/// The types of one section, runs of more than two collapsed to "TYPE*n", "-" if empty.
fn section_types(records: &[Record<'_>]) -> String {
    let mut runs: Vec<(u16, usize)> = Vec::new();
    for rr in records {
        match runs.last_mut() {
            Some((t, n)) if *t == rr.rtype => *n += 1,
            _ => runs.push((rr.rtype, 1)),
        }
    }
    if runs.is_empty() {
        return "-".into();
    }
    let words: Vec<String> = runs
        .iter()
        .flat_map(|&(t, n)| if n > 2 { vec![format!("{}*{n}", type_name(t))] } else { vec![type_name(t); n] })
        .collect();
    words.join(" ")
}

fn layout(m: &Message<'_>) -> String {
    format!("{} | {} | {}", section_types(&m.answers), section_types(&m.authority), section_types(&m.additional))
}

/// A name inside a record's RDATA at `offset` bytes in, read against the packet up to the
/// end of that RDATA (as `Message::rdata` reads PTR targets); returns it and the offset after.
fn rdata_name(m: &Message<'_>, rr: &Record<'_>, offset: usize) -> (String, usize) {
    let end = rr.rdata_offset + rr.rdata.len();
    let (name, after) = read_name(&m.packet[..end], rr.rdata_offset + offset).unwrap();
    (String::from_utf8(name.as_bytes().to_vec()).unwrap(), after - rr.rdata_offset)
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// "owner TYPE data" with the data decoded: through `Message::rdata` for the types evdns
/// knows, by hand (names through `read_name`) for SOA, MX, SRV and TXT. Every RDATA must be
/// consumed exactly.
fn render(m: &Message<'_>, rr: &Record<'_>) -> String {
    let owner = String::from_utf8(rr.name.as_bytes().to_vec()).unwrap();
    let d = rr.rdata;
    let data = match (rr.rtype, m.rdata(rr).unwrap()) {
        (_, Rdata::A(a)) => a.to_string(),
        (_, Rdata::Aaaa(a)) => a.to_string(),
        (_, Rdata::Name(n)) => String::from_utf8(n.as_bytes().to_vec()).unwrap(),
        (TYPE_SOA, _) => {
            let (mname, at) = rdata_name(m, rr, 0);
            let (rname, at) = rdata_name(m, rr, at);
            assert_eq!(d.len(), at + 20);
            assert_eq!(m.soa_minimum(rr), Ok(be32(d, at + 16)));
            let fields: Vec<String> = (0..5).map(|i| be32(d, at + 4 * i).to_string()).collect();
            format!("{mname} {rname} {}", fields.join(" "))
        }
        (TYPE_MX, _) => {
            let (exchange, at) = rdata_name(m, rr, 2);
            assert_eq!(at, d.len());
            format!("{} {exchange}", be16(d, 0))
        }
        (TYPE_SRV, _) => {
            let (target, at) = rdata_name(m, rr, 6);
            assert_eq!(at, d.len());
            format!("{} {} {} {target}", be16(d, 0), be16(d, 2), be16(d, 4))
        }
        (TYPE_TXT, _) => {
            let mut strings = Vec::new();
            let mut at = 0;
            while at < d.len() {
                let len = usize::from(d[at]);
                strings.push(format!("\"{}\"", String::from_utf8(d[at + 1..at + 1 + len].to_vec()).unwrap()));
                at += 1 + len;
            }
            assert_eq!(at, d.len());
            strings.join(" ")
        }
        (TYPE_OPT, _) => format!("payload {}", rr.class),
        (t, _) => panic!("unexpected type {t}"),
    };
    format!("{owner} {} {data}", type_name(rr.rtype))
}

fn rendered(m: &Message<'_>, records: &[Record<'_>]) -> Vec<String> {
    records.iter().map(|rr| render(m, rr)).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Follows the answer's CNAMEs from `name` (comparing names as DNS does, ignoring case) to
/// the A record at the end: the address and the number of CNAMEs passed.
fn resolve_chain(m: &Message<'_>, name: &str) -> (Ipv4Addr, usize) {
    let mut name = Name::from_text(name.as_bytes()).unwrap();
    for hops in 0..=m.answers.len() {
        let rr = m.answers.iter().find(|rr| rr.name.eq_ignore_case(name.as_bytes())).expect("chain broken");
        match m.rdata(rr).unwrap() {
            Rdata::A(a) => return (a, hops),
            Rdata::Name(target) if rr.rtype == TYPE_CNAME => name = target,
            other => panic!("{other:?} in a CNAME chain"),
        }
    }
    panic!("CNAME loop");
}

/// The addresses of the A answers, which must all be distinct.
fn a_set(m: &Message<'_>) -> BTreeSet<Ipv4Addr> {
    let set: BTreeSet<Ipv4Addr> = m
        .answers
        .iter()
        .map(|rr| match m.rdata(rr) {
            Ok(Rdata::A(a)) => a,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(set.len(), m.answers.len());
    set
}

#[test]
fn corpus_layouts_as_captured() {
    let replies = real_replies();
    let files: Vec<String> = replies.iter().map(|c| format!("{}-{}", c.server, c.query)).collect();
    let expected: Vec<String> = EXPECTED.iter().map(|e| e.0.to_string()).collect();
    assert_eq!(sorted(files), sorted(expected), "corpus files and EXPECTED differ");
    for c in &replies {
        let file = format!("{}-{}", c.server, c.query);
        let &(_, flags, qdcount, want) = EXPECTED.iter().find(|e| e.0 == file).unwrap();
        let m = parse_message(&c.bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!((m.header.flags, m.header.qdcount, layout(&m).as_str()), (flags, qdcount, want), "{file}");
        // Every byte is accounted for: no server pads.
        let last = m.answers.iter().chain(&m.authority).chain(&m.additional).last();
        let end = last.map_or(c.bytes.len(), |rr| rr.rdata_offset + rr.rdata.len());
        assert_eq!(end, c.bytes.len(), "{file}");
    }
}

/// Checks of one reply that hold for every server: the question echoed exactly as asked (case
/// included: 0x20), OPT present exactly when the zone servers were asked with one (2.1's server
/// never adds one), the size within the transport's limit, every record decodable and, for the
/// zone servers, every record one the zone holds.
fn check_common(c: &Captured, m: &Message<'_>, zone: &BTreeSet<String>) -> (&'static str, u16, u16, bool) {
    let file = format!("{}-{}", c.server, c.query);
    let libevent = matches!(c.server, "debian-libevent" | "libevent-rs");
    let table = if libevent { LIBEVENT_QUERIES } else { ZONE_QUERIES };
    let &(_, names, qtype, edns, tcp) = table.iter().find(|q| q.0 == c.query).unwrap_or_else(|| panic!("{file}: unknown query"));
    assert!(m.header.qr() && m.header.rd() && m.header.opcode() == 0, "{file}");
    let asked: Vec<Question> = names
        .split(' ')
        .map(|n| Question { name: Name::from_text(n.as_bytes()).unwrap(), qtype, qclass: CLASS_IN })
        .collect();
    assert_eq!(m.questions, asked, "{file}");
    let opts: Vec<&Record<'_>> = m.additional.iter().filter(|rr| rr.rtype == TYPE_OPT).collect();
    if edns != 0 && !libevent {
        assert_eq!(opts.len(), 1, "{file}");
        assert!(std::ptr::eq(opts[0], m.additional.last().unwrap()), "{file}: OPT not last");
        assert_eq!(opts[0].name, Name::root(), "{file}");
        assert!(opts[0].class >= 512, "{file}: payload {}", opts[0].class);
    } else {
        assert!(opts.is_empty(), "{file}");
    }
    let limit = if tcp { TCP_MAX } else { usize::from(edns).max(UDP_MAX) };
    assert!(c.bytes.len() <= limit, "{file}: {} bytes", c.bytes.len());
    for rr in m.answers.iter().chain(&m.authority).chain(&m.additional) {
        let text = render(m, rr);
        if !libevent && rr.rtype != TYPE_OPT {
            assert!(zone.contains(&text.to_ascii_lowercase()), "{file}: {text} is not in the zone");
        }
    }
    (names, qtype, edns, tcp)
}

#[test]
fn corpus_answers_match_the_zone() {
    let zone = zone_records();
    let soa = format!("corpus.test {SOA_TEXT}");
    for c in real_replies().iter().filter(|c| !matches!(c.server, "debian-libevent" | "libevent-rs")) {
        let file = format!("{}-{}", c.server, c.query);
        let m = parse_message(&c.bytes).unwrap();
        let (name, _, _, tcp) = check_common(c, &m, &zone);
        let answers = rendered(&m, &m.answers);
        let authority = rendered(&m, &m.authority);
        // dnsmasq serves local data only: no SOA and no NS for the zone, so its negative
        // answers carry no authority and NS/SOA questions are answered empty.
        let has_soa = c.server != "dnsmasq";
        let negative = if has_soa { vec![soa.clone()] } else { vec![] };
        // NSD answers authoritatively but for the referral; dnsmasq only when it has records
        // for the name (its local data); Unbound is a recursive resolver (RA, never AA).
        let aa = match c.server {
            "nsd" => c.query != "referral",
            "dnsmasq" => !m.answers.is_empty(),
            _ => false,
        };
        assert_eq!(m.header.aa(), aa, "{file}");
        assert_eq!(m.header.ra(), c.server != "nsd", "{file}");
        let want_rcode = if c.query.starts_with("nxdomain") { 3 } else { 0 };
        assert_eq!(m.header.rcode(), want_rcode, "{file}");
        match c.query.as_str() {
            "a" | "a-edns" | "mixed-case" => {
                // The answer's owner is a pointer to the question: it reads back in its case.
                assert_eq!(answers, [format!("{name} A 192.0.2.1")], "{file}");
            }
            "aaaa" => assert_eq!(answers, ["www.corpus.test AAAA 2001:db8::1"], "{file}"),
            "cname-chain" | "cname-chain-edns" | "mixed-case-cname" => {
                assert_eq!(resolve_chain(&m, name), (Ipv4Addr::new(192, 0, 2, 1), 2), "{file}");
                assert_eq!(m.answers[0].name.as_bytes(), name.as_bytes(), "{file}");
                if c.query == "mixed-case-cname" {
                    // NSD and Unbound compress names against the question ignoring case, so the
                    // CNAME target takes the question's mixed case; dnsmasq writes it in full.
                    let target = if c.server == "dnsmasq" { "alias2.corpus.test" } else { "alias2.cOrPuS.TeSt" };
                    assert_eq!(answers[0], format!("{name} CNAME {target}"), "{file}");
                }
            }
            "ptr" => assert_eq!(answers, ["1.2.0.192.in-addr.arpa PTR www.corpus.test"], "{file}"),
            "mx" => assert_eq!(
                sorted(answers),
                ["mx.corpus.test MX 10 mail1.corpus.test", "mx.corpus.test MX 20 mail2.corpus.test"],
                "{file}"
            ),
            "txt" => assert_eq!(answers, ["txt.corpus.test TXT \"hello world\" \"second string\""], "{file}"),
            "ns" if has_soa => {
                assert_eq!(sorted(answers), ["corpus.test NS ns1.corpus.test", "corpus.test NS ns2.corpus.test"], "{file}");
                let glue = sorted(rendered(&m, &m.additional));
                assert_eq!(glue, ["ns1.corpus.test A 127.0.0.1", "ns2.corpus.test A 127.0.0.2"], "{file}");
            }
            "soa" if has_soa => assert_eq!(answers, std::slice::from_ref(&soa), "{file}"),
            "ns" | "soa" | "nodata" | "nxdomain" | "nxdomain-edns" => {
                assert!(answers.is_empty(), "{file}");
                assert_eq!(authority, negative, "{file}");
                if has_soa {
                    assert_eq!(m.soa_minimum(&m.authority[0]), Ok(300), "{file}");
                }
            }
            "srv" => assert_eq!(answers, ["_sip._tcp.corpus.test SRV 10 60 5060 www.corpus.test"], "{file}"),
            "many-udp" | "many-edns" | "many-tcp" | "big-udp" | "big-edns" | "big-tcp" => {
                // Over UDP without room: TC. NSD and Unbound then send the question alone;
                // dnsmasq sends the whole records that fit. With room (TCP, or 4096 bytes of
                // EDNS for the A records) every record is there.
                let full = tcp || c.query == "many-edns";
                assert_eq!(m.header.tc(), !full, "{file}");
                assert_eq!(m.answers.is_empty(), !full && c.server != "dnsmasq", "{file}");
                if c.query.starts_with("many") {
                    let all: BTreeSet<Ipv4Addr> = (1..=40).map(|i| Ipv4Addr::new(198, 51, 100, i)).collect();
                    let got = a_set(&m);
                    assert!(got.is_subset(&all), "{file}");
                    assert_eq!(got.len() == 40, full, "{file}");
                } else {
                    let distinct: BTreeSet<&String> = answers.iter().collect();
                    assert_eq!(distinct.len(), answers.len(), "{file}");
                    assert_eq!(answers.len() == 30, full, "{file}");
                }
                if tcp {
                    assert!(c.bytes.len() > UDP_MAX, "{file}");
                }
            }
            "wildcard" => assert_eq!(answers, ["anything.wild.corpus.test A 192.0.2.99"], "{file}"),
            "referral" => {
                assert!(answers.is_empty(), "{file}");
                assert_eq!(authority, ["sub.corpus.test NS ns.sub.corpus.test"], "{file}");
                assert_eq!(rendered(&m, &m.additional), ["ns.sub.corpus.test A 127.0.0.3"], "{file}");
            }
            other => panic!("{file}: no expectation for {other}"),
        }
        if !c.query.starts_with("many") && !c.query.starts_with("big") {
            assert!(!m.header.tc(), "{file}");
        }
    }
}

/// dns-example's server (upstream's sample): every A question answered 192.168.11.11, every
/// PTR foo.bar.example.com, TTL 10, others skipped; not authoritative, no recursion offered.
/// Ours sends the same bytes as Debian's libevent for every query.
#[test]
fn corpus_libevent_server_replies() {
    let zone = zone_records();
    let replies = real_replies();
    let ours: Vec<&Captured> = replies.iter().filter(|c| c.server == "libevent-rs").collect();
    let debian: Vec<&Captured> = replies.iter().filter(|c| c.server == "debian-libevent").collect();
    assert_eq!(ours.len(), LIBEVENT_QUERIES.len());
    assert_eq!(debian.len(), LIBEVENT_QUERIES.len());
    for c in ours.iter().chain(&debian) {
        let file = format!("{}-{}", c.server, c.query);
        let m = parse_message(&c.bytes).unwrap();
        let (names, _, _, _) = check_common(c, &m, &zone);
        assert!(!m.header.aa() && !m.header.ra() && !m.header.tc() && m.header.rcode() == 0, "{file}");
        assert!(m.authority.is_empty() && m.additional.is_empty(), "{file}");
        assert!(m.answers.iter().all(|rr| rr.ttl == 10), "{file}");
        let want: Vec<String> = match c.query.as_str() {
            "ptr" => vec!["1.2.0.192.in-addr.arpa PTR foo.bar.example.com".into()],
            "unanswered-mx" => vec![],
            _ => names.split(' ').map(|n| format!("{n} A 192.168.11.11")).collect(),
        };
        assert_eq!(rendered(&m, &m.answers), want, "{file}");
    }
    for (o, d) in ours.iter().zip(&debian) {
        assert_eq!(o.query, d.query);
        assert_eq!(o.bytes, d.bytes, "{}: our server's reply differs from Debian's libevent's", o.query);
    }
}
