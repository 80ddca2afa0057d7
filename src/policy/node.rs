//! A policy file's values as read: located, reduced to what validation needs, in the two
//! reading modes (`Exact` keeps scalars as written, `Shape` only trusts their shape).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::error::PolicyError;

/// Makes the error for a line and a message (the origin is the reader's).
pub(super) type Invalid<'a> = dyn Fn(u64, String) -> PolicyError + 'a;

/// A located value in the reading mode `N`, as a [`Node`].
pub(super) fn convert<N: Into<Node>>(field: Spanned<N>) -> Spanned<Node> {
    Spanned::new(field.value.into(), field.referenced, field.defined)
}

pub(super) fn absent<N: From<Node>>() -> Spanned<N> {
    Spanned::new(N::from(Node::Absent), Location::UNKNOWN, Location::UNKNOWN)
}

/// A YAML value reduced to what validation needs.
pub(super) enum Node {
    /// The key was not in the file.
    Absent,
    /// `~`, `null` or nothing after the colon.
    Null,
    /// A scalar.
    Text(String),
    Sequence,
    Mapping,
}

impl Node {
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Node::Absent | Node::Null => "an empty value",
            Node::Text(_) => "text",
            Node::Sequence => "a list",
            Node::Mapping => "a mapping",
        }
    }
}

/// Reads a value as null or a scalar's text exactly as written; a list or
/// mapping is an error from the YAML library.
pub(super) struct Exact(Node);

/// Reads a value's shape; scalars are resolved by the YAML library
/// (`yes` becomes `true`), so only the shape is trusted.
pub(super) struct Shape(Node);

impl From<Node> for Exact {
    fn from(node: Node) -> Self {
        Exact(node)
    }
}

impl From<Exact> for Node {
    fn from(exact: Exact) -> Self {
        exact.0
    }
}

impl From<Node> for Shape {
    fn from(node: Node) -> Self {
        Shape(node)
    }
}

impl From<Shape> for Node {
    fn from(shape: Shape) -> Self {
        shape.0
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_option(NodeVisitor { exact: true })
            .map(Exact)
    }
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NodeVisitor { exact: false })
            .map(Shape)
    }
}

struct NodeVisitor {
    exact: bool,
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Text(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        if self.exact {
            deserializer.deserialize_str(self)
        } else {
            deserializer.deserialize_any(self)
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Node::Sequence)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Node::Mapping)
    }
}
