//! The canonical text of a policy: every field, in a fixed order, written here rather than by
//! the YAML library so the policy's hash does not change when a dependency changes its style.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `text`.
pub(super) fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest.iter() {
        hex.push(hex_digit(byte >> 4));
        hex.push(hex_digit(byte & 0x0f));
    }
    hex
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

/// `text` as a YAML scalar: plain when that is unambiguous, otherwise
/// double-quoted with escapes. Deterministic, so hashes are stable.
pub(super) fn yaml_string(text: &str) -> String {
    if is_plain_safe(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            ' '..='~' => out.push(c),
            c if is_printable_non_ascii(c) => out.push(c),
            c => {
                let code = u32::from(c);
                if code <= 0xffff {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// Non-ASCII characters YAML allows unescaped in a double-quoted scalar,
/// minus the ones a reader could fold or strip (NEL, line/paragraph
/// separators, byte-order mark).
fn is_printable_non_ascii(c: char) -> bool {
    matches!(u32::from(c), 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Conservative test for text that reads back unchanged as a plain scalar:
/// starts with an ASCII letter, uses only letters, digits, spaces and a few
/// punctuation marks that mean nothing to YAML inside a plain scalar, has
/// no trailing space and is not a word YAML could read as null or boolean.
fn is_plain_safe(text: &str) -> bool {
    const RESERVED: [&str; 14] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "nan", "infinity",
        "none", "nil",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !text.ends_with(' ')
        && !text.contains("  ")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_.,;()/+=".contains(c))
        && !RESERVED.iter().any(|w| text.eq_ignore_ascii_case(w))
}
