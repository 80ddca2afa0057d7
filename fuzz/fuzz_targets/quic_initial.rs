//! quic_initial: the QUIC Initial path (`quic/`). The input's frames are sealed into a real
//! client Initial (v1 or v2, keys from the input's Destination Connection ID), which a
//! `quic::session::Session` opens, walks and reassembles, and `quic::reseal` writes back with
//! mapped connection IDs; the raw input is also read as a server datagram and with every short
//! header connection ID length.
//!
//! Byte 0 is control: bits 0..5 the DCID length (mod 21), bit 5 QUIC v2, bit 6 an 8-byte SCID,
//! bit 7 trailing bytes after the packet (the datagram's last eighth of the input). The DCID
//! follows; the rest is the plaintext payload (zero-padded to the 20 bytes a sample needs).
//!
//! A Handshake packet sealed with keys from a fixed traffic secret (`quic::keys::from_secret`,
//! the path a key log takes) carries the same payload after the Initial, in the same
//! datagram; the session reads the datagram packet by packet and is given the Handshake keys
//! between the two, as pass 1 does once the ServerHello is read. The raw input is also read
//! with Handshake keys installed for both sides.
//!
//! Invariants: no panic; the sealed packets open to their payload in the session (the
//! Handshake one only once its keys are given); the rewritten Initial keeps its length,
//! carries the mapped IDs, opens with the mapped DCID's keys and its payload walks to its end
//! (unread bytes became PADDING); the CRYPTO streams hold at most `quic::crypto::MAX_STREAM`
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pcapscrub::anonymize::ConnectionIds;
use pcapscrub::fuzzing::fuzz_key;
use pcapscrub::keylog::suite::{Aead, Hash};
use pcapscrub::quic::crypto::MAX_STREAM;
use pcapscrub::quic::header::Header;
use pcapscrub::quic::packet::{self, Opened};
use pcapscrub::quic::session::{Session, Space};
use pcapscrub::quic::version::Version;
use pcapscrub::quic::{frames, keys, reseal};
use pcapscrub::tls::extensions::Side;

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    // The raw bytes as datagrams of both sides, with every short-header DCID length.
    let mut raw = Session::new();
    raw.datagram(Side::Server, rest);
    raw.datagram(Side::Client, rest);
    for side in [Side::Client, Side::Server] {
        raw.set_handshake_keys(side, handshake_keys(Version::V1));
    }
    raw.datagram(Side::Server, rest);
    raw.datagram(Side::Client, rest);
    assert!(
        raw.crypto(Space::Handshake, Side::Client)
            .contiguous()
            .len() as u64
            <= MAX_STREAM
    );
    for len in [0usize, 8, 20] {
        let _ = pcapscrub::quic::header::parse(rest, Some(len));
    }
    let _ = frames::parse(rest);

    let dcid_len = usize::from(control & 0x1f) % 21;
    let Some(dcid) = rest.get(..dcid_len) else {
        return;
    };
    let version = if control & 0x20 != 0 {
        Version::V2
    } else {
        Version::V1
    };
    let scid: &[u8] = if control & 0x40 != 0 {
        &[1, 2, 3, 4, 5, 6, 7, 8]
    } else {
        &[]
    };
    let body = &rest[dcid_len..];
    let (payload, tail) = if control & 0x80 != 0 {
        body.split_at(body.len() - body.len() / 8)
    } else {
        (body, &[][..])
    };
    let mut payload = payload.to_vec();
    if payload.len() < 20 {
        payload.resize(20, 0);
    }
    if payload.len() > 1400 {
        return;
    }
    // Initial: long header, type bits by version, 4-byte packet number.
    let type_bits: u8 = if version == Version::V2 { 1 } else { 0 };
    let mut header = vec![0xc0 | (type_bits << 4) | 3];
    header.extend_from_slice(&version.number().to_be_bytes());
    header.push(dcid_len as u8);
    header.extend_from_slice(dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(scid);
    header.push(0); // no token
    let length = 4 + payload.len() + 16;
    header.extend_from_slice(&(0x4000u16 | length as u16).to_be_bytes());
    header.extend_from_slice(&[0, 0, 0, 7]);
    let k = keys::initial(version, dcid).expect("Initial keys for any DCID");
    let plain = Opened {
        header,
        pn_len: 4,
        pn: 7,
        payload: payload.clone().into(),
    };
    let mut datagram = packet::seal(&plain, true, &k.client).expect("sealable");
    let packet_len = datagram.len();
    // The same payload in a Handshake packet coalesced after it (type bits by version).
    let handshake_bits: u8 = if version == Version::V2 { 3 } else { 2 };
    let mut hs_header = plain.header.clone();
    hs_header[0] = 0xc0 | (handshake_bits << 4) | 3;
    // No token field in a Handshake header: drop the Initial's (one zero byte).
    let token_at = 1 + 4 + 1 + dcid_len + 1 + scid.len();
    hs_header.remove(token_at);
    let hs = Opened {
        header: hs_header,
        pn_len: 4,
        pn: 7,
        payload: payload.clone().into(),
    };
    let hs_keys = handshake_keys(version);
    datagram.extend(packet::seal(&hs, true, &hs_keys).expect("sealable"));
    let hs_range = packet_len..datagram.len();
    datagram.extend_from_slice(tail);

    let mut session = Session::new();
    let mut seen = Vec::new();
    for (range, header) in session.packets(Side::Client, &datagram) {
        let packet = session.packet(Side::Client, &datagram[range.clone()], range, header);
        let initial = packet.space == Some(Space::Initial);
        seen.push(packet);
        if initial && !session.has_handshake_keys(Side::Client) {
            // The Initial is read: the Handshake packet after it opens with the keys given now.
            session.set_handshake_keys(Side::Client, handshake_keys(version));
        }
    }
    let first = &seen[0];
    assert_eq!(first.range, 0..packet_len, "the packet's extent");
    let opened = first.opened.as_ref().expect("our sealed packet opens");
    assert_eq!(*opened.payload, payload, "opens to its payload");
    let walked = first.frames.as_ref().expect("frames walked");
    let second = seen.get(1).expect("the Handshake packet");
    assert_eq!(second.range, hs_range, "the Handshake packet's extent");
    assert_eq!(second.space, Some(Space::Handshake));
    let hs_opened = second
        .opened
        .as_ref()
        .expect("opens with the keys given between packets");
    assert_eq!(
        *hs_opened.payload, payload,
        "the Handshake packet opens to its payload"
    );
    let hs_stream = session.crypto(Space::Handshake, Side::Client);
    assert!(hs_stream.contiguous().len() as u64 <= MAX_STREAM);
    let _ = hs_stream.messages();
    let stream = session.crypto(Space::Initial, Side::Client);
    assert!(stream.contiguous().len() as u64 <= MAX_STREAM);
    let _ = stream.messages();

    let Header::Long(h) = &first.header else {
        panic!("a long header");
    };
    let ids = ConnectionIds::new(&fuzz_key());
    let (mdcid, mscid) = (ids.map(dcid), ids.map(scid));
    let mapped = keys::initial(version, &mdcid).expect("keys");
    let with = reseal::Rewrite {
        dcid: &mdcid,
        scid: &mscid,
        stream: stream.contiguous(),
        keys: &mapped.client,
    };
    let out = reseal::initial(h, opened, walked, &with).expect("resealed");
    assert_eq!(out.len(), packet_len, "same length");
    assert_eq!(&out[h.ids.dcid.clone()], &mdcid[..]);
    assert_eq!(&out[h.ids.scid.clone()], &mscid[..]);
    let again = packet::open(&out, h.pn_offset, true, &mapped.client, None).expect("reopens");
    assert_eq!(again.payload.len(), payload.len());
    assert_eq!(
        frames::parse(&again.payload).stopped_at,
        None,
        "walks to its end"
    );
});

/// Handshake keys from a fixed 32-byte traffic secret (AES-128-GCM, SHA-256), as a key log's
/// handshake traffic secret gives them.
fn handshake_keys(version: Version) -> keys::PacketKeys {
    keys::from_secret(version, Aead::Aes128Gcm, Hash::Sha256, &[0x42; 32]).expect("keys")
}
