//! IP fragments of a built packet: IPv4 (RFC 791) and IPv6 with a Fragment header (RFC 8200),
//! each fragment a whole IP packet with its header checksum filled in.

use crate::checksum::{fold, sum16};

/// The fragment of the IPv4 packet `packet` (header without options, as
/// [`crate::net::ipv4_packet`] builds it) that carries `len` bytes of its payload from
/// `offset` (a multiple of 8), with the MF flag `more`.
pub fn ipv4_fragment(packet: &[u8], offset: usize, len: usize, more: bool) -> Vec<u8> {
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    let payload = &packet[ihl..];
    let mut f = packet[..ihl].to_vec();
    let total = ihl + len;
    f[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    // Fragmented: DF cleared.
    let field = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
    f[6..8].copy_from_slice(&field.to_be_bytes());
    f[10..12].fill(0);
    let c = fold(sum16(&f));
    f[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&payload[offset..offset + len]);
    f
}

/// The IPv4 packet cut at the payload offsets `cuts` (multiples of 8, ascending): one
/// fragment per piece, in order.
pub fn ipv4_split(packet: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    pieces(packet.len() - ihl, cuts)
        .map(|(from, to, more)| ipv4_fragment(packet, from, to - from, more))
        .collect()
}

/// The fragment of the IPv6 packet `packet` (a 40-byte header, no extension headers, as
/// [`crate::net::ipv6_packet`] builds it) that carries `len` bytes of its payload from
/// `offset` (a multiple of 8), behind a Fragment header with identification `id`.
pub fn ipv6_fragment(packet: &[u8], id: u32, offset: usize, len: usize, more: bool) -> Vec<u8> {
    let payload = &packet[40..];
    let mut f = packet[..40].to_vec();
    f[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
    let next = f[6];
    f[6] = 44;
    f.extend_from_slice(&[next, 0]);
    let field = (offset as u16) | u16::from(more);
    f.extend_from_slice(&field.to_be_bytes());
    f.extend_from_slice(&id.to_be_bytes());
    f.extend_from_slice(&payload[offset..offset + len]);
    f
}

/// The IPv6 packet cut at the payload offsets `cuts` (multiples of 8, ascending).
pub fn ipv6_split(packet: &[u8], id: u32, cuts: &[usize]) -> Vec<Vec<u8>> {
    pieces(packet.len() - 40, cuts)
        .map(|(from, to, more)| ipv6_fragment(packet, id, from, to - from, more))
        .collect()
}

/// (from, to, more fragments) of each piece of `len` bytes cut at `cuts`.
fn pieces(len: usize, cuts: &[usize]) -> impl Iterator<Item = (usize, usize, bool)> + '_ {
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(len));
    starts.zip(ends).map(move |(a, b)| (a, b, b < len))
}
