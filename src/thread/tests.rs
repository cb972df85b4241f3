//! Tests of callback installation, lock debugging and the event loop's API. They change the
//! process-wide tables, so each takes `serial()` and starts from a clean state; misuse that must
//! abort runs in a child process (this test binary re-run with one test selected).

use std::ffi::{c_int, c_uint, c_void};
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::*;

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests and resets every table, as if the library were freshly loaded.
fn serial() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: the tests touching these statics are serialised by SERIAL.
    unsafe {
        ptr::write_volatile(&raw mut evthread_lock_fns_, LockCallbacks::NONE);
        ptr::write_volatile(&raw mut evthread_cond_fns_, ConditionCallbacks::NONE);
        ptr::write_volatile(&raw mut evthread_id_fn_, None);
        ptr::write_volatile(&raw mut evthread_lock_debugging_enabled_, 0);
        ptr::write_volatile(&raw mut REAL_LOCK_FNS, LockCallbacks::NONE);
        ptr::write_volatile(&raw mut REAL_COND_FNS, ConditionCallbacks::NONE);
    }
    LATE_SETUP_CHECK.store(0, Ordering::Release);
    guard
}

// Counting stand-in lock callbacks; two unlock functions so that tables can differ.
static STUB_LOCKS: AtomicUsize = AtomicUsize::new(0);
static STUB_UNLOCKS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn stub_alloc(_locktype: c_uint) -> *mut c_void {
    crate::mm::malloc(16)
}
unsafe extern "C" fn stub_free(lock: *mut c_void, _locktype: c_uint) {
    crate::mm::free(lock)
}
unsafe extern "C" fn stub_lock(_mode: c_uint, _lock: *mut c_void) -> c_int {
    STUB_LOCKS.fetch_add(1, Ordering::SeqCst);
    0
}
unsafe extern "C" fn stub_unlock(_mode: c_uint, _lock: *mut c_void) -> c_int {
    STUB_UNLOCKS.fetch_add(1, Ordering::SeqCst);
    0
}
unsafe extern "C" fn other_unlock(_mode: c_uint, _lock: *mut c_void) -> c_int {
    0
}

fn stub_table() -> LockCallbacks {
    LockCallbacks {
        lock_api_version: LOCK_API_VERSION,
        supported_locktypes: LOCKTYPE_RECURSIVE,
        alloc: Some(stub_alloc),
        free: Some(stub_free),
        lock: Some(stub_lock),
        unlock: Some(stub_unlock),
    }
}

fn pthread_tables() -> (LockCallbacks, ConditionCallbacks) {
    let _ = use_pthreads();
    let tables = (lock_fns(), cond_fns());
    serial_reset_tables();
    tables
}

fn serial_reset_tables() {
    // SAFETY: only called while holding SERIAL.
    unsafe {
        ptr::write_volatile(&raw mut evthread_lock_fns_, LockCallbacks::NONE);
        ptr::write_volatile(&raw mut evthread_cond_fns_, ConditionCallbacks::NONE);
        ptr::write_volatile(&raw mut evthread_id_fn_, None);
    }
}

/// Runs `f` on another thread and returns its result.
fn on_other_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().unwrap()
}

#[test]
fn without_callbacks_nothing_locks() {
    let _g = serial();
    assert!(!locking_enabled());
    assert!(alloc_lock(0).is_null());
    assert!(alloc_cond().is_null());
    lock(ptr::null_mut(), 0);
    unlock(ptr::null_mut(), 0);
    assert!(try_lock(ptr::null_mut()));
    assert_eq!(cond_wait(ptr::null_mut(), ptr::null_mut(), None), 0);
    assert_eq!(current_thread_id(), 0);
    assert!(is_lock_held(ptr::null_mut()));
}

#[test]
fn pthreads_locks_exclude_other_threads_and_recurse() {
    let _g = serial();
    assert_eq!(use_pthreads(), 0);
    assert!(locking_enabled());
    assert_eq!(current_thread_id(), unsafe_pthread_self());
    let l = alloc_lock(LOCKTYPE_RECURSIVE);
    assert!(!l.is_null());
    lock(l, 0);
    lock(l, 0);
    assert!(try_lock(l));
    let addr = l as usize;
    assert!(!on_other_thread(move || try_lock(addr as RawLock)));
    unlock(l, 0);
    unlock(l, 0);
    unlock(l, 0);
    assert!(on_other_thread(move || {
        let taken = try_lock(addr as RawLock);
        unlock(addr as RawLock, 0);
        taken
    }));
    free_lock(l, LOCKTYPE_RECURSIVE);
}

fn unsafe_pthread_self() -> libc::c_ulong {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() as libc::c_ulong }
}

#[test]
fn pthreads_cond_wait_times_out_with_1() {
    let _g = serial();
    use_pthreads();
    let (l, c) = (alloc_lock(0), alloc_cond());
    assert!(!c.is_null());
    lock(l, 0);
    let tv = libc::timeval { tv_sec: 0, tv_usec: 10_000 };
    assert_eq!(cond_wait(c, l, Some(&tv)), 1);
    unlock(l, 0);
    cond_signal(c, true);
    free_cond(c);
    free_lock(l, 0);
}

#[test]
fn lock_callbacks_cannot_be_replaced_by_different_ones() {
    let _g = serial();
    let stubs = stub_table();
    assert_eq!(set_lock_callbacks(Some(&stubs)), 0);
    assert_eq!(set_lock_callbacks(Some(&stubs)), 0, "the same table again is fine");
    let different = LockCallbacks { unlock: Some(other_unlock), ..stubs };
    assert_eq!(set_lock_callbacks(Some(&different)), -1);
    assert!(lock_fns().same_as(&stubs), "the refused table changed nothing");
    let other_version = LockCallbacks { lock_api_version: 2, ..stubs };
    assert_eq!(set_lock_callbacks(Some(&other_version)), -1);

    // The loop's API goes through the installed table.
    let (locks, unlocks) = (STUB_LOCKS.load(Ordering::SeqCst), STUB_UNLOCKS.load(Ordering::SeqCst));
    let l = alloc_lock(0);
    lock(l, 0);
    unlock(l, 0);
    assert_eq!(STUB_LOCKS.load(Ordering::SeqCst), locks + 1);
    assert_eq!(STUB_UNLOCKS.load(Ordering::SeqCst), unlocks + 1);
    free_lock(l, 0);

    assert_eq!(set_lock_callbacks(None), 0);
    assert!(!locking_enabled());
    assert_eq!(set_lock_callbacks(Some(&different)), 0, "after clearing, new callbacks go in");
    let incomplete = LockCallbacks { free: None, ..stubs };
    assert_eq!(set_lock_callbacks(None), 0);
    assert_eq!(set_lock_callbacks(Some(&incomplete)), -1);
    assert!(!locking_enabled());
}

#[test]
fn condition_callbacks_cannot_be_replaced_by_different_ones() {
    let _g = serial();
    let (_, pthread_conds) = pthread_tables();
    assert_eq!(set_condition_callbacks(Some(&pthread_conds)), 0);
    assert_eq!(set_condition_callbacks(Some(&pthread_conds)), 0);
    let different = ConditionCallbacks { condition_api_version: 7, ..pthread_conds };
    assert_eq!(set_condition_callbacks(Some(&different)), -1);
    assert!(cond_fns().same_as(&pthread_conds));
    assert_eq!(set_condition_callbacks(None), 0);
    let incomplete = ConditionCallbacks { wait_condition: None, ..pthread_conds };
    assert_eq!(set_condition_callbacks(Some(&incomplete)), 0, "ignored, as upstream");
    assert!(cond_fns().alloc_condition.is_none());
}

#[test]
fn debugging_enabled_before_pthreads_wraps_them() {
    // The regress suite's order: lock debugging first, evthread_use_pthreads in each test.
    let _g = serial();
    let (pthread_locks, pthread_conds) = pthread_tables();
    enable_lock_debugging();
    assert!(lock_debugging_enabled());
    assert!(locking_enabled(), "debug locks exist even without real callbacks");
    assert_eq!(use_pthreads(), 0);
    assert!(debug::is_debug_lock_table(&lock_fns()), "the wrappers stay in front");
    assert!(real_lock_fns().same_as(&pthread_locks));
    // SAFETY: user_lock_table points to one of our statics.
    assert!(unsafe { *user_lock_table() }.same_as(&pthread_locks), "get_lock_callbacks gives the real ones");
    assert!(real_cond_fns().same_as(&pthread_conds));
    let exported_conds = cond_fns();
    assert!(same_fn(exported_conds.alloc_condition, pthread_conds.alloc_condition, |f| f as usize));
    assert!(debug::is_debug_cond_wait(exported_conds.wait_condition));
    assert_eq!(use_pthreads(), 0, "installing the same callbacks twice is fine");

    let l = alloc_lock(0);
    assert!(!debug::real_lock(l).is_null(), "a real pthread mutex inside");
    assert!(!is_lock_held(l));
    lock(l, 0);
    assert_eq!(debug::holder_and_count(l), (current_thread_id(), 1));
    assert!(is_lock_held(l));
    let addr = l as usize;
    assert!(!on_other_thread(move || is_lock_held(addr as RawLock)), "held, but not by that thread");
    assert!(!on_other_thread(move || try_lock(addr as RawLock)), "the real mutex excludes");

    let c = alloc_cond();
    let tv = libc::timeval { tv_sec: 0, tv_usec: 10_000 };
    assert_eq!(cond_wait(c, l, Some(&tv)), 1);
    assert_eq!(debug::holder_and_count(l), (current_thread_id(), 1), "held again after the wait");
    free_cond(c);

    unlock(l, 0);
    assert_eq!(debug::holder_and_count(l), (0, 0));
    assert!(!is_lock_held(l));
    free_lock(l, 0);
}

#[test]
fn debugging_enabled_after_pthreads_wraps_them() {
    let _g = serial();
    assert_eq!(use_pthreads(), 0);
    let pthread_locks = lock_fns();
    let plain = alloc_lock(0);
    enable_lock_debugging();
    enable_lock_debugging();
    assert!(debug::is_debug_lock_table(&lock_fns()));
    assert!(real_lock_fns().same_as(&pthread_locks), "a second enable does not wrap the wrappers");
    assert!(is_lock_held(plain), "a lock from before debugging is not judged");
    assert_eq!(use_pthreads(), 0);
    assert_eq!(set_lock_callbacks(Some(&stub_table())), -1, "compared with the real callbacks");

    let r = alloc_lock(LOCKTYPE_RECURSIVE);
    lock(r, 0);
    lock(r, 0);
    assert_eq!(debug::holder_and_count(r), (current_thread_id(), 2));
    unlock(r, 0);
    assert!(is_lock_held(r));
    unlock(r, 0);
    assert!(!is_lock_held(r));
    free_lock(r, LOCKTYPE_RECURSIVE);

    // evthreadimpl_disable_lock_debugging_ leaves the wrappers working; the lock from before
    // debugging must be freed with the real callbacks it came from.
    disable_lock_debugging();
    assert!(!lock_debugging_enabled());
    // SAFETY: plain came from the pthread allocator.
    unsafe { pthread_locks.free.unwrap()(plain, 0) };
}

#[test]
fn debugging_without_real_locks_counts_holds() {
    let _g = serial();
    enable_lock_debugging();
    let l = alloc_lock(LOCKTYPE_RECURSIVE);
    assert!(!l.is_null());
    assert!(debug::real_lock(l).is_null());
    lock(l, 0);
    lock(l, 0);
    assert_eq!(debug::holder_and_count(l), (0, 2), "no id callback: holder not tracked");
    assert!(debug::is_held(l));
    unlock(l, 0);
    unlock(l, 0);
    assert!(!debug::is_held(l));
    free_lock(l, LOCKTYPE_RECURSIVE);
}

#[test]
fn reenabling_after_disable_keeps_the_real_callbacks() {
    // The sequence of upstream's bufferevent lock-profiler test: the user table is cleared and
    // replaced while debugging is switched off and on again.
    let _g = serial();
    enable_lock_debugging();
    use_pthreads();
    let (pthread_locks, pthread_conds) = (real_lock_fns(), real_cond_fns());
    disable_lock_debugging();
    enable_lock_debugging();
    assert!(real_lock_fns().same_as(&pthread_locks));
    assert!(real_cond_fns().same_as(&pthread_conds));

    assert_eq!(set_lock_callbacks(None), 0, "clears the real table behind the wrappers");
    assert!(real_lock_fns().alloc.is_none());
    disable_lock_debugging();
    assert_eq!(set_lock_callbacks(None), 0, "now clears the exported table");
    assert!(!locking_enabled());
    assert_eq!(set_lock_callbacks(Some(&stub_table())), 0);
    enable_lock_debugging();
    assert!(real_lock_fns().same_as(&stub_table()));
    let before = STUB_LOCKS.load(Ordering::SeqCst);
    let l = alloc_lock(0);
    lock(l, 0);
    unlock(l, 0);
    assert!(STUB_LOCKS.load(Ordering::SeqCst) > before, "debug locks forward to the new callbacks");
    free_lock(l, 0);
}

#[test]
fn global_locks_follow_locking_and_debugging() {
    let _g = serial();
    // Locking switched on, no debugging: a plain lock.
    use_pthreads();
    let plain = setup_global_lock(ptr::null_mut(), LOCKTYPE_RECURSIVE, true);
    assert!(!plain.is_null());
    enable_lock_debugging();
    // Debugging switched on over locking: the recursive lock is wrapped, kept inside.
    let wrapped = setup_global_lock(plain, LOCKTYPE_RECURSIVE, false);
    assert_eq!(debug::real_lock(wrapped), plain);
    // A non-recursive one is freed and replaced by a debug lock with a fresh recursive real lock.
    // SAFETY: calling the real pthread allocator with a lock type.
    let nonrec = unsafe { real_lock_fns().alloc.unwrap()(0) };
    let replaced = setup_global_lock(nonrec, 0, false);
    assert!(!debug::real_lock(replaced).is_null());
    lock(replaced, 0);
    assert!(is_lock_held(replaced));
    unlock(replaced, 0);
    free_lock(wrapped, LOCKTYPE_RECURSIVE);
    free_lock(replaced, 0);
}

#[test]
fn global_locks_made_under_debugging_get_real_locks_later() {
    let _g = serial();
    enable_lock_debugging();
    // Debugging switched on without locking: a debug lock with nothing inside.
    let g = setup_global_lock(ptr::null_mut(), 0, false);
    assert!(debug::real_lock(g).is_null());
    // Locking switched on later: the same debug lock gains a real lock.
    use_pthreads();
    let same = setup_global_lock(g, 0, true);
    assert_eq!(same, g);
    assert!(!debug::real_lock(g).is_null());
    free_lock(g, 0);
}

const MISUSE_ENV: &str = "EVENT_RS_THREAD_TEST_MISUSE";

/// Performs one kind of lock misuse; returns only if it went unnoticed.
fn misuse(kind: &str) {
    match kind {
        "unlock-unheld" => {
            enable_lock_debugging();
            unlock(alloc_lock(0), 0);
        }
        "relock-nonrecursive" => {
            enable_lock_debugging();
            let l = alloc_lock(0);
            lock(l, 0);
            lock(l, 0);
        }
        "unlock-by-other-thread" => {
            enable_lock_debugging();
            use_pthreads();
            let l = alloc_lock(LOCKTYPE_RECURSIVE) as usize;
            on_other_thread(move || lock(l as RawLock, 0));
            unlock(l as RawLock, 0);
        }
        "free-held" => {
            enable_lock_debugging();
            let l = alloc_lock(0);
            lock(l, 0);
            free_lock(l, 0);
        }
        "readwrite-mode-on-plain-lock" => {
            enable_lock_debugging();
            lock(alloc_lock(0), LOCK_READ);
        }
        "wait-without-lock" => {
            enable_lock_debugging();
            use_pthreads();
            let tv = libc::timeval { tv_sec: 0, tv_usec: 1 };
            cond_wait(alloc_cond(), alloc_lock(0), Some(&tv));
        }
        "setup-too-late" => {
            set_late_setup_check(|| true);
            use_pthreads();
        }
        _ => panic!("unknown misuse {kind}"),
    }
}

#[test]
fn lock_misuse_is_fatal() {
    if let Ok(kind) = std::env::var(MISUSE_ENV) {
        let _g = serial();
        misuse(&kind);
        std::process::exit(0);
    }
    let kinds = [
        ("unlock-unheld", None),
        ("relock-nonrecursive", None),
        ("unlock-by-other-thread", None),
        ("free-held", None),
        ("readwrite-mode-on-plain-lock", None),
        ("wait-without-lock", None),
        ("setup-too-late", Some(1)),
    ];
    for (kind, exit_code) in kinds {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "thread::tests::lock_misuse_is_fatal", "--nocapture", "--test-threads=1"])
            .env(MISUSE_ENV, kind)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        match exit_code {
            None => {
                assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{kind} must abort: {stderr}");
                assert!(stderr.contains("Assertion"), "{kind} names the broken assertion: {stderr}");
            }
            Some(code) => assert_eq!(out.status.code(), Some(code), "{kind}: {stderr}"),
        }
    }
}

#[test]
fn setup_is_allowed_while_the_core_says_so() {
    let _g = serial();
    set_late_setup_check(|| false);
    assert_eq!(use_pthreads(), 0);
    assert!(locking_enabled());
}
