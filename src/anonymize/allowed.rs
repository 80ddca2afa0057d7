//! Which addresses the evidence may hold exactly as the input had them: the classes the mapping
//! keeps (documentation ranges, loopback, unspecified, multicast, broadcast, the overflow range)
//! and the policy's allowlist. The mapping keeps these when `sanitize` and `check` rewrite a
//! capture, and `verify` accepts no other address in a summary: one definition, so the three
//! cannot disagree about what may leave.

use std::net::IpAddr;

use super::{ipv4, ipv6};
use crate::allowlist::Allowlist;

/// Whether the evidence may hold `a` as it is, under a policy whose allowlist is `allow`.
pub fn address_allowed(a: IpAddr, allow: &Allowlist) -> bool {
    match a {
        IpAddr::V4(v4) => ipv4_allowed(v4.octets(), allow),
        IpAddr::V6(v6) => ipv6_allowed(v6.octets(), allow),
    }
}

pub(crate) fn ipv4_allowed(a: [u8; 4], allow: &Allowlist) -> bool {
    allow.allows_ipv4(a) || ipv4::is_kept(a)
}

/// An IPv4-mapped address goes through the IPv4 mapping: it stays when its IPv4 address is of
/// a kept class.
pub(crate) fn ipv6_allowed(a: [u8; 16], allow: &Allowlist) -> bool {
    allow.allows_ipv6(a) || ipv6::is_kept(a) || ipv6::embedded_ipv4(a).is_some_and(ipv4::is_kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(text: &str, allow: &Allowlist) -> bool {
        address_allowed(text.parse().unwrap(), allow)
    }

    #[test]
    fn kept_classes_and_the_allowlist_are_allowed() {
        let none = Allowlist::default();
        for a in [
            "192.0.2.7",
            "198.51.100.1",
            "203.0.113.254",
            "198.19.3.4",
            "127.0.0.1",
            "0.0.0.0",
            "224.0.0.251",
            "255.255.255.255",
            "2001:db8:1::5",
            "::1",
            "::",
            "ff02::fb",
            "::ffff:192.0.2.9",
            "fe80::200:5eff:fe00:5301",
        ] {
            assert!(allowed(a, &none), "{a} is of a kept class");
        }
        for a in [
            "10.77.0.20",
            "93.184.215.14",
            "fd77::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!allowed(a, &none), "{a} is not of a kept class");
        }
        let allow = Allowlist::from_policy_text("93.184.215.14, fd77::/48", "");
        assert!(allowed("93.184.215.14", &allow));
        assert!(allowed("fd77::1", &allow));
        assert!(!allowed("93.184.215.15", &allow));
    }
}
