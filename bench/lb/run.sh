#!/usr/bin/env bash
# Load-balancing benchmark: the kube-vip daemon's load balancer (its own proxy, and the kernel's
# nftables DNAT) against HAProxy 2.6 (TCP mode) and against no proxy at all, in network
# namespaces made (and removed) by this script.
#
#   sudo bench/lb/run.sh [path/to/kube-vip]
#
# Layout: a bridge in its own namespace; a client namespace (wrk, pinned to CPU 0), a proxy
# namespace (the proxy under test, pinned to CPU 1) and a backend namespace with three nginx
# instances (worker_processes 1, a small static body, pinned to CPU 1). kube-vip is the real
# daemon, `kube-vip start -c CONFIG` with singleNode: true, holding a VIP on the proxy
# namespace's eth0 and balancing VIP:8080 over the three backends; its worker count is left to
# the daemon (one per usable CPU: 1 when pinned). Each configuration runs for DURATION seconds,
# keep-alive and with "Connection: close", ROUNDS times in alternating order; the tables show
# medians. All traffic stays inside these namespaces.
# Environment: DURATION (10), ROUNDS (3), CONNECTIONS (100), TARGETS ("direct haproxy
# kube-vip-proxy kube-vip-kernel"; kube-vip-kernel is left out, with a message, when the binary
# does not accept 'forwarding: kernel').
set -euo pipefail

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-100}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

bin=${1:-${KUBEVIP_BIN:-}}
if [ -z "$bin" ]; then
  for candidate in "$repo/bin/kube-vip" "$repo"/build/*/bin/kube-vip; do
    [ -x "$candidate" ] && bin=$candidate && break
  done
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "run.sh: build kube-vip first (make, or cmake --build --preset release)" >&2
  exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for tool in wrk haproxy nginx taskset ip nft; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (network namespaces)" >&2; exit 1; }

ulimit -n 20000
tag="kvlb$$"
ns_br="${tag}br" ns_c="${tag}c" ns_p="${tag}p" ns_b="${tag}b"
net=10.211.0
client_ip=$net.1 proxy_ip=$net.2 vip=$net.100 backend_ips=("$net.11" "$net.12" "$net.13")
vip_port=8080 haproxy_port=8081
work=$(mktemp -d "/tmp/${tag}.XXXXXX")
proxy_pid=""
hz=$(getconf CLK_TCK)

cleanup() {
  set +e
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
  for ns in "$ns_c" "$ns_p" "$ns_b" "$ns_br"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  done
  sleep 0.2
  for ns in "$ns_c" "$ns_p" "$ns_b" "$ns_br"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# --- topology -------------------------------------------------------------------------------
ip netns add "$ns_br"
ip -n "$ns_br" link add br0 type bridge
ip -n "$ns_br" link set br0 up
ip -n "$ns_br" link set lo up
attach() {  # attach NS IP...: a veth eth0 in NS, its peer on the bridge
  local ns=$1; shift
  ip netns add "$ns"
  ip link add "${ns}v" type veth peer name eth0 netns "$ns"
  ip link set "${ns}v" netns "$ns_br"
  ip -n "$ns_br" link set "${ns}v" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  for addr in "$@"; do ip -n "$ns" addr add "$addr/24" dev eth0; done
  # Short-lived connections at tens of thousands a second: reuse TIME_WAIT ports, use them all.
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65000" \
    net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}
attach "$ns_c" "$client_ip"
attach "$ns_p" "$proxy_ip"
attach "$ns_b" "${backend_ips[@]}"

# --- backends -------------------------------------------------------------------------------
for i in 0 1 2; do
  d="$work/nginx$i"
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
    listen ${backend_ips[$i]}:80 backlog=4096;
    location / { default_type text/plain; return 200 "hello from backend $i\n"; }
  }
}
CONF
  ip netns exec "$ns_b" taskset -c 1 nginx -p "$d" -c "$d/nginx.conf" &
  disown "$!"  # killed by the cleanup; no "Killed" job report from bash
done

wait_port() {  # wait_port NS IP PORT
  for _ in $(seq 1 100); do
    ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "run.sh: nothing answers on $2:$3" >&2
  return 1
}
for ip_ in "${backend_ips[@]}"; do wait_port "$ns_c" "$ip_" 80; done

cat >"$work/haproxy.cfg" <<CONF
global
  # 2 x maxconn descriptors must fit under the hard limit of 20000.
  maxconn 9000
defaults
  mode tcp
  timeout connect 3s
  timeout client 300s
  timeout server 300s
listen bench
  bind $proxy_ip:$haproxy_port
  balance roundrobin
  server b0 ${backend_ips[0]}:80
  server b1 ${backend_ips[1]}:80
  server b2 ${backend_ips[2]}:80
CONF

kube_vip_config() {  # kube_vip_config proxy|kernel: the daemon's file, the same but for forwarding
  cat <<CONF
localPeer: {id: bench, address: $proxy_ip, port: 10000}
remotePeers: []
vip: $vip
interface: eth0
singleNode: true
prometheusServer: ""
statusSocket: ""
loadBalancers:
  - name: bench
    type: tcp
    port: $vip_port
    forwarding: $1
    maxConnections: 9000  # as HAProxy's maxconn: 2 descriptors each under the limit of 20000
    backends:
      - {address: ${backend_ips[0]}, port: 80}
      - {address: ${backend_ips[1]}, port: 80}
      - {address: ${backend_ips[2]}, port: 80}
CONF
}
kube_vip_config proxy >"$work/kube-vip-proxy.yaml"
kube_vip_config kernel >"$work/kube-vip-kernel.yaml"

read -r -a targets <<<"${TARGETS:-direct haproxy kube-vip-proxy kube-vip-kernel}"
has() { [[ " ${targets[*]} " == *" $1 "* ]]; }
# --- runs -----------------------------------------------------------------------------------
vip_held() { ip -n "$ns_p" -br addr show dev eth0 | grep -qw "$vip"; }
kernel_rules_present() { ip netns exec "$ns_p" nft list table inet kube_vip >/dev/null 2>&1; }
wait_for() {  # wait_for WHAT COMMAND...: up to 10 s
  local what=$1; shift
  for _ in $(seq 1 200); do "$@" && return 0; sleep 0.05; done
  echo "run.sh: $what never happened (daemon log: $work/kube-vip.log)" >&2
  tail -n 20 "$work/kube-vip.log" >&2
  return 1
}

workers_logged=""
start_proxy() {  # sets proxy_pid and url
  case $1 in
    direct) proxy_pid=""; url="http://${backend_ips[0]}:80/" ;;
    kube-vip-proxy | kube-vip-kernel)
      ip netns exec "$ns_p" taskset -c 1 "$bin" start -c "$work/$1.yaml" \
        --data-dir "$work/data" 2>"$work/kube-vip.log" &
      proxy_pid=$!
      url="http://$vip:$vip_port/"
      wait_for "the VIP on the proxy's eth0" vip_held
      [ "$1" = kube-vip-kernel ] && wait_for "the table inet kube_vip" kernel_rules_present
      wait_port "$ns_c" "$vip" "$vip_port"
      if [ -z "$workers_logged" ]; then
        workers_logged=1
        echo "  kube-vip says: $(grep -oE '[0-9]+ load-balancer workers?: .*' "$work/kube-vip.log" || true)" >&2
      fi ;;
    kube-vip-kernel-probe)
      ip netns exec "$ns_p" taskset -c 1 "$bin" start -c "$work/kube-vip-kernel.yaml" \
        --data-dir "$work/data" 2>"$work/kube-vip.log" &
      proxy_pid=$!
      wait_for "the VIP on the proxy's eth0" vip_held ;;
    haproxy)
      ip netns exec "$ns_p" taskset -c 1 haproxy -db -f "$work/haproxy.cfg" 2>"$work/haproxy.log" &
      proxy_pid=$!
      url="http://$proxy_ip:$haproxy_port/"
      wait_port "$ns_c" "$proxy_ip" "$haproxy_port" ;;
  esac
}

stop_proxy() {  # prints "PEAK_RSS_MiB CPU_TICKS" of the proxy ("- -" for none)
  if [ -z "$proxy_pid" ]; then echo "- -"; return; fi
  local kb ticks
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$proxy_pid/status")
  # utime + stime of all its threads, in clock ticks (fields 14 and 15 after the command name).
  ticks=$(sed 's/^.*) //' "/proc/$proxy_pid/stat" | awk '{print $12 + $13}')
  kill "$proxy_pid"
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""
  awk -v kb="$kb" -v t="$ticks" 'BEGIN { printf "%.1f %d", kb / 1024, t }'
}

# Busy clock ticks of the whole machine, all CPUs: everything but idle and iowait (proc(5)).
machine_busy_ticks() {
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

to_ms() {  # wrk latency ("812.00us", "1.23ms", "1.01s") in milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

per_request_us() {  # per_request_us TICKS REQUESTS
  awk -v t="$1" -v hz="$hz" -v n="$2" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'
}

results="$work/results"
: >"$results"
run_one() {  # run_one TARGET MODE ROUND
  local target=$1 mode=$2 round=$3 header=() out rps p50 p99 rss ticks requests cpu_us
  local busy_before busy_after host_us
  [ "$mode" = close ] && header=(-H "Connection: close")
  start_proxy "$target"
  busy_before=$(machine_busy_ticks)
  out=$(ip netns exec "$ns_c" taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    "${header[@]}" "$url")
  busy_after=$(machine_busy_ticks)
  read -r rss ticks <<<"$(stop_proxy)"
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  # The proxy's CPU time per request: steadier than req/s when other work shares the machine.
  cpu_us="-"
  [ "$ticks" != "-" ] && cpu_us=$(per_request_us "$ticks" "$requests")
  # The whole machine's: includes wrk, nginx and the softirq work of the kernel path, which runs
  # on whichever CPU sends (so pinning cannot charge it to the proxy), and any other load.
  host_us=$(per_request_us $((busy_after - busy_before)) "$requests")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "run.sh: $target/$mode round $round: $(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ')" >&2
  fi
  echo "$target $mode $round $rps $p50 $p99 $rss $cpu_us $host_us" >>"$results"
  printf '  round %d %-15s %-9s %10s req/s  p50 %7s ms  p99 %7s ms  RSS %4s MiB  CPU %5s us/req  host %6s us/req\n' \
    "$round" "$target" "$mode" "$rps" "$p50" "$p99" "$rss" "$cpu_us" "$host_us" >&2
}

# A kube-vip without the kernel data plane accepts 'forwarding: kernel' in its file but serves it
# with its proxy: measure the kernel target only if the daemon makes its nftables table.
if has kube-vip-kernel; then
  start_proxy kube-vip-kernel-probe
  if ! wait_for "the table inet kube_vip" kernel_rules_present 2>/dev/null; then
    echo "run.sh: leaving out kube-vip-kernel: $bin makes no table inet kube_vip" \
      "with 'forwarding: kernel' (no kernel data plane in this build)" >&2
    kept=()
    for t in "${targets[@]}"; do [ "$t" = kube-vip-kernel ] || kept+=("$t"); done
    targets=("${kept[@]}")
  fi
  stop_proxy >/dev/null
fi

echo "kube-vip LB benchmark: $bin; wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds; targets ${targets[*]}" >&2
# Other load on the machine skews every figure alike; say how much there was.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
  order=("${targets[@]}")
  # Every other round runs the targets in reverse order, so drift over time favours nobody.
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((k = ${#targets[@]} - 1; k >= 0; k--)); do order+=("${targets[k]}"); done
  fi
  for mode in keepalive close; do
    for t in "${order[@]}"; do run_one "$t" "$mode" "$round"; done
  done
done

# --- tables ---------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "-" } else if (v[1] == "-") { print "-" } else { print v[int((NR + 1) / 2)] } }'; }
col() { awk -v t="$1" -v m="$2" -v c="$3" '$1 == t && $2 == m { print $c }' "$results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 <= 0) print "-"; else printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", a - b }'; }
# The load balancer's share of the machine's CPU per request: the host figure less direct's.
lb_host() { if has direct && has "$1"; then minus "$(col "$1" "$2" 9)" "$(col direct "$2" 9)"; else echo "-"; fi; }
verdict() {  # verdict VALUE OP BOUND
  awk -v v="$1" -v op="$2" -v b="$3" 'BEGIN {
    if (v == "-") { print "not measured"; exit }
    ok = (op == ">=") ? (v + 0 >= b) : (v + 0 <= b)
    print (ok ? "met" : "MISSED") }'
}

echo
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "median of $ROUNDS rounds, ${DURATION}s each, wrk -t1 -c$CONNECTIONS (CPU 0); proxies and nginx on CPU 1"
printf '%-10s %-16s %11s %8s %8s %8s %10s %10s %10s\n' mode target "req/s" "p50 ms" "p99 ms" \
  "RSS MiB" "proc us/r" "host us/r" "LB us/r"
for mode in keepalive close; do
  for t in "${targets[@]}"; do
    lb="-"
    [ "$t" != direct ] && lb=$(lb_host "$t" "$mode")
    printf '%-10s %-16s %11s %8s %8s %8s %10s %10s %10s\n' "$mode" "$t" "$(col "$t" $mode 4)" \
      "$(col "$t" $mode 5)" "$(col "$t" $mode 6)" "$(col "$t" $mode 7)" "$(col "$t" $mode 8)" \
      "$(col "$t" $mode 9)" "$lb"
  done
done
echo
echo "against HAProxy (x HAProxy's figure)"
printf '%-10s %12s %12s %12s %12s %12s %12s\n' mode "kernel rps" "proxy rps" "proxy p99" \
  "proxy proc" "kernel LB" "proxy LB"
for mode in keepalive close; do
  printf '%-10s %12s %12s %12s %12s %12s %12s\n' "$mode" \
    "$(ratio "$(col kube-vip-kernel $mode 4)" "$(col haproxy $mode 4)")" \
    "$(ratio "$(col kube-vip-proxy $mode 4)" "$(col haproxy $mode 4)")" \
    "$(ratio "$(col kube-vip-proxy $mode 6)" "$(col haproxy $mode 6)")" \
    "$(ratio "$(col kube-vip-proxy $mode 8)" "$(col haproxy $mode 8)")" \
    "$(ratio "$(lb_host kube-vip-kernel $mode)" "$(lb_host haproxy $mode)")" \
    "$(ratio "$(lb_host kube-vip-proxy $mode)" "$(lb_host haproxy $mode)")"
done
echo
echo "acceptance: kernel >= 1.45x HAProxy's req/s in both modes; proxy >= 1.0x with p99 <= 1.1x"
for mode in keepalive close; do
  k=$(ratio "$(col kube-vip-kernel $mode 4)" "$(col haproxy $mode 4)")
  p=$(ratio "$(col kube-vip-proxy $mode 4)" "$(col haproxy $mode 4)")
  l=$(ratio "$(col kube-vip-proxy $mode 6)" "$(col haproxy $mode 6)")
  printf '%-10s kernel rps %s (%s)  proxy rps %s (%s)  proxy p99 %s (%s)\n' "$mode" \
    "$k" "$(verdict "$k" ">=" 1.45)" "$p" "$(verdict "$p" ">=" 1.0)" "$l" "$(verdict "$l" "<=" 1.1)"
done
