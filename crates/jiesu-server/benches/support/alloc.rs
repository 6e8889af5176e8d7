//! The allocator the server binary uses (`src/main.rs`), so a benchmark measures what ships.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
