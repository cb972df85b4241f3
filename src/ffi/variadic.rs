//! Exported C-variadic functions. Stable Rust cannot define them, so each exported name is a
//! naked trampoline that jumps, registers untouched, to its implementation in capi/*.c. The
//! trampolines are `#[no_mangle]` Rust items, which is what puts them in the library's export list.

macro_rules! variadic_trampoline {
    ($($name:ident => $target:ident),* $(,)?) => {
        extern "C" {
            $(fn $target();)*
        }
        $(
            #[unsafe(naked)]
            #[no_mangle]
            pub extern "C" fn $name() {
                core::arch::naked_asm!("jmp {0}", sym $target)
            }
        )*
    };
}

variadic_trampoline! {
    evutil_snprintf => capi_evutil_snprintf,
    evutil_vsnprintf => capi_evutil_vsnprintf,
    event_err => capi_event_err,
    event_warn => capi_event_warn,
    event_sock_err => capi_event_sock_err,
    event_sock_warn => capi_event_sock_warn,
    event_errx => capi_event_errx,
    event_warnx => capi_event_warnx,
    event_msgx => capi_event_msgx,
    event_debugx_ => capi_event_debugx_,
    event_logv_ => capi_event_logv_,
    evbuffer_add_printf => capi_evbuffer_add_printf,
    evbuffer_add_vprintf => capi_evbuffer_add_vprintf,
}
