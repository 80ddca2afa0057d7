//! A pasted command line (`curl -v -u alice:pw -H 'Cookie: a=b' https://host/`): the program
//! and its flags are kept, every value (option argument, URL, file, address) is removed, so
//! a credential, a path or a header can never pass whatever option carries it.

/// Programs whose command lines are kept (by their flags).
const PROGRAMS: &[&str] = &["curl", "openssl", "gnutls-cli", "python", "python3", "wget"];

/// `openssl` subcommands kept as words.
const OPENSSL_SUBCOMMANDS: &[&str] = &["s_client", "s_server", "x509", "verify", "req"];

/// curl's short options that take no value: only these may be bundled (`-sSv`); a bundle with
/// any other letter may hide a value (`-uuser:pw`).
const CURL_BUNDLED: &str = "vsSkiILfOJN46#Rq02Gjlnz";

/// What stands in for each removed value.
pub const VALUE_REMOVED: &str = "[value]";

/// Blank-separated words with shell quoting (`'…'`, `"…"`, `\ `): each word's text as
/// written. `None` when a quote is not closed.
fn words(s: &str) -> Option<Vec<&str>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while b.get(i).is_some_and(|&c| c == b' ' || c == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut quote = None;
        while let Some(&c) = b.get(i) {
            match quote {
                Some(q) if c == q => quote = None,
                Some(b'"') if c == b'\\' => i += 1,
                Some(_) => {}
                None if c == b' ' || c == b'\t' => break,
                None if c == b'\\' => i += 1,
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None => {}
            }
            i += 1;
        }
        if quote.is_some() {
            return None;
        }
        out.push(s.get(start..i.min(b.len()))?);
    }
    Some(out)
}

fn program(word: &str) -> Option<&'static str> {
    let base = word.rsplit('/').next().unwrap_or(word);
    PROGRAMS.iter().copied().find(|p| *p == base)
}

/// Whether `s` is a command line of a known program.
pub fn is_command(s: &str) -> bool {
    s.len() <= 8192
        && words(s)
            .and_then(|w| w.first().copied())
            .and_then(program)
            .is_some()
}

/// Whether `w` is a flag of `prog` (not a value).
fn is_flag(prog: &str, w: &str) -> bool {
    let long = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    };
    if let Some(name) = w.strip_prefix("--") {
        return long(name);
    }
    let Some(short) = w.strip_prefix('-') else {
        return false;
    };
    match prog {
        "openssl" => {
            !short.is_empty()
                && short
                    .bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        }
        "curl" => {
            short.len() == 1
                && short
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'#')
                || (!short.is_empty() && short.chars().all(|c| CURL_BUNDLED.contains(c)))
        }
        _ => short.len() == 1 && short.bytes().all(|c| c.is_ascii_alphanumeric()),
    }
}

/// The command line with its values removed (`None` when it is not one).
pub fn render(s: &str) -> Option<String> {
    let ws = words(s)?;
    let prog = program(ws.first()?)?;
    let mut out = String::from(prog);
    for (i, w) in ws.iter().enumerate().skip(1) {
        out.push(' ');
        if let Some((flag, _)) = w.split_once('=').filter(|(f, _)| is_flag(prog, f)) {
            out.push_str(flag);
            out.push('=');
            out.push_str(VALUE_REMOVED);
        } else if is_flag(prog, w)
            || (prog == "openssl" && i == 1 && OPENSSL_SUBCOMMANDS.contains(w))
        {
            out.push_str(w);
        } else {
            out.push_str(VALUE_REMOVED);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_stay_values_go() {
        let line = r"curl -v --cacert /etc/ca.pem --key /home/alice/acme\ keys/a.key -u bob:pw -H 'Cookie: session_id=abc' https://api.example.net/x";
        assert_eq!(
            render(line).unwrap(),
            "curl -v --cacert [value] --key [value] -u [value] -H [value] [value]"
        );
        assert_eq!(
            render("/usr/bin/curl -sSv --cookie=a=b -uuser:pw x").unwrap(),
            "curl -sSv --cookie=[value] [value] [value]"
        );
        assert_eq!(
            render("openssl s_client -connect 10.1.2.3:443 -servername h.example -showcerts")
                .unwrap(),
            "openssl s_client -connect [value] -servername [value] -showcerts"
        );
        assert_eq!(
            render("gnutls-cli --x509cafile=/x.pem -p 443 10.1.2.3").unwrap(),
            "gnutls-cli --x509cafile=[value] -p [value] [value]"
        );
        assert_eq!(render(&render(line).unwrap()), render(line), "idempotent");
    }

    #[test]
    fn not_command_lines() {
        assert!(!is_command("echo curl"));
        assert!(!is_command("curl -H 'unclosed"));
        assert!(!is_command(""));
        assert!(is_command("python3 /home/alice/x.py"));
    }
}
