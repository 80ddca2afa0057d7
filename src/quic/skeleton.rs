//! What the sanitized copy keeps of a packet that is not resealed (docs/udp.md): its header,
//! with every connection ID replaced by its pseudonym, and nothing of its protected payload.
//! A Version Negotiation packet keeps the versions a registry names; a Retry packet keeps its
//! framing, its token becomes zeros and its integrity tag is computed again over the mapped
//! original Destination Connection ID (RFC 9001 5.8).
//!
//! Fail closed (docs/architecture.md, "Rules that hold everywhere"): the bits header
//! protection covers (the packet number length, the reserved bits, the key phase) and the
//! packet number are ciphertext to whoever lacks the keys, so they become zeros with the
//! payload; the caller writes zeros after the bytes returned, or cuts them.

use super::header::{Header, Invariant};
use super::retry;
use super::version::Version;

/// Connection IDs to their pseudonyms (the same length).
pub type MapId<'a> = dyn FnMut(&[u8]) -> Vec<u8> + 'a;

/// Whether a version number may stay in the output: one a specification or the IANA QUIC
/// Versions registry names (1, 2, the IETF drafts 0xff0000xx), or a reserved version of the
/// form 0x?a?a?a?a that greases version negotiation (RFC 9000 15).
pub fn version_kept(v: u32) -> bool {
    v == Version::V1_NUMBER
        || v == Version::V2_NUMBER
        || v & 0xffff_ff00 == 0xff00_0000
        || v & 0x0f0f_0f0f == 0x0a0a_0a0a
}

fn map_ids(out: &mut [u8], ids: &Invariant, map: &mut MapId<'_>) {
    for range in [ids.dcid.clone(), ids.scid.clone()] {
        if let Some(field) = out.get_mut(range) {
            let mapped = map(field);
            if mapped.len() == field.len() {
                field.copy_from_slice(&mapped);
            } else {
                field.fill(0);
            }
        }
    }
}

/// The bytes kept from the start of `packet` (one packet, as `header` was parsed from it):
/// everything after them is removed. `odcid`: a Retry's original Destination Connection ID,
/// already mapped (`None` when the capture did not show it: the tag is then zeros).
pub fn kept(packet: &[u8], header: &Header, odcid: Option<&[u8]>, map: &mut MapId<'_>) -> Vec<u8> {
    match header {
        Header::Long(h) => {
            let mut out = packet.get(..h.pn_offset).unwrap_or_default().to_vec();
            if let Some(first) = out.first_mut() {
                *first &= 0xf0;
            }
            map_ids(&mut out, &h.ids, map);
            if let Some(token) = out.get_mut(h.token.clone()) {
                token.fill(0);
            }
            out
        }
        Header::Short(h) => {
            let mut out = packet.get(..h.pn_offset).unwrap_or_default().to_vec();
            if let Some(first) = out.first_mut() {
                // Header form, fixed bit and spin bit are sent in the clear.
                *first &= 0xe0;
            }
            if let Some(field) = out.get_mut(h.dcid.clone()) {
                let mapped = map(field);
                if mapped.len() == field.len() {
                    field.copy_from_slice(&mapped);
                } else {
                    field.fill(0);
                }
            }
            out
        }
        Header::VersionNegotiation(vn) => {
            let mut out = packet.to_vec();
            map_ids(&mut out, &vn.ids, map);
            let list = vn.ids.scid.end;
            if let Some(versions) = out.get_mut(list..) {
                for v in versions.chunks_exact_mut(4) {
                    if !version_kept(u32::from_be_bytes([v[0], v[1], v[2], v[3]])) {
                        v.fill(0);
                    }
                }
            }
            out
        }
        Header::Retry(r) => {
            let mut out = packet.to_vec();
            map_ids(&mut out, &r.ids, map);
            // The token is the server's opaque value (RFC 9000 8.1.1): never kept.
            if let Some(token) = out.get_mut(r.token.clone()) {
                token.fill(0);
            }
            let tag = odcid.and_then(|o| retry::tag(r.version, o, out.get(..r.tag.start)?));
            if let Some(field) = out.get_mut(r.tag.clone()) {
                match tag {
                    Some(t) if t.len() == field.len() => field.copy_from_slice(&t),
                    _ => field.fill(0),
                }
            }
            out
        }
        // Only the invariant fields (RFC 8999 5.1) are understood, and only of a version
        // that may stay: zeros in place of another would read as Version Negotiation.
        Header::OtherVersion(ids) if version_kept(ids.version) => {
            let mut out = packet.get(..ids.scid.end).unwrap_or_default().to_vec();
            if let Some(first) = out.first_mut() {
                *first &= 0x80;
            }
            map_ids(&mut out, ids, map);
            out
        }
        Header::OtherVersion(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quic::header::parse;
    use crate::quic::tests::hex;

    fn upper(id: &[u8]) -> Vec<u8> {
        id.iter().map(|b| b ^ 0xff).collect()
    }

    #[test]
    fn version_negotiation_keeps_registered_and_grease_versions_only() {
        let mut vn = vec![0xc5, 0, 0, 0, 0, 2, 0xaa, 0xbb, 1, 0xcc];
        for v in [1u32, 0x6b33_43cf, 0x1a2a_3a4a, 0xff00_001d, 0x1234_5678] {
            vn.extend_from_slice(&v.to_be_bytes());
        }
        let h = parse(&vn, None).unwrap();
        let out = kept(&vn, &h, None, &mut upper);
        let mut want = vec![0xc5, 0, 0, 0, 0, 2, 0x55, 0x44, 1, 0x33];
        for v in [1u32, 0x6b33_43cf, 0x1a2a_3a4a, 0xff00_001d, 0] {
            want.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(out, want);
    }

    /// A long header of a version nobody registered keeps nothing: with its version zeroed it
    /// would read as a Version Negotiation packet in the output (a second run, found by the
    /// sanitize_pipeline fuzz target, then cut it: not a fixed point).
    #[test]
    fn other_versions_keep_their_invariant_fields_only_when_registered() {
        let mut p = vec![0xfa, 0x94, 0, 0, 0, 0, 0];
        p.extend_from_slice(&[0x33; 30]);
        let h = parse(&p, None).unwrap();
        assert!(kept(&p, &h, None, &mut upper).is_empty());
        let mut draft = vec![0xcf, 0xff, 0, 0, 0x1d, 1, 0x11, 0];
        draft.extend_from_slice(&[0x33; 30]);
        let h = parse(&draft, None).unwrap();
        let out = kept(&draft, &h, None, &mut upper);
        assert_eq!(out, [0x80, 0xff, 0, 0, 0x1d, 1, 0xee, 0]);
        // The output reads again as the same header.
        assert!(matches!(parse(&out, None), Some(Header::OtherVersion(_))));
    }

    #[test]
    fn short_header_keeps_its_mapped_id_and_clear_bits_only() {
        let mut p = vec![0x5f, 1, 2, 3, 4];
        p.extend_from_slice(&[0x99; 24]);
        let h = parse(&p, Some(4)).unwrap();
        // Spin bit (0x20) and fixed bit kept; the protected bits go.
        assert_eq!(
            kept(&p, &h, None, &mut upper),
            [0x40, 0xfe, 0xfd, 0xfc, 0xfb]
        );
        p[0] = 0x7f;
        assert_eq!(kept(&p, &h, None, &mut upper)[0], 0x60);
    }

    #[test]
    fn long_header_keeps_ids_mapped_token_zeroed_up_to_the_packet_number() {
        // v1 Initial: DCID 2 bytes, SCID 1 byte, token of 3, Length 24.
        let mut p = vec![0xc3, 0, 0, 0, 1, 2, 0x11, 0x22, 1, 0x33, 3, 7, 8, 9, 24];
        p.extend_from_slice(&[0x77; 24]);
        let h = parse(&p, None).unwrap();
        assert_eq!(
            kept(&p, &h, None, &mut upper),
            [0xc0, 0, 0, 0, 1, 2, 0xee, 0xdd, 1, 0xcc, 3, 0, 0, 0, 24]
        );
    }

    /// RFC 9001 A.4's Retry with its IDs mapped: the tag is computed over the mapped original
    /// ID (checked against the same computation), the token zeroed.
    #[test]
    fn retry_token_zeroed_and_tag_recomputed() {
        let p = hex("ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba");
        let h = parse(&p, None).unwrap();
        let odcid = upper(&hex("8394c8f03e515708"));
        let out = kept(&p, &h, Some(&odcid), &mut upper);
        assert_eq!(out.len(), p.len());
        assert_eq!(&out[7..15], &upper(&p[7..15])[..]);
        assert_eq!(&out[15..20], &[0; 5]);
        let tag = retry::tag(Version::V1, &odcid, &out[..out.len() - 16]).unwrap();
        assert_eq!(&out[out.len() - 16..], &tag[..]);
        assert_ne!(&out[out.len() - 16..], &p[p.len() - 16..]);
        // Without the original ID the tag cannot be vouched for: zeros.
        let blind = kept(&p, &h, None, &mut upper);
        assert_eq!(&blind[blind.len() - 16..], &[0; 16]);
    }
}
