//! Reading and writing pcap and pcapng files.
//!
//! We frame records ourselves rather than through `pcap-file` 2.0: its buffered reader grows to
//! whatever length a record claims (a hostile 4 GiB record means a 4 GiB allocation), its typed
//! pcapng blocks reject non-UTF-8 comments, and it ignores `if_tsresol`. Framing is a few hundred
//! lines; owning it lets every error name the file, packet and byte offset, and keeps the hot path
//! free of allocation (records are slices of a moving memory mapping, see `window`). `pcap-file`
//! is still used by the tests as an independent reader of what we write.

mod format;
pub mod reader;
pub(crate) mod window;
pub mod writer;

pub use format::{DroppedBlock, Format, Interface, PcapHeader, RawTimestamp};
pub use reader::{CaptureReader, Event, OnProgress, Packet, ReadError, SecretText};
pub use writer::CaptureWriter;
