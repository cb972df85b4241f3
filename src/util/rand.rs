//! Random numbers: the "secure" generator behind `evutil_secure_rng_*` (bytes straight from the
//! kernel, so there is no user-space state to seed, lock, stir or reseed after fork), and the
//! deliberately weak, fast, reproducible generator behind `evutil_weakrand_*`.

use std::ffi::CString;
use std::io::{self, Read};
use std::sync::Mutex;

/// Device read when the getrandom system call is missing (kernels before 3.17).
static FALLBACK_DEVICE: Mutex<Option<CString>> = Mutex::new(None);
const DEFAULT_DEVICE: &str = "/dev/urandom";

/// Names the device file to read when getrandom(2) is unavailable (`None`: /dev/urandom).
pub fn set_fallback_device(path: Option<CString>) {
    *FALLBACK_DEVICE.lock().unwrap_or_else(|e| e.into_inner()) = path;
}

/// Fills `buf` from the kernel's cryptographic generator.
pub fn fill_secure(buf: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: rest is a valid writable buffer of rest.len() bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n >= 0 {
            filled += n as usize;
            continue;
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::ENOSYS) => return fill_from_device(rest),
            _ => return Err(err),
        }
    }
    Ok(())
}

fn fill_from_device(buf: &mut [u8]) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let configured = FALLBACK_DEVICE.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let path = match &configured {
        Some(p) => std::path::Path::new(std::ffi::OsStr::from_bytes(p.as_bytes())),
        None => std::path::Path::new(DEFAULT_DEVICE),
    };
    std::fs::File::open(path)?.read_exact(buf)
}

/// State of the weak generator: upstream's `struct evutil_weakrand_state`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WeakRand {
    pub seed: u32,
}

/// Largest value `WeakRand::draw` returns (upstream's EVUTIL_WEAKRAND_MAX).
pub const WEAKRAND_MAX: i32 = i32::MAX;

impl WeakRand {
    /// Sets the seed; 0 means "pick one" from the time of day and the process id.
    pub fn seed(&mut self, seed: u32) -> u32 {
        let seed = if seed != 0 {
            seed
        } else {
            let now = crate::time::wall_now();
            // SAFETY: getpid has no preconditions.
            let pid = unsafe { libc::getpid() };
            (now.tv_sec as u32).wrapping_add(now.tv_usec as u32).wrapping_add(pid as u32)
        };
        self.seed = seed;
        seed
    }

    /// The next value in 0..=WEAKRAND_MAX. The generator is the linear congruential one upstream
    /// documents (multiplier 1103515245, increment 12345, modulus 2^31, as glibc's TYPE_0
    /// `rand`), so seeded sequences are the same as upstream's.
    pub fn draw(&mut self) -> i32 {
        self.seed = self.seed.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
        self.seed as i32
    }

    /// A value in 0..top (`top` must be positive). Uses the high bits, since an LCG's low bits
    /// repeat with short periods.
    pub fn below(&mut self, top: i32) -> i32 {
        let divisor = WEAKRAND_MAX / top;
        loop {
            let r = self.draw() / divisor;
            if r < top {
                return r;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weakrand_sequence_is_upstreams_lcg() {
        let mut r = WeakRand { seed: 12346789 };
        assert_eq!(r.draw(), 969784698);
        // The same generator as glibc's TYPE_0 random() from seed 1.
        let mut one = WeakRand { seed: 1 };
        assert_eq!(one.draw(), 1103527590);
        assert_eq!(one.draw(), 377401575);
        assert_eq!(one.draw(), 662824084);
    }

    #[test]
    fn weakrand_range_stays_in_bounds() {
        let mut r = WeakRand::default();
        assert_ne!(r.seed(0), 0);
        for _ in 0..10000 {
            let v = r.below(9999);
            assert!((0..9999).contains(&v));
        }
        assert_eq!(r.below(1), 0);
    }

    #[test]
    fn secure_bytes_fill_every_position() {
        let mut seen = [0u8; 32];
        for _ in 0..8 {
            let mut buf = [0u8; 32];
            fill_secure(&mut buf).unwrap();
            for (s, b) in seen.iter_mut().zip(buf) {
                *s |= b;
            }
        }
        assert!(seen.iter().all(|&b| b != 0));
    }

    #[test]
    fn fallback_device_is_readable() {
        let mut buf = [0u8; 64];
        fill_from_device(&mut buf).unwrap();
        assert!(buf.iter().any(|&b| b != 0));
    }
}
