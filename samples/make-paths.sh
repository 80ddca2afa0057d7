#!/usr/bin/env bash
# samples/make-paths.sh - regenerate the captures in samples/paths/: real TLS handshakes carried
# through tunnels (the inputs the tunnel and path work is measured on).
#
# Usage:   sudo samples/make-paths.sh            (every capture)
#          sudo samples/make-paths.sh gre geneve (only those)
#
# What it makes, one complete TLS 1.3 handshake (curl -> openssl s_server, SNI
# api.pcapscrub-test.example, then an HTTP GET) per capture, seen on the outer link:
#   vxlan.pcap   kernel VXLAN (UDP 4789), inner Ethernet/IPv4
#   gre.pcap     GRE with a key, inner IPv4                    (userspace, samples/encap.py)
#   gretap.pcap  GRE transparent Ethernet bridging, inner Ethernet/IPv4        (userspace)
#   ipip.pcap    IPv4 in IPv4 (IP protocol 4)                                   (userspace)
#   sit.pcap     IPv6 in IPv4 (IP protocol 41), inner IPv6                      (userspace)
#   geneve.pcap  GENEVE (UDP 6081), inner Ethernet/IPv4                         (userspace)
#   gtpu.pcap    GTP-U G-PDU (UDP 2152), inner IPv4                             (userspace)
#   l2tp.pcap    L2TPv2 data messages (UDP 1701) carrying PPP, inner IPv4        (userspace)
#   vxlan-8472.pcap  kernel VXLAN on Linux's legacy port 8472 (found by content), inner IPv4
#   4in6.pcap    ip6tnl mode ipip6: IPv4 in IPv6 (outer fd77:10::1 <-> fd77:10::2)  (kernel
#                or userspace)
#   6in6.pcap    ip6tnl mode ip6ip6: IPv6 in IPv6                               (kernel or userspace)
#   erspan2.pcap ERSPAN type II in GRE (sequence numbers), inner Ethernet/IPv4 (kernel or
#                userspace)
#   erspan3.pcap ERSPAN type III in GRE (timestamps, hardware id), inner Ethernet/IPv4 (kernel
#                or userspace)
#   mpls.pcap    a two-label MPLS stack (ethertype 0x8847) on the outer link, inner IPv4
#                (userspace: the endpoint writes the Ethernet frames itself)
# and, without a tunnel, TLS after a cleartext preamble and a ClientHello in IP fragments:
#   smtp-starttls.pcap   SMTP EHLO / 250-STARTTLS / STARTTLS / 220, then TLS (openssl s_client)
#   imap-starttls.pcap   IMAP CAPABILITY / STARTTLS / OK, then TLS (openssl s_client)
#   postgres-ssl.pcap    PostgreSQL SSLRequest / 'S', then TLS (openssl s_client)
#   postgres-gssenc.pcap PostgreSQL GSSENCRequest refused ('N'), then SSLRequest / 'S' and TLS,
#                        as libpq does with gssencmode=prefer (samples/preamble_client.py,
#                        python's ssl module)
#   connect-proxy.pcap   HTTP CONNECT through a proxy (curl -x), 200, then TLS
#   connect-407.pcap     the proxy refuses the CONNECT: 407 Proxy Authentication Required
#   ftp-auth-tls.pcap    FTP 220 / AUTH TLS / 234, then TLS (openssl s_client -starttls ftp)
#   pop3-stls.pcap       POP3 +OK / STLS / +OK, then TLS (openssl s_client -starttls pop3)
#   ldap-starttls.pcap   LDAP StartTLS ExtendedRequest / success, then TLS (openssl s_client)
#   socks5.pcap          SOCKS5 greeting / no authentication / CONNECT by host name /
#                        succeeded, then TLS (curl --socks5-hostname)
#   socks5-refused.pcap  the SOCKS5 proxy refuses the CONNECT (connection not allowed)
#   socks4a.pcap         SOCKS4a CONNECT with a host name / granted, then TLS (curl --socks4a)
#   xmpp-starttls.pcap   XMPP stream headers, features with <starttls/>, <starttls/> /
#                        <proceed/>, then TLS (openssl s_client -starttls xmpp)
#   mysql-ssl.pcap       MySQL greeting offering SSL / the client's SSL request, then TLS
#                        (openssl s_client -starttls mysql)
#   ipv4-fragments.pcap  the ClientHello in two IPv4 fragments (a router namespace forwards
#                        onto a 400-byte MTU link; the client sends without DF)
#   icmp-frag-needed.pcap       a 1.9 kB ClientHello with DF meets a 576-byte MTU link: the
#                               router's "fragmentation needed", then smaller segments
#   icmpv6-packet-too-big.pcap  the same over IPv6 and a 1280-byte link: "Packet Too Big"
# The preamble servers are samples/preamble_server.py (python, one connection each).
# A kernel tunnel is used where this kernel has the type (`ip link add ... type X` succeeds);
# the others go through samples/encap.py, a userspace endpoint on a TUN/TAP device that writes
# the outer headers as the RFCs lay them out (the inner traffic is still the kernel's own).
#
# Needs root, iproute2, ethtool, tcpdump, openssl (>= 3.0), curl, python3, tshark.
#
# Safety rules (the same as samples/make.sh):
#   - All traffic stays inside two network namespaces this script creates (psp-cli, psp-srv)
#     joined by one veth pair (psp-c0 <-> psp-s0): outer 10.77.10.1 <-> 10.77.10.2, inner
#     10.77.11.1 <-> 10.77.11.2 and fd77:11::1 <-> fd77:11::2; for the fragments a third one
#     (psp-rtr) routes 10.77.12.0/24 <-> 10.77.13.0/24 and fd77:12::/64 <-> fd77:13::/64. No default route, no other interface:
#     nothing can leave them.
#   - Every client is bounded by `timeout`; servers, tunnel endpoints and tcpdump are stopped by
#     their PIDs; namespaces and the temporary directory are removed by an EXIT trap.
#   - The CA and server key are THROW-AWAY TEST MATERIAL made fresh at every run in a mktemp
#     directory and deleted at exit; only the public certificates appear in the captures.
#
# Output: each capture is checked with tshark (the tunnel's protocol present, one ClientHello
# and one ServerHello inside it, no bad checksum) in the temporary directory, and only then
# copied into samples/paths/. Keys, ports and timestamps differ from run to run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=make-paths.sh
DEST=$HERE/paths
ENCAP="$HERE/encap.py"
PREAMBLE="$HERE/preamble_server.py"
PREAMBLE_CLIENT="$HERE/preamble_client.py"
NS_C=psp-cli
NS_S=psp-srv
NS_R=psp-rtr
NAMESPACES=("$NS_C" "$NS_S" "$NS_R")
IF_C=psp-c0
IF_S=psp-s0
OUT_C=10.77.10.1
OUT_S=10.77.10.2
IN_C=10.77.11.1
IN_S=10.77.11.2
IN6_C=fd77:11::1
IN6_S=fd77:11::2
OUT6_C=fd77:10::1
OUT6_S=fd77:10::2
HOST=api.pcapscrub-test.example
# shellcheck source=samples/lib.sh
source "$HERE/lib.sh"
require ip ethtool tcpdump openssl curl python3 tshark timeout
choose "vxlan gre gretap ipip sit geneve gtpu l2tp vxlan-8472 4in6 6in6 erspan2 erspan3 mpls
  smtp-starttls imap-starttls postgres-ssl postgres-gssenc
  connect-proxy connect-407 ftp-auth-tls pop3-stls ldap-starttls socks5 socks5-refused socks4a
  xmpp-starttls mysql-ssl ipv4-fragments icmp-frag-needed icmpv6-packet-too-big" "$@"
WORK=$(mktemp -d /tmp/make-paths.XXXXXX)
start_run

# Foreground commands in a namespace.
cx() { ip netns exec "$NS_C" "$@"; }
sx() { ip netns exec "$NS_S" "$@"; }

make_pki() {
  test_ca ca rsa
  test_cert leaf ca rsa serverAuth "$HOST"
}

make_net() {
  veth_pair "$NS_C" "$IF_C" "$NS_S" "$IF_S"
  local ns dev addr spec
  for spec in "$NS_C:$IF_C:$OUT_C" "$NS_S:$IF_S:$OUT_S"; do
    IFS=: read -r ns dev addr <<<"$spec"
    # IPv6 only where a capture asks for it (sit's inner link, the router's links): no
    # neighbour discovery, router or listener messages cluttering the outer link.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.disable_ipv6=1 \
      net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" addr add "$addr/24" dev "$dev"
  done
}

# Waits until DEVICE exists in namespace NS (a userspace endpoint creates it).
wait_device() {
  local ns=$1 dev=$2 i
  for i in $(seq 50); do
    ip -n "$ns" link show "$dev" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "make-paths.sh: $dev did not appear in $ns" >&2
  return 1
}

# Starts samples/encap.py MODE on both sides (device tnl0) and waits for the devices.
userspace_tunnel() {  # mode client-local client-remote server-local server-remote
  ip netns exec "$NS_C" python3 "$ENCAP" "$1" tnl0 "$2" "$3" >"$WORK/encap-c.log" 2>&1 &
  PIDS+=($!)
  ip netns exec "$NS_S" python3 "$ENCAP" "$1" tnl0 "$4" "$5" >"$WORK/encap-s.log" 2>&1 &
  PIDS+=($!)
  wait_device "$NS_C" tnl0
  wait_device "$NS_S" tnl0
}

# Brings up the tunnel of MODE on both sides as device tnl0 with the inner addresses.
tunnel_up() {
  local mode=$1
  case $mode in
    vxlan | vxlan-8472)
      local port=4789
      [[ $mode == vxlan-8472 ]] && port=8472
      ip -n "$NS_C" link add tnl0 type vxlan id 42 local "$OUT_C" remote "$OUT_S" dstport "$port" dev "$IF_C"
      ip -n "$NS_S" link add tnl0 type vxlan id 42 local "$OUT_S" remote "$OUT_C" dstport "$port" dev "$IF_S"
      ;;
    4in6 | 6in6)
      # The outer link speaks IPv6 for these two only.
      local kmode=ipip6 ns
      [[ $mode == 6in6 ]] && kmode=ip6ip6
      for ns in "$NS_C" "$NS_S"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
      done
      cx sysctl -qw "net.ipv6.conf.$IF_C.disable_ipv6=0"
      sx sysctl -qw "net.ipv6.conf.$IF_S.disable_ipv6=0"
      ip -n "$NS_C" addr add "$OUT6_C/64" dev "$IF_C" nodad 2>/dev/null || true
      ip -n "$NS_S" addr add "$OUT6_S/64" dev "$IF_S" nodad 2>/dev/null || true
      if ip -n "$NS_C" link add tnl0 type ip6tnl mode "$kmode" local "$OUT6_C" remote "$OUT6_S" \
        dev "$IF_C" 2>/dev/null; then
        ip -n "$NS_S" link add tnl0 type ip6tnl mode "$kmode" local "$OUT6_S" remote "$OUT6_C" dev "$IF_S"
      else
        # No ip6tnl in this kernel: the userspace endpoint, over raw IPv6 sockets.
        userspace_tunnel "$mode" "$OUT6_C" "$OUT6_S" "$OUT6_S" "$OUT6_C"
      fi
      ;;
    erspan2 | erspan3)
      local version=1
      [[ $mode == erspan3 ]] && version=2
      if ip -n "$NS_C" link add tnl0 type erspan local "$OUT_C" remote "$OUT_S" seq key 1 \
        erspan_ver "$version" erspan 119 2>/dev/null; then
        ip -n "$NS_S" link add tnl0 type erspan local "$OUT_S" remote "$OUT_C" seq key 1 \
          erspan_ver "$version" erspan 119
      else
        userspace_tunnel "$mode" "$OUT_C" "$OUT_S" "$OUT_S" "$OUT_C"
      fi
      ;;
    mpls)
      # The endpoints write whole frames on the outer link: each names its interface and the
      # peer's MAC address.
      local mac_c mac_s
      mac_c=$(cx cat "/sys/class/net/$IF_C/address")
      mac_s=$(sx cat "/sys/class/net/$IF_S/address")
      userspace_tunnel mpls "$IF_C" "$mac_s" "$IF_S" "$mac_c"
      ;;
    *) userspace_tunnel "$mode" "$OUT_C" "$OUT_S" "$OUT_S" "$OUT_C" ;;
  esac
  local ns in peer
  for spec in "$NS_C:$IN_C:$IN_S:$IN6_C" "$NS_S:$IN_S:$IN_C:$IN6_S"; do
    IFS=: read -r ns in peer _ <<<"$spec"
    ip -n "$ns" link set tnl0 mtu 1400 up
    case $mode in
      sit | 6in6) ;;
      gre | ipip | gtpu | l2tp | 4in6 | mpls) ip -n "$ns" addr add "$in" peer "$peer" dev tnl0 ;;
      *) ip -n "$ns" addr add "$in/24" dev tnl0 ;;
    esac
  done
  if [[ $mode == sit || $mode == 6in6 ]]; then
    cx sysctl -qw net.ipv6.conf.tnl0.disable_ipv6=0
    sx sysctl -qw net.ipv6.conf.tnl0.disable_ipv6=0
    ip -n "$NS_C" addr add "$IN6_C/64" dev tnl0 nodad
    ip -n "$NS_S" addr add "$IN6_S/64" dev tnl0 nodad
  fi
}

tunnel_down() {
  stop_all
  ip -n "$NS_C" link del tnl0 2>/dev/null || true
  ip -n "$NS_S" link del tnl0 2>/dev/null || true
  # IPv6 off again on the outer link (4in6 and 6in6 turned it on).
  cx sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  sx sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# The display filter that finds MODE's outer layer, for the check.
outer_filter() {
  case $1 in
    vxlan) echo vxlan ;;
    gre | gretap) echo gre ;;
    ipip) echo 'ip.proto == 4' ;;
    sit) echo 'ip.proto == 41' ;;
    geneve) echo geneve ;;
    gtpu) echo gtp ;;
    l2tp) echo l2tp ;;
    vxlan-8472) echo 'udp.dstport == 8472' ;;
    4in6) echo 'ipv6.nxt == 4' ;;
    6in6) echo 'ipv6.nxt == 41' ;;
    erspan2) echo 'erspan.version == 1' ;;
    erspan3) echo 'erspan.version == 2' ;;
    mpls) echo 'mpls.bottom == 1' ;;
  esac
}

# Decode-as options the next counts need (VXLAN on a port tshark does not know).
DECODE_AS=()

count() {  # file filter
  tshark -r "$1" "${DECODE_AS[@]}" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -Y "$2" 2>/dev/null | wc -l
}

capture_tunnel() {
  local mode=$1 file="$WORK/$1.pcap" target=$IN_S
  [[ $mode == sit || $mode == 6in6 ]] && target="[$IN6_S]"
  log "capture: $mode"
  tunnel_up "$mode"
  ip netns exec "$NS_S" openssl s_server -quiet -www -accept 443 -cert "$WORK/leaf.pem" -key "$WORK/leaf.key" \
    >"$WORK/server.log" 2>&1 &
  PIDS+=($!)
  start_tcpdump "$NS_C" "$IF_C" "$file"
  cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" \
    --resolve "$HOST:443:$target" "https://$HOST/"
  sleep 0.5
  tunnel_down
  DECODE_AS=()
  [[ $mode == vxlan-8472 ]] && DECODE_AS=(-d udp.port==8472,vxlan)
  local outer hellos servers bad
  outer=$(count "$file" "$(outer_filter "$mode")")
  hellos=$(count "$file" "tls.handshake.type == 1")
  servers=$(count "$file" "tls.handshake.type == 2")
  bad=$(count "$file" "tcp.checksum.status == 2 || ip.checksum.status == 2 || udp.checksum.status == 2")
  if [[ $outer -lt 1 || $hellos -ne 1 || $servers -ne 1 || $bad -ne 0 ]]; then
    echo "make-paths.sh: $mode: outer $outer, ClientHello $hellos, ServerHello $servers, bad checksums $bad" >&2
    cat "$WORK/tcpdump.log" "$WORK/server.log" >&2
    return 1
  fi
  DECODE_AS=()
  log "  $mode: $outer outer packets, 1 ClientHello, 1 ServerHello, 0 bad checksums"
}

# Checks a capture: FILTER matches at least once, ClientHellos and ServerHellos as given ("any"
# when this tshark cannot find them), no bad checksum.
check() {  # name file filter hellos servers
  local name=$1 file=$2 filter=$3 want_c=$4 want_s=$5 found hellos servers bad
  found=$(count "$file" "$filter")
  hellos=$(count "$file" "tls.handshake.type == 1")
  servers=$(count "$file" "tls.handshake.type == 2")
  bad=$(count "$file" "tcp.checksum.status == 2 || ip.checksum.status == 2 || udp.checksum.status == 2")
  [[ $want_c == any ]] && want_c=$hellos
  [[ $want_s == any ]] && want_s=$servers
  if [[ $found -lt 1 || $hellos -ne $want_c || $servers -ne $want_s || $bad -ne 0 ]]; then
    echo "make-paths.sh: $name: '$filter' $found, ClientHello $hellos, ServerHello $servers, bad checksums $bad" >&2
    cp "$file" "${TMPDIR:-/tmp}/make-paths-failed-$name.pcap"
    echo "make-paths.sh: the capture is kept as ${TMPDIR:-/tmp}/make-paths-failed-$name.pcap" >&2
    cat "$WORK/tcpdump.log" "$WORK/server.log" >&2
    return 1
  fi
  log "  $name: '$filter' $found, ClientHello $hellos, ServerHello $servers, 0 bad checksums"
}

# Waits until the preamble server says it listens (a probe connection would use up the one
# connection it serves).
wait_listening() {
  local i
  for i in $(seq 50); do
    grep -q "preamble_server.py: .* on " "$WORK/server.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "make-paths.sh: the preamble server did not start" >&2
  cat "$WORK/server.log" >&2
  return 1
}

capture_preamble() {
  local mode=$1 file="$WORK/$1.pcap"
  log "capture: $mode"
  local server port
  case $mode in
    smtp-starttls) server=smtp port=25 ;;
    imap-starttls) server=imap port=143 ;;
    postgres-ssl | postgres-gssenc) server=postgres port=5432 ;;
    connect-proxy) server=connect port=3128 ;;
    connect-407) server=connect-407 port=3128 ;;
    ftp-auth-tls) server=ftp port=21 ;;
    pop3-stls) server=pop3 port=110 ;;
    ldap-starttls) server=ldap port=389 ;;
    xmpp-starttls) server=xmpp port=5222 ;;
    mysql-ssl) server=mysql port=3306 ;;
    socks5 | socks5-refused | socks4a) server=$mode port=1080 ;;
  esac
  if [[ $mode == connect-proxy || $mode == socks5 || $mode == socks4a ]]; then
    # The TLS server behind the proxy, on the server's loopback.
    ip netns exec "$NS_S" openssl s_server -quiet -www -accept 127.0.0.1:4433 \
      -cert "$WORK/leaf.pem" -key "$WORK/leaf.key" >"$WORK/upstream.log" 2>&1 &
    PIDS+=($!)
  fi
  ip netns exec "$NS_S" python3 "$PREAMBLE" "$server" "$OUT_S" "$port" "$WORK/leaf.pem" \
    "$WORK/leaf.key" 127.0.0.1 4433 >"$WORK/server.log" 2>&1 &
  PIDS+=($!)
  wait_listening
  start_tcpdump "$NS_C" "$IF_C" "$file"
  local s_client=(openssl s_client -connect "$OUT_S:$port" -servername "$HOST" -CAfile "$WORK/ca.pem" -quiet)
  case $mode in
    smtp-starttls) echo QUIT | cx timeout 10 "${s_client[@]}" -starttls smtp >/dev/null 2>&1 ;;
    imap-starttls) echo 'a1 LOGOUT' | cx timeout 10 "${s_client[@]}" -starttls imap >/dev/null 2>&1 ;;
    postgres-ssl) echo X | cx timeout 10 "${s_client[@]}" -starttls postgres >/dev/null 2>&1 ;;
    postgres-gssenc)
      cx timeout 10 python3 "$PREAMBLE_CLIENT" postgres-gssenc "$OUT_S" "$port" "$HOST" \
        "$WORK/ca.pem" >"$WORK/client.log" 2>&1 || { cat "$WORK/client.log" >&2; return 1; }
      ;;
    ftp-auth-tls) echo QUIT | cx timeout 10 "${s_client[@]}" -starttls ftp >/dev/null 2>&1 ;;
    pop3-stls) echo QUIT | cx timeout 10 "${s_client[@]}" -starttls pop3 >/dev/null 2>&1 ;;
    ldap-starttls) echo X | cx timeout 10 "${s_client[@]}" -starttls ldap >/dev/null 2>&1 ;;
    xmpp-starttls)
      echo X | cx timeout 10 "${s_client[@]}" -starttls xmpp -xmpphost "$HOST" >/dev/null 2>&1
      ;;
    mysql-ssl) echo X | cx timeout 10 "${s_client[@]}" -starttls mysql >/dev/null 2>&1 ;;
    socks5 | socks4a)
      local how=--socks5-hostname
      [[ $mode == socks4a ]] && how=--socks4a
      cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" "$how" "$OUT_S:1080" \
        "https://$HOST/"
      ;;
    socks5-refused)
      cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" --socks5-hostname "$OUT_S:1080" \
        "https://$HOST/" 2>/dev/null && { echo "make-paths.sh: the proxy did not refuse" >&2; return 1; }
      ;;
    connect-proxy)
      cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" -x "http://$OUT_S:3128" \
        "https://$HOST/"
      ;;
    connect-407)
      # curl fails (the proxy refuses): that failure is the scenario.
      cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" -x "http://$OUT_S:3128" \
        "https://$HOST/" 2>/dev/null && { echo "make-paths.sh: the proxy did not refuse" >&2; return 1; }
      ;;
  esac
  sleep 0.5
  stop_all
  case $mode in
    smtp-starttls) check "$mode" "$file" 'smtp contains "STARTTLS"' 1 1 ;;
    imap-starttls) check "$mode" "$file" 'imap contains "STARTTLS"' 1 1 ;;
    postgres-ssl) check "$mode" "$file" 'pgsql.type == "SSL request"' 1 1 ;;
    # tshark 4.0's PostgreSQL dissector does not follow an SSLRequest after a refused
    # GSSENCRequest, so it finds no TLS here; the client's exit status said TLS completed.
    postgres-gssenc) check "$mode" "$file" 'pgsql.type == "GSS encrypt request"' any any ;;
    connect-proxy) check "$mode" "$file" 'http.request.method == "CONNECT"' 1 1 ;;
    connect-407) check "$mode" "$file" 'http.response.code == 407' 0 0 ;;
    ftp-auth-tls) check "$mode" "$file" 'ftp.request.command == "AUTH"' 1 1 ;;
    pop3-stls) check "$mode" "$file" 'pop.request.command == "STLS"' 1 1 ;;
    ldap-starttls) check "$mode" "$file" 'ldap.requestName == "1.3.6.1.4.1.1466.20037"' 1 1 ;;
    xmpp-starttls) check "$mode" "$file" 'xmpp.starttls' 1 1 ;;
    mysql-ssl) check "$mode" "$file" 'mysql.caps.sl == 1' 1 1 ;;
    socks5 | socks4a) check "$mode" "$file" 'socks' 1 1 ;;
    socks5-refused) check "$mode" "$file" 'socks' 0 0 ;;
  esac
}

# A router namespace between client (10.77.12.1, fd77:12::1) and server (10.77.13.2,
# fd77:13::2) whose link towards the server has a small MTU. The server advertises an MSS of
# 1400 (advmss), so the client sends a large ClientHello in one segment, which the router then
# fragments (IPv4 without DF) or refuses with an ICMP error (DF set; IPv6 always).
router_up() {  # mtu-towards-server
  ip netns del "$NS_R" 2>/dev/null || true
  ip netns add "$NS_R"
  ip link add psp-c1 netns "$NS_C" type veth peer name psp-r1 netns "$NS_R"
  ip link add psp-s2 netns "$NS_S" type veth peer name psp-r2 netns "$NS_R"
  local spec ns dev addr addr6
  for spec in "$NS_C:psp-c1:10.77.12.1/24:fd77:12::1/64" "$NS_R:psp-r1:10.77.12.254/24:fd77:12::fe/64" \
    "$NS_R:psp-r2:10.77.13.254/24:fd77:13::fe/64" "$NS_S:psp-s2:10.77.13.2/24:fd77:13::2/64"; do
    IFS=: read -r ns dev addr addr6 <<<"$spec"
    addr6=${spec#*/24:}
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
      net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true
    ip -n "$ns" addr add "$addr" dev "$dev"
    ip -n "$ns" addr add "$addr6" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
  done
  ip -n "$NS_R" link set lo up
  ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip -n "$NS_R" link set psp-r2 mtu "$1"
  ip -n "$NS_S" link set psp-s2 mtu "$1"
  ip -n "$NS_C" route add 10.77.13.0/24 via 10.77.12.254
  ip -n "$NS_S" route add 10.77.12.0/24 via 10.77.13.254 advmss 1400
  # IPv6 needs links of 1280 bytes or more: below that the kernel turns it off on the link.
  if [[ $1 -ge 1280 ]]; then
    ip -n "$NS_C" -6 route add fd77:13::/64 via fd77:12::fe
    ip -n "$NS_S" -6 route add fd77:12::/64 via fd77:13::fe advmss 1400
  fi
  ip netns exec "$NS_S" openssl s_server -quiet -www -accept 443 -cert "$WORK/leaf.pem" \
    -key "$WORK/leaf.key" >"$WORK/server.log" 2>&1 &
  PIDS+=($!)
}

router_down() {
  stop_all
  ip netns del "$NS_R"
  ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_no_pmtu_disc=0
}

# An ALPN list long enough to make the ClientHello about 1.9 kB (the size post-quantum key
# shares give real ones), for the captures where the path must refuse it.
long_alpn() {
  local i list=http/1.1
  for i in $(seq 40); do list+=",pcapscrub-test-padding-$i"; done
  echo "$list"
}

capture_router() {
  local mode=$1 file="$WORK/$1.pcap"
  log "capture: $mode"
  case $mode in
    ipv4-fragments)
      # Captured at the server, after the router fragmented the ClientHello.
      router_up 400
      ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_no_pmtu_disc=1
      start_tcpdump "$NS_S" psp-s2 "$file"
      cx timeout 10 curl -sS -o /dev/null --cacert "$WORK/ca.pem" \
        --resolve "$HOST:443:10.77.13.2" "https://$HOST/"
      ;;
    icmp-frag-needed | icmpv6-packet-too-big)
      # Captured at the client: the router's ICMP error, then the smaller retransmission.
      local target=10.77.13.2 mtu=576
      [[ $mode == icmpv6-packet-too-big ]] && target=fd77:13::2 mtu=1280
      router_up "$mtu"
      start_tcpdump "$NS_C" psp-c1 "$file"
      echo Q | cx timeout 10 openssl s_client -connect "[$target]:443" -servername "$HOST" \
        -CAfile "$WORK/ca.pem" -alpn "$(long_alpn)" -quiet >/dev/null 2>&1 || true
      ;;
  esac
  sleep 0.5
  router_down
  case $mode in
    ipv4-fragments) check "$mode" "$file" 'ip.flags.mf == 1' 1 1 ;;
    icmp-frag-needed) check "$mode" "$file" 'icmp.type == 3 && icmp.code == 4' 1 1 ;;
    icmpv6-packet-too-big) check "$mode" "$file" 'icmpv6.type == 2' 1 1 ;;
  esac
}

make_pki
make_net
for mode in "${NAMES[@]}"; do
  case $mode in
    ipv4-fragments | icmp*) capture_router "$mode" ;;
    *-starttls | postgres-* | mysql-ssl | connect-* | ftp-* | pop3-* | socks*)
      capture_preamble "$mode"
      ;;
    *) capture_tunnel "$mode" ;;
  esac
done
mkdir -p "$DEST"
for mode in "${NAMES[@]}"; do
  cp "$WORK/$mode.pcap" "$DEST/$mode.pcap"
done
log "wrote ${NAMES[*]} into $DEST/"
