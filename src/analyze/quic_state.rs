//! What pass 1 holds of one QUIC connection (read by `super::quic`, kept in the
//! conversation, read by the verdict).

use std::fmt;

use super::quic_keys::QuicKeyLog;
use super::quic_plan::QuicPlan;
use crate::quic::session::Session;

/// What pass 1 holds of one QUIC connection.
#[derive(Default)]
pub struct QuicState {
    pub session: Session,
    /// Handshake messages already read, by space and role.
    pub read: [[usize; 2]; 2],
    /// Short-header (1-RTT) packets, by [`crate::flow::Side`] index.
    pub one_rtt: [u64; 2],
    /// Handshake packets that did not open (no key log), by [`crate::flow::Side`] index.
    pub unopened_handshake: [u64; 2],
    /// What the sanitized copy carries of it.
    pub plan: QuicPlan,
    /// The key log's lines for it, when a key log has them (`super::quic_keys`).
    pub key_log: Option<QuicKeyLog>,
}

impl QuicState {
    /// Some Handshake packet opened with the key log's keys.
    pub fn handshake_opened(&self) -> bool {
        self.key_log.as_ref().is_some_and(QuicKeyLog::opened)
    }
}

impl fmt::Debug for QuicState {
    // The session holds keys: only counts are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QuicState")
            .field("one_rtt", &self.one_rtt)
            .field("handshake_opened", &self.handshake_opened())
            .finish_non_exhaustive()
    }
}
