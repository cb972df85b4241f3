//! Compiles the C side of the ABI (capi/*.c: variadic shims and exported data objects) and gives
//! the shared library libevent's soname-compatible name of our own.
fn main() {
    let mut build = cc::Build::new();
    let mut files: Vec<_> = std::fs::read_dir("capi")
        .expect("capi/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    files.sort();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        build.file(f);
    }
    println!("cargo:rerun-if-changed=capi");
    build
        .include("include")
        .flag_if_supported("-fvisibility=default")
        .warnings(true)
        .compile("event_rs_capi");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libevent_rs.so");
}
