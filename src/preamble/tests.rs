//! The recogniser on hand-built dialogues (bytes as the RFCs give them): where TLS starts,
//! the events, the skeleton kept, and truncated or hostile input (no panic, not a preamble).

use super::*;
use crate::flow::Side;

const C: Side = Side::A;
const S: Side = Side::B;

/// Feeds a dialogue in order, each direction's bytes at their running offset; returns the
/// last answer.
fn run(r: &mut Recogniser, turns: &[(Side, &[u8])]) -> Fed {
    let mut offsets = [0i64; 2];
    let mut last = Fed::Pending;
    for &(side, bytes) in turns {
        last = r.feed(side, offsets[side.index()], bytes);
        offsets[side.index()] += bytes.len() as i64;
    }
    last
}

fn texts(r: &mut Recogniser) -> Vec<String> {
    r.take_events()
        .iter()
        .map(|e| e.render(|_| Some(b"pseudonym.example".to_vec())))
        .collect()
}

/// The skeleton of a direction, concatenated (pieces are contiguous in these dialogues).
fn skeleton(r: &mut Recogniser, side: Side) -> Vec<u8> {
    r.take_pieces(side)
        .into_iter()
        .flat_map(|p| p.bytes)
        .collect()
}

/// A dialogue's turns again, each with its direction's skeleton bytes in place of its own
/// (a skeleton has the length of the bytes it stands for).
fn skeleton_turns(turns: &[(Side, &[u8])], c: &[u8], s: &[u8]) -> Vec<(Side, Vec<u8>)> {
    let mut at = [0usize; 2];
    turns
        .iter()
        .map(|&(side, bytes)| {
            let held = if side == C { c } else { s };
            let from = at[side.index()];
            at[side.index()] += bytes.len();
            (side, held[from..from + bytes.len()].to_vec())
        })
        .collect()
}

const SMTP: &[(Side, &[u8])] = &[
    (S, b"220 mail.corp.internal ESMTP Postfix\r\n"),
    (C, b"EHLO laptop.corp.internal\r\n"),
    (
        S,
        b"250-mail.corp.internal greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n",
    ),
    (C, b"STARTTLS\r\n"),
    (S, b"220 2.0.0 Ready to start TLS\r\n"),
];

#[test]
fn smtp_starttls_starts_tls_after_the_220() {
    let mut r = Recogniser::default();
    let fed = run(&mut r, SMTP);
    let client_end = (SMTP[1].1.len() + SMTP[3].1.len()) as i64;
    let server_end = (SMTP[0].1.len() + SMTP[2].1.len() + SMTP[4].1.len()) as i64;
    assert_eq!(fed, Fed::TlsStarts([client_end, server_end]));
    assert_eq!(
        texts(&mut r),
        [
            "greeting 220",
            "EHLO",
            "250 STARTTLS offered",
            "STARTTLS",
            "STARTTLS → 220"
        ]
    );
    assert_eq!(
        skeleton(&mut r, C),
        b"EHLO xxxxxxxxxxxxxxxxxxxx\r\nSTARTTLS\r\n"
    );
    let server = skeleton(&mut r, S);
    let server = String::from_utf8(server).unwrap();
    assert!(server.starts_with("220 xxxxxxxx"), "{server}");
    assert!(
        !server.contains("corp") && !server.contains("Postfix"),
        "{server}"
    );
    assert_eq!(
        server.len(),
        SMTP[0].1.len() + SMTP[2].1.len() + SMTP[4].1.len()
    );
    assert!(server.contains("250-PIPELINING\r\n250-SIZE xxxxxxxx\r\n250 STARTTLS\r\n220 xxxx"));
    let secrets = r.take_secrets();
    assert!(secrets.contains(&b"laptop.corp.internal".to_vec()));
    assert!(secrets.contains(&b"mail.corp.internal".to_vec()));
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Tls {
            protocol: "SMTP",
            ..
        })
    ));
}

#[test]
fn smtp_refusal_and_not_offered() {
    let mut r = Recogniser::default();
    let mut refused = SMTP.to_vec();
    refused[4] = (
        S,
        b"454 4.7.0 TLS not available due to temporary reason\r\n",
    );
    assert_eq!(run(&mut r, &refused), Fed::Over);
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Starttls {
            protocol: "SMTP",
            answer: "454".into()
        }))
    );
    let mut r = Recogniser::default();
    let not_offered: &[(Side, &[u8])] = &[
        (S, b"220 mx ESMTP\r\n"),
        (C, b"EHLO me\r\n"),
        (S, b"250-mx\r\n250 PIPELINING\r\n"),
    ];
    assert_eq!(run(&mut r, not_offered), Fed::Pending);
    assert!(texts(&mut r).contains(&"250 STARTTLS not offered".to_string()));
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::NotOffered { protocol: "SMTP" }))
    );
}

#[test]
fn imap_starttls_with_capability_first() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (
            S,
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.corp.internal ready\r\n",
        ),
        (C, b"a1 CAPABILITY\r\n"),
        (
            S,
            b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED XSECRET\r\na1 OK done\r\n",
        ),
        (C, b"a2 STARTTLS\r\n"),
        (S, b"a2 OK Begin TLS negotiation now\r\n"),
    ];
    assert!(matches!(run(&mut r, turns), Fed::TlsStarts(_)));
    assert_eq!(
        texts(&mut r),
        ["greeting OK", "CAPABILITY", "STARTTLS", "STARTTLS → OK"]
    );
    assert_eq!(skeleton(&mut r, C), b"xx CAPABILITY\r\nxx STARTTLS\r\n");
    let server = String::from_utf8(skeleton(&mut r, S)).unwrap();
    assert!(
        server.contains("* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED xxxxxxx\r\nxx OK xxxx\r\n")
    );
    assert!(!server.contains("corp"));
    // NO refuses.
    let mut r = Recogniser::default();
    let refused: &[(Side, &[u8])] = &[
        (S, b"* OK ready\r\n"),
        (C, b". STARTTLS\r\n"),
        (S, b". NO not now\r\n"),
    ];
    assert_eq!(run(&mut r, refused), Fed::Over);
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Starttls {
            protocol: "IMAP",
            ..
        }))
    ));
}

#[test]
fn pop3_stls() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (S, b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
        (C, b"CAPA\r\n"),
        (S, b"+OK Capability list follows\r\nTOP\r\nSTLS\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n"),
        (C, b"STLS\r\n"),
        (S, b"+OK Begin TLS negotiation\r\n"),
    ];
    assert!(matches!(run(&mut r, turns), Fed::TlsStarts(_)));
    assert_eq!(
        texts(&mut r),
        [
            "greeting +OK",
            "CAPA",
            "CAPA: STLS offered",
            "STLS",
            "STLS → +OK"
        ]
    );
    let server = String::from_utf8(skeleton(&mut r, S)).unwrap();
    assert!(server.contains("TOP\r\nSTLS\r\nIMPLEMENTATION xxxx"));
    assert!(!server.contains("Shlemazle"));
}

#[test]
fn ftp_auth_tls() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (S, b"220-ftp.corp.internal FTP server\r\n220 ready\r\n"),
        (C, b"FEAT\r\n"),
        (S, b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n"),
        (C, b"AUTH TLS\r\n"),
        (S, b"234 AUTH TLS successful\r\n"),
    ];
    assert!(matches!(run(&mut r, turns), Fed::TlsStarts(_)));
    assert!(texts(&mut r).contains(&"AUTH TLS → 234".to_string()));
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Tls {
            protocol: "FTP",
            ..
        })
    ));
}

#[test]
fn postgres_ssl_request_and_gss_refusal_first() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (C, &postgres::GSSENC_REQUEST),
        (S, b"N"),
        (C, &postgres::SSL_REQUEST),
        (S, b"S"),
    ];
    assert_eq!(run(&mut r, turns), Fed::TlsStarts([16, 2]));
    assert_eq!(
        texts(&mut r),
        [
            "GSSENCRequest",
            "GSSENCRequest → N",
            "SSLRequest",
            "SSLRequest → S"
        ]
    );
    let mut expected = postgres::GSSENC_REQUEST.to_vec();
    expected.extend_from_slice(&postgres::SSL_REQUEST);
    assert_eq!(skeleton(&mut r, C), expected);
    let mut r = Recogniser::default();
    assert_eq!(
        run(&mut r, &[(C, &postgres::SSL_REQUEST), (S, b"N")]),
        Fed::Over
    );
    assert!(matches!(r.outcome(), Some(Outcome::Refused(_))));
    // The request in pieces.
    let mut r = Recogniser::default();
    let req = postgres::SSL_REQUEST;
    assert_eq!(r.feed(C, 0, &req[..3]), Fed::Pending);
    assert_eq!(r.feed(C, 3, &req[3..]), Fed::Pending);
    assert_eq!(r.feed(S, 0, b"S"), Fed::TlsStarts([8, 1]));
}

const CONNECT: &[u8] = b"CONNECT api.corp.internal:443 HTTP/1.1\r\nHost: api.corp.internal:443\r\nUser-Agent: curl/7.88.1\r\nProxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\nX-Custom: secret\r\n\r\n";

#[test]
fn connect_200_starts_tls() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (C, CONNECT),
        (S, b"HTTP/1.1 200 Connection established\r\n\r\n"),
    ];
    assert_eq!(
        run(&mut r, turns),
        Fed::TlsStarts([CONNECT.len() as i64, 39])
    );
    assert_eq!(texts(&mut r), ["CONNECT pseudonym.example:443 → 200 OK"]);
    let client = String::from_utf8(skeleton(&mut r, C)).unwrap();
    assert_eq!(
        client,
        "CONNECT xxxxxxxxxxxxxxxxx:443 HTTP/1.1\r\nHost: xxxxxxxxxxxxxxxxxxxxx\r\nUser-Agent: xxxxxxxxxxx\r\nProxy-Authorization: xxxxxxxxxxxxxxxxxxxxxx\r\nxxxxxxxx: xxxxxx\r\n\r\n"
    );
    assert_eq!(
        skeleton(&mut r, S),
        b"HTTP/1.1 200 Connection established\r\n\r\n"
    );
    assert!(r.take_secrets().contains(&b"api.corp.internal".to_vec()));
}

#[test]
fn connect_407_is_refused_then_a_retry_may_succeed() {
    let refusal: &[u8] = b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 5\r\n\r\nnope!";
    let mut r = Recogniser::default();
    assert_eq!(run(&mut r, &[(C, CONNECT), (S, refusal)]), Fed::Pending);
    assert_eq!(
        texts(&mut r),
        ["CONNECT pseudonym.example:443 → 407 Proxy Authentication Required"]
    );
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Proxy { status: 407, .. }))
    ));
    let server = String::from_utf8(skeleton(&mut r, S)).unwrap();
    assert!(server.ends_with("Content-Length: 5\r\n\r\n"), "{server}");
    let fed = r.feed(C, CONNECT.len() as i64, CONNECT);
    assert_eq!(fed, Fed::Pending);
    let ok = b"HTTP/1.1 200 OK\r\n\r\n";
    assert!(matches!(
        r.feed(S, refusal.len() as i64, ok),
        Fed::TlsStarts(_)
    ));
    assert!(matches!(r.outcome(), Some(Outcome::Tls { .. })));
    // 403 without a retry.
    let mut r = Recogniser::default();
    run(
        &mut r,
        &[(C, CONNECT), (S, b"HTTP/1.0 403 Forbidden\r\n\r\n")],
    );
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Proxy { status: 403, .. }))
    ));
}

#[test]
fn tls_and_other_protocols_are_not_preambles() {
    for first in [
        &[0x16u8, 3, 1, 0, 200][..],
        &[0x80, 0x2e, 1, 3, 1],
        b"GET / HTTP/1.1\r\n",
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"\0\0\0\x09\x04\xd2\x16\x2f\0",
    ] {
        let mut r = Recogniser::default();
        assert_eq!(r.feed(C, 0, first), Fed::NotPreamble, "{first:?}");
        assert!(r.outcome().is_none());
        assert!(r.take_pieces(C).is_empty());
    }
}

#[test]
fn pipelined_tls_before_the_answer_is_not_followed() {
    // The client sent its ClientHello before the 220: those bytes were never walked as TLS.
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (S, b"220 mx\r\n"),
        (C, b"EHLO a\r\n"),
        (S, b"250 STARTTLS\r\n"),
        (C, b"STARTTLS\r\n\x16\x03\x01\x00\x05hello"),
        (S, b"220 go\r\n"),
    ];
    assert_eq!(run(&mut r, turns), Fed::Over);
    assert!(matches!(r.outcome(), Some(Outcome::Unfinished { .. })));
    // The TLS bytes after STARTTLS are not part of any piece.
    let client: Vec<u8> = r.take_pieces(C).into_iter().flat_map(|p| p.bytes).collect();
    assert_eq!(client, b"EHLO x\r\nSTARTTLS\r\n");
}

/// Bytes missing from the capture (a sanitized capture cut them) end the reading where the
/// first run stopped: the lines before stand, and so does an unoffered STARTTLS.
#[test]
fn a_hole_after_complete_lines_keeps_them() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (S, b"220 mx\r\n"),
        (C, b"EHLO a\r\n"),
        (S, b"250-mx\r\n250 AUTH LOGIN\r\n"),
    ];
    run(&mut r, turns);
    r.hole();
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::NotOffered { protocol: "SMTP" }))
    );
    // Every complete line is kept, in one piece per direction (contiguous pieces join).
    assert_eq!(skeleton(&mut r, C).len(), b"EHLO a\r\n".len());
    assert_eq!(
        skeleton(&mut r, S).len(),
        b"220 mx\r\n250-mx\r\n250 AUTH LOGIN\r\n".len()
    );
}

#[test]
fn a_retransmission_that_disagrees_keeps_nothing_of_that_direction() {
    let mut r = Recogniser::default();
    run(&mut r, SMTP);
    r.compare(C, 0, b"EHLO other.corp.internal");
    assert!(r.take_pieces(C).is_empty());
    assert!(!r.take_pieces(S).is_empty());
}

/// Truncated and hostile input: every prefix and every split of each dialogue, garbage and
/// overlong lines; nothing panics, and what is not complete is never `TlsStarts`.
#[test]
fn truncated_and_hostile_input() {
    let dialogues: Vec<Vec<(Side, Vec<u8>)>> = vec![
        SMTP.iter().map(|&(s, b)| (s, b.to_vec())).collect(),
        vec![
            (C, CONNECT.to_vec()),
            (S, b"HTTP/1.1 200 OK\r\n\r\n".to_vec()),
        ],
        vec![(C, postgres::SSL_REQUEST.to_vec()), (S, b"S".to_vec())],
    ];
    for d in &dialogues {
        let total: usize = d.iter().map(|t| t.1.len()).sum();
        for cut in 0..total {
            let mut r = Recogniser::default();
            let mut offsets = [0i64; 2];
            let mut left = cut;
            let mut last = Fed::Pending;
            for (side, bytes) in d {
                let n = bytes.len().min(left);
                left -= n;
                if n == 0 {
                    break;
                }
                last = r.feed(*side, offsets[side.index()], &bytes[..n]);
                offsets[side.index()] += n as i64;
            }
            assert!(!matches!(last, Fed::TlsStarts(_)), "cut at {cut}");
            let _ = r.outcome();
        }
    }
    let mut r = Recogniser::default();
    assert_eq!(r.feed(S, 0, &[b'2'; 5000]), Fed::NotPreamble);
    let mut r = Recogniser::default();
    let long = [b"220 ".as_slice(), &[b'a'; 9000]].concat();
    assert_ne!(r.feed(S, 0, &long), Fed::Pending, "beyond the bound");
    let mut r = Recogniser::default();
    assert_eq!(r.feed(S, 0, b"220 mx\r\n"), Fed::Pending);
    assert_eq!(r.feed(C, 0, b"EHLO \x00\x01\r\n"), Fed::Over);
    assert!(r.take_pieces(C).is_empty());
    for bad in [
        &b"CONNECT :443 HTTP/1.1\r\n"[..],
        b"CONNECT h:99999 HTTP/1.1\r\n",
    ] {
        let mut r = Recogniser::default();
        assert_eq!(r.feed(C, 0, bad), Fed::Over);
        assert!(r.take_pieces(C).is_empty());
        assert!(matches!(r.outcome(), Some(Outcome::Unfinished { .. })));
    }
}

/// The skeleton of a skeleton is itself: a sanitized capture sanitized again is unchanged.
#[test]
fn the_skeleton_is_a_fixed_point() {
    let mut r = Recogniser::default();
    run(&mut r, SMTP);
    let (c, s) = (r.take_pieces(C), r.take_pieces(S));
    let flat = |pieces: &[Piece]| {
        pieces
            .iter()
            .flat_map(|p| p.bytes.clone())
            .collect::<Vec<_>>()
    };
    let again = skeleton_turns(SMTP, &flat(&c), &flat(&s));
    let mut r2 = Recogniser::default();
    let turns: Vec<(Side, &[u8])> = again.iter().map(|(s, b)| (*s, b.as_slice())).collect();
    assert!(matches!(run(&mut r2, &turns), Fed::TlsStarts(_)));
    for (side, before) in [(C, c), (S, s)] {
        let after = r2.take_pieces(side);
        assert_eq!(
            after.iter().map(|p| &p.bytes).collect::<Vec<_>>(),
            before.iter().map(|p| &p.bytes).collect::<Vec<_>>()
        );
        assert!(after.iter().all(|p| p.filled.is_empty()));
    }
    assert!(r2.take_secrets().is_empty(), "filler is no secret");
}

const SOCKS5: &[(Side, &[u8])] = &[
    (C, &[5, 2, 0, 2]),
    (S, &[5, 2]),
    (C, b"\x01\x05alice\x06s3cret"),
    (S, &[1, 0]),
    (
        C,
        b"\x05\x01\x00\x03\x1eapi.socks-secret.corp.internal\x01\xbb",
    ),
    (S, &[5, 0, 0, 1, 10, 77, 13, 10, 0x9c, 0x40]),
];

#[test]
fn socks5_with_a_password_and_a_host_name_starts_tls() {
    let mut r = Recogniser::default();
    assert!(matches!(run(&mut r, SOCKS5), Fed::TlsStarts(_)));
    assert_eq!(
        texts(&mut r),
        [
            "SOCKS5 greeting (methods: no authentication, username/password)",
            "SOCKS5 method → username/password",
            "SOCKS5 username/password",
            "SOCKS5 username/password → accepted",
            "SOCKS5 CONNECT",
            "SOCKS5 CONNECT pseudonym.example:443 → succeeded",
        ]
    );
    let client = skeleton(&mut r, C);
    let mut want = vec![5, 2, 0, 2, 1, 5];
    want.extend(b"xxxxx\x06xxxxxx\x05\x01\x00\x03\x1e");
    want.extend([b'x'; 30]);
    want.extend([1, 0xbb]);
    assert_eq!(client, want);
    // The address the proxy bound (10.77.13.10, its 0x0a bytes included) and port are filled.
    assert_eq!(
        skeleton(&mut r, S),
        [5, 2, 1, 0, 5, 0, 0, 1, b'x', b'x', b'x', b'x', b'x', b'x']
    );
    let secrets = r.take_secrets();
    for s in [&b"alice"[..], b"s3cret", b"api.socks-secret.corp.internal"] {
        assert!(
            secrets.contains(&s.to_vec()),
            "{}",
            String::from_utf8_lossy(s)
        );
    }
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Tls {
            protocol: "SOCKS5",
            ..
        })
    ));
}

#[test]
fn socks5_refusals_are_the_proxys() {
    let mut r = Recogniser::default();
    let refused: &[(Side, &[u8])] = &[
        (C, &[5, 1, 0]),
        (S, &[5, 0]),
        (C, &[5, 1, 0, 1, 10, 77, 0, 9, 1, 0xbb]),
        (S, &[5, 2, 0, 1, 0, 0, 0, 0, 0, 0]),
    ];
    assert_eq!(run(&mut r, refused), Fed::Over);
    assert_eq!(
        texts(&mut r).last().map(String::as_str),
        Some("SOCKS5 CONNECT an IPv4 address:443 → connection not allowed by ruleset")
    );
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Proxy {
            status: 2,
            answer: "connection not allowed by ruleset".into()
        }))
    );
    assert_eq!(
        skeleton(&mut r, C)[3..],
        [5, 1, 0, 1, b'x', b'x', b'x', b'x', 1, 0xbb]
    );
    // No acceptable method.
    let mut r = Recogniser::default();
    assert_eq!(run(&mut r, &[(C, &[5, 1, 2]), (S, &[5, 0xff])]), Fed::Over);
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Proxy { status: 255, .. }))
    ));
    // A method the client did not offer, an unregistered one, a BIND: not followed.
    for turns in [
        &[(C, &[5u8, 1, 0][..]), (S, &[5, 2][..])][..],
        &[(C, &[5, 1, 4][..])],
        &[
            (C, &[5, 1, 0][..]),
            (S, &[5, 0]),
            (C, &[5, 2, 0, 1, 1, 2, 3, 4, 0, 80]),
        ],
    ] {
        let mut r = Recogniser::default();
        assert_ne!(run(&mut r, turns), Fed::Pending);
        assert!(!matches!(r.outcome(), Some(Outcome::Tls { .. })));
    }
}

#[test]
fn socks4a_and_socks4() {
    let mut r = Recogniser::default();
    let turns: &[(Side, &[u8])] = &[
        (
            C,
            b"\x04\x01\x01\xbb\x00\x00\x00\x01bob\x00api.socks4-secret.internal\x00",
        ),
        (S, &[0, 90, 0, 0, 0, 0, 0, 0]),
    ];
    assert!(matches!(run(&mut r, turns), Fed::TlsStarts(_)));
    assert_eq!(
        texts(&mut r),
        [
            "SOCKS4a CONNECT",
            "SOCKS4a CONNECT pseudonym.example:443 → request granted"
        ]
    );
    let client = skeleton(&mut r, C);
    assert_eq!(client[..9], *b"\x04\x01\x01\xbb\x00\x00\x00xx");
    assert!(!client.windows(6).any(|w| w == b"socks4"));
    assert_eq!(client.len(), turns[0].1.len());
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Tls {
            protocol: "SOCKS4a",
            ..
        })
    ));
    let mut r = Recogniser::default();
    let refused: &[(Side, &[u8])] = &[
        (C, &[4, 1, 0, 80, 10, 77, 0, 2, 0]),
        (S, &[0, 91, 0, 0, 0, 0, 0, 0]),
    ];
    assert_eq!(run(&mut r, refused), Fed::Over);
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Proxy {
            status: 91,
            answer: "request rejected or failed".into()
        }))
    );
    assert_eq!(
        skeleton(&mut r, C),
        [4, 1, 0, 80, b'x', b'x', b'x', b'x', 0]
    );
}

/// Every prefix of the SOCKS dialogues: never TLS before the proxy's reply is whole, and no
/// panic; a skeleton read again is itself.
#[test]
fn socks_prefixes_and_fixed_point() {
    for cut in 0..SOCKS5.len() {
        let mut r = Recogniser::default();
        assert!(!matches!(run(&mut r, &SOCKS5[..cut]), Fed::TlsStarts(_)));
    }
    let last = SOCKS5[5].1;
    for n in 0..last.len() {
        let mut turns = SOCKS5[..5].to_vec();
        turns.push((S, &last[..n]));
        let mut r = Recogniser::default();
        assert_eq!(run(&mut r, &turns), Fed::Pending, "{n} bytes of the reply");
    }
    let mut r = Recogniser::default();
    run(&mut r, SOCKS5);
    let (c, s) = (r.take_pieces(C), r.take_pieces(S));
    let flat = |pieces: &[Piece]| {
        pieces
            .iter()
            .flat_map(|p| p.bytes.clone())
            .collect::<Vec<_>>()
    };
    let again = skeleton_turns(SOCKS5, &flat(&c), &flat(&s));
    let turns: Vec<(Side, &[u8])> = again.iter().map(|(s, b)| (*s, b.as_slice())).collect();
    let mut r2 = Recogniser::default();
    assert!(matches!(run(&mut r2, &turns), Fed::TlsStarts(_)));
    for (side, before) in [(C, c), (S, s)] {
        let after = r2.take_pieces(side);
        assert_eq!(
            after.iter().map(|p| &p.bytes).collect::<Vec<_>>(),
            before.iter().map(|p| &p.bytes).collect::<Vec<_>>()
        );
        assert!(after.iter().all(|p| p.filled.is_empty()));
    }
    assert!(r2.take_secrets().is_empty(), "filler is no secret");
}

/// The StartTLS request openssl sends (message ID 1) and a success response naming the OID.
const LDAP_REQUEST: &[u8] = b"\x30\x1d\x02\x01\x01\x77\x18\x80\x161.3.6.1.4.1.1466.20037";

fn ldap_response(code: u8, diagnostic: &[u8]) -> Vec<u8> {
    let mut op = vec![0x0a, 1, code, 0x04, 0, 0x04, diagnostic.len() as u8];
    op.extend(diagnostic);
    let mut msg = vec![0x02, 1, 1, 0x78, op.len() as u8];
    msg.extend(op);
    let mut m = vec![0x30, msg.len() as u8];
    m.extend(msg);
    m
}

#[test]
fn ldap_starttls_success_and_refusal() {
    let mut r = Recogniser::default();
    let ok = ldap_response(0, b"");
    assert!(matches!(
        run(&mut r, &[(C, LDAP_REQUEST), (S, &ok)]),
        Fed::TlsStarts(_)
    ));
    assert_eq!(
        texts(&mut r),
        [
            "StartTLS extended request",
            "StartTLS → resultCode 0 (success)"
        ]
    );
    assert_eq!(skeleton(&mut r, C), LDAP_REQUEST, "every byte is structure");
    let mut r = Recogniser::default();
    let refused = ldap_response(52, b"dc=corp,dc=internal is unavailable");
    assert_eq!(run(&mut r, &[(C, LDAP_REQUEST), (S, &refused)]), Fed::Over);
    let server = skeleton(&mut r, S);
    assert_eq!(server.len(), refused.len());
    assert!(!server.windows(4).any(|w| w == b"corp"));
    assert!(r.take_secrets().contains(&b"dc=corp,dc=internal".to_vec()));
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Starttls {
            protocol: "LDAP",
            answer: "resultCode 52 (unavailable)".into()
        }))
    );
    // Another OID, an indefinite or non-minimal length, a truncated message, trailing bytes
    // inside the envelope: not StartTLS.
    let mut other = LDAP_REQUEST.to_vec();
    other[30] = b'8';
    let mut long_len = vec![0x30, 0x81, 0x1d];
    long_len.extend(&LDAP_REQUEST[2..]);
    let mut indefinite = LDAP_REQUEST.to_vec();
    indefinite[1] = 0x80;
    for bad in [other, long_len, indefinite] {
        let mut r = Recogniser::default();
        assert_eq!(r.feed(C, 0, &bad), Fed::NotPreamble, "{bad:?}");
    }
    for n in 1..LDAP_REQUEST.len() {
        let mut r = Recogniser::default();
        assert_eq!(r.feed(C, 0, &LDAP_REQUEST[..n]), Fed::Pending, "{n} bytes");
    }
    for n in 0..ok.len() {
        let mut r = Recogniser::default();
        assert_eq!(
            run(&mut r, &[(C, LDAP_REQUEST), (S, &ok[..n])]),
            Fed::Pending
        );
    }
}

const XMPP: &[(Side, &[u8])] = &[
    (
        C,
        b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='chat.corp.internal' version='1.0'>",
    ),
    (
        S,
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='c2s-9f1e' from='chat.corp.internal' version='1.0'>\n<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    ),
    (C, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    (S, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
];

#[test]
fn xmpp_starttls_proceeds() {
    let mut r = Recogniser::default();
    assert!(matches!(run(&mut r, XMPP), Fed::TlsStarts(_)));
    assert_eq!(
        texts(&mut r),
        [
            "stream header",
            "stream header",
            "stream features: STARTTLS offered",
            "STARTTLS",
            "STARTTLS → proceed"
        ]
    );
    let client = String::from_utf8(skeleton(&mut r, C)).unwrap();
    assert!(
        client.starts_with(
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='xxxxxxxxxxxxxxxxxx' version='1.0'>"
        ),
        "{client}"
    );
    let server = String::from_utf8(skeleton(&mut r, S)).unwrap();
    assert!(
        !server.contains("corp") && !server.contains("c2s"),
        "{server}"
    );
    assert!(server.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>"));
    assert!(r.take_secrets().contains(&b"chat.corp.internal".to_vec()));
    // A failure refuses; a features list without starttls, then a client going on, is
    // "not offered".
    let mut r = Recogniser::default();
    let mut refused = XMPP.to_vec();
    refused[3] = (S, b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert_eq!(run(&mut r, &refused), Fed::Over);
    assert!(matches!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::Starttls {
            protocol: "XMPP",
            ..
        }))
    ));
    let mut r = Recogniser::default();
    let not_offered: &[(Side, &[u8])] = &[
        (C, XMPP[0].1),
        (
            S,
            b"<stream:stream xmlns='jabber:client' version='1.0'><stream:features/>",
        ),
        (C, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
    ];
    assert_eq!(run(&mut r, not_offered), Fed::Over);
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::NotOffered { protocol: "XMPP" }))
    );
    // Malformed markup is not followed.
    for bad in [
        &b"<stream:stream to=x>"[..],
        b"<stream:stream a='<'>",
        b"<stream:stream/>",
        // Closing and empty at once: panicked on slicing its body (review, 2026-12-07).
        b"<?xml version='1.0'?></>",
        b"<?xml version='1.0'?></a/>",
    ] {
        let mut r = Recogniser::default();
        assert_ne!(r.feed(C, 0, bad), Fed::Pending);
        assert!(!matches!(r.outcome(), Some(Outcome::Tls { .. })));
    }
    let mut r = Recogniser::default();
    let server_closes_nothing: &[(Side, &[u8])] = &[
        (C, XMPP[0].1),
        (S, b"<stream:stream xmlns='jabber:client' version='1.0'></>"),
    ];
    assert_ne!(run(&mut r, server_closes_nothing), Fed::Pending);
    assert!(!matches!(r.outcome(), Some(Outcome::Tls { .. })));
}

/// A HandshakeV10 greeting offering SSL (CLIENT_SSL, secure connection, plugin auth).
fn mysql_greeting(ssl: bool) -> Vec<u8> {
    let caps: u32 = 0x0008_0000 | 0x8000 | 0x0200 | 0x0001 | if ssl { 0x0800 } else { 0 };
    let mut p = vec![10];
    p.extend(b"8.0.36-corp-internal\0");
    p.extend(4711u32.to_le_bytes());
    p.extend(b"s4ltSALT\0");
    p.extend(((caps & 0xffff) as u16).to_le_bytes());
    p.push(0x21);
    p.extend(2u16.to_le_bytes());
    p.extend(((caps >> 16) as u16).to_le_bytes());
    p.push(21);
    p.extend([0; 10]);
    p.extend(b"m0reSALTs4lt\0");
    p.extend(b"caching_sha2_password\0");
    let mut g = (p.len() as u32).to_le_bytes()[..3].to_vec();
    g.push(0);
    g.extend(p);
    g
}

const MYSQL_SSL_REQUEST: [u8; 36] = [
    32, 0, 0, 1, 0x85, 0xae, 0x7f, 0, 0, 0, 0, 1, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0,
];

#[test]
fn mysql_ssl_request() {
    let greeting = mysql_greeting(true);
    let mut r = Recogniser::default();
    assert!(matches!(
        run(&mut r, &[(S, &greeting), (C, &MYSQL_SSL_REQUEST)]),
        Fed::TlsStarts(_)
    ));
    assert_eq!(
        texts(&mut r),
        ["greeting (protocol 10): SSL offered", "SSL request"]
    );
    let server = skeleton(&mut r, S);
    assert_eq!(server.len(), greeting.len());
    for secret in [&b"corp"[..], b"s4lt", b"SALT", b"8.0.36"] {
        assert!(!server.windows(secret.len()).any(|w| w == secret));
    }
    assert!(server.windows(21).any(|w| w == b"caching_sha2_password"));
    assert_eq!(skeleton(&mut r, C), MYSQL_SSL_REQUEST);
    // Not offered, and the client goes on with its login.
    let mut r = Recogniser::default();
    let login = [60, 0, 0, 1, 0x85, 0xa6, 0x3f, 0];
    assert_eq!(
        run(&mut r, &[(S, &mysql_greeting(false)), (C, &login)]),
        Fed::Over
    );
    assert_eq!(
        r.outcome(),
        Some(Outcome::Refused(Refusal::NotOffered { protocol: "MySQL" }))
    );
    // Every prefix of the greeting waits; a broken one is not followed.
    for n in 1..greeting.len() {
        let mut r = Recogniser::default();
        assert_eq!(r.feed(S, 0, &greeting[..n]), Fed::Pending, "{n} bytes");
    }
    let mut broken = greeting.clone();
    broken[50] = 1; // a reserved byte
    let mut r = Recogniser::default();
    assert_ne!(r.feed(S, 0, &broken), Fed::Pending);
    assert!(!matches!(r.outcome(), Some(Outcome::Tls { .. })));
}

/// Many short lines are held as one piece, not one per line: a piece per 2-byte line held
/// about 45 bytes per byte read, 6 GB over the live-connection bound (review, 2026-12-07).
#[test]
fn contiguous_lines_share_one_piece() {
    let mut r = Recogniser::default();
    let untagged = b"*\n".repeat(3000);
    let turns: &[(Side, &[u8])] = &[
        (S, b"* OK IMAP4rev1 ready\r\n"),
        (C, b"a1 CAPABILITY\r\n"),
        (S, &untagged),
    ];
    run(&mut r, turns);
    let pieces = r.take_pieces(S);
    assert_eq!(pieces.len(), 1);
    assert_eq!(
        pieces[0].bytes.len(),
        b"* OK IMAP4rev1 ready\r\n".len() + untagged.len()
    );
    assert!(
        pieces[0].filled.len() <= 2,
        "{} filled ranges",
        pieces[0].filled.len()
    );
}

/// The numbers a MySQL greeting and SSL request carry are kept only when their values are
/// registered (review finding 3): the status flags, character set and maximum packet size
/// become filler otherwise, and a greeting with an unregistered salt length is not followed.
#[test]
fn mysql_numbers_are_kept_only_when_registered() {
    let greeting = mysql_greeting(true);
    // Offsets in the greeting: version NUL at 25, then connection id, salt part 1, filler,
    // capabilities (39..41), character set (41), status (42..44), capabilities, salt length
    // (46).
    assert_eq!(greeting[41], 0x21);
    assert_eq!(greeting[46], 21);
    let skeleton_of = |greeting: &[u8], request: &[u8]| {
        let mut r = Recogniser::default();
        let fed = run(&mut r, &[(S, greeting), (C, request)]);
        (fed, skeleton(&mut r, S), skeleton(&mut r, C))
    };
    let (fed, server, client) = skeleton_of(&greeting, &MYSQL_SSL_REQUEST);
    assert!(matches!(fed, Fed::TlsStarts(_)));
    assert_eq!(server[39..47], greeting[39..47], "registered values kept");
    assert_eq!(client, MYSQL_SSL_REQUEST);
    // An unassigned character set (0, 17) and status bit (0x8000, 0x0004): filled.
    for (charset, status) in [(0u8, 0x8002u16), (17, 0x0006)] {
        let mut g = greeting.clone();
        g[41] = charset;
        g[42..44].copy_from_slice(&status.to_le_bytes());
        let (fed, server, _) = skeleton_of(&g, &MYSQL_SSL_REQUEST);
        assert!(matches!(fed, Fed::TlsStarts(_)));
        assert_eq!(server[41..44], [FILLER; 3], "{charset} {status:#x}");
        assert_eq!(server[39..41], g[39..41], "capabilities kept");
        assert_eq!(server[44..47], g[44..47]);
    }
    // A salt length other than 21 or 0 moves the plugin name: not followed.
    let mut g = greeting.clone();
    g[46] = 20;
    let mut r = Recogniser::default();
    assert_ne!(r.feed(S, 0, &g), Fed::Pending);
    assert!(r.take_pieces(S).is_empty());
    // The request's maximum packet size and character set.
    for (size, charset, kept) in [
        (0x00FF_FFFFu32, 255u8, true),
        (1 << 30, 8, true),
        (1024, 45, true),
        (0x0123_4567, 0x21, false),
        (1 << 31, 0x21, false),
        (512, 0x21, false),
    ] {
        let mut request = MYSQL_SSL_REQUEST;
        request[8..12].copy_from_slice(&size.to_le_bytes());
        request[12] = charset;
        let (fed, _, client) = skeleton_of(&greeting, &request);
        assert!(matches!(fed, Fed::TlsStarts(_)));
        let want = if kept {
            request[8..12].to_vec()
        } else {
            vec![FILLER; 4]
        };
        assert_eq!(client[8..12], want, "{size:#x}");
        assert_eq!(client[12], charset);
    }
    let mut request = MYSQL_SSL_REQUEST;
    request[12] = 0;
    let (_, _, client) = skeleton_of(&greeting, &request);
    assert_eq!(client[12], FILLER);
    assert_eq!(client[..12], request[..12]);
}

/// A StartTLS message ID is kept when it is one a client numbering from 1 gives its first
/// requests (1..=127, one byte); a larger one is filled, in the request and the response.
#[test]
fn ldap_message_ids_are_kept_only_when_small() {
    let with_id = |id: &[u8]| {
        // The request and the success response with this message ID.
        let mut req = vec![0x02, id.len() as u8];
        req.extend(id);
        req.extend(&LDAP_REQUEST[5..]);
        let mut request = vec![0x30, req.len() as u8];
        request.extend(req);
        let ok = ldap_response(0, b"");
        let mut resp = vec![0x02, id.len() as u8];
        resp.extend(id);
        resp.extend(&ok[5..]);
        let mut response = vec![0x30, resp.len() as u8];
        response.extend(resp);
        (request, response)
    };
    for (id, kept) in [
        (&[1u8][..], true),
        (&[127], true),
        (&[0x00, 0x80], false),
        (&[0x12, 0x34, 0x56], false),
    ] {
        let (request, response) = with_id(id);
        let mut r = Recogniser::default();
        assert!(matches!(
            run(&mut r, &[(C, &request), (S, &response)]),
            Fed::TlsStarts(_)
        ));
        let want = if kept {
            id.to_vec()
        } else {
            vec![FILLER; id.len()]
        };
        for side in [C, S] {
            let held = skeleton(&mut r, side);
            assert_eq!(held[..4], [0x30, held[1], 0x02, id.len() as u8]);
            assert_eq!(held[4..4 + id.len()], want, "{id:?}");
        }
    }
}

/// The RFC 1929 status is kept when it is success (0); a failure's code, the proxy's own
/// choice, is filled (still not 0: still a failure).
#[test]
fn socks5_authentication_status_is_kept_only_for_success() {
    for (status, want) in [(0u8, 0u8), (1, FILLER), (0x42, FILLER)] {
        let mut turns = SOCKS5[..4].to_vec();
        let reply = [1, status];
        turns[3] = (S, &reply);
        let mut r = Recogniser::default();
        run(&mut r, &turns);
        let server = skeleton(&mut r, S);
        assert_eq!(server[2..], [1, want], "{status}");
        let refused = matches!(r.outcome(), Some(Outcome::Refused(_)));
        assert_eq!(refused, status != 0);
    }
}
