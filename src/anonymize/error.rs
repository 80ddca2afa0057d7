//! Why a mapping could not be built: a documentation range ran out of addresses.

/// Why [`AddressPlanner::finish`] could not build a mapping.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(
        "too many IPv4 addresses to rewrite: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 \
         and 198.18.0.0/15 were full after {rewritten}"
    )]
    Ipv4Exhausted { rewritten: usize },
    #[error("too many IPv6 addresses to rewrite: no free address left in {pool}")]
    Ipv6Exhausted { pool: &'static str },
    #[error(
        "too many MAC addresses to rewrite: 00:00:5e:00:53:00/24 and 02:xx:xx:xx:xx:xx \
         were full after {rewritten}"
    )]
    MacExhausted { rewritten: usize },
}
