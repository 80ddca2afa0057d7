//! Reading a policy file: every value located, so that each problem is one sentence naming the
//! line and the key.

use serde_saphyr::Spanned;

use super::error::PolicyError;
use super::model::{KEYS, Policy, RawPolicy, must_be};
use super::node::{Exact, Node, Shape};

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
