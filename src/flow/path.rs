//! A connection's path: the encapsulations it was carried in, outermost first, each tunnel with
//! its two endpoints. Connections are keyed by their innermost 5-tuple and their path, so the
//! same inner addresses in two tunnels are two connections (docs/decisions.md, "Connections
//! keyed by their path").

use foldhash::{HashMap, HashMapExt};

use super::endpoint::Endpoint;
use crate::wire::{Ip, Layout, Tunnel};

/// An encapsulation a connection's packets were carried in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encapsulation {
    /// An MPLS label stack (the labels themselves are not part of the path: they change hop
    /// by hop).
    Mpls,
    Tunnel(Tunnel),
}

/// One layer of a path: the encapsulation and, for a tunnel, its endpoints, lower first so
/// both directions share the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PathLayer {
    pub encapsulation: Encapsulation,
    pub ends: Option<[Endpoint; 2]>,
}

impl PathLayer {
    /// The layer's name in a path (`mpls`, `gre:7`, `vxlan:42`, `6in4`).
    pub fn label(&self) -> String {
        match &self.encapsulation {
            Encapsulation::Mpls => "mpls".into(),
            Encapsulation::Tunnel(t) => t.label(),
        }
    }
}

/// A path's number in its capture's [`Paths`]; [`PathId::NONE`] for packets outside any
/// encapsulation, so plain captures key connections exactly as a bare 5-tuple would.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PathId(u32);

impl PathId {
    pub const NONE: PathId = PathId(0);
}

/// Every path a capture's connections took, numbered in first-seen order.
#[derive(Debug, Clone)]
pub struct Paths {
    ids: HashMap<Vec<PathLayer>, PathId>,
    layers: Vec<Vec<PathLayer>>,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            ids: HashMap::new(),
            layers: vec![Vec::new()],
        }
    }
}

impl Paths {
    /// The packet's path, numbered on first sight. The plain case is decided inline: it is
    /// every packet of an untunnelled capture.
    #[inline]
    pub fn intern(&mut self, layout: &Layout, data: &[u8]) -> PathId {
        if is_plain(layout) {
            return PathId::NONE;
        }
        self.intern_layers(layout, data)
    }

    #[inline(never)]
    fn intern_layers(&mut self, layout: &Layout, data: &[u8]) -> PathId {
        let layers = layers_of(layout, data);
        if let Some(&id) = self.ids.get(&layers) {
            return id;
        }
        // More distinct paths than u32 numbers cannot be in a capture of bounded packets;
        // saturating keeps this total anyway.
        let id = PathId(u32::try_from(self.layers.len()).unwrap_or(u32::MAX));
        self.ids.insert(layers.clone(), id);
        self.layers.push(layers);
        id
    }

    /// The packet's path as pass 1 numbered it; `None` for a path pass 1 never saw.
    #[inline]
    pub fn find(&self, layout: &Layout, data: &[u8]) -> Option<PathId> {
        if is_plain(layout) {
            return Some(PathId::NONE);
        }
        self.find_layers(layout, data)
    }

    #[inline(never)]
    fn find_layers(&self, layout: &Layout, data: &[u8]) -> Option<PathId> {
        self.ids.get(&layers_of(layout, data)).copied()
    }

    /// The layers of a path, outermost first (empty for [`PathId::NONE`]).
    pub fn layers(&self, id: PathId) -> &[PathLayer] {
        self.layers.get(id.0 as usize).map_or(&[], Vec::as_slice)
    }
}

/// No encapsulation: the common case, decided without building anything.
#[inline]
fn is_plain(layout: &Layout) -> bool {
    layout.outers.is_empty() && !layout.mpls
}

fn layers_of(layout: &Layout, data: &[u8]) -> Vec<PathLayer> {
    let mpls = PathLayer {
        encapsulation: Encapsulation::Mpls,
        ends: None,
    };
    let mut layers = Vec::with_capacity(layout.outers.len() + 1);
    if layout.mpls {
        layers.push(mpls);
    }
    for outer in &layout.outers {
        layers.push(PathLayer {
            encapsulation: Encapsulation::Tunnel(outer.tunnel),
            ends: Some(ends(&outer.ip, data)),
        });
        if outer.mpls {
            layers.push(mpls);
        }
    }
    layers
}

fn ends(ip: &Ip, data: &[u8]) -> [Endpoint; 2] {
    let n = ip.addr_len();
    let a = Endpoint::new(&data[ip.src..ip.src + n], 0);
    let b = Endpoint::new(&data[ip.dst..ip.dst + n], 0);
    if a <= b { [a, b] } else { [b, a] }
}
