//! The server's one integration test binary: real servers on 127.0.0.1:0 over both backends
//! (a real PostgreSQL cluster started by the harness), real app stores, real HTTP.

mod it;
