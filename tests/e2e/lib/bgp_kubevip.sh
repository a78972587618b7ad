# shellcheck shell=bash
# bgp_kubevip.sh: kube-vip in BGP mode against the lab's routers (routers.sh). Source it after
# lab.sh and routers.sh.
#
# In BGP mode the leader puts the VIP on `lo` and announces its host route (/32 or /128) to every
# peer with its own session address as next hop; the followers keep their sessions up and announce
# nothing. No gratuitous ARP (gratuitousARP: false).
#
#   bgp_kv_yaml --node K --peer ADDR,AS[,password=P]... [--hold S] [--keepalive S] [--gr-time S]
#   bgp_write_node_config K --peer ... [lab_write_config options]
#   bgp_t0; ...; bgp_elapsed                      # seconds since bgp_t0, 3 decimals

BGP_KV_AS=65001
BGP_ROUTER_AS=65000
BGP_COMMUNITY=65001:100
BGP_LARGE_COMMUNITY=65001:1:2

# bgp_kv_yaml OPTIONS: the `bgp:` section of node K's configuration. Timers are written with their
# unit ("3s"): the configuration reads a bare number as milliseconds.
#   --node K                   routerID 10.201.0.K (required)
#   --peer ADDR,AS[,password=P][,port=N]   repeatable
#   --hold S --keepalive S     default 3 and 1
#   --source-ip A              sourceIP: every session's source address
#   --gr-time S                gracefulRestartTime (Restart Time of RFC 4724 §3); 0: no Graceful
#                              Restart capability. Default 0: a killed leader's route must go
#                              at once, not linger as stale next to the new leader's.
bgp_kv_yaml() {
  local node="" hold=3 keepalive=1 gr=0 source="" peers=() spec addr as field
  while [ $# -gt 0 ]; do
    case "$1" in
      --node) node=${2#node}; shift ;;
      --peer) peers+=("$2"); shift ;;
      --hold) hold=$2; shift ;;
      --keepalive) keepalive=$2; shift ;;
      --gr-time) gr=$2; shift ;;
      --source-ip) source=$2; shift ;;
      *) echo "bgp_kv_yaml: unknown option $1" >&2; return 1 ;;
    esac
    shift
  done
  [ -n "$node" ] || { echo "bgp_kv_yaml: --node K is required" >&2; return 1; }
  echo "bgp:"
  echo "  routerID: $(lab_ip4 "$node")"
  echo "  as: $BGP_KV_AS"
  echo "  holdTime: ${hold}s"
  echo "  keepaliveInterval: ${keepalive}s"
  echo "  gracefulRestartTime: ${gr}s"
  [ -z "$source" ] || echo "  sourceIP: $source"
  echo "  communities: [\"$BGP_COMMUNITY\"]"
  echo "  largeCommunities: [\"$BGP_LARGE_COMMUNITY\"]"
  echo "  peers:"
  for spec in "${peers[@]}"; do
    IFS=, read -r addr as _ <<<"$spec"
    echo "    - address: $addr"
    echo "      as: $as"
    local -a opts=()
    IFS=, read -r -a opts <<<"${spec#"$addr,$as"}"
    for field in "${opts[@]}"; do
      case "$field" in
        "") ;;
        password=*) echo "      password: ${field#password=}" ;;
        port=*) echo "      port: ${field#port=}" ;;
        *) echo "bgp_kv_yaml: --peer '$spec': unknown option '$field'" >&2; return 1 ;;
      esac
    done
  done
}

# bgp_write_node_config K [bgp_kv_yaml options] [-- lab_write_config options]: writes
# $LAB_DIR/nodeK.yaml (gratuitousARP off, the bgp section appended).
bgp_write_node_config() {
  local k=${1#node} yaml_opts=() lab_opts=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do yaml_opts+=("$1"); shift; done
  [ $# -eq 0 ] || { shift; lab_opts=("$@"); }
  local extra
  extra=$(bgp_kv_yaml --node "$k" "${yaml_opts[@]}") || return 1
  lab_write_config "$LAB_DIR/node$k.yaml" --node "$k" --no-garp "${lab_opts[@]}" --extra "$extra"
}

# bgp_start_node K: (re)starts node K's kube-vip on $LAB_DIR/nodeK.yaml and its own data dir
# (cluster) — see lab_start_cluster_node.
bgp_start_node() { lab_start_cluster_node "node${1#node}"; }

# bgp_t0 / bgp_elapsed: a stopwatch in seconds (wall clock, microseconds).
BGP_T0_US=0
bgp_t0() { BGP_T0_US=$(_lab_us); }
bgp_elapsed() { printf '%.3f' "$((($(_lab_us) - BGP_T0_US) / 1000))e-3"; }

# bgp_measure NAME VAR TIMEOUT CMD...: waits up to TIMEOUT s (from bgp_t0) for CMD; stores the
# seconds since bgp_t0 in VAR and prints "MEASURE NAME = S s"; fails the test on timeout.
bgp_measure() {
  local name=$1 var=$2 timeout=$3 value; shift 3
  wait_until "$timeout" "$@" || fail "$name: not within $timeout s ($*): $(router_route_summary)"
  value=$(bgp_elapsed)
  printf -v "$var" '%s' "$value"
  echo "MEASURE $name = $value s" >&2
}

# What the test's current router has for the test's prefix, on one line (for failure messages).
# Set BGP_ROUTER and BGP_PREFIX before using the conditions below.
BGP_ROUTER=""
BGP_PREFIX=""
router_route_summary() { router_route "$BGP_ROUTER" "$BGP_PREFIX" 2>&1 | xargs; }

# bgp_best_is ADDR: the router's best path for the prefix goes to ADDR, and no other path is left.
bgp_only_via() {
  local hops
  hops=$(router_route_nexthops "$BGP_ROUTER" "$BGP_PREFIX") || return 1
  [ "$hops" = "$1" ] && [ "$(router_route_best "$BGP_ROUTER" "$BGP_PREFIX")" = "$1" ]
}
# bgp_not_via ADDR: no path of the prefix goes to ADDR (absent counts).
bgp_not_via() { ! router_has_route "$BGP_ROUTER" "$BGP_PREFIX" "$1"; }
# bgp_best_via ADDR: the best path goes to ADDR (others may remain).
bgp_best_via() { [ "$(router_route_best "$BGP_ROUTER" "$BGP_PREFIX")" = "$1" ]; }

# bgp_never TIMEOUT CMD...: true if CMD does not succeed once in TIMEOUT seconds.
bgp_never() { ! wait_until "$@"; }

# bgp_all_established R NODE...: every node's session with router R is Established.
bgp_all_established() {
  local r=$1 n; shift
  for n in "$@"; do router_established "$r" "$(lab_ip4 "$n")" || return 1; done
}

# bgp_holder_other_than NODE [VIP]: the first node other than NODE that holds VIP (empty if none).
# A SIGKILLed or frozen leader may keep the address on lo until its lifetime ends; it is not live.
bgp_holder_other_than() {
  lab_vip_holders "${2:-$LAB_VIP4}" | tr ' ' '\n' | grep -vx "$1" | head -n1 || true
}
bgp_has_holder_other_than() { [ -n "$(bgp_holder_other_than "$@")" ]; }

# bgp_single_holder [VIP]: exactly one node holds VIP.
bgp_single_holder() { [ "$(lab_vip_holders "${1:-$LAB_VIP4}" | wc -w)" = 1 ]; }

# bgp_log_since_has NODE LINE PATTERN: NODE's kube-vip log from line LINE on matches PATTERN
# (case-insensitive extended regular expression).
bgp_log_since_has() { tail -n "+$2" "$(lab_kv_log "$1")" | grep -qiE "$3"; }

# bgp_watch_start TAG: samples the next hops of BGP_PREFIX on BGP_ROUTER every ~50 ms into
# $LAB_DIR/TAG.watch ("<seconds since bgp_t0> <next hop>..." lines), in the background, so that a
# path that comes and goes between two checks is still seen. bgp_watch_stop TAG stops it.
bgp_watch_start() {
  local file=$LAB_DIR/$1.watch
  : >"$file"
  (
    while :; do
      echo "$(bgp_elapsed) $(router_route_nexthops "$BGP_ROUTER" "$BGP_PREFIX" 2>/dev/null | xargs)"
      sleep 0.05
    done
  ) >>"$file" 2>/dev/null &
  LAB_BG_PID[$1]=$!
  disown "$!"
}
bgp_watch_stop() { lab_bg_stop "$1" KILL; }

# bgp_watch_never_via TAG ADDR: true if no sample of the watch TAG had a path via ADDR; otherwise
# prints the first such sample.
bgp_watch_never_via() {
  local hit
  hit=$(awk -v a="$2" '{ for (i = 2; i <= NF; i++) if ($i == a) { print; exit } }' "$LAB_DIR/$1.watch")
  [ -z "$hit" ] || { echo "path via $2 seen at: $hit" >&2; return 1; }
}
