//! What the benchmarks share.

// Each bench is its own crate and uses part of this.
#![allow(dead_code)]

/// The allocator the binaries use (`src-tauri/src/main.rs`), so a benchmark measures what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's peak resident set (VmHWM), in MiB.
pub fn peak_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The `p` quantile (0–1) of `xs`, nearest rank.
pub fn percentile(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[((xs.len() as f64 - 1.0) * p).round() as usize]
}

/// The benches' administrator: its login and password.
pub const LOGIN: &str = "bench";
pub const PASSWORD: &str = "bench-password";

/// The account the benches make their stores' first administrator.
pub fn first_admin() -> jiesu_core::access::NewAccount {
    jiesu_core::access::NewAccount {
        login: LOGIN.into(),
        name: "基准".into(),
        role: jiesu_core::Role::Admin,
        password: PASSWORD.into(),
    }
}
