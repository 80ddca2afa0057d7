//! Behaviour of the public two-phase API against the product contract.

use std::collections::HashSet;
use std::net::Ipv6Addr;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

const ROLES: [Role; 3] = [Role::Client, Role::Server, Role::Other];

fn key(fill: u8) -> MappingKey {
    MappingKey::from_bytes(&[fill; 32]).unwrap()
}

fn v6(s: &str) -> [u8; 16] {
    s.parse::<Ipv6Addr>().unwrap().octets()
}

fn role_net(role: Role) -> [u8; 3] {
    match role {
        Role::Client => [192, 0, 2],
        Role::Server => [203, 0, 113],
        Role::Other => [198, 51, 100],
    }
}

fn in_net(a: [u8; 4], net: [u8; 3]) -> bool {
    a[..3] == net && (1..=254).contains(&a[3])
}

fn in_overflow(a: [u8; 4]) -> bool {
    a[0] == 198 && (a[1] == 18 || a[1] == 19) && (1..=254).contains(&a[3])
}

/// Distinct addresses that the mapping rewrites, with random roles.
fn random_hosts(n: usize, seed: u64) -> Vec<([u8; 4], Role)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut hosts = Vec::new();
    while hosts.len() < n {
        let a: [u8; 4] = rng.random::<u32>().to_be_bytes();
        if !ipv4::is_kept(a) && seen.insert(a) {
            hosts.push((a, ROLES[rng.random_range(0..3)]));
        }
    }
    hosts
}

fn plan_v4(hosts: &[([u8; 4], Role)], key: &MappingKey) -> Mapping {
    let mut planner = AddressPlanner::new();
    for &(a, role) in hosts {
        planner.observe_ipv4(a, role);
    }
    planner.finish(key).unwrap()
}

fn all_distinct<T: Eq + std::hash::Hash>(items: impl IntoIterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|x| seen.insert(x))
}

#[test]
fn ipv4_5000_random_hosts_are_one_to_one_in_role_ranges_then_overflow() {
    let hosts = random_hosts(5000, 1);
    let mut mapping = plan_v4(&hosts, &MappingKey::random());
    let mut per_role = [0usize; 3];
    let mut outputs = Vec::new();
    for &(a, role) in &hosts {
        let b = mapping.ipv4(a);
        let rank = &mut per_role[role.pool_index()];
        if *rank < 254 {
            assert!(in_net(b, role_net(role)), "{role:?} host #{rank} -> {b:?}");
        } else {
            assert!(in_overflow(b), "{role:?} host #{rank} -> {b:?}");
        }
        *rank += 1;
        outputs.push(b);
    }
    assert!(all_distinct(&outputs));
    assert_eq!(mapping.counts().ipv4, 5000);
    for role in ROLES {
        let expected = format!(
            "more than 254 {} IPv4 hosts: the rest were mapped into 198.18.0.0/15",
            role.label()
        );
        assert!(
            mapping.warnings().contains(&expected),
            "{:?}",
            mapping.warnings()
        );
    }
}

#[test]
fn ipv4_without_overflow_has_no_warning() {
    let hosts = random_hosts(200, 2);
    let mapping = plan_v4(&hosts, &key(1));
    assert!(mapping.warnings().is_empty());
}

#[test]
fn ipv4_kept_addresses_are_unchanged_and_not_counted() {
    let kept = [
        [127, 0, 0, 1],
        [0, 0, 0, 0],
        [255, 255, 255, 255],
        [224, 0, 0, 251],
        [239, 1, 2, 3],
        [192, 0, 2, 5],
        [198, 51, 100, 200],
        [203, 0, 113, 1],
    ];
    let mut planner = AddressPlanner::new();
    for a in kept {
        planner.observe_ipv4(a, Role::Client);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    for a in kept {
        assert_eq!(mapping.ipv4(a), a);
    }
    assert_eq!(mapping.ipv4([127, 9, 9, 9]), [127, 9, 9, 9]);
    assert_eq!(mapping.counts(), MappingCounts::default());
}

#[test]
fn kept_address_inside_a_pool_is_never_a_replacement_whatever_the_order() {
    let clients: Vec<_> = random_hosts(400, 3)
        .into_iter()
        .map(|(a, _)| (a, Role::Client))
        .collect();
    let kept = ([192, 0, 2, 5], Role::Client);
    let kept_first = [vec![kept], clients.clone()].concat();
    let kept_last = [clients.clone(), vec![kept]].concat();
    for hosts in [kept_first, kept_last] {
        let mut mapping = plan_v4(&hosts, &key(2));
        assert_eq!(mapping.ipv4(kept.0), kept.0);
        let outputs: Vec<_> = clients.iter().map(|&(a, _)| mapping.ipv4(a)).collect();
        assert!(!outputs.contains(&kept.0));
        assert!(all_distinct(&outputs));
        // The reservation costs the client /24 one slot.
        let in_client_net = outputs.iter().filter(|b| in_net(**b, [192, 0, 2])).count();
        assert_eq!(in_client_net, 253);
        assert!(mapping.warnings()[0].starts_with("more than 253 client-role IPv4 hosts"));
    }
}

#[test]
fn same_key_and_order_give_the_same_mapping() {
    let hosts = random_hosts(600, 4);
    let mut a = plan_v4(&hosts, &key(7));
    let mut b = plan_v4(&hosts, &key(7));
    for &(h, _) in &hosts {
        assert_eq!(a.ipv4(h), b.ipv4(h));
    }
}

#[test]
fn different_random_keys_give_different_mappings() {
    let hosts = random_hosts(20, 5);
    let mut a = plan_v4(&hosts, &MappingKey::random());
    let mut b = plan_v4(&hosts, &MappingKey::random());
    let out_a: Vec<_> = hosts.iter().map(|&(h, _)| a.ipv4(h)).collect();
    let out_b: Vec<_> = hosts.iter().map(|&(h, _)| b.ipv4(h)).collect();
    assert_ne!(out_a, out_b);
}

#[test]
fn first_client_or_server_role_wins() {
    let (arp_then_client, client_then_server, other_only) =
        ([10, 0, 0, 1], [10, 0, 0, 2], [10, 0, 0, 3]);
    let mut planner = AddressPlanner::new();
    planner.observe_ipv4(arp_then_client, Role::Other);
    planner.observe_ipv4(client_then_server, Role::Client);
    planner.observe_ipv4(arp_then_client, Role::Client);
    planner.observe_ipv4(client_then_server, Role::Server);
    planner.observe_ipv4(arp_then_client, Role::Server);
    planner.observe_ipv4(other_only, Role::Other);
    let mut mapping = planner.finish(&key(1)).unwrap();
    assert!(in_net(mapping.ipv4(arp_then_client), [192, 0, 2]));
    assert!(in_net(mapping.ipv4(client_then_server), [192, 0, 2]));
    assert!(in_net(mapping.ipv4(other_only), [198, 51, 100]));
}

#[test]
fn unplanned_ipv4_is_mapped_as_other_consistently_and_one_to_one() {
    let hosts = random_hosts(300, 6);
    let mut mapping = plan_v4(&hosts, &key(3));
    let planned: HashSet<_> = hosts.iter().map(|&(a, _)| mapping.ipv4(a)).collect();
    let late = [10, 99, 99, 99];
    let b = mapping.ipv4(late);
    assert!(!planned.contains(&b));
    assert_eq!(mapping.ipv4(late), b);
    assert_eq!(mapping.counts().ipv4, 301);
}

#[test]
fn unplanned_kept_address_already_used_as_replacement_is_rewritten() {
    let clients: Vec<_> = random_hosts(254, 7)
        .into_iter()
        .map(|(a, _)| (a, Role::Client))
        .collect();
    let mut mapping = plan_v4(&clients, &key(4));
    let outputs: HashSet<_> = clients.iter().map(|&(a, _)| mapping.ipv4(a)).collect();
    // All of 192.0.2.1–254 are replacements now, so this kept address cannot stay.
    let late_kept = [192, 0, 2, 7];
    let b = mapping.ipv4(late_kept);
    assert!(!outputs.contains(&b));
    assert_eq!(mapping.ipv4(late_kept), b);
    assert!(mapping.warnings().iter().any(|w| w.contains("one-to-one")));
}

#[test]
fn ipv4_pool_exhaustion_is_an_error() {
    // Other-role hosts can use 198.51.100.0/24 and 198.18.0.0/15: 254 + 512 * 254.
    let capacity: u32 = 254 + 512 * 254;
    let mut planner = AddressPlanner::new();
    for i in 0..=capacity {
        planner.observe_ipv4((0x0a00_0000 + i).to_be_bytes(), Role::Other);
    }
    let err = planner.finish(&key(1)).unwrap_err();
    assert!(
        matches!(err, MappingError::Ipv4Exhausted { rewritten } if rewritten == capacity as usize)
    );
}

#[test]
fn ipv6_roles_land_in_their_own_48s() {
    let hosts = [
        (v6("2a00:1450:4001:82a::200e"), Role::Server),
        (v6("2a02:810d::1"), Role::Client),
        (v6("fd12:3456::1"), Role::Other),
        (v6("2600::1"), Role::Client),
    ];
    let mut planner = AddressPlanner::new();
    for (a, role) in hosts {
        planner.observe_ipv6(a, role);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    let mut outputs = Vec::new();
    for (a, role) in hosts {
        let b = mapping.ipv6(a);
        let group = match role {
            Role::Client => 1,
            Role::Server => 2,
            Role::Other => 3,
        };
        let expected = [0x20, 0x01, 0x0d, 0xb8, 0, group, 0, 0];
        assert_eq!(b[..8], expected, "{role:?}");
        assert_ne!(b[8..], [0; 8]);
        outputs.push(b);
    }
    assert!(all_distinct(outputs));
    assert_eq!(mapping.counts().ipv6, 4);
}

#[test]
fn link_local_keeps_fe80_64_with_a_new_iid() {
    let inputs = [v6("fe80::3e22:fbff:fe01:203"), v6("fe80::1"), v6("fe80::2")];
    let mut planner = AddressPlanner::new();
    for a in inputs {
        planner.observe_ipv6(a, Role::Client);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    let outputs: Vec<_> = inputs.iter().map(|&a| mapping.ipv6(a)).collect();
    for (a, b) in inputs.iter().zip(&outputs) {
        assert_eq!(b[..8], v6("fe80::")[..8]);
        assert_ne!(b[8..], a[8..]);
    }
    assert!(all_distinct(outputs));
}

#[test]
fn ipv4_mapped_ipv6_uses_the_ipv4_mapping() {
    let mut planner = AddressPlanner::new();
    planner.observe_ipv6(v6("::ffff:10.1.2.3"), Role::Client);
    planner.observe_ipv4([10, 1, 2, 3], Role::Other);
    planner.observe_ipv6(v6("::ffff:127.0.0.1"), Role::Client);
    let mut mapping = planner.finish(&key(1)).unwrap();
    let b4 = mapping.ipv4([10, 1, 2, 3]);
    assert!(in_net(b4, [192, 0, 2]), "role from the IPv6 observation");
    let b6 = mapping.ipv6(v6("::ffff:10.1.2.3"));
    assert_eq!(b6, std::net::Ipv4Addr::from(b4).to_ipv6_mapped().octets());
    assert_eq!(mapping.ipv6(v6("::ffff:127.0.0.1")), v6("::ffff:127.0.0.1"));
    // An unplanned one goes through the IPv4 table too.
    let late = mapping.ipv6(v6("::ffff:10.9.9.9"));
    assert_eq!(late[12..], mapping.ipv4([10, 9, 9, 9]));
    assert_eq!(
        mapping.counts(),
        MappingCounts {
            ipv4: 2,
            ipv6: 2,
            mac: 0
        }
    );
}

/// Groups whose member is not in the capture keep none of their 24 bits: they are numbered from
/// zero in first-seen order, which a second run (and `check`) maps to itself.
#[test]
fn solicited_node_groups_without_member_are_numbered() {
    let inputs: Vec<_> = (0..50u32)
        .map(|i| {
            let mut a = v6("ff02::1:ff00:0");
            a[13..].copy_from_slice(&(0x12_3400 + i).to_be_bytes()[1..]);
            a
        })
        .collect();
    let mut planner = AddressPlanner::new();
    for &a in &inputs {
        planner.observe_ipv6(a, Role::Other);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    for (i, &a) in (0u32..).zip(&inputs) {
        let mut expected = v6("ff02::1:ff00:0");
        expected[13..].copy_from_slice(&i.to_be_bytes()[1..]);
        assert_eq!(mapping.ipv6(a), expected);
    }
    // The fuzzer's case: a neighbour solicitation for fd77::2, which never speaks.
    let out = map_v6(
        &[
            (v6("fd77::1"), Role::Client),
            (v6("ff02::1:ff00:2"), Role::Other),
        ],
        &key(1),
    );
    assert_eq!(out[1], v6("ff02::1:ff00:0"));
    let again = map_v6(&[(out[0], Role::Client), (out[1], Role::Other)], &key(1));
    assert_eq!(again, out);
}

#[test]
fn ipv6_kept_addresses_are_unchanged() {
    let kept = [
        "::",
        "::1",
        "ff02::1",
        "ff02::2",
        "ff02::1:2",
        "ff05::1:3",
        "ff12::1:ff00:1",
        "2001:db8::1",
        "2001:db8:1::5",
    ]
    .map(v6);
    let mut planner = AddressPlanner::new();
    for a in kept {
        planner.observe_ipv6(a, Role::Client);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    for a in kept {
        assert_eq!(mapping.ipv6(a), a);
    }
    assert_eq!(mapping.ipv6(v6("ff0e::101")), v6("ff0e::101"));
    assert_eq!(mapping.counts(), MappingCounts::default());
}

#[test]
fn macs_use_the_documentation_range_then_local_unicast() {
    let mut rng = StdRng::seed_from_u64(8);
    let mut inputs = Vec::new();
    let mut seen = HashSet::new();
    while inputs.len() < 300 {
        let mut m: [u8; 6] = rng.random();
        m[0] &= 0xfc; // a vendor-assigned unicast address
        if !mac::is_kept(m) && seen.insert(m) {
            inputs.push(m);
        }
    }
    let mut planner = AddressPlanner::new();
    for &m in &inputs {
        planner.observe_mac(m);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    let outputs: Vec<_> = inputs.iter().map(|&m| mapping.mac(m)).collect();
    for (i, b) in outputs.iter().enumerate() {
        if i < 256 {
            assert_eq!(b[..5], [0x00, 0x00, 0x5e, 0x00, 0x53]);
        } else {
            assert_eq!(b[0], 0x02, "locally administered unicast");
        }
    }
    assert!(all_distinct(outputs));
    assert_eq!(mapping.counts().mac, 300);
}

#[test]
fn macs_kept_and_documentation_mac_reserved() {
    let kept = [
        [0xff; 6],
        [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb],
        [0x33, 0x33, 0x00, 0x00, 0x00, 0x01],
        [0x00; 6],
        [0x00, 0x00, 0x5e, 0x00, 0x53, 0x07],
    ];
    let mut planner = AddressPlanner::new();
    for i in 0..300u16 {
        let [hi, lo] = i.to_be_bytes();
        planner.observe_mac([0x3c, 0x22, 0xfb, 0x00, hi, lo]);
    }
    for m in kept {
        planner.observe_mac(m);
    }
    let mut mapping = planner.finish(&key(1)).unwrap();
    for m in kept {
        assert_eq!(mapping.mac(m), m);
    }
    let outputs: Vec<_> = (0..300u16)
        .map(|i| {
            let [hi, lo] = i.to_be_bytes();
            mapping.mac([0x3c, 0x22, 0xfb, 0x00, hi, lo])
        })
        .collect();
    assert!(!outputs.contains(&kept[4]));
    let in_doc = outputs
        .iter()
        .filter(|b| b[..5] == [0, 0, 0x5e, 0, 0x53])
        .count();
    assert_eq!(in_doc, 255);
}

#[test]
fn debug_output_shows_no_addresses() {
    let mut planner = AddressPlanner::new();
    planner.observe_ipv4([10, 20, 30, 40], Role::Client);
    assert_eq!(
        format!("{planner:?}"),
        "AddressPlanner { ipv4: 1, ipv6: 0, mac: 0 }"
    );
    let mapping = planner.finish(&key(1)).unwrap();
    let shown = format!("{mapping:?}");
    assert!(!shown.contains("10") && !shown.contains("192"), "{shown}");
    assert!(!shown.contains("MappingKey(") || shown.contains("<redacted>"));
}

/// Any address of the family, with a role; small ranges make repeats likely.
fn v4_input() -> impl Strategy<Value = ([u8; 4], Role)> {
    let addr = prop_oneof![
        any::<[u8; 4]>(),
        (0u8..4).prop_map(|x| [192, 0, 2, x]),
        (0u8..4).prop_map(|x| [10, 0, 0, x]),
    ];
    (addr, prop::sample::select(ROLES.to_vec()))
}

fn v6_input() -> impl Strategy<Value = ([u8; 16], Role)> {
    let addr = prop_oneof![
        any::<[u8; 16]>(),
        any::<[u8; 4]>().prop_map(|x| std::net::Ipv4Addr::from(x).to_ipv6_mapped().octets()),
        any::<[u8; 2]>().prop_map(|[x, y]| v6(&format!("fe80::{x:x}:{y:x}"))),
        any::<[u8; 2]>().prop_map(|[x, y]| v6(&format!("ff02::1:ff00:{x:x}{y:02x}"))),
        any::<[u8; 2]>().prop_map(|[x, y]| v6(&format!("2001:db8:1::{x:x}:{y:x}"))),
    ];
    (addr, prop::sample::select(ROLES.to_vec()))
}

proptest! {
    #[test]
    fn any_inputs_map_one_to_one_and_keep_kept_ones(
        v4 in prop::collection::vec(v4_input(), 0..300),
        v6s in prop::collection::vec(v6_input(), 0..300),
        macs in prop::collection::vec(any::<[u8; 6]>(), 0..300),
        late_v4 in prop::collection::vec(any::<[u8; 4]>(), 0..20),
        seed in any::<u8>(),
    ) {
        let mut planner = AddressPlanner::new();
        v4.iter().for_each(|&(a, r)| planner.observe_ipv4(a, r));
        v6s.iter().for_each(|&(a, r)| planner.observe_ipv6(a, r));
        macs.iter().for_each(|&m| planner.observe_mac(m));
        let mut mapping = planner.finish(&key(seed)).unwrap();

        let v4_in: HashSet<_> = v4.iter().map(|&(a, _)| a).chain(late_v4).collect();
        let v4_out: HashSet<_> = v4_in.iter().map(|&a| mapping.ipv4(a)).collect();
        prop_assert_eq!(v4_in.len(), v4_out.len());
        for &a in v4_in.iter().filter(|a| ipv4::is_kept(**a)) {
            prop_assert_eq!(mapping.ipv4(a), a);
        }

        let v6_in: HashSet<_> = v6s.iter().map(|&(a, _)| a).collect();
        let v6_out: HashSet<_> = v6_in.iter().map(|&a| mapping.ipv6(a)).collect();
        prop_assert_eq!(v6_in.len(), v6_out.len());

        let mac_in: HashSet<_> = macs.iter().copied().collect();
        let mac_out: HashSet<_> = mac_in.iter().map(|&m| mapping.mac(m)).collect();
        prop_assert_eq!(mac_in.len(), mac_out.len());
        for &m in mac_in.iter().filter(|m| mac::is_kept(**m)) {
            prop_assert_eq!(mapping.mac(m), m);
        }
    }
}

/// Plans `inputs` (in order, with their roles) and returns each one's output.
fn map_v6(inputs: &[([u8; 16], Role)], k: &MappingKey) -> Vec<[u8; 16]> {
    let mut planner = AddressPlanner::new();
    inputs.iter().for_each(|&(a, r)| planner.observe_ipv6(a, r));
    let mut mapping = planner.finish(k).unwrap();
    inputs.iter().map(|&(a, _)| mapping.ipv6(a)).collect()
}

fn solicited_low(a: [u8; 16]) -> Option<[u8; 3]> {
    (a[..13] == v6("ff02::1:ff00:0")[..13]).then(|| [a[13], a[14], a[15]])
}

#[test]
fn solicited_node_group_follows_its_member() {
    let host = v6("fe80::3e22:fbff:fe01:203");
    let group = v6("ff02::1:ff01:203");
    let inputs = [(group, Role::Other), (host, Role::Client)];
    let out = map_v6(&inputs, &key(1));
    assert_ne!(out[0], group);
    assert_eq!(
        solicited_low(out[0]).unwrap(),
        [out[1][13], out[1][14], out[1][15]]
    );
    // A kept member keeps its group as it is.
    let doc = v6("2001:db8:1::aa:bbcc");
    let out = map_v6(
        &[(v6("ff02::1:ffaa:bbcc"), Role::Other), (doc, Role::Client)],
        &key(1),
    );
    assert_eq!(out, [v6("ff02::1:ffaa:bbcc"), doc]);
}

/// Sanitizing a sanitized capture with the same key changes nothing: every output, planned
/// again in the same order, maps to itself.
#[test]
fn ipv6_mapping_of_its_own_outputs_is_the_identity() {
    let inputs: Vec<([u8; 16], Role)> = [
        ("fe80::3e22:fbff:fe01:203", Role::Client),
        ("ff02::1:ff01:203", Role::Other),
        ("ff02::1:ff00:2", Role::Other),
        ("fd77::2", Role::Server),
        ("fd77::1", Role::Client),
        ("ff02::1:ff00:1", Role::Other),
        ("fe80::1", Role::Other),
        ("ff02::16", Role::Other),
        ("::", Role::Other),
        ("2a00:1450::200e", Role::Server),
    ]
    .iter()
    .map(|&(s, r)| (v6(s), r))
    .collect();
    let k = key(9);
    let first = map_v6(&inputs, &k);
    let again: Vec<_> = first
        .iter()
        .zip(&inputs)
        .map(|(&b, &(_, r))| (b, r))
        .collect();
    assert_eq!(map_v6(&again, &k), first);
}

proptest! {
    #[test]
    fn mapping_its_own_outputs_changes_nothing(
        v4 in prop::collection::vec(v4_input(), 0..200),
        v6s in prop::collection::vec(v6_input(), 0..200),
        macs in prop::collection::vec(any::<[u8; 6]>(), 0..200),
        seed in any::<u8>(),
    ) {
        let k = key(seed);
        let mut planner = AddressPlanner::new();
        v4.iter().for_each(|&(a, r)| planner.observe_ipv4(a, r));
        v6s.iter().for_each(|&(a, r)| planner.observe_ipv6(a, r));
        macs.iter().for_each(|&m| planner.observe_mac(m));
        let mut first = planner.finish(&k).unwrap();
        let v4_out: Vec<_> = v4.iter().map(|&(a, r)| (first.ipv4(a), r)).collect();
        let v6_out: Vec<_> = v6s.iter().map(|&(a, r)| (first.ipv6(a), r)).collect();
        let mac_out: Vec<_> = macs.iter().map(|&m| first.mac(m)).collect();

        let mut planner = AddressPlanner::new();
        v4_out.iter().for_each(|&(a, r)| planner.observe_ipv4(a, r));
        v6_out.iter().for_each(|&(a, r)| planner.observe_ipv6(a, r));
        mac_out.iter().for_each(|&m| planner.observe_mac(m));
        let mut second = planner.finish(&k).unwrap();
        for &(b, _) in &v4_out {
            prop_assert_eq!(second.ipv4(b), b);
        }
        for &(b, _) in &v6_out {
            prop_assert_eq!(second.ipv6(b), b);
        }
        // Fewer than 256 stations: all in the documentation range, which is kept.
        for &m in &mac_out {
            prop_assert_eq!(second.mac(m), m);
        }
    }
}
