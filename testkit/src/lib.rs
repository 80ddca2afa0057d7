//! Byte builders for pcapscrub's tests, fuzz targets and example generators: frames
//! (Ethernet and its relatives, IPv4, IPv6, TCP, UDP, ICMP), capture files (pcap, pcapng) and
//! TLS records and handshake messages. One builder per thing, so every test builds a frame the
//! same way.
//!
//! testkit does not depend on pcapscrub: it builds bytes, and the library's own unit tests use
//! it as a dev-dependency; a dependency back on pcapscrub would give them a second copy of the
//! library's types. Readers of what pcapscrub writes live with the tests that read it
//! (`tests/fixtures_gen`). [`need`] decides what a test does when the corpus or a tool it
//! needs is missing.

pub mod checksum;
pub mod conv;
pub mod fixture;
pub mod fragments;
pub mod link;
pub mod need;
pub mod net;
pub mod pcap;
pub mod pcapng;
pub mod tcp;
pub mod tls;

mod bytes;
