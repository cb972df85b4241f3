use super::rpc_path;

#[test]
fn rpc_paths() {
    assert_eq!(rpc_path(c"Message").as_bytes(), b"/.rpc.Message");
    assert_eq!(rpc_path(c"").as_bytes(), b"/.rpc.");
    assert_eq!(rpc_path(c"a/b c").as_bytes(), b"/.rpc.a/b c");
}
