//! Arbitrary batches of events (see `jiesu_core::fuzzing::events`) through every check and
//! fold a replica runs on what it receives, and the arithmetic the lists and figures do on the
//! result, without a database (the `replica` target adds one). A panic is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut u = arbitrary::Unstructured::new(data);
    if let Ok(events) = jiesu_core::fuzzing::events(&mut u) {
        jiesu_core::fuzzing::fold(&events);
    }
});
