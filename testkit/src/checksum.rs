//! The Internet checksum (RFC 1071) of IPv4 headers, ICMP, TCP and UDP.

pub fn sum16(data: &[u8]) -> u64 {
    let mut acc = 0u64;
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [b] = chunks.remainder() {
        acc += u64::from(*b) << 8;
    }
    acc
}

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
