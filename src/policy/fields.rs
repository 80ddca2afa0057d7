//! The policy's field list, declared once: [`policy_fields!`] takes each field with its type and
//! its [`FieldKind`], and generates the struct, the keys, the located reading of a file, the
//! error messages' "must be" and the canonical text. A field cannot be missing from any of them.

use serde_saphyr::Spanned;

use super::canonical::yaml_string;
use super::error::PolicyError;
use super::node::{Invalid, Node};
use crate::allowlist::Allowlist;
use crate::stable_names::StableName;

/// One field's located value as the file gave it, with what its errors need.
pub(super) struct Located<'a> {
    /// The value and where it is.
    pub(super) node: &'a Spanned<Node>,
    /// The field's key.
    pub(super) key: &'static str,
    /// Where the top-level mapping starts (reported when a required key is missing).
    pub(super) document_line: u64,
    /// Makes the error for a line and a message.
    pub(super) invalid: &'a Invalid<'a>,
}

impl Located<'_> {
    /// The error `message` at the value's line.
    fn error(&self, message: String) -> PolicyError {
        (self.invalid)(self.node.referenced.line(), message)
    }

    /// The error for a value of the wrong shape: `` `key` must be WHAT (found SHAPE) ``.
    fn wrong_type(&self, what: &str) -> PolicyError {
        let (key, found) = (self.key, self.node.value.describe());
        self.error(format!("`{key}` must be {what} (found {found})"))
    }
}

/// How one kind of field is read from its located value, described in errors and written in
/// the canonical text.
pub(super) trait FieldKind<T> {
    /// What the value must be, as errors say it.
    fn expected() -> String;

    /// The value as the file gives it.
    fn read(at: &Located<'_>) -> Result<T, PolicyError>;

    /// The value as the canonical text writes it.
    fn write(value: &T) -> String;
}

/// A kind of field whose value is text: described as text and written as a YAML string.
trait TextKind {
    fn read_text(at: &Located<'_>) -> Result<String, PolicyError>;
}

impl<K: TextKind> FieldKind<String> for K {
    fn expected() -> String {
        "text".to_string()
    }

    fn read(at: &Located<'_>) -> Result<String, PolicyError> {
        K::read_text(at)
    }

    fn write(value: &String) -> String {
        yaml_string(value)
    }
}

/// Required, non-empty, one line of text (the policy's name).
pub(super) struct RequiredLine;

/// Optional free text, empty when absent.
pub(super) struct FreeText;

/// One of an enum's stable names; its default when absent.
pub(super) struct OneOf;

/// A comma-separated list of addresses and networks, as one text value.
pub(super) struct AddressList;

/// A comma-separated list of host names, as one text value.
pub(super) struct NameList;

impl TextKind for RequiredLine {
    fn read_text(at: &Located<'_>) -> Result<String, PolicyError> {
        let key = at.key;
        match &at.node.value {
            Node::Absent => Err((at.invalid)(
                at.document_line,
                format!("missing required key `{key}`"),
            )),
            Node::Text(text) if text.trim().is_empty() => {
                Err(at.error(format!("`{key}` must not be empty")))
            }
            Node::Text(text) if text.chars().any(char::is_control) => {
                Err(at.error(format!("`{key}` must be a single line of text")))
            }
            Node::Text(text) => Ok(text.clone()),
            _ => Err(at.wrong_type("text")),
        }
    }
}

impl TextKind for FreeText {
    fn read_text(at: &Located<'_>) -> Result<String, PolicyError> {
        match &at.node.value {
            Node::Absent | Node::Null => Ok(String::new()),
            Node::Text(text) => Ok(text.clone()),
            _ => Err(at.wrong_type("text")),
        }
    }
}

impl TextKind for AddressList {
    fn read_text(at: &Located<'_>) -> Result<String, PolicyError> {
        list_text(at, Allowlist::parse_addresses)
    }
}

impl TextKind for NameList {
    fn read_text(at: &Located<'_>) -> Result<String, PolicyError> {
        list_text(at, |t| Allowlist::parse_names(t).map(|_| ()))
    }
}

impl<K: StableName + Default> FieldKind<K> for OneOf {
    fn expected() -> String {
        format!("one of {}", K::NAMES.join(", "))
    }

    fn read(at: &Located<'_>) -> Result<K, PolicyError> {
        let found = match &at.node.value {
            Node::Absent => return Ok(K::default()),
            Node::Text(text) => match K::from_name(text) {
                Some(value) => return Ok(value),
                None => format!("`{text}`"),
            },
            other => other.describe().to_string(),
        };
        let (key, expected) = (at.key, <Self as FieldKind<K>>::expected());
        Err(at.error(format!("`{key}` must be {expected} (found {found})")))
    }

    fn write(value: &K) -> String {
        value.as_str().to_string()
    }
}

/// A comma-separated list given as one text value, checked entry by entry.
fn list_text(
    at: &Located<'_>,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<String, PolicyError> {
    match &at.node.value {
        Node::Absent | Node::Null => Ok(String::new()),
        Node::Text(text) => match check(text) {
            Ok(()) => Ok(text.clone()),
            Err(why) => Err(at.error(format!("`{}`: {why}", at.key))),
        },
        _ => Err(at.wrong_type("text: comma-separated entries")),
    }
}

/// Declares the policy struct from its field list, `field: Type => Kind` with the field's
/// attributes and doc comments, and generates from that one list: the struct, [`KEYS`](super::KEYS)
/// (canonical order is declaration order), `RawPolicy` (the file's located values, read in
/// `read.rs`) with its validation into the struct, `must_be` for error messages,
/// `canonical_fields` for the canonical text and `unnamed` (every field as an absent key reads).
macro_rules! policy_fields {
    (
        $(#[$meta:meta])*
        pub struct Policy {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: $ty:ty => $kind:ty,
            )+
        }
    ) => {
        $(#[$meta])*
        pub struct Policy {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )+
        }

        /// The keys a policy file may contain, in canonical order.
        pub const KEYS: [&str; [$(stringify!($field)),+].len()] = [$(stringify!($field)),+];

        /// The file's top-level mapping, before validation. Every value is kept as a located
        /// node so that errors can name the key, the line and what was found. `N` is the
        /// reading mode (`Exact` or `Shape`, see `read.rs`), then `Node`.
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields, bound = "N: serde::Deserialize<'de> + From<Node>")]
        pub(super) struct RawPolicy<N> {
            $(
                #[serde(default = "absent")]
                $field: Spanned<N>,
            )+
        }

        impl<N: Into<Node>> RawPolicy<N> {
            pub(super) fn into_nodes(self) -> RawPolicy<Node> {
                RawPolicy {
                    $($field: convert(self.$field),)+
                }
            }
        }

        impl RawPolicy<Node> {
            /// The fields with their keys, in [`KEYS`] order.
            pub(super) fn into_fields(self) -> [(&'static str, Spanned<Node>); KEYS.len()] {
                [$((stringify!($field), self.$field),)+]
            }

            /// Checks the located values, in [`KEYS`] order, and builds the policy.
            /// `document_line` is where the top-level mapping starts (reported when a required
            /// key is missing).
            pub(super) fn validate(
                self,
                document_line: u64,
                invalid: &Invalid<'_>,
            ) -> Result<Policy, PolicyError> {
                Ok(Policy {
                    $(
                        $field: <$kind as FieldKind<$ty>>::read(&Located {
                            node: &self.$field,
                            key: stringify!($field),
                            document_line,
                            invalid,
                        })?,
                    )+
                })
            }
        }

        /// What the value of `key` must be, for error messages.
        pub(super) fn must_be(key: &str) -> String {
            match key {
                $(stringify!($field) => <$kind as FieldKind<$ty>>::expected(),)+
                _ => "text".to_string(),
            }
        }

        impl Policy {
            /// Every field as the canonical text writes it, in [`KEYS`] order.
            fn canonical_fields(&self) -> [(&'static str, String); KEYS.len()] {
                [$((stringify!($field), <$kind as FieldKind<$ty>>::write(&self.$field)),)+]
            }

            /// Every field as an absent key reads (the name empty).
            fn unnamed() -> Policy {
                Policy {
                    $($field: <$ty>::default(),)+
                }
            }
        }
    };
}

pub(super) use policy_fields;
