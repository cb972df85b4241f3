//! Entry points of `event2/bufferevent.h` (so far: the token-bucket configurations) and
//! upstream's internal `ev_token_bucket_*_` helpers (ratelim-internal.h), over
//! `crate::bufferevent::ratelim`.

use std::ffi::{c_int, c_void};
use std::ptr;

use libc::timeval;

use crate::bufferevent::ratelim::{TokenBucket, TokenBucketCfg};
use crate::mm;

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_cfg_new(
    read_rate: usize,
    read_burst: usize,
    write_rate: usize,
    write_burst: usize,
    tick_len: *const timeval,
) -> *mut TokenBucketCfg {
    // SAFETY: tick_len is NULL or points to a struct timeval (caller's contract).
    let tick_len = unsafe { tick_len.as_ref() }.copied();
    let cfg = match TokenBucketCfg::new(read_rate, read_burst, write_rate, write_burst, tick_len) {
        Ok(cfg) => cfg,
        Err(why) => {
            warnx!("ev_token_bucket_cfg_new: {why}");
            return ptr::null_mut();
        }
    };
    // Through the user's allocator: the program frees it with ev_token_bucket_cfg_free.
    let p = mm::malloc(std::mem::size_of::<TokenBucketCfg>()).cast::<TokenBucketCfg>();
    if !p.is_null() {
        // SAFETY: p is a fresh allocation of the right size; malloc aligns for any type.
        unsafe { p.write(cfg) };
    }
    p
}

#[no_mangle]
pub extern "C" fn ev_token_bucket_cfg_free(cfg: *mut TokenBucketCfg) {
    mm::free(cfg.cast::<c_void>());
}

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_init_(
    bucket: *mut TokenBucket,
    cfg: *const TokenBucketCfg,
    current_tick: u32,
    reinitialize: c_int,
) -> c_int {
    ensure_arg!(!bucket.is_null() && !cfg.is_null(), -1, "ev_token_bucket_init_: NULL bucket or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (bucket, cfg) = unsafe { (&mut *bucket, &*cfg) };
    if reinitialize != 0 {
        bucket.clip_to(cfg);
    } else {
        *bucket = TokenBucket::new(cfg, current_tick);
    }
    0
}

/// 1 if ticks passed and the bucket was refilled, 0 if not.
#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_update_(
    bucket: *mut TokenBucket,
    cfg: *const TokenBucketCfg,
    current_tick: u32,
) -> c_int {
    ensure_arg!(!bucket.is_null() && !cfg.is_null(), -1, "ev_token_bucket_update_: NULL bucket or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (bucket, cfg) = unsafe { (&mut *bucket, &*cfg) };
    c_int::from(bucket.refill(cfg, current_tick))
}

#[no_mangle]
pub unsafe extern "C" fn ev_token_bucket_get_tick_(tv: *const timeval, cfg: *const TokenBucketCfg) -> u32 {
    ensure_arg!(!tv.is_null() && !cfg.is_null(), 0, "ev_token_bucket_get_tick_: NULL time or cfg");
    // SAFETY: both point to their structs (checked non-NULL; caller's contract otherwise).
    let (tv, cfg) = unsafe { (&*tv, &*cfg) };
    cfg.tick_of(tv)
}
