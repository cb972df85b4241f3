//! Search domains and ndots: which names a lookup of a short name tries, in which order.
//!
//! As upstream: a name with at least `ndots` dots is tried as given first, then with each
//! search domain appended; a name with fewer dots is tried with each domain first and as given
//! last. A trailing dot adds no second dot when a domain is appended.
//!
//! CVE-2016-10197: upstream's `search_make_new` read the byte before an empty host name. Here
//! names are slices: an empty name simply has no candidates with domains ("" cannot be
//! searched, and resolving it with the search list fails at once, as upstream's fix does), and
//! every candidate is checked by the wire encoder before any query is built.

use std::sync::Arc;

/// The search list as a request sees it when it starts (later changes to the base's list do
/// not affect lookups in progress, as upstream's reference-counted list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchList {
    /// In the order they are tried.
    pub domains: Vec<Vec<u8>>,
    pub ndots: i32,
}

impl Default for SearchList {
    fn default() -> SearchList {
        SearchList { domains: Vec::new(), ndots: 1 }
    }
}

impl SearchList {
    /// `evdns_base_search_add`: upstream puts each new domain first (resolv.conf's "search"
    /// line, which it reverses afterwards, is the only place order is as written). Leading
    /// dots are dropped.
    pub fn add_first(&mut self, domain: &[u8]) {
        self.domains.insert(0, strip_leading_dots(domain).to_vec());
    }

    /// Appends in reading order (resolv.conf's "search" and "domain").
    pub fn add_last(&mut self, domain: &[u8]) {
        self.domains.push(strip_leading_dots(domain).to_vec());
    }
}

fn strip_leading_dots(mut d: &[u8]) -> &[u8] {
    while let [b'.', rest @ ..] = d {
        d = rest;
    }
    d
}

fn num_dots(name: &[u8]) -> i32 {
    name.iter().filter(|&&b| b == b'.').count().min(i32::MAX as usize) as i32
}

/// `name` with `domain` appended.
fn with_domain(name: &[u8], domain: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 1 + domain.len());
    out.extend_from_slice(name);
    if !name.ends_with(b".") {
        out.push(b'.');
    }
    out.extend_from_slice(domain);
    out
}

/// Where a search stands: the original name, the list it started with, and the step.
#[derive(Debug, Clone)]
pub struct Search {
    pub origname: Vec<u8>,
    pub list: Arc<SearchList>,
    /// Index into the candidate order (see [`Search::candidate`]).
    pub step: usize,
}

impl Search {
    /// Starts a search for `name`, or None when the search list does not apply (no domains)
    /// or cannot (an empty name: None with `Err`).
    pub fn start(name: &[u8], list: &Arc<SearchList>) -> Result<Option<Search>, ()> {
        if list.domains.is_empty() {
            return Ok(None);
        }
        if name.is_empty() {
            return Err(());
        }
        Ok(Some(Search { origname: name.to_vec(), list: Arc::clone(list), step: 0 }))
    }

    fn raw_first(&self) -> bool {
        num_dots(&self.origname) >= self.list.ndots
    }

    /// The name to query at the current step, or None past the last one.
    pub fn candidate(&self) -> Option<Vec<u8>> {
        let n = self.list.domains.len();
        if self.raw_first() {
            match self.step {
                0 => Some(self.origname.clone()),
                s if s <= n => Some(with_domain(&self.origname, &self.list.domains[s - 1])),
                _ => None,
            }
        } else {
            match self.step {
                s if s < n => Some(with_domain(&self.origname, &self.list.domains[s])),
                s if s == n => Some(self.origname.clone()),
                _ => None,
            }
        }
    }

    /// Moves to the next candidate; its name, or None when all were tried. Upstream never
    /// retries the name as given after the domains when it was tried first.
    pub fn advance(&mut self) -> Option<Vec<u8>> {
        self.step += 1;
        self.candidate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(domains: &[&str], ndots: i32) -> Arc<SearchList> {
        Arc::new(SearchList { domains: domains.iter().map(|d| d.as_bytes().to_vec()).collect(), ndots })
    }

    fn all(name: &str, l: &Arc<SearchList>) -> Vec<String> {
        let mut s = Search::start(name.as_bytes(), l).unwrap().unwrap();
        let mut out = vec![String::from_utf8(s.candidate().unwrap()).unwrap()];
        while let Some(n) = s.advance() {
            out.push(String::from_utf8(n).unwrap());
        }
        out
    }

    #[test]
    fn short_names_try_domains_first_long_names_last() {
        let l = list(&["a.example.com", "b.example.com"], 1);
        assert_eq!(all("host", &l), ["host.a.example.com", "host.b.example.com", "host"]);
        assert_eq!(all("www.host", &l), ["www.host", "www.host.a.example.com", "www.host.b.example.com"]);
        assert_eq!(all("host.", &l), ["host.", "host.a.example.com", "host.b.example.com"]);
        let l2 = list(&["x"], 3);
        assert_eq!(all("a.b", &l2), ["a.b.x", "a.b"]);
    }

    #[test]
    fn no_domains_means_no_search() {
        assert!(Search::start(b"host", &list(&[], 1)).unwrap().is_none());
    }

    /// CVE-2016-10197: an empty host name with search domains set, and an empty search domain.
    #[test]
    fn empty_names_never_read_outside_their_bytes() {
        let l = list(&["whatever.example.com"], 1);
        assert!(Search::start(b"", &l).is_err());
        // "." has one dot: tried as given, then "." + domain (which the encoder rejects as an
        // empty label, so that step fails cleanly).
        assert_eq!(all(".", &l), [".", ".whatever.example.com"]);
        let empty_domain = list(&[""], 1);
        assert_eq!(all("host", &empty_domain), ["host.", "host"]);
        let mut sl = SearchList::default();
        sl.add_first(b"");
        sl.add_first(b"...b.com");
        sl.add_first(b"a.com");
        assert_eq!(sl.domains, [b"a.com".to_vec(), b"b.com".to_vec(), Vec::new()]);
    }
}
