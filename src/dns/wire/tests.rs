use super::*;

mod corpus;

fn header(id: u16, flags: u16, counts: [u16; 4]) -> Vec<u8> {
    let mut v = Vec::new();
    for x in [id, flags, counts[0], counts[1], counts[2], counts[3]] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v
}

/// `header` followed by `body`.
fn packet(counts: [u16; 4], body: &[u8]) -> Vec<u8> {
    let mut v = header(0xbeef, 0x8180, counts);
    v.extend_from_slice(body);
    v
}

/// A reply to "www.example.com A" as a recursive server sends it: CNAME to example.com
/// (compressed into the question's name), then the A record.
const REPLY_CNAME_A: &[u8] = &[
    0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, //
    3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, //
    0, 1, 0, 1, //
    0xc0, 12, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 2, 0xc0, 16, //
    0xc0, 16, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34,
];

/// "localhost AAAA" answered with ::1, authoritative.
const REPLY_AAAA: &[u8] = &[
    0xab, 0xcd, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0, //
    9, b'l', b'o', b'c', b'a', b'l', b'h', b'o', b's', b't', 0, 0, 28, 0, 1, //
    0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
];

/// "4.3.2.1.in-addr.arpa PTR" answered with "Host.Example.NET" (case kept), an NS in the
/// authority section compressed into the PTR target, and glue A in additional.
const REPLY_PTR: &[u8] = &[
    0x00, 0x07, 0x81, 0x80, 0, 1, 0, 1, 0, 1, 0, 1, //
    1, b'4', 1, b'3', 1, b'2', 1, b'1', 7, b'i', b'n', b'-', b'a', b'd', b'd', b'r', 4, b'a', b'r',
    b'p', b'a', 0, 0, 12, 0, 1, //
    // offset 38: answer
    0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 30, 0, 18, //
    // offset 50: the PTR target
    4, b'H', b'o', b's', b't', 7, b'E', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'N', b'E', b'T', 0,
    // offset 68: authority NS, name "in-addr.arpa" (offset 20) -> "ns.Example.NET"
    0xc0, 20, 0, 2, 0, 1, 0, 0, 1, 0, 0, 5, 2, b'n', b's', 0xc0, 55, //
    // additional: A for ns.Example.NET (the rdata name above, at offset 80)
    0xc0, 80, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 10, 0, 0, 53,
];

/// NXDOMAIN with an SOA in authority (rdata kept as bytes).
const REPLY_NXDOMAIN: &[u8] = &[
    0x55, 0xaa, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0, //
    4, b'n', b'o', b'p', b'e', 4, b't', b'e', b's', b't', 0, 0, 1, 0, 1, //
    0xc0, 17, 0, 6, 0, 1, 0, 0, 0, 5, 0, 24, //
    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
];

fn name(text: &str) -> Name {
    Name::from_text(text.as_bytes()).unwrap()
}

#[test]
fn real_replies_parse() {
    let m = parse_message(REPLY_CNAME_A).unwrap();
    assert_eq!(m.header.id, 0x1234);
    assert!(m.header.qr() && m.header.rd() && m.header.ra() && !m.header.aa() && !m.header.tc());
    assert_eq!((m.header.opcode(), m.header.rcode()), (0, 0));
    assert_eq!(m.questions, vec![Question { name: name("www.example.com"), qtype: TYPE_A, qclass: CLASS_IN }]);
    assert_eq!(m.answers.len(), 2);
    assert_eq!(m.answers[0].name, name("www.example.com"));
    assert_eq!(m.answers[0].ttl, 3600);
    assert_eq!(m.rdata(&m.answers[0]), Ok(Rdata::Name(name("example.com"))));
    assert_eq!(m.answers[1].name, name("example.com"));
    assert_eq!(m.rdata(&m.answers[1]), Ok(Rdata::A(Ipv4Addr::new(93, 184, 216, 34))));

    let m = parse_message(REPLY_AAAA).unwrap();
    assert!(m.header.aa());
    assert_eq!(m.rdata(&m.answers[0]), Ok(Rdata::Aaaa(Ipv6Addr::LOCALHOST)));

    let m = parse_message(REPLY_PTR).unwrap();
    assert_eq!(m.questions[0].name, name("4.3.2.1.in-addr.arpa"));
    assert_eq!(m.rdata(&m.answers[0]), Ok(Rdata::Name(name("Host.Example.NET"))));
    assert_ne!(name("Host.Example.NET"), name("host.example.net"));
    assert!(name("Host.Example.NET").eq_ignore_case(b"host.example.net"));
    assert_eq!(m.authority[0].name, name("in-addr.arpa"));
    assert_eq!(m.rdata(&m.authority[0]), Ok(Rdata::Name(name("ns.Example.NET"))));
    assert_eq!(m.additional[0].name, name("ns.Example.NET"));
    assert_eq!(m.rdata(&m.additional[0]), Ok(Rdata::A(Ipv4Addr::new(10, 0, 0, 53))));

    let m = parse_message(REPLY_NXDOMAIN).unwrap();
    assert_eq!(m.header.rcode(), 3);
    assert_eq!(m.authority[0].name, name("test"));
    assert_eq!(m.authority[0].rtype, 6);
    assert_eq!(m.rdata(&m.authority[0]), Ok(Rdata::Other(&REPLY_NXDOMAIN[REPLY_NXDOMAIN.len() - 24..])));
}

/// CVE-2016-10195 (libevent issue #317): name_parse copied a label whose length byte ran past
/// the end of the packet. Each place a name is read gets the crafted label.
#[test]
fn cve_2016_10195_label_past_end() {
    // In the question: a 63-byte label with two bytes present.
    let q = packet([1, 0, 0, 0], &[0x3f, b'a', b'b']);
    // Counts are checked before any name is read: 3 bytes cannot hold a question.
    assert_eq!(parse_message(&q).unwrap_err(), WireError::CountsExceedPacket);
    // With enough bytes to pass the count check, the label still runs past the end.
    let q = packet([1, 0, 0, 0], &[0x3f, b'a', b'b', b'c', b'd', b'e']);
    assert_eq!(parse_message(&q).unwrap_err(), WireError::Truncated);
    // A length byte as the last byte.
    let q = packet([1, 0, 0, 0], &[1, b'a', 1, b'b', 9]);
    assert_eq!(parse_message(&q).unwrap_err(), WireError::Truncated);
    // Directly on the name reader, every truncation of a valid name fails cleanly.
    let full = [&[0u8; 12][..], &[3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 0]].concat();
    for cut in 12..full.len() {
        assert_eq!(read_name(&full[..cut], 12).unwrap_err(), WireError::Truncated, "cut {cut}");
    }
    assert_eq!(read_name(&full, 12).unwrap(), (name("www.example"), full.len()));
    // In a PTR's rdata: the label runs past RDLENGTH (but not past the packet): it must not be
    // read from the bytes of the next record.
    let mut body = vec![0, 0, 12, 0, 1]; // question: root PTR
    body.extend_from_slice(&[0, 0, 12, 0, 1, 0, 0, 0, 1, 0, 3, 5, b'a', b'b']);
    body.extend_from_slice(&[b'c', b'd', b'e', 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0]);
    let p = packet([1, 1, 0, 0], &body);
    let m = parse_message(&p).unwrap();
    assert_eq!(m.rdata(&m.answers[0]).unwrap_err(), WireError::Truncated);
}

/// Hostile packets, each with the error it must produce.
#[test]
fn hostile_packets_rejected() {
    let long_label = |n: u8| {
        let mut v = vec![n];
        v.extend(std::iter::repeat_n(b'x', usize::from(n)));
        v
    };
    let name_of = |labels: &[Vec<u8>]| {
        let mut v: Vec<u8> = labels.concat();
        v.push(0);
        v
    };
    let q = |name: &[u8]| packet([1, 0, 0, 0], &[name, &[0, 1, 0, 1]].concat());
    let four_63 = name_of(&[long_label(63), long_label(63), long_label(63), long_label(63)]);
    let exactly_255 = name_of(&[long_label(63), long_label(63), long_label(63), long_label(61)]);
    assert_eq!(exactly_255.len(), 255);
    assert_eq!(parse_message(&q(&exactly_255)).unwrap().questions[0].name.as_bytes().len(), 253);

    let cases: Vec<(&str, Vec<u8>, WireError)> = vec![
        ("empty", vec![], WireError::Truncated),
        ("short header", vec![0, 1, 0, 0, 0], WireError::Truncated),
        ("label 64", q(&[&long_label(64)[..], &[0]].concat()), WireError::LabelTooLong),
        ("label type 0x40", q(&[0x41, 0, 0]), WireError::LabelTooLong),
        ("label type 0x80", q(&[0x80, 0, 0]), WireError::LabelTooLong),
        ("pointer to itself", q(&[0xc0, 12]), WireError::PointerNotBackward),
        ("pointer loop via label", q(&[1, b'a', 0xc0, 12]), WireError::PointerNotBackward),
        ("pointer forward", q(&[0xc0, 14, 0, 0, 1]), WireError::PointerNotBackward),
        ("pointer past end", q(&[0xc0, 200]), WireError::PointerOutOfRange),
        ("pointer high bits past end", q(&[0xff, 0xff]), WireError::PointerOutOfRange),
        ("pointer into header", q(&[0xc0, 2]), WireError::PointerOutOfRange),
        ("pointer cut", packet([1, 0, 0, 0], &[1, b'a', 1, b'b', 0xc0]), WireError::Truncated),
        ("name 256 wire bytes", q(&four_63), WireError::NameTooLong),
        ("NUL in label", q(&[3, b'a', 0, b'b', 0]), WireError::BadLabelByte),
        ("dot in label", q(&[3, b'a', b'.', b'b', 0]), WireError::BadLabelByte),
        ("qdcount 65535", packet([0xffff, 0, 0, 0], &[0, 0, 1, 0, 1]), WireError::CountsExceedPacket),
        ("ancount beyond", packet([1, 1, 0, 0], &[0, 0, 1, 0, 1, 0, 0, 1]), WireError::CountsExceedPacket),
        ("arcount 65535", packet([0, 0, 0, 0xffff], &[0; 64]), WireError::CountsExceedPacket),
        ("question fields cut", packet([1, 0, 0, 0], &[1, b'a', 1, b'b', 0, 0, 1]), WireError::Truncated),
        (
            "record fields cut",
            packet([0, 1, 0, 0], &[1, b'a', 1, b'b', 1, b'c', 0, 0, 1, 0, 1, 0]),
            WireError::Truncated,
        ),
        (
            "rdlength past end",
            packet([0, 1, 0, 0], &[0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4]),
            WireError::RdataPastEnd,
        ),
        (
            "rdlength 65535",
            packet([0, 1, 0, 0], &[0, 0, 1, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 1, 2, 3, 4]),
            WireError::RdataPastEnd,
        ),
    ];
    for (what, p, want) in &cases {
        assert_eq!(parse_message(p).map(|_| ()), Err(*want), "{what}");
        fuzz_parse(p);
    }
}

#[test]
fn too_many_pointers() {
    // A root name at 12, then a chain of pointers each to the one before.
    let chain = |n: usize| {
        let mut p = vec![0u8; 12];
        p.push(0);
        let mut prev = 12u16;
        for _ in 0..n {
            let here = p.len() as u16;
            p.extend_from_slice(&(0xc000 | prev).to_be_bytes());
            prev = here;
        }
        (p, usize::from(prev))
    };
    let (p, start) = chain(MAX_POINTERS);
    assert_eq!(read_name(&p, start).unwrap(), (Name::root(), start + 2));
    let (p, start) = chain(MAX_POINTERS + 1);
    assert_eq!(read_name(&p, start).unwrap_err(), WireError::TooManyPointers);
    // A name that grows past 255 bytes through pointers is caught too.
    let mut p = vec![0u8; 12];
    p.push(63);
    p.extend(std::iter::repeat_n(b'x', 63));
    p.push(0);
    let mut prev = 12u16;
    for _ in 0..4 {
        let here = p.len() as u16;
        p.push(63);
        p.extend(std::iter::repeat_n(b'y', 63));
        p.extend_from_slice(&(0xc000 | prev).to_be_bytes());
        prev = here;
    }
    assert_eq!(read_name(&p, usize::from(prev)).unwrap_err(), WireError::NameTooLong);
}

#[test]
fn typed_rdata_checked() {
    let rr = |rtype: u16, rdata: &[u8]| {
        let mut body = vec![0, 0, 1, 0, 1, 0];
        body.extend_from_slice(&rtype.to_be_bytes());
        body.extend_from_slice(&[0, 1, 0, 0, 0, 9]);
        body.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        body.extend_from_slice(rdata);
        packet([1, 1, 0, 0], &body)
    };
    let check = |p: Vec<u8>| {
        let m = parse_message(&p).unwrap();
        let r = m.rdata(&m.answers[0]).map(|_| ());
        r
    };
    assert_eq!(check(rr(TYPE_A, &[1, 2, 3])), Err(WireError::RdataLength));
    assert_eq!(check(rr(TYPE_A, &[1, 2, 3, 4, 5])), Err(WireError::RdataLength));
    assert_eq!(check(rr(TYPE_AAAA, &[0; 4])), Err(WireError::RdataLength));
    // A name shorter than its RDATA, and one with junk after it.
    assert_eq!(check(rr(TYPE_PTR, &[1, b'a', 0, 0])), Err(WireError::RdataLength));
    assert_eq!(check(rr(TYPE_CNAME, &[])), Err(WireError::Truncated));
    assert_eq!(check(rr(TYPE_NS, &[1, b'a', 0])), Ok(()));
    // A pointer from rdata back into the question is fine; to itself is not.
    assert_eq!(check(rr(TYPE_NS, &[0xc0, 12])), Ok(()));
    assert_eq!(check(rr(TYPE_NS, &[0xc0, 29])), Err(WireError::PointerNotBackward));
    // A record of another message gives an error, not a panic.
    let small = rr(TYPE_A, &[1, 2, 3, 4]);
    let big = parse_message(REPLY_PTR).unwrap();
    let m = parse_message(&small).unwrap();
    let _ = m.rdata(&big.authority[0]);
}

#[test]
fn text_names_checked() {
    assert_eq!(Name::from_text(b"").unwrap(), Name::root());
    assert_eq!(Name::from_text(b".").unwrap(), Name::root());
    assert_eq!(name("a.b.").as_bytes(), b"a.b");
    assert_eq!(name("back\\slash.x").as_bytes(), b"back\\slash.x");
    assert_eq!(Name::from_text(b"a..b").unwrap_err(), WireError::EmptyLabel);
    assert_eq!(Name::from_text(b".a").unwrap_err(), WireError::EmptyLabel);
    // check_name applies the same rules without copying.
    for t in [&b""[..], b".", b"a.b.", b"a..b", b".a", &[b'x'; 64], &[b'x'; 254], b"a\0b"] {
        assert_eq!(check_name(t), Name::from_text(t).map(drop), "{t:?}");
    }
    assert_eq!(Name::from_text(b"a.b..").unwrap_err(), WireError::EmptyLabel);
    assert_eq!(Name::from_text(b"..").unwrap_err(), WireError::EmptyLabel);
    assert_eq!(Name::from_text(&[b'x'; 64]).unwrap_err(), WireError::LabelTooLong);
    assert!(Name::from_text(&[b'x'; 63]).is_ok());
    assert_eq!(Name::from_text(b"a\0b").unwrap_err(), WireError::BadLabelByte);
    let mut t = [b'x'; MAX_NAME_TEXT_LEN + 1];
    for i in (63..t.len()).step_by(64) {
        t[i] = b'.';
    }
    assert_eq!(Name::from_text(&t).unwrap_err(), WireError::NameTooLong);
    assert_eq!(Name::from_text(&t[..MAX_NAME_TEXT_LEN]).unwrap().as_bytes().len(), 253);
    assert_eq!(build_query(1, b"a..b", TYPE_A, CLASS_IN, true).unwrap_err(), WireError::EmptyLabel);
    assert_eq!(WireError::EmptyLabel.to_string(), "empty label in name");
}

#[test]
fn query_round_trip() {
    let q = build_query(0x4242, b"WwW.ExAmple.COM.", TYPE_AAAA, CLASS_IN, true).unwrap();
    assert_eq!(q.len(), 12 + 17 + 4);
    let m = parse_message(&q).unwrap();
    assert_eq!(m.header, Header { id: 0x4242, flags: FLAG_RD, qdcount: 1, ancount: 0, nscount: 0, arcount: 0 });
    assert!(!m.header.qr());
    assert_eq!(m.questions[0], Question { name: name("WwW.ExAmple.COM"), qtype: TYPE_AAAA, qclass: CLASS_IN });
    let root = build_query(1, b"", 2, CLASS_IN, false).unwrap();
    assert_eq!(&root[12..], &[0, 0, 2, 0, 1]);
    assert_eq!(Header::parse(&root).unwrap().flags, 0);
    // The longest name fits a UDP query.
    let mut t = vec![b'x'; MAX_NAME_TEXT_LEN];
    for i in (63..t.len()).step_by(64) {
        t[i] = b'.';
    }
    assert_eq!(build_query(1, &t, TYPE_A, CLASS_IN, true).unwrap().len(), 12 + 255 + 4);
}

/// The server's parse: questions checked like parse_message's, the records after them unread.
#[test]
fn parse_query_reads_questions_only() {
    let q = build_query(7, b"a.example", TYPE_A, CLASS_IN, true).unwrap();
    let parsed = parse_query(&q).unwrap();
    assert_eq!(parsed.header, parse_message(&q).unwrap().header);
    assert_eq!(parsed.questions, vec![Question { name: name("a.example"), qtype: TYPE_A, qclass: CLASS_IN }]);
    // An EDNS OPT record (root name, type 41, payload size as class) in additional.
    let mut edns = q.clone();
    edns[11] = 1;
    edns.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(parse_query(&edns).unwrap().questions, parsed.questions);
    assert_eq!(parse_message(&edns).unwrap().additional[0].rtype, 41);
    // Counts promising records that are not there, or garbage after the questions: the
    // questions are still read (parse_message refuses the whole message).
    let mut garbage = q.clone();
    garbage[7] = 200;
    garbage.extend_from_slice(&[0xc0, 0xff, 0x3f]);
    assert_eq!(parse_message(&garbage).unwrap_err(), WireError::CountsExceedPacket);
    assert_eq!(parse_query(&garbage).unwrap().questions, parsed.questions);
    // The question section itself is checked as everywhere.
    let cases: Vec<(Vec<u8>, WireError)> = vec![
        (vec![0; 11], WireError::Truncated),
        (packet([3, 0, 0, 0], &[0, 0, 1, 0, 1]), WireError::CountsExceedPacket),
        (packet([1, 0, 0, 0], &[0xc0, 12, 0, 1, 0]), WireError::PointerNotBackward),
        (packet([1, 0, 0, 0], &[1, b'a', 1, b'b', 0, 0, 1]), WireError::Truncated),
        (packet([1, 0, 0, 0], &[0x3f, b'a', b'b', b'c', b'd', b'e']), WireError::Truncated),
    ];
    for (p, want) in &cases {
        assert_eq!(parse_query(p).map(|_| ()), Err(*want), "{p:?}");
    }
}

fn rec<'a>(name: &'a [u8], rtype: u16, data: RdataOut<'a>) -> RecordOut<'a> {
    RecordOut { name, rtype, class: CLASS_IN, ttl: 300, data }
}

#[test]
fn reply_round_trip_with_compression() {
    let qs = [QuestionOut { name: b"www.Example.com", qtype: TYPE_A, qclass: CLASS_IN }];
    let answers = [
        rec(b"www.example.com", TYPE_CNAME, RdataOut::Name(b"web.example.COM")),
        rec(b"web.example.com", TYPE_A, RdataOut::Bytes(&[192, 0, 2, 1])),
    ];
    let authority = [rec(b"example.com", TYPE_NS, RdataOut::Name(b"ns1.example.com"))];
    let additional = [rec(b"ns1.example.com", TYPE_AAAA, RdataOut::Bytes(&[0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]))];
    let flags = FLAG_QR | FLAG_RD | FLAG_AA | 3;
    let r = build_reply(7, flags, &qs, Sections { answers: &answers, authority: &authority, additional: &additional }, UDP_MAX)
        .unwrap();
    assert!(!r.truncated);
    let m = parse_message(&r.bytes).unwrap();
    assert_eq!(m.header, Header { id: 7, flags, qdcount: 1, ancount: 2, nscount: 1, arcount: 1 });
    assert_eq!(m.header.rcode(), 3);
    assert_eq!(m.questions[0].name, name("www.Example.com"));
    // Compression matches suffixes case included, so every name reads back as written.
    assert_eq!(m.answers[0].name, name("www.example.com"));
    assert_eq!(m.rdata(&m.answers[0]), Ok(Rdata::Name(name("web.example.COM"))));
    assert_eq!(m.answers[1].name, name("web.example.com"));
    assert_eq!(m.rdata(&m.answers[1]), Ok(Rdata::A(Ipv4Addr::new(192, 0, 2, 1))));
    assert_eq!(m.authority[0].name, name("example.com"));
    assert_eq!(m.rdata(&m.authority[0]), Ok(Rdata::Name(name("ns1.example.com"))));
    assert_eq!(m.additional[0].name, name("ns1.example.com"));
    assert!(matches!(m.rdata(&m.additional[0]), Ok(Rdata::Aaaa(a)) if a.segments()[0] == 0x2001));
    // Repeated suffixes became pointers: 12 + 21 question; CNAME "www.example" + ptr to the
    // question's "com", 10, "web.example.COM" in full (no suffix spelled so); A "web" + ptr,
    // 10, 4; NS ptr, 10, "ns1" + ptr; AAAA ptr, 10, 16.
    assert_eq!(r.bytes.len(), 12 + 21 + (14 + 10 + 17) + (6 + 10 + 4) + (2 + 10 + 6) + (2 + 10 + 16));
}

#[test]
fn reply_errors() {
    let qs = [QuestionOut { name: b"a.b", qtype: TYPE_A, qclass: CLASS_IN }];
    let bad = [rec(b"a..b", TYPE_A, RdataOut::Bytes(&[1, 2, 3, 4]))];
    let none = Sections::default();
    assert_eq!(build_reply(1, FLAG_QR, &qs, Sections { answers: &bad, ..none }, UDP_MAX).unwrap_err(), WireError::EmptyLabel);
    let bad = [rec(b"a.b", TYPE_PTR, RdataOut::Name(&[b'x'; 64]))];
    assert_eq!(build_reply(1, FLAG_QR, &qs, Sections { answers: &bad, ..none }, UDP_MAX).unwrap_err(), WireError::LabelTooLong);
    // The questions must fit.
    assert_eq!(build_reply(1, FLAG_QR, &qs, none, 11).unwrap_err(), WireError::NoRoom);
    assert_eq!(build_reply(1, FLAG_QR, &qs, none, 20).unwrap_err(), WireError::NoRoom);
    assert_eq!(build_reply(1, FLAG_QR, &qs, none, 21).unwrap().bytes.len(), 21);
    assert_eq!(build_reply(1, FLAG_QR, &[], none, 12).unwrap().bytes, header(1, FLAG_QR, [0; 4]));
}

/// Builds a reply filled with PTR/CNAME/NS answers whose names compress badly (distinct
/// labels), plus an authority and an additional record.
fn big_records(names: &[Vec<u8>]) -> Vec<RecordOut<'_>> {
    let types = [TYPE_PTR, TYPE_CNAME, TYPE_NS];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| rec(n, types[i % 3], RdataOut::Name(&names[(i + 1) % names.len()])))
        .collect()
}

fn distinct_names(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("label-{i:05}-{}.zone{}.example", "p".repeat(30 + i % 20), i % 7).into_bytes()).collect()
}

/// Checks a built reply: within the limit, well-formed, counts exact, TC as reported, every
/// record the one that was asked for in order.
fn check_reply(r: &Reply, limit: usize, sections: Sections<'_>) {
    assert!(r.bytes.len() <= limit, "{} > {limit}", r.bytes.len());
    let m = parse_message(&r.bytes).unwrap();
    assert_eq!(m.header.tc(), r.truncated);
    let wanted = sections.answers.iter().chain(sections.authority).chain(sections.additional);
    let got: Vec<_> = m.answers.iter().chain(&m.authority).chain(&m.additional).collect();
    let total = sections.answers.len() + sections.authority.len() + sections.additional.len();
    assert_eq!(got.len() < total, r.truncated);
    for (g, w) in got.iter().zip(wanted) {
        assert_eq!(g.name.as_bytes(), w.name);
        assert_eq!(g.rtype, w.rtype);
        match (m.rdata(g).unwrap(), w.data) {
            (Rdata::Name(n), RdataOut::Name(t)) => assert_eq!(n.as_bytes(), t),
            (Rdata::A(a), RdataOut::Bytes(b)) => assert_eq!(&a.octets()[..], b),
            (g, w) => panic!("{g:?} for {w:?}"),
        }
    }
}

/// CVE-2026-63387 (fixed in 2.1.13): the server's name encoding wrote one byte past its buffer
/// when PTR/CNAME/NS answers filled a reply of about 64 KiB. Here every write goes through the
/// limited writer: fill replies to every limit near 64 KiB and check size, TC and content.
#[test]
fn cve_2026_63387_full_64k_reply() {
    let names = distinct_names(1200);
    let answers = big_records(&names);
    let authority = [rec(b"zone1.example", TYPE_NS, RdataOut::Name(b"ns.zone1.example"))];
    let additional = [rec(b"ns.zone1.example", TYPE_A, RdataOut::Bytes(&[10, 0, 0, 1]))];
    let qs = [QuestionOut { name: &names[0], qtype: TYPE_PTR, qclass: CLASS_IN }];
    let sections = Sections { answers: &answers, authority: &authority, additional: &additional };
    let flags = FLAG_QR | FLAG_AA;
    // More than fits: truncated at the last whole record, for each limit from 64 KiB - 1 KiB up.
    for limit in (TCP_MAX - 1024)..=TCP_MAX + 1 {
        let r = build_reply(1, flags, &qs, sections, limit).unwrap();
        assert!(r.truncated);
        assert!(r.bytes.len() > TCP_MAX - 1024 - 200);
        check_reply(&r, limit.min(TCP_MAX), sections);
    }
    // Exactly fitting: the answers that fit 64 KiB, then built at their size and one byte less.
    let fitting = parse_message(&build_reply(1, flags, &qs, sections, TCP_MAX).unwrap().bytes).unwrap().answers.len();
    assert!(fitting > 500 && fitting < answers.len(), "{fitting}");
    let fit = &answers[..fitting];
    let s = Sections { answers: fit, ..Sections::default() };
    let r = build_reply(1, flags, &qs, s, TCP_MAX).unwrap();
    assert!(!r.truncated && r.bytes.len() > TCP_MAX - 200);
    check_reply(&r, TCP_MAX, s);
    let exact = build_reply(1, flags, &qs, s, r.bytes.len()).unwrap();
    assert_eq!(exact, r);
    let less = build_reply(1, flags, &qs, s, r.bytes.len() - 1).unwrap();
    assert!(less.truncated);
    check_reply(&less, r.bytes.len() - 1, s);
    assert_eq!(parse_message(&less.bytes).unwrap().answers.len(), fitting - 1);
}

#[test]
fn udp_reply_truncates_with_tc() {
    let addrs: Vec<[u8; 4]> = (0..100u8).map(|i| [10, 0, 0, i]).collect();
    let answers: Vec<RecordOut<'_>> = addrs.iter().map(|a| rec(b"many.example", TYPE_A, RdataOut::Bytes(a))).collect();
    let qs = [QuestionOut { name: b"many.example", qtype: TYPE_A, qclass: CLASS_IN }];
    let s = Sections { answers: &answers, ..Sections::default() };
    let r = build_reply(9, FLAG_QR | FLAG_RD, &qs, s, UDP_MAX).unwrap();
    assert!(r.truncated);
    check_reply(&r, UDP_MAX, s);
    // 12 + 18 question, then 16 bytes per compressed A record.
    assert_eq!(parse_message(&r.bytes).unwrap().answers.len(), (UDP_MAX - 30) / 16);
    assert_eq!(Header::parse(&r.bytes).unwrap().flags, FLAG_QR | FLAG_RD | FLAG_TC);
}

/// Suffixes written past offset 0x3fff cannot be pointed to; names repeated there are written
/// in full and still read back right.
#[test]
fn no_pointers_past_14_bits() {
    let filler = vec![0u8; 0x4000];
    let answers = [
        rec(b"pad.example", 99, RdataOut::Bytes(&filler)),
        rec(b"late.name.test", TYPE_PTR, RdataOut::Name(b"other.name.test")),
        rec(b"late.name.test", TYPE_CNAME, RdataOut::Name(b"x.other.name.test")),
    ];
    let s = Sections { answers: &answers, ..Sections::default() };
    let r = build_reply(1, FLAG_QR, &[], s, TCP_MAX).unwrap();
    let m = parse_message(&r.bytes).unwrap();
    assert_eq!(m.answers[2].name, name("late.name.test"));
    assert_eq!(m.rdata(&m.answers[2]), Ok(Rdata::Name(name("x.other.name.test"))));
    // The repeat was not compressed: its owner name is 16 bytes in wire form.
    assert_eq!(r.bytes.len(), 12 + (13 + 10 + 0x4000) + 2 * (16 + 10) + 17 + 19);
}

fn corpus() -> Vec<Vec<u8>> {
    let mut c: Vec<Vec<u8>> = [REPLY_CNAME_A, REPLY_AAAA, REPLY_PTR, REPLY_NXDOMAIN].iter().map(|p| p.to_vec()).collect();
    c.push(build_query(3, b"www.example.org", TYPE_A, CLASS_IN, true).unwrap());
    // Queries as servers get them: two questions sharing a suffix, and one with an EDNS OPT
    // record in additional.
    let mut two = header(5, FLAG_RD, [2, 0, 0, 0]);
    two.extend_from_slice(&[1, b'a', 4, b't', b'e', b's', b't', 0, 0, 1, 0, 1, 1, b'b', 0xc0, 14, 0, 28, 0, 1]);
    c.push(two);
    let mut edns = build_query(6, b"edns.example", TYPE_AAAA, CLASS_IN, true).unwrap();
    edns[11] = 1;
    edns.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    c.push(edns);
    let names = distinct_names(12);
    let answers = big_records(&names);
    let qs = [QuestionOut { name: &names[0], qtype: TYPE_PTR, qclass: CLASS_IN }];
    c.push(build_reply(4, FLAG_QR, &qs, Sections { answers: &answers, ..Sections::default() }, UDP_MAX).unwrap().bytes);
    // The real replies (corpus.rs), and each again with QR cleared: the server's query path
    // drops replies at once, and as queries they carry every record shape and compression
    // style of real servers past the question section it parses.
    for reply in corpus::real_replies() {
        let mut as_query = reply.bytes.clone();
        as_query[2] &= !((FLAG_QR >> 8) as u8);
        c.push(reply.bytes);
        c.push(as_query);
    }
    c
}

use crate::util::fuzz::Rng;

/// One random edit biased towards what breaks DNS parsers: pointer bytes, length bytes, counts.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len());
        match rng.below(8) {
            0 => v.truncate(at),
            1 if !v.is_empty() => v[at] = rng.next_u64() as u8,
            2 if !v.is_empty() => v[at] = 0xc0 | (rng.next_u64() as u8 & 0x3f),
            3 if !v.is_empty() => v[at] = (rng.next_u64() % 70) as u8,
            4 => v.insert(at, rng.next_u64() as u8),
            5 if at < v.len() => {
                v.remove(at);
            }
            6 if v.len() > 12 => v[4 + rng.below(8)] = rng.next_u64() as u8,
            _ => {
                let from = rng.below(v.len());
                let piece: Vec<u8> = v[from..(from + 8).min(v.len())].to_vec();
                v.splice(at..at, piece);
            }
        }
    }
    v
}

/// Each input through both fuzz entries: the message parser and the server's query path.
fn fuzz_one(p: &[u8]) {
    fuzz_parse(p);
    crate::dns::server::fuzz_query(p);
}

fn fuzz_run(seed: u64, iterations: u64) {
    let corpus = corpus();
    for p in &corpus {
        parse_message(p).unwrap();
    }
    crate::util::fuzz::run(&corpus, seed, iterations, mutate, fuzz_one);
}

#[test]
fn dns_fuzz_bounded() {
    fuzz_run(0x5eed, 20_000);
}

/// The long run: `DNS_FUZZ_ITERATIONS=10000000 DNS_FUZZ_SEED=7 cargo test --release dns_fuzz_long -- --ignored`.
#[test]
#[ignore]
fn dns_fuzz_long() {
    let (seed, iterations) = crate::util::fuzz::long_run_settings("DNS", 1_000_000);
    fuzz_run(seed, iterations);
}

#[test]
fn soa_minimum_read_through_compressed_names() {
    // The SOA that upstream's regress server puts in its authority section, owner and names
    // compressed against the question.
    let soa_fields: [u8; 20] = [0x77, 0xde, 0x5e, 0xba, 0, 0, 0x1c, 0x20, 0, 0, 0x0e, 0x10, 0, 0x12, 0x75, 0, 0, 0, 0x0e, 0x10];
    let mut rdata = b"\x04dns1\xc0\x12".to_vec();
    rdata.extend_from_slice(b"\x0ahostmaster\xc0\x12");
    rdata.extend_from_slice(&soa_fields);
    let mut body = b"\x05hostn\x07example\x03com\x00\x00\x01\x00\x01".to_vec();
    body.extend_from_slice(b"\xc0\x12\x00\x06\x00\x01\x00\x00\x00\x2a");
    body.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    body.extend_from_slice(&rdata);
    let p = packet([1, 0, 1, 0], &body);
    let m = parse_message(&p).unwrap();
    assert_eq!(m.authority[0].ttl, 42);
    assert_eq!(m.soa_minimum(&m.authority[0]), Ok(3600));
    // Short fields after the names, or a non-SOA record, are errors.
    let mut bad = p.clone();
    let len_at = p.len() - rdata.len() - 2;
    bad[len_at + 1] -= 1;
    bad.pop();
    let m = parse_message(&bad).unwrap();
    assert_eq!(m.soa_minimum(&m.authority[0]), Err(WireError::RdataLength));
}

