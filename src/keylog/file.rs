//! The NSS key log format (`SSLKEYLOGFILE`): one `LABEL CLIENT_RANDOM SECRET` line per secret,
//! both values in hex; `#` starts a comment. Lines are keyed by the client random. A line that
//! is not in that form is counted, never echoed: it may hold key material.

use std::collections::HashMap;

use super::secret::{ClientRandom, Secret, decode_hex};

/// The labels this tool uses, by what each secret opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// TLS ≤ 1.2: the 48-byte master secret.
    ClientRandom,
    ClientHandshakeTraffic,
    ServerHandshakeTraffic,
    ClientTraffic0,
    ServerTraffic0,
}

impl Label {
    const ALL: [(Label, &'static [u8]); 5] = [
        (Label::ClientRandom, b"CLIENT_RANDOM"),
        (
            Label::ClientHandshakeTraffic,
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        ),
        (
            Label::ServerHandshakeTraffic,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET",
        ),
        (Label::ClientTraffic0, b"CLIENT_TRAFFIC_SECRET_0"),
        (Label::ServerTraffic0, b"SERVER_TRAFFIC_SECRET_0"),
    ];

    fn of(text: &[u8]) -> Option<Label> {
        Self::ALL.iter().find(|(_, t)| *t == text).map(|(l, _)| *l)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The secrets of one connection (one client random).
#[derive(Clone, Default)]
pub struct Secrets {
    by_label: [Option<Secret>; 5],
    /// Key log lines that gave them.
    pub lines: u64,
}

impl Secrets {
    pub fn get(&self, label: Label) -> Option<&Secret> {
        self.by_label[label.index()].as_ref()
    }
}

/// What reading key logs found, in numbers only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// Lines with a secret this tool uses.
    pub lines: u64,
    /// Lines in the key log form whose label this tool does not use (EXPORTER_SECRET,
    /// CLIENT_EARLY_TRAFFIC_SECRET...).
    pub ignored: u64,
    /// Lines that are not key log lines.
    pub malformed: u64,
}

/// The first line that was not a key log line, by position only (its text is never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedLine {
    pub source: String,
    pub line: u64,
}

impl std::fmt::Display for MalformedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "key log {} line {}: not a key log line",
            self.source, self.line
        )
    }
}

/// Every secret of one or more key logs, by client random.
#[derive(Clone, Default)]
pub struct KeyLog {
    by_random: HashMap<ClientRandom, Secrets>,
    pub counts: LineCounts,
    /// The first malformed line of each source read.
    pub first_malformed: Vec<MalformedLine>,
}

impl KeyLog {
    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    pub fn secrets(&self, random: &ClientRandom) -> Option<&Secrets> {
        self.by_random.get(random)
    }

    /// Every connection's secrets, in no particular order: ECH's search for the inner
    /// hello's random (`super::trial`) tries them.
    pub fn entries(&self) -> impl Iterator<Item = (&ClientRandom, &Secrets)> {
        self.by_random.iter()
    }

    /// Reads the text of a key log named `source` (a file name as given, or "the capture's
    /// decryption secrets"); a line the format does not allow is counted.
    pub fn read(&mut self, source: &str, text: &[u8]) {
        let mut first_bad = None;
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            match self.read_line(line) {
                LineKind::Used => self.counts.lines += 1,
                LineKind::Ignored => self.counts.ignored += 1,
                LineKind::Blank => {}
                LineKind::Malformed => {
                    self.counts.malformed += 1;
                    first_bad.get_or_insert(i as u64 + 1);
                }
            }
        }
        if let Some(line) = first_bad {
            self.first_malformed.push(MalformedLine {
                source: source.to_string(),
                line,
            });
        }
    }

    fn read_line(&mut self, line: &[u8]) -> LineKind {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            return LineKind::Blank;
        }
        let mut fields = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty());
        let (Some(label), Some(random), Some(secret), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return LineKind::Malformed;
        };
        let well_named = label
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
        let random = decode_hex(random).and_then(|r| <[u8; 32]>::try_from(r.as_slice()).ok());
        let secret = decode_hex(secret).and_then(|s| Secret::new(&s));
        let (true, Some(random), Some(secret)) = (well_named, random, secret) else {
            return LineKind::Malformed;
        };
        let Some(label) = Label::of(label) else {
            return LineKind::Ignored;
        };
        let entry = self.by_random.entry(ClientRandom(random)).or_default();
        entry.by_label[label.index()] = Some(secret);
        entry.lines += 1;
        LineKind::Used
    }
}

enum LineKind {
    Used,
    Ignored,
    Blank,
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_labels_it_uses_and_counts_the_rest() {
        let r = "ab".repeat(32);
        let text = format!(
            "# comment\n\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {}\r\nEXPORTER_SECRET {r} {}\n\
             SERVER_TRAFFIC_SECRET_0 {} {}\nnot a line\nCLIENT_RANDOM {r} 12345\n",
            "01".repeat(32),
            "02".repeat(32),
            r.to_uppercase(),
            "03".repeat(48),
        );
        let mut log = KeyLog::default();
        log.read("k.txt", text.as_bytes());
        assert_eq!(
            log.counts,
            LineCounts {
                lines: 2,
                ignored: 1,
                malformed: 2
            }
        );
        let s = log
            .secrets(&ClientRandom([0xab; 32]))
            .expect("keyed by random");
        assert_eq!(s.lines, 2);
        assert_eq!(
            s.get(Label::ClientHandshakeTraffic)
                .map(|s| s.as_bytes().to_vec()),
            Some(vec![1; 32])
        );
        assert_eq!(
            s.get(Label::ServerTraffic0).map(|s| s.as_bytes().len()),
            Some(48)
        );
        assert!(s.get(Label::ClientRandom).is_none());
        assert_eq!(
            log.first_malformed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["key log k.txt line 6: not a key log line"]
        );
    }
}
