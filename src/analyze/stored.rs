//! Where finished connections' diagnoses wait for the report. The first
//! [`IN_MEMORY`] stay in memory; the rest go to an unnamed temporary file (gone when the
//! process ends, whatever way it ends) and are read back one at a time while the report is
//! written. A capture of a million connections then costs a few dozen bytes per finished
//! connection, not the kilobyte or two of a diagnosis.
//!
//! The file holds what a diagnosis holds, the SNI included (for `diagnose` on the engineer's
//! own machine): it is created with the process's umask in the temporary folder and unlinked at
//! once, so no other process can open it by name.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use super::diagnosis::Diagnosis;

/// Diagnoses kept in memory before the rest are written to the temporary file: a capture of
/// ordinary size never touches the disk.
pub const IN_MEMORY: usize = 4096;

/// One finished connection's diagnosis, in memory or in the temporary file.
#[derive(Debug, Clone)]
pub enum StoredDiagnosis {
    Here(Box<Diagnosis>),
    /// JSON of `(sni_name, diagnosis)` at byte `at` of the file.
    Spilled {
        at: u64,
        len: u32,
    },
}

/// Pass 1's writer of diagnoses.
#[derive(Debug)]
pub struct DiagnosisStore {
    /// Diagnoses kept in memory before spilling ([`IN_MEMORY`]).
    limit: usize,
    in_memory: usize,
    file: Option<BufWriter<File>>,
    written: u64,
    /// The first write error: reported when pass 1 ends (a diagnosis is never lost silently).
    error: Option<std::io::Error>,
}

impl Default for DiagnosisStore {
    fn default() -> DiagnosisStore {
        DiagnosisStore::keeping(IN_MEMORY)
    }
}

impl DiagnosisStore {
    /// A store that keeps `limit` diagnoses in memory and spills the rest.
    pub fn keeping(limit: usize) -> DiagnosisStore {
        DiagnosisStore {
            limit,
            in_memory: 0,
            file: None,
            written: 0,
            error: None,
        }
    }

    pub fn store(&mut self, d: Diagnosis) -> StoredDiagnosis {
        if self.in_memory < self.limit || self.error.is_some() {
            self.in_memory += 1;
            return StoredDiagnosis::Here(Box::new(d));
        }
        match self.spill(&d) {
            Ok(stored) => stored,
            Err(e) => {
                self.error = Some(e);
                StoredDiagnosis::Here(Box::new(d))
            }
        }
    }

    fn spill(&mut self, d: &Diagnosis) -> std::io::Result<StoredDiagnosis> {
        // `sni_name` is never serialized for a report: it travels beside the diagnosis.
        let json = serde_json::to_vec(&(&d.sni_name, d))?;
        let len = u32::try_from(json.len()).map_err(std::io::Error::other)?;
        if self.file.is_none() {
            self.file = Some(BufWriter::with_capacity(1 << 16, tempfile::tempfile()?));
        }
        if let Some(w) = self.file.as_mut() {
            w.write_all(&json)?;
        }
        let at = self.written;
        self.written += u64::from(len);
        Ok(StoredDiagnosis::Spilled { at, len })
    }

    /// The file to read spilled diagnoses from (none if nothing was spilled), or the first
    /// error met while writing it.
    pub fn finish(self) -> std::io::Result<Option<SpilledDiagnoses>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.file {
            None => Ok(None),
            Some(w) => {
                let file = w.into_inner().map_err(|e| e.into_error())?;
                Ok(Some(SpilledDiagnoses { file }))
            }
        }
    }
}

/// The temporary file of diagnoses, read by position (from any thread).
#[derive(Debug)]
pub struct SpilledDiagnoses {
    file: File,
}

impl SpilledDiagnoses {
    fn read(&self, at: u64, len: u32) -> std::io::Result<Diagnosis> {
        let mut buf = vec![0; len as usize];
        self.file.read_exact_at(&mut buf, at)?;
        let (sni_name, mut d): (Option<String>, Diagnosis) = serde_json::from_slice(&buf)?;
        d.sni_name = sni_name;
        Ok(d)
    }
}

/// A stored diagnosis, borrowed when it is in memory, read back when it was spilled.
pub fn load<'a>(
    stored: &'a StoredDiagnosis,
    spilled: Option<&SpilledDiagnoses>,
) -> std::io::Result<Cow<'a, Diagnosis>> {
    match stored {
        StoredDiagnosis::Here(d) => Ok(Cow::Borrowed(d)),
        StoredDiagnosis::Spilled { at, len } => {
            let file = spilled.ok_or_else(|| std::io::Error::other("no spilled diagnoses"))?;
            file.read(*at, *len).map(Cow::Owned)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{self, redact::Redactor};
    use crate::anonymize::AddressPlanner;
    use crate::capture::CaptureReader;

    /// Every sample's diagnoses (every verdict the samples show, certificates, alerts, HRR,
    /// SNI) come back from the file exactly as they went in: the same report, the same SNI.
    #[test]
    fn spilled_diagnoses_read_back_identical() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut samples: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .collect();
        samples.sort();
        assert!(samples.len() >= 15, "{samples:?}");
        let mut store = DiagnosisStore::keeping(0);
        let mut originals = Vec::new();
        for path in &samples {
            let mut reader = CaptureReader::open(path, "sample").unwrap();
            let analysis = analyze::analyze(
                &mut reader,
                &mut AddressPlanner::new(),
                &mut Redactor::throwaway(),
            )
            .unwrap();
            for (_, c) in analysis.connections.iter() {
                let d = analysis.diagnosis(c).unwrap().into_owned();
                originals.push((store.store(d.clone()), d));
            }
        }
        let spilled = store.finish().unwrap().expect("a file");
        let mut with_sni = 0;
        for (stored, original) in &originals {
            assert!(matches!(stored, StoredDiagnosis::Spilled { .. }));
            let back = load(stored, Some(&spilled)).unwrap();
            assert_eq!(
                serde_saphyr::to_string(&*back).unwrap(),
                serde_saphyr::to_string(original).unwrap()
            );
            assert_eq!(back.sni_name, original.sni_name);
            with_sni += usize::from(original.sni_name.is_some());
        }
        assert!(with_sni > 10, "{with_sni} diagnoses with an SNI");
    }

    #[test]
    fn the_first_diagnoses_stay_in_memory() {
        let mut store = DiagnosisStore::keeping(1);
        let d: Diagnosis = serde_json::from_str(
            r#"{"verdict":"not_tls","explanation":"e","hint":"h","tcp":{"syn_retransmissions":0,"established":true,"retransmitted_segments":{"client":0,"server":0}},"timeline":[],"plaintext_protocol":true}"#,
        )
        .unwrap();
        assert!(matches!(store.store(d.clone()), StoredDiagnosis::Here(_)));
        assert!(matches!(
            store.store(d),
            StoredDiagnosis::Spilled { at: 0, .. }
        ));
    }
}
