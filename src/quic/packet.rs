//! One packet opened and sealed again: header protection removed then the payload opened
//! (RFC 9001 5.4.1, 5.3), and the reverse, which the redaction uses to re-encrypt an edited
//! Initial so that a reader deriving the keys from the (mapped) connection ID opens it.

use zeroize::Zeroizing;

use super::keys::PacketKeys;
use super::protection::{self, SAMPLE_LEN, TAG_LEN};

/// A packet with its protection removed.
#[derive(Clone)]
pub struct Opened {
    /// The header from the first byte through the packet number, header protection removed.
    pub header: Vec<u8>,
    /// The packet number's length on the wire (1 to 4).
    pub pn_len: usize,
    /// The full packet number.
    pub pn: u64,
    /// The frames. A Handshake packet's are secret (opened with a key log), so they are
    /// wiped when dropped, as the TLS records a key log opens are.
    pub payload: Zeroizing<Vec<u8>>,
}

impl Opened {
    /// Where the packet number starts in [`Opened::header`].
    pub fn pn_offset(&self) -> usize {
        self.header.len() - self.pn_len
    }
}

/// The sample header protection takes: 16 bytes from 4 bytes after the packet number starts.
fn sample(packet: &[u8], pn_offset: usize) -> Option<[u8; SAMPLE_LEN]> {
    let at = pn_offset.checked_add(4)?;
    packet.get(at..at + SAMPLE_LEN)?.try_into().ok()
}

/// Opens `packet` (exactly one packet's bytes) whose packet number starts at `pn_offset`;
/// `largest` is the largest packet number opened so far in its space and direction. `None`
/// when it does not authenticate under `keys`.
pub fn open(
    packet: &[u8],
    pn_offset: usize,
    long: bool,
    keys: &PacketKeys,
    largest: Option<u64>,
) -> Option<Opened> {
    let mask = protection::mask(keys, &sample(packet, pn_offset)?)?;
    let first = packet[0] ^ (mask[0] & protection::first_byte_bits(long));
    let pn_len = usize::from(first & 3) + 1;
    let pn_end = pn_offset + pn_len;
    let mut header = packet.get(..pn_end)?.to_vec();
    header[0] = first;
    let mut truncated = 0u64;
    for (b, m) in header[pn_offset..].iter_mut().zip(&mask[1..]) {
        *b ^= m;
        truncated = (truncated << 8) | u64::from(*b);
    }
    let pn = protection::decode_packet_number(largest, truncated, pn_len);
    let mut payload = Zeroizing::new(packet.get(pn_end..)?.to_vec());
    if payload.len() < TAG_LEN {
        return None;
    }
    protection::open(keys, pn, &header, &mut payload)?;
    Some(Opened {
        header,
        pn_len,
        pn,
        payload,
    })
}

/// Seals `opened` back into packet bytes: the payload encrypted with the header as associated
/// data, then header protection applied. The payload must keep its length for the packet to
/// keep its size (and its Length field to stay true); `None` when the sealed packet is too
/// short to sample or the keys do not fit.
pub fn seal(opened: &Opened, long: bool, keys: &PacketKeys) -> Option<Vec<u8>> {
    let mut body = opened.payload.clone();
    protection::seal(keys, opened.pn, &opened.header, &mut body)?;
    let mut packet = opened.header.clone();
    packet.extend_from_slice(&body);
    let pn_offset = opened.pn_offset();
    let mask = protection::mask(keys, &sample(&packet, pn_offset)?)?;
    packet[0] ^= mask[0] & protection::first_byte_bits(long);
    for (b, m) in packet[pn_offset..pn_offset + opened.pn_len]
        .iter_mut()
        .zip(&mask[1..])
    {
        *b ^= m;
    }
    Some(packet)
}
