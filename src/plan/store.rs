//! Where finished connections wait for the report and for pass 2. The diagnoses and rewrite
//! plans of the first few hundred stay in memory; the rest go to an unnamed temporary file
//! (gone when the process ends, whatever way it ends) and are read back when needed: a
//! diagnosis while the report is written, a plan from the connection's first packet to its
//! last in pass 2 ([`PlanCache`]). Memory then follows the connections open at once, not the
//! size of the capture: a finished connection costs a couple of hundred bytes, not the few
//! KiB of its diagnosis and kept handshake.
//!
//! The file holds what a diagnosis and a plan hold — the SNI (for `diagnose` on the
//! engineer's own machine) and the redacted handshake bytes. It is created in the temporary
//! folder and unlinked at once, so no other process can open it by name.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use foldhash::{HashMap, HashMapExt};

use super::renumber::renumber;
use super::{CertificatePiece, DirectionPlan, KeptRange, Plans};
use crate::analyze::diagnosis::Diagnosis;
use crate::analyze::{Analysis, Connection};
use crate::tls::records::RecordHeader;
use crate::tls::spans::SpanKind;

/// Diagnoses, and plans, kept in memory before the rest are written to the temporary file: a
/// capture of ordinary size never touches the disk. The count is for the whole run, shared by
/// every input: a hundred small captures sanitized together hold no more than one large one.
pub const IN_MEMORY: usize = 256;

/// Diagnoses and plans kept in memory so far by this process's stores (see [`Store::default`]).
static DIAGNOSES_HERE: AtomicUsize = AtomicUsize::new(0);
static PLANS_HERE: AtomicUsize = AtomicUsize::new(0);

/// How many diagnoses (or plans) a store may keep in memory.
#[derive(Debug)]
enum Budget {
    /// Its own count.
    Local { limit: usize, used: usize },
    /// The process's count.
    Shared {
        limit: usize,
        used: &'static AtomicUsize,
    },
}

impl Budget {
    /// Takes one place in memory if there is one left.
    fn take(&mut self) -> bool {
        match self {
            Budget::Local { limit, used } => {
                let ok = *used < *limit;
                *used += usize::from(ok);
                ok
            }
            Budget::Shared { limit, used } => used
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < *limit).then_some(n + 1)
                })
                .is_ok(),
        }
    }
}

/// The environment variable that replaces [`IN_MEMORY`] (a count). Tests set it to 0 to send
/// every connection of a small capture through the file, and compare the evidence with a run
/// that kept everything in memory: it must not differ by a byte.
pub const IN_MEMORY_VAR: &str = "PCAPSCRUB_IN_MEMORY_CONNECTIONS";

/// Where a finished connection's diagnosis or plan is.
#[derive(Debug, Clone)]
pub enum Stored<T> {
    Here(T),
    /// `len` bytes at byte `at` of the temporary file.
    Spilled {
        at: u64,
        len: u32,
    },
}

pub type StoredDiagnosis = Stored<Box<Diagnosis>>;

/// A connection's plans that keep something (see [`Store::plans`]).
pub type StoredPlans = Stored<Box<Plans>>;

/// What pass 2 reads for a connection whose plans keep nothing: every byte of it is removed.
static NO_PLANS: Plans = [const {
    DirectionPlan {
        base: None,
        headers: Vec::new(),
        kept: Vec::new(),
        certificates: Vec::new(),
    }
}; 2];

/// Pass 1's writer of diagnoses and plans.
#[derive(Debug)]
pub struct Store {
    /// Diagnoses and plans kept in memory before spilling ([`IN_MEMORY`] each).
    diagnoses_here: Budget,
    plans_here: Budget,
    file: Option<BufWriter<File>>,
    written: u64,
    /// The first write error: reported when pass 1 ends (nothing is lost silently).
    error: Option<std::io::Error>,
}

impl Default for Store {
    /// A store sharing the process's [`IN_MEMORY`] budget (or [`IN_MEMORY_VAR`]'s).
    fn default() -> Store {
        let limit = std::env::var(IN_MEMORY_VAR)
            .ok()
            .and_then(|v| v.parse().ok());
        let limit = limit.unwrap_or(IN_MEMORY);
        Store::with(
            Budget::Shared {
                limit,
                used: &DIAGNOSES_HERE,
            },
            Budget::Shared {
                limit,
                used: &PLANS_HERE,
            },
        )
    }
}

impl Store {
    /// A store that keeps `limit` diagnoses and `limit` plans in memory, whatever other stores
    /// keep, and spills the rest.
    pub fn keeping(limit: usize) -> Store {
        Store::with(
            Budget::Local { limit, used: 0 },
            Budget::Local { limit, used: 0 },
        )
    }

    fn with(diagnoses_here: Budget, plans_here: Budget) -> Store {
        Store {
            diagnoses_here,
            plans_here,
            file: None,
            written: 0,
            error: None,
        }
    }

    pub fn diagnosis(&mut self, d: Diagnosis) -> StoredDiagnosis {
        if self.error.is_some() || self.diagnoses_here.take() {
            return Stored::Here(Box::new(d));
        }
        // `sni_name` is never serialized for a report: it travels beside the diagnosis.
        let json = serde_json::to_vec(&(&d.sni_name, &d)).map_err(std::io::Error::from);
        match json.and_then(|json| self.append(&json)) {
            Ok((at, len)) => Stored::Spilled { at, len },
            Err(e) => {
                self.error = Some(e);
                Stored::Here(Box::new(d))
            }
        }
    }

    /// Stores the headers and kept ranges of both directions: `None` when they keep nothing
    /// (the caller keeps each direction's `base` apart: the rewriter needs it for every
    /// connection from the start, and [`decode_plans`] puts it back).
    pub fn plans(&mut self, plans: Plans) -> Option<StoredPlans> {
        let empty = plans
            .iter()
            .all(|p| p.headers.is_empty() && p.kept.is_empty());
        if empty {
            return None;
        }
        if self.error.is_some() || self.plans_here.take() {
            return Some(Stored::Here(Box::new(plans)));
        }
        match self.append(&encode_plans(&plans)) {
            Ok((at, len)) => Some(Stored::Spilled { at, len }),
            Err(e) => {
                // Kept in memory instead; the error ends the run when pass 1 does.
                self.error = Some(e);
                Some(Stored::Here(Box::new(plans)))
            }
        }
    }

    /// Appends `bytes` to the file; returns where they are (offset, length).
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<(u64, u32)> {
        let len = u32::try_from(bytes.len()).map_err(std::io::Error::other)?;
        if self.file.is_none() {
            self.file = Some(BufWriter::with_capacity(1 << 16, tempfile::tempfile()?));
        }
        if let Some(w) = self.file.as_mut() {
            w.write_all(bytes)?;
        }
        let at = self.written;
        self.written += u64::from(len);
        Ok((at, len))
    }

    /// The file to read spilled diagnoses and plans from (none if nothing was spilled), or the
    /// first error met while writing it.
    pub fn finish(self) -> std::io::Result<Option<SpillFile>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.file {
            None => Ok(None),
            Some(w) => {
                let file = w.into_inner().map_err(|e| e.into_error())?;
                Ok(Some(SpillFile { file }))
            }
        }
    }
}

/// The temporary file, read by position (from any thread).
#[derive(Debug)]
pub struct SpillFile {
    file: File,
}

impl SpillFile {
    fn read(&self, at: u64, len: u32) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; len as usize];
        self.file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }
}

fn spilled(file: Option<&SpillFile>) -> std::io::Result<&SpillFile> {
    file.ok_or_else(|| std::io::Error::other("nothing was written to the temporary file"))
}

/// A stored diagnosis, borrowed when it is in memory, read back when it was spilled.
pub fn load_diagnosis<'a>(
    stored: &'a StoredDiagnosis,
    file: Option<&SpillFile>,
) -> std::io::Result<Cow<'a, Diagnosis>> {
    match stored {
        Stored::Here(d) => Ok(Cow::Borrowed(d)),
        Stored::Spilled { at, len } => {
            let json = spilled(file)?.read(*at, *len)?;
            let (sni_name, mut d): (Option<String>, Diagnosis) = serde_json::from_slice(&json)?;
            d.sni_name = sni_name;
            Ok(Cow::Owned(d))
        }
    }
}

// The plans' encoding: little-endian, per direction the record headers (offset, 5 bytes) and
// the kept ranges (offset, handshake flag, bytes, redacted parts). Its own file, written and
// read by this process only; still, every read is bounds-checked.

fn encode_plans(plans: &Plans) -> Vec<u8> {
    let mut out = Vec::new();
    let put_u32 = |out: &mut Vec<u8>, n: usize| out.extend_from_slice(&(n as u32).to_le_bytes());
    for p in plans {
        put_u32(&mut out, p.headers.len());
        for h in &p.headers {
            out.extend_from_slice(&h.offset.to_le_bytes());
            out.extend_from_slice(&h.bytes);
        }
        put_u32(&mut out, p.kept.len());
        for k in &p.kept {
            out.extend_from_slice(&k.offset.to_le_bytes());
            out.push(u8::from(k.handshake));
            put_u32(&mut out, k.bytes.len());
            out.extend_from_slice(&k.bytes);
            put_u32(&mut out, k.redacted.len());
            for &(a, b, kind) in &k.redacted {
                out.extend_from_slice(&a.to_le_bytes());
                out.extend_from_slice(&b.to_le_bytes());
                out.push(kind.code());
            }
        }
        put_u32(&mut out, p.certificates.len());
        for c in &p.certificates {
            out.extend_from_slice(&c.offset.to_le_bytes());
            for n in [c.len, c.number, c.from] {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
    }
    out
}

/// Reads the encoding back, with the bases kept in memory.
fn decode_plans(bytes: &[u8], bases: &[Option<u32>; 2]) -> std::io::Result<Plans> {
    let mut r = Decoder { bytes, at: 0 };
    let mut plans: Plans = Default::default();
    for (p, &base) in plans.iter_mut().zip(bases) {
        p.base = base;
        for _ in 0..r.u32()? {
            let offset = r.i64()?;
            let bytes = r.take(5)?.try_into().map_err(|_| bad())?;
            p.headers.push(RecordHeader { offset, bytes });
        }
        for _ in 0..r.u32()? {
            let offset = r.i64()?;
            let handshake = r.take(1)?[0] != 0;
            let n = r.u32()? as usize;
            let bytes = r.take(n)?.to_vec();
            let mut redacted = Vec::new();
            for _ in 0..r.u32()? {
                let (a, b) = (r.u32()?, r.u32()?);
                let kind = SpanKind::from_code(r.take(1)?[0]).ok_or_else(bad)?;
                redacted.push((a, b, kind));
            }
            p.kept.push(KeptRange {
                offset,
                bytes,
                redacted,
                handshake,
            });
        }
        for _ in 0..r.u32()? {
            let offset = r.i64()?;
            let (len, number, from) = (r.u32()?, r.u32()?, r.u32()?);
            p.certificates.push(CertificatePiece {
                offset,
                len,
                number,
                from,
            });
        }
    }
    if r.at != bytes.len() {
        return Err(bad());
    }
    Ok(plans)
}

fn bad() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "a stored plan does not read back",
    )
}

struct Decoder<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> std::io::Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(bad)?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i64(&mut self) -> std::io::Result<i64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_le_bytes(a))
    }
}

/// Pass 2's access to the plans: a spilled plan is read once, at its connection's first packet,
/// and dropped after its last, so pass 2 holds the plans of the connections open at once.
/// Packet numbers must not decrease from one call to the next.
pub struct PlanCache<'a> {
    analysis: &'a Analysis,
    loaded: HashMap<usize, Plans>,
    /// (last packet, connection) of every loaded plan, soonest first.
    expiry: BinaryHeap<Reverse<(u64, usize)>>,
    /// The first plan that could not be read back.
    error: Option<std::io::Error>,
}

impl<'a> PlanCache<'a> {
    pub fn new(analysis: &'a Analysis) -> PlanCache<'a> {
        PlanCache {
            analysis,
            loaded: HashMap::new(),
            expiry: BinaryHeap::new(),
            error: None,
        }
    }

    /// The plans of connection `ci` at packet `number`; `None` when they cannot be read back
    /// (the caller then removes what the plan would have kept: fail closed), the error kept
    /// for [`Self::finish`].
    pub fn plans(&mut self, ci: usize, number: u64) -> Option<&Plans> {
        self.expire(number);
        let c: &'a Connection = &self.analysis.connections.get(ci).1;
        let (at, len) = match &c.plans {
            None => return Some(&NO_PLANS),
            Some(Stored::Here(plans)) => return Some(plans),
            Some(Stored::Spilled { at, len }) => (*at, *len),
        };
        // Borrowed, not shared: pass 2 asks once per packet, and most connections of a large
        // capture are spilled.
        match self.loaded.entry(ci) {
            Entry::Occupied(e) => Some(e.into_mut()),
            Entry::Vacant(v) => {
                let read = spilled(self.analysis.spilled.as_ref())
                    .and_then(|f| f.read(at, len))
                    .and_then(|bytes| decode_plans(&bytes, &c.bases))
                    .map(|mut plans| {
                        if let Some(numbers) = &self.analysis.renumbering {
                            plans.iter_mut().for_each(|p| renumber(p, numbers));
                        }
                        plans
                    });
                match read {
                    Ok(plans) => {
                        self.expiry.push(Reverse((c.last_packet, ci)));
                        Some(v.insert(plans))
                    }
                    Err(e) => {
                        self.error.get_or_insert(e);
                        None
                    }
                }
            }
        }
    }

    /// After the last packet: the first plan that could not be read back, if any (an output
    /// made without it is incomplete and must not be shipped).
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }

    /// Drops the plans of connections whose last packet is before `number`.
    fn expire(&mut self, number: u64) {
        while let Some(&Reverse((last, done))) = self.expiry.peek()
            && last < number
        {
            self.expiry.pop();
            self.loaded.remove(&done);
        }
    }

    pub fn analysis(&self) -> &'a Analysis {
        self.analysis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze;
    use crate::anonymize::AddressPlanner;
    use crate::capture::CaptureReader;
    use crate::redact::Redactor;

    fn samples() -> Vec<std::path::PathBuf> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut samples: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
            .collect();
        samples.sort();
        assert!(samples.len() >= 15, "{samples:?}");
        samples
    }

    fn analysis_of(path: &std::path::Path) -> Analysis {
        let mut reader = CaptureReader::open(path, "sample").unwrap();
        // sanitize's redaction (certificate placeholders and all), for plans worth comparing.
        let key = crate::anonymize::MappingKey::random();
        let mut redactor = Redactor::new(&crate::policy::Policy::default(), &key);
        analyze::analyze(&mut reader, &mut AddressPlanner::new(), &mut redactor).unwrap()
    }

    /// Every sample's diagnoses (every verdict the samples show, certificates, alerts, HRR,
    /// SNI) and plans (record headers, redacted handshakes with their redacted parts, alerts)
    /// come back from the file exactly as they went in.
    #[test]
    fn spilled_diagnoses_and_plans_read_back_identical() {
        let mut store = Store::keeping(0);
        let mut diagnoses = Vec::new();
        let mut plans = Vec::new();
        for path in samples() {
            let analysis = analysis_of(&path);
            let mut cache = PlanCache::new(&analysis);
            for (i, (_, c)) in analysis.connections.iter().enumerate() {
                let d = analysis.diagnosis(c).unwrap().into_owned();
                diagnoses.push((store.diagnosis(d.clone()), d));
                let original = cache.plans(i, 0).unwrap().clone();
                if let Some(stored) = store.plans(original.clone()) {
                    let Stored::Spilled { at, len } = stored else {
                        panic!("a plan kept in memory by a store that keeps none");
                    };
                    plans.push(((at, len), c.bases, original));
                }
            }
        }
        let file = store.finish().unwrap().expect("a file");
        let mut with_sni = 0;
        for (stored, original) in &diagnoses {
            assert!(matches!(stored, Stored::Spilled { .. }));
            let back = load_diagnosis(stored, Some(&file)).unwrap();
            assert_eq!(
                serde_saphyr::to_string(&*back).unwrap(),
                serde_saphyr::to_string(original).unwrap()
            );
            assert_eq!(back.sni_name, original.sni_name);
            with_sni += usize::from(original.sni_name.is_some());
        }
        assert!(with_sni > 10, "{with_sni} diagnoses with an SNI");
        let mut redacted = 0;
        for ((at, len), bases, original) in &plans {
            let back = decode_plans(&file.read(*at, *len).unwrap(), bases).unwrap();
            for (b, o) in back.iter().zip(original) {
                assert_eq!((b.base, &b.headers, &b.kept), (o.base, &o.headers, &o.kept));
                redacted += o.kept.iter().map(|k| k.redacted.len()).sum::<usize>();
            }
        }
        assert!(plans.len() > 10 && redacted > 10, "{} plans", plans.len());
    }

    #[test]
    fn a_damaged_plan_is_an_error_not_a_panic() {
        let analysis = analysis_of(&samples()[0]);
        let dirs = PlanCache::new(&analysis).plans(0, 0).unwrap().clone();
        let bases = analysis.connections.get(0).1.bases;
        let bytes = encode_plans(&dirs);
        for cut in 0..bytes.len() {
            assert!(decode_plans(&bytes[..cut], &bases).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_plans(&longer, &bases).is_err());
    }

    /// The temporary file stores a span kind as a one-byte code: every kind must read back as
    /// itself, or `check` would report a redaction under another kind's name.
    #[test]
    fn every_span_kind_reads_back_as_itself() {
        let mut plans = Plans::default();
        plans[1].kept.push(KeptRange {
            offset: 7,
            bytes: vec![0; SpanKind::ALL.len()],
            redacted: SpanKind::ALL
                .iter()
                .zip(0u32..)
                .map(|(&kind, i)| (i, i + 1, kind))
                .collect(),
            handshake: true,
        });
        let read = decode_plans(&encode_plans(&plans), &[None, None]).unwrap();
        assert_eq!(read[1].kept, plans[1].kept);
        let names: std::collections::BTreeSet<&str> = read[1].kept[0]
            .redacted
            .iter()
            .map(|(_, _, kind)| kind.as_str())
            .collect();
        assert_eq!(names.len(), SpanKind::ALL.len());
    }

    #[test]
    fn the_first_diagnoses_stay_in_memory() {
        let mut store = Store::keeping(1);
        let d: Diagnosis = serde_json::from_str(
            r#"{"transport":"tcp","protocol":"none","verdict":"not_tls","explanation":"e","hint":"h","tcp":{"syn_retransmissions":0,"established":true,"retransmitted_segments":{"client":0,"server":0}},"timeline":[],"plaintext_protocol":true}"#,
        )
        .unwrap();
        assert!(matches!(store.diagnosis(d.clone()), Stored::Here(_)));
        assert!(matches!(store.diagnosis(d), Stored::Spilled { at: 0, .. }));
    }
}
