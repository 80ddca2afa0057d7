//! The run in one line, for the terminal: what `sanitize` prints on standard error when it
//! ends, where people look when a command ends.

use crate::analyze::Analysis;
use crate::analyze::conversation::Name;
use crate::analyze::verdict::{self, Verdict};

/// `3 connections, verdict server_alert (protocol_version), 41 packets, 12.3 kB of payload
/// removed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunResult {
    pub connections: usize,
    /// Over every input, as each summary's `verdict` is over its capture.
    pub verdict: Option<Verdict>,
    /// For an alert verdict, the alert's name (the first connection with the verdict).
    pub alert: Option<Name>,
    pub packets_written: u64,
    pub payload_bytes_removed: u64,
}

impl RunResult {
    /// The result of pass 1 over `analyses`; pass 2 adds what it wrote and removed.
    pub fn of(analyses: &[Analysis]) -> anyhow::Result<RunResult> {
        let verdict = verdict::overall(analyses.iter().filter_map(|a| a.verdict()));
        let mut alert = None;
        if let Some(v) = verdict {
            // The first capture whose own verdict is the run's names its alert.
            for a in analyses.iter().filter(|a| a.verdict() == Some(v)) {
                alert = a.alert_behind(v)?;
                if alert.is_some() {
                    break;
                }
            }
        }
        Ok(RunResult {
            connections: analyses.iter().map(|a| a.connections.len()).sum(),
            verdict,
            alert,
            packets_written: 0,
            payload_bytes_removed: 0,
        })
    }
}

impl std::fmt::Display for RunResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.connections;
        write!(
            f,
            "{n} connection{}, verdict ",
            if n == 1 { "" } else { "s" }
        )?;
        match self.verdict {
            Some(v) => write!(f, "{v}")?,
            None => f.write_str("none")?,
        }
        if let Some(alert) = &self.alert {
            write!(f, " ({alert})")?;
        }
        write!(
            f,
            ", {} packet{}, {} of payload removed",
            self.packets_written,
            if self.packets_written == 1 { "" } else { "s" },
            human_bytes(self.payload_bytes_removed)
        )
    }
}

/// Bytes in the units people read (SI, one decimal): `512 B`, `12.3 kB`, `1.1 GB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1000.0;
    let mut unit = 0;
    while v >= 999.95 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(12_345), "12.3 kB");
        assert_eq!(human_bytes(999_999), "1.0 MB");
        assert_eq!(human_bytes(1_073_741_824), "1.1 GB");
        assert_eq!(human_bytes(u64::MAX), "18446744.1 TB");
    }

    #[test]
    fn the_line_names_the_alert_behind_an_alert_verdict() {
        let mut r = RunResult {
            connections: 3,
            verdict: Some(Verdict::ServerAlert),
            alert: Some("protocol_version".into()),
            packets_written: 41,
            payload_bytes_removed: 12_345,
        };
        assert_eq!(
            r.to_string(),
            "3 connections, verdict server_alert (protocol_version), 41 packets, 12.3 kB of payload removed"
        );
        r.alert = None;
        r.verdict = None;
        r.connections = 1;
        r.packets_written = 1;
        assert_eq!(
            r.to_string(),
            "1 connection, verdict none, 1 packet, 12.3 kB of payload removed"
        );
    }
}
