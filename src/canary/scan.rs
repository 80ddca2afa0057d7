//! The matcher: one Aho-Corasick automaton for the names and certificate strings (ASCII
//! case-insensitive, bounded by what handshakes carried) and the sets of addresses and opaque
//! values' chunks (see `addresses`), run over the carried bytes of each written packet and each
//! text output.

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, Match, MatchKind};

use super::addresses::SecretSets;
use super::collect::{MIN_TEXT_LEN, TextPattern};
use super::secret::SecretKind;
#[cfg(test)]
use crate::wire;
use crate::wire::{Layout, Net, Transport};

/// What a text pattern stands for and where it counts.
#[derive(Debug, Clone, Copy)]
struct TextMeta {
    kind: SecretKind,
    in_files: bool,
}

pub struct Canary {
    text: Option<AhoCorasick>,
    text_meta: Vec<TextMeta>,
    sets: SecretSets,
    /// Zero bytes a searched form can reach into a zero run by (see [`Parts`]).
    margin: usize,
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
        // Addresses reach 15 bytes in; a text pattern only if it holds a zero byte (a name
        // never does, but a certificate string is whatever the certificate says).
        let margin = patterns
            .iter()
            .filter(|p| p.bytes.contains(&0))
            .map(|p| p.bytes.len())
            .fold(LONGEST_ADDRESS, usize::max)
            - 1;
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
            margin,
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

    /// The first secret a written packet holds, if any. `layout`: its headers' (the rewriter
    /// decoded them from the input, and the output keeps them in place).
    pub fn scan_packet(&self, layout: &Layout, bytes: &[u8]) -> Option<SecretKind> {
        self.timed(|| self.packet_hit(Some(layout), bytes))
    }

    /// The first secret a packet holds, decoding its headers here.
    #[cfg(test)]
    fn scan_frame(&self, link_type: u32, bytes: &[u8]) -> Option<SecretKind> {
        let layout = wire::decode(link_type, bytes).ok();
        self.packet_hit(layout.as_ref(), bytes)
    }

    /// The first secret a text output file (summary, client log, SHA256SUMS) holds, if any.
    pub fn scan_text(&self, bytes: &[u8]) -> Option<SecretKind> {
        self.timed(|| self.file_hit(bytes))
    }

    fn timed<T>(&self, f: impl FnOnce() -> T) -> T {
        let Some(spent) = &self.spent else { return f() };
        let start = Instant::now();
        let out = f();
        spent.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        out
    }

    fn packet_hit(&self, layout: Option<&Layout>, bytes: &[u8]) -> Option<SecretKind> {
        // A packet we cannot decode is carried whole.
        let Some(layout) = layout else {
            return self.range_hit(bytes, false);
        };
        // The MAC fields are written through the mapping, which keeps multicast group MACs:
        // the one built from a real IPv6 address is looked up there too.
        let tunnelled = layout.outers.iter().flat_map(|o| o.macs());
        for &at in layout.macs().iter().chain(tunnelled) {
            if let Some(kind) = bytes
                .get(at..at + 6)
                .and_then(|f| self.sets.mac_field_hit(f))
            {
                return Some(kind);
            }
        }
        carried_hit(layout, bytes.len(), |r, handshake| {
            self.range_hit(&bytes[r], handshake)
        })
    }

    /// The first secret in one carried range of a packet.
    fn range_hit(&self, range: &[u8], handshake: bool) -> Option<SecretKind> {
        // One walk over the range's parts serves every form: removed payload is zero-filled,
        // and skipping its runs once is most of the scan's saving.
        Parts::new(range, self.margin).find_map(|p| {
            let part = &range[p];
            let binary = if handshake {
                self.sets.payload_hit(part)
            } else {
                self.sets.header_hit(part)
            };
            binary.or_else(|| {
                (part.len() >= MIN_TEXT_LEN)
                    .then(|| self.text_hit(part, false))
                    .flatten()
            })
        })
    }

    /// The first host name or address spelled in `haystack`, which holds no long zero run
    /// (a packet's part, or a text file's).
    fn text_hit(&self, haystack: &[u8], file: bool) -> Option<SecretKind> {
        let names = self.text.as_ref().and_then(|ac| {
            first_accepted(ac, haystack, |m| {
                let meta = self.text_meta[m.pattern().as_usize()];
                (meta.in_files || !file).then_some(meta.kind)
            })
        });
        names.or_else(|| self.sets.text_hit(haystack, file))
    }

    fn file_hit(&self, bytes: &[u8]) -> Option<SecretKind> {
        Parts::new(bytes, self.margin).find_map(|p| self.text_hit(&bytes[p], true))
    }
}

/// The first match `accept` takes in `haystack`. A plain search reports the match that ends
/// first and is several times faster than an overlapping one; only after a rejected match
/// (rare: a name only the packet may hold, found in a file) is the rest searched with
/// overlapping matches, from where a match overlapping the rejected one could start.
fn first_accepted(
    ac: &AhoCorasick,
    haystack: &[u8],
    mut accept: impl FnMut(&Match) -> Option<SecretKind>,
) -> Option<SecretKind> {
    let m = ac.find(Input::new(haystack))?;
    if let Some(kind) = accept(&m) {
        return Some(kind);
    }
    // Matches ending before this one do not exist; any other ends at or after its end, so
    // starts at most the longest pattern's length before.
    let from = (m.end() + 1).saturating_sub(ac.max_pattern_len());
    ac.find_overlapping_iter(Input::new(haystack).span(from..haystack.len()))
        .find_map(|m| accept(&m))
}

/// The parts of a haystack left when the inside of every run of zeros too long to lie within
/// one searched form is skipped (removed payload is zero-filled: a third of a sanitized
/// capture's bytes). A form overlaps such a run by at most `margin` bytes at either end (no
/// form is all zeros, and only forms that hold a zero byte reach into one at all); those bytes
/// are kept on both sides. A short haystack (a header) is one part: not worth the look.
struct Parts<'a> {
    haystack: &'a [u8],
    margin: usize,
    skippable: usize,
    /// Where the part being built starts.
    start: usize,
    /// Where the search for the next zero run resumes.
    at: usize,
}

/// Haystacks shorter than this are one part.
const SPLIT_FROM: usize = 256;

impl<'a> Parts<'a> {
    fn new(haystack: &'a [u8], margin: usize) -> Parts<'a> {
        let short = haystack.len() < SPLIT_FROM;
        Parts {
            haystack,
            margin,
            skippable: 2 * margin + 64,
            start: 0,
            at: if short { haystack.len() } else { 0 },
        }
    }
}

impl Iterator for Parts<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let h = self.haystack;
        while self.at < h.len() {
            let Some(zero) = memchr::memchr(0, &h[self.at..]) else {
                self.at = h.len();
                break;
            };
            let run_start = self.at + zero;
            let run_end = run_start + zero_run(&h[run_start..]);
            self.at = run_end;
            if run_end - run_start >= self.skippable {
                // Zeros alone, at either end of the haystack, hold no form.
                let part = self.start..run_start + self.margin;
                let leading = run_start == self.start;
                self.start = if run_end == h.len() {
                    run_end
                } else {
                    run_end - self.margin
                };
                if !leading {
                    return Some(part);
                }
            }
        }
        (self.start < h.len()).then(|| {
            let part = self.start..h.len();
            self.start = h.len();
            part
        })
    }
}

/// How many zero bytes `bytes` starts with, 16 at a time while it can.
fn zero_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    for chunk in bytes.chunks_exact(16) {
        if u128::from_ne_bytes(chunk.try_into().unwrap_or([1; 16])) != 0 {
            break;
        }
        n += 16;
    }
    n + bytes[n..]
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len() - n)
}

/// Asks `visit` about each byte range of a written packet that holds bytes carried from the
/// input, in order, until it finds something: the link header, IP option areas, an ICMP
/// error's quoted header, and the TCP payload (redacted handshake bytes and record headers;
/// `handshake` is true there). Everything else is computed (mapped addresses, lengths,
/// checksums) or removed. Ranges are visited as they are found, never collected: this runs for
/// every packet, and most packets are headers alone.
fn carried_hit<T>(
    layout: &Layout,
    len: usize,
    mut visit: impl FnMut(Range<usize>, bool) -> Option<T>,
) -> Option<T> {
    let mut carried = |r: Range<usize>, handshake: bool| {
        let r = r.start.min(len)..r.end.min(len);
        (r.start < r.end).then(|| visit(r, handshake)).flatten()
    };
    // The link header without its MAC addresses: those are mapped (computed), and 4 bytes of
    // the keyed `02:…` MACs matched a real IPv4 address by chance in a 256 MiB capture.
    if let Some(hit) = link_hit(
        0..layout.outer_link_end(),
        layout.macs,
        layout.mac_count,
        &mut carried,
    ) {
        return Some(hit);
    }
    // Each tunnel: its outer IP header's option areas and the link header it carries. The
    // tunnel header itself holds numbers (ports, keys, identifiers) and blanked areas, like
    // the IP and TCP headers, which are not searched either.
    for outer in &layout.outers {
        for &(from, to) in outer.ip.blanks() {
            if let Some(hit) = carried(from..to, false) {
                return Some(hit);
            }
        }
        let link = outer.header.1..outer.link_end;
        if let Some(hit) = link_hit(link, outer.macs, outer.mac_count, &mut carried) {
            return Some(hit);
        }
    }
    let Net::Ip(ip) = &layout.net else {
        return None;
    };
    for &(from, to) in ip.blanks() {
        if let Some(hit) = carried(from..to, false) {
            return Some(hit);
        }
    }
    match &ip.transport {
        Transport::Icmp(icmp) => icmp
            .quote
            .and_then(|q| carried(icmp.start + 4..q.end, false)),
        // TCP options are not searched: those kept (MSS, window scale, SACK, timestamps) are
        // numbers, and timestamps matched a real 4-byte address by chance in a 256 MiB
        // capture; the longer forms are searched there anyway.
        Transport::Tcp(tcp) => carried(tcp.header_end..len, true),
        Transport::Udp { .. } | Transport::Opaque => None,
    }
}

/// The parts of the link header `link` that are not the MAC addresses at `macs`.
fn link_hit<T>(
    link: Range<usize>,
    mut macs: [usize; 2],
    mac_count: usize,
    carried: &mut impl FnMut(Range<usize>, bool) -> Option<T>,
) -> Option<T> {
    let macs = &mut macs[..mac_count.min(2)];
    macs.sort_unstable();
    let mut from = link.start;
    for &mut at in macs {
        if let Some(hit) = carried(from..at, false) {
            return Some(hit);
        }
        from = from.max(at + 6);
    }
    carried(from..link.end, false)
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
        let parts: Vec<_> = Parts::new(&h, 15).collect();
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
            assert_eq!(ac.file_hit(&h), Some(kind));
        }
        assert_eq!(Parts::new(&[], 15).count(), 0);
        let parts: Vec<Range<usize>> = Parts::new(&[0; 10], 15).collect();
        assert_eq!(parts, vec![0..10]);
        // A zero run at either end, and runs just long enough and just too short to skip.
        let mut h = vec![0u8; 1000];
        h[500] = 7;
        let parts: Vec<Range<usize>> = Parts::new(&h, 15).collect();
        assert_eq!(parts, vec![485..516]);
        let mut h = vec![9u8; 1000];
        h[100..194].fill(0);
        h[600..693].fill(0);
        assert_eq!(Parts::new(&h, 15).collect::<Vec<_>>(), [0..115, 179..1000]);
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
        assert_eq!(c.scan_frame(1, &frame), hit);
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
        assert_eq!(c.scan_frame(1, &frame), Some(SecretKind::CertificateName));
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
        assert_eq!(c.scan_frame(1, &tcp_frame([10, 0, 0, 1], b"")), None);
        assert_eq!(
            c.scan_frame(
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
        assert_eq!(c.scan_frame(1, &frame), None);
        // Nor in a mapped MAC: those bytes are computed.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[7..11].copy_from_slice(&[10, 0, 0, 1]);
        assert_eq!(c.scan_frame(1, &frame), None);
        // A real MAC counts in a MAC field (the rewriter missed it) and in carried payload.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[6..12].copy_from_slice(&mac);
        assert_eq!(c.scan_frame(1, &frame), Some(SecretKind::MacAddress));
        let frame = tcp_frame(
            [192, 0, 2, 9],
            &[22, 3, 3, 0, 6, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc],
        );
        assert_eq!(c.scan_frame(1, &frame), Some(SecretKind::MacAddress));
        // In computed header fields it is not searched: the rewriter writes them.
        let mut frame = tcp_frame([192, 0, 2, 9], b"");
        frame[14 + 20..14 + 26].copy_from_slice(&mac);
        assert_eq!(c.scan_frame(1, &frame), None);
        // A ticket window in the handshake bytes counts; in the headers it would be chance.
        let payload: Vec<u8> = (0..=20).collect();
        assert_eq!(
            c.scan_frame(1, &tcp_frame([192, 0, 2, 9], &payload)),
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
        assert_eq!(c.scan_frame(1, &f), Some(SecretKind::Ipv4Address));
    }
}
