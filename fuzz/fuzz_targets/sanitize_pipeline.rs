//! sanitize_pipeline: the whole `pcapscrub sanitize` on a capture, with the default policy
//! (ticket) and a fixed key. See `pcapscrub_fuzz::pipeline` for the modes and invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pcapscrub_fuzz::pipeline(data);
});
