//! Addresses, networks and names a policy lets stay as they are (e.g. a team's own public test
//! server). `sanitize` and `check` apply the same list through the same mapping and redactor.

use std::net::IpAddr;

/// One allowed network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    v6: bool,
    addr: u128,
    prefix: u32,
}

impl Network {
    fn contains(&self, v6: bool, addr: u128) -> bool {
        let bits = if self.v6 { 128 } else { 32 };
        if self.v6 != v6 {
            return false;
        }
        let shift = bits - self.prefix;
        shift >= bits || (addr >> shift) == (self.addr >> shift)
    }
}

/// A parsed allowlist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    networks: Vec<Network>,
    /// Lowercase names; a leading `*.` allows every name below that domain.
    names: Vec<String>,
}

impl Allowlist {
    /// Parses comma-separated addresses or networks (`203.0.113.7`, `198.51.100.0/24`,
    /// `2001:db8:5::/48`). The error names the entry.
    pub fn parse_addresses(text: &str) -> Result<(), String> {
        Self::networks(text).map(|_| ())
    }

    fn networks(text: &str) -> Result<Vec<Network>, String> {
        let mut out = Vec::new();
        for entry in entries(text) {
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("`{entry}` is not an IP address or network"))?;
            let (v6, value, bits) = match ip {
                IpAddr::V4(a) => (false, u128::from(u32::from(a)), 32),
                IpAddr::V6(a) => (true, u128::from(a), 128),
            };
            let prefix = match prefix {
                None => bits,
                Some(p) => p
                    .parse::<u32>()
                    .ok()
                    .filter(|p| *p <= bits)
                    .ok_or_else(|| format!("`{entry}` has an invalid prefix length"))?,
            };
            out.push(Network {
                v6,
                addr: value,
                prefix,
            });
        }
        Ok(out)
    }

    /// Parses comma-separated host names (`test.example.net`, `*.qa.example.net`).
    pub fn parse_names(text: &str) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for entry in entries(text) {
            let name = entry.to_ascii_lowercase();
            let bare = name.strip_prefix("*.").unwrap_or(&name);
            let valid = !bare.is_empty()
                && bare.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                return Err(format!(
                    "`{entry}` is not a host name (or `*.` followed by one)"
                ));
            }
            out.push(name);
        }
        Ok(out)
    }

    /// Builds the list from a policy's two fields (already validated by the policy parser).
    pub fn from_policy_text(addresses: &str, names: &str) -> Allowlist {
        Allowlist {
            networks: Self::networks(addresses).unwrap_or_default(),
            names: Self::parse_names(names).unwrap_or_default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.names.is_empty()
    }

    pub fn allows_ipv4(&self, a: [u8; 4]) -> bool {
        let v = u128::from(u32::from_be_bytes(a));
        self.networks.iter().any(|n| n.contains(false, v))
    }

    pub fn allows_ipv6(&self, a: [u8; 16]) -> bool {
        let v = u128::from_be_bytes(a);
        self.networks.iter().any(|n| n.contains(true, v))
    }

    pub fn allows_name(&self, name: &[u8]) -> bool {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        self.names.iter().any(|n| match n.strip_prefix("*.") {
            Some(domain) => {
                lower.len() > domain.len()
                    && lower.ends_with(domain)
                    && lower[..lower.len() - domain.len()].ends_with('.')
            }
            None => n == lower,
        })
    }
}

fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|e| !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_names_match_as_written() {
        let a = Allowlist::from_policy_text(
            "93.184.215.14, 10.9.0.0/16, 2600:1f18::/32",
            "api.qa.example.net, *.lab.example.org",
        );
        assert!(a.allows_ipv4([93, 184, 215, 14]));
        assert!(!a.allows_ipv4([93, 184, 215, 15]));
        assert!(a.allows_ipv4([10, 9, 200, 1]));
        assert!(!a.allows_ipv4([10, 10, 0, 1]));
        let mut v6 = [0u8; 16];
        v6[..4].copy_from_slice(&[0x26, 0x00, 0x1f, 0x18]);
        assert!(a.allows_ipv6(v6));
        assert!(a.allows_name(b"API.qa.example.net"));
        assert!(a.allows_name(b"x.lab.example.org"));
        assert!(!a.allows_name(b"lab.example.org"));
        assert!(!a.allows_name(b"evil-lab.example.org"));
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(
            Allowlist::parse_addresses("10.0.0.0/33")
                .unwrap_err()
                .contains("10.0.0.0/33")
        );
        assert!(
            Allowlist::parse_addresses("db.internal")
                .unwrap_err()
                .contains("db.internal")
        );
        assert!(
            Allowlist::parse_names("bad name")
                .unwrap_err()
                .contains("bad name")
        );
        assert!(Allowlist::parse_addresses("").is_ok());
    }
}
