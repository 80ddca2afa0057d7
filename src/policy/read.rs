//! Reading a policy file: every value located, so that each problem is one sentence naming the
//! line and the key.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::{KEYS, Policy, PolicyError, RawPolicy, must_be};

/// Makes the error for a line and a message (the origin is the reader's).
pub(super) type Invalid<'a> = dyn Fn(u64, String) -> PolicyError + 'a;

/// Parse a policy from YAML text. `origin` names the text in errors
/// (normally the file path).
pub fn from_yaml(text: &str, origin: &str) -> Result<Policy, PolicyError> {
    let invalid = |line: u64, message: String| PolicyError::Invalid {
        origin: origin.to_string(),
        line: line.max(1),
        message,
    };
    if is_blank(text) {
        return Err(invalid(
            1,
            "the policy is empty (expected a mapping with at least `name`)".to_string(),
        ));
    }
    match serde_saphyr::from_str::<Spanned<RawPolicy<Exact>>>(text) {
        Ok(raw) => raw
            .value
            .into_nodes()
            .validate(raw.referenced.line(), &invalid),
        Err(err) => {
            Err(shape_error(&err, text, &invalid).unwrap_or_else(|| yaml_error(&err, &invalid)))
        }
    }
}

/// Only whitespace and comments.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#')
    })
}

/// Strip the wrappers the YAML library puts around the error that matters.
fn core_error(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    use serde_saphyr::Error as E;
    while let E::WithSnippet { error, .. } | E::AliasError { error, .. } = err {
        err = error;
    }
    err
}

/// The exact pass reads every value as a scalar, to keep its text as
/// written (`yes` stays `yes`, `0x1f` stays `0x1f`), so a list or mapping
/// fails there without naming the key. In that case read the structure
/// again to report which key holds what (or the syntax error that the
/// exact pass stopped before).
fn shape_error(
    err: &serde_saphyr::Error,
    text: &str,
    invalid: &impl Fn(u64, String) -> PolicyError,
) -> Option<PolicyError> {
    let serde_saphyr::Error::Unexpected {
        expected: "string scalar",
        ..
    } = core_error(err)
    else {
        return None;
    };
    let raw = match serde_saphyr::from_str::<RawPolicy<Shape>>(text) {
        Ok(raw) => raw.into_nodes(),
        // A list or mapping that is not well-formed YAML: report the
        // syntax error, which is more useful than "expected a scalar".
        Err(shape_err) => return Some(yaml_error(&shape_err, invalid)),
    };
    raw.into_fields()
        .into_iter()
        .filter(|(_, node)| matches!(node.value, Node::Sequence | Node::Mapping))
        .min_by_key(|(_, node)| (node.referenced.line(), node.referenced.column()))
        .map(|(key, node)| {
            invalid(
                node.referenced.line(),
                format!(
                    "`{key}` must be {} (found {})",
                    must_be(key),
                    node.value.describe()
                ),
            )
        })
}

/// Turn a YAML library error into a one-sentence [`PolicyError::Invalid`].
fn yaml_error(
    err: &serde_saphyr::Error,
    invalid: &impl Fn(u64, String) -> PolicyError,
) -> PolicyError {
    use serde_saphyr::Error as E;

    let line = err.location().map_or(1, |loc| loc.line());
    match core_error(err) {
        E::Eof { .. } => invalid(
            1,
            "the policy is empty (expected a mapping with at least `name`)".to_string(),
        ),
        E::Unexpected {
            expected: "mapping start",
            ..
        } => invalid(
            line,
            format!("the policy must be a mapping of keys ({})", KEYS.join(", ")),
        ),
        E::SerdeUnknownField { field, .. } => invalid(
            line,
            format!(
                "unknown key `{field}` (expected one of: {})",
                KEYS.join(", ")
            ),
        ),
        E::DuplicateMappingKey { key: Some(key), .. } => {
            invalid(line, format!("duplicate key `{key}`"))
        }
        other => {
            let text = serde_saphyr::MessageFormatter::format_message(
                &serde_saphyr::UserMessageFormatter,
                other,
            );
            let first = text.lines().next().unwrap_or_default().trim();
            let message = if first.is_empty() {
                "invalid YAML".to_string()
            } else {
                first.to_string()
            };
            invalid(line, message)
        }
    }
}

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
