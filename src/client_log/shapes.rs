//! The line shapes of the supported clients, one table each: the only lines a sanitized log
//! keeps. Holes are typed (see [`Hole`](super::pattern::Hole)); a line that fits no template
//! here is removed whole. To support a new line, add its template to its client's table and
//! a test with the real line.

use std::sync::OnceLock;

use super::pattern::{Piece, Template};

/// Lines of any client and of the sanitizer itself.
const COMMON: &[&str] = &[
    "",
    "---",
    "$ {command}",
    "[line removed: {num} characters]",
    "-----BEGIN {phrase}-----",
    "-----END {phrase}-----",
];

/// `curl -v` (7.x and 8.x): `*` info lines, `>` request and `<` response lines, `{`/`}` data
/// lines, the progress meter and the final `curl: (N)` error.
const CURL: &[&str] = &[
    "* Added {host}:{num}:{addr} to DNS cache",
    "* Hostname {host} was found in DNS cache",
    "* Host {host}:{num} was resolved.",
    "* IPv4: {addrs}",
    "* IPv6: {addrs}",
    "* IPv4: (none)",
    "* IPv6: (none)",
    "*   Trying {endpoint}...",
    "{progress}*   Trying {endpoint}...",
    "* Connected to {host} ({addr}) port {num} (#{num})",
    "* Connected to {host} ({addr}) port {num}",
    "* Immediate connect fail for {addr}: {phrase}",
    "* connect to {addr} port {num} failed: {phrase}",
    "* Failed to connect to {host} port {num} after {num} ms: {phrase}",
    "* Could not resolve host: {host}",
    "* ALPN: offers {alpn}",
    "* ALPN: curl offers {alpn}",
    "* ALPN, offering {alpn}",
    "* ALPN: server accepted {alpn}",
    "* ALPN, server accepted to use {alpn}",
    "* ALPN: server did not agree on a protocol. Uses default.",
    "* ALPN: server did not agree to a protocol",
    "} [{num} bytes data]",
    "{ [{num} bytes data]",
    "* {ver} ({name}), {phrase}, {phrase} ({num}):",
    "* {ver} ({name}), {phrase} ({num}):",
    "*  CAfile: {path}",
    "*  CApath: {path}",
    "*  CAfile: none",
    "*  CApath: none",
    "* SSL connection using {ver} / {name}",
    "* SSL connection using {ver} / {name} / {name}",
    "* SSL connection using {ver} / {name} / {name} / {name}",
    "* Server certificate:",
    "*  subject: {dn}",
    "*  issuer: {dn}",
    "*  start date: {date}",
    "*  expire date: {date}",
    "*  subjectAltName: host \"{host}\" matched cert's \"{certname}\"",
    "*  subjectAltName: host \"{host}\" matched cert's IP address!",
    "*  subjectAltName does not match {host}",
    "*  SSL certificate verify ok.",
    "*  SSL certificate verify result: {phrase} ({num}), continuing anyway.",
    "*   Certificate level {num}: Public key type {name} ({num}/{num} Bits/secBits), signed using {name}",
    "* SSL certificate problem: {phrase}",
    "* SSL: no alternative certificate subject name matches target host name '{host}'",
    "* OpenSSL/{dotted}: error:{hex}:SSL routines::{phrase}",
    "* OpenSSL SSL_connect: {phrase} in connection to {endpoint}",
    "* OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to {endpoint}",
    "* Recv failure: {phrase}",
    "* Send failure: {phrase}",
    "* TLS connect error: error:{hex}:SSL routines::{phrase}",
    "* using HTTP/1.x",
    "* using HTTP/1.1",
    "* using HTTP/2",
    "* Using HTTP2, server supports multiplexing",
    "* Server auth using {name} with user '{secret}'",
    "* old SSL session ID is stale, removing",
    "* [HTTP/2] [{num}] OPENED stream for {url}",
    "* [HTTP/2] [{num}] [{header}]",
    "* Connection #{num} to host {host} left intact",
    "* Closing connection {num}",
    "* Closing connection",
    "* processing: {url}",
    "* Re-using existing connection with host {host}",
    "* Re-using existing connection #{num} with host {host}",
    "* We are completely uploaded and fine",
    "* Operation timed out after {num} milliseconds with {num} bytes received",
    "* Operation timed out after {num} milliseconds with {num} out of {num} bytes received",
    "* SSL: certificate subject name '{certname}' does not match target host name '{host}'",
    "* Mark bundle as not supporting multiuse",
    "* Request completely sent off",
    "* Connection state changed (MAX_CONCURRENT_STREAMS == {num})!",
    "* HTTP/{httpver} stream {num} was not closed cleanly: {name} (err {num})",
    "> {method} {urlpath} HTTP/{httpver}",
    "> {header}",
    "> ",
    ">",
    "< HTTP/{httpver} {num} {phrase}",
    "< HTTP/{httpver} {num}",
    "< {header}",
    "< ",
    "<",
    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current",
    "                                 Dload  Upload   Total   Spent    Left  Speed",
    "{progress}",
    "curl: ({num}) {phrase}",
    "curl: ({num}) SSL certificate problem: {phrase}",
    "curl: ({num}) error:{hex}:SSL routines::{phrase}",
    "curl: ({num}) OpenSSL/{dotted}: error:{hex}:SSL routines::{phrase}",
    "curl: ({num}) OpenSSL SSL_connect: {phrase} in connection to {endpoint}",
    "curl: ({num}) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to {endpoint}",
    "curl: ({num}) Failed to connect to {host} port {num} after {num} ms: {phrase}",
    "curl: ({num}) Could not resolve host: {host}",
    "curl: ({num}) SSL: certificate subject name '{certname}' does not match target host name '{host}'",
    "curl: ({num}) SSL: no alternative certificate subject name matches target host name '{host}'",
    "More details here: https://curl.se/docs/sslcerts.html",
    "curl failed to verify the legitimacy of the server and therefore could not",
    "establish a secure connection to it. To learn more about this situation and",
    "how to fix it, please visit the web page mentioned above.",
];

/// `openssl s_client` and `openssl s_client -brief` (OpenSSL 1.1 and 3.x).
const OPENSSL: &[&str] = &[
    "CONNECTED({hex})",
    "depth={num} {dn}",
    "verify error:num={num}:{phrase}",
    "verify return:{num}",
    "Certificate chain",
    " {num} s:{dn}",
    "   i:{dn}",
    "   a:PKEY: {name}, {num} (bit); sigalg: {name}",
    "   v:NotBefore: {date}; NotAfter: {date}",
    "Server certificate",
    "subject={dn}",
    "issuer={dn}",
    "No client certificate CA names sent",
    "Acceptable client certificate CA names",
    "{dn}",
    "Client Certificate Types: {phrase}",
    "Requested Signature Algorithms: {names}",
    "Shared Requested Signature Algorithms: {names}",
    "Peer signing digest: {name}",
    "Peer signature type: {name}",
    "Server Temp Key: {name}, {num} bits",
    "Peer Temp Key: {name}, {num} bits",
    "SSL handshake has read {num} bytes and written {num} bytes",
    "Verification: OK",
    "Verification error: {phrase}",
    "New, {ver}, Cipher is {name}",
    "Reused, {ver}, Cipher is {name}",
    "New, (NONE), Cipher is (NONE)",
    "Server public key is {num} bit",
    "Secure Renegotiation {phrase}",
    "Compression: {name}",
    "Expansion: {name}",
    "No ALPN negotiated",
    "ALPN protocol: {alpn}",
    "Early data was not sent",
    "Early data was rejected",
    "Verify return code: {num} ({phrase})",
    "SSL-Session:",
    "    Protocol  : {ver}",
    "    Cipher    : {name}",
    "    Session-ID: {secret}",
    "    Session-ID-ctx: {secret}",
    "    Master-Key: {secret}",
    "    Resumption PSK: {secret}",
    "    PSK identity: None",
    "    PSK identity hint: None",
    "    SRP username: None",
    "    TLS session ticket lifetime hint: {num} (seconds)",
    "    TLS session ticket:",
    "    Start Time: {num}",
    "    Timeout   : {num} (sec)",
    "    Verify return code: {num} ({phrase})",
    "    Extended master secret: {name}",
    "    Max Early Data: {num}",
    "Post-Handshake New Session Ticket arrived:",
    "read R BLOCK",
    "DONE",
    "closed",
    "CONNECTION ESTABLISHED",
    "CONNECTION CLOSED BY SERVER",
    "Protocol version: {ver}",
    "Ciphersuite: {name}",
    "Peer certificate: {dn}",
    "Hash used: {name}",
    "Signature type: {name}",
    "{hex}:error:{hex}:SSL routines:{name}:{phrase}:{src}:{num}:",
    "{hex}:error:{hex}:SSL routines:{name}:{phrase}:{src}:{num}:SSL alert number {num}",
    "{hex}:error:{hex}:system library:{name}:{phrase}:{src}:{num}:",
    "{hex}:error:{hex}:BIO routines:{name}:{phrase}:{src}:{num}:",
    "connect:errno={num}",
    "write:errno={num}",
];

/// `gnutls-cli` (3.6 and 3.7).
const GNUTLS: &[&str] = &[
    "Processed {num} CA certificate(s).",
    "Resolving '{endpoint}'...",
    "Connecting to '{endpoint}'...",
    "- Certificate type: X.509",
    "- Got a certificate list of {num} certificates.",
    "- Certificate[{num}] info:",
    " - subject `{dn}', issuer `{dn}', serial {secret}, {name} key {num} bits, signed using {name}, activated `{date}', expires `{date}', pin-sha256=\"{secret}\"",
    " - subject `{dn}', issuer `{dn}', serial {secret}, {name} key {num} bits, signed using {name}, activated `{date}', expires `{date}', key-ID `sha256:{secret}'",
    "\tPublic Key ID:",
    "\t\tsha1:{secret}",
    "\t\tsha256:{secret}",
    "\tPublic Key PIN:",
    "\t\tpin-sha256:{secret}",
    "- Status: {phrase}",
    "- Status: {phrase} ",
    "*** PKI verification of server certificate failed...",
    "*** Verifying server certificate failed...",
    "*** Fatal error: {phrase}",
    "*** Handshake has failed",
    "*** Received alert [{num}]: {phrase}",
    "- Description: {secret}",
    "- Session ID: {secret}",
    "- Options: {phrase}",
    "- Handshake was completed",
    "- Simple Client Mode:",
    "- Server has requested a certificate.",
    "- Successfully sent {num} certificate(s) to server.",
    "- Peer has closed the GnuTLS connection",
    "- Channel binding 'tls-unique': {secret}",
    "- Channel binding 'tls-exporter': {secret}",
    "- Version: {ver}",
    "- Key Exchange: {name}",
    "- Server Signature: {name}",
    "- Cipher: {name}",
    "- MAC: {name}",
    "- Compression: {name}",
    "- Groups: {name}",
];

/// Python `ssl`/`urllib`/`requests` tracebacks: the frame lines (paths removed) and the final
/// exception line; source lines and `^^^` markers are removed like any other line.
const PYTHON: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"{path}\", line {num}, in {pyfn}",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
    "{pyexc}: [SSL: {name}] {phrase} (_ssl.c:{num})",
    "{pyexc}: <urlopen error [SSL: {name}] {phrase} (_ssl.c:{num})>",
    "{pyexc}: <urlopen error [Errno {num}] {phrase}>",
    "{pyexc}: [Errno {num}] {phrase}",
    "{pyexc}: {phrase}",
    "{pyexc}: HTTPSConnectionPool(host='{host}', port={num}): Max retries exceeded with url: {urlpath} (Caused by SSLError(SSLCertVerificationError({num}, '[SSL: {name}] {phrase} (_ssl.c:{num})')))",
    "{pyexc}: HTTPSConnectionPool(host='{host}', port={num}): Max retries exceeded with url: {urlpath} (Caused by SSLError(SSLError({num}, '[SSL: {name}] {phrase} (_ssl.c:{num})')))",
];

/// Every table, in the order they are tried.
const TABLES: &[&[&str]] = &[COMMON, CURL, OPENSSL, GNUTLS, PYTHON];

/// The pieces of `line` under the first template it fits, or `None`: then it is removed.
pub fn classify(line: &str) -> Option<Vec<Piece<'_>>> {
    static COMPILED: OnceLock<Vec<Template>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            TABLES
                .iter()
                .flat_map(|t| t.iter())
                .map(|t| Template::parse(t))
                .collect()
        })
        .iter()
        .find_map(|t| t.matches(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_into_literals_and_known_holes() {
        for t in TABLES.iter().flat_map(|t| t.iter()) {
            let mut rest = *t;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map(|c| open + c);
                let Some(close) = close else { break };
                let name = &rest[open + 1..close];
                let literal_brace = !name.bytes().all(|c| c.is_ascii_lowercase());
                assert!(
                    literal_brace || super::super::pattern::is_hole_name(name),
                    "template {t:?} has unknown hole {name:?}"
                );
                rest = &rest[close + 1..];
            }
        }
    }

    #[test]
    fn no_shape_for_text_that_carries_secrets() {
        for line in [
            "<html><body><p>planted-body-text-confidential</p></body></html>",
            "    resp = urllib.request.urlopen(URL)",
            "CLIENT_RANDOM 0a0b 0c0d",
            "MIIEWTCCA0GgAwIBAgIIXu1e7V7tAAEwDQYJKoZIhvcNAQELBQAwgZsxCzAJBgNV",
            "    0000 - a1 65 54 92 25 91 39 27-9e 07 97 cc 2e 21 de af   .eT.%.9'.....!..",
            "* Connected to api.example.net (10.1.2.3) port 443 (#0) via evil",
            "* Added cookie session=\"abc\" for domain example.net, path /, expire 0",
            "{\"ok\":true}",
        ] {
            assert!(classify(line).is_none(), "{line:?} fits a shape");
        }
    }
}
