//! ICMP and ICMPv6 errors on their connection's timeline (SPEC §9.1, issue 17 item 4), through
//! the binary on the real captures of `samples/paths/` (made by `samples/make-paths.sh`): a
//! router's "fragmentation needed" / "Packet Too Big" that quotes the client's large
//! ClientHello segment. (The black-hole hint is a unit test of the diagnosis.)

mod fixtures_gen;

use fixtures_gen::{diagnose_sample as diagnose, in_order, timeline_events as events};

#[test]
fn icmp_errors_are_on_their_connections_timeline() {
    for (name, event) in [
        (
            "paths/icmp-frag-needed.pcap",
            "ICMP fragmentation needed (MTU 576)",
        ),
        (
            "paths/icmpv6-packet-too-big.pcap",
            "ICMPv6 Packet Too Big (MTU 1280)",
        ),
    ] {
        let text = diagnose(name);
        let got = events(&text);
        // Listed under the peer whose segment it quotes (the client's large ClientHello),
        // right after that segment.
        assert!(
            in_order(
                &got,
                &[
                    ("client", &got_hello(&got)),
                    ("client", event),
                    ("server", "ServerHello TLS 1.3, TLS_AES_256_GCM_SHA384"),
                ]
            ),
            "{name}: {got:?}"
        );
        assert!(text.contains("verdict: handshake_complete"), "{text}");
        // An error was seen: no black-hole guess.
        assert!(!text.contains("black hole"), "{text}");
    }
}

fn got_hello(got: &[(String, String)]) -> String {
    got.iter()
        .find(|(_, w)| w.starts_with("ClientHello"))
        .map(|(_, w)| w.clone())
        .unwrap_or_default()
}
