//! The matcher: one Aho-Corasick automaton for the names and certificate strings (ASCII
//! case-insensitive, bounded by what handshakes carried) and the sets of addresses and opaque
//! values' chunks (see `addresses`), run over the carried bytes of each written packet and each
//! text output.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, Match, MatchKind};

use super::addresses::SecretSets;
use super::collect::{MIN_TEXT_LEN, SecretKind, TextPattern};
use crate::wire::{self, Net, Transport};

/// What a text pattern stands for and where it counts.
#[derive(Debug, Clone, Copy)]
struct TextMeta {
    kind: SecretKind,
    in_files: bool,
}

/// Bytes of a written packet that were carried from the input rather than computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Carried {
    start: usize,
    end: usize,
    /// TLS handshake bytes: random values make 4-byte forms match by chance there.
    handshake: bool,
}

pub struct Canary {
    text: Option<AhoCorasick>,
    text_meta: Vec<TextMeta>,
    sets: SecretSets,
    /// Nanoseconds spent scanning, when the run was asked to time the scan.
    spent: Option<AtomicU64>,
}

/// Pattern bytes up to which the automaton is a DFA (a few MB of tables at most).
const DFA_MAX_PATTERN_BYTES: usize = 256 * 1024;

/// The longest binary form (IPv6): a zero run longer than twice this is skipped.
const LONGEST_ADDRESS: usize = 16;

impl Canary {
    pub fn new(
        patterns: Vec<TextPattern>,
        sets: SecretSets,
        timed: bool,
    ) -> anyhow::Result<Canary> {
        let started = Instant::now();
        let text_meta: Vec<TextMeta> = patterns
            .iter()
            .map(|p| TextMeta {
                kind: p.kind,
                in_files: p.in_files,
            })
            .collect();
        let text = if patterns.is_empty() {
            None
        } else {
            // A DFA (no failure transitions) searched the benchmark's packets several times
            // faster than the NFA the crate picks for more than a few patterns; its size grows
            // with the patterns' bytes, so beyond a budget the NFA is used.
            let bytes: usize = patterns.iter().map(|p| p.bytes.len()).sum();
            let kind = (bytes <= DFA_MAX_PATTERN_BYTES).then_some(AhoCorasickKind::DFA);
            // Standard semantics: a match is reported as soon as it ends (see `first_accepted`).
            let ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .kind(kind)
                .build(patterns.into_iter().map(|p| p.bytes))
                .map_err(|e| anyhow::anyhow!("cannot build the canary scan: {e}"))?;
            Some(ac)
        };
        // Building the automaton is part of the scan's cost.
        let built = started.elapsed().as_nanos() as u64;
        Ok(Canary {
            text,
            text_meta,
            sets,
            spent: timed.then(|| AtomicU64::new(built)),
        })
    }

    /// How many text patterns and set keys are searched.
    pub fn pattern_counts(&self) -> (usize, usize) {
        (self.text_meta.len(), self.sets.key_count())
    }

    /// Time spent scanning so far, when timed.
    pub fn spent(&self) -> Option<std::time::Duration> {
        self.spent
            .as_ref()
            .map(|s| std::time::Duration::from_nanos(s.load(Ordering::Relaxed)))
    }

    /// The first secret a written packet holds, if any.
    pub fn scan_packet(&self, link_type: u32, bytes: &[u8]) -> Option<SecretKind> {
        self.timed(|| self.packet_hit(link_type, bytes))
    }

    /// The first secret a text output file (summary, client log, SHA256SUMS) holds, if any.
    pub fn scan_text(&self, bytes: &[u8]) -> Option<SecretKind> {
        self.timed(|| self.text_hit(bytes, true))
    }

    fn timed<T>(&self, f: impl FnOnce() -> T) -> T {
        let Some(spent) = &self.spent else { return f() };
        let start = Instant::now();
        let out = f();
        spent.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    fn packet_hit(&self, link_type: u32, bytes: &[u8]) -> Option<SecretKind> {
        let (carried, macs) = carried(link_type, bytes);
        // The MAC fields are written through the mapping, which keeps multicast group MACs:
        // the one built from a real IPv6 address is looked up there too.
        for &at in macs.iter() {
            if let Some(kind) = bytes
                .get(at..at + 6)
                .and_then(|f| self.sets.mac_field_hit(f))
            {
                return Some(kind);
            }
        }
        carried.iter().find_map(|c| {
            let range = &bytes[c.start..c.end];
            let binary = if c.handshake {
                parts(range, LONGEST_ADDRESS).find_map(|p| self.sets.payload_hit(&range[p]))
            } else {
                self.sets.header_hit(range)
            };
            // No text form holds a zero byte: long zero runs (removed payload) are skipped whole.
            binary.or_else(|| {
                parts(range, 1)
                    .filter(|p| p.len() >= MIN_TEXT_LEN)
                    .find_map(|p| self.text_hit(&range[p], false))
            })
        })
    }

    fn text_hit(&self, haystack: &[u8], file: bool) -> Option<SecretKind> {
        let names = self.text.as_ref().and_then(|ac| {
            first_accepted(ac, haystack, 0..haystack.len(), |m| {
                let meta = self.text_meta[m.pattern().as_usize()];
                (meta.in_files || !file).then_some(meta.kind)
            })
        });
        names.or_else(|| self.sets.text_hit(haystack, file))
    }
}

/// The parts of `range` worth searching for forms up to `longest` bytes: all of a short one,
/// and a long one without the inside of its long zero runs.
fn parts(range: &[u8], longest: usize) -> Box<dyn Iterator<Item = Range<usize>> + '_> {
    if range.len() < 256 {
        Box::new(std::iter::once(0..range.len()))
    } else {
        Box::new(without_zero_runs(range, longest))
    }
}

/// The first match `accept` takes, searching only the parts of `haystack` that
/// [`without_zero_runs`] leaves. A plain search reports the match that ends first and is
/// several times faster than an overlapping one; only after a rejected match (rare: a 4-byte
/// form outside its reach, an address inside a longer number) is the rest of that part searched
/// with overlapping matches, from where a match overlapping the rejected one could start.
fn first_accepted(
    ac: &AhoCorasick,
    haystack: &[u8],
    range: Range<usize>,
    mut accept: impl FnMut(&Match) -> Option<SecretKind>,
) -> Option<SecretKind> {
    let longest = ac.max_pattern_len();
    let offset = range.start;
    let parts: Box<dyn Iterator<Item = Range<usize>>> = if range.len() < 256 {
        // Headers: short, full of short zero runs; not worth looking for long ones.
        Box::new(std::iter::once(range))
    } else {
        Box::new(
            without_zero_runs(&haystack[range], longest)
                .map(move |p| p.start + offset..p.end + offset),
        )
    };
    let mut parts = parts;
    parts.find_map(|part| {
        let m = ac.find(Input::new(haystack).span(part.clone()))?;
        if let Some(kind) = accept(&m) {
            return Some(kind);
        }
        // Matches ending before this one do not exist; any other ends at or after its end, so
        // starts at most the longest pattern's length before.
        let from = (m.end() + 1).saturating_sub(longest).max(part.start);
        ac.find_overlapping_iter(Input::new(haystack).span(from..part.end))
            .find_map(|m| accept(&m))
    })
}

/// The parts of `haystack` left when the inside of every run of zeros too long to lie within
/// one pattern is skipped (removed payload is zero-filled: a third of a sanitized capture's
/// bytes). No pattern is all zeros, so a match overlaps such a run by fewer than `longest`
/// bytes at either end; those bytes are kept on both sides.
fn without_zero_runs(haystack: &[u8], longest: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let margin = longest.saturating_sub(1);
    let skippable = 2 * margin + 64;
    let mut start = 0;
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < haystack.len() {
            let Some(zero) = haystack[at..].iter().position(|&b| b == 0) else {
                at = haystack.len();
                break;
            };
            let run_start = at + zero;
            let run_len = haystack[run_start..]
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(haystack.len() - run_start);
            let run_end = run_start + run_len;
            at = run_end;
            if run_len >= skippable {
                let part = start..run_start + margin;
                start = run_end - margin;
                return Some(part);
            }
        }
        if start < haystack.len() {
            let part = start..haystack.len();
            start = haystack.len();
            return Some(part);
        }
        None
    })
}

/// The byte ranges of a written packet that hold bytes carried from the input: the link
/// header, IP option areas, an ICMP error's quoted header, and the TCP payload
/// (redacted handshake bytes and record headers). Everything else is computed (mapped
/// addresses, lengths, checksums) or removed. A packet we cannot decode is carried whole.
/// Also where the link header's MAC fields are (written through the mapping).
fn carried(link_type: u32, bytes: &[u8]) -> (CarriedList, MacFields) {
    let all = |range: Range<usize>, handshake| Carried {
        start: range.start,
        end: range.end,
        handshake,
    };
    let mut out = CarriedList::default();
    let Ok(layout) = wire::decode(link_type, bytes) else {
        out.push(all(0..bytes.len(), false));
        return (out, MacFields::default());
    };
    let clip = |r: Range<usize>| r.start.min(bytes.len())..r.end.min(bytes.len());
    // The link header without its MAC addresses: those are mapped (computed), and 4 bytes of
    // the keyed `02:…` MACs matched a real IPv4 address by chance in a 256 MiB capture.
    let mut macs = layout.macs;
    let macs = &mut macs[..layout.mac_count.min(2)];
    macs.sort_unstable();
    let mut from = 0;
    for &mut at in macs {
        out.push(all(clip(from..at), false));
        from = from.max(at + 6);
    }
    out.push(all(clip(from..layout.link_end), false));
    if let Net::Ip(ip) = &layout.net {
        for &(from, to) in ip.blanks() {
            out.push(all(clip(from..to), false));
        }
        match &ip.transport {
            Transport::Icmp(icmp) => {
                if let Some(q) = icmp.quote {
                    out.push(all(clip(icmp.start + 4..q.end), false));
                }
            }
            // TCP options are not listed: those kept (MSS, window scale, SACK, timestamps) are
            // numbers, and timestamps matched a real 4-byte address by chance in a 256 MiB
            // capture; the longer forms are searched there anyway.
            Transport::Tcp(tcp) => {
                out.push(all(clip(tcp.header_end..bytes.len()), true));
            }
            Transport::Udp { .. } | Transport::Opaque => {}
        }
    }
    if out.overflowed {
        let mut whole = CarriedList::default();
        whole.push(all(0..bytes.len(), false));
        return (whole, MacFields::default());
    }
    (out, MacFields(layout.macs, layout.mac_count))
}

/// Where the link header's MAC fields start.
#[derive(Default)]
struct MacFields([usize; 2], usize);

impl MacFields {
    fn iter(&self) -> impl Iterator<Item = &usize> {
        self.0[..self.1.min(2)].iter()
    }
}

/// The carried ranges of one packet, without allocating (this runs for every packet): the link
/// header's pieces around two MACs, the IP option areas and one transport range.
#[derive(Default)]
struct CarriedList {
    items: [Carried; 16],
    len: usize,
    /// More ranges than fit: the whole packet is then treated as carried (fail closed).
    overflowed: bool,
}

impl CarriedList {
    fn push(&mut self, c: Carried) {
        if c.start >= c.end {
            return;
        }
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = c;
                self.len += 1;
            }
            None => self.overflowed = true,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Carried> {
        self.items[..self.len].iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, kind: SecretKind, in_files: bool) -> TextPattern {
        TextPattern {
            bytes: s.as_bytes().to_vec(),
            kind,
            in_files,
        }
    }

    fn with_addresses(patterns: Vec<TextPattern>, add: impl FnOnce(&mut SecretSets)) -> Canary {
        let mut a = SecretSets::default();
        add(&mut a);
        Canary::new(patterns, a.sealed(), false).unwrap()
    }

    /// An Ethernet/IPv4/TCP frame with `payload` after a 20-byte TCP header.
    fn tcp_frame(src: [u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = 20 + 20 + payload.len();
        let mut ip = vec![
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
            0,
            0,
        ];
        ip.extend_from_slice(&src);
        ip.extend_from_slice(&[192, 0, 2, 1]);
        f.extend_from_slice(&ip);
        let mut tcp = vec![0u8; 20];
        tcp[12] = 5 << 4;
        f.extend_from_slice(&tcp);
        f.extend_from_slice(payload);
        f
    }

    /// A pattern at either edge of a long zero run is still found; the run's inside is skipped.
    #[test]
    fn zero_runs_are_skipped_but_not_their_edges() {
        let mut h = vec![0u8; 4000];
        h[..3].copy_from_slice(&[1, 2, 3]);
        h[3990..].copy_from_slice(&[4, 5, 6, 7, 8, 9, 1, 2, 3, 4]);
        let parts: Vec<_> = without_zero_runs(&h, 16).collect();
        assert_eq!(parts, [0..18, 3975..4000]);
        let skipped: usize = 4000 - parts.iter().map(|p| p.len()).sum::<usize>();
        assert!(skipped > 3900);
        // Patterns that start before a run and end inside it, or the other way round.
        let tail = TextPattern {
            bytes: vec![2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            kind: SecretKind::HostName,
            in_files: true,
        };
        let head = TextPattern {
            bytes: vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4],
            kind: SecretKind::CertificateName,
            in_files: true,
        };
        for (p, kind) in [
            (tail, SecretKind::HostName),
            (head, SecretKind::CertificateName),
        ] {
            let ac = with_addresses(vec![p], |_| {});
            let found = first_accepted(ac.text.as_ref().unwrap(), &h, 0..h.len(), |m| {
                Some(ac.text_meta[m.pattern().as_usize()].kind)
            });
            assert_eq!(found, Some(kind));
        }
        assert_eq!(without_zero_runs(&[], 16).count(), 0);
        let parts: Vec<Range<usize>> = without_zero_runs(&[0; 10], 16).collect();
        assert_eq!(parts, vec![0..10]);
    }

    #[test]
    fn text_forms_match_whatever_the_case() {
        let c = with_addresses(
            vec![text("api.corp.net", SecretKind::HostName, true)],
            |_| {},
        );
        assert_eq!(
            c.scan_text(b"server: API.Corp.NET\n"),
            Some(SecretKind::HostName)
        );
        assert_eq!(c.scan_text(b"server: api.corp.ne\n"), None);
    }

    #[test]
    fn addresses_in_text_count_only_when_delimited() {
        let c = with_addresses(vec![], |a| {
            a.add_ipv4([10, 0, 0, 1]);
            a.add_ipv4([10, 0, 0, 12]);
            a.add_ipv6("fe80::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
            a.add_mac([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff], false);
        });
        let hit = Some(SecretKind::Ipv4Address);
        assert_eq!(c.scan_text(b"connect to 10.0.0.1:443"), hit);
        assert_eq!(c.scan_text(b"at 10.0.0.1."), hit);
        // The longer address is itself a secret.
        assert_eq!(c.scan_text(b"x 10.0.0.12 y"), hit);
        assert_eq!(c.scan_text(b"x 110.0.0.1 y"), None);
        assert_eq!(c.scan_text(b"x 10.0.0.13 y"), None);
        assert_eq!(c.scan_text(b"x 10.0.0.1.5 y"), None);
        assert_eq!(c.scan_text(b"[fe80::1]:443"), Some(SecretKind::Ipv6Address));
        assert_eq!(
            c.scan_text(b"FE80:0000:0000:0000:0000:0000:0000:0001"),
            Some(SecretKind::Ipv6Address)
        );
        assert_eq!(c.scan_text(b"fe80::12"), None);
        assert_eq!(c.scan_text(b"2fe80::1"), None);
        assert_eq!(
            c.scan_text(b"ether AA:BB:CC:DD:EE:FF"),
            Some(SecretKind::MacAddress)
        );
        assert_eq!(
            c.scan_text(b"ether aa-bb-cc-dd-ee-ff"),
            Some(SecretKind::MacAddress)
        );
        assert_eq!(c.scan_text(b"aa:bb:cc:dd:ee:ff:00"), None);
        // In a packet's carried handshake bytes too.
        let frame = tcp_frame([192, 0, 2, 9], b"\x0c\x08host 10.0.0.12 ");
        assert_eq!(c.scan_packet(1, &frame), hit);
    }

    #[test]
    fn certificate_names_are_not_searched_in_text_files() {
        let c = with_addresses(
            vec![text("server", SecretKind::CertificateName, false)],
            |_| {},
        );
        assert_eq!(c.scan_text(b"server: 203.0.113.1"), None);
        // ...but they are in a packet's carried bytes.
        let frame = tcp_frame([10, 0, 0, 1], b"\x0c\x06Server");
        assert_eq!(c.scan_packet(1, &frame), Some(SecretKind::CertificateName));
    }

    #[test]
    fn binary_forms_count_only_where_their_reach_says() {
        let mac = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
        let c = with_addresses(vec![], |a| {
            a.add_chunk([1, 2, 3, 4, 5, 6, 7, 8], SecretKind::SessionTicket);
            a.add_ipv4([10, 0, 0, 1]);
            a.add_mac(mac, false);
        });
        // In the IP header's source (a computed field, where the rewriter writes the mapped
        // address): a real address there is not carried, it is unmapped — but 4 bytes in
        // headers and handshake randoms occur by chance, so only carried headers count.
        assert_eq!(c.scan_packet(1, &tcp_frame([10, 0, 0, 1], b"")), None);
        assert_eq!(
            c.scan_packet(
                1,
                &tcp_frame([192, 0, 2, 9], &[22, 3, 3, 0, 4, 10, 0, 0, 1])
            ),
            None
        );
        // Nor in TCP options: timestamps are 4-byte numbers.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[46] = 8 << 4;
        frame[17] += 12;
        frame.extend_from_slice(&[1, 1, 8, 10, 10, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(c.scan_packet(1, &frame), None);
        // Nor in a mapped MAC: those bytes are computed.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[7..11].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(c.scan_packet(1, &frame), None);
        // A real MAC counts in a MAC field (the rewriter missed it) and in carried payload.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[6..12].copy_from_slice(&mac);
        assert_eq!(c.scan_packet(1, &frame), Some(SecretKind::MacAddress));
        let frame = tcp_frame(
            [192, 0, 2, 9],
            &[22, 3, 3, 0, 6, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc],
        );
        assert_eq!(c.scan_packet(1, &frame), Some(SecretKind::MacAddress));
        // In computed header fields it is not searched: the rewriter writes them.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[14 + 20..14 + 26].copy_from_slice(&mac);
        assert_eq!(c.scan_packet(1, &frame), None);
        // A ticket window in the handshake bytes counts; in the headers it would be chance.
        let payload: Vec<u8> = (0..=20).collect();
        assert_eq!(
            c.scan_packet(1, &tcp_frame([192, 0, 2, 9], &payload)),
            Some(SecretKind::SessionTicket)
        );
        // The binary forms are never searched in text files.
        assert_eq!(c.scan_text(&payload), None);
    }

    #[test]
    fn an_ipv4_address_in_an_icmp_quote_is_found() {
        let c = with_addresses(vec![], |a| a.add_ipv4([10, 9, 8, 7]));
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = 20 + 8 + 28;
        f.extend_from_slice(&[0x45, 0, 0, total as u8, 0, 0, 0, 0, 64, 1, 0, 0]);
        f.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
        // Destination unreachable, quoting an IPv4/UDP header whose source is 10.9.8.7.
        f.extend_from_slice(&[3, 1, 0, 0, 0, 0, 0, 0]);
        f.extend_from_slice(&[0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
        f.extend_from_slice(&[10, 9, 8, 7, 192, 0, 2, 1]);
        f.extend_from_slice(&[0, 53, 0, 53, 0, 8, 0, 0]);
        assert_eq!(c.scan_packet(1, &f), Some(SecretKind::Ipv4Address));
    }
}
