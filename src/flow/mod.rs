//! Connections: a table keyed by the normalised 5-tuple and the path, client/server roles, per-direction
//! sequence-number bookkeeping.

mod endpoint;
pub mod fragments;
pub mod path;
pub mod reassembly;
pub mod seq;

pub use endpoint::Endpoint;
pub use path::{PathId, PathLayer, Paths};

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::stable_names::stable_names;

stable_names! {
    /// The transport a connection runs over (summary key `transport`). Part of its key: a TCP
    /// connection and a UDP flow on the same addresses and ports are two connections.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum TransportKind {
        #[default]
        Tcp = "tcp",
        Udp = "udp",
    }
}

/// Which way a packet travels relative to the normalised key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// From `FlowKey::a` to `FlowKey::b`.
    A,
    B,
}

impl Side {
    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// The 5-tuple of a connection, with the lower endpoint first so both directions find the
/// same entry, and the path it was carried in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub a: Endpoint,
    pub b: Endpoint,
    pub path: PathId,
    pub transport: TransportKind,
}

impl FlowKey {
    /// The key of a TCP connection.
    pub fn new(src: Endpoint, dst: Endpoint, path: PathId) -> (FlowKey, Side) {
        FlowKey::over(TransportKind::Tcp, src, dst, path)
    }

    /// The key of a UDP flow.
    pub fn udp(src: Endpoint, dst: Endpoint, path: PathId) -> (FlowKey, Side) {
        FlowKey::over(TransportKind::Udp, src, dst, path)
    }

    fn over(
        transport: TransportKind,
        src: Endpoint,
        dst: Endpoint,
        path: PathId,
    ) -> (FlowKey, Side) {
        let (a, b, side) = if src <= dst {
            (src, dst, Side::A)
        } else {
            (dst, src, Side::B)
        };
        (
            FlowKey {
                a,
                b,
                path,
                transport,
            },
            side,
        )
    }

    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::A => self.a,
            Side::B => self.b,
        }
    }
}

/// Evidence used to decide which side is the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoleEvidence {
    /// Sender of the first pure SYN.
    pub syn_from: Option<Side>,
    /// Sender of the first SYN-ACK.
    pub syn_ack_from: Option<Side>,
    /// Sender of the first packet.
    pub first_from: Option<Side>,
    /// Over UDP (no SYN): the side whose datagram's content says it is the client (a DTLS
    /// ClientHello, a QUIC client Initial), or the other side of one that says server.
    pub hello_from: Option<Side>,
}

impl RoleEvidence {
    /// The client side: the sender of the first SYN; else the receiver of a SYN-ACK; else the
    /// side with the ephemeral port (a well-known port below 1024, or else the lower port, marks
    /// the server); else whoever spoke first.
    pub fn client(&self, key: &FlowKey) -> Side {
        if let Some(s) = self.syn_from.or(self.hello_from) {
            return s;
        }
        if let Some(s) = self.syn_ack_from {
            return s.other();
        }
        client_by_port(key.a.port, key.b.port).unwrap_or(self.first_from.unwrap_or(Side::A))
    }
}

/// The client side judged by ports alone, when they differ.
pub fn client_by_port(port_a: u16, port_b: u16) -> Option<Side> {
    let well_known = |p: u16| p < 1024;
    match (well_known(port_a), well_known(port_b)) {
        (true, false) => Some(Side::B),
        (false, true) => Some(Side::A),
        _ if port_a > port_b => Some(Side::A),
        _ if port_b > port_a => Some(Side::B),
        _ => None,
    }
}

/// A table of connections in first-seen order (so every listing is deterministic).
#[derive(Debug)]
pub struct FlowTable<T> {
    /// Each 4-tuple's latest connection, as its place in `flows`, hashed by the key held
    /// there: 9 bytes a slot, where a map would hold the 48-byte key a second time (the table
    /// has a slot per connection of the capture, finished ones included).
    index: HashTable<usize>,
    hasher: foldhash::fast::RandomState,
    flows: Vec<(FlowKey, T)>,
    /// Per connection: the packet number it begins at (0 for the first on its 4-tuple) and the
    /// earlier connection on the same 4-tuple that it follows (a port reused after a close).
    starts: Vec<(u64, Option<usize>)>,
    /// The connection found last.
    last: Option<usize>,
}

impl<T> Default for FlowTable<T> {
    fn default() -> Self {
        FlowTable {
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            flows: Vec::new(),
            starts: Vec::new(),
            last: None,
        }
    }
}

impl<T> FlowTable<T> {
    /// The connection's index, creating it with `make` when new.
    pub fn entry(&mut self, key: FlowKey, make: impl FnOnce() -> T) -> usize {
        // Segments come in bursts per connection: the last one found needs no hashing.
        if let Some(i) = self.last.filter(|&i| self.flows[i].0 == key) {
            return i;
        }
        if let Some(i) = self.latest(&key) {
            self.last = Some(i);
            return i;
        }
        self.push(key, make(), (0, None))
    }

    /// A new connection on a 4-tuple that had one (the port reused after a close), from
    /// packet `since` on; the earlier one stays, for the packets before.
    pub fn restart(&mut self, key: FlowKey, since: u64, value: T) -> usize {
        let previous = self.latest(&key);
        self.push(key, value, (since, previous))
    }

    /// The latest connection of `key`'s 4-tuple.
    fn latest(&self, key: &FlowKey) -> Option<usize> {
        let flows = &self.flows;
        self.index
            .find(self.hasher.hash_one(key), |&i| flows[i].0 == *key)
            .copied()
    }

    /// Adds a connection, now its 4-tuple's latest, with its start (see `starts`).
    fn push(&mut self, key: FlowKey, value: T, start: (u64, Option<usize>)) -> usize {
        let i = self.flows.len();
        self.flows.push((key, value));
        self.starts.push(start);
        let (flows, hasher) = (&self.flows, &self.hasher);
        let hash = hasher.hash_one(key);
        match self.index.find_mut(hash, |&j| flows[j].0 == key) {
            Some(latest) => *latest = i,
            None => {
                self.index
                    .insert_unique(hash, i, |&j| hasher.hash_one(flows[j].0));
            }
        }
        self.last = Some(i);
        i
    }

    /// The connection packet number `packet` of this 4-tuple belongs to.
    pub fn find_at(&self, key: &FlowKey, packet: u64) -> Option<usize> {
        let mut i = self.latest(key)?;
        loop {
            let (since, previous) = self.starts[i];
            if since <= packet {
                return Some(i);
            }
            i = previous?;
        }
    }

    pub fn get_mut(&mut self, i: usize) -> &mut (FlowKey, T) {
        &mut self.flows[i]
    }

    pub fn get(&self, i: usize) -> &(FlowKey, T) {
        &self.flows[i]
    }

    pub fn iter(&self) -> impl Iterator<Item = &(FlowKey, T)> {
        self.flows.iter()
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The same table with every value converted, in place of building a new index.
    pub fn map_values<U>(self, mut f: impl FnMut(FlowKey, T) -> U) -> FlowTable<U> {
        FlowTable {
            index: self.index,
            hasher: self.hasher,
            flows: self.flows.into_iter().map(|(k, v)| (k, f(k, v))).collect(),
            starts: self.starts,
            last: self.last,
        }
    }
}
