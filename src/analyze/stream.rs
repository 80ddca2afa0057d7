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
                let walk = match preamble {
                    PreambleState::Present(p) if p.open() => {
                        let fed = p.hole();
                        settle_preamble(
                            preamble,
                            fed,
                            &mut sink,
                            walker,
                            &mut other_dir.walker,
                            tls_other,
                            o,
                            &[],
                        )
                    }
                    PreambleState::Present(p) => p.tls_started().then_some(0),
                    _ => Some(0),
                };
                if walk.is_some() {
                    walker.skip_missing(o, n, &mut sink);
                }
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
        let Some(walk_from) = follow_preamble(
            preamble,
            &mut sink,
            walker,
            &mut other_dir.walker,
            tls_other,
            o,
            b,
        ) else {
            return;
        };
        // After a preamble, the stream as TLS begins within `b`.
        let (o, b) = (o + walk_from as i64, b.get(walk_from..).unwrap_or_default());
        walk_records(&mut sink, walker, o, b);
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

/// The record walk of in-order bytes at `o` of a stream that is TLS from there on (it had
/// no preamble, or the preamble started TLS before `o`): the prefix the diagnosis reads, an
/// SSLv2-compatible hello, the records.
#[inline]
fn walk_records(sink: &mut SideSink<'_>, walker: &mut RecordWalker, o: i64, b: &[u8]) {
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
        walker.consume(o, b, sink);
    }
}

/// Hands in-order bytes at `o` to the preamble recogniser while a preamble may be there
/// (the first byte of the connection decides whether one may be). Returns where in `b` the
/// record walk goes on, or `None` when no byte of `b` is walked as TLS.
///
/// The record walk sees a direction's bytes only once they are known to be TLS: while the
/// recogniser cannot tell, the bytes wait in it (a preamble's cleartext, a greeting that
/// reads as a record header, a record sent before the peer's answer, are never walked). When
/// it decides there is no preamble, the record walk replays what it held from stream offset
/// 0; when it finds where TLS starts, each direction's walk starts there; when the preamble
/// ends without TLS (refused, or no longer followed), nothing more of the connection is
/// walked, so nothing of its cleartext is kept but the preamble's skeleton.
///
/// Runs for every in-order chunk: a connection known to have no preamble (nearly all) is
/// decided inline, without a copy.
#[inline]
fn follow_preamble(
    preamble: &mut PreambleState,
    sink: &mut SideSink<'_>,
    walker: &mut RecordWalker,
    other_walker: &mut Option<RecordWalker>,
    other_tls: &mut Option<Box<TlsSide>>,
    o: i64,
    b: &[u8],
) -> Option<usize> {
    if matches!(preamble, PreambleState::Absent) {
        return Some(0);
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
) -> Option<usize> {
    if let (PreambleState::NotYet, Some(&first)) = (&*preamble, b.first()) {
        *preamble = if o == 0 && Recogniser::may_start(first) {
            PreambleState::Present(Box::default())
        } else {
            PreambleState::Absent
        };
    }
    let PreambleState::Present(p) = preamble else {
        return Some(0);
    };
    if !p.open() {
        return p.tls_started().then_some(0);
    }
    // What the cleartext looks like, for the diagnosis only (`looks_like`); never kept.
    sink.tls.keep_prefix(o, b);
    let side = sink.side;
    let fed = p.feed(side, o, b);
    for e in p.take_events() {
        let text = e.render(|host| sink.redactor.name_pseudonym(host));
        push_event(sink.timeline, sink.omitted, sink.now.rel, e.side, text);
    }
    for secret in p.take_secrets() {
        sink.redactor.seen.note_preamble_text(&secret);
    }
    settle_preamble(preamble, fed, sink, walker, other_walker, other_tls, o, b)
}

/// What the recogniser's answer `fed` (after bytes `b` at `o`, or a hole at `o`) means for
/// the record walks of both directions; returns where in `b` the walk goes on (`None`: not
/// at all).
#[allow(clippy::too_many_arguments)]
fn settle_preamble(
    preamble: &mut PreambleState,
    fed: Fed,
    sink: &mut SideSink<'_>,
    walker: &mut RecordWalker,
    other_walker: &mut Option<RecordWalker>,
    other_tls: &mut Option<Box<TlsSide>>,
    o: i64,
    b: &[u8],
) -> Option<usize> {
    let side = sink.side;
    match fed {
        Fed::Pending => None,
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
            Some(usize::try_from(mine - o).unwrap_or(0).min(b.len()))
        }
        Fed::NotPreamble => {
            let PreambleState::Present(p) = std::mem::replace(preamble, PreambleState::Absent)
            else {
                return Some(0);
            };
            let held = replay(&p, sink, walker, other_walker, other_tls);
            // The bytes held end where `b` starts (it did not fit the recogniser's bound) or
            // where it ends (it was held, and replayed). Anything else is a gap the walk
            // cannot step over.
            if held < o {
                walker.lose();
            }
            Some(usize::try_from(held - o).unwrap_or(0).min(b.len()))
        }
        Fed::Over => {
            walker.lose();
            if let Some(w) = other_walker {
                w.lose();
            }
            None
        }
    }
}

/// Walks what the recogniser held of each direction, from stream offset 0, once it decided
/// there is no preamble; returns where the bytes held of `sink`'s direction end.
fn replay(
    p: &Recogniser,
    sink: &mut SideSink<'_>,
    walker: &mut RecordWalker,
    other_walker: &mut Option<RecordWalker>,
    other_tls: &mut Option<Box<TlsSide>>,
) -> i64 {
    let side = sink.side;
    let theirs = p.held(side.other());
    // The other direction's bytes arrived before the chunk that decided: walked first.
    if let Some(w) = other_walker
        && !theirs.is_empty()
    {
        let mut other = SideSink {
            tls: other_tls.get_or_insert_with(Box::default),
            timeline: sink.timeline,
            omitted: sink.omitted,
            tls13: sink.tls13,
            negotiated: sink.negotiated,
            redactor: sink.redactor,
            side: side.other(),
            now: sink.now,
            keys: sink.keys,
            key_run: sink.key_run,
        };
        walk_records(&mut other, w, 0, theirs);
    }
    let mine = p.held(side);
    walk_records(sink, walker, 0, mine);
    mine.len() as i64
}
