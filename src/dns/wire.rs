//! The DNS message format (RFC 1035 section 4) as plain functions over byte slices.
//!
//! Parsing: [`parse_message`] reads a whole message (header, questions, the three record
//! sections); every read is bounds-checked and every malformed input is a [`WireError`], never a
//! panic or a read outside the slice. Record data stays a slice of the packet; typed access
//! (A, AAAA, and the name of PTR/CNAME/NS, decompressed) is [`Message::rdata`].
//!
//! Building: [`build_query`] and [`build_reply`] write into a `Vec` through one checked writer
//! that refuses to grow past the caller's limit, so no write can land outside the buffer (the
//! class of bug behind CVE-2026-63387). A reply that does not fit is cut at the last whole
//! record and flagged TC.
//!
//! Names are returned as dotted text in a [`Name`]: labels joined by '.', no trailing dot, the
//! root name is empty, case preserved exactly as on the wire (the resolver compares the echoed
//! question against its 0x20-randomised query, so case must survive). Label bytes are not
//! escaped: a label containing '.' or NUL is rejected ([`WireError::BadLabelByte`]) because '.'
//! would make the text ambiguous (two labels or one?) and NUL would cut the C string the server
//! hands to its callback; every other byte, '\\' included, is kept as is. No escape syntax is
//! interpreted in either direction, so '\\' is not special and text round-trips exactly. When
//! building, text names are split on '.', one trailing dot is allowed, empty labels elsewhere
//! are rejected, and "" or "." is the root.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Size of the fixed message header.
pub const HEADER_LEN: usize = 12;
/// Longest label (RFC 1035 2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest name in wire form, length bytes and the root label included (RFC 1035 2.3.4).
pub const MAX_NAME_WIRE_LEN: usize = 255;
/// Longest name as text without a trailing dot: the wire form minus the first length byte and
/// the root label.
pub const MAX_NAME_TEXT_LEN: usize = MAX_NAME_WIRE_LEN - 2;
/// Compression pointers followed while reading one name. Each pointer must already go strictly
/// backwards (so loops are impossible); this bound caps the work a hostile packet can cause
/// per name. Real compressors use one pointer per name; a 255-byte name has at most 127 labels.
pub const MAX_POINTERS: usize = 32;
/// Classic UDP payload limit (RFC 1035 4.2.1), the default reply size.
pub const UDP_MAX: usize = 512;
/// The largest message the 16-bit TCP length prefix can carry.
pub const TCP_MAX: usize = 65535;
/// Compression pointers hold a 14-bit offset: suffixes written at or past this are not reusable.
const MAX_POINTER_TARGET: usize = 0x3fff;
/// Bound on remembered suffixes per message: lookup is a linear scan, and a 64 KiB reply of
/// distinct names would otherwise make building quadratic. Later names just compress less.
const MAX_SUFFIXES: usize = 128;
/// Smallest encodings: a question is a root name plus type and class; a record adds TTL and
/// RDLENGTH. Used to reject counts the packet cannot possibly hold before allocating.
const MIN_QUESTION_LEN: usize = 1 + 4;
const MIN_RECORD_LEN: usize = 1 + 10;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_AAAA: u16 = 28;
pub const CLASS_IN: u16 = 1;

/// Header flag bits (the 16-bit word after the id).
pub const FLAG_QR: u16 = 0x8000;
pub const FLAG_AA: u16 = 0x0400;
pub const FLAG_TC: u16 = 0x0200;
pub const FLAG_RD: u16 = 0x0100;
pub const FLAG_RA: u16 = 0x0080;
/// Checking disabled (RFC 4035): a query flag the server keeps in its reply, with RD.
pub const FLAG_CD: u16 = 0x0010;
const OPCODE_SHIFT: u16 = 11;
const RCODE_MASK: u16 = 0x000f;

/// Why a message could not be parsed or built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// A read ran past the end of the packet: the header, a label (CVE-2016-10195), a pointer's
    /// second byte, or a record's fixed fields.
    Truncated,
    /// A length byte of 64..=191: a label over 63 bytes, or one of the extended label types
    /// (0x40/0x80) that 2.1 never accepted either. On building: a text label over 63 bytes.
    LabelTooLong,
    /// A compression pointer to an offset past the end of the packet or into the header.
    PointerOutOfRange,
    /// A compression pointer that does not point strictly before the labels it continues:
    /// forward pointers, pointers to themselves and every loop.
    PointerNotBackward,
    /// More than [`MAX_POINTERS`] pointers in one name.
    TooManyPointers,
    /// A name over 255 bytes in wire form (253 as text).
    NameTooLong,
    /// A label containing '.' or NUL (see the module doc for why these are rejected).
    BadLabelByte,
    /// A text name with an empty label ("a..b", ".a"): only the root may be empty.
    EmptyLabel,
    /// The header promises more questions or records than the packet's size can hold.
    CountsExceedPacket,
    /// A record's RDLENGTH runs past the end of the packet.
    RdataPastEnd,
    /// Typed record data of the wrong size: A not 4 bytes, AAAA not 16, a PTR/CNAME/NS name
    /// that does not fill its RDATA exactly.
    RdataLength,
    /// The message does not fit the size limit given to the builder, even without records.
    NoRoom,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            WireError::Truncated => "read past the end of the message",
            WireError::LabelTooLong => "label longer than 63 bytes or reserved label type",
            WireError::PointerOutOfRange => "compression pointer outside the message",
            WireError::PointerNotBackward => "compression pointer not pointing backwards",
            WireError::TooManyPointers => "too many compression pointers in one name",
            WireError::NameTooLong => "name longer than 255 bytes",
            WireError::BadLabelByte => "label contains '.' or NUL",
            WireError::EmptyLabel => "empty label in name",
            WireError::CountsExceedPacket => "section counts exceed the message size",
            WireError::RdataPastEnd => "record data runs past the end of the message",
            WireError::RdataLength => "record data has the wrong length for its type",
            WireError::NoRoom => "message does not fit the size limit",
        };
        f.write_str(s)
    }
}

impl std::error::Error for WireError {}

/// A domain name as dotted text (see the module doc), stored inline: parsing a message
/// allocates nothing per name.
#[derive(Clone)]
pub struct Name {
    len: u8,
    buf: [u8; MAX_NAME_TEXT_LEN],
}

impl Name {
    /// The root name (empty text).
    pub const fn root() -> Name {
        Name { len: 0, buf: [0; MAX_NAME_TEXT_LEN] }
    }

    /// A name from text, checked by the same rules the builder applies (labels of 1..=63
    /// bytes without NUL, one optional trailing dot, at most 253 bytes).
    pub fn from_text(text: &[u8]) -> Result<Name, WireError> {
        let text = check_text_name(text)?;
        let mut name = Name::root();
        name.buf[..text.len()].copy_from_slice(text);
        name.len = text.len() as u8;
        Ok(name)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// DNS comparison: ASCII case-insensitive (RFC 4343).
    pub fn eq_ignore_case(&self, other: &[u8]) -> bool {
        self.as_bytes().eq_ignore_ascii_case(other)
    }

    /// Appends one wire label, checking each byte as it is copied (a plain loop: labels are
    /// short, and a copy call per label cost more than the bytes); the caller has checked the
    /// total length.
    fn push_label(&mut self, label: &[u8]) -> Result<(), WireError> {
        let mut at = usize::from(self.len);
        if at != 0 {
            self.buf[at] = b'.';
            at += 1;
        }
        for (slot, &b) in self.buf[at..at + label.len()].iter_mut().zip(label) {
            if b == b'.' || b == 0 {
                return Err(WireError::BadLabelByte);
            }
            *slot = b;
        }
        self.len = (at + label.len()) as u8;
        Ok(())
    }
}

impl PartialEq for Name {
    /// Exact (case-sensitive) equality, as needed to check 0x20 randomisation; use
    /// [`Name::eq_ignore_case`] for DNS name equality.
    fn eq(&self, other: &Name) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// The fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    /// Reads the header only: what the resolver needs first (id, TC) before parsing the rest.
    pub fn parse(packet: &[u8]) -> Result<Header, WireError> {
        let mut r = Reader { packet, pos: 0 };
        Ok(Header {
            id: r.u16()?,
            flags: r.u16()?,
            qdcount: r.u16()?,
            ancount: r.u16()?,
            nscount: r.u16()?,
            arcount: r.u16()?,
        })
    }

    pub fn qr(&self) -> bool {
        self.flags & FLAG_QR != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags >> OPCODE_SHIFT) & 0xf) as u8
    }
    pub fn aa(&self) -> bool {
        self.flags & FLAG_AA != 0
    }
    pub fn tc(&self) -> bool {
        self.flags & FLAG_TC != 0
    }
    pub fn rd(&self) -> bool {
        self.flags & FLAG_RD != 0
    }
    pub fn ra(&self) -> bool {
        self.flags & FLAG_RA != 0
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & RCODE_MASK) as u8
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: u16,
    pub qclass: u16,
}

/// One resource record; `rdata` borrows the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub name: Name,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: &'a [u8],
    /// Where `rdata` starts in the packet: names inside it may point anywhere before.
    rdata_offset: usize,
}

/// Record data by type, for the types evdns understands.
// The Name variant is large because names are stored inline; boxing it would put an
// allocation on every typed read, and an Rdata is a short-lived return value.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata<'a> {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// The target of a PTR, CNAME or NS record (see the record's type for which).
    Name(Name),
    /// Any other type, left as bytes.
    Other(&'a [u8]),
}

/// A parsed message.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    packet: &'a [u8],
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record<'a>>,
    pub authority: Vec<Record<'a>>,
    pub additional: Vec<Record<'a>>,
}

impl<'a> Message<'a> {
    /// Typed data of one of this message's records (another message's record gives an
    /// error or meaningless data, never a panic). Names are decompressed against the whole
    /// packet but must end exactly where the record's RDATA ends.
    pub fn rdata(&self, rr: &Record<'a>) -> Result<Rdata<'a>, WireError> {
        match rr.rtype {
            TYPE_A => <[u8; 4]>::try_from(rr.rdata)
                .map(|b| Rdata::A(Ipv4Addr::from(b)))
                .map_err(|_| WireError::RdataLength),
            TYPE_AAAA => <[u8; 16]>::try_from(rr.rdata)
                .map(|b| Rdata::Aaaa(Ipv6Addr::from(b)))
                .map_err(|_| WireError::RdataLength),
            TYPE_PTR | TYPE_CNAME | TYPE_NS => {
                // Reading within the record's own bytes keeps a name from spilling past
                // RDLENGTH into the next record; pointers still resolve against the packet.
                let end = rr.rdata_offset + rr.rdata.len();
                let packet = self.packet.get(..end).ok_or(WireError::RdataPastEnd)?;
                let (name, name_end) = read_name(packet, rr.rdata_offset)?;
                if name_end != end {
                    return Err(WireError::RdataLength);
                }
                Ok(Rdata::Name(name))
            }
            _ => Ok(Rdata::Other(rr.rdata)),
        }
    }
}

impl<'a> Message<'a> {
    /// The MINIMUM field of an SOA record (its last 32 bits, after two possibly compressed
    /// names): the negative-caching TTL (RFC 2308). The names must lie inside the RDATA and be
    /// followed by exactly the five 32-bit fields.
    pub fn soa_minimum(&self, rr: &Record<'a>) -> Result<u32, WireError> {
        if rr.rtype != TYPE_SOA {
            return Err(WireError::RdataLength);
        }
        let end = rr.rdata_offset + rr.rdata.len();
        let packet = self.packet.get(..end).ok_or(WireError::RdataPastEnd)?;
        let (_, after_mname) = read_name(packet, rr.rdata_offset)?;
        let (_, after_rname) = read_name(packet, after_mname)?;
        if end.checked_sub(after_rname) != Some(20) {
            return Err(WireError::RdataLength);
        }
        let b = &packet[end - 4..end];
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Bounds-checked cursor over a packet.
struct Reader<'a> {
    packet: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let bytes = self.packet.get(self.pos..self.pos + n).ok_or(WireError::Truncated)?;
        self.pos += n;
        Ok(bytes)
    }
    fn u16(&mut self) -> Result<u16, WireError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn name(&mut self) -> Result<Name, WireError> {
        let (name, end) = read_name(self.packet, self.pos)?;
        self.pos = end;
        Ok(name)
    }
}

/// Reads a possibly compressed name starting at `start`. Returns the name and the offset just
/// past its in-place part (after the terminating zero or the first pointer).
///
/// Termination: every pointer must target an offset strictly below the start of the run of
/// labels it continues, so the runs move strictly backwards and no loop can exist; real
/// compressors only ever point at suffixes written earlier, which satisfies this.
pub fn read_name(packet: &[u8], start: usize) -> Result<(Name, usize), WireError> {
    let mut name = Name::root();
    let mut pos = start;
    let mut run_start = start;
    let mut resume: Option<usize> = None;
    let mut pointers = 0;
    // Wire length so far, counting the root label that must still come.
    let mut wire_len = 1;
    loop {
        let len = *packet.get(pos).ok_or(WireError::Truncated)?;
        match len {
            0 => {
                pos += 1;
                break;
            }
            1..=0x3f => {
                let len = usize::from(len);
                let label = packet.get(pos + 1..pos + 1 + len).ok_or(WireError::Truncated)?;
                wire_len += 1 + len;
                if wire_len > MAX_NAME_WIRE_LEN {
                    return Err(WireError::NameTooLong);
                }
                name.push_label(label)?;
                pos += 1 + len;
            }
            0x40..=0xbf => return Err(WireError::LabelTooLong),
            0xc0..=0xff => {
                let low = *packet.get(pos + 1).ok_or(WireError::Truncated)?;
                let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                resume.get_or_insert(pos + 2);
                if target >= packet.len() || target < HEADER_LEN {
                    return Err(WireError::PointerOutOfRange);
                }
                if target >= run_start {
                    return Err(WireError::PointerNotBackward);
                }
                pointers += 1;
                if pointers > MAX_POINTERS {
                    return Err(WireError::TooManyPointers);
                }
                run_start = target;
                pos = target;
            }
        }
    }
    Ok((name, resume.unwrap_or(pos)))
}

/// Parses a whole message: a query (for the server) or a reply (for the resolver). Bytes after
/// the last record are ignored, as upstream does (some servers pad).
pub fn parse_message(packet: &[u8]) -> Result<Message<'_>, WireError> {
    let header = Header::parse(packet)?;
    let records = usize::from(header.ancount) + usize::from(header.nscount) + usize::from(header.arcount);
    let least = usize::from(header.qdcount) * MIN_QUESTION_LEN + records * MIN_RECORD_LEN;
    if least > packet.len() - HEADER_LEN {
        return Err(WireError::CountsExceedPacket);
    }
    let mut r = Reader { packet, pos: HEADER_LEN };
    let questions = read_questions(&mut r, header.qdcount)?;
    let answers = read_records(&mut r, header.ancount)?;
    let authority = read_records(&mut r, header.nscount)?;
    let additional = read_records(&mut r, header.arcount)?;
    Ok(Message { packet, header, questions, answers, authority, additional })
}

/// What a server reads of a query: the header and the question section.
#[derive(Debug, Clone)]
pub struct Query {
    pub header: Header,
    pub questions: Vec<Question>,
}

/// Parses a query as a server needs it: the header and the questions, with the same checks as
/// [`parse_message`]. The records after the questions (an EDNS OPT record, or anything) are
/// not read, as upstream's server ignores them: a query whose later sections are malformed is
/// still answered, as 2.1 answers it, and a server does no work for bytes it never uses.
pub fn parse_query(packet: &[u8]) -> Result<Query, WireError> {
    let mut questions = Vec::new();
    let header = parse_query_into(packet, &mut questions)?;
    Ok(Query { header, questions })
}

/// [`parse_query`] with the questions put in `questions` (emptied first): a server parses
/// every query into the same Vec and allocates nothing for them.
pub fn parse_query_into(packet: &[u8], questions: &mut Vec<Question>) -> Result<Header, WireError> {
    let header = Header::parse(packet)?;
    if usize::from(header.qdcount) * MIN_QUESTION_LEN > packet.len() - HEADER_LEN {
        return Err(WireError::CountsExceedPacket);
    }
    let mut r = Reader { packet, pos: HEADER_LEN };
    read_questions_into(&mut r, header.qdcount, questions)?;
    Ok(header)
}

fn read_questions(r: &mut Reader<'_>, count: u16) -> Result<Vec<Question>, WireError> {
    let mut out = Vec::new();
    read_questions_into(r, count, &mut out)?;
    Ok(out)
}

fn read_questions_into(r: &mut Reader<'_>, count: u16, out: &mut Vec<Question>) -> Result<(), WireError> {
    out.clear();
    out.reserve(usize::from(count));
    for _ in 0..count {
        out.push(Question { name: r.name()?, qtype: r.u16()?, qclass: r.u16()? });
    }
    Ok(())
}

fn read_records<'a>(r: &mut Reader<'a>, count: u16) -> Result<Vec<Record<'a>>, WireError> {
    let mut out = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let name = r.name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        let ttl = r.u32()?;
        let rdlen = usize::from(r.u16()?);
        let rdata_offset = r.pos;
        let rdata = r.take(rdlen).map_err(|_| WireError::RdataPastEnd)?;
        out.push(Record { name, rtype, class, ttl, rdata, rdata_offset });
    }
    Ok(out)
}

/// Checks a text name by the rules the builder applies, without copying it (the server checks
/// each name when it is added, so that building the reply cannot fail on it later).
pub fn check_name(text: &[u8]) -> Result<(), WireError> {
    check_text_name(text).map(drop)
}

/// Checks a text name and returns it without its trailing dot.
fn check_text_name(text: &[u8]) -> Result<&[u8], WireError> {
    let text = strip_text_name(text)?;
    let mut rest = text;
    while !rest.is_empty() {
        rest = next_label(rest)?.1;
    }
    Ok(text)
}

/// A text name without its trailing dot, if it is short enough; its labels are checked one
/// by one with [`next_label`] as they are used.
fn strip_text_name(text: &[u8]) -> Result<&[u8], WireError> {
    let text = text.strip_suffix(b".").unwrap_or(text);
    if text.len() > MAX_NAME_TEXT_LEN {
        return Err(WireError::NameTooLong);
    }
    Ok(text)
}

/// The first label of `rest` (a non-empty name's text after [`strip_text_name`]) and the
/// text after its dot, once the label is checked: empty, then too long, then a NUL; a dot
/// with nothing after it ends in an empty label.
fn next_label(rest: &[u8]) -> Result<(&[u8], &[u8]), WireError> {
    let (label, after) = match rest.iter().position(|&b| b == b'.') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    if label.is_empty() {
        return Err(WireError::EmptyLabel);
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(WireError::LabelTooLong);
    }
    if label.contains(&0) {
        return Err(WireError::BadLabelByte);
    }
    match after {
        Some([]) => Err(WireError::EmptyLabel),
        Some(after) => Ok((label, after)),
        None => Ok((label, &[])),
    }
}

/// Suffixes a writer remembers without allocating: a typical reply's names have fewer.
const SUFFIXES_INLINE: usize = 16;

/// The name suffixes a writer has written (text without trailing dot) and their offsets: the
/// first few in place, the rest (big replies only) in a Vec, at most MAX_SUFFIXES in all.
struct Suffixes<'n> {
    inline: [(&'n [u8], u16); SUFFIXES_INLINE],
    len: usize,
    more: Vec<(&'n [u8], u16)>,
}

impl<'n> Suffixes<'n> {
    fn new() -> Suffixes<'n> {
        Suffixes { inline: [(&[], 0); SUFFIXES_INLINE], len: 0, more: Vec::new() }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, suffix: &'n [u8], at: u16) {
        if self.len < SUFFIXES_INLINE {
            self.inline[self.len] = (suffix, at);
        } else {
            self.more.push((suffix, at));
        }
        self.len += 1;
    }

    /// Forgets every suffix from the `len`th on.
    fn truncate(&mut self, len: usize) {
        self.more.truncate(len.saturating_sub(SUFFIXES_INLINE));
        self.len = self.len.min(len);
    }

    /// Where `suffix`, spelled exactly so, was written.
    fn find(&self, suffix: &[u8]) -> Option<u16> {
        let inline = &self.inline[..self.len.min(SUFFIXES_INLINE)];
        inline.iter().chain(&self.more).find(|(s, _)| *s == suffix).map(|&(_, at)| at)
    }
}

/// The one place that writes message bytes: every write checks the limit first, so the buffer
/// can never exceed it, and running out of room is an error the caller handles.
struct Writer<'n> {
    buf: Vec<u8>,
    limit: usize,
    suffixes: Suffixes<'n>,
}

impl<'n> Writer<'n> {
    /// A writer into `buf`, emptied first: a caller that builds many messages passes the
    /// buffer of an earlier one and allocates nothing.
    fn new(mut buf: Vec<u8>, limit: usize) -> Writer<'n> {
        let limit = limit.min(TCP_MAX);
        buf.clear();
        buf.reserve(limit.min(UDP_MAX));
        Writer { buf, limit, suffixes: Suffixes::new() }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if bytes.len() > self.limit - self.buf.len() {
            return Err(WireError::NoRoom);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn put_u16(&mut self, v: u16) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    fn put_u32(&mut self, v: u32) -> Result<(), WireError> {
        self.put(&v.to_be_bytes())
    }

    /// Writes a text name, compressing against earlier suffixes spelled exactly the same (case
    /// included, as upstream's server compares labels): each name keeps the case it was given,
    /// which resolvers see, e.g. a CNAME target after a question in 0x20-randomised case.
    /// Each label is checked as it is written (one pass over the text), so a name with a bad
    /// label after the room ran out is cut as NoRoom rather than refused.
    fn put_name(&mut self, text: &'n [u8]) -> Result<(), WireError> {
        let mut rest = strip_text_name(text)?;
        while !rest.is_empty() {
            if let Some(at) = self.suffixes.find(rest) {
                return self.put_u16(0xc000 | at);
            }
            let here = self.buf.len();
            let (label, after) = next_label(rest)?;
            if 1 + label.len() > self.limit - here {
                return Err(WireError::NoRoom);
            }
            // next_label bounded the label to 63 bytes.
            self.buf.push(label.len() as u8);
            self.buf.extend_from_slice(label);
            if here <= MAX_POINTER_TARGET && self.suffixes.len() < MAX_SUFFIXES {
                self.suffixes.push(rest, here as u16);
            }
            rest = after;
        }
        self.put(&[0])
    }

    fn patch_u16(&mut self, at: usize, v: u16) {
        self.buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
    }
}

/// Builds a standard query with one question; RD asks the server to recurse.
pub fn build_query(id: u16, name: &[u8], qtype: u16, qclass: u16, rd: bool) -> Result<Vec<u8>, WireError> {
    // One name has nothing to compress against: written plainly into a buffer of exactly the
    // query's size (at most 12 + 255 + 4 bytes, always under UDP_MAX), one allocation; each
    // label is checked as it is written.
    let mut rest = strip_text_name(name)?;
    let name_len = if rest.is_empty() { 1 } else { rest.len() + 2 };
    let mut buf = Vec::with_capacity(HEADER_LEN + name_len + 4);
    let flags = if rd { FLAG_RD } else { 0 };
    for v in [id, flags, 1, 0, 0, 0] {
        buf.extend_from_slice(&v.to_be_bytes());
    }
    while !rest.is_empty() {
        let (label, after) = next_label(rest)?;
        // next_label bounded the label to 63 bytes.
        buf.push(label.len() as u8);
        buf.extend_from_slice(label);
        rest = after;
    }
    buf.push(0);
    buf.extend_from_slice(&qtype.to_be_bytes());
    buf.extend_from_slice(&qclass.to_be_bytes());
    Ok(buf)
}

/// Record data to write.
#[derive(Debug, Clone, Copy)]
pub enum RdataOut<'a> {
    /// Written as is (A, AAAA, or anything the caller encoded).
    Bytes(&'a [u8]),
    /// A name (PTR, CNAME, NS), written compressed.
    Name(&'a [u8]),
}

/// A record to write.
#[derive(Debug, Clone, Copy)]
pub struct RecordOut<'a> {
    pub name: &'a [u8],
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RdataOut<'a>,
}

/// A question to write (the server echoes the query's).
#[derive(Debug, Clone, Copy)]
pub struct QuestionOut<'a> {
    pub name: &'a [u8],
    pub qtype: u16,
    pub qclass: u16,
}

/// The records of a reply, by section.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections<'a> {
    pub answers: &'a [RecordOut<'a>],
    pub authority: &'a [RecordOut<'a>],
    pub additional: &'a [RecordOut<'a>],
}

/// A built reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub bytes: Vec<u8>,
    /// Some records did not fit: the reply holds the whole records that did (its counts say how
    /// many) and has TC set.
    pub truncated: bool,
}

/// Builds a reply of at most `limit` bytes (clamped to 65535; pass [`UDP_MAX`] for UDP).
/// `flags` go into the header as given (the server sets QR, copies opcode and RD from the query
/// and adds AA/RA and the rcode). The questions must fit ([`WireError::NoRoom`] otherwise);
/// records are written in order until one does not fit, which is dropped with everything after
/// it and TC set, so the result is always a well-formed message with exact counts (upstream cut
/// the buffer at 512 bytes mid-record and kept the promised counts). An invalid name is an
/// error, unless the reply was cut before it was written to the end.
pub fn build_reply(
    id: u16,
    flags: u16,
    questions: &[QuestionOut<'_>],
    sections: Sections<'_>,
    limit: usize,
) -> Result<Reply, WireError> {
    let lists = [sections.answers, sections.authority, sections.additional].map(|list| list.iter().copied());
    build_reply_into(Vec::new(), id, flags, questions.iter().copied(), lists, limit)
}

/// [`build_reply`] written into `buf` (emptied first; a server passes an earlier reply's
/// buffer), from iterators: the questions, then the records of each section in order, so a
/// caller that keeps them in another form needs no list of its own.
pub fn build_reply_into<'n, Q, R>(buf: Vec<u8>, id: u16, flags: u16, questions: Q, sections: [R; 3], limit: usize) -> Result<Reply, WireError>
where
    Q: IntoIterator<Item = QuestionOut<'n>>,
    R: IntoIterator<Item = RecordOut<'n>>,
{
    let mut w = Writer::new(buf, limit);
    for v in [id, flags, 0, 0, 0, 0] {
        w.put_u16(v)?;
    }
    let mut qdcount: u16 = 0;
    for q in questions {
        w.put_name(q.name)?;
        w.put_u16(q.qtype)?;
        w.put_u16(q.qclass)?;
        // At least 5 bytes a question under a 65535-byte limit: the count cannot overflow.
        qdcount += 1;
    }
    w.patch_u16(4, qdcount);
    let mut truncated = false;
    for (i, list) in sections.into_iter().enumerate() {
        let mut written: u16 = 0;
        for rr in list {
            if truncated {
                break;
            }
            let (len, suffixes) = (w.buf.len(), w.suffixes.len());
            match put_record(&mut w, &rr) {
                // At least 11 bytes a record under a 65535-byte limit: the count fits a u16.
                Ok(()) => written += 1,
                Err(WireError::NoRoom) => {
                    // Undo the partial record, and forget suffixes it added: they point past
                    // the end now.
                    w.buf.truncate(len);
                    w.suffixes.truncate(suffixes);
                    truncated = true;
                }
                Err(e) => return Err(e),
            }
        }
        w.patch_u16(6 + 2 * i, written);
    }
    if truncated {
        w.patch_u16(2, flags | FLAG_TC);
    }
    Ok(Reply { bytes: w.buf, truncated })
}

fn put_record<'n>(w: &mut Writer<'n>, rr: &RecordOut<'n>) -> Result<(), WireError> {
    w.put_name(rr.name)?;
    w.put_u16(rr.rtype)?;
    w.put_u16(rr.class)?;
    w.put_u32(rr.ttl)?;
    match rr.data {
        RdataOut::Bytes(data) => {
            let len = u16::try_from(data.len()).map_err(|_| WireError::NoRoom)?;
            w.put_u16(len)?;
            w.put(data)
        }
        RdataOut::Name(name) => {
            let len_at = w.buf.len();
            w.put_u16(0)?;
            w.put_name(name)?;
            let len = w.buf.len() - len_at - 2;
            // A name is at most 255 bytes, so the length always fits.
            w.patch_u16(len_at, len as u16);
            Ok(())
        }
    }
}

/// Fuzz entry: parses `data` as a message, decodes every record's typed data, and when it
/// parses, rebuilds it and checks the rebuilt message parses to the same content. Must never
/// panic except on a real bug (a failed round-trip assertion).
pub fn fuzz_parse(data: &[u8]) {
    let _ = Header::parse(data);
    let Ok(msg) = parse_message(data) else { return };
    let typed: Vec<Option<Rdata<'_>>> = msg
        .answers
        .iter()
        .chain(&msg.authority)
        .chain(&msg.additional)
        .map(|rr| msg.rdata(rr).ok())
        .collect();
    let questions: Vec<QuestionOut<'_>> = msg
        .questions
        .iter()
        .map(|q| QuestionOut { name: q.name.as_bytes(), qtype: q.qtype, qclass: q.qclass })
        .collect();
    let out: Vec<RecordOut<'_>> = msg
        .answers
        .iter()
        .chain(&msg.authority)
        .chain(&msg.additional)
        .zip(&typed)
        .map(|(rr, t)| RecordOut {
            name: rr.name.as_bytes(),
            rtype: rr.rtype,
            class: rr.class,
            ttl: rr.ttl,
            data: match t {
                Some(Rdata::Name(n)) => RdataOut::Name(n.as_bytes()),
                _ => RdataOut::Bytes(rr.rdata),
            },
        })
        .collect();
    let (an, ns) = (msg.answers.len(), msg.authority.len());
    let sections = Sections { answers: &out[..an], authority: &out[an..an + ns], additional: &out[an + ns..] };
    let Ok(reply) = build_reply(msg.header.id, msg.header.flags, &questions, sections, TCP_MAX) else {
        // Only a question section too large for 64 KiB can fail: every parsed name is valid.
        return;
    };
    let again = parse_message(&reply.bytes).expect("a built reply parses");
    assert_eq!(again.questions, msg.questions);
    let rebuilt = again.answers.iter().chain(&again.authority).chain(&again.additional);
    for (rr2, rr) in rebuilt.zip(&out) {
        assert_eq!(rr2.name.as_bytes(), rr.name);
        assert_eq!((rr2.rtype, rr2.class, rr2.ttl), (rr.rtype, rr.class, rr.ttl));
        match rr.data {
            RdataOut::Bytes(b) => assert_eq!(rr2.rdata, b),
            RdataOut::Name(n) => match again.rdata(rr2) {
                Ok(Rdata::Name(n2)) => assert_eq!(n2.as_bytes(), n),
                other => panic!("rebuilt name rdata reads back as {other:?}"),
            },
        }
    }
}

/// "d.c.b.a.in-addr.arpa" for the address a.b.c.d (network-order bytes): the name a reverse
/// lookup asks for and `evdns_server_request_add_ptr_reply` answers for.
pub fn reverse_name_v4(octets: [u8; 4]) -> String {
    format!("{}.{}.{}.{}.in-addr.arpa", octets[3], octets[2], octets[1], octets[0])
}

/// The nibble-reversed "ip6.arpa" name of an IPv6 address (RFC 3596 2.5).
pub fn reverse_name_v6(octets: [u8; 16]) -> String {
    let mut s = String::with_capacity(72);
    for b in octets.iter().rev() {
        for nibble in [b & 0xf, b >> 4] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            s.push('.');
        }
    }
    s.push_str("ip6.arpa");
    s
}

#[cfg(test)]
mod tests;
