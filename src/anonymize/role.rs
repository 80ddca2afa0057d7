//! The role a host played, which picks the documentation range its address lands in.

/// What a host did in the capture; it picks the documentation range it lands in,
/// so a reader of the sanitized capture still sees who was client and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Client,
    Server,
    Other,
}

impl Role {
    /// The first client or server role wins; `Other` only stands until one is
    /// seen (a host that shows up in ARP before it connects is still a client).
    pub(super) fn merge(self, seen: Role) -> Role {
        if self == Role::Other { seen } else { self }
    }

    /// Position of this role's pool in per-role arrays.
    pub(super) fn pool_index(self) -> usize {
        match self {
            Role::Client => 0,
            Role::Server => 1,
            Role::Other => 2,
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Role::Client => "client-role",
            Role::Server => "server-role",
            Role::Other => "other-role",
        }
    }
}
