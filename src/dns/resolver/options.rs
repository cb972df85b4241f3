//! `evdns_base_set_option` and the `options` line of resolv.conf: one parser for both, a pure
//! function from (name, value) to a typed setting, so the rules (which names, which value
//! syntax, which bounds) live in one place and are unit-tested without a base.

use std::net::SocketAddr;

use libc::timeval;

use crate::dns::api::{DNS_OPTION_MISC, DNS_OPTION_NAMESERVERS, DNS_OPTION_SEARCH};

/// The longest initial probe timeout accepted (an hour, as upstream clamps it).
const MAX_PROBE_SECS: libc::time_t = 3600;

/// One recognised option with its checked value.
#[derive(Debug, Clone, Copy)]
pub enum Setting {
    Ndots(i32),
    Timeout(timeval),
    AllowSkew(timeval),
    /// Timeouts in a row before a nameserver is marked down (1..=255).
    MaxTimeouts(i32),
    /// Requests in flight at once (1..=65000).
    MaxInflight(i32),
    /// Transmissions of one request before it times out (at most 255).
    Attempts(i32),
    RandomizeCase(bool),
    BindTo(SocketAddr),
    InitialProbeTimeout(timeval),
    SoRcvbuf(i32),
    SoSndbuf(i32),
}

impl PartialEq for Setting {
    /// By value (timeval has no PartialEq of its own).
    fn eq(&self, other: &Setting) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}

impl Setting {
    /// Which `DNS_OPTION_*` class the setting belongs to: resolv_conf_parse applies it only
    /// when that class was asked for.
    pub fn class(&self) -> i32 {
        match self {
            Setting::Ndots(_) => DNS_OPTION_SEARCH,
            Setting::BindTo(_) => DNS_OPTION_NAMESERVERS,
            _ => DNS_OPTION_MISC,
        }
    }
}

/// Why an option was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionError {
    /// Not an option evdns knows.
    Unknown,
    /// A known option with a value it cannot take.
    BadValue,
}

/// Whether `given` names `option` (spelled with its trailing ':'): "ndots", "ndots:" and, for
/// resolv.conf's "ndots:2" form, anything starting with "ndots:".
fn matches(given: &[u8], option: &[u8]) -> bool {
    let bare = &option[..option.len() - 1];
    given == bare || given.starts_with(option)
}

/// A whole decimal integer (optional sign), as strtol with nothing left over; out of the
/// `i32` range is refused too.
fn parse_int(val: &[u8]) -> Option<i32> {
    let s = std::str::from_utf8(val).ok()?;
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Seconds as a decimal number ("5", "0.2"); at least a millisecond, as upstream requires.
fn parse_seconds(val: &[u8]) -> Option<timeval> {
    let s = std::str::from_utf8(val).ok()?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let d: f64 = s.parse().ok()?;
    if !(0.0..=1e9).contains(&d) {
        return None;
    }
    let secs = d.trunc();
    let tv = timeval { tv_sec: secs as libc::time_t, tv_usec: ((d - secs) * 1e6) as libc::suseconds_t };
    if tv.tv_sec == 0 && tv.tv_usec < 1000 {
        return None;
    }
    Some(tv)
}

/// Parses one option. Integers that are too large or small are clipped where upstream clips
/// them (max-timeouts, max-inflight, attempts); everything malformed is [`OptionError::BadValue`].
pub fn parse_option(name: &[u8], val: &[u8]) -> Result<Setting, OptionError> {
    let int = || parse_int(val).ok_or(OptionError::BadValue);
    let secs = || parse_seconds(val).ok_or(OptionError::BadValue);
    let s = if matches(name, b"ndots:") {
        Setting::Ndots(int()?.max(0))
    } else if matches(name, b"timeout:") {
        Setting::Timeout(secs()?)
    } else if matches(name, b"getaddrinfo-allow-skew:") {
        Setting::AllowSkew(secs()?)
    } else if matches(name, b"max-timeouts:") {
        Setting::MaxTimeouts(int()?.clamp(1, 255))
    } else if matches(name, b"max-inflight:") {
        Setting::MaxInflight(int()?.clamp(1, 65000))
    } else if matches(name, b"attempts:") {
        Setting::Attempts(int()?.clamp(0, 255))
    } else if matches(name, b"randomize-case:") {
        Setting::RandomizeCase(int()? != 0)
    } else if matches(name, b"bind-to:") {
        Setting::BindTo(crate::util::addr::parse_sockaddr_port(val).ok_or(OptionError::BadValue)?)
    } else if matches(name, b"initial-probe-timeout:") {
        let mut tv = secs()?;
        if tv.tv_sec > MAX_PROBE_SECS {
            tv = timeval { tv_sec: MAX_PROBE_SECS, tv_usec: 0 };
        }
        Setting::InitialProbeTimeout(tv)
    } else if matches(name, b"so-rcvbuf:") {
        Setting::SoRcvbuf(int()?.max(0))
    } else if matches(name, b"so-sndbuf:") {
        Setting::SoSndbuf(int()?.max(0))
    } else {
        return Err(OptionError::Unknown);
    };
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str, val: &str) -> Setting {
        parse_option(name.as_bytes(), val.as_bytes()).unwrap_or_else(|e| panic!("{name}={val}: {e:?}"))
    }
    fn err(name: &str, val: &str) -> OptionError {
        parse_option(name.as_bytes(), val.as_bytes()).unwrap_err()
    }

    #[test]
    fn names_with_and_without_colon_and_the_resolv_conf_form() {
        assert_eq!(ok("ndots", "3"), Setting::Ndots(3));
        assert_eq!(ok("ndots:", "3"), Setting::Ndots(3));
        assert_eq!(ok("ndots:3", "3"), Setting::Ndots(3));
        assert_eq!(err("ndotsx", "3"), OptionError::Unknown);
        assert_eq!(err("rotate", ""), OptionError::Unknown);
        assert_eq!(err("", "1"), OptionError::Unknown);
    }

    #[test]
    fn integers_as_upstream_accepts_and_clips_them() {
        for name in ["ndots", "max-timeouts", "max-inflight", "attempts", "randomize-case", "so-rcvbuf", "so-sndbuf"] {
            for val in ["0", "1", "10000"] {
                ok(name, val);
            }
            for val in ["foo", "3.14", "", "1x", "99999999999"] {
                assert_eq!(err(name, val), OptionError::BadValue, "{name}={val}");
            }
        }
        assert_eq!(ok("max-timeouts", "0"), Setting::MaxTimeouts(1));
        assert_eq!(ok("max-timeouts", "10000"), Setting::MaxTimeouts(255));
        assert_eq!(ok("max-inflight", "100000"), Setting::MaxInflight(65000));
        assert_eq!(ok("attempts", "300"), Setting::Attempts(255));
        assert_eq!(ok("randomize-case", "0"), Setting::RandomizeCase(false));
    }

    #[test]
    fn seconds() {
        for name in ["timeout", "getaddrinfo-allow-skew:", "initial-probe-timeout"] {
            for val in ["1", "0.001", "3.14", "10000"] {
                ok(name, val);
            }
            for val in ["0", "foo", "", "-1", "0.0001", "1e3"] {
                assert_eq!(err(name, val), OptionError::BadValue, "{name}={val}");
            }
        }
        assert_eq!(ok("timeout", "0.2"), Setting::Timeout(timeval { tv_sec: 0, tv_usec: 200000 }));
        assert_eq!(ok("initial-probe-timeout", "10000"), Setting::InitialProbeTimeout(timeval { tv_sec: 3600, tv_usec: 0 }));
    }

    #[test]
    fn addresses() {
        for val in ["8.8.8.8:80", "1.2.3.4", "::1:82", "3::4", "[::1]:53"] {
            assert!(matches!(ok("bind-to", val), Setting::BindTo(_)), "{val}");
        }
        for val in ["3.14", "foo", "", "1.2.3.4:99999", "[::1"] {
            assert_eq!(err("bind-to:", val), OptionError::BadValue, "{val}");
        }
    }
}
