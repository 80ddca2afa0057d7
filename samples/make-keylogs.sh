#!/usr/bin/env bash
# samples/make-keylogs.sh - regenerate samples/keylogs/: real TLS captures, each with the key
# log its client wrote (NSS key log format), for the work that decrypts TLS 1.3 handshakes.
#
# Usage:   sudo samples/make-keylogs.sh             (every capture)
#          sudo samples/make-keylogs.sh tls12-gcm   (only those named)
#
# Each NAME gives samples/keylogs/NAME.pcap and NAME.keys (openssl s_server as the server):
#   tls13-complete               curl, a complete TLS 1.3 handshake and an HTTP GET
#   tls13-client-cert-missing    the server requires a client certificate, the client has none:
#                                the server's encrypted certificate_required alert
#   tls13-client-cert-rejected   the client's certificate is from a CA the server does not
#                                trust: the server's encrypted unknown_ca alert
#   tls13-server-cert-rejected   openssl s_client does not trust the server's CA: the client's
#                                encrypted unknown_ca alert
#   tls13-server-cert-rejected-gnutls  the same with gnutls-cli (its alert: bad_certificate)
#   tls13-hrr                    the client's key share is for P-256, the server wants X25519:
#                                a HelloRetryRequest, then a complete handshake
#   tls12-gcm                    TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, complete
#   tls12-cbc                    TLS 1.2, ECDHE-RSA-AES128-SHA256 (CBC), complete
# and tls13-complete-dsb.pcapng: tls13-complete with its key log embedded as a pcapng
# Decryption Secrets Block (editcap --inject-secrets).
# Encrypted Client Hello has no sample here: no stack installable on Debian bookworm (OpenSSL
# 3.0, GnuTLS 3.7, Go 1.19) runs an ECH server, so tests/keylogs/ech.rs builds its captures in
# the test, sealed with made-up secrets through the tool's key schedule.
#
# Needs root, iproute2, ethtool, tcpdump, openssl (>= 3.0), curl, gnutls-cli, tshark, editcap.
#
# Safety rules (the same as samples/make.sh): all traffic stays in two network namespaces this
# script creates (psk-cli 10.77.20.1, psk-srv 10.77.20.2, one veth pair, no other interface);
# every client is bounded by `timeout`; servers and tcpdump are stopped by PID; namespaces and
# the temporary directory go at exit. Keys, certificates and KEY LOGS are THROW-AWAY TEST
# MATERIAL made fresh at every run: each .keys file starts with a comment saying so, and the
# secrets in it open nothing but the capture beside it.
#
# Each capture is checked with tshark using its key log (the expected alert or application
# data decrypted, the expected handshake messages seen) before it is copied into
# samples/keylogs/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=make-keylogs.sh
NS_C=psk-cli
NS_S=psk-srv
NAMESPACES=("$NS_C" "$NS_S")
IF_C=psk-c0
IF_S=psk-s0
ADDR_C=10.77.20.1
ADDR_S=10.77.20.2
HOST=api.pcapscrub-test.example
DEST=$HERE/keylogs
# shellcheck source=samples/lib.sh
source "$HERE/lib.sh"
require ip ethtool tcpdump openssl curl gnutls-cli tshark editcap timeout
choose "tls13-complete tls13-client-cert-missing tls13-client-cert-rejected
  tls13-server-cert-rejected tls13-server-cert-rejected-gnutls tls13-hrr tls12-gcm tls12-cbc" "$@"
WORK=$(mktemp -d /tmp/make-keylogs.XXXXXX)
start_run

# Foreground commands in the client namespace.
cx() { ip netns exec "$NS_C" "$@"; }

make_pki() {
  test_ca ca rsa
  test_ca other rsa
  test_cert leaf ca rsa serverAuth "$HOST"
  test_cert client ca rsa clientAuth client.pcapscrub-test.example
  test_cert stranger other rsa clientAuth stranger.pcapscrub-test.example
}

make_net() {
  veth_pair "$NS_C" "$IF_C" "$NS_S" "$IF_S"
  local ns dev addr spec
  for spec in "$NS_C:$IF_C:$ADDR_C" "$NS_S:$IF_S:$ADDR_S"; do
    IFS=: read -r ns dev addr <<<"$spec"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
      net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" addr add "$addr/24" dev "$dev"
  done
}

server() {  # extra s_server arguments...
  ip netns exec "$NS_S" openssl s_server -quiet -www -accept 443 -cert "$WORK/leaf.pem" \
    -key "$WORK/leaf.key" "$@" >"$WORK/server.log" 2>&1 &
  PIDS+=($!)
  sleep 0.5
}

# tshark's count of FILTER in the capture, decrypting with the key log.
count() {  # pcap keys filter
  tshark -r "$1" -o "tls.keylog_file:$2" -o tcp.check_checksum:TRUE -Y "$3" 2>/dev/null | wc -l
}

capture() {
  local name=$1 pcap="$WORK/$1.pcap" keys="$WORK/$1.keys"
  log "capture: $name"
  : >"$keys"
  local s_client=(openssl s_client -connect "$ADDR_S:443" -servername "$HOST" -keylogfile "$keys" -quiet)
  case $name in
    tls13-client-cert-missing | tls13-client-cert-rejected)
      server -tls1_3 -Verify 1 -verify_return_error -CAfile "$WORK/ca.pem" ;;
    tls13-hrr) server -tls1_3 -groups X25519 ;;
    tls12-*) server -tls1_2 ;;
    *) server -tls1_3 ;;
  esac
  start_tcpdump "$NS_C" "$IF_C" "$pcap"
  # A refused handshake is the scenario: the client's exit status is not checked, tshark is.
  case $name in
    tls13-complete)
      cx env SSLKEYLOGFILE="$keys" timeout 10 curl -sS -o /dev/null --tlsv1.3 \
        --cacert "$WORK/ca.pem" --resolve "$HOST:443:$ADDR_S" "https://$HOST/" ;;
    tls13-client-cert-missing)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/ca.pem" >/dev/null 2>&1 || true ;;
    tls13-client-cert-rejected)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/ca.pem" -cert "$WORK/stranger.pem" \
        -key "$WORK/stranger.key" >/dev/null 2>&1 || true ;;
    tls13-server-cert-rejected)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/other.pem" -verify_return_error \
        >/dev/null 2>&1 || true ;;
    tls13-server-cert-rejected-gnutls)
      cx env SSLKEYLOGFILE="$keys" timeout 10 gnutls-cli --x509cafile="$WORK/other.pem" \
        --sni-hostname="$HOST" --port 443 "$ADDR_S" </dev/null >/dev/null 2>&1 || true ;;
    tls13-hrr)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/ca.pem" -groups P-256:X25519 \
        >/dev/null 2>&1 || true ;;
    tls12-gcm)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/ca.pem" -tls1_2 \
        -cipher ECDHE-RSA-AES128-GCM-SHA256 >/dev/null 2>&1 || true ;;
    tls12-cbc)
      echo Q | cx timeout 10 "${s_client[@]}" -CAfile "$WORK/ca.pem" -tls1_2 \
        -cipher ECDHE-RSA-AES128-SHA256 >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
  stop_all
  [[ -s $keys ]] || { echo "make-keylogs.sh: $name: the client wrote no key log" >&2; return 1; }
  mark_keylog "$keys"
  # What decryption must show: the alert (level 2, description) or decrypted application data.
  local want
  case $name in
    tls13-client-cert-missing) want='tls.alert_message.desc == 116' ;;
    tls13-client-cert-rejected) want='tls.alert_message.desc == 48 && ip.src == '$ADDR_S ;;
    tls13-server-cert-rejected) want='tls.alert_message.desc == 48 && ip.src == '$ADDR_C ;;
    # GnuTLS says bad_certificate where OpenSSL says unknown_ca.
    tls13-server-cert-rejected-gnutls) want='tls.alert_message.desc == 42 && ip.src == '$ADDR_C ;;
    tls13-hrr) want='tls.handshake.type == 2 && tls.handshake.random == cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c' ;;
    *) want='tls.handshake.type == 20' ;;
  esac
  local seen hellos
  seen=$(count "$pcap" "$keys" "$want")
  hellos=$(count "$pcap" "$keys" 'tls.handshake.type == 1')
  if [[ $seen -lt 1 || $hellos -lt 1 ]]; then
    echo "make-keylogs.sh: $name: '$want' $seen, ClientHello $hellos" >&2
    cp "$pcap" "$keys" "${TMPDIR:-/tmp}/" 2>/dev/null || true
    return 1
  fi
  log "  $name: '$want' decrypted ($seen), ClientHello $hellos"
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
if [[ " ${NAMES[*]} " == *" tls13-complete "* ]]; then
  editcap --inject-secrets "tls,$DEST/tls13-complete.keys" "$DEST/tls13-complete.pcap" \
    "$DEST/tls13-complete-dsb.pcapng"
  [[ $(tshark -r "$DEST/tls13-complete-dsb.pcapng" -Y 'tls.handshake.type == 20' 2>/dev/null | wc -l) -ge 1 ]] ||
    { echo "make-keylogs.sh: the embedded secrets do not decrypt" >&2; exit 1; }
  log "  tls13-complete-dsb.pcapng: decrypts with its embedded secrets alone"
fi
log "wrote ${NAMES[*]} into $DEST/"
