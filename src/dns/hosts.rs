//! The hosts-file table of an evdns base (`evdns_base_load_hosts`): names that
//! `evdns_getaddrinfo` answers without asking a nameserver.
//!
//! The format is upstream's reading of /etc/hosts: a line is an address (IPv4, or IPv6 bare or in
//! brackets, with an optional `%zone`; no port) followed by names separated by blanks; `#`
//! starts a comment, also in the middle of a name; a line whose address does not parse is
//! skipped, as is everything after a NUL byte (upstream scans the file as a C string). Names
//! compare ASCII case-insensitively. A carriage return counts as a blank, so that a file with
//! CRLF line ends still matches its names (upstream would keep the CR in the last name).
//!
//! Lookups go through a map from the lowercased name to its addresses in file order; upstream
//! walks a list of every entry, which is slow with the large block lists some hosts files hold.

use std::collections::HashMap;
use std::ffi::CStr;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;

use crate::util::addr;

/// What `load` returns for an unreadable file (upstream's `evdns_base_load_hosts` result).
pub const LOAD_FAILED: i32 = -1;

#[derive(Default)]
pub struct HostsTable {
    /// Lowercased name -> its addresses (port 0), in the order the files gave them.
    by_name: HashMap<Box<[u8]>, Vec<SocketAddr>>,
}

/// Which addresses a lookup wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl HostsTable {
    pub fn new() -> HostsTable {
        HostsTable::default()
    }

    /// Loads a hosts file, appending to what is there: 0, or `LOAD_FAILED` when the file cannot
    /// be read. With no file name, or when the file cannot be read, only `localhost` (127.0.0.1
    /// and ::1) is added, as upstream does.
    pub fn load(&mut self, path: Option<&CStr>) -> i32 {
        let Some(path) = path else {
            self.add_localhost();
            return 0;
        };
        match std::fs::read(std::ffi::OsStr::from_bytes(path.to_bytes())) {
            Ok(text) => {
                self.parse(&text);
                0
            }
            Err(e) => {
                crate::evdns_debug!("Unable to read hosts file {}: {}", path.to_string_lossy(), e);
                self.add_localhost();
                LOAD_FAILED
            }
        }
    }

    /// Appends the entries of a hosts file's contents.
    pub fn parse(&mut self, text: &[u8]) {
        let text = text.split(|&b| b == 0).next().unwrap_or_default();
        for line in text.split(|&b| b == b'\n') {
            self.parse_line(line);
        }
    }

    fn parse_line(&mut self, line: &[u8]) {
        let mut tokens = line.split(|&b| matches!(b, b' ' | b'\t' | b'\r')).filter(|t| !t.is_empty());
        let Some(address) = tokens.next() else { return };
        if address.starts_with(b"#") {
            return;
        }
        let Some(sa) = addr::parse_sockaddr_port(address).filter(|sa| sa.port() == 0) else {
            return;
        };
        for token in tokens {
            let (name, comment) = match token.iter().position(|&b| b == b'#') {
                Some(hash) => (&token[..hash], true),
                None => (token, false),
            };
            if !name.is_empty() {
                self.add(name, sa);
            }
            if comment {
                return;
            }
        }
    }

    fn add(&mut self, name: &[u8], sa: SocketAddr) {
        self.by_name.entry(name.to_ascii_lowercase().into_boxed_slice()).or_default().push(sa);
    }

    fn add_localhost(&mut self) {
        self.add(b"localhost", SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)));
        self.add(b"localhost", SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 0, 0, 0)));
    }

    /// `evdns_base_clear_host_addresses`.
    pub fn clear(&mut self) {
        self.by_name.clear();
    }

    /// The addresses of `name` in `family`, with port `port`, in file order. None when the
    /// table has no entry for the name at all; an empty list when it has entries only in the
    /// other family (upstream answers that with an empty result rather than asking DNS).
    pub fn lookup(&self, name: &[u8], family: Family, port: u16) -> Option<Vec<SocketAddr>> {
        let addrs = self.by_name.get(name.to_ascii_lowercase().as_slice())?;
        let wanted = |sa: &&SocketAddr| match family {
            Family::Any => true,
            Family::V4 => sa.is_ipv4(),
            Family::V6 => sa.is_ipv6(),
        };
        Some(
            addrs
                .iter()
                .filter(wanted)
                .map(|&sa| {
                    let mut sa = sa;
                    sa.set_port(port);
                    sa
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &[u8]) -> HostsTable {
        let mut t = HostsTable::new();
        t.parse(text);
        t
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn names_aliases_and_families() {
        let t = table(b"127.0.0.1 localhost loopback\n::1\tlocalhost ip6-localhost\n10.0.0.2   Web.Example.COM web\n");
        assert_eq!(t.lookup(b"LOCALHOST", Family::Any, 80), Some(vec![sa("127.0.0.1:80"), sa("[::1]:80")]));
        assert_eq!(t.lookup(b"localhost", Family::V6, 9), Some(vec![sa("[::1]:9")]));
        assert_eq!(t.lookup(b"loopback", Family::V4, 0), Some(vec![sa("127.0.0.1:0")]));
        assert_eq!(t.lookup(b"web.example.com", Family::Any, 1), Some(vec![sa("10.0.0.2:1")]));
        assert_eq!(t.lookup(b"WEB", Family::Any, 1), Some(vec![sa("10.0.0.2:1")]));
        // Entries only in the other family: an empty answer, not "unknown".
        assert_eq!(t.lookup(b"ip6-localhost", Family::V4, 0), Some(vec![]));
        assert_eq!(t.lookup(b"nowhere", Family::Any, 0), None);
    }

    #[test]
    fn bracketed_and_scoped_ipv6() {
        let t = table(b"[fe80::1] a\nfe80::2%3 b\n[::1]:0 c\n");
        assert_eq!(t.lookup(b"a", Family::Any, 0), Some(vec![sa("[fe80::1]:0")]));
        let b = t.lookup(b"b", Family::Any, 5).unwrap();
        assert_eq!(b, vec![SocketAddr::V6(SocketAddrV6::new("fe80::2".parse().unwrap(), 5, 0, 3))]);
        // An explicit port (even 0) is not a hosts-file address.
        assert_eq!(t.lookup(b"c", Family::Any, 0), None);
    }

    #[test]
    fn comments_and_garbage_lines() {
        let t = table(
            b"# a comment\n\n   \n#1.2.3.4 commented\n1.2.3.4 one#trailing two\n1.2.3.5 five # six\n\
              1.2.3.6 #none\nnot-an-address name\n1.2.3.4:80 withport\n999.1.1.1 bad\n1.2.3.7\n",
        );
        assert_eq!(t.lookup(b"commented", Family::Any, 0), None);
        assert_eq!(t.lookup(b"one", Family::Any, 0), Some(vec![sa("1.2.3.4:0")]));
        assert_eq!(t.lookup(b"two", Family::Any, 0), None);
        assert_eq!(t.lookup(b"five", Family::Any, 0), Some(vec![sa("1.2.3.5:0")]));
        assert_eq!(t.lookup(b"six", Family::Any, 0), None);
        for name in [&b"none"[..], b"name", b"withport", b"bad", b"#none"] {
            assert_eq!(t.lookup(name, Family::Any, 0), None);
        }
    }

    #[test]
    fn crlf_long_lines_and_appending() {
        let mut t = table(b"1.1.1.1 a\r\n2.2.2.2 b\r\n");
        assert_eq!(t.lookup(b"b", Family::Any, 0), Some(vec![sa("2.2.2.2:0")]));
        let long_name = "x".repeat(70_000);
        let mut long_line = b"3.3.3.3".to_vec();
        for i in 0..2000 {
            long_line.extend_from_slice(format!(" alias{i}").as_bytes());
        }
        long_line.extend_from_slice(format!(" {long_name}\n").as_bytes());
        t.parse(&long_line);
        t.parse(b"4.4.4.4 a");
        assert_eq!(t.lookup(long_name.as_bytes(), Family::Any, 0), Some(vec![sa("3.3.3.3:0")]));
        assert_eq!(t.lookup(b"alias1999", Family::Any, 0), Some(vec![sa("3.3.3.3:0")]));
        // Loading appends: a name from two files has both addresses, in order.
        assert_eq!(t.lookup(b"a", Family::Any, 0), Some(vec![sa("1.1.1.1:0"), sa("4.4.4.4:0")]));
        t.clear();
        assert_eq!(t.lookup(b"a", Family::Any, 0), None);
    }

    #[test]
    fn binary_contents_end_at_nul() {
        let mut data: Vec<u8> = (0..=255u8).rev().cycle().take(4096).collect();
        data.splice(0..0, b"5.5.5.5 before\n".iter().copied());
        let t = table(&data);
        assert_eq!(t.lookup(b"before", Family::Any, 0), Some(vec![sa("5.5.5.5:0")]));
        let t = table(b"6.6.6.6 x\0\n7.7.7.7 after\n");
        assert_eq!(t.lookup(b"x", Family::Any, 0), Some(vec![sa("6.6.6.6:0")]));
        assert_eq!(t.lookup(b"after", Family::Any, 0), None);
        // Bytes that are not ASCII make neither addresses nor trouble.
        let t = table(b"\xff\xfe 1.2.3.4\n1.2.3.4 \xc3\xa9t\xc3\xa9\n");
        assert_eq!(t.lookup("été".as_bytes(), Family::Any, 0), Some(vec![sa("1.2.3.4:0")]));
    }

    #[test]
    fn loading_files() {
        let path = std::env::temp_dir().join(format!("evdns-hosts-{}", std::process::id()));
        std::fs::write(&path, b"9.9.9.9 nine\n").unwrap();
        let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        let mut t = HostsTable::new();
        assert_eq!(t.load(Some(&cpath)), 0);
        assert_eq!(t.lookup(b"nine", Family::Any, 0), Some(vec![sa("9.9.9.9:0")]));
        assert_eq!(t.lookup(b"localhost", Family::Any, 0), None);
        std::fs::remove_file(&path).unwrap();
        // A missing file: -1, and localhost is there anyway.
        assert_eq!(t.load(Some(&cpath)), LOAD_FAILED);
        assert_eq!(t.lookup(b"localhost", Family::Any, 0), Some(vec![sa("127.0.0.1:0"), sa("[::1]:0")]));
        assert_eq!(t.lookup(b"nine", Family::Any, 0), Some(vec![sa("9.9.9.9:0")]));
        let mut t = HostsTable::new();
        assert_eq!(t.load(None), 0);
        assert_eq!(t.lookup(b"localhost", Family::V4, 0), Some(vec![sa("127.0.0.1:0")]));
    }
}
