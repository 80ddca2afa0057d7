//! `sanitize --client-log` on real client logs (`samples/client-logs/`, made by
//! `samples/make.sh client-logs` with planted secrets), through the real binary: every secret
//! of each run is gone, the TLS story (versions, cipher, alert, verify error) stays, the
//! summary counts the removed lines, the log uses the capture's pseudonyms, and `verify`
//! accepts the evidence but refuses a raw log put in its place.

mod common;
mod fixtures_gen;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{key_file, pcapscrub_bin, repo_root, work_dir};

/// The capture the logs were made against: same server address and name.
fn capture() -> PathBuf {
    repo_root().join("samples").join("tls12-complete.pcap")
}

fn log_path(name: &str) -> PathBuf {
    let p = repo_root().join("samples").join("client-logs").join(name);
    assert!(
        p.is_file(),
        "{} is missing: it is committed test material",
        p.display()
    );
    p
}

/// Values planted in every certificate of the logs (see `samples/make.sh`).
const PLANTED_DN: &[&str] = &[
    "Planted Widgets Ltd",
    "Planted Treasury Unit",
    "Plantedville",
    "Plantshire",
    "Planted Issuing Authority",
];

/// The run's real server name and address.
const REAL_NAMES: &[&str] = &["api.pcapscrub-test.example", "pcapscrub-test", "10.77.0.2"];

/// One sanitize run of the sample capture with a log: the output folder.
struct Evidence {
    dir: PathBuf,
}

impl Evidence {
    fn of(log: &str) -> Evidence {
        let dir = work_dir().join(format!("client-log-{log}"));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(pcapscrub_bin())
            .arg("sanitize")
            .arg(capture())
            .arg("--client-log")
            .arg(log_path(log))
            .arg("--key")
            .arg(key_file())
            .arg("-o")
            .arg(&dir)
            .output()
            .expect("cannot run pcapscrub");
        assert!(
            out.status.success(),
            "sanitize --client-log {log} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Evidence { dir }
    }

    /// The one file of the folder whose name ends with `suffix`.
    fn file(&self, suffix: &str) -> PathBuf {
        let found: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        assert_eq!(found.len(), 1, "files ending in {suffix}: {found:?}");
        found.into_iter().next().unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.file(".sanitized.txt")).unwrap()
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.file(".summary.yaml")).unwrap()
    }

    /// A scalar of the summary, by its key (the first line with it).
    fn summary_value(&self, key: &str) -> String {
        let summary = self.summary();
        summary
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(key)
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
            .unwrap_or_else(|| panic!("no {key} in the summary:\n{summary}"))
    }

    fn verify(&self) -> (i32, String) {
        let out = Command::new(pcapscrub_bin())
            .arg("verify")
            .arg(&self.dir)
            .output()
            .expect("cannot run pcapscrub");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}

/// Runs one log through `sanitize` and checks it: the secrets (plus the planted DN values and
/// the real names) are gone, each story line is kept byte for byte, `verify` exits 0.
#[track_caller]
fn check_log(log: &str, secrets: &[&str], story: &[&str]) -> Evidence {
    let ev = Evidence::of(log);
    let text = ev.log();
    let lower = text.to_ascii_lowercase();
    for s in secrets.iter().chain(PLANTED_DN).chain(REAL_NAMES) {
        assert!(
            !lower.contains(&s.to_ascii_lowercase()),
            "{log}: {s:?} survived in:\n{text}"
        );
    }
    for line in story {
        assert!(
            text.lines().any(|l| l == *line),
            "{log}: story line {line:?} lost in:\n{text}"
        );
    }
    let raw = std::fs::read_to_string(log_path(log)).unwrap();
    assert_eq!(
        text.lines().count(),
        raw.lines().count(),
        "{log}: one line out per line in"
    );
    let (code, out) = ev.verify();
    assert_eq!(code, 0, "{log}: verify on fresh evidence: {out}");
    ev
}

/// The values after `prefix` on the raw log's lines (session keys, fingerprints, pins).
fn raw_values(log: &str, prefix: &str) -> Vec<String> {
    let raw = std::fs::read_to_string(log_path(log)).unwrap();
    let v: Vec<String> = raw
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix(prefix))
        .map(|v| v.trim().trim_matches('"').to_string())
        .filter(|v| v.len() >= 8)
        .collect();
    assert!(!v.is_empty(), "{log} has no {prefix:?} line to check");
    v
}

/// The lines of every PEM block of the raw log (base64 bodies).
fn raw_pem_lines(log: &str) -> Vec<String> {
    let raw = std::fs::read_to_string(log_path(log)).unwrap();
    let mut inside = false;
    let mut out = Vec::new();
    for l in raw.lines() {
        if l.starts_with("-----BEGIN") {
            inside = true;
        } else if l.starts_with("-----END") {
            inside = false;
        } else if inside {
            out.push(l.to_string());
        }
    }
    assert!(!out.is_empty(), "{log} has no PEM block");
    out
}

#[test]
fn curl_with_credentials_cookie_client_key_and_a_body() {
    let ev = check_log(
        "curl-ok.log",
        &[
            "c00k1e5ecret77",
            "session_id",
            "planteduser",
            "plantedpass99",
            "cGxhbnRlZHVzZXI6cGxhbnRlZHBhc3M5OQ",
            "/home/alice",
            "acme keys",
            "alice.key",
            "alice.pem",
            "/etc/pcapscrub-test",
            "PlantedServer",
            "planted-internal",
            "planted-body-text-confidential",
            "account",
        ],
        &[
            "* TLSv1.3 (OUT), TLS handshake, Client hello (1):",
            "* TLSv1.3 (IN), TLS handshake, Server hello (2):",
            "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384",
            "*  SSL certificate verify ok.",
            "< HTTP/1.1 200 OK",
            "< Content-Length: 64",
            "< Content-Type: text/html",
            "< Server: [value removed]",
            "> Cookie: [value removed]",
            "*  start date: Dec  7 02:59:46 2026 GMT",
        ],
    );
    // The host and the address are the capture's pseudonyms.
    let sni = ev.summary_value("sni_pseudonym:");
    let server = ev.summary_value("server:");
    let server_addr = server.rsplit_once(':').unwrap().0;
    let text = ev.log();
    assert!(
        text.contains(&format!(
            "* Connected to {sni} ({server_addr}) port 443 (#0)"
        )),
        "{text}"
    );
    assert!(text.starts_with("$ curl -v --cacert [value] --cert [value] --key [value] -u [value] -H [value] [value]\n"), "{text}");
    // The body line is removed and counted.
    assert_eq!(ev.summary_value("lines_removed:"), "1");
    assert_eq!(ev.summary_value("lines:"), "72");
}

#[test]
fn curl_unknown_ca_keeps_the_alert_and_the_verify_error() {
    check_log(
        "curl-unknown-ca.log",
        &["planteduser", "plantedpass99", "other.pem"],
        &[
            "* TLSv1.2 (OUT), TLS alert, unknown CA (560):",
            "* SSL certificate problem: unable to get local issuer certificate",
            "curl: (60) SSL certificate problem: unable to get local issuer certificate",
            "* TLSv1.2 (IN), TLS handshake, Certificate (11):",
        ],
    );
}

#[test]
fn openssl_s_client_loses_dn_values_pem_session_keys_and_ticket() {
    let log = "openssl-s_client.log";
    let mut secrets: Vec<String> = raw_pem_lines(log);
    secrets.extend(raw_values(log, "Session-ID:"));
    secrets.extend(raw_values(log, "Master-Key:"));
    // The ticket's hex dump: each dump line's bytes.
    secrets.extend(raw_values(log, "0000 - "));
    secrets.extend(raw_values(log, "0010 - "));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let ev = check_log(
        log,
        &secrets,
        &[
            "verify error:num=20:unable to get local issuer certificate",
            "verify error:num=21:unable to verify the first certificate",
            "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
            "    Protocol  : TLSv1.2",
            "    Verify return code: 21 (unable to verify the first certificate)",
            "   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256",
            "-----BEGIN CERTIFICATE-----",
            "Server Temp Key: X25519, 253 bits",
        ],
    );
    let removed: usize = ev.summary_value("lines_removed:").parse().unwrap();
    assert_eq!(removed, 24 + 11, "24 PEM lines and 11 ticket dump lines");
}

#[test]
fn openssl_s_client_brief() {
    check_log(
        "openssl-s_client-brief.log",
        &[],
        &[
            "Protocol version: TLSv1.3",
            "Ciphersuite: TLS_AES_256_GCM_SHA384",
            "Verification error: unable to verify the first certificate",
            "verify error:num=20:unable to get local issuer certificate",
            "CONNECTION ESTABLISHED",
        ],
    );
}

#[test]
fn gnutls_cli_loses_dn_values_serial_fingerprints_and_pins() {
    let log = "gnutls-cli.log";
    let mut secrets: Vec<String> = vec!["5eed5eed5eed0001".into(), "/etc/pcapscrub-test".into()];
    secrets.extend(raw_values(log, "sha1:"));
    secrets.extend(raw_values(log, "sha256:"));
    secrets.extend(raw_values(log, "pin-sha256:"));
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let ev = check_log(
        log,
        &secrets,
        &[
            "*** Fatal error: Error in the certificate.",
            "- Status: The certificate is NOT trusted. The certificate issuer is unknown. ",
            "*** PKI verification of server certificate failed...",
            "- Got a certificate list of 1 certificates.",
        ],
    );
    let text = ev.log();
    assert!(
        text.contains("RSA key 2048 bits, signed using RSA-SHA256, activated `2026-12-07"),
        "{text}"
    );
}

#[test]
fn python_traceback_keeps_frames_and_the_ssl_error_not_code_or_paths() {
    check_log(
        "python-urllib.log",
        &[
            "/home/alice",
            "acme-payments",
            "check_gateway.py",
            "GATEWAY_SECRET_URL",
            "urlopen(",
            "/root/.pyenv",
            "wrap_socket(",
        ],
        &[
            "Traceback (most recent call last):",
            "  File \"[path]\", line 1383, in do_handshake",
            "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
            "urllib.error.URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)>",
        ],
    );
}

/// A raw log put in place of the sanitized one (and listed in SHA256SUMS again) is refused.
#[test]
fn verify_refuses_a_raw_log_in_the_evidence() {
    let ev = Evidence::of("gnutls-cli.log");
    let sanitized = ev.file(".sanitized.txt");
    std::fs::copy(log_path("gnutls-cli.log"), &sanitized).unwrap();
    relist(&ev.dir);
    let (code, out) = ev.verify();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not a line the client-log sanitizer writes"),
        "{out}"
    );
}

/// Rewrites SHA256SUMS for the files now in `dir`.
fn relist(dir: &Path) {
    use sha2::{Digest, Sha256};
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    let sums: String = names
        .iter()
        .map(|n| {
            let digest = Sha256::digest(std::fs::read(dir.join(n)).unwrap());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("{hex}  {n}\n")
        })
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}
