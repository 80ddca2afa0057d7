//! Stream feeding: a segment's payload through its direction's reassembly, then (while a
//! cleartext preamble is read) the preamble recogniser and the TLS
//! record walk into the conversation's record sink; a retransmitted copy is compared with the
//! first (`crate::plan::retransmissions`).

use super::conversation::{
    Conversation, LARGE_SEGMENT, Moment, PreambleState, SideSink, TlsSide, offered_versions,
    push_event, sslv2_client_hello_len,
};
use super::decrypt::KeyRun;
use super::flows::FlowState;
use crate::flow::Side;
use crate::flow::reassembly::Piece;
use crate::flow::seq::SeqUnwrapper;
use crate::preamble::{Fed, Recogniser};
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
    key_run: &mut KeyRun,
) {
    let syn = tcp.flags & tcp_flags::SYN != 0;
    let [dir_a, dir_b] = &mut flow.dirs;
    let (dir, other_dir) = match side {
        Side::A => (dir_a, dir_b),
        Side::B => (dir_b, dir_a),
    };
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
        preamble,
        keys,
        ..
    } = &mut flow.conv;
    let [tls_a, tls_b] = tls;
    let (tls_mine, tls_other) = match side {
        Side::A => (tls_a, tls_b),
        Side::B => (tls_b, tls_a),
    };
    // Non-TLS streams are still fed (in-order bytes cost no copy): retransmissions are
    // counted for every connection.
    let tls_side = &mut **tls_mine.get_or_insert_with(Box::default);
    let mut sink = SideSink {
        tls: tls_side,
        timeline,
        omitted: timeline_omitted,
        tls13,
        negotiated,
        redactor,
        side,
        now,
        keys,
        key_run,
    };
    let mut deliver = |o: i64, piece: Piece<'_>| {
        let b = match piece {
            Piece::Bytes(b) => b,
            // Bytes the segment carried beyond what was captured: framing can step over them.
            Piece::Missing(n) => {
                if let PreambleState::Present(p) = preamble {
                    p.hole();
                }
                walker.skip_missing(o, n, &mut sink);
                return;
            }
            Piece::Again(b) => {
                if let PreambleState::Present(p) = preamble {
                    p.compare(side, o, b);
                }
                sink.tls.compare_copy(o, b);
                return;
            }
        };
        let walk_from = follow_preamble(
            preamble,
            &mut sink,
            walker,
            &mut other_dir.walker,
            tls_other,
            o,
            b,
        );
        // After a preamble, the stream as TLS begins within `b`.
        let (o, b) = (o + walk_from as i64, b.get(walk_from..).unwrap_or_default());
        sink.tls.keep_prefix(o, b);
        if o == sink.tls.prefix_base
            && let Some(len) = sslv2_client_hello_len(&sink.tls.prefix)
        {
            walker.skip_to(o + len as i64);
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
        if !walker.lost() && !b.is_empty() {
            walker.consume(o, b, &mut sink);
        }
    };
    let missing = claimed.saturating_sub(payload.len());
    let retransmission = dir.reasm.push(off, payload, missing, &mut deliver);
    let in_preamble = matches!(preamble, PreambleState::Present(p) if p.open());
    if (sink.tls.first_encrypted.is_some() || walker.lost()) && !in_preamble {
        // The handshake is over (or unfollowable): retransmissions are no longer compared.
        // (While a preamble is read, its text loses the walk: comparing goes on.)
        sink.tls.keep.stop_comparing();
    }
    if retransmission {
        let t = &mut tcp_sides[side.index()];
        t.retransmitted_segments += 1;
        if claimed > LARGE_SEGMENT {
            t.large_retransmission = Some((now.rel, claimed));
        }
    }
    if dir.reasm.overflowed() {
        walker.lose();
    }
}

/// Hands in-order bytes at `o` to the preamble recogniser while a preamble may be there
/// (the first byte of the connection decides whether one may be). Its events go to the
/// timeline, the names it saw to the canary; when it finds where TLS starts, each
/// direction's record walk starts afresh there (`RecordWalker::skip_to`), and the prefix
/// the diagnosis reads starts there too. Returns where in `b` the record walk goes on.
///
/// Runs for every in-order chunk: a connection known to have no preamble (nearly all) is
/// decided inline.
#[inline]
fn follow_preamble(
    preamble: &mut PreambleState,
    sink: &mut SideSink<'_>,
    walker: &mut RecordWalker,
    other_walker: &mut Option<RecordWalker>,
    other_tls: &mut Option<Box<TlsSide>>,
    o: i64,
    b: &[u8],
) -> usize {
    if matches!(preamble, PreambleState::Absent) {
        return 0;
    }
    read_preamble(preamble, sink, walker, other_walker, other_tls, o, b)
}

#[inline(never)]
fn read_preamble(
    preamble: &mut PreambleState,
    sink: &mut SideSink<'_>,
    walker: &mut RecordWalker,
    other_walker: &mut Option<RecordWalker>,
    other_tls: &mut Option<Box<TlsSide>>,
    o: i64,
    b: &[u8],
) -> usize {
    if let (PreambleState::NotYet, Some(&first)) = (&*preamble, b.first()) {
        *preamble = if o == 0 && Recogniser::may_start(first) {
            PreambleState::Present(Box::default())
        } else {
            PreambleState::Absent
        };
    }
    let PreambleState::Present(p) = preamble else {
        return 0;
    };
    if !p.open() {
        return 0;
    }
    let side = sink.side;
    let fed = p.feed(side, o, b);
    for e in p.take_events() {
        let text = e.render(|host| sink.redactor.name_pseudonym(host));
        push_event(sink.timeline, sink.omitted, sink.now.rel, e.side, text);
    }
    for secret in p.take_secrets() {
        sink.redactor.seen.note_preamble_text(&secret);
    }
    match fed {
        Fed::TlsStarts(at) => {
            let (mine, theirs) = (at[side.index()], at[side.other().index()]);
            *walker = RecordWalker::new(Start::Known);
            walker.skip_to(mine);
            sink.tls.restart_prefix(mine);
            let mut w = RecordWalker::new(Start::Known);
            w.skip_to(theirs);
            *other_walker = Some(w);
            other_tls
                .get_or_insert_with(Box::default)
                .restart_prefix(theirs);
            usize::try_from(mine - o).unwrap_or(0)
        }
        Fed::NotPreamble => {
            *preamble = PreambleState::Absent;
            0
        }
        Fed::Pending | Fed::Over => 0,
    }
}
