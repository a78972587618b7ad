# shellcheck shell=bash
# lab.sh: a throw-away test ground of network namespaces for the kube-vip end-to-end tests.
#
# A lab is one L2 segment: a Linux bridge in a namespace of its own (so the root namespace gets
# no interfaces), N node namespaces and one client namespace, each with a veth `eth0` on the
# bridge. Every name carries a per-run prefix `kv<pid>x<rand>` so concurrent and crashed runs
# never collide; the EXIT/INT/TERM trap kills every process inside the lab (by PID) and deletes
# the namespaces, also when the test fails.
#
#   name     namespace       eth0 MAC             IPv4          IPv6
#   node<K>  <prefix>-n<K>   02:00:00:00:00:0K    10.201.0.K    fd00:201::K
#   client   <prefix>-c      02:00:00:00:00:cc    10.201.0.250  fd00:201::250
#   bridge   <prefix>-br     (bridge br0, ports p-n<K>, p-c; no addresses, IPv6 off)
#   VIP      10.201.0.100 ($LAB_VIP4), fd00:201::100 ($LAB_VIP6)
#
# Usage in a test script (see tests/e2e/lib/README.md for the full reference):
#   set -euo pipefail
#   source "$(dirname "$0")/lib/lab.sh"
#   lab_init "vip: singleNode reaches client"     # traps, stale cleanup, $LAB_DIR
#   lab_create 2                                   # node1, node2, client
#   lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single
#   lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
#   wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
#   check "exactly one holder" [ "$(lab_vip_holders)" = node1 ]
#   lab_pass                                       # optional; the summary line is printed on exit
#
# All helpers return non-zero instead of exiting, except fail/check/assert_*, which end the test.
# Times are seconds (decimals allowed). Requires root, iproute2, nftables, python3.

# ---- constants -------------------------------------------------------------------------------

LAB_NET4_PREFIX=10.201.0
LAB_NET6_PREFIX=fd00:201:
LAB_VIP4=10.201.0.100
LAB_VIP6=fd00:201::100
LAB_RAFT_PORT=10000
LAB_SERVICE_PORT=8080

LAB_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_TOOLS_DIR="$(cd "$LAB_LIB_DIR/../tools" && pwd)"
LAB_SOURCE_DIR="${KUBEVIP_SOURCE_DIR:-$(cd "$LAB_LIB_DIR/../../.." && pwd)}"
KUBEVIP_BIN="${KUBEVIP_BIN:-$LAB_SOURCE_DIR/bin/kube-vip}"
# Debian's interpreter, so tools never depend on a user's Python installation.
LAB_PYTHON="${LAB_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}"

# ---- state of this run -----------------------------------------------------------------------

LAB_PREFIX=""          # kv<pid>x<rand>
LAB_DIR=""             # logs, configs, captures of this run
LAB_NODES=0            # number of node namespaces
LAB_TEST_NAME=""
LAB_CHECKS=0           # assertions passed
LAB_NAMESPACES=()      # every namespace created, in creation order
LAB_FAILED=0
declare -A LAB_KV_PID=()   # node -> PID of its kube-vip
declare -A LAB_KV_LOG=()   # node -> its kube-vip log file
declare -A LAB_BG_PID=()   # tag -> PID of a helper started with lab_bg
LAB_EXIT_CODE=""       # set by lab_stop_kubevip / lab_wait_exit
LAB_EXIT_SECONDS=""
LAB_START_US=0

# ---- small utilities -------------------------------------------------------------------------

# Microseconds of wall-clock time, for durations measured inside bash.
_lab_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# CLOCK_MONOTONIC in seconds; the same clock in every namespace, so tool logs can be merged.
lab_now() { "$LAB_PYTHON" -S -c 'import time; print("%.6f" % time.monotonic())'; }

# log MESSAGE: a timestamped progress line on stderr (seconds since lab_init); LAB_QUIET=1 mutes it.
log() {
  [ -z "${LAB_QUIET:-}" ] || return 0
  local now; now=$(_lab_us)
  printf '[%7.3f] %s\n' "$(((now - LAB_START_US) / 1000))e-3" "$*" >&2
}

# True while PID names a running (not zombie) process.
_lab_pid_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# wait_until TIMEOUT CMD...: runs CMD every 20 ms until it succeeds (0) or TIMEOUT seconds pass (1).
wait_until() {
  local timeout=$1; shift
  local deadline=$(($(_lab_us) + $(_lab_seconds_to_us "$timeout")))
  while true; do
    if "$@"; then return 0; fi
    if [ "$(_lab_us)" -ge "$deadline" ]; then return 1; fi
    sleep 0.02
  done
}

# wait_while TIMEOUT CMD...: the converse, waits until CMD fails.
wait_while() {
  local timeout=$1; shift
  wait_until "$timeout" _lab_not "$@"
}
_lab_not() { ! "$@"; }

_lab_seconds_to_us() {
  local s=$1 int frac
  int=${s%%.*}; [ -n "$int" ] || int=0
  if [[ $s == *.* ]]; then frac=${s#*.}000000; frac=${frac:0:6}; else frac=000000; fi
  echo $((10#$int * 1000000 + 10#$frac))
}

# ---- names and addresses ---------------------------------------------------------------------

# lab_ns NAME: the namespace of node<K> | client | bridge (also accepts a bare K).
lab_ns() {
  case "$1" in
    client) echo "$LAB_PREFIX-c" ;;
    bridge) echo "$LAB_PREFIX-br" ;;
    node[0-9]*) echo "$LAB_PREFIX-n${1#node}" ;;
    [0-9]*) echo "$LAB_PREFIX-n$1" ;;
    *) echo "lab_ns: unknown lab member '$1'" >&2; return 1 ;;
  esac
}
_lab_index() {  # node<K> -> K; client -> 250
  case "$1" in
    client) echo 250 ;;
    node[0-9]*) echo "${1#node}" ;;
    [0-9]*) echo "$1" ;;
    *) echo "unknown lab member '$1'" >&2; return 1 ;;
  esac
}
lab_ip4() { echo "$LAB_NET4_PREFIX.$(_lab_index "$1")"; }
lab_ip6() { echo "$LAB_NET6_PREFIX:$(_lab_index "$1")"; }
lab_mac() {
  if [ "$1" = client ]; then echo 02:00:00:00:00:cc; else printf '02:00:00:00:00:%02x\n' "$(_lab_index "$1")"; fi
}
lab_node_names() { local k; for ((k = 1; k <= LAB_NODES; k++)); do echo "node$k"; done; }

# ---- lifecycle -------------------------------------------------------------------------------

# lab_require PROGRAM...: ends the test at once, naming the first program that is not installed and
# the script that installs it, so a missing tool never shows up later as an unrelated failure.
# Tests call it right after lab_init for every program they run themselves.
lab_require() {
  local program
  for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 && continue
    echo "FAIL ${LAB_TEST_NAME:-$(basename "$0" .sh)}: $program not found: run scripts/install-deps.sh" >&2
    exit 1
  done
}

# lab_init [TEST NAME]: root check, unique prefix, $LAB_DIR, traps, removal of stale labs.
lab_init() {
  LAB_TEST_NAME=${1:-$(basename "$0" .sh)}
  LAB_START_US=$(_lab_us)
  if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL $LAB_TEST_NAME: must run as root (creates network namespaces)" >&2
    exit 1
  fi
  lab_require ip nft timeout "$LAB_PYTHON"
  LAB_PREFIX="kv$$x$(printf '%04x' $((RANDOM % 65536)))"
  LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kubevip-e2e.$LAB_PREFIX.XXXX")
  : >"$LAB_DIR/liveness.log"
  trap '_lab_on_exit' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  trap '_lab_on_err $LINENO "$BASH_COMMAND"' ERR
  lab_cleanup_stale
}

# lab_create [N]: the bridge, N nodes (default 1) and the client, all up and addressed.
lab_create() {
  LAB_NODES=${1:-1}
  local br k
  br=$(lab_ns bridge)
  _lab_netns_add "$br"
  # The bridge namespace only switches frames: no IPv6 of its own, so captures stay readable.
  ip netns exec "$br" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$br" link set lo up
  ip -n "$br" link add br0 type bridge
  ip -n "$br" link set br0 up
  for ((k = 1; k <= LAB_NODES; k++)); do _lab_add_member "node$k"; done
  _lab_add_member client
  log "lab $LAB_PREFIX: $LAB_NODES node(s) + client, files in $LAB_DIR"
}

_lab_netns_add() {
  ip netns add "$1"
  LAB_NAMESPACES+=("$1")
}

_lab_add_member() {
  local name=$1 ns br port idx
  ns=$(lab_ns "$name")
  br=$(lab_ns bridge)
  idx=$(_lab_index "$name")
  if [ "$name" = client ]; then port="p-c"; else port="p-n$idx"; fi
  _lab_netns_add "$ns"
  # Set before eth0 exists so that it inherits them (see LAB-NOTES: tentative IPv6 addresses,
  # IPv6 addresses lost on link down, port exhaustion in load tests).
  ip netns exec "$ns" sysctl -qw \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1 \
    net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000"
  ip -n "$ns" link set lo up
  ip -n "$br" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$br" link set "$port" address "$(printf '02:00:00:00:01:%02x' $((idx % 256)))"
  ip -n "$br" link set "$port" master br0 up
  ip -n "$ns" link set eth0 address "$(lab_mac "$name")"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth0.keep_addr_on_down=1
  ip -n "$ns" addr add "$(lab_ip4 "$name")/24" dev eth0
  ip -n "$ns" addr add "$(lab_ip6 "$name")/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

# lab_cleanup: kills every process in the lab's namespaces (SIGKILL, by PID), deletes them.
# Idempotent; called by the EXIT trap.
lab_cleanup() {
  local ns pid pids=() i
  for ns in "${LAB_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
  done
  for pid in "${LAB_BG_PID[@]}" "${LAB_KV_PID[@]}"; do pids+=("$pid"); done
  # The shell's stderr is closed while our children die: bash reports each "Killed" job there.
  exec 3>&2 2>/dev/null
  for pid in "${pids[@]}"; do kill -KILL "$pid" || true; done
  for ((i = 0; i < 100; i++)); do  # up to 2 s for the kernel to tear them down
    local alive=0
    for pid in "${pids[@]}"; do _lab_pid_alive "$pid" && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.02
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  exec 2>&3 3>&-
  for ((i = ${#LAB_NAMESPACES[@]} - 1; i >= 0; i--)); do
    ip netns del "${LAB_NAMESPACES[$i]}" 2>/dev/null
  done
  LAB_NAMESPACES=()
  LAB_KV_PID=()
  LAB_BG_PID=()
}

# lab_cleanup_stale: removes namespaces named kv<pid>x<hex4>-* whose creating PID is dead
# (leftovers of crashed runs on this machine). Namespaces of live runs are never touched.
lab_cleanup_stale() {
  local ns pid
  while read -r ns _; do
    [[ $ns =~ ^kv([0-9]+)x[0-9a-f]{4}-(n[0-9]+|r[0-9]+|c|br)$ ]] || continue
    pid=${BASH_REMATCH[1]}
    [ -d "/proc/$pid" ] && continue
    log "removing stale namespace $ns (creator $pid is gone)"
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    sleep 0.05
    ip netns del "$ns" 2>/dev/null || true
  done < <(ip netns list 2>/dev/null)
}

_lab_on_err() {
  [ "$LAB_FAILED" = 0 ] || return 0
  echo "FAIL: command failed at line $1: $2" >&2
  LAB_FAILED=1
  _lab_print_context
}

_lab_on_exit() {
  local rc=$? last=$BASH_COMMAND
  set +e
  trap - ERR
  if [ $rc -ne 0 ] && [ $LAB_FAILED = 0 ]; then
    echo "FAIL: exit status $rc; last command: $last" >&2
    _lab_print_context
  fi
  lab_cleanup
  local secs
  secs=$(printf '%.1f' "$((($(_lab_us) - LAB_START_US) / 1000))e-3")
  if [ $rc -eq 0 ]; then
    [ -n "${LAB_KEEP:-}" ] || rm -rf "$LAB_DIR"
    echo "PASS $LAB_TEST_NAME ($LAB_CHECKS checks, ${secs}s)"
  else
    echo "FAIL $LAB_TEST_NAME (exit $rc after $LAB_CHECKS checks, ${secs}s; logs kept in $LAB_DIR)"
  fi
  exit $rc
}

# ---- running things --------------------------------------------------------------------------

# lab_exec NAME CMD...: runs CMD inside the namespace of NAME (node<K>, client, bridge).
lab_exec() {
  local ns; ns=$(lab_ns "$1") || return 1; shift
  ip netns exec "$ns" "$@"
}

# lab_bg TAG NAME CMD...: starts CMD in the background inside NAME's namespace, stdout+stderr to
# $LAB_DIR/TAG.log; its PID is in LAB_BG_PID[TAG]. Killed by lab_bg_stop TAG or the cleanup.
lab_bg() {
  local tag=$1 ns; ns=$(lab_ns "$2") || return 1; shift 2
  ip netns exec "$ns" "$@" >"$LAB_DIR/$tag.log" 2>&1 &
  LAB_BG_PID[$tag]=$!
  disown "$!"  # its exit status is of no interest; bash would report a "Killed" job
}

# lab_bg_stop TAG [SIG]: signals the helper (default TERM) and waits up to 5 s for it to exit.
lab_bg_stop() {
  local pid=${LAB_BG_PID[$1]:-}
  [ -n "$pid" ] || return 0
  exec 3>&2 2>/dev/null  # no "Killed" job report from bash
  kill "-${2:-TERM}" "$pid" || true
  wait_while 5 _lab_pid_alive "$pid" || kill -KILL "$pid" || true
  wait "$pid" || true
  exec 2>&3 3>&-
  unset "LAB_BG_PID[$1]"
  return 0
}

# lab_start_kubevip NODE CONFIG [LOGFILE [ARG...]]: starts `kube-vip start -c CONFIG --log debug
# ARG...` in the node's namespace in the background (default log $LAB_DIR/NODE.kubevip.log,
# appended across restarts; pass "" to keep it when giving ARGs, e.g. --data-dir DIR); the PID is
# in LAB_KV_PID[NODE]. The nodes share one file system, so each gets its own control socket,
# $LAB_DIR/NODE.sock (lab_kv_socket), for `kube-vip status` and `kube-vip reload`.
lab_start_kubevip() {
  local node=$1 config=$2 logfile=${3:-$LAB_DIR/$1.kubevip.log} ns
  shift 2; [ $# -eq 0 ] || shift
  ns=$(lab_ns "$node") || return 1
  [ -x "$KUBEVIP_BIN" ] || { echo "kube-vip binary not found at $KUBEVIP_BIN" >&2; return 1; }
  echo "==== $(date -u +%T.%N) start $KUBEVIP_BIN start -c $config --log debug $*" >>"$logfile"
  # Background jobs of a script start with SIGINT ignored; give the daemon the default
  # dispositions a service manager would, so SIGINT tests mean something.
  ip netns exec "$ns" env --default-signal=INT,QUIT "$KUBEVIP_BIN" start -c "$config" --log debug \
    --statusSocket "$(lab_kv_socket "$node")" "$@" >>"$logfile" 2>&1 &
  LAB_KV_PID[$node]=$!
  LAB_KV_LOG[$node]=$logfile
  log "$node: kube-vip started (pid ${LAB_KV_PID[$node]}, config $(basename "$config"))"
}

# lab_kv_socket NODE: the control socket of the node's kube-vip.
lab_kv_socket() { echo "$LAB_DIR/$1.sock"; }

# lab_start_single NODE [VIP] [lab_write_config options...]: writes $LAB_DIR/NODE.yaml for a
# singleNode instance (default VIP $LAB_VIP4), starts it and waits up to 5 s for the VIP.
lab_start_single() {
  local node=$1 vip=${2:-$LAB_VIP4}
  shift $(($# >= 2 ? 2 : 1))
  lab_write_config "$LAB_DIR/$node.yaml" --node "$node" --single --vip "$vip" "$@"
  lab_start_kubevip "$node" "$LAB_DIR/$node.yaml"
  wait_until 5 lab_has_vip "$node" "$vip" || fail "$node: singleNode kube-vip did not add $vip within 5 s"
  log "$node: holds $vip"
}

# lab_start_cluster [lab_write_config options...]: writes $LAB_DIR/nodeK.yaml for every node as
# the members of one Raft cluster (node1 with startAsLeader) and starts each kube-vip on its own
# data dir. Does not wait: see lab_wait_leader.
lab_start_cluster() {
  local k n leader_opt
  n=$(lab_node_names | wc -w)
  for k in $(seq 1 "$n"); do
    leader_opt=()
    [ "$k" != 1 ] || leader_opt=(--start-as-leader)
    lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --nodes "$n" "${leader_opt[@]}" "$@"
    lab_start_cluster_node "node$k"
  done
}

# lab_start_cluster_node NODE: (re)starts NODE's kube-vip on its cluster config and data dir.
lab_start_cluster_node() {
  lab_start_kubevip "$1" "$LAB_DIR/$1.yaml" "" --data-dir "$LAB_DIR/raft.$1"
}

# lab_wait_leader [VIP]: waits up to 5 s for exactly one node to hold VIP (default $LAB_VIP4),
# lets the cluster settle for 1 s and sets LAB_LEADER to that node.
lab_wait_leader() {
  local vip=${1:-$LAB_VIP4}
  wait_until 5 eval '[ "$(lab_vip_holders "$vip" | wc -w)" = 1 ]' ||
    fail "no single VIP holder within 5 s"
  sleep 1
  LAB_LEADER=$(lab_vip_holders "$vip")
}

# lab_kubevip_running NODE: true while NODE's kube-vip process runs.
lab_kubevip_running() {
  local pid=${LAB_KV_PID[$1]:-}
  [ -n "$pid" ] && _lab_pid_alive "$pid"
}

# lab_kill NODE [SIG]: sends SIG (default TERM) to NODE's kube-vip; does not wait.
lab_kill() {
  local pid=${LAB_KV_PID[$1]:-}
  [ -n "$pid" ] || { echo "lab_kill: no kube-vip on $1" >&2; return 1; }
  kill "-${2:-TERM}" "$pid"
  log "$1: sent SIG${2:-TERM} to kube-vip (pid $pid)"
}

# lab_wait_exit NODE TIMEOUT: waits for NODE's kube-vip to exit; sets LAB_EXIT_CODE (its exit
# status, or 128+signal) and returns 1 if it is still running after TIMEOUT seconds.
lab_wait_exit() {
  local pid=${LAB_KV_PID[$1]:-}
  [ -n "$pid" ] || return 1
  wait_while "$2" _lab_pid_alive "$pid" || return 1
  LAB_EXIT_CODE=0
  wait "$pid" || LAB_EXIT_CODE=$?
  unset "LAB_KV_PID[$1]"
  return 0
}

# lab_stop_kubevip NODE [SIG] [TIMEOUT]: sends SIG (default TERM), waits up to TIMEOUT (default
# 5 s); sets LAB_EXIT_CODE and LAB_EXIT_SECONDS (signal to exit). Returns 1 on timeout.
lab_stop_kubevip() {
  local node=$1 sig=${2:-TERM} timeout=${3:-5} t0
  t0=$(_lab_us)
  lab_kill "$node" "$sig" || return 1
  lab_wait_exit "$node" "$timeout" || return 1
  LAB_EXIT_SECONDS=$(printf '%.3f' "$((($(_lab_us) - t0) / 1000))e-3")
  log "$node: kube-vip exited with $LAB_EXIT_CODE after ${LAB_EXIT_SECONDS}s"
}

# lab_kv_log NODE: the path of NODE's kube-vip log.
lab_kv_log() { echo "${LAB_KV_LOG[$1]:-$LAB_DIR/$1.kubevip.log}"; }

# ---- faults ----------------------------------------------------------------------------------

# lab_link_down NODE / lab_link_up NODE: sets the node's eth0 down/up and records it in
# $LAB_DIR/liveness.log, so the holder checker does not count a downed node. The time is
# taken after "down" and before "up": the node counts as live for the longer span.
lab_link_down() {
  lab_exec "$1" ip link set eth0 down
  echo "$(lab_now) $1 down" >>"$LAB_DIR/liveness.log"
  log "$1: link down"
}
lab_link_up() {
  echo "$(lab_now) $1 up" >>"$LAB_DIR/liveness.log"
  lab_exec "$1" ip link set eth0 up
  log "$1: link up"
}

# lab_mark_dead NODE / lab_mark_alive NODE: tells the holder checker that NODE does not count
# from now on (e.g. a node the test considers lost) / counts again.
lab_mark_dead() { echo "$(lab_now) $1 dead" >>"$LAB_DIR/liveness.log"; }
lab_mark_alive() { echo "$(lab_now) $1 alive" >>"$LAB_DIR/liveness.log"; }

# lab_partition NODE [PEER...]: drops traffic with nftables inside NODE's namespace. Without
# PEERs, everything on eth0 (IPv4, IPv6, ARP) both ways; with PEERs, only traffic to and from
# those lab members' addresses (and ARP for them). The node stays "live" for the holder checker.
lab_partition() {
  local node=$1; shift
  local rules="" arprules="" peer
  if [ $# -eq 0 ]; then
    rules="iifname eth0 drop; oifname eth0 drop;"
    arprules="drop;"
  else
    for peer in "$@"; do
      rules+="ip saddr $(lab_ip4 "$peer") drop; ip daddr $(lab_ip4 "$peer") drop; "
      rules+="ip6 saddr $(lab_ip6 "$peer") drop; ip6 daddr $(lab_ip6 "$peer") drop; "
      arprules+="arp saddr ip $(lab_ip4 "$peer") drop; arp daddr ip $(lab_ip4 "$peer") drop; "
    done
  fi
  lab_exec "$node" nft -f - <<EOF
table inet kvlab_partition {
  chain in { type filter hook input priority -300; $rules }
  chain out { type filter hook output priority -300; $rules }
}
table arp kvlab_partition {
  chain in { type filter hook input priority -300; $arprules }
  chain out { type filter hook output priority -300; $arprules }
}
EOF
  log "$node: partitioned${*:+ from $*}"
}

# lab_heal NODE: removes the partition rules of NODE.
lab_heal() {
  lab_exec "$1" nft delete table inet kvlab_partition 2>/dev/null
  lab_exec "$1" nft delete table arp kvlab_partition 2>/dev/null
  log "$1: partition healed"
  return 0
}

# ---- configuration ---------------------------------------------------------------------------

# lab_write_config FILE --node K [options]: writes a kube-vip YAML configuration for node K.
#   --single            singleNode: true, no remote peers (default for --nodes 1)
#   --nodes N           a cluster of N nodes: peers nodeJ at 10.201.0.J:10000 (default $LAB_NODES)
#   --vip ADDR          default $LAB_VIP4 (use $LAB_VIP6 for IPv6)
#   --start-as-leader   startAsLeader: true
#   --no-garp           gratuitousARP: false
#   --lifetime S --renew MS --announce MS --burst N   vipTiming (defaults 1s, 200ms, 3s, 3)
#   --extra YAML        appended verbatim (e.g. loadBalancers or election settings)
lab_write_config() {
  local file=$1; shift
  local node="" single="" nodes=$LAB_NODES vip=$LAB_VIP4 leader=false garp=true
  local lifetime=1s renew=200ms announce=3s burst=3 extra=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --node) node=$2; shift ;;
      --single) single=1 ;;
      --nodes) nodes=$2; shift ;;
      --vip) vip=$2; shift ;;
      --start-as-leader) leader=true ;;
      --no-garp) garp=false ;;
      --lifetime) lifetime=$2; shift ;;
      --renew) renew=$2; shift ;;
      --announce) announce=$2; shift ;;
      --burst) burst=$2; shift ;;
      --extra) extra=$2; shift ;;
      *) echo "lab_write_config: unknown option $1" >&2; return 1 ;;
    esac
    shift
  done
  node=${node#node}
  [ -n "$node" ] || { echo "lab_write_config: --node K is required" >&2; return 1; }
  [ "$nodes" -le 1 ] && single=1
  {
    echo "# kube-vip configuration for node$node (lab $LAB_PREFIX)"
    echo "localPeer:"
    echo "  id: node$node"
    echo "  address: $(lab_ip4 "$node")"
    echo "  port: $LAB_RAFT_PORT"
    if [ -n "$single" ]; then
      echo "remotePeers: []"
    else
      echo "remotePeers:"
      local j
      for ((j = 1; j <= nodes; j++)); do
        [ "$j" = "$node" ] && continue
        echo "  - id: node$j"
        echo "    address: $(lab_ip4 "$j")"
        echo "    port: $LAB_RAFT_PORT"
      done
    fi
    echo "vip: $vip"
    echo "interface: eth0"
    echo "gratuitousARP: $garp"
    echo "singleNode: $([ -n "$single" ] && echo true || echo false)"
    echo "startAsLeader: $leader"
    echo "vipTiming:"
    echo "  lifetime: $lifetime"
    echo "  renewInterval: $renew"
    echo "  announceInterval: $announce"
    echo "  announceBurst: $burst"
    [ -z "$extra" ] || printf '%s\n' "$extra"
  } >"$file"
}

# ---- observing the VIP -----------------------------------------------------------------------

# lab_has_vip NODE [VIP]: true if NODE's namespace holds VIP (default $LAB_VIP4) on any interface.
lab_has_vip() {
  local vip=${2:-$LAB_VIP4} out try
  # A failed query is not an absent VIP: say why on stderr and ask again (a loaded machine has
  # been seen returning nothing for every node at once, which read as "no holder").
  for try in 1 2 3; do
    if out=$(lab_exec "$1" ip -o addr show 2>&1); then
      grep -qF " $vip/" <<<"$out"
      return
    fi
    echo "lab_has_vip $1: query $try failed: $out" >&2
    sleep 0.05
  done
  return 2
}

# lab_vip_holders [VIP]: the nodes holding VIP now, space-separated (empty if none).
lab_vip_holders() {
  local vip=${1:-$LAB_VIP4} n out=()
  for n in $(lab_node_names); do lab_has_vip "$n" "$vip" && out+=("$n"); done
  echo "${out[*]}"
}

# lab_vip_addr_line NODE [VIP]: the `ip -o addr` line of VIP on NODE (lifetimes and flags).
lab_vip_addr_line() {
  local vip=${2:-$LAB_VIP4}
  lab_exec "$1" ip -o addr show 2>/dev/null | grep -F " $vip/"
}

# lab_neigh_mac NAME IP: the link-layer address NAME's neighbour table has for IP (empty if none).
lab_neigh_mac() {
  lab_exec "$1" ip neigh show "$2" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'
}

# lab_holders_start [VIP]: starts tools/holders.py watch in every node namespace (one per
# namespace, logs $LAB_DIR/holders.nodeK.log) and waits until each has recorded its first state.
lab_holders_start() {
  local vip=${1:-$LAB_VIP4} n
  for n in $(lab_node_names); do
    : >"$LAB_DIR/holders.$n.tsv"
    lab_bg "holders.$n" "$n" "$LAB_PYTHON" "$LAB_TOOLS_DIR/holders.py" watch --node "$n" --vip "$vip" \
      --out "$LAB_DIR/holders.$n.tsv"
  done
  for n in $(lab_node_names); do
    wait_until 5 grep -qs '^[0-9]' "$LAB_DIR/holders.$n.tsv" ||
      fail "VIP holder watcher on $n did not start"
  done
}

# lab_holders_check [ARGS...]: stops the watchers and runs holders.py overlap on their logs and
# liveness.log; prints its JSON report; returns its status (1 = two live holders at once).
# ARGS are passed on (e.g. --tolerance 0.005).
lab_holders_check() {
  local n files=()
  for n in $(lab_node_names); do
    lab_bg_stop "holders.$n"
    files+=("$LAB_DIR/holders.$n.tsv")
  done
  "$LAB_PYTHON" "$LAB_TOOLS_DIR/holders.py" overlap --liveness "$LAB_DIR/liveness.log" "$@" "${files[@]}"
}

# ---- services and probing --------------------------------------------------------------------

# lab_start_servers [PORT]: tools/node_server.py in every node namespace (answers its name).
lab_start_servers() {
  local port=${1:-$LAB_SERVICE_PORT} n
  for n in $(lab_node_names); do
    lab_bg "server.$n" "$n" "$LAB_PYTHON" "$LAB_TOOLS_DIR/node_server.py" --name "$n" --port "$port"
  done
  for n in $(lab_node_names); do
    wait_until 5 _lab_listening "$n" "$port" || fail "node_server on $n did not start"
  done
}
_lab_listening() { [ -n "$(lab_exec "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]; }

# lab_fetch ADDR [PORT] [FROM]: one TCP connection from FROM (default client) to ADDR:PORT;
# prints the answering node's name; fails if nobody answers within 1 s.
lab_fetch() {
  local addr=$1 port=${2:-$LAB_SERVICE_PORT} from=${3:-client}
  lab_exec "$from" "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" once --target "$addr" --port "$port" --timeout 1
}

# lab_prober_start ADDR [PORT]: tools/prober.py in the client namespace, one connect every 20 ms;
# log $LAB_DIR/prober.tsv.
lab_prober_start() {
  local addr=$1 port=${2:-$LAB_SERVICE_PORT}
  lab_bg prober client "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" run --target "$addr" --port "$port" \
    --out "$LAB_DIR/prober.tsv"
  wait_until 5 grep -qs '^[0-9]' "$LAB_DIR/prober.tsv" || fail "prober did not start"
}

# lab_prober_analyze EVENT_TIME: stops the prober; prints JSON {takeover_s, gap_s, ...} for the
# event at EVENT_TIME (a lab_now value).
lab_prober_analyze() {
  lab_bg_stop prober
  "$LAB_PYTHON" "$LAB_TOOLS_DIR/prober.py" analyze --event "$1" "$LAB_DIR/prober.tsv"
}

# ---- captures --------------------------------------------------------------------------------

# lab_capture_start TAG NAME FILTER: tcpdump on NAME's eth0 into $LAB_DIR/TAG.pcap; returns once
# tcpdump is listening.
lab_capture_start() {
  local tag=$1 name=$2; shift 2
  lab_bg "cap.$tag" "$name" tcpdump -i eth0 --immediate-mode -U -n -w "$LAB_DIR/$tag.pcap" "$@"
  wait_until 5 grep -qs 'listening on' "$LAB_DIR/cap.$tag.log" || fail "tcpdump $tag did not start"
}

# lab_capture_stop TAG: stops the capture (letting tcpdump flush) and prints the pcap's path.
lab_capture_stop() {
  sleep 0.1  # frames still in flight on the veth pair
  lab_bg_stop "cap.$1" INT
  echo "$LAB_DIR/$1.pcap"
}

# lab_tshark PCAP DISPLAY_FILTER FIELD...: one line per matching frame, fields separated by '|'.
lab_tshark() {
  local pcap=$1 filter=$2; shift 2
  local args=() f
  for f in "$@"; do args+=(-e "$f"); done
  tshark -r "$pcap" -Y "$filter" -T fields -E separator='|' "${args[@]}" 2>/dev/null
}

# ---- assertions ------------------------------------------------------------------------------

# fail MESSAGE: prints MESSAGE, the lab's state (VIP holders, addresses, neighbour tables, tail of
# every kube-vip log) and ends the test with status 1.
fail() {
  echo "FAIL: $*" >&2
  [ "$LAB_FAILED" = 1 ] || { LAB_FAILED=1; _lab_print_context; }
  exit 1
}

_lab_print_context() {
  [ -n "$LAB_PREFIX" ] && [ ${#LAB_NAMESPACES[@]} -gt 0 ] || return 0
  local saved_trap; saved_trap=$(trap -p ERR)
  trap - ERR
  {
    echo "---- context (lab $LAB_PREFIX, files in $LAB_DIR)"
    echo "VIP holders: v4=[$(lab_vip_holders "$LAB_VIP4")] v6=[$(lab_vip_holders "$LAB_VIP6")]"
    local n
    for n in $(lab_node_names) client; do
      echo "-- $n addresses:"
      lab_exec "$n" ip -br addr show dev eth0 2>/dev/null | sed 's/^/   /'
      lab_exec "$n" ip addr show dev eth0 2>/dev/null | grep -E "$LAB_VIP4/|$LAB_VIP6/" -A1 | sed 's/^/   /' || true
    done
    echo "-- client neighbours:"
    lab_exec client ip neigh show dev eth0 2>/dev/null | sed 's/^/   /'
    for n in "${!LAB_KV_LOG[@]}"; do
      echo "-- tail of $n kube-vip log (${LAB_KV_LOG[$n]}):"
      tail -n 25 "${LAB_KV_LOG[$n]}" 2>/dev/null | sed 's/^/   /'
    done
    echo "----"
  } >&2 || true
  eval "$saved_trap"
}

# check DESCRIPTION CMD...: runs CMD; fails the test with DESCRIPTION if it does not succeed.
check() {
  local what=$1; shift
  if "$@"; then
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $what"
  else
    fail "$what (command: $*)"
  fi
}

# assert_eq EXPECTED ACTUAL DESCRIPTION
assert_eq() {
  if [ "$1" == "$2" ]; then
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $3 (= '$2')"
  else
    fail "$3: expected '$1', got '$2'"
  fi
}

# assert_ne UNEXPECTED ACTUAL DESCRIPTION
assert_ne() {
  if [ "$1" != "$2" ]; then
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $3 ('$2')"
  else
    fail "$3: got '$2'"
  fi
}

# assert_contains HAYSTACK NEEDLE DESCRIPTION
assert_contains() {
  if [[ $1 == *"$2"* ]]; then
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $3"
  else
    fail "$3: '$2' not found in: $1"
  fi
}

# assert_le A B DESCRIPTION: numeric A <= B (decimals allowed).
assert_le() {
  if awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; then
    LAB_CHECKS=$((LAB_CHECKS + 1))
    log "ok: $3 ($1 <= $2)"
  else
    fail "$3: expected $1 <= $2"
  fi
}

# json_get JSON KEY: the value of a top-level key of a JSON object ("None" for null).
json_get() {
  "$LAB_PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# lab_pass [MESSAGE]: logs a final note; the PASS summary line is printed by the exit trap.
lab_pass() { log "all checks passed${1:+: $1}"; }

# lab_require_kubevip: fails early, with a clear message, if the daemon binary is missing.
lab_require_kubevip() {
  [ -x "$KUBEVIP_BIN" ] || fail "kube-vip binary not found at $KUBEVIP_BIN (build it with make)"
}
