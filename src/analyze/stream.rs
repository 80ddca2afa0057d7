//! Stream feeding: a segment's payload through its direction's reassembly, then the TLS
//! record walk into the conversation's record sink; a retransmitted copy is compared with the
//! first (`crate::plan::retransmissions`).

use super::conversation::{
    Conversation, Moment, SideSink, offered_versions, sslv2_client_hello_len,
};
use super::flows::FlowState;
use crate::flow::Side;
use crate::flow::reassembly::Piece;
use crate::flow::seq::SeqUnwrapper;
use crate::redact::Redactor;
use crate::tls::records::{RecordWalker, Start};
use crate::wire::{Ip, Tcp, tcp_flags};

/// Counts the segment and hands its payload to the direction's reassembly and TLS walk.
#[allow(clippy::too_many_arguments)]
pub(super) fn feed_stream(
    flow: &mut FlowState,
    side: Side,
    ip: &Ip,
    tcp: &Tcp,
    seq: u32,
    payload: &[u8],
    now: Moment,
    redactor: &mut Redactor,
) {
    let syn = tcp.flags & tcp_flags::SYN != 0;
    let dir = &mut flow.dirs[side.index()];
    dir.stats.packets += 1;
    dir.stats.payload_bytes += ip.end.saturating_sub(tcp.header_end) as u64;
    if dir.unwrap.is_none() {
        let start = if syn {
            Start::Known
        } else if !payload.is_empty() {
            Start::Guessed
        } else {
            return;
        };
        dir.unwrap = Some(SeqUnwrapper::new(seq));
        dir.walker = Some(RecordWalker::new(start));
    }
    let (Some(unwrap), Some(walker)) = (dir.unwrap.as_mut(), dir.walker.as_mut()) else {
        return;
    };
    let off = unwrap.offset(seq);
    // The segment's payload as the IP header states it; the capture may hold less.
    let claimed = ip.end.saturating_sub(tcp.header_end);
    if claimed == 0 {
        return;
    }
    let Conversation {
        tls,
        timeline,
        timeline_omitted,
        tls13,
        negotiated,
        tcp: tcp_sides,
        ..
    } = &mut flow.conv;
    // Non-TLS streams are still fed (in-order bytes cost no copy): retransmissions are
    // counted for every connection.
    let tls_side = &mut **tls[side.index()].get_or_insert_with(Box::default);
    let mut sink = SideSink {
        tls: tls_side,
        timeline,
        omitted: timeline_omitted,
        tls13,
        negotiated,
        redactor,
        side,
        now,
    };
    let mut deliver = |o: i64, piece: Piece<'_>| {
        let b = match piece {
            Piece::Bytes(b) => b,
            // Bytes the segment carried beyond what was captured: framing can step over them.
            Piece::Missing(n) => {
                walker.skip_missing(o, n, &mut sink);
                return;
            }
            Piece::Again(b) => {
                sink.tls.compare_copy(o, b);
                return;
            }
        };
        sink.tls.keep_prefix(o, b);
        if o == 0
            && let Some(len) = sslv2_client_hello_len(&sink.tls.prefix)
        {
            walker.skip_to(len as i64);
        }
        if sink.tls.try_sslv2_hello() {
            let versions = sink
                .tls
                .client_hello
                .as_ref()
                .map(|h| offered_versions(h))
                .unwrap_or_default();
            sink.event(format!("SSLv2-compatible ClientHello offering {versions}"));
        }
        if !walker.lost() {
            walker.consume(o, b, &mut sink);
        }
    };
    let missing = claimed.saturating_sub(payload.len());
    let retransmission = dir.reasm.push(off, payload, missing, &mut deliver);
    if sink.tls.first_encrypted.is_some() || walker.lost() {
        // The handshake is over (or unfollowable): retransmissions are no longer compared.
        sink.tls.keep.stop_comparing();
    }
    if retransmission {
        tcp_sides[side.index()].retransmitted_segments += 1;
    }
    if dir.reasm.overflowed() {
        walker.lose();
    }
}
