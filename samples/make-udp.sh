#!/usr/bin/env bash
# samples/make-udp.sh - regenerate samples/udp/: real QUIC and DTLS handshakes, each capture
# with the key log its client wrote, for the work that diagnoses handshakes over UDP.
#
# Usage:   sudo samples/make.sh udp [NAME...]   (or samples/make-udp.sh directly)
#
# Each NAME gives samples/udp/NAME.pcap and NAME.keys:
#   quic-complete              aioquic client and server (samples/quic_peer.py), ALPN h3,
#                              one stream answered
#   quic-cert-rejected         the client does not trust the server's CA: it closes the
#                              connection with a TLS alert (CONNECTION_CLOSE 0x0100 + alert)
#   quic-version-negotiation   a first packet of an unknown version (quic_peer.py probe): the
#                              server's Version Negotiation, then a complete handshake in v1
#   dtls12-complete            openssl s_client -> s_server, DTLS 1.2, complete
#   dtls12-cert-rejected       the client does not trust the server's CA: its alert
#   dtls12-fragmented          link MTU 400: the handshake messages in fragments
#   dtls12-ipv6                DTLS 1.2 over IPv6, complete
#   dtls12-ipv6-fragments      DTLS 1.2 over IPv6 on a 1280-byte link, the server allowed
#                              datagrams of 3000 bytes (-mtu, so no path MTU discovery) and
#                              sending an RSA chain: its first flight leaves the server's
#                              kernel in IPv6 fragments (IPv6 hosts fragment what they send)
# aioquic is installed from the Python package index when it is missing (pip, into the
# interpreter that runs the script); the Rust tests never need it.
#
# Needs root, iproute2, ethtool, tcpdump, openssl (>= 3.0), python3 with pip, tshark.
#
# Safety rules (the same as samples/make.sh): all traffic stays in two network namespaces this
# script creates (psu-cli 10.77.30.1 / fd77:30::1, psu-srv 10.77.30.2 / fd77:30::2, one veth
# pair, no other interface); every client is bounded by `timeout`; servers and tcpdump are
# stopped by PID; namespaces and the temporary directory go at exit. Keys, certificates and
# KEY LOGS are THROW-AWAY TEST MATERIAL made fresh at every run; each .keys file starts with a
# comment saying so.
#
# Each capture is checked with tshark (with its key log) before it is copied into samples/udp/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=make-udp.sh
NS_C=psu-cli
NS_S=psu-srv
NAMESPACES=("$NS_C" "$NS_S")
IF_C=psu-c0
IF_S=psu-s0
ADDR_C=10.77.30.1
ADDR_S=10.77.30.2
ADDR6_C=fd77:30::1
ADDR6_S=fd77:30::2
HOST=api.pcapscrub-test.example
DEST=$HERE/udp
PEER=$HERE/quic_peer.py
# shellcheck source=samples/lib.sh
source "$HERE/lib.sh"
require ip ethtool tcpdump openssl python3 tshark timeout
choose "quic-complete quic-cert-rejected quic-version-negotiation dtls12-complete
  dtls12-cert-rejected dtls12-fragmented dtls12-ipv6 dtls12-ipv6-fragments" "$@"
if ! python3 -c 'import aioquic' 2>/dev/null; then
  log "installing aioquic from the Python package index"
  python3 -m pip install --quiet aioquic >&2
fi
WORK=$(mktemp -d /tmp/make-udp.XXXXXX)
start_run

# Foreground commands in the client namespace.
cx() { ip netns exec "$NS_C" "$@"; }

make_pki() {
  test_ca ca ec
  test_ca other ec
  test_cert leaf ca ec serverAuth "$HOST"
  # For the IPv6 fragments a larger first flight: an RSA leaf sent with its RSA CA.
  test_ca rsaca rsa
  test_cert rsaleaf rsaca rsa serverAuth "$HOST"
}

make_net() {
  veth_pair "$NS_C" "$IF_C" "$NS_S" "$IF_S"
  local ns dev addr addr6 spec
  for spec in "$NS_C $IF_C $ADDR_C $ADDR6_C" "$NS_S $IF_S $ADDR_S $ADDR6_S"; do
    read -r ns dev addr addr6 <<<"$spec"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf."$dev".router_solicitations=0
    ip -n "$ns" addr add "$addr/24" dev "$dev"
    ip -n "$ns" addr add "$addr6/64" dev "$dev" nodad
  done
}

count() {  # pcap keys filter
  tshark -r "$1" -o "tls.keylog_file:$2" -o udp.check_checksum:TRUE -Y "$3" 2>/dev/null | wc -l
}

capture() {
  local name=$1 pcap="$WORK/$1.pcap" keys="$WORK/$1.keys"
  log "capture: $name"
  : >"$keys"
  local server=$ADDR_S
  [[ $name == dtls12-ipv6* ]] && server=$ADDR6_S
  local cert=leaf chain=()
  [[ $name == dtls12-ipv6-fragments ]] && cert=rsaleaf chain=(-cert_chain "$WORK/rsaca.pem")
  local link_mtu=1500
  [[ $name == dtls12-ipv6-fragments ]] && link_mtu=1280
  ip -n "$NS_C" link set "$IF_C" mtu "$link_mtu"
  ip -n "$NS_S" link set "$IF_S" mtu "$link_mtu"
  case $name in
    quic-*)
      ip netns exec "$NS_S" python3 "$PEER" server "$ADDR_S" 443 "$WORK/leaf.pem" "$WORK/leaf.key" \
        >"$WORK/server.log" 2>&1 &
      PIDS+=($!)
      ;;
    *)
      # Without -mtu, s_server guesses a small one and fragments anyway: the one fragmented
      # capture is the one that asks for it.
      local mtu=(-mtu 1400)
      [[ $name == dtls12-fragmented ]] && mtu=(-mtu 400)
      [[ $name == dtls12-ipv6-fragments ]] && mtu=(-mtu 3000)
      ip netns exec "$NS_S" openssl s_server -dtls1_2 -quiet -accept "[$server]:4433" \
        -cert "$WORK/$cert.pem" -key "$WORK/$cert.key" "${chain[@]}" "${mtu[@]}" \
        >"$WORK/server.log" 2>&1 &
      PIDS+=($!)
      ;;
  esac
  start_tcpdump "$NS_C" "$IF_C" "$pcap" udp
  sleep 0.5
  # A refused handshake is the scenario: the client's exit status is not checked, tshark is.
  local dtls=(openssl s_client -dtls1_2 -connect "[$server]:4433" -servername "$HOST"
    -keylogfile "$keys" -quiet -verify_return_error)
  case $name in
    quic-complete) cx timeout 10 python3 "$PEER" client "$ADDR_S" 443 "$WORK/ca.pem" "$keys" ;;
    quic-cert-rejected)
      cx timeout 10 python3 "$PEER" client "$ADDR_S" 443 "$WORK/other.pem" "$keys" || true ;;
    quic-version-negotiation)
      cx timeout 10 python3 "$PEER" probe "$ADDR_S" 443
      cx timeout 10 python3 "$PEER" client "$ADDR_S" 443 "$WORK/ca.pem" "$keys" ;;
    dtls12-cert-rejected)
      echo Q | cx timeout 5 "${dtls[@]}" -CAfile "$WORK/other.pem" >/dev/null 2>&1 || true ;;
    dtls12-fragmented)
      echo Q | cx timeout 5 "${dtls[@]}" -CAfile "$WORK/ca.pem" -mtu 400 >/dev/null 2>&1 || true ;;
    dtls12-ipv6-fragments)
      echo Q | cx timeout 5 "${dtls[@]}" -CAfile "$WORK/rsaca.pem" -mtu 3000 >/dev/null 2>&1 || true ;;
    dtls12-*)
      echo Q | cx timeout 5 "${dtls[@]}" -CAfile "$WORK/ca.pem" -mtu 1400 >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
  stop_all
  [[ -s $keys ]] || { echo "make-udp.sh: $name: the client wrote no key log" >&2; return 1; }
  mark_keylog "$keys"
  local hello want
  case $name in
    quic-*) hello='quic.long.packet_type == 0 && tls.handshake.type == 1' ;;
    *) hello='dtls.handshake.type == 1' ;;
  esac
  case $name in
    quic-complete) want='quic.header_form == 0 && ip.src == '$ADDR_S ;;
    quic-cert-rejected) want='quic.frame_type == 0x1c && ip.src == '$ADDR_C ;;
    quic-version-negotiation) want='quic.version == 0' ;;
    dtls12-cert-rejected) want='dtls.alert_message.desc == 48' ;;
    dtls12-fragmented) want='dtls.handshake.fragment_offset > 0' ;;
    dtls12-ipv6) want='ipv6 && dtls.handshake.type == 20' ;;
    dtls12-ipv6-fragments) want='ipv6.fragment.count >= 2 && dtls.handshake.type == 11' ;;
    dtls12-*) want='dtls.handshake.type == 20' ;;
  esac
  local seen hellos
  seen=$(count "$pcap" "$keys" "$want")
  hellos=$(count "$pcap" "$keys" "$hello")
  if [[ $seen -lt 1 || $hellos -lt 1 ]]; then
    echo "make-udp.sh: $name: '$want' $seen, ClientHello $hellos" >&2
    cp "$pcap" "$keys" "${TMPDIR:-/tmp}/" 2>/dev/null || true
    cat "$WORK/server.log" >&2
    return 1
  fi
  log "  $name: '$want' $seen, ClientHello $hellos"
}

make_pki
make_net
for name in "${NAMES[@]}"; do
  capture "$name"
done
mkdir -p "$DEST"
for name in "${NAMES[@]}"; do
  cp "$WORK/$name.pcap" "$WORK/$name.keys" "$DEST/"
done
log "wrote ${NAMES[*]} into $DEST/"
