//! `evthread_use_pthreads` (libevent_pthreads): lock, condition and id callbacks over POSIX
//! threads. Locks are `pthread_mutex_t` (recursive when asked), conditions `pthread_cond_t`,
//! both allocated through the user's allocator like everything handed out.
//!
//! Condition variables measure timeouts on CLOCK_MONOTONIC, so a wall-clock jump neither cuts a
//! timed wait short nor stretches it.

use std::ffi::{c_int, c_uint, c_ulong, c_void};
use std::mem::{size_of, MaybeUninit};
use std::ptr;

use super::{
    set_condition_callbacks, set_id_callback, set_lock_callbacks, ConditionCallbacks, LockCallbacks,
    CONDITION_API_VERSION, LOCKTYPE_RECURSIVE, LOCK_API_VERSION, LOCK_TRY,
};
use crate::mm;

const LOCK_CALLBACKS: LockCallbacks = LockCallbacks {
    lock_api_version: LOCK_API_VERSION,
    supported_locktypes: LOCKTYPE_RECURSIVE,
    alloc: Some(mutex_alloc),
    free: Some(mutex_free),
    lock: Some(mutex_lock),
    unlock: Some(mutex_unlock),
};

const CONDITION_CALLBACKS: ConditionCallbacks = ConditionCallbacks {
    condition_api_version: CONDITION_API_VERSION,
    alloc_condition: Some(cond_alloc),
    free_condition: Some(cond_free),
    signal_condition: Some(cond_signal),
    wait_condition: Some(cond_wait),
};

/// `evthread_use_pthreads`: installs the POSIX callbacks (lock, condition, thread id). Calling it
/// again is harmless. Like upstream it reports success even when other callbacks were already
/// installed (they stay, with a warning).
pub fn use_pthreads() -> c_int {
    set_lock_callbacks(Some(&LOCK_CALLBACKS));
    set_condition_callbacks(Some(&CONDITION_CALLBACKS));
    set_id_callback(Some(thread_id));
    0
}

unsafe extern "C" fn mutex_alloc(locktype: c_uint) -> *mut c_void {
    let m = mm::malloc(size_of::<libc::pthread_mutex_t>()).cast::<libc::pthread_mutex_t>();
    if m.is_null() {
        return ptr::null_mut();
    }
    let mut attr = MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
    // SAFETY: attr is initialised by pthread_mutexattr_init before any other use and destroyed
    // after pthread_mutex_init, which copies what it needs; m is a fresh mutex-sized allocation.
    let r = unsafe {
        let mut r = libc::pthread_mutexattr_init(attr.as_mut_ptr());
        if r == 0 {
            if locktype & LOCKTYPE_RECURSIVE != 0 {
                r = libc::pthread_mutexattr_settype(attr.as_mut_ptr(), libc::PTHREAD_MUTEX_RECURSIVE);
            }
            if r == 0 {
                r = libc::pthread_mutex_init(m, attr.as_ptr());
            }
            libc::pthread_mutexattr_destroy(attr.as_mut_ptr());
        }
        r
    };
    if r != 0 {
        mm::free(m.cast());
        return ptr::null_mut();
    }
    m.cast()
}

unsafe extern "C" fn mutex_free(lock: *mut c_void, _locktype: c_uint) {
    // SAFETY: lock is an unheld mutex made by mutex_alloc (caller's contract).
    unsafe { libc::pthread_mutex_destroy(lock.cast()) };
    mm::free(lock);
}

unsafe extern "C" fn mutex_lock(mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: lock is a mutex made by mutex_alloc (caller's contract).
    unsafe {
        if mode & LOCK_TRY != 0 {
            libc::pthread_mutex_trylock(lock.cast())
        } else {
            libc::pthread_mutex_lock(lock.cast())
        }
    }
}

unsafe extern "C" fn mutex_unlock(_mode: c_uint, lock: *mut c_void) -> c_int {
    // SAFETY: lock is a mutex made by mutex_alloc and held by this thread (caller's contract).
    unsafe { libc::pthread_mutex_unlock(lock.cast()) }
}

unsafe extern "C" fn thread_id() -> c_ulong {
    // SAFETY: pthread_self has no preconditions; pthread_t is an unsigned long on Linux.
    unsafe { libc::pthread_self() as c_ulong }
}

unsafe extern "C" fn cond_alloc(_condtype: c_uint) -> *mut c_void {
    let c = mm::malloc(size_of::<libc::pthread_cond_t>()).cast::<libc::pthread_cond_t>();
    if c.is_null() {
        return ptr::null_mut();
    }
    let mut attr = MaybeUninit::<libc::pthread_condattr_t>::uninit();
    // SAFETY: as in mutex_alloc, for a condition variable and its attributes.
    let r = unsafe {
        let mut r = libc::pthread_condattr_init(attr.as_mut_ptr());
        if r == 0 {
            r = libc::pthread_condattr_setclock(attr.as_mut_ptr(), libc::CLOCK_MONOTONIC);
            if r == 0 {
                r = libc::pthread_cond_init(c, attr.as_ptr());
            }
            libc::pthread_condattr_destroy(attr.as_mut_ptr());
        }
        r
    };
    if r != 0 {
        mm::free(c.cast());
        return ptr::null_mut();
    }
    c.cast()
}

unsafe extern "C" fn cond_free(cond: *mut c_void) {
    // SAFETY: cond is a condition variable made by cond_alloc with no waiters (caller's contract).
    unsafe { libc::pthread_cond_destroy(cond.cast()) };
    mm::free(cond);
}

unsafe extern "C" fn cond_signal(cond: *mut c_void, broadcast: c_int) -> c_int {
    // SAFETY: cond is a condition variable made by cond_alloc (caller's contract).
    let r = unsafe {
        if broadcast != 0 {
            libc::pthread_cond_broadcast(cond.cast())
        } else {
            libc::pthread_cond_signal(cond.cast())
        }
    };
    if r == 0 {
        0
    } else {
        -1
    }
}

/// The monotonic-clock instant `timeout` from now, as pthread_cond_timedwait wants it.
fn deadline_after(timeout: &libc::timeval) -> libc::timespec {
    const NSEC_PER_SEC: i64 = 1_000_000_000;
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: now is a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    let nsec = now.tv_nsec + (timeout.tv_usec % 1_000_000) * 1000;
    let sec = now
        .tv_sec
        .saturating_add(timeout.tv_sec)
        .saturating_add(timeout.tv_usec / 1_000_000)
        .saturating_add(nsec.div_euclid(NSEC_PER_SEC));
    libc::timespec { tv_sec: sec, tv_nsec: nsec.rem_euclid(NSEC_PER_SEC) }
}

unsafe extern "C" fn cond_wait(cond: *mut c_void, lock: *mut c_void, timeout: *const libc::timeval) -> c_int {
    // SAFETY: timeout is null or points to a timeval (caller's contract).
    match unsafe { timeout.as_ref() } {
        Some(timeout) => {
            let deadline = deadline_after(timeout);
            // SAFETY: cond and lock come from cond_alloc / mutex_alloc and the caller holds lock.
            match unsafe { libc::pthread_cond_timedwait(cond.cast(), lock.cast(), &deadline) } {
                0 => 0,
                libc::ETIMEDOUT => 1,
                _ => -1,
            }
        }
        None => {
            // SAFETY: as above.
            match unsafe { libc::pthread_cond_wait(cond.cast(), lock.cast()) } {
                0 => 0,
                _ => -1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mutex from the callbacks, freed on drop.
    struct Mutex(*mut c_void);

    impl Mutex {
        fn new(locktype: u32) -> Mutex {
            // SAFETY: allocating a mutex with a valid lock type.
            let m = unsafe { mutex_alloc(locktype) };
            assert!(!m.is_null());
            Mutex(m)
        }
        fn lock(&self, mode: u32) -> c_int {
            // SAFETY: self.0 is a live mutex.
            unsafe { mutex_lock(mode, self.0) }
        }
        fn unlock(&self) -> c_int {
            // SAFETY: self.0 is a live mutex held by this thread (test's contract).
            unsafe { mutex_unlock(0, self.0) }
        }
    }

    impl Drop for Mutex {
        fn drop(&mut self) {
            // SAFETY: self.0 is a live, unheld mutex.
            unsafe { mutex_free(self.0, 0) }
        }
    }

    /// Whether another thread can take `m` right now (it tries without blocking).
    fn free_for_other_thread(m: &Mutex) -> bool {
        let addr = m.0 as usize;
        std::thread::spawn(move || {
            let other = Mutex(addr as *mut c_void);
            let taken = other.lock(LOCK_TRY) == 0;
            if taken {
                assert_eq!(other.unlock(), 0);
            }
            std::mem::forget(other);
            taken
        })
        .join()
        .unwrap()
    }

    #[test]
    fn plain_mutex_excludes_and_refuses_relock() {
        let m = Mutex::new(0);
        assert_eq!(m.lock(0), 0);
        assert!(!free_for_other_thread(&m));
        assert_eq!(m.lock(LOCK_TRY), libc::EBUSY, "a plain mutex is not recursive");
        assert_eq!(m.unlock(), 0);
        assert!(free_for_other_thread(&m));
    }

    #[test]
    fn recursive_mutex_nests() {
        let m = Mutex::new(LOCKTYPE_RECURSIVE);
        assert_eq!(m.lock(0), 0);
        assert_eq!(m.lock(0), 0);
        assert_eq!(m.lock(LOCK_TRY), 0);
        assert_eq!(m.unlock(), 0);
        assert_eq!(m.unlock(), 0);
        assert!(!free_for_other_thread(&m), "still held once");
        assert_eq!(m.unlock(), 0);
        assert!(free_for_other_thread(&m));
    }

    #[test]
    fn timed_wait_times_out_with_1_and_keeps_the_lock() {
        let m = Mutex::new(0);
        // SAFETY: allocating a condition variable.
        let c = unsafe { cond_alloc(0) };
        assert!(!c.is_null());
        assert_eq!(m.lock(0), 0);
        let tv = libc::timeval { tv_sec: 0, tv_usec: 20_000 };
        // SAFETY: c and m are live, m is held.
        assert_eq!(unsafe { cond_wait(c, m.0, &tv) }, 1);
        assert!(!free_for_other_thread(&m), "the wait returns with the lock held");
        assert_eq!(m.unlock(), 0);
        // SAFETY: c is live with no waiters.
        unsafe { cond_free(c) };
    }

    #[test]
    fn signalled_wait_returns_0() {
        let m = Mutex::new(0);
        // SAFETY: allocating a condition variable.
        let c = unsafe { cond_alloc(0) };
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (maddr, caddr, flag2) = (m.0 as usize, c as usize, flag.clone());
        assert_eq!(m.lock(0), 0);
        let signaller = std::thread::spawn(move || {
            let (m, c) = (maddr as *mut c_void, caddr as *mut c_void);
            // SAFETY: m and c stay alive until this thread is joined.
            unsafe {
                assert_eq!(mutex_lock(0, m), 0);
                flag2.store(true, std::sync::atomic::Ordering::SeqCst);
                assert_eq!(cond_signal(c, 1), 0);
                assert_eq!(mutex_unlock(0, m), 0);
            }
        });
        let long = libc::timeval { tv_sec: 30, tv_usec: 0 };
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: c and m are live, m is held.
            assert_eq!(unsafe { cond_wait(c, m.0, &long) }, 0);
        }
        assert_eq!(m.unlock(), 0);
        signaller.join().unwrap();
        // SAFETY: c is live with no waiters.
        unsafe { cond_free(c) };
    }

    #[test]
    fn deadline_normalises_microseconds() {
        let d = deadline_after(&libc::timeval { tv_sec: 1, tv_usec: 2_500_000 });
        assert!((0..1_000_000_000).contains(&d.tv_nsec));
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: now is a valid out-pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        assert!(d.tv_sec >= now.tv_sec + 3 && d.tv_sec <= now.tv_sec + 4);
    }

    #[test]
    fn thread_ids_differ_between_threads() {
        // SAFETY: thread_id has no preconditions.
        let here = unsafe { thread_id() };
        // SAFETY: as above.
        let there = std::thread::spawn(|| unsafe { thread_id() }).join().unwrap();
        assert_ne!(here, 0);
        assert_ne!(here, there);
    }
}
