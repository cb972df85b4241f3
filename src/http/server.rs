//! The HTTP server (being written).

/// `struct evhttp_bound_socket` (opaque to C).
pub struct BoundSocket {
    _private: (),
}
