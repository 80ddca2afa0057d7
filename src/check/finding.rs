//! Findings: what `check` reports, most important first, never printing a secret in full
//! (a pre-commit hook's output lands in CI logs).

use serde::Serialize;

use crate::stable_names::stable_names;

stable_names! {
    /// What kind of sensitive thing a capture holds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub enum FindingKind {
        /// A secret seen in the capture would survive sanitizing (the canary scan found it in
        /// what `sanitize` would write): worse than anything `sanitize` removes.
        Leak = "leak",
        Sni = "sni",
        Certificate = "certificate",
        Ticket = "ticket",
        Address = "address",
        Mac = "mac",
        DnsName = "dns-name",
        HttpHost = "http-host",
        Payload = "payload",
        IpOption = "ip-option",
        TcpOption = "tcp-option",
        Comment = "comment",
        PcapngBlock = "pcapng-block",
    }
}

/// One sensitive thing, at a packet (0 for file-level findings such as pcapng blocks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub packet: u64,
    pub detail: String,
}

impl Finding {
    pub fn new(kind: FindingKind, packet: u64, detail: String) -> Finding {
        Finding {
            kind,
            packet,
            detail,
        }
    }
}

/// `10.77.x.x`, `2600:1f18:…`: enough to recognise, not enough to identify.
pub fn mask_ip(addr: &[u8]) -> String {
    match addr.len() {
        4 => format!("{}.{}.x.x", addr[0], addr[1]),
        16 => format!(
            "{:x}:{:x}:…",
            u16::from_be_bytes([addr[0], addr[1]]),
            u16::from_be_bytes([addr[2], addr[3]])
        ),
        _ => "an address".into(),
    }
}

/// `12:34:…`
pub fn mask_mac(mac: &[u8]) -> String {
    format!("{:02x}:{:02x}:…", mac[0], mac[1])
}

/// `pa…om (22 chars)`
pub fn mask_name(name: &[u8]) -> String {
    let text = String::from_utf8_lossy(name);
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 4 {
        return format!("{} chars", chars.len());
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}…{tail} ({} chars)", chars.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_never_show_a_whole_secret() {
        assert_eq!(mask_ip(&[10, 77, 0, 2]), "10.77.x.x");
        assert_eq!(mask_mac(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]), "12:34:…");
        assert_eq!(mask_name(b"payments.example.com"), "pa…om (20 chars)");
        assert_eq!(mask_name(b"a.io"), "4 chars");
    }
}
