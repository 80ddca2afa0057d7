//! Measures the reasons given in docs/decisions.md for a hand-written capture reader and offset
//! decoder: the time to read every record of a pcap file and find its transport header, with
//! pcapscrub's `CaptureReader` + `wire::decode` against `pcap-file` 2's reader + etherparse's
//! `LaxSlicedPacket`, and (with `--only`) one reader's peak memory, e.g. on a hostile record that claims 1 GiB.
//!
//!   cargo run --release --example compare_readers -- FILE.pcap [ROUNDS]
//!   cargo run --release --example compare_readers -- FILE.pcap 1 --only ours|theirs
//!
//! Prints one line per round and reader (interleaved, so host drift hits both alike), then the
//! medians and their ratio. Only pcap files with Ethernet link type are compared (the other
//! reader's typed API needs one link type).

use std::path::Path;
use std::time::Instant;

use pcapscrub::capture::{CaptureReader, Event};
use pcapscrub::wire::{self, Transport};

/// Records read and records whose TCP or UDP header was found, by our reader and decoder.
fn ours(path: &Path) -> (u64, u64) {
    let mut reader = match CaptureReader::open(path, "bench") {
        Ok(r) => r,
        Err(e) => {
            println!("pcapscrub: {e}");
            return (0, 0);
        }
    };
    let (mut packets, mut transport) = (0, 0);
    loop {
        let event = match reader.next_event() {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(e) => {
                println!("pcapscrub: {e}");
                break;
            }
        };
        if let Event::Packet(p) = event {
            packets += 1;
            if let Ok(layout) = wire::decode(p.link_type, p.data)
                && layout.ip().is_some_and(|ip| {
                    matches!(ip.transport, Transport::Tcp(_) | Transport::Udp { .. })
                })
            {
                transport += 1;
            }
        }
    }
    (packets, transport)
}

/// The same with pcap-file 2 (raw packets: the typed API rejects snaplen-cut records) and
/// etherparse's lax slicer (the one that survives cut packets).
fn theirs(path: &Path) -> (u64, u64) {
    let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut reader = pcap_file::pcap::PcapReader::new(file).expect("pcap header");
    let (mut packets, mut transport) = (0, 0);
    while let Some(raw) = reader.next_raw_packet() {
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                println!("pcap-file: {e}");
                break;
            }
        };
        packets += 1;
        if let Ok(sliced) = etherparse::LaxSlicedPacket::from_ethernet(&raw.data)
            && matches!(
                sliced.transport,
                Some(etherparse::TransportSlice::Tcp(_)) | Some(etherparse::TransportSlice::Udp(_))
            )
        {
            transport += 1;
        }
    }
    (packets, transport)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: compare_readers FILE.pcap [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(7);
    let path = Path::new(&file);
    // `--only ours|theirs` runs one reader once, for a peak-memory measurement under
    // `/usr/bin/time -v`.
    match (args.next().as_deref(), args.next().as_deref()) {
        (Some("--only"), Some("ours")) => {
            println!("{:?}", ours(path));
            return;
        }
        (Some("--only"), Some("theirs")) => {
            println!("{:?}", theirs(path));
            return;
        }
        _ => {}
    }
    let size = std::fs::metadata(path).expect("stat").len() as f64;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let t = Instant::now();
        let o = ours(path);
        let to = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let p = theirs(path);
        let tp = t.elapsed().as_secs_f64();
        println!(
            "round {round}: pcapscrub {to:.3} s ({} packets, {} with a transport header); \
             pcap-file+etherparse {tp:.3} s ({} packets, {} with a transport header)",
            o.0, o.1, p.0, p.1
        );
        a.push(to);
        b.push(tp);
    }
    let (ma, mb) = (median(&mut a), median(&mut b));
    println!(
        "median: pcapscrub {ma:.3} s ({:.0} MB/s), pcap-file+etherparse {mb:.3} s ({:.0} MB/s), \
         ratio {:.2}",
        size / ma / 1e6,
        size / mb / 1e6,
        mb / ma
    );
}
