#!/usr/bin/env bash
# Footprint benchmark: the memory of the real kube-vip daemon (a 3-node Raft cluster, the leader
# holding the VIP and balancing one port) against keepalived + HAProxy, the pair it replaces, in
# one run, in one namespace lab (tests/e2e/lib/lab.sh).
#
#   sudo bench/footprint/run.sh [--settle S] [--load S]
#
#   --settle S   seconds each system runs before its idle figures are read (default 10)
#   --load S     seconds of wrk per load run, keep-alive then "Connection: close" (default 10)
#   Needs root, keepalived, haproxy, nginx and wrk (scripts/install-deps.sh). KUBEVIP_BIN
#   overrides the daemon (default bin/kube-vip of the checkout). About 65 seconds.
#
# Layout: node1..node3 run the system under test; node4 runs three nginx backends (ports
# 8081-8083, worker_processes 1, pinned to CPU 1); the client runs wrk (pinned to CPU 0) against
# VIP:6443. The daemons run as users run them: default log level, metrics server on, unpinned.
#   kube-vip     `kube-vip start -c` on node1..3 (node1 startAsLeader), Raft authenticated with a
#                cluster key (clusterKeyFile, as the README sets it up), one tcp load balancer
#                `bindToVip: true` on port 6443 to the three backends, health checks on.
#   keepalived   VRRPv3 on node1..3 (node1 master, priority 150), `keepalived -n -l -D -P`
#                (its parent and VRRP child, both counted); HAProxy 2.6 (`mode tcp`, `balance
#                roundrobin`, the same backends) on node1, where the VIP is.
# Figures, read from /proc: VmRSS and VmHWM (status), Pss and Private = Private_Clean +
# Private_Dirty (smaps_rollup), summed over a system's processes. The idle figures are read after
# --settle seconds; "under load" is VmHWM after a keep-alive and a "Connection: close" run of wrk
# -t1 -c100. Three instances of each daemon share this machine, so their Pss splits the shared
# pages of the binary three ways; on a real node (one instance) Pss lies between this and VmRSS.
set -euo pipefail
FP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$FP_DIR/../../tests/e2e/lib/lab.sh"

SETTLE=10
LOAD=10
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --settle) SETTLE=$2; shift ;;
    --load) LOAD=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $SETTLE =~ ^[0-9]+$ ]] || { echo "--settle needs whole seconds" >&2; exit 2; }
[[ $LOAD =~ ^[1-9][0-9]*$ ]] || { echo "--load needs a positive number of seconds" >&2; exit 2; }

lab_init "footprint benchmark"
lab_require keepalived haproxy nginx wrk taskset
lab_require_kubevip
ulimit -n 20000
LB_PORT=6443
BACKEND_NODE=node4
BACKEND_IP=$(lab_ip4 $BACKEND_NODE)
BACKEND_PORTS=(8081 8082 8083)
ROWS="$LAB_DIR/rows"
: >"$ROWS"
bench_started=$(_lab_us)

lab_create 4

# --- measuring ------------------------------------------------------------------------------

# mem_of PID...: "VmRSS VmHWM Pss Private threads" in KiB (threads: a count), summed over PIDs.
mem_of() {
  local pid rss=0 hwm=0 pss=0 priv=0 thr=0 a b c d e
  for pid in "$@"; do
    read -r a b e < <(awk '/^VmRSS:/ {r = $2} /^VmHWM:/ {h = $2} /^Threads:/ {t = $2}
      END {print r, h, t}' "/proc/$pid/status")
    read -r c d < <(awk '/^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {v += $2} END {print p, v}' \
      "/proc/$pid/smaps_rollup")
    rss=$((rss + a)) hwm=$((hwm + b)) pss=$((pss + c)) priv=$((priv + d)) thr=$((thr + e))
  done
  echo "$rss $hwm $pss $priv $thr"
}

# row SYSTEM ROLE STATE PIDS...: records one table row (figures from mem_of).
row() {
  local system=$1 role=$2 state=$3 figures; shift 3
  figures=$(mem_of "$@")
  echo "$system|$role|$state|$#|$figures" >>"$ROWS"
  log "measured $system $role $state (KiB: VmRSS VmHWM Pss Private, threads): $figures"
}

# load NAME: wrk from the client against VIP:LB_PORT, keep-alive then "Connection: close";
# records the requests/s of both runs for NAME.
load() {
  local name=$1 mode out rps
  for mode in keepalive close; do
    local header=()
    [ "$mode" = close ] && header=(-H "Connection: close")
    out=$(lab_exec client taskset -c 0 wrk -t1 -c100 -d"${LOAD}s" "${header[@]}" \
      "http://$LAB_VIP4:$LB_PORT/")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    grep -q "Non-2xx\|Socket errors" <<<"$out" &&
      echo "footprint: $name $mode: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ')" >&2
    [ -n "$rps" ] && awk -v r="$rps" 'BEGIN { exit !(r > 0) }' ||
      fail "$name $mode: wrk served nothing through VIP:$LB_PORT"
    echo "$name $mode $rps" >>"$LAB_DIR/load"
    log "$name $mode: $rps req/s"
  done
}

# --- backends -------------------------------------------------------------------------------

for port in "${BACKEND_PORTS[@]}"; do
  d="$LAB_DIR/nginx$port"
  mkdir -p "$d/logs" "$d/tmp"
  cat >"$d/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen $BACKEND_IP:$port backlog=4096;
    location / { default_type text/plain; return 200 "hello from backend $port\n"; }
  }
}
CONF
  lab_bg "nginx$port" $BACKEND_NODE taskset -c 1 nginx -p "$d" -c "$d/nginx.conf"
done
for port in "${BACKEND_PORTS[@]}"; do
  wait_until 5 _lab_listening $BACKEND_NODE "$port" || fail "nginx on port $port did not start"
done
for n in client node1 node2 node3; do
  lab_exec "$n" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
done

# --- kube-vip -------------------------------------------------------------------------------

backends_yaml=""
for port in "${BACKEND_PORTS[@]}"; do
  backends_yaml+="
      - {address: $BACKEND_IP, port: $port}"
done
lb_yaml="loadBalancers:
  - name: bench
    type: tcp
    port: $LB_PORT
    bindToVip: true
    backends:$backends_yaml"
(umask 077; "$KUBEVIP_BIN" sample key >"$LAB_DIR/cluster.key")
declare -A KV_PID=()
for k in 1 2 3; do
  leader_opt=()
  [ "$k" != 1 ] || leader_opt=(--start-as-leader)
  lab_write_config "$LAB_DIR/kv.node$k.yaml" --node "$k" --nodes 3 "${leader_opt[@]}" \
    --extra "clusterKeyFile: $LAB_DIR/cluster.key
$lb_yaml"
  # Not lab_start_kubevip: that one logs at debug level; users run the default (info).
  ip netns exec "$(lab_ns node$k)" "$KUBEVIP_BIN" start -c "$LAB_DIR/kv.node$k.yaml" \
    --data-dir "$LAB_DIR/raft.node$k" --statusSocket "$LAB_DIR/node$k.sock" \
    >"$LAB_DIR/kv.node$k.log" 2>&1 &
  KV_PID[node$k]=$!
  LAB_BG_PID[kv.node$k]=$!
done
wait_until 10 eval '[ "$(lab_vip_holders | wc -w)" = 1 ]' || fail "kube-vip: no single VIP holder"
leader=$(lab_vip_holders)
follower=node2
[ "$leader" != node2 ] || follower=node3
wait_until 5 lab_exec client bash -c "exec 3<>/dev/tcp/$LAB_VIP4/$LB_PORT" 2>/dev/null ||
  fail "kube-vip: the balancer on VIP:$LB_PORT does not accept"
log "kube-vip: $leader leads; settling ${SETTLE}s"
sleep "$SETTLE"
row kube-vip follower idle "${KV_PID[$follower]}"
row kube-vip "leader (VIP, 1 balancer)" idle "${KV_PID[$leader]}"
load kube-vip
row kube-vip "leader (VIP, 1 balancer)" "under load" "${KV_PID[$leader]}"
for k in 1 2 3; do lab_bg_stop "kv.node$k" TERM; done
wait_while 5 eval '[ -n "$(lab_vip_holders)" ]' || fail "kube-vip left the VIP behind"

# --- keepalived + HAProxy -------------------------------------------------------------------

declare -A KA_PARENT=()
for k in 1 2 3; do
  prio=(0 150 100 50) state=BACKUP
  [ "$k" != 1 ] || state=MASTER
  cat >"$LAB_DIR/ka.node$k.conf" <<EOF
global_defs {
  router_id node$k
  vrrp_version 3
  max_auto_priority -1
}
vrrp_instance VI_1 {
  state $state
  interface eth0
  virtual_router_id 51
  priority ${prio[$k]}
  advert_int 1
  virtual_ipaddress {
    $LAB_VIP4/32 dev eth0
  }
}
EOF
  base="$LAB_DIR/ka.node$k"
  ip netns exec "$(lab_ns node$k)" keepalived -n -l -D -P -f "$base.conf" -p "$base.pid" \
    -r "$base.vrrp.pid" -c "$base.check.pid" >"$base.log" 2>&1 &
  KA_PARENT[node$k]=$!
  LAB_BG_PID[ka.node$k]=$!
done
ka_pids() { echo "${KA_PARENT[$1]}" "$(cat "$LAB_DIR/ka.$1.vrrp.pid")"; }
for k in 1 2 3; do
  wait_until 5 test -s "$LAB_DIR/ka.node$k.vrrp.pid" || fail "keepalived on node$k has no VRRP child"
done
wait_until 10 eval '[ "$(lab_vip_holders)" = node1 ]' || fail "keepalived: node1 did not take the VIP"

{
  echo "global"
  echo "  maxconn 9000"
  echo "defaults"
  echo "  mode tcp"
  echo "  timeout connect 3s"
  echo "  timeout client 300s"
  echo "  timeout server 300s"
  echo "listen bench"
  echo "  bind *:$LB_PORT"
  echo "  balance roundrobin"
  for port in "${BACKEND_PORTS[@]}"; do echo "  server b$port $BACKEND_IP:$port check"; done
} >"$LAB_DIR/haproxy.cfg"
lab_bg haproxy node1 haproxy -db -f "$LAB_DIR/haproxy.cfg"
wait_until 5 _lab_listening node1 $LB_PORT || fail "HAProxy did not start"
log "keepalived + HAProxy: settling ${SETTLE}s"
sleep "$SETTLE"
# shellcheck disable=SC2046  # word splitting of the PID lists is meant
row keepalived backup idle $(ka_pids node2)
# shellcheck disable=SC2046
row keepalived "master (VIP)" idle $(ka_pids node1)
row haproxy "on the master, 1 listener" idle "${LAB_BG_PID[haproxy]}"
# shellcheck disable=SC2046
row keepalived+haproxy "master + proxy" idle $(ka_pids node1) "${LAB_BG_PID[haproxy]}"
load haproxy
# shellcheck disable=SC2046
row keepalived "master (VIP)" "under load" $(ka_pids node1)
row haproxy "on the master, 1 listener" "under load" "${LAB_BG_PID[haproxy]}"
# shellcheck disable=SC2046
row keepalived+haproxy "master + proxy" "under load" $(ka_pids node1) "${LAB_BG_PID[haproxy]}"

# --- table ----------------------------------------------------------------------------------

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo
echo "kube-vip $("$KUBEVIP_BIN" version 2>/dev/null | head -1); $(keepalived --version 2>&1 | head -1);" \
  "$(haproxy -v | head -1 | cut -d' ' -f1-3)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs); settle ${SETTLE}s;" \
  "load: wrk -t1 -c100 -d${LOAD}s keep-alive, then Connection: close"
echo
echo "| system | role | state | processes | VmRSS MiB | Pss MiB | Private MiB | peak VmHWM MiB | threads |"
echo "|---|---|---|---|---|---|---|---|---|"
while IFS='|' read -r system role state nproc figures; do
  read -r rss hwm pss priv thr <<<"$figures"
  if [ "$state" = idle ]; then hwm_text="-"; else hwm_text=$(mib "$hwm"); fi
  echo "| $system | $role | $state | $nproc | $(mib "$rss") | $(mib "$pss") | $(mib "$priv") | $hwm_text | $thr |"
done <"$ROWS"
echo
echo "| load run | requests/s |"
echo "|---|---|"
while read -r name mode rps; do echo "| $name $mode | $rps |"; done <"$LAB_DIR/load"

# field SYSTEM ROLE STATE COLUMN: a figure of a row (COLUMN 1 VmRSS, 2 VmHWM, 3 Pss, 4 Private).
field() {
  awk -F'|' -v s="$1" -v r="$2" -v t="$3" -v c="$4" \
    '$1 == s && $2 == r && $3 == t { split($5, f, " "); print f[c] }' "$ROWS"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
kv_leader="leader (VIP, 1 balancer)"
pair="master + proxy"
echo
echo "| ratio kube-vip / yardstick | VmRSS | Pss | Private |"
echo "|---|---|---|---|"
for c in "idle leader / keepalived master + HAProxy:$kv_leader:$pair:idle" \
  "idle follower / keepalived backup:follower:backup:idle"; do
  IFS=: read -r label kv_role other_role state <<<"$c"
  other_system=keepalived+haproxy
  [ "$other_role" = backup ] && other_system=keepalived
  printf '| %s | %s | %s | %s |\n' "$label" \
    "$(ratio "$(field kube-vip "$kv_role" "$state" 1)" "$(field $other_system "$other_role" "$state" 1)")" \
    "$(ratio "$(field kube-vip "$kv_role" "$state" 3)" "$(field $other_system "$other_role" "$state" 3)")" \
    "$(ratio "$(field kube-vip "$kv_role" "$state" 4)" "$(field $other_system "$other_role" "$state" 4)")"
done
printf '| peak under load: leader / keepalived master + HAProxy (VmHWM) | %s | - | - |\n' \
  "$(ratio "$(field kube-vip "$kv_leader" "under load" 2)" \
    "$(field keepalived+haproxy "$pair" "under load" 2)")"

cat <<'EOF'

Published figures of the Go kube-vip (not measured here; as reported, with their sources):
- v0.6.1, a Services deployment: "about 3-5m and 5-15Mi" per pod, by a user, against limits
  of 128Mi (https://github.com/kube-vip/kube-vip/issues/604).
- v1.0.x DaemonSet, three control-plane nodes: `kubectl top` 21Mi, 59Mi and 71Mi
  (https://github.com/kube-vip/kube-vip/issues/1370).
- v1.2.1/v1.2.3 control-plane BGP mode: "~20 MB" after a restart, then a leak of ~18 MB/hour
  (https://github.com/kube-vip/kube-vip/issues/1778).
Go's figures are container working sets (cgroup memory), comparable to VmRSS, not to Pss.
EOF
echo
echo "footprint: done in $((($(_lab_us) - bench_started) / 1000000)) s"
lab_pass
