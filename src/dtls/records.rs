//! The DTLS record layer of one datagram: several records back to back, each a 13-byte header
//! (content type, version, epoch, 48-bit sequence number, length) and its body (RFC 6347
//! §4.1), or a DTLS 1.3 unified header (RFC 9147 §4), whose record is always encrypted.
//! A record is believed only when its header is plausible and its length fits what the
//! datagram claims; the first that is not ends the walk (the rest is removed).

pub const HEADER_LEN: usize = 13;

pub const CONTENT_CCS: u8 = 20;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION: u8 = 23;

/// DTLS 1.0 and DTLS 1.2 record versions (DTLS 1.3 plaintext records carry 1.2's).
pub const DTLS_1_0: u16 = 0xfeff;
pub const DTLS_1_2: u16 = 0xfefd;

/// One DTLS 1.0/1.2 record header, as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtlsHeader {
    pub content_type: u8,
    pub version: u16,
    pub epoch: u16,
    /// 48 bits.
    pub sequence: u64,
    pub length: u16,
    /// The 13 bytes as read (what the sanitized copy keeps).
    pub bytes: [u8; HEADER_LEN],
}

impl DtlsHeader {
    /// A plausible header at the start of `bytes`: a content type DTLS 1.0/1.2 defines
    /// (ChangeCipherSpec, alert, handshake, application data) and a DTLS version.
    pub fn parse(bytes: &[u8]) -> Option<DtlsHeader> {
        let b: [u8; HEADER_LEN] = bytes.get(..HEADER_LEN)?.try_into().ok()?;
        let content_type = b[0];
        let version = u16::from_be_bytes([b[1], b[2]]);
        if !(CONTENT_CCS..=CONTENT_APPLICATION).contains(&content_type)
            || !matches!(version, DTLS_1_0 | DTLS_1_2)
        {
            return None;
        }
        let mut seq = [0u8; 8];
        seq[2..].copy_from_slice(&b[5..11]);
        Some(DtlsHeader {
            content_type,
            version,
            epoch: u16::from_be_bytes([b[3], b[4]]),
            sequence: u64::from_be_bytes(seq),
            length: u16::from_be_bytes([b[11], b[12]]),
            bytes: b,
        })
    }

    /// Epoch 0 is the plaintext handshake; any later epoch is encrypted.
    pub fn encrypted(&self) -> bool {
        self.epoch > 0
    }
}

/// One record of a datagram: where it starts in the datagram, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub at: usize,
    pub kind: RecordKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A DTLS 1.0/1.2 record (or a DTLS 1.3 plaintext one): its body follows its header.
    Plain(DtlsHeader),
    /// A DTLS 1.3 unified header without a connection ID and with its length: `header_len`
    /// bytes (first byte, 8- or 16-bit encrypted sequence number, length), then `length`
    /// encrypted bytes.
    Unified { header_len: usize, length: usize },
}

impl Record {
    /// Where the record's body starts in the datagram.
    pub fn body_start(&self) -> usize {
        self.at
            + match self.kind {
                RecordKind::Plain(_) => HEADER_LEN,
                RecordKind::Unified { header_len, .. } => header_len,
            }
    }

    pub fn body_len(&self) -> usize {
        match self.kind {
            RecordKind::Plain(h) => usize::from(h.length),
            RecordKind::Unified { length, .. } => length,
        }
    }

    pub fn end(&self) -> usize {
        self.body_start() + self.body_len()
    }
}

/// The records of a datagram whose payload is `claimed` bytes long (as its UDP header says;
/// the capture may hold fewer): every record whose header is plausible and whose body ends
/// within `claimed`. The walk stops at the first that is not, and at a DTLS 1.3 unified header
/// it cannot frame (one with a connection ID, which is an identifier and is never kept, or
/// without a length, which runs to the datagram's end): what follows is removed.
pub fn walk(datagram: &[u8], claimed: usize) -> Vec<Record> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < claimed {
        let rest = datagram.get(at..).unwrap_or_default();
        let kind = match rest.first() {
            Some(&b) if b & 0xE0 == 0x20 => match unified(b, rest) {
                Some(k) => k,
                None => break,
            },
            _ => match DtlsHeader::parse(rest) {
                Some(h) => RecordKind::Plain(h),
                None => break,
            },
        };
        let record = Record { at, kind };
        if record.end() > claimed {
            break;
        }
        at = record.end();
        records.push(record);
    }
    records
}

/// A DTLS 1.3 unified header (first byte 0b001CSLEE) that frames its record: no connection
/// ID (C = 0) and a length (L = 1).
fn unified(first: u8, rest: &[u8]) -> Option<RecordKind> {
    let cid = first & 0x10 != 0;
    let seq_len = if first & 0x08 != 0 { 2 } else { 1 };
    let has_length = first & 0x04 != 0;
    if cid || !has_length {
        return None;
    }
    let header_len = 1 + seq_len + 2;
    let len_at = 1 + seq_len;
    let length = usize::from(u16::from_be_bytes([
        *rest.get(len_at)?,
        *rest.get(len_at + 1)?,
    ]));
    Some(RecordKind::Unified { header_len, length })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, epoch: u16, body: &[u8]) -> Vec<u8> {
        let mut v = vec![content_type, 0xfe, 0xfd];
        v.extend_from_slice(&epoch.to_be_bytes());
        v.extend_from_slice(&[0, 0, 0, 0, 1, 2]);
        v.extend_from_slice(&(body.len() as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn several_records_in_one_datagram() {
        let mut d = record(22, 0, &[1; 20]);
        d.extend(record(20, 0, &[1]));
        d.extend(record(22, 1, &[9; 40]));
        let r = walk(&d, d.len());
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].at, 33);
        let RecordKind::Plain(h) = r[2].kind else {
            panic!("plain")
        };
        assert!(h.encrypted());
        assert_eq!(h.sequence, 0x0102);
        assert_eq!(r[2].end(), d.len());
    }

    #[test]
    fn the_walk_stops_at_an_implausible_header_or_a_short_datagram() {
        let mut d = record(22, 0, &[1; 20]);
        d.extend([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5]);
        assert_eq!(walk(&d, d.len()).len(), 1);
        let d = record(22, 0, &[1; 20]);
        assert_eq!(walk(&d, d.len() - 1).len(), 0);
        // Cut by the capture but claimed whole: the header is still believed.
        assert_eq!(walk(&d[..20], d.len()).len(), 1);
        for n in 0..d.len() {
            let _ = walk(&d[..n], n);
        }
    }

    #[test]
    fn unified_headers_frame_their_record_only_with_a_length_and_no_cid() {
        // 0b0010_1100: no CID, 16-bit sequence, length present.
        let mut d = vec![0x2C, 0xAA, 0xBB, 0, 4, 1, 2, 3, 4];
        d.extend(record(21, 0, &[2, 40]));
        let r = walk(&d, d.len());
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[0].kind,
            RecordKind::Unified {
                header_len: 5,
                length: 4
            }
        );
        // With a connection ID, or without a length: nothing is framed.
        assert!(walk(&[0x3C, 1, 2, 0, 1, 9], 6).is_empty());
        assert!(walk(&[0x28, 1, 2, 9, 9], 5).is_empty());
    }
}
