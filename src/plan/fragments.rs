//! The plan for IP fragments: for every fragment of a TCP segment or a connection's UDP
//! datagram pass 1 reassembled, which part of the payload it carries, so pass 2 writes the plan's kept bytes into
//! exactly the stream bytes each fragment carries (docs/decisions.md, "IP fragments").
//! Fragments of a datagram that never completed have no entry: their payload is removed.

use std::collections::BTreeMap;

use crate::flow::{FlowKey, Side};

/// Fragment entries kept over a capture, at most (about 40 bytes each): beyond it, a
/// reassembled datagram is still analysed, but its fragments are written as if it had not
/// completed (payload removed).
pub const MAX_FRAGMENT_ENTRIES: usize = 262_144;

/// A TCP segment, or a UDP datagram of a connection, that travelled in fragments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentedSegment {
    pub key: FlowKey,
    pub side: Side,
    /// The packet that completed it: pass 1 tracked the segment as that packet.
    pub tracked_at: u64,
    /// Sequence number of its first payload byte (a SYN's counted); 0 for a UDP datagram,
    /// whose place in its plan is `crate::plan::datagram_base(tracked_at)`.
    pub seq: u32,
    /// Payload bytes after the TCP or UDP header.
    pub payload_len: usize,
    /// Fragment packets that carry part of it (copies included).
    pub fragments: usize,
}

/// Which bytes of its segment one fragment packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentPiece {
    /// Index into [`FragmentPlan::segments`].
    pub segment: usize,
    /// Offset of the fragment's first payload byte in the segment's payload, and how many
    /// payload bytes it carries. A first fragment (offset 0) carries the TCP header before.
    pub payload_at: usize,
    pub payload_len: usize,
}

/// Every fragmented TCP segment of a capture and where its fragments' bytes go.
#[derive(Debug, Default)]
pub struct FragmentPlan {
    pub segments: Vec<FragmentedSegment>,
    /// By packet number.
    pub pieces: BTreeMap<u64, FragmentPiece>,
}

impl FragmentPlan {
    /// Records a segment and its fragments' pieces, as (packet number, payload offset,
    /// payload length); false (nothing recorded) when that would pass
    /// [`MAX_FRAGMENT_ENTRIES`].
    pub fn record(&mut self, segment: FragmentedSegment, pieces: &[(u64, usize, usize)]) -> bool {
        if self.pieces.len() + pieces.len() > MAX_FRAGMENT_ENTRIES {
            return false;
        }
        let index = self.segments.len();
        self.segments.push(FragmentedSegment {
            fragments: pieces.len(),
            ..segment
        });
        for &(number, payload_at, payload_len) in pieces {
            self.pieces.insert(
                number,
                FragmentPiece {
                    segment: index,
                    payload_at,
                    payload_len,
                },
            );
        }
        true
    }

    /// The piece packet `number` carries, with its segment.
    pub fn piece(&self, number: u64) -> Option<(FragmentPiece, &FragmentedSegment)> {
        let piece = *self.pieces.get(&number)?;
        Some((piece, self.segments.get(piece.segment)?))
    }
}
