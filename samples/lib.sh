# samples/lib.sh - what samples/make-paths.sh, make-keylogs.sh and make-udp.sh share: the run's
# checks, background processes stopped by PID, the namespaces and temporary directory removed at
# exit, a veth pair between two namespaces, and throw-away test certificates. Sourced, never run.
#
# The sourcing script sets SCRIPT (its name, for messages), NAMESPACES (every namespace it may
# create) and WORK (its mktemp directory) before calling `start_run`.

# Refuses to run without root or without one of the tools named.
require() {  # tool...
  if [[ $(id -u) -ne 0 ]]; then
    echo "$SCRIPT: must be run as root" >&2
    exit 1
  fi
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$SCRIPT: missing tool: $tool" >&2; exit 1; }
  done
}

# Checks the capture names given against those the script makes; sets NAMES (all when none).
choose() {  # "all names" given...
  local all=($1)
  shift
  NAMES=("$@")
  [[ ${#NAMES[@]} -eq 0 ]] && NAMES=("${all[@]}")
  local n
  for n in "${NAMES[@]}"; do
    [[ " ${all[*]} " == *" $n "* ]] || { echo "$SCRIPT: unknown capture: $n" >&2; exit 1; }
  done
}

log() { printf '==> %s\n' "$*"; }

# Background programs: started with `ip netns exec` directly (never through a shell function,
# whose PID would be a subshell's), their PIDs kept here and stopped by PID.
PIDS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

cleanup() {
  local rc=$? ns
  set +e
  stop_all
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$WORK"
  [[ $rc -ne 0 ]] && echo "$SCRIPT: FAILED (exit $rc)" >&2
  exit $rc
}

start_run() {
  trap cleanup EXIT
  local ns
  # Leftovers of an earlier, killed run.
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

# Two namespaces joined by a veth pair, loopback up, no TX checksum offload (so the captured
# checksums are real). Addresses are the caller's.
veth_pair() {  # ns-a dev-a ns-b dev-b
  ip netns add "$1"
  ip netns add "$3"
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  local ns dev
  for spec in "$1:$2" "$3:$4"; do
    ns=${spec%%:*}
    dev=${spec##*:}
    ip -n "$ns" link set lo up
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null 2>&1 || true
    ip -n "$ns" link set "$dev" up
  done
}

# tcpdump on DEV in NS into FILE (its PID kept), packet by packet, then a second to start.
start_tcpdump() {  # ns dev file [filter...]
  local ns=$1 dev=$2 file=$3
  shift 3
  ip netns exec "$ns" tcpdump -i "$dev" -s 0 -U --immediate-mode -w "$file" "$@" \
    >"$WORK/tcpdump.log" 2>&1 &
  PIDS+=($!)
  sleep 1
}

TEST_O="pcapscrub TEST material - not for production"

# A self-signed test CA: $WORK/NAME.key and NAME.pem. KEY: rsa or ec.
test_ca() {  # name key
  local alg=(-newkey rsa:2048)
  [[ $2 == ec ]] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  openssl req -x509 "${alg[@]}" -nodes -sha256 -days 730 -keyout "$WORK/$1.key" \
    -out "$WORK/$1.pem" -subj "/O=$TEST_O/CN=pcapscrub Test $1 CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# A test certificate for DNS-NAME signed by the test CA named: $WORK/NAME.key and NAME.pem.
test_cert() {  # name ca key extended-key-usage dns-name
  local alg=(-newkey rsa:2048)
  [[ $3 == ec ]] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
  openssl req -new "${alg[@]}" -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.csr" \
    -subj "/O=$TEST_O/CN=$5" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' \
    "$4" "$5" >"$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$2.pem" -CAkey "$WORK/$2.key" \
    -CAcreateserial -sha256 -days 730 -extfile "$WORK/$1.ext" -out "$WORK/$1.pem" 2>/dev/null
}

# Puts the test-material comment first in a key log (once).
mark_keylog() {  # file
  grep -q "^# TEST MATERIAL" "$1" && return 0
  { echo "# TEST MATERIAL made by samples/$SCRIPT: throw-away secrets of this capture only"
    cat "$1"; } >"$1.marked"
  mv "$1.marked" "$1"
}
