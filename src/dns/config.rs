//! resolv.conf as a pure function over its bytes: [`parse_resolv_conf`] turns the file into the
//! ordered list of directives evdns acts on. Applying them to a base (adding nameservers,
//! replacing the search list, setting options) is the resolver's job, in file order, because
//! later lines override earlier ones ("domain" and "search" each replace the list).
//!
//! What is read, as upstream does: `nameserver ADDR`, `domain NAME`, `search NAME...`,
//! `options OPT[:VAL]...`; words are separated by spaces and tabs, lines by '\n'. Other lines
//! ("sortlist", unknown keywords) are ignored. Beyond upstream: lines whose first non-blank byte
//! is '#' or ';' are comments (upstream only ignored them by accident, as unknown keywords), a
//! '\r' before the newline is dropped, and NUL bytes end a word (a binary file cannot smuggle a
//! name past the C-string view upstream had of it).

/// One line of resolv.conf that evdns acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `nameserver ADDR`: the address text, as `evdns_base_nameserver_ip_add` takes it.
    Nameserver(Vec<u8>),
    /// `domain NAME`: the search list becomes this one name.
    Domain(Vec<u8>),
    /// `search NAME...`: the search list becomes these names, in this order (possibly none).
    Search(Vec<Vec<u8>>),
    /// `options ...`: each option as (name, value); the value is what follows the first ':'
    /// ("" without one), as `evdns_base_set_option` takes them.
    Options(Vec<(Vec<u8>, Vec<u8>)>),
}

/// Splits a line into words: runs of bytes other than space, tab, '\r' and NUL.
fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| matches!(b, b' ' | b'\t' | b'\r' | 0)).filter(|w| !w.is_empty())
}

/// Parses a whole resolv.conf. Never fails: anything not understood is skipped.
pub fn parse_resolv_conf(text: &[u8]) -> Vec<Directive> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let mut w = words(line);
        let Some(first) = w.next() else { continue };
        if first.starts_with(b"#") || first.starts_with(b";") {
            continue;
        }
        match first {
            b"nameserver" => {
                if let Some(addr) = w.next() {
                    out.push(Directive::Nameserver(addr.to_vec()));
                }
            }
            b"domain" => {
                if let Some(name) = w.next() {
                    out.push(Directive::Domain(name.to_vec()));
                }
            }
            b"search" => out.push(Directive::Search(w.map(<[u8]>::to_vec).collect())),
            b"options" => {
                let opts = w
                    .map(|o| match o.iter().position(|&b| b == b':') {
                        Some(colon) => (o.to_vec(), o[colon + 1..].to_vec()),
                        None => (o.to_vec(), Vec::new()),
                    })
                    .collect();
                out.push(Directive::Options(opts));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Directive::*;
    use super::*;

    fn v(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn empty_and_blank_files_give_nothing() {
        assert!(parse_resolv_conf(b"").is_empty());
        assert!(parse_resolv_conf(b"\n\n  \t\n").is_empty());
    }

    #[test]
    fn every_directive_in_order() {
        let conf = b"nameserver 1.2.3.4\ndomain example.com\nsearch a.com b.com\noptions ndots:2 rotate timeout:1.5\nnameserver [::1]:53\n";
        assert_eq!(
            parse_resolv_conf(conf),
            vec![
                Nameserver(v("1.2.3.4")),
                Domain(v("example.com")),
                Search(vec![v("a.com"), v("b.com")]),
                Options(vec![(v("ndots:2"), v("2")), (v("rotate"), v("")), (v("timeout:1.5"), v("1.5"))]),
                Nameserver(v("[::1]:53")),
            ]
        );
    }

    #[test]
    fn comments_tabs_crlf_and_unknown_lines() {
        let conf = b"# nameserver 9.9.9.9\n; domain x\n\tnameserver\t10.0.0.1\r\nsortlist 1.2.3.4\nnameserver\nsearch\n";
        assert_eq!(parse_resolv_conf(conf), vec![Nameserver(v("10.0.0.1")), Search(vec![])]);
        // A comment after the address is not part of it.
        assert_eq!(parse_resolv_conf(b"nameserver 1.1.1.1 # home"), vec![Nameserver(v("1.1.1.1"))]);
    }

    #[test]
    fn long_lines_and_binary_input_do_not_break_parsing() {
        let mut long = b"search ".to_vec();
        for i in 0..5000 {
            long.extend_from_slice(format!("d{i}.example ").as_bytes());
        }
        long.extend_from_slice(b"\nnameserver 127.0.0.2\n");
        let parsed = parse_resolv_conf(&long);
        assert!(matches!(&parsed[0], Search(list) if list.len() == 5000));
        assert_eq!(parsed[1], Nameserver(v("127.0.0.2")));

        let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse_resolv_conf(&binary);
        // A NUL ends the word, as C string handling would.
        assert_eq!(parse_resolv_conf(b"nameserver 1.2.3.4\0evil"), vec![Nameserver(v("1.2.3.4"))]);
    }
}
