//! Distinguished names as clients print them: openssl's `C = US, O = "Example, Inc.", CN =
//! host`, curl's `C=US; O=Org; CN=host`, gnutls's RFC 4514 `CN=host,O=Org\, Inc.`, the slash
//! form `/C=US/O=Org/CN=host`, multi-valued `CN = a + UID = b`. Parsed into attribute names
//! (kept) and values (each replaced by the caller); a name not in [`ATTRIBUTES`] (or an OID)
//! makes the whole text no DN.

/// A piece of a distinguished name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnPiece<'a> {
    /// Attribute names, `=`, separators and blanks.
    Text(&'a str),
    /// An attribute's value (quotes included when it is quoted).
    Value(&'a str),
}

/// Attribute names clients print (short and long forms).
const ATTRIBUTES: &[&str] = &[
    "CN",
    "C",
    "O",
    "OU",
    "L",
    "ST",
    "S",
    "DC",
    "UID",
    "SN",
    "GN",
    "E",
    "T",
    "emailAddress",
    "serialNumber",
    "street",
    "postalCode",
    "title",
    "name",
    "initials",
    "pseudonym",
    "dnQualifier",
    "generationQualifier",
    "unstructuredName",
    "organizationIdentifier",
    "businessCategory",
    "jurisdictionC",
    "jurisdictionST",
    "jurisdictionL",
    "commonName",
    "countryName",
    "localityName",
    "stateOrProvinceName",
    "organizationName",
    "organizationalUnitName",
    "domainComponent",
    "userId",
];

/// Longest attribute name or OID looked at.
const MAX_ATTR_NAME: usize = 64;

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_blank(c)) {
        i += 1;
    }
    i
}

/// `NAME=`, `NAME = ` or an OID `2.5.4.3 = ` at `i` (after blanks, and after one `/` in the
/// slash form): where the value starts, if the name is a known attribute.
fn assignment(b: &[u8], i: usize, slash: bool) -> Option<usize> {
    let mut j = skip_blanks(b, i);
    if slash {
        if b.get(j) != Some(&b'/') {
            return None;
        }
        j += 1;
    }
    let start = j;
    while j - start <= MAX_ATTR_NAME
        && b.get(j)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'.')
    {
        j += 1;
    }
    let name = std::str::from_utf8(b.get(start..j)?).ok()?;
    let oid = name.contains('.') && name.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    if !(ATTRIBUTES.contains(&name) || oid) {
        return None;
    }
    let eq = skip_blanks(b, j);
    (b.get(eq) == Some(&b'=')).then(|| skip_blanks(b, eq + 1))
}

/// The end of the value starting at `v` (trailing blanks excluded) and the position of the
/// separator after it (or the end): a `,` `;` `+` (`/` in the slash form) followed by another
/// assignment. Quoted values and `\` escapes are skipped.
fn value_end(b: &[u8], v: usize, slash: bool) -> (usize, usize) {
    let mut k = v;
    if b.get(k) == Some(&b'"') {
        k += 1;
        while let Some(&c) = b.get(k) {
            k += if c == b'\\' { 2 } else { 1 };
            if c == b'"' {
                break;
            }
        }
    }
    let mut sep = b.len();
    while let Some(&c) = b.get(k) {
        if c == b'\\' {
            k += 2;
            continue;
        }
        let next = if slash {
            (c == b'/' && assignment(b, k, true).is_some()).then_some(k)
        } else {
            (matches!(c, b',' | b';' | b'+') && assignment(b, k + 1, false).is_some()).then_some(k)
        };
        if let Some(s) = next {
            sep = s;
            break;
        }
        k += 1;
    }
    let mut end = sep.min(b.len());
    while end > v && b.get(end - 1).is_some_and(|&c| is_blank(c)) {
        end -= 1;
    }
    (end, sep)
}

/// Splits a whole distinguished name into pieces; `None` when it is not one.
pub fn parse(s: &str) -> Option<Vec<DnPiece<'_>>> {
    let b = s.as_bytes();
    let slash = s.starts_with('/');
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let v = assignment(b, i, slash)?;
        out.push(DnPiece::Text(s.get(i..v)?));
        let (end, sep) = value_end(b, v, slash);
        out.push(DnPiece::Value(s.get(v..end)?));
        if sep >= b.len() {
            if end < b.len() {
                out.push(DnPiece::Text(s.get(end..)?));
            }
            return Some(out);
        }
        // The separator itself; the slash form's `/` belongs to the next assignment.
        let next = if slash { sep } else { sep + 1 };
        out.push(DnPiece::Text(s.get(end..next)?));
        i = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(s: &str) -> Vec<&str> {
        parse(s)
            .unwrap_or_else(|| panic!("{s:?} is no DN"))
            .into_iter()
            .filter_map(|p| match p {
                DnPiece::Value(v) => Some(v),
                DnPiece::Text(_) => None,
            })
            .collect()
    }

    fn rejoined(s: &str) -> String {
        parse(s)
            .unwrap()
            .into_iter()
            .map(|p| match p {
                DnPiece::Value(v) | DnPiece::Text(v) => v,
            })
            .collect()
    }

    #[test]
    fn the_forms_clients_print() {
        let openssl = r#"C = US, ST = California, O = "Example Corp, Inc.", CN = db.internal.corp"#;
        assert_eq!(
            values(openssl),
            [
                "US",
                "California",
                "\"Example Corp, Inc.\"",
                "db.internal.corp"
            ]
        );
        assert_eq!(rejoined(openssl), openssl);
        let curl = "C=ZZ; ST=Plantshire; O=Planted Widgets Ltd; CN=api.example.net";
        assert_eq!(
            values(curl),
            ["ZZ", "Plantshire", "Planted Widgets Ltd", "api.example.net"]
        );
        assert_eq!(rejoined(curl), curl);
        let gnutls = r"CN=api.example.net,OU=Unit,O=Widgets\, Ltd,C=ZZ";
        assert_eq!(
            values(gnutls),
            ["api.example.net", "Unit", r"Widgets\, Ltd", "ZZ"]
        );
        let slash = "/C=US/O=Org/CN=host.example";
        assert_eq!(values(slash), ["US", "Org", "host.example"]);
        assert_eq!(rejoined(slash), slash);
        assert_eq!(values("CN = a + UID = b"), ["a", "b"]);
        assert_eq!(values("2.5.4.3 = x"), ["x"]);
    }

    #[test]
    fn not_distinguished_names() {
        for s in [
            "",
            "hello world",
            "Foo=bar",
            "x CN=a",
            "CN",
            "/etc/ssl/certs",
        ] {
            assert!(parse(s).is_none(), "{s:?}");
        }
    }
}
