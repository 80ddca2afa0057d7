//! The addresses the mapping rewrites and the opaque handshake values' chunks, in hash sets of
//! fixed-size keys: memory grows by a few dozen bytes per key (an automaton grew by states per
//! pattern byte, and 100,000 connections' values pushed it past its fast form).

use foldhash::{HashMap, HashSet};

use super::prefix::{PrefixFilter, first4};
use super::secret::{SecretKind, eui64, too_plain};
use super::tokens::{self, NameFilter, TextAddress};

/// Every searched form of the rewritten addresses.
#[derive(Default)]
pub struct SecretSets {
    /// Searched as text (every rewritten address, however plain its bytes).
    ipv4_text: HashSet<[u8; 4]>,
    ipv6_text: HashSet<[u8; 16]>,
    mac_text: HashSet<[u8; 6]>,
    /// 4-byte forms: searched only in carried headers (random handshake bytes hold any 4 bytes).
    ipv4_binary: HashSet<[u8; 4]>,
    /// MACs and solicited-node group MACs.
    binary6: HashMap<[u8; 6], SecretKind>,
    /// Interface identifiers derived from MACs, and chunks of opaque handshake values.
    binary8: HashMap<[u8; 8], SecretKind>,
    /// IPv6 addresses and solicited-node groups.
    binary16: HashMap<[u8; 16], SecretKind>,
    /// Host names made of name characters only (lowercase), and whether they count in text
    /// output files too.
    names: HashMap<Vec<u8>, bool>,
    /// The names' lengths and first bytes, which rule out almost every token before a lookup.
    name_filter: NameFilter,
    /// Names the policy keeps: a secret name that is part of one is not a leak there (a
    /// kept server name's replaced certificate named its parent domain).
    allowed: crate::allowlist::Allowlist,
    /// Which first four bytes a 6-, 8- or 16-byte form can start with.
    prefixes: PrefixFilter,
}

impl SecretSets {
    pub fn add_ipv4(&mut self, a: [u8; 4]) {
        self.ipv4_text.insert(a);
        if !too_plain(&a) {
            self.ipv4_binary.insert(a);
        }
    }

    /// An IPv6 address with the solicited-node group it joins (as an address and as the
    /// Ethernet group MAC, which the mapping keeps as multicast).
    pub fn add_ipv6(&mut self, a: [u8; 16]) {
        self.ipv6_text.insert(a);
        let mut group = [0u8; 16];
        group[..2].copy_from_slice(&[0xff, 0x02]);
        group[11..13].copy_from_slice(&[0x01, 0xff]);
        group[13..].copy_from_slice(&a[13..]);
        let group_mac = [0x33, 0x33, 0xff, a[13], a[14], a[15]];
        for (form, kind) in [
            (a, SecretKind::Ipv6Address),
            (group, SecretKind::SolicitedNodeGroup),
        ] {
            if !too_plain(&form) {
                self.binary16.entry(form).or_insert(kind);
            }
        }
        if !too_plain(&group_mac) {
            self.binary6
                .entry(group_mac)
                .or_insert(SecretKind::SolicitedNodeGroup);
        }
    }

    /// A MAC and, unless `iid_kept`, the EUI-64 interface identifier built from it.
    pub fn add_mac(&mut self, m: [u8; 6], iid_kept: bool) {
        self.mac_text.insert(m);
        if !too_plain(&m) {
            self.binary6.insert(m, SecretKind::MacAddress);
            let iid = eui64(m);
            if !iid_kept {
                self.binary8.insert(iid, SecretKind::InterfaceId);
            }
        }
    }

    /// A host name (lowercase), searched as a token (see `tokens::find_name`).
    pub fn add_name(&mut self, name: Vec<u8>, in_files: bool) {
        let e = self.names.entry(name).or_insert(in_files);
        *e |= in_files;
    }

    /// Lets names the policy allows stay, with any secret name inside them.
    pub fn set_allowlist(&mut self, allowed: crate::allowlist::Allowlist) {
        self.allowed = allowed;
    }

    /// An 8-byte chunk of an opaque handshake value (random, session id, ticket, PSK identity).
    pub fn add_chunk(&mut self, chunk: [u8; 8], kind: SecretKind) {
        self.binary8.entry(chunk).or_insert(kind);
    }

    /// Builds the prefix filter once every address is in.
    pub fn sealed(mut self) -> SecretSets {
        let firsts: Vec<u32> = self
            .binary6
            .keys()
            .map(|k| first4(k))
            .chain(self.binary8.keys().map(|k| first4(k)))
            .chain(self.binary16.keys().map(|k| first4(k)))
            .collect();
        self.prefixes = PrefixFilter::of(&firsts);
        self.name_filter = NameFilter::of(self.names.keys().map(Vec::as_slice));
        self
    }

    fn no_addresses(&self) -> bool {
        self.ipv4_text.is_empty() && self.ipv6_text.is_empty() && self.mac_text.is_empty()
    }

    /// How many keys are held (for the benchmark).
    pub fn key_count(&self) -> usize {
        self.ipv4_text.len()
            + self.ipv6_text.len()
            + self.mac_text.len()
            + self.ipv4_binary.len()
            + self.binary6.len()
            + self.binary8.len()
            + self.binary16.len()
            + self.names.len()
    }

    /// The first host name or rewritten address spelled in `text`; `file` when it is a text
    /// output file, where only names with a dot count (a dotless one may be a word of ours).
    pub fn text_hit(&self, text: &[u8], file: bool) -> Option<SecretKind> {
        let name = (!self.names.is_empty())
            .then(|| {
                tokens::find_name(text, &self.name_filter, |n, token| {
                    let in_files = *self.names.get(n)?;
                    let counts = (in_files || !file) && !self.allowed.allows_name(token);
                    counts.then_some(SecretKind::HostName)
                })
            })
            .flatten();
        if name.is_some() || self.no_addresses() {
            return name;
        }
        tokens::find(text, |a| match a {
            TextAddress::V4(a) => self
                .ipv4_text
                .contains(&a)
                .then_some(SecretKind::Ipv4Address),
            TextAddress::V6(a) => self
                .ipv6_text
                .contains(&a)
                .then_some(SecretKind::Ipv6Address),
            TextAddress::Mac(m) => self.mac_text.contains(&m).then_some(SecretKind::MacAddress),
        })
    }

    /// A 6-byte field (a MAC the link header carries) that holds a MAC form.
    pub fn mac_field_hit(&self, field: &[u8]) -> Option<SecretKind> {
        let key: [u8; 6] = field.try_into().ok()?;
        if !self.prefixes.may_hold(first4(&key)) {
            return None;
        }
        self.binary6.get(&key).copied()
    }

    /// A binary form at any position of carried header bytes (4-byte forms included).
    pub fn header_hit(&self, bytes: &[u8]) -> Option<SecretKind> {
        let v4 = !self.ipv4_binary.is_empty();
        (0..bytes.len()).find_map(|at| {
            if v4
                && let Some(w) = bytes.get(at..at + 4)
                && self.ipv4_binary.contains(&<[u8; 4]>::try_from(w).ok()?)
            {
                return Some(SecretKind::Ipv4Address);
            }
            self.long_hit(bytes, at)
        })
    }

    /// A 6-, 8- or 16-byte form at any position of carried payload bytes (no 4-byte form:
    /// random handshake bytes hold any 4 bytes by chance).
    pub fn payload_hit(&self, bytes: &[u8]) -> Option<SecretKind> {
        if self.prefixes.is_empty() || bytes.len() < 6 {
            return None;
        }
        // Every window is asked of the prefix filter here, in the loop; the sets only after
        // it passes (a few percent of windows).
        (0..=bytes.len() - 6).find_map(|at| {
            let rest = &bytes[at..];
            self.prefixes
                .may_hold(first4(rest))
                .then(|| self.long_forms(rest))
                .flatten()
        })
    }

    fn long_hit(&self, bytes: &[u8], at: usize) -> Option<SecretKind> {
        let rest = &bytes[at..];
        if rest.len() < 6 || !self.prefixes.may_hold(first4(rest)) {
            return None;
        }
        self.long_forms(rest)
    }

    /// The 6-, 8- or 16-byte form `rest` starts with (it holds at least 6 bytes).
    #[cold]
    fn long_forms(&self, rest: &[u8]) -> Option<SecretKind> {
        let form = |n: usize| rest.get(..n);
        form(6)
            .and_then(|w| self.binary6.get(&<[u8; 6]>::try_from(w).ok()?))
            .or_else(|| form(8).and_then(|w| self.binary8.get(&<[u8; 8]>::try_from(w).ok()?)))
            .or_else(|| form(16).and_then(|w| self.binary16.get(&<[u8; 16]>::try_from(w).ok()?)))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_forms_are_found_at_any_offset_and_plain_ones_never() {
        let mut s = SecretSets::default();
        let mac = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
        s.add_mac(mac, false);
        s.add_mac([0, 0, 0, 0, 0, 1], false);
        let a6 = [
            0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0xef,
        ];
        s.add_ipv6(a6);
        let s = s.sealed();
        for at in 0..20 {
            let mut bytes = vec![0x55u8; 40];
            bytes[at..at + 6].copy_from_slice(&mac);
            assert_eq!(
                s.payload_hit(&bytes),
                Some(SecretKind::MacAddress),
                "at {at}"
            );
            let mut bytes = vec![0x55u8; 40];
            bytes[at..at + 16].copy_from_slice(&a6);
            assert_eq!(s.payload_hit(&bytes), Some(SecretKind::Ipv6Address));
            let mut bytes = vec![0x55u8; 40];
            bytes[at..at + 8].copy_from_slice(&eui64(mac));
            assert_eq!(s.payload_hit(&bytes), Some(SecretKind::InterfaceId));
        }
        let mut bytes = vec![0u8; 40];
        bytes[30..36].copy_from_slice(&[0x33, 0x33, 0xff, 0xab, 0xcd, 0xef]);
        assert_eq!(s.payload_hit(&bytes), Some(SecretKind::SolicitedNodeGroup));
        assert_eq!(s.payload_hit(&[0, 0, 0, 0, 0, 1, 0, 0]), None);
        assert_eq!(s.payload_hit(&mac[..5]), None);
        assert_eq!(
            s.text_hit(b"ether 00:00:00:00:00:01", true),
            Some(SecretKind::MacAddress)
        );
    }

    #[test]
    fn ipv4_bytes_count_in_headers_only() {
        let mut s = SecretSets::default();
        s.add_ipv4([10, 9, 8, 7]);
        let s = s.sealed();
        assert_eq!(
            s.header_hit(&[1, 10, 9, 8, 7]),
            Some(SecretKind::Ipv4Address)
        );
        assert_eq!(s.payload_hit(&[1, 10, 9, 8, 7, 1, 1, 1]), None);
        assert_eq!(
            s.text_hit(b"from 10.9.8.7:1", true),
            Some(SecretKind::Ipv4Address)
        );
        assert_eq!(s.text_hit(b"from 10.9.8.71", true), None);
    }
}
