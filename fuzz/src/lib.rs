//! Shared code of pcapscrub's fuzz targets. See `scripts/fuzz_smoke.sh` for how they
//! are built and run.
//!
//! - [`addr`]: the address ranges a sanitized capture may hold, checked on every packet with
//!   pcapscrub's decoder and with etherparse;
//! - [`scenario`]: the structured capture generator of `sanitize_pipeline`;
//! - [`secrets`]: the leak check (no 8-byte window of a secret survives);
//! - [`pipeline`]: the `sanitize_pipeline` target's body.

pub mod addr;
pub mod capfile;
pub mod scenario;
pub mod secrets;

use arbitrary::{Arbitrary, Unstructured};
use pcapscrub::fuzzing::{SanitizedOutput, read_packets, sanitize_in_memory};
use pcapscrub::policy::Policy;

/// The input is a capture file as it is (a pcap or pcapng magic number).
pub fn is_capture_magic(d: &[u8]) -> bool {
    matches!(
        d,
        [0xd4, 0xc3, 0xb2, 0xa1, ..]
            | [0xa1, 0xb2, 0xc3, 0xd4, ..]
            | [0x4d, 0x3c, 0xb2, 0xa1, ..]
            | [0xa1, 0xb2, 0x3c, 0x4d, ..]
            | [0x0a, 0x0d, 0x0d, 0x0a, ..]
    )
}

/// `sanitize_pipeline`: input that starts like a capture file is sanitized as it is (the
/// samples seed this mode); anything else drives the [`scenario::Scenario`] generator. Then:
/// the output parses again, every address in it is allowed, and (generated captures) no secret
/// survives in the capture or the summary. Panics on any failure.
pub fn pipeline(data: &[u8]) {
    let policy = Policy::ticket();
    if is_capture_magic(data) {
        // Hostile bytes may be refused (exit 2); what is written must still hold up.
        if let Ok(out) = sanitize_in_memory(data, &policy)
            && let Err(e) = check_output(&out, None)
        {
            panic!("{e}");
        }
        return;
    }
    let Ok(scenario) = scenario::Scenario::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let generated = scenario.generate();
    if std::env::var_os("PCAPSCRUB_FUZZ_DUMP").is_some() {
        let path = std::env::var("PCAPSCRUB_FUZZ_DUMP").unwrap_or_default();
        std::fs::write(&path, &generated.file).expect("dump the generated capture");
        eprintln!("{scenario:#?}\n(generated capture written to {path})");
    }
    let out = sanitize_in_memory(&generated.file, &policy)
        .unwrap_or_else(|e| panic!("sanitize refused a well-formed generated capture: {e:#}"));
    if let Err(e) = check_output(&out, Some(&generated)) {
        panic!("{e}");
    }
}

/// The invariants on what `sanitize` wrote (`generated`: the secrets of a generated input).
pub fn check_output(
    out: &SanitizedOutput,
    generated: Option<&scenario::Generated>,
) -> Result<(), String> {
    let packets = read_packets(&out.capture)
        .map_err(|e| format!("the sanitized capture does not parse again: {e:#}"))?;
    let written = out
        .summary_yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("packets_written: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    if written != Some(packets.len()) {
        return Err(format!(
            "the summary's packets_written ({written:?}) differs from the {} packets in the \
             sanitized capture",
            packets.len()
        ));
    }
    addr::check_capture(&packets).map_err(|e| format!("address invariant: {e}"))?;
    if let Some(g) = generated
        && let Some(leak) = secrets::find_leak(
            &g.secrets,
            &[&out.capture, out.summary_yaml.as_bytes()],
            &g.blanked,
        )
    {
        return Err(format!("secret invariant: {leak}"));
    }
    // `pcapscrub verify` on the evidence folder: hashes, summary, and `check` of the sanitized
    // capture (sanitize's own judgement: nothing left that it would change).
    // PCAPSCRUB_FUZZ_NO_VERIFY=1 skips it, to keep hunting other failures while a known verify
    // failure is open (see fuzz/artifacts/sanitize_pipeline/).
    if std::env::var_os("PCAPSCRUB_FUZZ_NO_VERIFY").is_some() {
        return Ok(());
    }
    let verified = pcapscrub::commands::verify::run(&out.evidence_dir())
        .map_err(|e| format!("verify failed: {e:#}"))?;
    // Known and documented (SECURITY.md, limitations): a solicited-node multicast group whose
    // member never appears gets keyed bits that a second run cannot tell from real ones, so
    // `check` would map it again. Every other multicast address is kept, so an `ff02:` finding
    // is always that case.
    let problems: Vec<&String> = verified
        .problems
        .iter()
        .filter(|p| !p.contains(": address: ff02:") && !is_short_name_finding(p))
        .collect();
    if !problems.is_empty() {
        return Err(format!(
            "verify invariant: {}",
            problems
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    Ok(())
}

/// A `check` finding of a host name of 5 characters or fewer. Documented (SECURITY.md): such a
/// name cannot hold a reserved TLD, so its pseudonym is a keyed single label that `check` cannot
/// tell from a real one. `check` shows it as `ab…yz (5 chars)`, or just `3 chars` when shorter,
/// and adds `(and N more packets)` when it repeats.
pub fn is_short_name_finding(problem: &str) -> bool {
    problem.contains(": sni: ")
        && problem
            .split_once(" chars")
            .and_then(|(head, _)| head.rsplit([' ', '(']).next())
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n <= 5)
}

/// The harness checks itself: the invariants hold for the default policy and fail when the
/// policy switches the protections off, or on an unsanitized capture.
#[cfg(test)]
mod tests {
    use super::*;
    use pcapscrub::policy::{CertificateMode, SecretMode, SniMode};

    fn generated(data: &[u8]) -> scenario::Generated {
        scenario::Scenario::arbitrary_take_rest(Unstructured::new(data))
            .expect("scenario")
            .generate()
    }

    #[test]
    fn default_policy_passes_and_keep_policies_leak() {
        let g = generated(b"x");
        assert!(g.secrets.len() > 10, "the default scenario holds secrets");
        let out = sanitize_in_memory(&g.file, &Policy::ticket()).expect("sanitize");
        check_output(&out, Some(&g)).expect("ticket keeps nothing secret");
        for (what, policy) in [
            (
                "SNI host name",
                Policy {
                    sni: SniMode::Keep,
                    ..Policy::ticket()
                },
            ),
            (
                "certificate",
                Policy {
                    certificates: CertificateMode::Keep,
                    ..Policy::ticket()
                },
            ),
            (
                "session",
                Policy {
                    handshake_secrets: SecretMode::Keep,
                    ..Policy::ticket()
                },
            ),
        ] {
            let out = sanitize_in_memory(&g.file, &policy).expect("sanitize");
            let err = check_output(&out, Some(&g)).expect_err(what);
            assert!(
                err.contains("secret invariant") && err.contains(what),
                "{what}: {err}"
            );
        }
    }

    #[test]
    fn short_name_findings_are_recognised_with_or_without_a_repeat_count() {
        // The second form was missed: a fuzz run failed on a documented limitation.
        for p in [
            "x.pcapng:2: sni: kn…za (5 chars)",
            "x.pcapng:2: sni: kn…za (5 chars) (and 1 more packets)",
            "x.pcap:7: sni: 3 chars",
            "x.pcap:7: sni: 3 chars (and 4 more packets)",
        ] {
            assert!(is_short_name_finding(p), "{p}");
        }
        for p in [
            "x.pcapng:2: sni: kn…za (6 chars) (and 1 more packets)",
            "x.pcapng:2: sni: ab…yz (12 chars)",
            "x.pcap:3: address: 10.0.0.1 (2 chars)",
        ] {
            assert!(!is_short_name_finding(p), "{p}");
        }
    }

    #[test]
    fn unsanitized_addresses_fail_the_address_check() {
        let g = generated(b"x");
        let packets = read_packets(&g.file).expect("read");
        let err = addr::check_capture(&packets).expect_err("real addresses");
        assert!(
            err.contains("not in an allowed range") || err.contains("not allowed"),
            "{err}"
        );
    }

    #[test]
    fn samples_pass() {
        let mut n = 0;
        for entry in std::fs::read_dir("../samples").expect("samples") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "pcap") {
                let bytes = std::fs::read(&path).expect("read");
                pipeline(&bytes);
                n += 1;
            }
        }
        assert!(n >= 10, "only {n} samples");
    }
}
