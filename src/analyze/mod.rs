//! Pass 1: read the capture once, track connections, walk each TCP direction's stream for TLS
//! record headers, and note every address (with its role) for the mapping.
//!
//! `packets.rs` is the loop over the capture; each TCP segment goes through `tcp.rs` (which
//! connection, which events) to `stream.rs` (reassembly, the TLS record walk into the
//! [`conversation`]) — a fragment through `fragments.rs` first, tracked once its datagram is
//! whole — and `flows.rs` holds the connections, reducing each one once it is over
//! to its [`Connection`]: a [`diagnosis`] and a plan (`crate::plan`). `addresses.rs` notes
//! every address for the mapping; `analysis.rs` declares what the pass gives.

mod addresses;
mod analysis;
pub mod conversation;
pub mod decrypt;
pub mod diagnosis;
mod dtls_feed;
pub mod ech;
mod flows;
mod fragments;
mod icmp;
mod packets;
pub mod quic;
mod quic_keys;
mod quic_plan;
pub mod quic_state;
pub mod recognise;
mod stream;
mod tcp;
pub mod udp;
pub mod udp_verdict;
pub mod verdict;

pub use analysis::{Analysis, Connection, DirStats, Keep, TimeSpan};
pub use flows::MAX_LIVE;
pub use packets::{analyze, analyze_keeping, analyze_with};
pub use tcp::{segment_payload, tcp_endpoints};
