//! One side of a connection, as the flow table and the paths hold it.

/// One side of a connection: address (IPv4 in the first 4 bytes) and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub addr: [u8; 16],
    pub v6: bool,
    pub port: u16,
}

impl Endpoint {
    pub fn new(addr: &[u8], port: u16) -> Endpoint {
        let mut a = [0u8; 16];
        a[..addr.len()].copy_from_slice(addr);
        Endpoint {
            addr: a,
            v6: addr.len() == 16,
            port,
        }
    }

    pub fn addr_bytes(&self) -> &[u8] {
        if self.v6 { &self.addr } else { &self.addr[..4] }
    }
}
