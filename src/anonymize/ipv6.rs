//! IPv6: routed addresses go to per-role /48s of 2001:db8::/32 (subnet 0) with a
//! keyed interface identifier; link-local ones keep fe80::/64 but lose their IID
//! (an EUI-64 IID embeds the MAC) for one of the RFC 7042 documentation IIDs;
//! IPv4-mapped ones follow the IPv4 mapping; solicited-node multicast gets its 24
//! embedded unicast bits replaced, by those of its member's replacement when the
//! member is in the capture, and by a number counted from zero when it is not. Other multicast groups that carry unicast data lose it:
//! a unicast-prefix-based or embedded-RP group (RFC 3306, RFC 3956) gets the
//! documentation prefix and a keyed group id, a group built from an interface
//! identifier (RFC 4489) gets the identifier its link-local address maps to, and a
//! node information group (RFC 4620, a hash of a host name) gets zeros.
//!
//! Every output is itself kept, or maps to itself, so sanitizing a sanitized
//! capture with the same key changes nothing: 2001:db8::/32 is kept, fe80::/64
//! with a documentation IID is kept, and a solicited-node group whose member is
//! kept keeps its bits, and so do groups that already carry documentation data.
//! A group whose member never appears becomes the next of ff02::1:ff00:0, ff02::1:ff00:1, …
//! in first-seen order: keyed bits could be told from real ones by neither a second run
//! nor `check`, so a sanitized capture with such a group failed its own verification.

use foldhash::{HashMap, HashMapExt};

use super::error::MappingError;
use super::ipv4::Ipv4Map;
use super::key::MappingKey;
use super::pool::SlotPool;
use super::role::Role;
use super::table::{AddressTable, Allocator, with_prefix};

const TAG_ROUTED: &[u8] = b"pcapscrub/ipv6\0";
const TAG_LINK_LOCAL: &[u8] = b"pcapscrub/ipv6-link-local\0";
const TAG_PREFIX_GROUP: &[u8] = b"pcapscrub/ipv6-prefix-group\0";

/// The /64s that IIDs are handed out in, with the name errors use.
type Prefix64 = ([u8; 8], &'static str);
const CLIENT_PREFIX: Prefix64 = ([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0], "2001:db8:1::/64");
const SERVER_PREFIX: Prefix64 = ([0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0], "2001:db8:2::/64");
const OTHER_PREFIX: Prefix64 = ([0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0], "2001:db8:3::/64");
const LINK_LOCAL_PREFIX: [u8; 8] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0];
/// Modified EUI-64 form of the RFC 7042 EUI-64 documentation block 00-00-5E-EF-10-xx-xx-xx
/// (the u bit inverted): 2^24 interface identifiers no device can have. Link-local outputs
/// are drawn from it, and link-local addresses that already carry one are kept.
const DOC_IID_PREFIX: [u8; 5] = [0x02, 0x00, 0x5e, 0xef, 0x10];
const DOC_IID_SLOTS: u64 = 1 << 24;
/// Modified EUI-64 IIDs of the RFC 7042 EUI-48 documentation MACs 00:00:5e:00:53:xx (which
/// the MAC mapping keeps): kept in link-local addresses too.
const DOC_MAC_IID_PREFIX: [u8; 7] = [0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x53];
const V4_MAPPED_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
/// ff02::1:ff00:0/104.
const SOLICITED_PREFIX: [u8; 13] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff];
const SOLICITED_SLOTS: u64 = 1 << 24;
/// The network prefix written into unicast-prefix-based and embedded-RP groups: 2001:db8::/32,
/// cut to the group's prefix length.
const DOC_PREFIX64: [u8; 8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0];
/// The group ids of those groups (the low 32 bits), handed out keyed.
const GROUP_ID_SLOTS: u64 = 1 << 32;
/// ff02:0:0:0:0:2::/96: node information groups, whose low 32 bits hash a host name.
const NODE_INFO_PREFIX: [u8; 12] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/// Multicast flag bits (the high nibble of the second byte): P, the group embeds a unicast
/// prefix (RFC 3306); R, it embeds a rendezvous point's address (RFC 3956).
const FLAG_P: u8 = 0x2;
const FLAG_R: u8 = 0x4;
/// The prefix-length value of RFC 4489: the group embeds an interface identifier instead.
const PLEN_IID: u8 = 0xff;

/// RFC 2526 reserved subnet anycast IIDs; a host given one would look like an anycast router.
const ANYCAST_IIDS: std::ops::RangeInclusive<u64> = 0xfdff_ffff_ffff_ff80..=0xfdff_ffff_ffff_ffff;

/// How an address is treated, decided by its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Kept,
    V4Mapped([u8; 4]),
    LinkLocal,
    SolicitedNode([u8; 3]),
    /// A multicast group with a unicast network prefix inside (RFC 3306, RFC 3956).
    PrefixGroup,
    /// A multicast group with an interface identifier inside (RFC 4489).
    IidGroup,
    /// A node information group: the hash of a host name (RFC 4620).
    NodeInfoGroup,
    Routed,
}

fn classify(a: [u8; 16]) -> Kind {
    match a {
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 | 1] => Kind::Kept,
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b0, b1, b2, b3] => {
            Kind::V4Mapped([b0, b1, b2, b3])
        }
        [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, x, y, z] => Kind::SolicitedNode([x, y, z]),
        [0xff, ..] => classify_multicast(a),
        [0x20, 0x01, 0x0d, 0xb8, ..] => Kind::Kept,
        _ if is_documentation_link_local(a) => Kind::Kept,
        [0xfe, second, ..] if second & 0xc0 == 0x80 => Kind::LinkLocal,
        _ => Kind::Routed,
    }
}

/// Multicast groups name no host, except those built from a host's data. Such a group is kept
/// only when that data is already documentation data (what a sanitized capture holds).
fn classify_multicast(a: [u8; 16]) -> Kind {
    let flags = a[1] >> 4;
    if a[..12] == NODE_INFO_PREFIX {
        return if a[12..] == [0; 4] {
            Kind::Kept
        } else {
            Kind::NodeInfoGroup
        };
    }
    if flags & (FLAG_P | FLAG_R) == 0 {
        return Kind::Kept;
    }
    let mut embedded = [0u8; 8];
    embedded.copy_from_slice(&a[4..12]);
    let plen = a[3];
    if plen == PLEN_IID && flags & FLAG_R == 0 {
        let doc = embedded[..5] == DOC_IID_PREFIX || embedded[..7] == DOC_MAC_IID_PREFIX;
        return if doc { Kind::Kept } else { Kind::IidGroup };
    }
    // Source-specific groups (ff3x::/96) carry prefix length 0 and nothing in the prefix field.
    if a[2] >> 4 == 0 && embedded == doc_prefix(plen) {
        Kind::Kept
    } else {
        Kind::PrefixGroup
    }
}

/// What a rewritten group carries in its network prefix field: 2001:db8::/32 with the bits past
/// `plen` zero, or all zeros when `plen` is too short to hold the documentation prefix (a cut
/// 2001:db8 would be a real prefix). Either says nothing about the capture.
fn doc_prefix(plen: u8) -> [u8; 8] {
    if plen < 32 {
        return [0; 8];
    }
    let bits = u32::from(plen.min(64));
    let mask = u64::MAX.checked_shl(64 - bits).unwrap_or(0);
    (u64::from_be_bytes(DOC_PREFIX64) & mask).to_be_bytes()
}

/// Addresses of the classes the mapping keeps as they are (see `allowed`).
pub(crate) fn is_kept(a: [u8; 16]) -> bool {
    classify(a) == Kind::Kept
}

/// The IPv4 address inside an IPv4-mapped address (::ffff:a.b.c.d).
pub(crate) fn embedded_ipv4(a: [u8; 16]) -> Option<[u8; 4]> {
    match classify(a) {
        Kind::V4Mapped(v4) => Some(v4),
        _ => None,
    }
}

/// fe80::/64 with a documentation interface identifier: what link-local addresses become.
fn is_documentation_link_local(a: [u8; 16]) -> bool {
    a[..8] == LINK_LOCAL_PREFIX && (a[8..13] == DOC_IID_PREFIX || a[8..15] == DOC_MAC_IID_PREFIX)
}

/// The link-local pool slot of `a`, if it is an address that pool hands out.
fn link_local_slot(a: [u8; 16]) -> Option<u64> {
    (a[..8] == LINK_LOCAL_PREFIX && a[8..13] == DOC_IID_PREFIX)
        .then(|| a[13..].iter().fold(0, |acc, &b| (acc << 8) | u64::from(b)))
}

/// The 24 low bits, which select an address's solicited-node group.
fn low24(a: [u8; 16]) -> u64 {
    a[13..].iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Unicast addresses can be members of a solicited-node group.
fn is_unicast(a: [u8; 16]) -> bool {
    a[0] != 0xff && a[..15] != [0; 15]
}

fn group_id(a: [u8; 16]) -> u32 {
    u32::from_be_bytes([a[12], a[13], a[14], a[15]])
}

fn iid_of(a: [u8; 16]) -> u64 {
    a[8..].iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// A /64 whose interface identifiers are handed out. Slot `i` is IID `i + 1`,
/// so IID 0 (the subnet-router anycast address) is never handed out.
#[derive(Clone)]
struct IidPool {
    prefix: [u8; 8],
    /// For the exhaustion error.
    name: &'static str,
    slots: SlotPool,
}

impl IidPool {
    fn new((prefix, name): ([u8; 8], &'static str)) -> Self {
        let mut slots = SlotPool::new(u64::MAX);
        for iid in ANYCAST_IIDS {
            slots.reserve(iid - 1);
        }
        IidPool {
            prefix,
            name,
            slots,
        }
    }

    /// The slot of `a` if `a` is an address this pool could hand out.
    fn slot_of(&self, a: [u8; 16]) -> Option<u64> {
        let iid = iid_of(a);
        let assignable = a[..8] == self.prefix && iid != 0 && !ANYCAST_IIDS.contains(&iid);
        assignable.then(|| iid - 1)
    }

    fn claim(&mut self, preferred: u64) -> Option<[u8; 16]> {
        let iid = self.slots.claim(preferred)? + 1;
        Some(with_prefix(&self.prefix, &iid.to_be_bytes()))
    }
}

/// The IPv6 pools: IIDs per role, documentation IIDs for link-local addresses, and the
/// rewritten bits of multicast groups.
#[derive(Clone)]
pub(crate) struct Ipv6Allocator {
    roles: [IidPool; 3],
    /// Documentation IIDs in fe80::/64.
    link_local: SlotPool,
    /// The 24 low bits of ff02::1:ffXX:XXXX.
    solicited: SlotPool,
    /// Where the search for a free slot for a memberless group starts: every slot below is taken.
    memberless_from: u64,
    /// The group ids of rewritten unicast-prefix-based and embedded-RP groups.
    group_ids: SlotPool,
}

impl Ipv6Allocator {
    fn routed(
        &mut self,
        a: [u8; 16],
        role: Role,
        key: &MappingKey,
    ) -> Result<[u8; 16], MappingError> {
        let [client, server, other] = &mut self.roles;
        let pool = match role {
            Role::Client => client,
            Role::Server => server,
            Role::Other => other,
        };
        pool.claim(key.digest(TAG_ROUTED, &a).word(0))
            .ok_or(MappingError::Ipv6Exhausted { pool: pool.name })
    }

    fn link_local(&mut self, a: [u8; 16], key: &MappingKey) -> Result<[u8; 16], MappingError> {
        let slot = self
            .link_local
            .claim(key.digest(TAG_LINK_LOCAL, &a).word(0))
            .ok_or(MappingError::Ipv6Exhausted {
                pool: "fe80::200:5eef:1000:0/104",
            })?;
        let mut iid = [0u8; 8];
        iid[..5].copy_from_slice(&DOC_IID_PREFIX);
        iid[5..].copy_from_slice(&slot.to_be_bytes()[5..]);
        Ok(with_prefix(&LINK_LOCAL_PREFIX, &iid))
    }

    /// A unicast-prefix-based or embedded-RP group with the documentation prefix in place of
    /// its network prefix and a keyed group id (the prefix no longer tells groups apart, so the
    /// id must). Flags, scope, the prefix length and the rendezvous point's 4-bit interface id
    /// are kept: they say what kind of group it is, and name nobody.
    fn prefix_group(&mut self, a: [u8; 16], key: &MappingKey) -> Result<[u8; 16], MappingError> {
        let slot = self
            .group_ids
            .claim(key.digest(TAG_PREFIX_GROUP, &a).word(0))
            .ok_or(MappingError::Ipv6Exhausted {
                pool: "the group ids of ff30::/12 and ff70::/12",
            })?;
        let mut b = a;
        b[2] = a[2] & 0x0f;
        b[4..12].copy_from_slice(&doc_prefix(a[3]));
        b[12..].copy_from_slice(&slot.to_be_bytes()[4..]);
        Ok(b)
    }

    /// A solicited-node group whose member is not in the capture: its bits would be 24 bits of
    /// an address the capture does not otherwise show. It takes the lowest free slot, so its
    /// output depends on the order groups are seen in, never on its bits; a second run over the
    /// sanitized capture, or `check`, sees the same groups in the same order and finds each one
    /// where it is (a group a member claimed in between was claimed at that slot the first time).
    fn memberless_group(&mut self) -> Result<[u8; 16], MappingError> {
        let group = self.solicited_at(self.memberless_from)?;
        self.memberless_from = low24(group) + 1;
        Ok(group)
    }

    /// The group whose 24 bits are `preferred`, or the next free one.
    fn solicited_at(&mut self, preferred: u64) -> Result<[u8; 16], MappingError> {
        let exhausted = MappingError::Ipv6Exhausted {
            pool: "ff02::1:ff00:0/104",
        };
        let slot = self.solicited.claim(preferred).ok_or(exhausted)?;
        Ok(with_prefix(&SOLICITED_PREFIX, &slot.to_be_bytes()[5..]))
    }
}

/// The IPv6 table: every address seen so far and its output.
pub(crate) type Ipv6Map = AddressTable<Ipv6Allocator>;

impl Allocator for Ipv6Allocator {
    type Addr = [u8; 16];
    /// The IPv4 table, planned already: IPv4-mapped addresses are looked up in it.
    type Context = Ipv4Map;
    const FAMILY: &'static str = "IPv6";
    /// Not reachable in practice: every pool has at least 2^24 slots.
    const EXHAUSTED_OUTPUT: [u8; 16] = [0; 16];
    const EXHAUSTED_TEXT: &'static str = "::";

    fn new() -> Self {
        Ipv6Allocator {
            roles: [CLIENT_PREFIX, SERVER_PREFIX, OTHER_PREFIX].map(IidPool::new),
            link_local: SlotPool::new(DOC_IID_SLOTS),
            solicited: SlotPool::new(SOLICITED_SLOTS),
            memberless_from: 0,
            group_ids: SlotPool::new(GROUP_ID_SLOTS),
        }
    }

    fn is_kept(a: [u8; 16]) -> bool {
        is_kept(a)
    }

    fn reserve_kept(&mut self, a: [u8; 16]) -> bool {
        if let Some(i) = link_local_slot(a) {
            return self.link_local.reserve(i);
        }
        if a[0] == 0xff && a[1] >> 4 & (FLAG_P | FLAG_R) != 0 && a[3] != PLEN_IID {
            // Kept groups of other scopes or prefix lengths may share an id: only rewritten
            // groups need it to themselves, so a taken id is no conflict here.
            self.group_ids.reserve(u64::from(group_id(a)));
            return true;
        }
        for pool in &mut self.roles {
            if let Some(i) = pool.slot_of(a) {
                return pool.slots.reserve(i);
            }
        }
        true
    }

    /// By the address's kind; a kept address only arrives here when it must be rewritten
    /// after all (see `table.rs`), and goes where routed ones go.
    fn assign(
        table: &mut Ipv6Map,
        a: [u8; 16],
        role: Role,
        ipv4: &mut Ipv4Map,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<[u8; 16], MappingError> {
        match classify(a) {
            Kind::V4Mapped(v4) => Ok(with_prefix(
                &V4_MAPPED_PREFIX,
                &ipv4.get(v4, &mut (), key, warnings),
            )),
            Kind::LinkLocal => table.alloc.link_local(a, key),
            // Groups with a member in the capture were planned before (`plan_rewrites`).
            Kind::SolicitedNode(_) => table.alloc.memberless_group(),
            Kind::PrefixGroup => table.alloc.prefix_group(a, key),
            Kind::IidGroup => {
                // The identifier becomes the one its link-local address becomes, so the group
                // still names the same (rewritten) host and never the MAC inside the old one.
                let own = with_prefix(&LINK_LOCAL_PREFIX, &a[4..12]);
                let mapped = table.get(own, ipv4, key, warnings);
                let mut b = a;
                b[4..12].copy_from_slice(&mapped[8..]);
                Ok(b)
            }
            Kind::NodeInfoGroup => {
                let mut b = a;
                b[12..].fill(0);
                Ok(b)
            }
            Kind::Routed | Kind::Kept => table.alloc.routed(a, role, key),
        }
    }

    /// Unicast addresses first, then solicited-node groups, then groups built from an
    /// interface identifier: each group follows the address it is built from.
    fn plan_rewrites(
        map: &mut Ipv6Map,
        observed: &[([u8; 16], Role)],
        ipv4: &mut Ipv4Map,
        key: &MappingKey,
        warnings: &mut Vec<String>,
    ) -> Result<(), MappingError> {
        let kept = |a: &[u8; 16]| is_kept(*a);
        let group = |a: &[u8; 16]| matches!(classify(*a), Kind::SolicitedNode(_));
        let iid_group = |a: &[u8; 16]| classify(*a) == Kind::IidGroup;
        let unicast_first = |a: &[u8; 16]| !kept(a) && !group(a) && !iid_group(a);
        for &(a, role) in observed.iter().filter(|(a, _)| unicast_first(a)) {
            let b = Self::assign(map, a, role, ipv4, key, warnings)?;
            map.record(a, b);
        }
        // A solicited-node group follows its first member seen: it takes the 24 low bits of
        // the member's replacement, so the group still names the host it solicits, and a kept
        // member (a sanitized capture's) keeps its group as it is. Groups with a member go
        // first, so none of them is pushed off its bits by a keyed one.
        let mut members: HashMap<u64, [u8; 16]> = HashMap::new();
        for &(a, _) in observed.iter().filter(|(a, _)| is_unicast(*a)) {
            members.entry(low24(a)).or_insert(a);
        }
        let replacement_of = |a: &[u8; 16], map: &Ipv6Map| {
            members
                .get(&low24(*a))
                .and_then(|m| map.planned(m))
                .map(low24)
        };
        let groups = observed.iter().filter(|(a, _)| group(a));
        let (with_member, without): (Vec<_>, Vec<_>) =
            groups.partition(|(a, _)| replacement_of(a, map).is_some());
        for &(a, _) in with_member {
            let preferred = replacement_of(&a, map).unwrap_or_default();
            let b = map.alloc.solicited_at(preferred)?;
            map.record(a, b);
        }
        for &(a, role) in without {
            let b = Self::assign(map, a, role, ipv4, key, warnings)?;
            map.record(a, b);
        }
        // After the link-local addresses, whose interface identifiers these groups repeat.
        for &(a, role) in observed.iter().filter(|(a, _)| iid_group(a)) {
            let b = Self::assign(map, a, role, ipv4, key, warnings)?;
            map.record(a, b);
        }
        Ok(())
    }

    fn exhausted_cause(err: MappingError) -> String {
        err.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> [u8; 16] {
        s.parse::<std::net::Ipv6Addr>().unwrap().octets()
    }

    #[test]
    fn classify_follows_the_spec() {
        assert_eq!(classify(addr("::")), Kind::Kept);
        assert_eq!(classify(addr("::1")), Kind::Kept);
        assert_eq!(classify(addr("ff02::1")), Kind::Kept);
        assert_eq!(classify(addr("ff02::1:2")), Kind::Kept);
        assert_eq!(classify(addr("ff05::1:ff00:1")), Kind::Kept);
        assert_eq!(classify(addr("2001:db8:5::1")), Kind::Kept);
        assert_eq!(
            classify(addr("::ffff:10.1.2.3")),
            Kind::V4Mapped([10, 1, 2, 3])
        );
        assert_eq!(
            classify(addr("ff02::1:ff12:3456")),
            Kind::SolicitedNode([0x12, 0x34, 0x56])
        );
        assert_eq!(classify(addr("fe80::1")), Kind::LinkLocal);
        // Documentation IIDs (RFC 7042) in fe80::/64 are what link-local addresses become.
        assert_eq!(classify(addr("fe80::200:5eef:1012:3456")), Kind::Kept);
        assert_eq!(classify(addr("fe80::200:5eff:fe00:5342")), Kind::Kept);
        assert_eq!(classify(addr("fe80::200:5eff:fe00:5442")), Kind::LinkLocal);
        assert_eq!(
            classify(addr("fe80:1::200:5eef:1012:3456")),
            Kind::LinkLocal
        );
        assert_eq!(classify(addr("2a00::200:5eef:1012:3456")), Kind::Routed);
        assert_eq!(classify(addr("febf::1")), Kind::LinkLocal);
        assert_eq!(classify(addr("fec0::1")), Kind::Routed);
        assert_eq!(classify(addr("2001:db9::1")), Kind::Routed);
        assert_eq!(classify(addr("fd00::1")), Kind::Routed);
        assert_eq!(classify(addr("::2")), Kind::Routed);
    }

    #[test]
    fn multicast_groups_that_embed_unicast_data_are_rewritten() {
        assert_eq!(
            classify(addr("ff3e:40:2a00:1450:4001:815:0:1234")),
            Kind::PrefixGroup
        );
        assert_eq!(
            classify(addr("ff7e:140:2a00:1450:4001:816:0:1234")),
            Kind::PrefixGroup
        );
        assert_eq!(
            classify(addr("ff32:ff:3e22:fbff:fe01:203:0:1")),
            Kind::IidGroup
        );
        assert_eq!(classify(addr("ff02::2:9d4e:6b1f")), Kind::NodeInfoGroup);
        // Source-specific groups, and groups already carrying documentation data, are kept.
        assert_eq!(classify(addr("ff3e::8000:1")), Kind::Kept);
        assert_eq!(classify(addr("ff3e:40:2001:db8::1234")), Kind::Kept);
        assert_eq!(classify(addr("ff3e:20:2001:db8::1234")), Kind::Kept);
        assert_eq!(classify(addr("ff3e:1f:2001:db8::1234")), Kind::PrefixGroup);
        assert_eq!(classify(addr("ff3e:1f::1234")), Kind::Kept);
        assert_eq!(classify(addr("ff3e:50:2001:db8::1234")), Kind::Kept);
        assert_eq!(classify(addr("ff32:ff:200:5eef:1012:3456:0:1")), Kind::Kept);
        assert_eq!(classify(addr("ff02::2:0:0")), Kind::Kept);
        assert_eq!(classify(addr("ff02::2")), Kind::Kept);
    }

    #[test]
    fn rewritten_groups_are_kept_when_met_again() {
        let key = MappingKey::from_bytes(&[3u8; 32]).unwrap();
        let mut ipv4 = Ipv4Map::plan(&[], &mut (), &key, &mut Vec::new()).unwrap();
        let host = addr("fe80::3e22:fbff:fe01:203");
        let groups = [
            addr("ff3e:40:2a00:1450:4001:815:0:1234"),
            addr("ff7e:140:2a00:1450:4001:816:0:1234"),
            addr("ff32:ff:3e22:fbff:fe01:203:0:1"),
            addr("ff02::2:9d4e:6b1f"),
        ];
        let observed: Vec<_> = groups
            .iter()
            .chain([&host])
            .map(|&a| (a, Role::Other))
            .collect();
        let mut map = Ipv6Map::plan(&observed, &mut ipv4, &key, &mut Vec::new()).unwrap();
        let mapped_host = map.get(host, &mut ipv4, &key, &mut Vec::new());
        for g in groups {
            let b = map.get(g, &mut ipv4, &key, &mut Vec::new());
            assert_ne!(b, g);
            assert_eq!(b[..4], g[..4], "flags, scope and prefix length stay");
            assert_eq!(classify(b), Kind::Kept, "{b:02x?}");
            assert!(!b.windows(4).any(|w| w == [0x40, 0x01, 0x08, 0x15]));
        }
        let iid_group = map.get(groups[2], &mut ipv4, &key, &mut Vec::new());
        assert_eq!(
            iid_group[4..12],
            mapped_host[8..],
            "the host's mapped identifier"
        );
        assert_eq!(
            map.get(groups[3], &mut ipv4, &key, &mut Vec::new())[12..],
            [0; 4]
        );
    }

    #[test]
    fn iid_pool_skips_zero_and_reserved_anycast() {
        let mut pool = IidPool::new(CLIENT_PREFIX);
        // Slot u64::MAX - 1 is IID u64::MAX; the next probe wraps to slot 0 = IID 1.
        assert_eq!(iid_of(pool.claim(u64::MAX - 1).unwrap()), u64::MAX);
        assert_eq!(iid_of(pool.claim(u64::MAX - 1).unwrap()), 1);
        let first_anycast = *ANYCAST_IIDS.start();
        assert_eq!(
            iid_of(pool.claim(first_anycast - 1).unwrap()),
            ANYCAST_IIDS.end() + 1
        );
        assert_eq!(pool.slot_of(addr("2001:db8:1::")), None);
        assert_eq!(pool.slot_of(addr("2001:db8:1::fdff:ffff:ffff:ff80")), None);
        assert_eq!(pool.slot_of(addr("2001:db8:2::5")), None);
    }

    #[test]
    fn kept_address_in_a_role_pool_is_never_handed_out() {
        let mut pool = IidPool::new(SERVER_PREFIX);
        let kept = addr("2001:db8:2::5");
        let slot = pool.slot_of(kept).unwrap();
        assert!(pool.slots.reserve(slot));
        assert_eq!(pool.claim(slot), Some(addr("2001:db8:2::6")));
    }

    #[test]
    fn link_local_outputs_carry_documentation_iids() {
        let key = MappingKey::from_bytes(&[3u8; 32]).unwrap();
        let mut alloc = Ipv6Allocator::new();
        let b = alloc
            .link_local(addr("fe80::3e22:fbff:fe01:203"), &key)
            .unwrap();
        assert_eq!(b[..8], LINK_LOCAL_PREFIX);
        assert_eq!(b[8..13], DOC_IID_PREFIX);
        assert_eq!(classify(b), Kind::Kept);
        // A kept one takes its slot: no rewritten address can equal it.
        let mut fresh = Ipv6Allocator::new();
        assert!(fresh.reserve_kept(b));
        assert!(!fresh.reserve_kept(b), "slot already taken");
        let c = fresh
            .link_local(addr("fe80::3e22:fbff:fe01:203"), &key)
            .unwrap();
        assert_ne!(c, b);
        assert_eq!(link_local_slot(c), link_local_slot(b).map(|i| i + 1));
    }

    #[test]
    fn solicited_node_slots_fill_the_low_24_bits() {
        let mut alloc = Ipv6Allocator::new();
        let b = alloc.solicited_at(0x01_0203).unwrap();
        assert_eq!(b[..13], SOLICITED_PREFIX);
        assert_eq!(b[13..], [1, 2, 3]);
        // Taken: the next one, so two groups with members never merge.
        let c = alloc.solicited_at(0x01_0203).unwrap();
        assert_eq!(c[13..], [1, 2, 4]);
    }
}
