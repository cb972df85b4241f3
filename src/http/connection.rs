//! HTTP connections (being written).

/// `struct evhttp_connection` (opaque to C).
pub struct Connection {
    _private: (),
}
