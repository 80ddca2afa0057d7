//! pcapng sections built block by block, in either byte order.

use crate::bytes::{put_u16, put_u32, put_u64};

pub const OPT_COMMENT: u16 = 1;
pub const SHB_HARDWARE: u16 = 2;
pub const SHB_OS: u16 = 3;
pub const SHB_USERAPPL: u16 = 4;
pub const IF_NAME: u16 = 2;
pub const IF_TSRESOL: u16 = 9;
pub const IF_TSOFFSET: u16 = 14;
pub const EPB_FLAGS: u16 = 2;

/// Builds one pcapng section in one byte order.
pub struct Ng {
    pub be: bool,
    pub buf: Vec<u8>,
}

pub fn ng_options(be: bool, opts: &[(u16, &[u8])]) -> Vec<u8> {
    let mut o = Vec::new();
    for (code, value) in opts {
        put_u16(&mut o, *code, be);
        put_u16(&mut o, value.len() as u16, be);
        o.extend_from_slice(value);
        o.resize(o.len().next_multiple_of(4), 0);
    }
    if !opts.is_empty() {
        o.extend_from_slice(&[0, 0, 0, 0]);
    }
    o
}

impl Ng {
    /// Starts a section: the SHB with `opts`.
    pub fn section(be: bool, opts: &[(u16, &[u8])]) -> Ng {
        let mut ng = Ng {
            be,
            buf: Vec::new(),
        };
        let mut body = Vec::new();
        put_u32(&mut body, 0x1a2b_3c4d, be);
        put_u16(&mut body, 1, be);
        put_u16(&mut body, 0, be);
        put_u64(&mut body, u64::MAX, be);
        body.extend(ng_options(be, opts));
        ng.block(0x0a0d_0d0a, &body);
        ng
    }

    /// Appends a block; the body is padded to 4 bytes.
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Ng {
        let padded = body.len().next_multiple_of(4);
        let total = (12 + padded) as u32;
        let be = self.be;
        put_u32(&mut self.buf, block_type, be);
        put_u32(&mut self.buf, total, be);
        self.buf.extend_from_slice(body);
        self.buf.resize(self.buf.len() + padded - body.len(), 0);
        put_u32(&mut self.buf, total, be);
        self
    }

    pub fn idb(&mut self, link_type: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u16(&mut body, link_type, be);
        put_u16(&mut body, 0, be);
        put_u32(&mut body, snaplen, be);
        body.extend(ng_options(be, opts));
        self.block(1, &body)
    }

    pub fn epb(
        &mut self,
        iface: u32,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        opts: &[(u16, &[u8])],
    ) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, iface, be);
        put_u32(&mut body, (ts >> 32) as u32, be);
        put_u32(&mut body, ts as u32, be);
        put_u32(&mut body, data.len() as u32, be);
        put_u32(&mut body, orig_len, be);
        body.extend_from_slice(data);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend(ng_options(be, opts));
        self.block(6, &body)
    }

    pub fn spb(&mut self, data: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, data.len() as u32, be);
        body.extend_from_slice(data);
        self.block(3, &body)
    }

    /// A name resolution block mapping an IPv4 address to a name.
    pub fn nrb(&mut self, addr: [u8; 4], name: &str) -> &mut Ng {
        let be = self.be;
        let mut value = addr.to_vec();
        value.extend_from_slice(name.as_bytes());
        value.push(0);
        let mut body = Vec::new();
        put_u16(&mut body, 1, be);
        put_u16(&mut body, value.len() as u16, be);
        body.extend_from_slice(&value);
        body.resize(body.len().next_multiple_of(4), 0);
        body.extend_from_slice(&[0, 0, 0, 0]);
        self.block(4, &body)
    }

    pub fn isb(&mut self, iface: u32, ts: u64, opts: &[(u16, &[u8])]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, iface, be);
        put_u32(&mut body, (ts >> 32) as u32, be);
        put_u32(&mut body, ts as u32, be);
        body.extend(ng_options(be, opts));
        self.block(5, &body)
    }

    /// A decryption secrets block (TLS key log).
    pub fn dsb(&mut self, secrets: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, 0x544c_534b, be);
        put_u32(&mut body, secrets.len() as u32, be);
        body.extend_from_slice(secrets);
        self.block(10, &body)
    }

    pub fn custom(&mut self, block_type: u32, data: &[u8]) -> &mut Ng {
        let be = self.be;
        let mut body = Vec::new();
        put_u32(&mut body, 32_473, be); // the example private enterprise number
        body.extend_from_slice(data);
        self.block(block_type, &body)
    }
}
