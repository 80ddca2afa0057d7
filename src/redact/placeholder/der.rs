//! The DER encoding the placeholders are written in: tags, definite minimal lengths, OBJECT
//! IDENTIFIERs and times. Every length is computed here, so the exact-length arithmetic of
//! the builder has one place to read.

// DER tags.
pub(super) const TAG_BOOLEAN: u8 = 0x01;
pub(super) const TAG_INTEGER: u8 = 0x02;
pub(super) const TAG_BIT_STRING: u8 = 0x03;
pub(super) const TAG_OCTET_STRING: u8 = 0x04;
pub(super) const TAG_NULL: u8 = 0x05;
pub(super) const TAG_OID: u8 = 0x06;
pub(super) const TAG_UTF8_STRING: u8 = 0x0c;
pub(super) const TAG_UTC_TIME: u8 = 0x17;
pub(super) const TAG_GENERALIZED_TIME: u8 = 0x18;
pub(super) const TAG_SEQUENCE: u8 = 0x30;
pub(super) const TAG_SET: u8 = 0x31;
pub(super) const TAG_CONTEXT_0: u8 = 0xa0;
pub(super) const TAG_CONTEXT_3: u8 = 0xa3;

/// RFC 5280 §4.1.2.5: UTCTime for years 1950–2049, GeneralizedTime otherwise; always with
/// seconds and `Z`. Instants outside years 1–9999 are clamped.
pub(super) fn time(unix: i64) -> Vec<u8> {
    const MIN: i64 = -62_135_596_800; // 0001-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    let t = unix.clamp(MIN, MAX);
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (year, month, day) = crate::civil::civil_from_days(days);
    let hms = format!(
        "{:02}{:02}{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    );
    if (1950..2050).contains(&year) {
        let s = format!("{:02}{month:02}{day:02}{hms}", year % 100);
        tlv(TAG_UTC_TIME, s.as_bytes())
    } else {
        let s = format!("{year:04}{month:02}{day:02}{hms}");
        tlv(TAG_GENERALIZED_TIME, s.as_bytes())
    }
}

/// OBJECT IDENTIFIER content octets (X.690 §8.19). Only called with the constant tables above,
/// which all have at least two arcs with a first arc ≤ 2.
pub(super) fn oid_content(arcs: &[u64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arcs.len() * 2);
    let (first, rest) = match arcs {
        [a, b, rest @ ..] => (a.saturating_mul(40).saturating_add(*b), rest),
        [a] => (a.saturating_mul(40), &[][..]),
        [] => return out,
    };
    for arc in std::iter::once(first).chain(rest.iter().copied()) {
        let mut groups = [0u8; 10];
        let mut n = 0;
        let mut v = arc;
        loop {
            groups[n] = (v & 0x7f) as u8;
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            out.push(groups[i] | if i > 0 { 0x80 } else { 0 });
        }
    }
    out
}

/// Octets of the length field for `content` content octets (X.690 §8.1.3, definite form).
pub(super) fn length_octets(content: usize) -> usize {
    if content < 0x80 {
        1
    } else {
        1 + (usize::BITS - content.leading_zeros()).div_ceil(8) as usize
    }
}

/// Total TLV size for `content` content octets (one-octet tags only).
pub(super) fn tlv_len(content: usize) -> usize {
    1 + length_octets(content) + content
}

/// The content size whose TLV is exactly `total` octets, if one exists.
pub(super) fn content_len_for_tlv(total: usize) -> Option<usize> {
    (2..=1 + 1 + std::mem::size_of::<usize>())
        .filter_map(|header| total.checked_sub(header))
        .find(|&content| tlv_len(content) == total)
}

pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv_len(content.len()));
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}
