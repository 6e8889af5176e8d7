//! Arbitrary batches of events through a real in-memory replica: stored and folded as
//! received, read back by every query the window makes, rebuilt from the log (which must give
//! the same cases), and still filing. Slower than `fold` (a store costs milliseconds). A panic
//! is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(events) = jiesu_core::fuzzing::events(&mut u) {
        jiesu_core::fuzzing::replica(&events);
    }
});
