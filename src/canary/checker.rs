//! The canary scan of pass 2's packets, on the rewriting thread or beside it.
//!
//! Scanning a written packet for the run's secrets was a ninth of pass 2's time on the
//! handshake-dense benchmark capture, and pass 2 runs on one core while the input's digest
//! has finished with the other. In the background mode the packets are copied into batches
//! that a thread of their own scans in order; the rewriting thread only waits when two
//! batches are queued, so memory stays bounded. The verdict is the same in both modes: the
//! first packet, in capture order, that holds a secret refuses the evidence.

use std::ops::Range;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

use super::{Canary, Refused};
use crate::wire::Layout;

/// Bytes of packets gathered before a batch is handed over.
const BATCH_BYTES: usize = 256 * 1024;
/// Batches waiting for the scanning thread before the rewriting thread waits.
const QUEUED: usize = 2;

/// Written packets waiting to be scanned, in capture order.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    packets: Vec<(u64, Layout, Range<usize>)>,
}

/// Scans every packet pass 2 writes (see the module's comment).
pub struct PacketChecker<'scope, 'env>(Mode<'scope, 'env>);

enum Mode<'scope, 'env> {
    Inline(&'env Canary),
    Background {
        batch: Batch,
        /// `None` once the end was told.
        full: Option<SyncSender<Batch>>,
        empty: Receiver<Batch>,
        /// `None` once joined.
        worker: Option<ScopedJoinHandle<'scope, Result<(), Refused>>>,
    },
}

impl<'scope, 'env> PacketChecker<'scope, 'env> {
    /// Scans on the caller's thread.
    pub fn inline(canary: &'env Canary) -> Self {
        PacketChecker(Mode::Inline(canary))
    }

    /// Scans on a thread of `scope`.
    pub fn background(scope: &'scope Scope<'scope, 'env>, canary: &'env Canary) -> Self {
        let (full_tx, full_rx) = sync_channel::<Batch>(QUEUED);
        let (empty_tx, empty_rx) = sync_channel::<Batch>(QUEUED + 1);
        let worker = scope.spawn(move || {
            for mut batch in full_rx {
                for (number, layout, range) in &batch.packets {
                    canary.check_packet(*number, layout, &batch.bytes[range.clone()])?;
                }
                batch.bytes.clear();
                batch.packets.clear();
                // Back for reuse; dropped when the rewriting thread holds enough.
                let _ = empty_tx.try_send(batch);
            }
            Ok(())
        });
        PacketChecker(Mode::Background {
            batch: Batch::default(),
            full: Some(full_tx),
            empty: empty_rx,
            worker: Some(worker),
        })
    }

    /// Scans packet `number` as written. In the background mode a refusal surfaces a few
    /// batches later, or at [`PacketChecker::finish`]; it is still the first leaking packet's,
    /// and the rewriting stops there rather than writing the rest of the capture.
    pub fn check(&mut self, number: u64, layout: Layout, bytes: &[u8]) -> Result<(), Refused> {
        match &mut self.0 {
            Mode::Inline(canary) => canary.check_packet(number, &layout, bytes),
            Mode::Background {
                batch,
                full,
                empty,
                worker,
            } => {
                let at = batch.bytes.len();
                batch.bytes.extend_from_slice(bytes);
                batch.packets.push((number, layout, at..at + bytes.len()));
                if batch.bytes.len() < BATCH_BYTES {
                    return Ok(());
                }
                let next = empty.try_recv().unwrap_or_default();
                let ready = std::mem::replace(batch, next);
                if full.as_ref().is_some_and(|tx| tx.send(ready).is_ok()) {
                    return Ok(());
                }
                // The scanning thread stopped: it found a leak, which it returns.
                full.take();
                join(worker)
            }
        }
    }

    /// Scans what is left; the first leak found, if any.
    pub fn finish(self) -> Result<(), Refused> {
        match self.0 {
            Mode::Inline(_) => Ok(()),
            Mode::Background {
                batch,
                mut full,
                mut worker,
                ..
            } => {
                if let Some(tx) = full.take() {
                    // A send that fails means the thread stopped on a leak, which it returns.
                    let _ = tx.send(batch);
                }
                join(&mut worker)
            }
        }
    }
}

/// The scanning thread's verdict (`Ok` if it was joined already).
fn join(worker: &mut Option<ScopedJoinHandle<'_, Result<(), Refused>>>) -> Result<(), Refused> {
    match worker.take().map(ScopedJoinHandle::join) {
        None => Ok(()),
        Some(Ok(result)) => result,
        // The scan does not panic; if it ever did, the run must not go on.
        Some(Err(panic)) => std::panic::resume_unwind(panic),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canary::addresses::SecretSets;
    use crate::canary::collect::TextPattern;
    use crate::canary::{Leak, Place, SecretKind};

    /// An Ethernet/IPv4/TCP frame whose payload is `payload`.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = (40 + payload.len()) as u16;
        f.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
        ]);
        f.extend_from_slice(&[0, 0, 192, 0, 2, 7, 192, 0, 2, 1]);
        let mut tcp = [0u8; 20];
        tcp[12] = 5 << 4;
        f.extend_from_slice(&tcp);
        f.extend_from_slice(payload);
        f
    }

    /// A canary that knows one server name, and 2,000 packets of which two hold it.
    fn packets() -> (Canary, Vec<(u64, Vec<u8>)>) {
        let name = b"secret-host.corp.example";
        let pattern = TextPattern {
            bytes: name.to_vec(),
            kind: SecretKind::HostName,
            in_files: true,
        };
        let canary = Canary::new(vec![pattern], SecretSets::default().sealed(), false).unwrap();
        let clean = frame(&[0x42; 1_400]);
        let mut payload = [0x42u8; 1_400];
        payload[700..700 + name.len()].copy_from_slice(name);
        let leaking = frame(&payload);
        let mut out: Vec<(u64, Vec<u8>)> = (1..=2_000).map(|n| (n, clean.clone())).collect();
        out[1_233].1 = leaking.clone();
        out[1_777].1 = leaking;
        (canary, out)
    }

    /// Runs the checker over the packets; the refusal, if any, and how many packets were
    /// handed to it before it refused.
    fn run_counting(background: bool) -> (Result<(), Refused>, usize) {
        let (canary, packets) = packets();
        let mut fed = 0;
        let result = std::thread::scope(|scope| {
            let mut checker = match background {
                true => PacketChecker::background(scope, &canary),
                false => PacketChecker::inline(&canary),
            };
            for (number, bytes) in &packets {
                let layout = crate::wire::decode(1, bytes).unwrap();
                fed += 1;
                checker.check(*number, layout, bytes)?;
            }
            checker.finish()
        });
        (result, fed)
    }

    #[test]
    fn both_modes_refuse_at_the_first_leaking_packet() {
        for background in [false, true] {
            let (Err(Refused(Leak { place, .. })), _) = run_counting(background) else {
                panic!("background {background}: the leak was not found");
            };
            assert_eq!(place, Place::Packet(1_234), "background {background}");
        }
    }

    /// Found beside the rewriting, a leak stops the rewriting within a few batches (the
    /// queue holds two), not at the end of the capture.
    #[test]
    fn the_background_scan_stops_the_rewriting_soon_after_a_leak() {
        let (result, fed) = run_counting(true);
        assert!(result.is_err(), "the leak was not found");
        assert!(
            fed < 2_000,
            "all {fed} packets were rewritten after the leak"
        );
    }
}
