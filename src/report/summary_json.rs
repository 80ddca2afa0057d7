//! The summary as JSON (`STEM.summary.json`, `sanitize --summary-format json|both`): one
//! object with the YAML summary's keys in the same order. The head is the first line, then
//! one connection per line, so the file is written and read (`verify`) a line at a time and a
//! large capture's summary is never held in memory whole.

use std::io::Write;

use anyhow::Result;

use super::summary::{ConnectionIter, SummaryHead};

/// The head as the start of the object: its keys, then the opened `connections` list.
pub fn head_text(head: &SummaryHead) -> Result<Vec<u8>> {
    let mut text = serde_json::to_vec(head)?;
    // A struct serializes as an object: it is reopened for the connections.
    if text.pop() != Some(b'}') {
        anyhow::bail!("the summary's head is not a JSON object");
    }
    if text != b"{" {
        text.push(b',');
    }
    text.extend_from_slice(b"\"connections\":[\n");
    Ok(text)
}

/// Writes each connection on its own line, then closes the list and the object.
pub fn write_connections(connections: ConnectionIter<'_>, out: &mut impl Write) -> Result<()> {
    for (i, c) in connections.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &c?)?;
    }
    out.write_all(b"\n]}\n")?;
    Ok(())
}
