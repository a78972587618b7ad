# shellcheck shell=bash
# routers.sh: real BGP routers (BIRD 2, FRR 8.4, GoBGP 3.10) as peers of the lab's nodes.
#
# Source it after lab.sh. Each router gets a namespace of its own on the lab segment, next to the
# nodes and the client, and is cleaned up with the lab (its processes run inside the namespace, so
# lab_cleanup SIGKILLs them and deletes the namespace, also when the test fails):
#
#   name   namespace     eth0 MAC            IPv4           IPv6
#   r<K>   <prefix>-r<K> 02:00:00:00:02:0K   10.201.0.20K   fd00:201::20K     (K = 1..9)
#
#   router_create r1                                   # namespace and link
#   router_start r1 bird --as 65000 --hold 3 \
#     --neighbor 10.201.0.1,65001,password=secret --neighbor fd00:201::1,65001,passive
#   router_wait_established r1 10.201.0.1 10
#   router_route r1 10.201.0.100/32      # "absent", or: present / nexthop A / best A /
#                                        #   community X / large-community X / stale A
#   router_route_best r1 10.201.0.100/32 # the best path's next hop
#
# Every router imports everything from every neighbour, is the helper (receiving) side of
# Graceful Restart (RFC 4724) unless --gr off, and carries IPv4 and IPv6 unicast on every session
# unless a neighbour says families=ipv4 or families=ipv6. BIRD exports nothing; FRR and GoBGP
# export what they learn to their other neighbours, as they do by default (a speaker must ignore
# routes it is sent). Reads go through each router's own CLI (birdc, vtysh, gobgp); the text is
# turned into the common form above by tools/router_cli.py.

ROUTERS_FRR_DIR=/usr/lib/frr
ROUTERS_GOBGP_API_PORT=50051

declare -A ROUTER_KIND=()   # r<K> -> bird | frr | gobgp

# ---- names and the namespace -----------------------------------------------------------------

_router_index() {
  [[ $1 =~ ^r([1-9])$ ]] || { echo "routers: '$1' is not a router name (r1..r9)" >&2; return 1; }
  echo "${BASH_REMATCH[1]}"
}
router_ns() { local k; k=$(_router_index "$1") || return 1; echo "$LAB_PREFIX-r$k"; }
router_ip4() { local k; k=$(_router_index "$1") || return 1; echo "$LAB_NET4_PREFIX.20$k"; }
router_ip6() { local k; k=$(_router_index "$1") || return 1; echo "$LAB_NET6_PREFIX:20$k"; }
router_dir() { echo "$LAB_DIR/router.$1"; }

# router_exec R CMD...: runs CMD in the router's namespace.
router_exec() {
  local ns; ns=$(router_ns "$1") || return 1; shift
  ip netns exec "$ns" "$@"
}

# router_create R: the router's namespace, its eth0 on the lab bridge, addressed and up.
router_create() {
  local r=$1 k ns br port
  k=$(_router_index "$r") || return 1
  ns=$(router_ns "$r")
  br=$(lab_ns bridge)
  port="p-r$k"
  _lab_netns_add "$ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
  ip -n "$ns" link set lo up
  ip -n "$br" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$br" link set "$port" address "02:00:00:00:03:0$k"
  ip -n "$br" link set "$port" master br0 up
  ip -n "$ns" link set eth0 address "02:00:00:00:02:0$k"
  ip -n "$ns" addr add "$(router_ip4 "$r")/24" dev eth0
  ip -n "$ns" addr add "$(router_ip6 "$r")/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
  mkdir -p "$(router_dir "$r")"
  log "$r: namespace $ns, $(router_ip4 "$r") $(router_ip6 "$r")"
}

# ---- configuration -----------------------------------------------------------------------------

# Parsed by router_start; one entry per --neighbor, fields separated by '|':
#   address|as|password|passive(0/1)|families(ipv4 ipv6)|extended next hop(0/1)
_ROUTER_NEIGHBORS=()
_ROUTER_OPT_AS=""
_ROUTER_OPT_ID=""
_ROUTER_OPT_HOLD=9
_ROUTER_OPT_KEEPALIVE=3
_ROUTER_OPT_GR=helper
_ROUTER_OPT_GR_TIME=120
_ROUTER_OPT_PORT=179

_router_parse_options() {
  _ROUTER_NEIGHBORS=()
  _ROUTER_OPT_AS=""
  _ROUTER_OPT_ID=""
  _ROUTER_OPT_HOLD=9
  _ROUTER_OPT_KEEPALIVE=""
  _ROUTER_OPT_GR=helper
  _ROUTER_OPT_GR_TIME=120
  _ROUTER_OPT_PORT=179
  local spec field addr as password passive families enh
  while [ $# -gt 0 ]; do
    case "$1" in
      --as) _ROUTER_OPT_AS=$2; shift ;;
      --router-id) _ROUTER_OPT_ID=$2; shift ;;
      --hold) _ROUTER_OPT_HOLD=$2; shift ;;
      --keepalive) _ROUTER_OPT_KEEPALIVE=$2; shift ;;
      --gr) _ROUTER_OPT_GR=$2; shift ;;
      --gr-time) _ROUTER_OPT_GR_TIME=$2; shift ;;
      --port) _ROUTER_OPT_PORT=$2; shift ;;
      --neighbor)
        spec=$2; shift
        IFS=, read -r addr as field <<<"$spec"
        if [ -z "$addr" ] || ! [[ $as =~ ^[0-9]+$ ]]; then
          echo "router_start: --neighbor '$spec': expected ADDRESS,AS[,options]" >&2
          return 1
        fi
        password="" passive=0 families="ipv4 ipv6" enh=0
        local -a opts=()
        IFS=, read -r -a opts <<<"${spec#"$addr,$as"}"
        for field in "${opts[@]}"; do
          case "$field" in
            "") ;;
            password=*) password=${field#password=} ;;
            passive) passive=1 ;;
            extended-nexthop) enh=1 ;;
            families=ipv4 | families=ipv6) families=${field#families=} ;;
            *) echo "router_start: --neighbor '$spec': unknown option '$field'" >&2; return 1 ;;
          esac
        done
        _ROUTER_NEIGHBORS+=("$addr|$as|$password|$passive|$families|$enh")
        ;;
      *) echo "router_start: unknown option '$1'" >&2; return 1 ;;
    esac
    shift
  done
  [ -n "$_ROUTER_OPT_AS" ] || { echo "router_start: --as AS is required" >&2; return 1; }
  [ "$_ROUTER_OPT_PORT" = 179 ] || [ "${ROUTER_KIND_STARTING:-}" = gobgp ] || {
    echo "router_start: --port is supported for gobgp only" >&2; return 1; }
  case "$_ROUTER_OPT_GR" in helper | full | off) ;; *)
    echo "router_start: --gr '$_ROUTER_OPT_GR': expected helper, full or off" >&2; return 1 ;;
  esac
  [ -n "$_ROUTER_OPT_KEEPALIVE" ] || _ROUTER_OPT_KEEPALIVE=$((_ROUTER_OPT_HOLD / 3))
  [ "$_ROUTER_OPT_KEEPALIVE" -ge 1 ] || _ROUTER_OPT_KEEPALIVE=1
}

_router_is_v6() { [[ $1 == *:* ]]; }

# A BIRD protocol name for a neighbour address (letters, digits and underscores only).
_router_bird_name() { local a=${1//[.:]/_}; echo "n_$a"; }

_router_bird_conf() {
  local r=$1 entry addr as password passive families enh local_addr
  echo "router id ${_ROUTER_OPT_ID:-$(router_ip4 "$r")};"
  echo "log stderr all;"
  echo "protocol device { scan time 1; }"
  for entry in "${_ROUTER_NEIGHBORS[@]}"; do
    IFS='|' read -r addr as password passive families enh <<<"$entry"
    if _router_is_v6 "$addr"; then local_addr=$(router_ip6 "$r"); else local_addr=$(router_ip4 "$r"); fi
    echo "protocol bgp $(_router_bird_name "$addr") {"
    echo "  local $local_addr as $_ROUTER_OPT_AS;"
    echo "  neighbor $addr as $as;"
    [ "$passive" = 0 ] || echo "  passive on;"
    [ -z "$password" ] || echo "  password \"$password\";"
    echo "  hold time $_ROUTER_OPT_HOLD;"
    echo "  keepalive time $_ROUTER_OPT_KEEPALIVE;"
    # Reconnect at once after a failure: BIRD's defaults wait 5 s before the first connect and
    # 60-300 s after an error, longer than any test.
    echo "  connect delay time 1;"
    echo "  connect retry time 1;"
    echo "  error wait time 1, 2;"
    case "$_ROUTER_OPT_GR" in
      off) echo "  graceful restart off;" ;;
      helper) echo "  graceful restart on;" ;;  # "aware" only advertises: no stale routes kept
      full) echo "  graceful restart on; graceful restart time $_ROUTER_OPT_GR_TIME;" ;;
    esac
    if [[ $families == *ipv4* ]] && [ "$enh" = 1 ]; then
      echo "  ipv4 { import all; export none; extended next hop on; };"  # RFC 8950
    elif [[ $families == *ipv4* ]]; then
      echo "  ipv4 { import all; export none; };"
    fi
    [[ $families != *ipv6* ]] || echo "  ipv6 { import all; export none; };"
    echo "}"
  done
}

_router_frr_conf() {
  local r=$1 entry addr as password passive families enh af
  echo "frr defaults traditional"
  echo "hostname $r"
  echo "log stdout informational"
  echo "router bgp $_ROUTER_OPT_AS"
  echo " bgp router-id ${_ROUTER_OPT_ID:-$(router_ip4 "$r")}"
  # FRR 8 refuses to import or export eBGP routes without a policy unless told (RFC 8212).
  echo " no bgp ebgp-requires-policy"
  echo " no bgp default ipv4-unicast"
  echo " no bgp network import-check"
  case "$_ROUTER_OPT_GR" in
    off) echo " bgp graceful-restart-disable" ;;
    helper) ;;  # FRR is a Graceful Restart helper by default
    full) echo " bgp graceful-restart"; echo " bgp graceful-restart restart-time $_ROUTER_OPT_GR_TIME" ;;
  esac
  echo " timers bgp $_ROUTER_OPT_KEEPALIVE $_ROUTER_OPT_HOLD"
  for entry in "${_ROUTER_NEIGHBORS[@]}"; do
    IFS='|' read -r addr as password passive families enh <<<"$entry"
    echo " neighbor $addr remote-as $as"
    echo " neighbor $addr timers $_ROUTER_OPT_KEEPALIVE $_ROUTER_OPT_HOLD"
    echo " neighbor $addr timers connect 1"
    # eBGP updates go out at once (the "traditional" profile batches them for up to 30 s).
    echo " neighbor $addr advertisement-interval 0"
    [ -z "$password" ] || echo " neighbor $addr password $password"
    [ "$passive" = 0 ] || echo " neighbor $addr passive"
    [ "$enh" = 0 ] || echo " neighbor $addr capability extended-nexthop"  # RFC 8950
  done
  for af in ipv4 ipv6; do
    echo " address-family $af unicast"
    for entry in "${_ROUTER_NEIGHBORS[@]}"; do
      IFS='|' read -r addr as password passive families enh <<<"$entry"
      [[ $families != *$af* ]] || echo "  neighbor $addr activate"
    done
    echo " exit-address-family"
  done
  echo "exit"
}

_router_gobgp_conf() {
  local r=$1 entry addr as password passive families enh af
  echo "[global.config]"
  echo "  as = $_ROUTER_OPT_AS"
  echo "  router-id = \"${_ROUTER_OPT_ID:-$(router_ip4 "$r")}\""
  echo "  port = $_ROUTER_OPT_PORT"
  for entry in "${_ROUTER_NEIGHBORS[@]}"; do
    IFS='|' read -r addr as password passive families enh <<<"$entry"
    echo "[[neighbors]]"
    echo "  [neighbors.config]"
    echo "    neighbor-address = \"$addr\""
    echo "    peer-as = $as"
    [ -z "$password" ] || echo "    auth-password = \"$password\""
    echo "  [neighbors.timers.config]"
    echo "    hold-time = $_ROUTER_OPT_HOLD"
    echo "    keepalive-interval = $_ROUTER_OPT_KEEPALIVE"
    echo "    connect-retry = 1"
    # GoBGP's default waits 30 s in Idle after a session ends before it accepts or tries again.
    echo "    idle-hold-time-after-reset = 1"
    echo "  [neighbors.transport.config]"
    echo "    passive-mode = $([ "$passive" = 1 ] && echo true || echo false)"
    if [ "$_ROUTER_OPT_GR" != off ]; then
      echo "  [neighbors.graceful-restart.config]"
      echo "    enabled = true"
      echo "    restart-time = $_ROUTER_OPT_GR_TIME"
      [ "$_ROUTER_OPT_GR" != helper ] || echo "    helper-only = true"
    fi
    for af in $families; do
      echo "  [[neighbors.afi-safis]]"
      echo "    [neighbors.afi-safis.config]"
      echo "      afi-safi-name = \"$af-unicast\""
      if [ "$_ROUTER_OPT_GR" != off ]; then
        echo "    [neighbors.afi-safis.mp-graceful-restart.config]"
        echo "      enabled = true"
      fi
    done
  done
}

# ---- starting and stopping ---------------------------------------------------------------------

# router_start R KIND OPTIONS...: writes the configuration of router R (bird | frr | gobgp) and
# starts it in R's namespace; returns once its CLI answers (up to 10 s).
#   --as AS                 the router's AS (required)
#   --router-id A           default: its IPv4 address
#   --hold S --keepalive S  proposed hold time (default 9) and keepalive (default hold/3)
#   --gr helper|full|off    Graceful Restart role (default helper: keeps a restarting
#                           neighbour's routes as stale, RFC 4724 §4.2); full also restarts itself
#   --gr-time S             the Restart Time it advertises with --gr full (default 120)
#   --neighbor ADDR,AS[,password=P][,passive][,families=ipv4|ipv6][,extended-nexthop]
#                           (repeatable; extended-nexthop: IPv4 routes with IPv6 next hops, RFC
#                           8950, bird and frr)
#   --port N                the port it listens on and connects to (gobgp only; default 179)
# Logs in $LAB_DIR/router.R/ (the configuration, the daemons' output).
router_start() {
  local r=$1 kind=$2 dir
  shift 2
  ROUTER_KIND_STARTING=$kind _router_parse_options "$@" || return 1
  dir=$(router_dir "$r")
  mkdir -p "$dir"
  ROUTER_KIND[$r]=$kind
  case "$kind" in
    bird)
      _router_bird_conf "$r" >"$dir/bird.conf"
      _router_bg "$r" bird bird -f -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
      ;;
    frr)
      _router_frr_conf "$r" >"$dir/bgpd.conf"
      : >"$dir/zebra.conf"
      # The daemons drop to the frr user: it must reach and own the socket directory.
      chmod 711 "$LAB_DIR"
      chown -R frr:frr "$dir"
      _router_bg "$r" zebra "$ROUTERS_FRR_DIR/zebra" -f "$dir/zebra.conf" -z "$dir/zserv.api" \
        -i "$dir/zebra.pid" --vty_socket "$dir" -P 0
      wait_until 10 test -S "$dir/zserv.api" || { echo "$r: zebra did not start" >&2; return 1; }
      _router_bg "$r" bgpd "$ROUTERS_FRR_DIR/bgpd" -f "$dir/bgpd.conf" -z "$dir/zserv.api" \
        -i "$dir/bgpd.pid" --vty_socket "$dir" -P 0
      ;;
    gobgp)
      _router_gobgp_conf "$r" >"$dir/gobgpd.toml"
      _router_bg "$r" gobgpd gobgpd -f "$dir/gobgpd.toml" -p \
        --api-hosts "127.0.0.1:$ROUTERS_GOBGP_API_PORT" --pprof-disable
      ;;
    *) echo "router_start: unknown router kind '$kind' (bird, frr or gobgp)" >&2; return 1 ;;
  esac
  wait_until 10 _router_cli_answers "$r" || { echo "$r: $kind did not answer its CLI within 10 s" >&2; return 1; }
  log "$r: $kind started (AS $_ROUTER_OPT_AS, ${#_ROUTER_NEIGHBORS[@]} neighbour(s))"
}

# A router daemon in the background, output in $LAB_DIR/router.R/TAG.log, PID in
# LAB_BG_PID[R.TAG] (so lab_cleanup kills it even if the namespace is already gone).
_router_bg() {
  local r=$1 tag=$2 ns; shift 2
  ns=$(router_ns "$r")
  ip netns exec "$ns" "$@" >>"$(router_dir "$r")/$tag.log" 2>&1 &
  LAB_BG_PID[$r.$tag]=$!
  disown "$!"
}

_router_cli_answers() {
  case "${ROUTER_KIND[$1]}" in
    bird) router_cli "$1" show status 2>/dev/null | grep -q 'Daemon is up' ;;
    frr) router_cli "$1" -c 'show bgp summary json' 2>/dev/null | grep -q '{' ;;
    gobgp) router_cli "$1" global >/dev/null 2>&1 ;;
  esac
}

# router_cli R ARGS...: the router's own CLI (birdc ARGS / vtysh ARGS / gobgp ARGS).
router_cli() {
  local r=$1 dir; shift
  dir=$(router_dir "$r")
  case "${ROUTER_KIND[$r]:-}" in
    bird) router_exec "$r" birdc -s "$dir/bird.ctl" "$@" ;;
    frr) router_exec "$r" vtysh --vty_socket "$dir" "$@" ;;
    gobgp) router_exec "$r" gobgp -u 127.0.0.1 -p "$ROUTERS_GOBGP_API_PORT" "$@" ;;
    *) echo "router_cli: $r was not started" >&2; return 1 ;;
  esac
}

# router_stop R [SIG]: signals every daemon of R (default TERM; KILL for a crash) and waits for
# them to exit (up to 5 s, then SIGKILL).
router_stop() {
  local r=$1 sig=${2:-TERM} tag
  for tag in "${!LAB_BG_PID[@]}"; do
    [[ $tag == "$r".* ]] || continue
    lab_bg_stop "$tag" "$sig"
  done
  log "$r: ${ROUTER_KIND[$r]:-router} stopped (SIG$sig)"
}

# router_announce R PREFIX NEXTHOP [COMMUNITIES [LARGE_COMMUNITIES]]: originates PREFIX from R
# (GoBGP only; the others only receive). Communities are comma-separated (65010:100,65010:200).
router_announce() {
  local r=$1 prefix=$2 nexthop=$3 communities=${4:-} large=${5:-} af=ipv4 args=()
  [ "${ROUTER_KIND[$r]}" = gobgp ] || { echo "router_announce: $r is not a GoBGP router" >&2; return 1; }
  _router_is_v6 "$prefix" && af=ipv6
  args=(global rib -a "$af" add "$prefix" nexthop "$nexthop")
  [ -z "$communities" ] || args+=(community "$communities")
  [ -z "$large" ] || args+=(large-community "$large")
  router_cli "$r" "${args[@]}"
}

# router_withdraw R PREFIX: withdraws a prefix announced with router_announce.
router_withdraw() {
  local r=$1 prefix=$2 af=ipv4
  _router_is_v6 "$prefix" && af=ipv6
  router_cli "$r" global rib -a "$af" del "$prefix"
}

# ---- reading the router's state ----------------------------------------------------------------

# router_session_state R NEIGHBOR: the BGP state of the session with NEIGHBOR as the router sees
# it: Idle, Connect, Active, OpenSent, OpenConfirm or Established (RFC 4271 §8.2.2 names).
router_session_state() {
  local r=$1 addr=$2 kind=${ROUTER_KIND[$1]:-}
  case "$kind" in
    bird) router_cli "$r" show protocols all "$(_router_bird_name "$addr")" ;;
    frr) router_cli "$r" -c "show bgp neighbors $addr json" ;;
    gobgp) router_cli "$r" neighbor "$addr" -j ;;
    *) echo "router_session_state: $r was not started" >&2; return 1 ;;
  esac | "$LAB_PYTHON" "$LAB_TOOLS_DIR/router_cli.py" session "$kind" "$addr"
}

# router_session_end R NEIGHBOR: how R's last session with NEIGHBOR ended: cease-received
# (NEIGHBOR's Cease NOTIFICATION, RFC 4486: a clean stop), none, or the router's own words. BIRD
# and FRR only (BIRD's from its log: its "Last error" is replaced by every failed reconnection).
router_session_end() {
  local r=$1 addr=$2 kind=${ROUTER_KIND[$1]:-}
  case "$kind" in
    bird)
      "$LAB_PYTHON" "$LAB_TOOLS_DIR/router_cli.py" session-end bird "$(_router_bird_name "$addr")" \
        <"$(router_dir "$r")/bird.log"
      ;;
    frr)
      router_cli "$r" -c "show bgp neighbors $addr json" |
        "$LAB_PYTHON" "$LAB_TOOLS_DIR/router_cli.py" session-end frr "$addr"
      ;;
    *) echo "router_session_end: $r is not a BIRD or FRR router" >&2; return 1 ;;
  esac
}

# router_established R NEIGHBOR: true if the session with NEIGHBOR is Established.
router_established() { [ "$(router_session_state "$1" "$2")" = Established ]; }

# router_wait_established R NEIGHBOR TIMEOUT
router_wait_established() { wait_until "$3" router_established "$1" "$2"; }

# router_route R PREFIX: what R has for PREFIX (an exact match), one fact a line:
#   absent                  | present
#   nexthop A               every path's next hop (several paths: several lines)
#   best A                  the best path's next hop
#   community X             the best path's communities (RFC 1997), as AS:value
#   large-community X       its large communities (RFC 8092), as a:b:c
#   stale A                 the path via A is kept as stale by Graceful Restart (RFC 4724 §4.2)
router_route() {
  local r=$1 prefix=$2 kind=${ROUTER_KIND[$1]:-} af=ipv4
  _router_is_v6 "$prefix" && af=ipv6
  case "$kind" in
    bird)  # BIRD marks no route as stale: its neighbour's protocol says that GR is running
      router_cli "$r" show route "$prefix" all
      echo "=== protocols"
      router_cli "$r" show protocols all
      ;;
    frr) router_cli "$r" -c "show bgp $af unicast $prefix json" ;;
    gobgp) router_cli "$r" global rib -a "$af" "$prefix" -j ;;
    *) echo "router_route: $r was not started" >&2; return 1 ;;
  esac | "$LAB_PYTHON" "$LAB_TOOLS_DIR/router_cli.py" route "$kind" "$prefix"
}

_router_route_field() {  # _router_route_field R PREFIX KEY: the values of KEY lines
  router_route "$1" "$2" | awk -v k="$3" '$1 == k { print $2 }'
}

# router_has_route R PREFIX [NEXTHOP]: true if R has PREFIX (via NEXTHOP, if given, on any path).
router_has_route() {
  local out; out=$(router_route "$1" "$2") || return 2
  if [ $# -ge 3 ]; then grep -qxF "nexthop $3" <<<"$out"; else grep -qx present <<<"$out"; fi
}

# router_route_absent R PREFIX: true if R has no path for PREFIX.
router_route_absent() { [ "$(router_route "$1" "$2")" = absent ]; }
# router_route_fresh R PREFIX: true if R has PREFIX and no path of it is stale.
router_route_fresh() {
  local out; out=$(router_route "$1" "$2") || return 2
  grep -qx present <<<"$out" && ! grep -q '^stale ' <<<"$out"
}

# router_route_nexthops R PREFIX: every path's next hop, one a line (empty if absent).
router_route_nexthops() { _router_route_field "$1" "$2" nexthop; }
# router_route_best R PREFIX: the best path's next hop (empty if absent).
router_route_best() { _router_route_field "$1" "$2" best; }
# router_route_communities R PREFIX / router_route_large_communities R PREFIX: of the best path,
# space-separated and sorted.
router_route_communities() { _router_route_field "$1" "$2" community | sort | xargs; }
router_route_large_communities() { _router_route_field "$1" "$2" large-community | sort | xargs; }
# router_route_stale R PREFIX [NEXTHOP]: prints "stale" if a path (via NEXTHOP, if given) is kept as
# stale, nothing otherwise.
router_route_stale() {
  _router_route_field "$1" "$2" stale | grep -qxF "${3:-$(_router_route_field "$1" "$2" stale | head -n1)}" &&
    echo stale
  return 0
}
