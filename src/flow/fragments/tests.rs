//! The reassembler on hand-built fragments (testkit), decoded as pass 1 decodes them.

use super::*;
use crate::wire::{self, Net};
use testkit::fragments::{ipv4_fragment, ipv4_split, ipv6_fragment, ipv6_split};
use testkit::net::{ipv4_packet, ipv6_packet};

const RAW: u32 = 101;
const SRC4: [u8; 4] = [10, 77, 0, 1];
const DST4: [u8; 4] = [10, 77, 0, 2];
const SRC6: [u8; 16] = [0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6: [u8; 16] = [0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// A UDP-numbered IPv4 packet with `len` payload bytes counting up (so every offset holds a
/// different byte and a misplaced fragment shows).
fn packet4(len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    ipv4_packet(SRC4, DST4, 17, &[], &payload)
}

fn packet6(len: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    ipv6_packet(SRC6, DST6, 17, &payload)
}

/// Offers a raw-IP frame as packet `number` at `t_s` seconds.
fn offer_at(r: &mut Reassembler, frame: &[u8], number: u64, t_s: i128) -> Offer {
    let layout = wire::decode(RAW, frame).expect("raw IP decodes");
    let Net::Ip(ip) = layout.net else {
        panic!("not IP: {:?}", layout.net)
    };
    let f =
        FragmentIn::of(frame, &ip, PathId::NONE, number, t_s * 1_000_000_000).expect("a fragment");
    r.offer(&f)
}

fn offer_all(r: &mut Reassembler, frames: &[Vec<u8>]) -> Vec<Offer> {
    frames
        .iter()
        .enumerate()
        .map(|(k, f)| offer_at(r, f, k as u64 + 1, 0))
        .collect()
}

fn complete(o: &Offer) -> &Datagram {
    match o {
        Offer::Complete(d) => d,
        other => panic!("not complete: {other:?}"),
    }
}

#[test]
fn in_order_fragments_give_the_packet_back() {
    let p = packet4(1000);
    let mut r = Reassembler::default();
    let offers = offer_all(&mut r, &ipv4_split(&p, &[400, 800]));
    assert_eq!(offers[..2], [Offer::Held, Offer::Held]);
    let d = complete(&offers[2]);
    // The reassembled packet is the original, but for the cleared DF flag and the checksum
    // (not recomputed: the packet is only read).
    let mut expected = p.clone();
    expected[6] = 0;
    let mut got = d.packet_after(&[]);
    got[10..12].copy_from_slice(&expected[10..12]);
    assert_eq!(got, expected);
    assert_eq!(
        d.fragments,
        [(1, 0, 400), (2, 400, 400), (3, 800, 200)].map(|(number, offset, len)| Placed {
            number,
            offset,
            len
        })
    );
    assert_eq!((r.in_flight(), r.held_bytes()), (0, 0));
}

#[test]
fn out_of_order_and_duplicate_fragments_reassemble() {
    let p = packet4(1000);
    let f = ipv4_split(&p, &[400, 800]);
    let mut r = Reassembler::default();
    let frames = [f[2].clone(), f[0].clone(), f[0].clone(), f[1].clone()];
    let offers = offer_all(&mut r, &frames);
    assert_eq!(offers[..3], [Offer::Held, Offer::Held, Offer::Held]);
    let d = complete(&offers[3]);
    assert_eq!(d.payload, p[20..]);
    // Both copies of the first fragment are placed (pass 2 writes both the same way).
    let numbers: Vec<u64> = d.fragments.iter().map(|f| f.number).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
}

#[test]
fn overlapping_fragments_that_agree_reassemble() {
    let p = packet4(1000);
    let frames = [
        ipv4_fragment(&p, 0, 496, true),
        ipv4_fragment(&p, 400, 400, true),
        ipv4_fragment(&p, 792, 208, false),
    ];
    let mut r = Reassembler::default();
    let offers = offer_all(&mut r, &frames);
    assert_eq!(complete(&offers[2]).payload, p[20..]);
}

#[test]
fn overlapping_fragments_that_disagree_are_refused_whole() {
    let p = packet4(1000);
    let mut other = p.clone();
    other[20 + 450] ^= 0xff;
    let frames = [
        ipv4_fragment(&p, 0, 496, true),
        ipv4_fragment(&other, 400, 400, true),
        ipv4_fragment(&p, 800, 200, false),
        // Even the right bytes afterwards do not complete it: the datagram is abandoned.
        ipv4_fragment(&p, 400, 400, true),
    ];
    let mut r = Reassembler::default();
    let offers = offer_all(&mut r, &frames);
    assert_eq!(offers[0], Offer::Held);
    assert_eq!(offers[1], Offer::Refused(Refusal::Conflict));
    assert_eq!(offers[2], Offer::Refused(Refusal::Abandoned));
    assert_eq!(offers[3], Offer::Refused(Refusal::Abandoned));
    assert_eq!(r.held_bytes(), 0);
}

#[test]
fn a_missing_fragment_times_out() {
    let p = packet4(1000);
    let f = ipv4_split(&p, &[400, 800]);
    let mut r = Reassembler::default();
    assert_eq!(offer_at(&mut r, &f[0], 1, 0), Offer::Held);
    assert_eq!(offer_at(&mut r, &f[2], 2, 10), Offer::Held);
    // 31 s after the first fragment: the datagram was given up, this one starts a new one.
    assert_eq!(offer_at(&mut r, &f[1], 3, 31), Offer::Held);
    assert_eq!(r.in_flight(), 1);
    assert_eq!(r.held_bytes(), 800);
}

#[test]
fn a_fragment_cut_by_the_snap_length_is_refused() {
    let p = packet4(1000);
    let f = ipv4_split(&p, &[400]);
    let mut cut = f[1].clone();
    cut.truncate(cut.len() - 10);
    let mut r = Reassembler::default();
    assert_eq!(offer_at(&mut r, &f[0], 1, 0), Offer::Held);
    assert_eq!(
        offer_at(&mut r, &cut, 2, 0),
        Offer::Refused(Refusal::Truncated)
    );
}

#[test]
fn malformed_fragments_are_refused() {
    let p = packet4(1000);
    let mut r = Reassembler::default();
    // A non-last fragment whose length is not a multiple of 8.
    assert_eq!(
        offer_all(&mut r, &[ipv4_fragment(&p, 0, 401, true)])[0],
        Offer::Refused(Refusal::Malformed)
    );
    // Two last fragments that end in different places.
    let mut r = Reassembler::default();
    let offers = offer_all(
        &mut r,
        &[
            ipv4_fragment(&p, 800, 100, false),
            ipv4_fragment(&p, 800, 200, false),
        ],
    );
    assert_eq!(offers, [Offer::Held, Offer::Refused(Refusal::Malformed)]);
    // Bytes past the end the last fragment set.
    let mut r = Reassembler::default();
    let offers = offer_all(
        &mut r,
        &[
            ipv4_fragment(&p, 400, 400, false),
            ipv4_fragment(&p, 800, 200, true),
        ],
    );
    assert_eq!(offers, [Offer::Held, Offer::Refused(Refusal::Malformed)]);
}

#[test]
fn bounds_refuse_what_exceeds_them() {
    // More datagrams in flight than the cap: the next one is refused, the others are kept.
    let mut r = Reassembler::default();
    for id in 0..MAX_DATAGRAMS {
        let mut p = packet4(64);
        p[4..6].copy_from_slice(&(id as u16).to_be_bytes());
        assert_eq!(
            offer_at(&mut r, &ipv4_fragment(&p, 0, 32, true), id as u64, 0),
            Offer::Held
        );
    }
    let mut p = packet4(64);
    p[4..6].copy_from_slice(&0xffffu16.to_be_bytes());
    assert_eq!(
        offer_at(&mut r, &ipv4_fragment(&p, 0, 32, true), 9999, 0),
        Offer::Refused(Refusal::Full)
    );
    // A fragment reaching past 65,535 bytes of fragmentable part: an IPv4 offset field at
    // its maximum (65,528) with 16 bytes.
    let big = packet4(65_528 + 16 - 20);
    let mut r = Reassembler::default();
    let mut last = ipv4_fragment(&big, 0, 16, false);
    last[6..8].copy_from_slice(&(65_528u16 / 8).to_be_bytes());
    last[2..4].copy_from_slice(&36u16.to_be_bytes());
    assert_eq!(
        offer_at(&mut r, &last, 1, 0),
        Offer::Refused(Refusal::TooLarge)
    );
}

#[test]
fn bytes_held_are_bounded() {
    // 65 datagrams of 64,000 bytes each, all incomplete, exceed 4 MiB: the fragment that would
    // go past the bound is refused (its datagram abandoned).
    let p = packet4(64_008);
    let mut r = Reassembler::default();
    let mut refused = None;
    for id in 0..80u16 {
        let mut q = p.clone();
        q[4..6].copy_from_slice(&id.to_be_bytes());
        let o = offer_at(
            &mut r,
            &ipv4_fragment(&q, 8, 64_000, false),
            u64::from(id),
            0,
        );
        if o != Offer::Held {
            refused = Some((id, o));
            break;
        }
    }
    assert_eq!(refused, Some((65, Offer::Refused(Refusal::Full))));
    assert!(r.held_bytes() <= MAX_HELD_BYTES);
}

#[test]
fn ipv6_fragments_reassemble_into_an_atomic_fragment() {
    let p = packet6(1000);
    let mut r = Reassembler::default();
    let f = ipv6_split(&p, 0x0102_0304, &[504]);
    let offers = offer_all(&mut r, &[f[1].clone(), f[0].clone()]);
    assert_eq!(offers[0], Offer::Held);
    let d = complete(&offers[1]);
    assert_eq!(d.payload, p[40..]);
    // The packet decodes as a whole: UDP after an atomic Fragment header.
    let packet = d.packet_after(&[]);
    let layout = wire::decode(RAW, &packet).unwrap();
    let ip = layout.ip().unwrap();
    assert_eq!((ip.end, ip.proto), (packet.len(), 17));
    assert!(matches!(ip.transport, wire::Transport::Udp { start: 48 }));
    let frag = ip.fragment(&packet).unwrap();
    assert_eq!((frag.offset, frag.more, frag.data_start), (0, false, 48));
}

#[test]
fn ipv6_keys_on_the_identification() {
    let p = packet6(1000);
    let mut r = Reassembler::default();
    let offers = offer_all(
        &mut r,
        &[
            ipv6_fragment(&p, 1, 0, 504, true),
            ipv6_fragment(&p, 2, 504, 496, false),
        ],
    );
    assert_eq!(offers, [Offer::Held, Offer::Held]);
    assert_eq!(r.in_flight(), 2);
}
