//! The Internet checksum (RFC 1071) of IPv4 headers, ICMP, TCP and UDP.

/// The one's-complement sum of `data` as big-endian 16-bit words (an odd last byte padded with
/// zero), not folded: add sums of several parts, then [`fold`] once.
///
/// Summed four bytes at a time: [`fold`] gives the same result as with 16-bit words, and
/// `examples/gen_mixed.rs` sums hundreds of MiB with it.
pub fn sum16(data: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let mut rest = words.remainder().chunks_exact(2);
    for w in &mut rest {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [b] = rest.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

/// The checksum of a sum: folded to 16 bits with end-around carry, then complemented.
pub fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// True when an IPv4 header (options included) sums to zero.
pub fn ipv4_header_checksum_ok(header: &[u8]) -> bool {
    fold(sum16(header)) == 0
}

/// The pseudo-header sum of TCP/UDP over IPv4 (4-byte addresses) or IPv6 (16-byte addresses).
pub fn pseudo_sum(src: &[u8], dst: &[u8], proto: u8, len: usize) -> u64 {
    sum16(src) + sum16(dst) + u64::from(proto) + len as u64
}

/// True when a TCP/UDP segment (checksum field included) verifies against its addresses.
pub fn transport_checksum_ok(src: &[u8], dst: &[u8], proto: u8, segment: &[u8]) -> bool {
    fold(sum16(segment) + pseudo_sum(src, dst, proto, segment.len())) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_byte_words_fold_as_two_byte_words() {
        let data: Vec<u8> = (0..=255u8).cycle().skip(7).take(1001).collect();
        for len in [0, 1, 2, 3, 4, 5, 20, 1001] {
            let mut by_two = 0u64;
            for w in data[..len].chunks(2) {
                by_two += u64::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
            }
            assert_eq!(fold(sum16(&data[..len])), fold(by_two), "{len} bytes");
        }
        assert_eq!(fold(sum16(&[0xff; 8])), 0);
    }
}
