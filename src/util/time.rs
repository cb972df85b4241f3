//! Time helpers of evutil that are not the monotonic clock itself (that is `crate::time`):
//! timeval-to-milliseconds for poll-style timeouts, sleeping, and HTTP's RFC 1123 dates.

use std::ffi::c_long;

use libc::timeval;

const LONG_MSEC_MAX_SECONDS: c_long = (c_long::MAX - 999) / 1000;

/// A timeout in milliseconds, rounding microseconds up; -1 when it does not fit in a `long`
/// or the microseconds are out of range.
pub fn tv_to_msec(tv: &timeval) -> c_long {
    if tv.tv_usec > 1_000_000 || tv.tv_sec > LONG_MSEC_MAX_SECONDS {
        return -1;
    }
    // Negative seconds are passed through as upstream does; wrapping keeps absurd values from
    // aborting the process.
    tv.tv_sec.wrapping_mul(1000).wrapping_add((tv.tv_usec + 999) / 1000)
}

/// Sleeps for the given time (once: a signal may end the sleep early).
pub fn sleep(tv: &timeval) {
    let usec = i128::from(tv.tv_sec) * 1_000_000 + i128::from(tv.tv_usec);
    if usec <= 0 {
        return;
    }
    let ts = libc::timespec {
        tv_sec: (usec / 1_000_000).min(i128::from(libc::time_t::MAX)) as libc::time_t,
        tv_nsec: ((usec % 1_000_000) * 1000) as libc::c_long,
    };
    // SAFETY: ts is a valid timespec; the remaining-time pointer may be NULL.
    unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// "Sun, 06 Nov 1994 08:49:37 GMT" for a broken-down UTC time; `None` if the weekday or month
/// is out of range.
pub fn date_rfc1123(tm: &libc::tm) -> Option<String> {
    let day = DAYS.get(usize::try_from(tm.tm_wday).ok()?)?;
    let month = MONTHS.get(usize::try_from(tm.tm_mon).ok()?)?;
    Some(format!(
        "{day}, {:02} {month} {:4} {:02}:{:02}:{:02} GMT",
        tm.tm_mday,
        1900 + i64::from(tm.tm_year),
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    ))
}

/// The current time broken down in UTC.
pub fn utc_now() -> libc::tm {
    // SAFETY: time accepts a NULL out-pointer.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    utc(now)
}

fn utc(t: libc::time_t) -> libc::tm {
    // SAFETY: tm is plain data; gmtime_r fills it from a valid time_t.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::gmtime_r(&t, &mut tm) };
    tm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msec_rounds_up_and_rejects_overflow() {
        assert_eq!(tv_to_msec(&timeval { tv_sec: 1, tv_usec: 1 }), 1001);
        assert_eq!(tv_to_msec(&timeval { tv_sec: 0, tv_usec: 999_000 }), 999);
        assert_eq!(tv_to_msec(&timeval { tv_sec: 0, tv_usec: 1_000_001 }), -1);
        assert_eq!(tv_to_msec(&timeval { tv_sec: c_long::MAX / 1000, tv_usec: 0 }), -1);
    }

    #[test]
    fn rfc1123_dates() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (946684799, "Fri, 31 Dec 1999 23:59:59 GMT"),
            (1456704000, "Mon, 29 Feb 2016 00:00:00 GMT"),
            (4294967296, "Sun, 07 Feb 2106 06:28:16 GMT"),
            (253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (t, text) in cases {
            assert_eq!(date_rfc1123(&utc(t)).unwrap(), text);
        }
        let mut bad = utc(0);
        bad.tm_mon = 12;
        assert_eq!(date_rfc1123(&bad), None);
        assert!(date_rfc1123(&utc_now()).unwrap().ends_with(" GMT"));
    }

    #[test]
    fn sleep_waits_at_least_the_time_given() {
        let start = std::time::Instant::now();
        sleep(&timeval { tv_sec: 0, tv_usec: 20_000 });
        assert!(start.elapsed() >= std::time::Duration::from_millis(20));
        sleep(&timeval { tv_sec: -1, tv_usec: 0 });
    }
}
