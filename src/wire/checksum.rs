//! Internet checksums (RFC 1071) over rewritten bytes.

/// One's-complement sum of 16-bit big-endian words, not yet folded.
pub fn sum(data: &[u8]) -> u64 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds a sum and complements it.
pub fn finish(mut acc: u64) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// The pseudo-header sum for TCP/UDP/ICMPv6 over IPv4 or IPv6.
pub fn pseudo_header(src: &[u8], dst: &[u8], proto: u8, length: usize) -> u64 {
    sum(src) + sum(dst) + u64::from(proto) + (length as u64 & 0xFFFF_FFFF)
}

/// Writes the IPv4 header checksum of `header` (which includes its checksum field at 10..12).
pub fn fill_ipv4_header(header: &mut [u8]) {
    header[10] = 0;
    header[11] = 0;
    let c = finish(sum(header));
    header[10..12].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The worked example of RFC 1071 section 3: sum 0xddf2, checksum 0x220d.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum(&data)), 0x220d);
    }

    #[test]
    fn ipv4_header_checksum_verifies_to_zero() {
        let mut h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xff, 0xff, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        fill_ipv4_header(&mut h);
        assert_eq!(u16::from_be_bytes([h[10], h[11]]), 0xb861);
        assert_eq!(finish(sum(&h)), 0);
    }
}
