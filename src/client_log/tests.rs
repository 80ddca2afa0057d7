//! The sanitizer as a whole: known lines kept with their fields mapped, everything else
//! removed, line endings kept, and a sanitized log sanitizing to itself.

use super::*;
use std::collections::HashMap;

/// Maps IPv4 to 192.0.2.N, IPv6 to 2001:db8::5c:N, hosts to same-length `hhh…N.example`,
/// in order of first appearance, and remembers every mapping.
#[derive(Default)]
struct Fake {
    v4: HashMap<[u8; 4], [u8; 4]>,
    v6: HashMap<[u8; 16], [u8; 16]>,
    hosts: HashMap<String, String>,
}

fn pseudonym(n: usize, len: usize) -> String {
    let base = format!("{n}.example");
    if len >= base.len() {
        "h".repeat(len - base.len()) + &base
    } else {
        "h".repeat(len)
    }
}

impl LogMapper for Fake {
    fn ipv4(&mut self, a: [u8; 4]) -> [u8; 4] {
        let n = self.v4.len() + 1;
        *self.v4.entry(a).or_insert([192, 0, 2, n as u8])
    }
    fn ipv6(&mut self, a: [u8; 16]) -> [u8; 16] {
        let n = self.v6.len() as u16 + 1;
        *self
            .v6
            .entry(a)
            .or_insert(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0x5c, n).octets())
    }
    fn host(&mut self, name: &str) -> String {
        assert!(
            !name.bytes().any(|c| c.is_ascii_uppercase()),
            "host() got uppercase {name:?}"
        );
        let n = self.hosts.len() + 1;
        self.hosts
            .entry(name.to_string())
            .or_insert_with(|| pseudonym(n, name.len()))
            .clone()
    }
}

fn run(text: &str) -> (String, LogReport) {
    sanitize_log(text, &mut Fake::default())
}

fn clean(line: &str) -> String {
    run(line).0
}

#[track_caller]
fn assert_absent(out: &str, secrets: &[&str]) {
    let lower = out.to_ascii_lowercase();
    for s in secrets {
        assert!(
            !lower.contains(&s.to_ascii_lowercase()),
            "{s:?} survived in:\n{out}"
        );
    }
}

#[track_caller]
fn assert_kept(line: &str) {
    assert_eq!(clean(line), line, "structural line changed");
}

#[track_caller]
fn assert_removed(line: &str) {
    assert_eq!(
        clean(line),
        removed_line(line.chars().count()),
        "{line:?} was kept"
    );
}

/// A pseudonym is reserved when it ends in `.example` (the fake's choice) or is all `h`s.
fn fake_pseudonym(name: &str) -> bool {
    name.ends_with(".example") || name.bytes().all(|c| c == b'h')
}

fn documentation(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => v4.octets()[..3] == [192, 0, 2],
        IpAddr::V6(v6) => v6.segments()[..2] == [0x2001, 0xdb8],
    }
}

const CURL_OK: &str = r#"$ curl -v --cookie 'session=9f8e7d6c5b4a' -u alice:hunter2 https://api.example.net/v1/orders?id=42
* Host api.example.net:443 was resolved.
* IPv4: 203.0.113.20
*   Trying 203.0.113.20:443...
* Connected to api.example.net (203.0.113.20) port 443
* ALPN: curl offers h2,http/1.1
* TLSv1.3 (OUT), TLS handshake, Client hello (1):
*  CAfile: /etc/ssl/certs/ca-certificates.crt
*  CApath: /home/alice/certs
* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS
* Server certificate:
*  subject: C=DE; ST=Hessen; L=Frankfurt am Main; O=Example Payments GmbH; CN=api.example.net
*  subjectAltName: host "api.example.net" matched cert's "*.example.net"
*  issuer: C=US; O=Let's Encrypt; CN=R3
* [HTTP/2] [1] [:authority: api.example.net]
* [HTTP/2] [1] [cookie: session=9f8e7d6c5b4a]
> GET /v1/orders?id=42 HTTP/2
> Host: api.example.net
> Cookie: session=9f8e7d6c5b4a
> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig
< HTTP/2 200
< content-type: application/json
< server: nginx/1.25.3 (acme-edge-fra1)
< set-cookie: session=0a1b2c3d4e5f; Domain=example.net
< location: https://static.example.net/assets/app.js
* Added cookie session="0a1b2c3d4e5f" for domain example.net, path /, expire 0
{"ok":true,"contact":"ops-oncall@example.net"}
* Connection #0 to host api.example.net left intact
"#;

#[test]
fn curl_keeps_the_tls_story_and_nothing_else() {
    let (out, report) = run(CURL_OK);
    assert_absent(
        &out,
        &[
            "api.example.net",
            "example.net",
            "203.0.113.20",
            "Hessen",
            "Frankfurt",
            "Example Payments",
            "Let's Encrypt",
            "R3",
            "9f8e7d6c5b4a",
            "0a1b2c3d4e5f",
            "eyJhbGci",
            "Bearer",
            "alice",
            "hunter2",
            "/home/",
            "nginx",
            "acme-edge",
            "ops-oncall",
            "orders",
        ],
    );
    for kept in [
        "* TLSv1.3 (OUT), TLS handshake, Client hello (1):",
        "* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / X25519 / RSASSA-PSS",
        "*  CAfile: /etc/ssl/certs/ca-certificates.crt",
        "*  CApath: [path]",
        "* ALPN: curl offers h2,http/1.1",
        "*   Trying 192.0.2.1:443...",
        "* IPv4: 192.0.2.1",
        "< HTTP/2 200",
        "< content-type: application/json",
        "> Cookie: [value removed]",
        "> Authorization: [value removed]",
        "< server: [value removed]",
        "< set-cookie: [value removed]",
        "* [HTTP/2] [1] [cookie: [value removed]]",
        "> GET /xx/xxxxxx?xx=xx HTTP/2",
        "$ curl -v --cookie [value] -u [value] [value]",
        "*  issuer: C=xx; O=xxxxxxxxxxxxx; CN=xx",
    ] {
        assert!(out.lines().any(|l| l == kept), "{kept:?} not in:\n{out}");
    }
    assert!(out.contains("matched cert's \"*.hh2.example\""), "{out}");
    assert_eq!(out.lines().count(), CURL_OK.lines().count());
    assert_eq!(
        report.lines_removed, 2,
        "the cookie note and the body:\n{out}"
    );
    assert_eq!(report.lines_kept + report.lines_removed, report.lines);
}

#[test]
fn openssl_session_and_chain() {
    let log = "\
depth=1 C = US, O = Example Corp, OU = Internal PKI, CN = Example Corp Issuing CA 2
verify error:num=20:unable to get local issuer certificate
 0 s:C = US, O = \"Example Corp, Inc.\", CN = db.internal.corp, emailAddress = dba@example.com
   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ
-----END CERTIFICATE-----
New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384
    Session-ID: 5F2A0C3B9E8D7F6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A
    Master-Key: A1B2C3D4E5F60718293A4B5C6D7E8F90
    TLS session ticket:
    0000 - 6c 8e 1a 9f 22 3b 44 d0-5e 77 81 93 a2 b4 c6 d8   l...\";D.^w......
    Verify return code: 20 (unable to get local issuer certificate)
40C7D1F2B17F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:ssl/record/rec_layer_s3.c:317:
";
    let (out, _) = run(log);
    assert_absent(
        &out,
        &[
            "Example Corp",
            "Internal PKI",
            "db.internal.corp",
            "dba@",
            "example.com",
            "5F2A0C3B",
            "A1B2C3D4",
            "6c 8e",
            "MIIDdzCC",
        ],
    );
    for kept in [
        "verify error:num=20:unable to get local issuer certificate",
        "   a:PKEY: rsaEncryption, 2048 (bit); sigalg: RSA-SHA256",
        "-----BEGIN CERTIFICATE-----",
        "New, TLSv1.2, Cipher is ECDHE-RSA-AES256-GCM-SHA384",
        "    Master-Key: 00000000000000000000000000000000",
        "    Verify return code: 20 (unable to get local issuer certificate)",
        "40C7D1F2B17F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:ssl/record/rec_layer_s3.c:317:",
        "depth=1 C = xx, O = xxxxxxxxxxxx, OU = xxxxxxxxxxxx, CN = xxxxxxxxxxxxxxxxxxxxxxxxx",
    ] {
        assert!(out.lines().any(|l| l == kept), "{kept:?} not in:\n{out}");
    }
    assert!(out.contains("emailAddress = xxx@hh2.example"), "{out}");
    assert!(
        out.contains("[line removed: 64 characters]\n-----END"),
        "{out}"
    );
}

#[test]
fn addresses_in_endpoints_and_urls() {
    assert_eq!(
        clean("*   Trying [2600:1f18::1]:8443..."),
        "*   Trying [2001:db8::5c:1]:8443..."
    );
    assert_eq!(
        clean("* Immediate connect fail for fe80::1%eth0: Network is unreachable"),
        "* Immediate connect fail for 2001:db8::5c:1%eth0: Network is unreachable"
    );
    assert_eq!(
        clean("> Host: [2600:1f18::1]:8443"),
        "> Host: [2001:db8::5c:1]:8443"
    );
    assert_eq!(
        clean("< Location: https://10.0.0.1:8443/a/b"),
        "< Location: https://192.0.2.1:8443/x/x"
    );
    assert_eq!(
        clean("* Connected to DB01 (10.0.0.1) port 443"),
        "* Connected to hhhh (192.0.2.1) port 443",
        "a single-label host is mapped (lowercased) where a host is printed"
    );
    assert_eq!(
        clean("< Location: https://user:pw@host.example/"),
        "< Location: [value removed]"
    );
    assert_removed("* Connected to a.example (not-an-address) port 443");
}

#[test]
fn curl_8_resolver_and_name_mismatch_lines() {
    assert_eq!(
        clean("* IPv6: 2600:1f18::1, fe80::1%eth0"),
        "* IPv6: 2001:db8::5c:1, 2001:db8::5c:2%eth0"
    );
    assert_eq!(
        clean("* IPv4: 10.0.0.1, 10.0.0.2"),
        "* IPv4: 192.0.2.1, 192.0.2.2"
    );
    assert_removed("* IPv4: 10.0.0.1, db.internal.corp");
    let mismatch = clean(
        "curl: (60) SSL: certificate subject name 'db.internal.corp' does not match target host name 'api.example.net'",
    );
    assert_absent(&mismatch, &["internal.corp", "api.example.net"]);
    assert!(
        mismatch.starts_with("curl: (60) SSL: certificate subject name '"),
        "{mismatch}"
    );
    assert_eq!(
        clean("* processing: https://api.example.net/v1/x"),
        "* processing: https://hhhhhh1.example/xx/x"
    );
}

#[test]
fn lines_of_no_known_shape_are_removed() {
    for line in [
        "Python code: resp = requests.get(URL, cert=('/home/alice/c.pem', KEY))",
        "    resp = urllib.request.urlopen(GATEWAY_SECRET_URL, timeout=5) as resp:",
        "          ^^^^^^^^^^^^^^^^^^^^^^",
        "<html><body>Welcome, Alice Smith</body></html>",
        "CLIENT_RANDOM 0a0b0c 0d0e0f",
        "* Some future curl line about api.example.net",
        "verify error:num=20:unable to reach db.internal.corp",
        "Verification error: contact ops@example.com",
    ] {
        assert_removed(line);
    }
}

#[test]
fn structural_lines_are_kept_byte_for_byte() {
    for line in [
        "* TLSv1.2 (OUT), TLS alert, unknown CA (560):",
        "* TLSv1.3 (IN), TLS alert, protocol version (582):",
        "curl: (35) error:0A00042E:SSL routines::tlsv1 alert protocol version",
        "* OpenSSL/3.0.11: error:0A00042E:SSL routines::tlsv1 alert protocol version",
        "curl: (60) SSL certificate problem: unable to get local issuer certificate",
        "Protocol version: TLSv1.3",
        "Ciphersuite: TLS_AES_256_GCM_SHA384",
        "Server Temp Key: X25519, 253 bits",
        "- Status: The certificate is NOT trusted. The certificate issuer is unknown. ",
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)",
        "Traceback (most recent call last):",
        "{ [5 bytes data]",
        "",
        "---",
    ] {
        assert_kept(line);
    }
}

#[test]
fn gnutls_certificate_lines_lose_names_serials_and_pins() {
    let line = " - subject `CN=api.example.net,OU=Unit,O=Widgets Ltd,L=Town,ST=Shire,C=ZZ', issuer `CN=Issuing Authority,O=Widgets Ltd,C=ZZ', serial 0x5eed5eed5eed0001, RSA key 2048 bits, signed using RSA-SHA256, activated `2026-12-07 02:59:46 UTC', expires `2028-12-06 02:59:46 UTC', pin-sha256=\"ptGBDyHp4GHwKBny8TudWLkm6WJ9vWbAvp/gn6c5vyY=\"";
    let out = clean(line);
    assert_absent(
        &out,
        &[
            "api.example.net",
            "Unit",
            "Widgets",
            "Town",
            "Shire",
            "Issuing",
            "5eed",
            "ptGB",
        ],
    );
    assert!(
        out.contains("serial 000000000000000000, RSA key 2048 bits"),
        "{out}"
    );
    assert!(out.contains("activated `2026-12-07 02:59:46 UTC'"), "{out}");
    assert_eq!(out.chars().count(), line.chars().count());
    assert_eq!(
        clean("\t\tsha1:58a13d94049c1cba5bec7c8853a80235a6722c0f"),
        format!("\t\tsha1:{}", "0".repeat(40))
    );
}

#[test]
fn python_frames_keep_the_function_not_the_path() {
    assert_eq!(
        clean("  File \"/home/alice/acme-payments/check.py\", line 7, in fetch_status"),
        "  File \"[path]\", line 7, in fetch_status"
    );
    assert_eq!(
        clean("$ python3 /home/alice/acme-payments/check.py --token s3cr3t"),
        "$ python3 [value] --token [value]"
    );
}

#[test]
fn crlf_and_missing_final_newline_are_kept() {
    let crlf = CURL_OK.replace('\n', "\r\n");
    let (out_crlf, report_crlf) = run(&crlf);
    let (out_lf, report_lf) = run(CURL_OK);
    assert_eq!(out_crlf, out_lf.replace('\n', "\r\n"));
    assert_eq!(report_crlf, report_lf);
    assert_eq!(clean("---\r"), "---\r");
    assert_eq!(clean("---\n\n---\r\n"), "---\n\n---\r\n");
    assert_eq!(clean("x"), removed_line(1));
    assert_eq!(clean(""), "");
}

#[test]
fn a_sanitized_log_checks_clean_and_a_raw_one_does_not() {
    let (out, _) = run(CURL_OK);
    assert_eq!(
        unsanitized_lines(&out, documentation, fake_pseudonym),
        Vec::<usize>::new(),
        "{out}"
    );
    let raw = unsanitized_lines(CURL_OK, documentation, fake_pseudonym);
    assert!(
        raw.contains(&1) && raw.contains(&3) && raw.contains(&5),
        "{raw:?}"
    );
    // A kept shape with an unmapped address is caught, not only unknown lines.
    assert_eq!(
        unsanitized_lines(
            "*   Trying 10.1.2.3:443...\n",
            documentation,
            fake_pseudonym
        ),
        [1]
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const LOGGY: &str = "[a-zA-Z0-9.:/@=,;\"'\\[\\]%*+<>{} \\-_\\n\\r\\té]{0,200}";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn arbitrary_strings_never_panic_and_keep_their_lines(s in any::<String>()) {
            let (out, report) = run(&s);
            prop_assert_eq!(report.lines, split_lines(&s).count());
            prop_assert_eq!(split_lines(&out).count(), split_lines(&s).count());
        }

        #[test]
        fn log_like_text_sanitizes_to_something_that_checks_clean(
            prefix in "(\\*   Trying |\\* Connected to |depth=0 | 0 s:|> Host: |< Server: |\\*  subject: |)",
            body in LOGGY,
        ) {
            let (out, _) = run(&format!("{prefix}{body}"));
            prop_assert_eq!(
                unsanitized_lines(&out, documentation, fake_pseudonym),
                Vec::<usize>::new(),
                "{}", out
            );
        }

        #[test]
        fn ipv4_in_a_kept_line_is_always_mapped(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255) {
            let ip = format!("10.{a}.{b}.{c}");
            let (out, report) = run(&format!("*   Trying {ip}:443..."));
            prop_assert!(!out.contains(&ip), "{} kept in {}", ip, out);
            prop_assert_eq!(report.ipv4, 1);
        }
    }
}
