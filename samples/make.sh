#!/usr/bin/env bash
# samples/make.sh - regenerate the small, real TLS/TCP packet captures in samples/
#
# Usage:   sudo samples/make.sh              (the captures)
#          sudo samples/make.sh client-logs  (only the client logs in samples/client-logs/)
#          sudo samples/make.sh paths [NAME...]    (samples/paths/: samples/make-paths.sh)
#          sudo samples/make.sh keylogs [NAME...]  (samples/keylogs/: samples/make-keylogs.sh)
#          sudo samples/make.sh udp [NAME...]      (samples/udp/: samples/make-udp.sh; QUIC, DTLS)
#
# What it needs (Debian package names):
#   - root (network namespaces, veth, tcpdump, binding port 443/80)
#   - iproute2 (ip, ss), ethtool, tcpdump, openssl (>= 3.0), curl (OpenSSL build),
#     python3, tshark + editcap (package tshark / wireshark-common),
#     gnutls-cli (package gnutls-bin; the TLS 1.3 client that encrypts its alert)
#   ethtool is used to switch off TX checksum offload on the veth pair so that the
#   captured IPv4/IPv6/TCP checksums are real (otherwise veth captures carry
#   "partial" checksums that every checksum validator flags as wrong).
#   Install the lot with:
#     apt-get install -y iproute2 ethtool tcpdump openssl curl python3 tshark gnutls-bin
#
# Safety rules this script follows:
#   - All traffic stays inside two network namespaces the script creates itself
#     (psc-cli = client, psc-srv = server) joined by one veth pair
#     (psc-c0 <-> psc-s0). Only 10.77.0.0/24 and fd77::/64 are used
#     (client 10.77.0.1 / fd77::1, server 10.77.0.2 / fd77::2). The namespaces have
#     no default route and no other interface, so nothing can leave them.
#     10.77.0.99 (the "never answers" server of syn-unanswered) is only a static
#     neighbour entry pointing at a made-up MAC on that same veth.
#   - Host settings are not touched: the sysctls it sets (IPv6 DAD / router
#     solicitations off, classic SYN back-off) and the ethtool offload change apply
#     only inside its own namespaces / to its own veth pair.
#   - Every client is bounded by `timeout`. Servers and tcpdump run in the
#     background; their PIDs are recorded and they are stopped with `kill $PID`
#     (never by name). The namespaces and the temporary directory are removed by an
#     EXIT trap, also on failure.
#   - Captures are taken with tcpdump -s 0 -U inside the client namespace on the
#     client's veth end (Ethernet link type), started before the client and stopped
#     (by PID) shortly after it.
#   - Keys and certificates (test root CA, intermediate, leaf for
#     api.pcapscrub-test.example, client cert, an unrelated "other" CA) are
#     THROW-AWAY TEST MATERIAL generated fresh at every run under a mktemp
#     directory and deleted at exit. None of them is ever written to samples/ or
#     committed. (The public certificates do of course appear inside the captures,
#     as they would on the wire.)
#
# Output: the *.pcap files listed in samples/README.md. They are first written to
# the temporary directory and checked with tshark (the key fact of every scenario,
# addresses, Ethernet link type, valid checksums); only if every check passes are
# they copied over the files in samples/ (overwriting them). On any failure the
# script exits non-zero and samples/ is left as it was. Keys, checksums, ports and
# timestamps differ from run to run; the scenarios' shapes do not.

set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "make.sh: must be run as root (sudo samples/make.sh)" >&2
  exit 1
fi
MODE=${1:-captures}
case $MODE in
  captures | client-logs) ;;
  # The path and key log captures have scripts of their own (their own namespaces and
  # addresses); these modes run them, with any further arguments (capture names).
  paths) shift; exec "$(dirname "${BASH_SOURCE[0]}")/make-paths.sh" "$@" ;;
  keylogs) shift; exec "$(dirname "${BASH_SOURCE[0]}")/make-keylogs.sh" "$@" ;;
  udp) shift; exec "$(dirname "${BASH_SOURCE[0]}")/make-udp.sh" "$@" ;;
  *) echo "make.sh: unknown mode '$MODE' (captures, client-logs, paths, keylogs or udp)" >&2; exit 1 ;;
esac
# The client logs need gnutls-cli; install it when missing (Debian package gnutls-bin).
if [[ $MODE == client-logs ]] && ! command -v gnutls-cli >/dev/null; then
  apt-get install -y gnutls-bin >/dev/null
fi
for tool in ip ss ethtool tcpdump openssl curl gnutls-cli python3 tshark editcap timeout; do
  command -v "$tool" >/dev/null || { echo "make.sh: missing tool: $tool" >&2; exit 1; }
done

DEST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # samples/
NS_C=psc-cli
NS_S=psc-srv
IF_C=psc-c0
IF_S=psc-s0
if [[ $MODE == client-logs ]]; then
  # own namespace names, so a captures run at the same time is not disturbed; the
  # addresses are the same as the captures' so a log matches tls12-complete.pcap
  NS_C=psl-cli
  NS_S=psl-srv
  IF_C=psl-c0
  IF_S=psl-s0
fi
C4=10.77.0.1
S4=10.77.0.2
C6=fd77::1
S6=fd77::2
DEAD4=10.77.0.99               # static neighbour entry, nobody owns this MAC
DEADMAC=02:00:00:00:00:99
HOST=api.pcapscrub-test.example
WORK=$(mktemp -d /tmp/pcapscrub-samples.XXXXXX)
OUT=$WORK/out                  # captures are staged here, copied to samples/ only if all checks pass
PKI=$WORK/pki
WWW=$WORK/www

CAP_PID=""
SRV_PID=""

log() { printf '==> %s\n' "$*"; }

cleanup() {
  local rc=$?
  set +e
  [[ -n $CAP_PID ]] && kill "$CAP_PID" 2>/dev/null
  [[ -n $SRV_PID ]] && kill "$SRV_PID" 2>/dev/null
  sleep 0.2
  ip netns del "$NS_C" 2>/dev/null
  ip netns del "$NS_S" 2>/dev/null
  rm -rf "$WORK"
  if [[ $rc -ne 0 ]]; then echo "make.sh: FAILED (exit $rc)" >&2; fi
  exit $rc
}
trap cleanup EXIT

sx() { ip netns exec "$NS_S" "$@"; }   # run in server namespace

# --------------------------------------------------------------------------
# 1. throw-away test PKI
# --------------------------------------------------------------------------
make_pki() {
  log "generating throw-away test PKI in $PKI"
  mkdir -p "$PKI"
  local O="pcapscrub TEST material - not for production"
  cd "$PKI"
  cat >ca.ext <<'EOF'
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
  cat >int.ext <<'EOF'
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
  cat >leaf.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:$HOST
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
  cat >client.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
  local days=730
  # root CA (self-signed)
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $days \
    -keyout root.key -out root.pem -subj "/O=$O/CN=pcapscrub Test Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # an unrelated root CA, used as the (wrong) trust anchor of the unknown_ca client
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $days \
    -keyout other.key -out other.pem -subj "/O=$O/CN=pcapscrub Other Test Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  # intermediate CA
  openssl req -new -newkey rsa:2048 -nodes -keyout int.key -out int.csr \
    -subj "/O=$O/CN=pcapscrub Test Intermediate CA" 2>/dev/null
  openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -sha256 -days $days -extfile int.ext -out int.pem 2>/dev/null
  # server leaf
  openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
    -subj "/O=$O/CN=$HOST" 2>/dev/null
  openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -sha256 -days $days -extfile leaf.ext -out leaf.pem 2>/dev/null
  # client certificate (for mutual TLS), sent together with the intermediate
  openssl req -new -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
    -subj "/O=$O/CN=client.pcapscrub-test.example" 2>/dev/null
  openssl x509 -req -in client.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -sha256 -days $days -extfile client.ext -out client.pem 2>/dev/null
  cat client.pem int.pem >client-chain.pem
  openssl verify -CAfile root.pem -untrusted int.pem leaf.pem >/dev/null
  openssl verify -CAfile root.pem -untrusted int.pem client.pem >/dev/null
  cd - >/dev/null
}

# --------------------------------------------------------------------------
# 2. namespaces + veth
# --------------------------------------------------------------------------
make_net() {
  log "creating namespaces $NS_C / $NS_S and veth $IF_C <-> $IF_S"
  ip netns del "$NS_C" 2>/dev/null || true   # leftovers of an earlier, killed run
  ip netns del "$NS_S" 2>/dev/null || true
  ip netns add "$NS_C"
  ip netns add "$NS_S"
  ip link add "$IF_C" netns "$NS_C" type veth peer name "$IF_S" netns "$NS_S"
  local ns dev
  for pair in "$NS_C:$IF_C" "$NS_S:$IF_S"; do
    ns=${pair%%:*}; dev=${pair##*:}
    # quiet IPv6: no DAD delay, no router solicitations, no RA processing
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf."$dev".accept_dad=0 \
      net.ipv6.conf."$dev".router_solicitations=0 net.ipv6.conf."$dev".accept_ra=0
    ip -n "$ns" link set lo up
    # real checksums in the capture (no TX checksum offload on veth)
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1
  done
  # classic exponential SYN back-off (1 s, 3 s, 7 s ...) in the client namespace:
  # Linux >= 6.5 defaults to 4 linear 1 s retries (net.ipv4.tcp_syn_linear_timeouts)
  if ip netns exec "$NS_C" sysctl -n net.ipv4.tcp_syn_linear_timeouts >/dev/null 2>&1; then
    ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_syn_linear_timeouts=0
  fi
  ip -n "$NS_C" addr add $C4/24 dev "$IF_C"
  ip -n "$NS_S" addr add $S4/24 dev "$IF_S"
  ip -n "$NS_C" addr add $C6/64 dev "$IF_C" nodad
  ip -n "$NS_S" addr add $S6/64 dev "$IF_S" nodad
  ip -n "$NS_C" link set "$IF_C" up
  ip -n "$NS_S" link set "$IF_S" up
  # let link-up chatter (MLD reports etc.) pass before the first capture
  sleep 3
}

# --------------------------------------------------------------------------
# helpers: servers, capture
# --------------------------------------------------------------------------
write_helpers() {
  mkdir -p "$WWW"
  # a small page so that there are a few application-data records
  python3 - "$WWW/index.html" <<'EOF'
import sys
body = "<html><head><title>pcapscrub test</title></head><body>\n"
for i in range(40):
    body += "<p>line %02d: pcapscrub sample payload, nothing secret here.</p>\n" % i
body += "</body></html>\n"
open(sys.argv[1], "w").write(body)
EOF
  # raw TCP server used for the "hello_*" and "not_tls" scenarios
  cat >"$WORK/tcpsrv.py" <<'EOF'
import socket, struct, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(1)
print("listening", flush=True)
c, peer = s.accept()

def drain(idle):
    """read whatever the client sends until it is quiet for `idle` seconds"""
    c.settimeout(idle)
    got = b""
    while True:
        try:
            d = c.recv(65536)
        except socket.timeout:
            break
        if not d:
            break
        got += d
    c.settimeout(None)
    return got

if mode == "silent":          # accept, read, never answer, never close
    while c.recv(65536):
        pass
    time.sleep(3600)
elif mode == "reset":         # read the ClientHello, then abortive close (RST)
    drain(0.5)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
elif mode == "close":         # read the ClientHello, then orderly close (FIN)
    drain(0.5)
    c.close()
elif mode == "http":          # a plain HTTP server: answers the bytes with HTTP 400
    drain(0.3)
    body = b"<html><body><h1>400 Bad Request</h1>Plain HTTP server.</body></html>\n"
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: pcapscrub-test-http\r\n"
              b"Content-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
              % len(body) + body)
    c.close()
time.sleep(3600)
EOF
}

wait_listen() {  # port
  local i
  for i in $(seq 1 50); do
    if sx ss -Hltn "sport = :$1" | grep -q LISTEN; then return 0; fi
    sleep 0.1
  done
  echo "server did not start listening on port $1" >&2
  return 1
}

# start_server PORT cmd... (runs in the server namespace, cwd = $WWW)
start_server() {
  local port=$1; shift
  (cd "$WWW" && exec ip netns exec "$NS_S" "$@") >"$WORK/server.log" 2>&1 </dev/null &
  SRV_PID=$!
  wait_listen "$port"
}

stop_server() {
  if [[ -n $SRV_PID ]]; then
    kill "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
    SRV_PID=""
  fi
}

start_capture() {  # name
  CUR=$1
  # forget neighbours so every capture carries its own ARP / ND exchange
  ip -n "$NS_C" neigh flush all 2>/dev/null || true
  ip -n "$NS_S" neigh flush all 2>/dev/null || true
  : >"$WORK/tcpdump.log"
  ip netns exec "$NS_C" tcpdump -i "$IF_C" -s 0 -U -n -w "$WORK/$CUR.pcap" \
    >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  local i
  for i in $(seq 1 50); do
    grep -q "listening on" "$WORK/tcpdump.log" && break
    sleep 0.1
  done
  grep -q "listening on" "$WORK/tcpdump.log" || { cat "$WORK/tcpdump.log" >&2; return 1; }
  sleep 0.3
}

stop_capture() {
  sleep 1        # let the last packets (FIN/ACK, RST) get written
  kill "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  CAP_PID=""
  cp "$WORK/$CUR.pcap" "$OUT/$CUR.pcap"
  MADE+=("$CUR.pcap")
}

# run a client in the client namespace; failures are expected in many scenarios
client() {  # timeout-seconds cmd...
  local t=$1; shift
  local rc=0
  ip netns exec "$NS_C" timeout "$t" "$@" >"$WORK/client.log" 2>&1 </dev/null || rc=$?
  printf '    client exit code %s\n' "$rc"
}

CURL=(curl -sS --noproxy '*' -o /dev/null)

S_SERVER_COMMON=(openssl s_server -cert "$PKI/leaf.pem" -key "$PKI/leaf.key"
                 -cert_chain "$PKI/int.pem" -WWW -naccept 1)

# --------------------------------------------------------------------------
# 3. scenarios
# --------------------------------------------------------------------------
MADE=()

scenario() { log "scenario: $1"; }

run_scenarios() {
  local R443 R8443 R80
  R443="$HOST:443:$S4"
  R8443="$HOST:8443:$S4"
  R80="$HOST:80:$S4"

  scenario tls13-only-vs-tls12-server
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_2
  start_capture tls13-only-vs-tls12-server
  client 5 "${CURL[@]}" --tlsv1.3 --tls-max 1.3 --cacert "$PKI/root.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario tls12-complete
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_2
  start_capture tls12-complete
  client 5 "${CURL[@]}" --tlsv1.2 --tls-max 1.2 --cacert "$PKI/root.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario tls13-complete
  start_server 8443 "${S_SERVER_COMMON[@]}" -accept "$S4:8443" -tls1_3
  start_capture tls13-complete
  client 5 "${CURL[@]}" --tlsv1.3 --tls-max 1.3 --cacert "$PKI/root.pem" \
    --resolve "$R8443" "https://$HOST:8443/index.html"
  stop_capture; stop_server

  scenario syn-unanswered
  # 10.77.0.99 is reachable (same /24) through a static neighbour entry whose MAC
  # nobody owns: the SYNs go out on the veth and are dropped by the peer.
  ip -n "$NS_C" neigh replace $DEAD4 lladdr $DEADMAC dev "$IF_C" nud permanent
  start_capture syn-unanswered
  client 8 "${CURL[@]}" --cacert "$PKI/root.pem" \
    --resolve "$HOST:443:$DEAD4" "https://$HOST/index.html"
  stop_capture
  ip -n "$NS_C" neigh del $DEAD4 dev "$IF_C"

  scenario ipv6-tls12-complete
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "[$S6]:443" -tls1_2
  start_capture ipv6-tls12-complete
  client 5 "${CURL[@]}" --tlsv1.2 --tls-max 1.2 --cacert "$PKI/root.pem" \
    --resolve "$HOST:443:[$S6]" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario tcp-refused
  start_capture tcp-refused
  client 5 "${CURL[@]}" --cacert "$PKI/root.pem" --resolve "$R443" "https://$HOST/index.html"
  stop_capture

  scenario tcp-closed-before-hello
  # (a listener that just closes on EOF; openssl s_server would answer the bare
  # FIN with a plaintext decode_error alert, which is not what this case is about)
  start_server 443 python3 "$WORK/tcpsrv.py" close "$S4" 443
  start_capture tcp-closed-before-hello
  client 5 python3 -c "import socket; s = socket.create_connection(('$S4', 443), timeout=3); s.close()"
  stop_capture; stop_server

  scenario hello-unanswered
  start_server 443 python3 "$WORK/tcpsrv.py" silent "$S4" 443
  start_capture hello-unanswered
  client 8 "${CURL[@]}" --max-time 4 --cacert "$PKI/root.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario hello-reset
  start_server 443 python3 "$WORK/tcpsrv.py" reset "$S4" 443
  start_capture hello-reset
  client 5 "${CURL[@]}" --cacert "$PKI/root.pem" --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario hello-closed
  start_server 443 python3 "$WORK/tcpsrv.py" close "$S4" 443
  start_capture hello-closed
  client 5 "${CURL[@]}" --cacert "$PKI/root.pem" --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario client-alert-unknown-ca
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_2
  start_capture client-alert-unknown-ca
  client 5 "${CURL[@]}" --tlsv1.2 --tls-max 1.2 --cacert "$PKI/other.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario client-aborted-tls13
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_3
  start_capture client-aborted-tls13
  # gnutls-cli switches its write side to the handshake keys right after the
  # ServerHello, so its unknown_ca alert is ENCRYPTED (OpenSSL clients such as curl
  # send it in plaintext even in TLS 1.3, see client-alert-unknown-ca-tls13.pcap)
  client 5 gnutls-cli --x509cafile "$PKI/other.pem" --sni-hostname "$HOST" \
    --verify-hostname "$HOST" --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3' -p 443 "$S4"
  stop_capture; stop_server

  scenario client-alert-unknown-ca-tls13
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_3
  start_capture client-alert-unknown-ca-tls13
  client 5 "${CURL[@]}" --tlsv1.3 --tls-max 1.3 --cacert "$PKI/other.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario not-tls
  start_server 80 python3 "$WORK/tcpsrv.py" http "$S4" 80
  start_capture not-tls
  client 5 "${CURL[@]}" --cacert "$PKI/root.pem" --resolve "$R80" "https://$HOST:80/index.html"
  stop_capture; stop_server

  scenario hrr-tls13
  # server only accepts P-384; the client's first (and only) key_share is X25519
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_3 -groups P-384
  start_capture hrr-tls13
  client 5 "${CURL[@]}" --tlsv1.3 --tls-max 1.3 --curves X25519:P-384 --cacert "$PKI/root.pem" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server

  scenario tls12-client-cert
  start_server 443 "${S_SERVER_COMMON[@]}" -accept "$S4:443" -tls1_2 \
    -Verify 1 -verify_return_error -CAfile "$PKI/root.pem"
  start_capture tls12-client-cert
  client 5 "${CURL[@]}" --tlsv1.2 --tls-max 1.2 --cacert "$PKI/root.pem" \
    --cert "$PKI/client-chain.pem" --key "$PKI/client.key" \
    --resolve "$R443" "https://$HOST/index.html"
  stop_capture; stop_server
}

# cut captures derived from tls12-complete.pcap
derive_cuts() {
  local src=$OUT/tls12-complete.pcap n last first
  scenario handshake-incomplete
  # keep everything up to and including the frame that ends the server's first
  # flight (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone)
  n=$(tshark -n -r "$src" -Y 'tls.handshake.type == 14' -T fields -e frame.number 2>/dev/null | head -1)
  [[ -n $n ]]
  editcap -F pcap -r "$src" "$OUT/handshake-incomplete.pcap" "1-$n"
  MADE+=("handshake-incomplete.pcap")
  echo "    kept frames 1-$n of tls12-complete.pcap"

  scenario mid-stream
  # keep from the first application-data record to the end: no SYN, no handshake
  first=$(tshark -n -r "$src" -Y 'tls.record.content_type == 23' -T fields -e frame.number 2>/dev/null | head -1)
  last=$(tshark -n -r "$src" -T fields -e frame.number 2>/dev/null | tail -1)
  [[ -n $first && -n $last ]]
  editcap -F pcap -r "$src" "$OUT/mid-stream.pcap" "$first-$last"
  MADE+=("mid-stream.pcap")
  echo "    kept frames $first-$last of tls12-complete.pcap"
}

# --------------------------------------------------------------------------
# 4. verification with tshark
# --------------------------------------------------------------------------
FAILS=0
T() {  # file tshark-args...  (8443 decoded as TLS)
  local f=$OUT/$1; shift
  tshark -n -r "$f" -d tcp.port==8443,tls "$@" 2>/dev/null
}
N() { T "$1" -Y "$2" | wc -l; }     # number of frames matching a display filter
want() {  # file description filter op number
  local got
  got=$(N "$1" "$3")
  if [ "$got" "$4" "$5" ]; then
    printf '    ok    %-32s %s (%s)\n' "$1" "$2" "$got"
  else
    printf '    FAIL  %-32s %s: expected %s %s, got %s  [filter: %s]\n' "$1" "$2" "$4" "$5" "$got" "$3"
    FAILS=$((FAILS + 1))
  fi
}

verify() {
  log "verifying captures with tshark"
  local CLI="ip.src == $C4" SRV="ip.src == $S4"
  local CH='tls.handshake.type == 1' SH='tls.handshake.type == 2'
  local HRR='tls.handshake.random == cf:21:ad:74:e5:9a:61:11:be:1d:8c:02:1e:65:b8:91:c2:a2:11:16:7a:bb:8c:5e:07:9e:09:e2:c8:a8:33:9c'
  local SV13='tls.handshake.extensions.supported_version == 0x0304'

  f=tls13-only-vs-tls12-server.pcap
  want $f "ClientHello offers only TLS 1.3" "$CLI && $CH && $SV13 && !(tls.handshake.extensions.supported_version == 0x0303)" -eq 1
  want $f "fatal protocol_version(70) alert from server" "$SRV && tls.alert_message.level == 2 && tls.alert_message.desc == 70" -eq 1
  want $f "no ServerHello" "$SH" -eq 0

  for f in tls12-complete.pcap ipv6-tls12-complete.pcap tls12-client-cert.pcap; do
    want $f "ServerHello TLS 1.2" "$SH && tls.handshake.version == 0x0303 && !($SV13)" -eq 1
    want $f "SNI $HOST" "$CH && tls.handshake.extensions_server_name == \"$HOST\"" -eq 1
    want $f "server Certificate carries 2 certs" "tls.handshake.type == 11 && tls.handshake.certificates_length > 0 && count(tls.handshake.certificate) == 2" -ge 1
    want $f "ChangeCipherSpec both ways" "tls.record.content_type == 20" -eq 2
    want $f "application data both ways" "tls.record.content_type == 23" -ge 2
    want $f "no fatal plaintext alert" "tls.alert_message.level == 2" -eq 0
    want $f "TCP FIN seen" "tcp.flags.fin == 1" -ge 2
  done
  want ipv6-tls12-complete.pcap "over IPv6 fd77::1 -> fd77::2" "ipv6.src == $C6 && ipv6.dst == $S6 && $CH" -eq 1
  want ipv6-tls12-complete.pcap "ICMPv6 neighbour discovery present" "icmpv6.type == 135 || icmpv6.type == 136" -ge 2
  want tls12-client-cert.pcap "CertificateRequest from server" "$SRV && tls.handshake.type == 13" -eq 1
  want tls12-client-cert.pcap "client sends a non-empty Certificate" "$CLI && tls.handshake.type == 11 && tls.handshake.certificates_length > 0" -eq 1

  f=tls13-complete.pcap
  want $f "on port 8443" "tcp.dstport == 8443 && tcp.flags.syn == 1 && tcp.flags.ack == 0" -eq 1
  want $f "ServerHello selects TLS 1.3" "$SH && $SV13" -eq 1
  want $f "no HelloRetryRequest" "$HRR" -eq 0
  want $f "application data both ways" "$CLI && tls.record.opaque_type == 23" -ge 2
  want $f "application data both ways" "$SRV && tls.record.opaque_type == 23" -ge 3
  want $f "no plaintext alert" "tls.record.content_type == 21" -eq 0

  f=syn-unanswered.pcap
  want $f "4 SYNs (1 + 3 retransmissions)" "tcp.flags.syn == 1 && tcp.flags.ack == 0" -eq 4
  want $f "3 retransmissions flagged" "tcp.analysis.retransmission && tcp.flags.syn == 1" -eq 3
  want $f "nothing comes back" "ip.dst == $C4" -eq 0

  f=tcp-refused.pcap
  want $f "SYN" "tcp.flags.syn == 1 && tcp.flags.ack == 0" -eq 1
  want $f "RST,ACK from server" "$SRV && tcp.flags.reset == 1" -eq 1
  want $f "no SYN,ACK" "tcp.flags.syn == 1 && tcp.flags.ack == 1" -eq 0

  f=tcp-closed-before-hello.pcap
  want $f "SYN,ACK" "$SRV && tcp.flags.syn == 1 && tcp.flags.ack == 1" -eq 1
  want $f "client FIN" "$CLI && tcp.flags.fin == 1" -eq 1
  want $f "no payload at all" "tcp.len > 0" -eq 0

  f=hello-unanswered.pcap
  want $f "ClientHello" "$CLI && $CH" -eq 1
  want $f "server sends no payload" "$SRV && tcp.len > 0" -eq 0
  want $f "server sends no FIN/RST" "$SRV && (tcp.flags.fin == 1 || tcp.flags.reset == 1)" -eq 0
  want $f "client gives up with FIN" "$CLI && tcp.flags.fin == 1" -eq 1

  f=hello-reset.pcap
  want $f "ClientHello" "$CLI && $CH" -eq 1
  want $f "server RST" "$SRV && tcp.flags.reset == 1" -eq 1
  want $f "server sends no payload" "$SRV && tcp.len > 0" -eq 0

  f=hello-closed.pcap
  want $f "ClientHello" "$CLI && $CH" -eq 1
  want $f "server FIN" "$SRV && tcp.flags.fin == 1" -eq 1
  want $f "server sends no RST" "$SRV && tcp.flags.reset == 1" -eq 0
  want $f "server sends no payload" "$SRV && tcp.len > 0" -eq 0

  f=client-alert-unknown-ca.pcap
  want $f "ServerHello TLS 1.2" "$SH && tls.handshake.version == 0x0303 && !($SV13)" -eq 1
  want $f "fatal unknown_ca(48) alert from client" "$CLI && tls.alert_message.level == 2 && tls.alert_message.desc == 48" -eq 1
  want $f "no application data" "tls.record.content_type == 23" -eq 0

  f=client-aborted-tls13.pcap
  want $f "ServerHello TLS 1.3" "$SH && $SV13" -eq 1
  want $f "no plaintext alert" "tls.record.content_type == 21" -eq 0
  want $f "one encrypted client record (the alert, 19 bytes)" "$CLI && tls.record.opaque_type == 23 && tls.record.length == 19" -eq 1
  want $f "no client Finished-sized or data record" "$CLI && tls.record.opaque_type == 23 && tls.record.length > 19" -eq 0
  want $f "client closes (FIN or RST)" "$CLI && (tcp.flags.fin == 1 || tcp.flags.reset == 1)" -ge 1

  f=client-alert-unknown-ca-tls13.pcap
  want $f "ServerHello TLS 1.3" "$SH && $SV13" -eq 1
  want $f "PLAINTEXT fatal unknown_ca(48) alert from client" "$CLI && tls.record.content_type == 21 && tls.alert_message.level == 2 && tls.alert_message.desc == 48" -eq 1

  f=not-tls.pcap
  want $f "ClientHello sent (decoded as TLS)" "$CLI && tcp.payload[0:1] == 16 && tcp.payload[5:1] == 01" -eq 1
  want $f "server answers with HTTP/1.1 bytes" "$SRV && tcp.payload[0:9] == \"HTTP/1.1 \"" -eq 1

  f=hrr-tls13.pcap
  want $f "HelloRetryRequest from server" "$SRV && $SH && $HRR" -eq 1
  want $f "two ClientHellos" "$CLI && $CH" -eq 2
  want $f "final ServerHello TLS 1.3" "$SH && $SV13 && !($HRR)" -eq 1
  want $f "application data both ways" "$CLI && tls.record.opaque_type == 23" -ge 2
  want $f "application data both ways" "$SRV && tls.record.opaque_type == 23" -ge 3
  want $f "no plaintext alert" "tls.record.content_type == 21" -eq 0

  f=handshake-incomplete.pcap
  want $f "ServerHello + Certificate" "$SRV && tls.handshake.type == 11" -eq 1
  want $f "no ClientKeyExchange / CCS" "tls.handshake.type == 16 || tls.record.content_type == 20" -eq 0

  f=mid-stream.pcap
  want $f "no SYN" "tcp.flags.syn == 1" -eq 0
  want $f "no handshake records" "tls.record.content_type == 22 || tls.record.content_type == 20" -eq 0
  want $f "application data both ways" "tls.record.content_type == 23" -ge 2

  # every capture: Ethernet, only our addresses, valid checksums
  local g
  for g in "${MADE[@]}"; do
    want "$g" "only 10.77.0.0/24 / fd77::/64 / link-local" \
      "(ip && !(ip.src == 10.77.0.0/24 && ip.dst == 10.77.0.0/24)) || (ipv6 && !((ipv6.src == fd77::/64 || ipv6.src == fe80::/10 || ipv6.src == ::) && (ipv6.dst == fd77::/64 || ipv6.dst == fe80::/10 || ipv6.dst == ff02::/16)))" -eq 0
    [[ $(T "$g" -q -z io,phs) == *eth* ]] || { echo "    FAIL  $g not Ethernet"; FAILS=$((FAILS + 1)); }
    local bad
    bad=$(T "$g" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
            -Y 'ip.checksum.status == 0 || tcp.checksum.status == 0' | wc -l)
    if [[ $bad -eq 0 ]]; then
      printf '    ok    %-32s %s\n' "$g" "IP/TCP checksums all valid"
    else
      printf '    FAIL  %-32s %s bad IP/TCP checksums\n' "$g" "$bad"; FAILS=$((FAILS + 1))
    fi
  done
}

# one tshark line per capture showing its key fact
evidence() {
  log "evidence"
  local f
  ev() { printf '  %s: ' "$1"; shift; T "$@" | tr '\n' ' ' | sed 's/  */ /g'; echo; }
  ev tls13-only-vs-tls12-server.pcap tls13-only-vs-tls12-server.pcap -Y tls.alert_message \
     -T fields -e ip.src -e tls.alert_message.level -e tls.alert_message.desc
  for f in tls12-complete.pcap ipv6-tls12-complete.pcap tls12-client-cert.pcap tls13-complete.pcap; do
    ev $f $f -Y 'tls.handshake.type == 2' -T fields -e tcp.srcport -e tls.handshake.version \
       -e tls.handshake.extensions.supported_version -e tls.handshake.ciphersuite
  done
  ev syn-unanswered.pcap syn-unanswered.pcap -Y 'tcp.flags.syn == 1' -T fields -e frame.time_relative
  ev tcp-refused.pcap tcp-refused.pcap -Y tcp -T fields -e ip.src -e tcp.flags.str
  for f in tcp-closed-before-hello.pcap hello-unanswered.pcap hello-reset.pcap hello-closed.pcap; do
    ev $f $f -Y tcp -T fields -e ip.src -e tcp.flags.str -e tcp.len -e tls.handshake.type
  done
  ev client-alert-unknown-ca.pcap client-alert-unknown-ca.pcap -Y tls.alert_message \
     -T fields -e ip.src -e tls.record.version -e tls.alert_message.level -e tls.alert_message.desc
  ev client-alert-unknown-ca-tls13.pcap client-alert-unknown-ca-tls13.pcap -Y tls.alert_message \
     -T fields -e ip.src -e tls.record.version -e tls.alert_message.level -e tls.alert_message.desc
  ev client-aborted-tls13.pcap client-aborted-tls13.pcap -Y "ip.src == $C4 && tcp.len > 0" \
     -T fields -e tls.record.content_type -e tls.record.opaque_type -e tls.record.length
  ev not-tls.pcap not-tls.pcap -Y "ip.src == $S4 && tcp.len > 0" -T fields -e http.response.version -e http.response.code -e http.response.phrase
  ev hrr-tls13.pcap hrr-tls13.pcap -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' \
     -T fields -e ip.src -e tls.handshake.type -e tls.handshake.extensions_key_share_selected_group \
     -e tls.handshake.extensions_key_share_group
  ev handshake-incomplete.pcap handshake-incomplete.pcap -Y tls -T fields -e ip.src -e tls.handshake.type
  ev mid-stream.pcap mid-stream.pcap -Y 'tcp' -T fields -e tcp.flags.str -e tls.record.content_type
  ev tls12-client-cert.pcap tls12-client-cert.pcap -Y 'tls.handshake.type == 11 || tls.handshake.type == 13' \
     -T fields -e ip.src -e tls.handshake.type -e tls.handshake.certificate_length
}

summary() {
  log "made in $DEST:"
  local g
  printf '    %-32s %8s %8s\n' file bytes packets
  for g in "${MADE[@]}"; do
    printf '    %-32s %8s %8s\n' "$g" "$(stat -c %s "$DEST/$g")" "$(N "$g" frame)"
  done
}

# --------------------------------------------------------------------------
# 5. client logs (mode client-logs): real verbose logs of curl, openssl s_client,
#    gnutls-cli and python, holding planted secrets that the sanitizer must remove
# --------------------------------------------------------------------------
# Every planted value below is listed again in tests/client_log.rs, which asserts that
# none of them survives `pcapscrub sanitize --client-log`.
PLANT_O="Planted Widgets Ltd"
PLANT_OU="Planted Treasury Unit"
PLANT_L="Plantedville"
PLANT_ST="Plantshire"
PLANT_CA_CN="Planted Issuing Authority"
PLANT_LEAF_SERIAL=0x5eed5eed5eed0001
PLANT_COOKIE="session_id=c00k1e5ecret77"
PLANT_USER="planteduser"
PLANT_PASS="plantedpass99"
PLANT_SERVER="PlantedServer/9.9 (planted-internal)"
PLANT_BODY="planted-body-text-confidential"
LOGS=$DEST/client-logs

make_planted_pki() {
  log "generating the planted PKI (identifying DN values) in $PKI/planted"
  local d=$PKI/planted dn="/C=ZZ/ST=$PLANT_ST/L=$PLANT_L/O=$PLANT_O/OU=$PLANT_OU"
  mkdir -p "$d"
  cp "$PKI/leaf.ext" "$d/leaf.ext"
  cp "$PKI/int.ext" "$d/ca.ext"
  cp "$PKI/client.ext" "$d/client.ext"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 730 -keyout "$d/ca.key" \
    -out "$d/ca.pem" -subj "$dn/CN=$PLANT_CA_CN" -set_serial 0x5eed5eed5eed00ca \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" \
    -subj "$dn/CN=$HOST" 2>/dev/null
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -set_serial $PLANT_LEAF_SERIAL -sha256 -days 730 -extfile "$d/leaf.ext" -out "$d/leaf.pem" 2>/dev/null
  # the client's key lives under a path that names its owner, as real ones do
  mkdir -p "$WORK/home/alice/acme keys"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/home/alice/acme keys/alice.key" \
    -out "$d/client.csr" -subj "$dn/CN=alice.pcapscrub-test.example" 2>/dev/null
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
    -set_serial 0x5eed5eed5eed00c1 -sha256 -days 730 -extfile "$d/client.ext" \
    -out "$WORK/home/alice/acme keys/alice.pem" 2>/dev/null
}

write_planted_server() {
  # an HTTPS server that sends a Server header, a cookie and an HTML body
  cat >"$WORK/httpsd.py" <<EOF
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "$PLANT_SERVER"
    def do_GET(self):
        body = b"<html><body><p>$PLANT_BODY</p></body></html>\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "$PLANT_COOKIE; Path=/; Secure")
        self.send_header("Location", "https://$HOST/account/$PLANT_USER")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
ctx.load_verify_locations(sys.argv[5])
ctx.verify_mode = ssl.CERT_OPTIONAL
srv = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.handle_request()
EOF
  # the python client a user would run; its folder names a customer, as real ones do
  mkdir -p "$WORK/home/alice/acme-payments"
  cat >"$WORK/home/alice/acme-payments/check_gateway.py" <<EOF
import urllib.request

GATEWAY_SECRET_URL = "https://$HOST/internal/$PLANT_USER"


def fetch_gateway_status():
    with urllib.request.urlopen(GATEWAY_SECRET_URL, timeout=5) as resp:
        return resp.read()


print(fetch_gateway_status())
EOF
}

# client_log NAME 'shown command line' cmd...: runs the client, writes NAME.log as a user
# pastes it (a "$ command" line, then everything it printed)
client_log() {
  local name=$1 shown=$2; shift 2
  local rc=0
  { printf '$ %s\n' "$shown"
    ip netns exec "$NS_C" timeout 10 "$@" 2>&1 </dev/null || rc=$?
  } >"$OUT/$name.log"
  printf '    %s: client exit code %s, %s lines\n' "$name" "$rc" "$(wc -l <"$OUT/$name.log")"
  MADE+=("$name.log")
}

run_client_logs() {
  local d=$PKI/planted keys="$WORK/home/alice/acme keys" shown
  local S_PLANTED=(openssl s_server -cert "$d/leaf.pem" -key "$d/leaf.key" -WWW -naccept 1
                   -accept "$S4:443")

  scenario curl-ok.log
  start_server 443 python3 "$WORK/httpsd.py" "$S4" 443 "$d/leaf.pem" "$d/leaf.key" "$d/ca.pem"
  shown="curl -v --cacert /etc/pcapscrub-test/ca.pem --cert /home/alice/acme\ keys/alice.pem"
  shown+=" --key /home/alice/acme\ keys/alice.key -u $PLANT_USER:$PLANT_PASS"
  shown+=" -H 'Cookie: $PLANT_COOKIE' https://$HOST/account/$PLANT_USER"
  client_log curl-ok "$shown" curl -v --noproxy '*' --http1.1 --cacert "$d/ca.pem" \
    --cert "$keys/alice.pem" --key "$keys/alice.key" -u "$PLANT_USER:$PLANT_PASS" \
    -H "Cookie: $PLANT_COOKIE" --resolve "$HOST:443:$S4" "https://$HOST/account/$PLANT_USER"
  stop_server

  scenario curl-unknown-ca.log
  start_server 443 "${S_PLANTED[@]}" -tls1_2
  shown="curl -v --tlsv1.2 -u $PLANT_USER:$PLANT_PASS https://$HOST/account/$PLANT_USER"
  client_log curl-unknown-ca "$shown" curl -v --noproxy '*' --tlsv1.2 --tls-max 1.2 \
    --cacert "$PKI/other.pem" -u "$PLANT_USER:$PLANT_PASS" --resolve "$HOST:443:$S4" \
    "https://$HOST/account/$PLANT_USER"
  stop_server

  scenario openssl-s_client.log
  start_server 443 "${S_PLANTED[@]}" -tls1_2
  shown="openssl s_client -connect $S4:443 -servername $HOST -showcerts"
  client_log openssl-s_client "$shown" openssl s_client -connect "$S4:443" -servername "$HOST" \
    -showcerts -CAfile "$PKI/other.pem"
  stop_server

  scenario openssl-s_client-brief.log
  start_server 443 "${S_PLANTED[@]}" -tls1_3
  shown="openssl s_client -brief -connect $S4:443 -servername $HOST"
  client_log openssl-s_client-brief "$shown" openssl s_client -brief -connect "$S4:443" \
    -servername "$HOST" -CAfile "$PKI/other.pem"
  stop_server

  scenario gnutls-cli.log
  start_server 443 "${S_PLANTED[@]}" -tls1_3
  shown="gnutls-cli --x509cafile /etc/pcapscrub-test/other.pem --sni-hostname $HOST -p 443 $S4"
  client_log gnutls-cli "$shown" gnutls-cli --x509cafile "$PKI/other.pem" --sni-hostname "$HOST" \
    --verify-hostname "$HOST" -p 443 "$S4"
  stop_server

  scenario python-urllib.log
  start_server 443 "${S_PLANTED[@]}" -tls1_3
  # the client namespace resolves the test name to the server, for python only
  shown="python3 /home/alice/acme-payments/check_gateway.py"
  printf '%s %s\n' "$S4" "$HOST" >"$WORK/hosts"
  client_log python-urllib "$shown" unshare --mount sh -c \
    "mount --bind '$WORK/hosts' /etc/hosts && cd '$WORK' && exec python3 home/alice/acme-payments/check_gateway.py"
  stop_server
}

check_client_logs() {
  log "checking the client logs"
  local f
  want_in() {  # file text
    if grep -qF -- "$2" "$OUT/$1"; then printf '    ok    %-28s has %s\n' "$1" "$2"
    else printf '    FAIL  %-28s lacks %s\n' "$1" "$2"; FAILS=$((FAILS + 1)); fi
  }
  FAILS=0
  want_in curl-ok.log "$PLANT_SERVER"
  want_in curl-ok.log "$PLANT_BODY"
  want_in curl-ok.log "Set-Cookie: $PLANT_COOKIE"
  want_in curl-ok.log "O=$PLANT_O"
  want_in curl-unknown-ca.log "unable to get local issuer certificate"
  want_in openssl-s_client.log "L = $PLANT_L"
  want_in openssl-s_client.log "BEGIN CERTIFICATE"
  want_in openssl-s_client-brief.log "Protocol version: TLSv1.3"
  want_in gnutls-cli.log "pin-sha256:"
  want_in gnutls-cli.log "OU=$PLANT_OU"
  want_in python-urllib.log "CERTIFICATE_VERIFY_FAILED"
  want_in python-urllib.log "acme-payments"
  # the temporary folder's name varies from run to run: shown as the user's home
  for f in "${MADE[@]}"; do sed -i "s#$WORK/home/#/home/#g; s#$PKI/#/etc/pcapscrub-test/#g" "$OUT/$f"; done
}

main_client_logs() {
  make_pki
  make_planted_pki
  make_net
  write_helpers
  write_planted_server
  mkdir -p "$OUT"
  run_client_logs
  check_client_logs
  if [[ $FAILS -ne 0 ]]; then
    echo "make.sh: $FAILS client-log check(s) failed; samples/client-logs left unchanged" >&2
    exit 1
  fi
  mkdir -p "$LOGS"
  local g
  for g in "${MADE[@]}"; do cp "$OUT/$g" "$LOGS/$g"; done
  log "made in $LOGS: ${MADE[*]}"
}

main() {
  make_pki
  make_net
  write_helpers
  mkdir -p "$OUT"
  run_scenarios
  derive_cuts
  verify
  evidence
  if [[ $FAILS -ne 0 ]]; then
    echo "make.sh: $FAILS verification check(s) failed; samples/ left unchanged" >&2
    exit 1
  fi
  log "all checks passed; copying to $DEST"
  local g
  for g in "${MADE[@]}"; do cp "$OUT/$g" "$DEST/$g"; done
  summary
}

if [[ $MODE == client-logs ]]; then
  main_client_logs
else
  main
fi
