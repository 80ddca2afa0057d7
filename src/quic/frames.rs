//! The frames an Initial or Handshake packet may carry (RFC 9000 12.4, table 3; 19): PADDING,
//! PING, ACK (with ECN counts), CRYPTO and CONNECTION_CLOSE. The walk stops at any other frame
//! type or at a frame that does not parse, and says where: nothing from there on is read
//! (fail closed, docs/architecture.md "Rules that hold everywhere").

use std::ops::Range;

use super::varint::Cursor;

/// One frame and what the diagnosis and the redaction need of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameKind {
    /// A run of PADDING bytes (each is one frame), taken together.
    Padding,
    Ping,
    Ack {
        largest: u64,
        ecn: bool,
    },
    /// Stream `data` (a range of the payload) at `offset` of its packet number space's
    /// CRYPTO stream.
    Crypto {
        offset: u64,
        data: Range<usize>,
    },
    /// 0x1c (a transport error, with the frame type that caused it) or 0x1d (an application
    /// error); `reason` is the free-form reason phrase's range.
    ConnectionClose {
        application: bool,
        error_code: u64,
        frame_type: Option<u64>,
        reason: Range<usize>,
    },
}

/// One frame: its bytes' range in the payload and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub range: Range<usize>,
    pub kind: FrameKind,
}

/// A payload's frames, in order, up to where the walk stopped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frames {
    pub frames: Vec<Frame>,
    /// Where a frame that is not allowed or does not parse starts; `None` when every byte of
    /// the payload was read.
    pub stopped_at: Option<usize>,
}

/// Walks the frames of an Initial or Handshake packet's payload.
pub fn parse(payload: &[u8]) -> Frames {
    let mut out = Frames::default();
    let mut c = Cursor::new(payload);
    while c.remaining() > 0 {
        let start = c.pos();
        match frame(&mut c, payload) {
            Some(kind) => out.frames.push(Frame {
                range: start..c.pos(),
                kind,
            }),
            None => {
                out.stopped_at = Some(start);
                break;
            }
        }
    }
    out
}

fn frame(c: &mut Cursor<'_>, payload: &[u8]) -> Option<FrameKind> {
    Some(match c.varint()? {
        0x00 => {
            while payload.get(c.pos()) == Some(&0) {
                c.u8()?;
            }
            FrameKind::Padding
        }
        0x01 => FrameKind::Ping,
        t @ (0x02 | 0x03) => {
            let largest = c.varint()?;
            let _delay = c.varint()?;
            let ranges = c.varint()?;
            let _first_range = c.varint()?;
            for _ in 0..ranges {
                let _gap = c.varint()?;
                let _len = c.varint()?;
            }
            let ecn = t == 0x03;
            if ecn {
                for _ in 0..3 {
                    c.varint()?;
                }
            }
            FrameKind::Ack { largest, ecn }
        }
        0x06 => {
            let offset = c.varint()?;
            let len = c.varint()?;
            // RFC 9000 19.6: the stream's largest offset is below 2^62.
            if offset.checked_add(len)? >= 1 << 62 {
                return None;
            }
            let start = c.pos();
            c.take_varint_len(len)?;
            FrameKind::Crypto {
                offset,
                data: start..c.pos(),
            }
        }
        t @ (0x1c | 0x1d) => {
            let application = t == 0x1d;
            let error_code = c.varint()?;
            let frame_type = if application { None } else { Some(c.varint()?) };
            let len = c.varint()?;
            let start = c.pos();
            c.take_varint_len(len)?;
            FrameKind::ConnectionClose {
                application,
                error_code,
                frame_type,
                reason: start..c.pos(),
            }
        }
        _ => return None,
    })
}

/// The TLS alert a CONNECTION_CLOSE's error code carries: CRYPTO_ERROR is 0x0100 plus the
/// alert (RFC 9001 4.8).
pub fn crypto_error_alert(error_code: u64) -> Option<u8> {
    if (0x0100..=0x01ff).contains(&error_code) {
        Some((error_code - 0x0100) as u8)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_frame_and_a_stop() {
        let payload = [
            0x01, // PING
            0x03, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, // ACK+ECN, 1 range
            0x06, 0x00, 0x02, 0xaa, 0xbb, // CRYPTO at 0, 2 bytes
            0x1c, 0x41, 0x2a, 0x06, 0x01, b'x', // CONNECTION_CLOSE 0x12a, CRYPTO frame
            0x00, 0x00, 0x00, // PADDING
            0x08, 0x00, // STREAM: not allowed here
        ];
        let f = parse(&payload);
        let kinds: Vec<_> = f.frames.iter().map(|f| f.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                FrameKind::Ping,
                FrameKind::Ack {
                    largest: 5,
                    ecn: true
                },
                FrameKind::Crypto {
                    offset: 0,
                    data: 14..16
                },
                FrameKind::ConnectionClose {
                    application: false,
                    error_code: 0x12a,
                    frame_type: Some(6),
                    reason: 21..22
                },
                FrameKind::Padding,
            ]
        );
        assert_eq!(f.stopped_at, Some(25));
        assert_eq!(crypto_error_alert(0x12a), Some(42));
        // A truncated CRYPTO frame stops the walk where it starts.
        assert_eq!(parse(&[0x01, 0x06, 0x00, 0x05, 1]).stopped_at, Some(1));
    }
}
