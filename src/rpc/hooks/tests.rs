use std::cell::RefCell;
use std::ffi::c_int;
use std::ptr;

use super::*;

/// What the test hooks see: the hooks they run in (to change them mid-run) and a log of
/// which hook ran, by the number each was added with.
struct Run<'a> {
    hooks: &'a Hooks,
    log: RefCell<Vec<usize>>,
    /// Hook number -> what it returns; a number not listed continues.
    results: Vec<(usize, c_int)>,
    /// Hook number that removes itself when it runs.
    remove_self: Option<usize>,
    /// Hook number that adds hook 99 when it runs.
    adds: Option<usize>,
}

unsafe extern "C" fn logging_hook(ctx: *mut c_void, _req: *mut EvhttpRequest, _buf: *mut Evbuffer, arg: *mut c_void) -> c_int {
    // SAFETY: the tests pass a live Run as ctx.
    let run = unsafe { &*ctx.cast::<Run>() };
    let n = arg as usize;
    run.log.borrow_mut().push(n);
    if run.remove_self == Some(n) {
        let handle = HANDLES.with(|h| h.borrow()[n]);
        assert!(run.hooks.remove(Direction::Input, handle));
    }
    if run.adds == Some(n) {
        run.hooks.add(Direction::Input, logging_hook, 99 as *mut c_void);
    }
    run.results.iter().find(|(k, _)| *k == n).map_or(EVRPC_CONTINUE, |&(_, r)| r)
}

thread_local! {
    /// Handles of the hooks added by `add_numbered`, by number.
    static HANDLES: RefCell<Vec<*mut c_void>> = const { RefCell::new(Vec::new()) };
}

/// Adds input hooks numbered 0..n.
fn add_numbered(hooks: &Hooks, n: usize) {
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        h.clear();
        for i in 0..n {
            h.push(hooks.add(Direction::Input, logging_hook, i as *mut c_void));
        }
    });
}

fn run_input(run: &Run) -> Verdict {
    let ctx = ptr::from_ref(run).cast_mut().cast();
    // SAFETY: the hooks only read ctx, as a Run; no request or body is touched.
    unsafe { run.hooks.run(Direction::Input, ctx, ptr::null_mut(), ptr::null_mut()) }
}

fn run_with(hooks: &Hooks) -> Run<'_> {
    Run { hooks, log: RefCell::new(Vec::new()), results: Vec::new(), remove_self: None, adds: None }
}

#[test]
fn results_of_hooks_and_resumes() {
    assert_eq!(Verdict::of_hook(EVRPC_CONTINUE), Verdict::Continue);
    assert_eq!(Verdict::of_hook(EVRPC_PAUSE), Verdict::Pause);
    assert_eq!(Verdict::of_hook(EVRPC_TERMINATE), Verdict::Terminate);
    assert_eq!(Verdict::of_hook(2), Verdict::Terminate);
    assert_eq!(Verdict::of_hook(-7), Verdict::Terminate);
    assert_eq!(Verdict::of_resume(EVRPC_TERMINATE), Verdict::Terminate);
    assert_eq!(Verdict::of_resume(EVRPC_CONTINUE), Verdict::Continue);
    assert_eq!(Verdict::of_resume(EVRPC_PAUSE), Verdict::Continue);
    assert_eq!(Direction::from_c(EVRPC_INPUT), Some(Direction::Input));
    assert_eq!(Direction::from_c(EVRPC_OUTPUT), Some(Direction::Output));
    assert_eq!(Direction::from_c(2), None);
    assert_eq!(Direction::from_c(-1), None);
}

#[test]
fn hooks_run_in_order_until_one_stops() {
    let hooks = Hooks::default();
    assert!(!hooks.has(Direction::Input));
    add_numbered(&hooks, 4);
    assert!(hooks.has(Direction::Input) && !hooks.has(Direction::Output));
    let run = run_with(&hooks);
    assert_eq!(run_input(&run), Verdict::Continue);
    assert_eq!(*run.log.borrow(), [0, 1, 2, 3]);

    let mut run = run_with(&hooks);
    run.results = vec![(1, EVRPC_PAUSE)];
    assert_eq!(run_input(&run), Verdict::Pause);
    assert_eq!(*run.log.borrow(), [0, 1]);

    let mut run = run_with(&hooks);
    run.results = vec![(2, EVRPC_TERMINATE)];
    assert_eq!(run_input(&run), Verdict::Terminate);
    assert_eq!(*run.log.borrow(), [0, 1, 2]);
}

#[test]
fn hooks_may_change_the_list_while_it_runs() {
    let hooks = Hooks::default();
    add_numbered(&hooks, 3);
    // Hook 1 removes itself: 2 still runs, once.
    let mut run = run_with(&hooks);
    run.remove_self = Some(1);
    assert_eq!(run_input(&run), Verdict::Continue);
    assert_eq!(*run.log.borrow(), [0, 1, 2]);
    let run = run_with(&hooks);
    run_input(&run);
    assert_eq!(*run.log.borrow(), [0, 2]);

    // Hook 0 adds one at the end: it runs in the same pass.
    let mut run = run_with(&hooks);
    run.adds = Some(0);
    run_input(&run);
    assert_eq!(*run.log.borrow(), [0, 2, 99]);
}

#[test]
fn removing_needs_the_right_handle_and_list() {
    let hooks = Hooks::default();
    let a = hooks.add(Direction::Input, logging_hook, ptr::null_mut());
    let b = hooks.add(Direction::Output, logging_hook, ptr::null_mut());
    assert_ne!(a, b);
    assert!(!hooks.remove(Direction::Output, a));
    assert!(!hooks.remove(Direction::Input, ptr::null_mut()));
    assert!(hooks.remove(Direction::Input, a));
    assert!(!hooks.remove(Direction::Input, a));
    assert!(hooks.has(Direction::Output));
    hooks.clear();
    assert!(!hooks.has(Direction::Output) && !hooks.remove(Direction::Output, b));
}

thread_local! {
    static RESUMED: RefCell<Vec<(usize, Verdict)>> = const { RefCell::new(Vec::new()) };
}

unsafe fn note_resume(ctx: *mut c_void, verdict: Verdict) {
    RESUMED.with(|r| r.borrow_mut().push((ctx as usize, verdict)));
}

/// A stand-in context: only compared, never read.
fn ctx(n: usize) -> *mut c_void {
    ptr::without_provenance_mut(n)
}

#[test]
fn paused_rpcs_resume_once() {
    let hooks = Hooks::default();
    hooks.pause(ctx(1), note_resume);
    hooks.pause(ctx(2), note_resume);
    // SAFETY: the resume step only records its arguments.
    unsafe {
        assert!(!hooks.resume(ctx(3), EVRPC_CONTINUE));
        assert!(hooks.resume(ctx(2), EVRPC_TERMINATE));
        assert!(!hooks.resume(ctx(2), EVRPC_CONTINUE));
    }
    RESUMED.with(|r| assert_eq!(*r.borrow(), [(2, Verdict::Terminate)]));
    assert_eq!(hooks.take_paused(), [ctx(1)]);
    assert!(hooks.unpause(ctx(1)).is_none());
}

#[test]
fn meta_data_is_copied_and_found_by_key() {
    let slot = MetaSlot::default();
    assert!(slot.connection().is_null());
    assert_eq!(slot.find(c"k"), None);
    let mut data = *b"abc";
    slot.add(c"k", &data);
    data.fill(b'x');
    assert_eq!(data, *b"xxx");
    let (p, len) = slot.find(c"k").expect("added");
    assert_eq!(len, 3);
    // SAFETY: the slot's copy, 3 bytes, alive until cleared.
    assert_eq!(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }, b"abc");
    // The first value of a key wins, and earlier data stays where it was.
    slot.add(c"k", b"second");
    for i in 0..50 {
        slot.add(c"filler", &[i]);
    }
    assert_eq!(slot.find(c"k"), Some((p, 3)));
    slot.add(c"empty", b"");
    assert_eq!(slot.find(c"empty"), Some((ptr::null_mut(), 0)));
    assert_eq!(slot.find(c"K"), None);

    let fake = ptr::without_provenance_mut::<EvhttpConnection>(0x1000);
    slot.set_connection(fake);
    assert_eq!(slot.connection(), fake);
    assert!(slot.find(c"k").is_some());
    slot.clear();
    assert!(slot.connection().is_null() && slot.find(c"k").is_none());
}

#[test]
fn meta_slot_is_a_c_pointer() {
    assert_eq!(std::mem::size_of::<MetaSlot>(), std::mem::size_of::<*mut c_void>());
    let slot = MetaSlot::default();
    let raw = ptr::from_ref(&slot).cast::<*const c_void>();
    // SAFETY: MetaSlot is one nullable pointer, as C reads hook_meta.
    assert!(unsafe { *raw }.is_null());
    slot.add(c"k", b"v");
    // SAFETY: as above.
    assert!(!unsafe { *raw }.is_null());
}
