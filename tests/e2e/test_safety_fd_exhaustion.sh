#!/usr/bin/env bash
# safety: idle connections to a balanced port cannot take the leader's descriptors. Three Raft
# nodes run kube-vip under a 256-descriptor limit with a TCP balancer on VIP:9000; the client
# opens 2000 connections to it and holds them idle. The leader must stay cool (its CPU over 3 s
# below a bound; a worker spinning on accept() failing with EMFILE uses a whole core), keep the
# leadership and the VIP (same holder, nobody else elected, never two holders), say in its log
# that it closed connections for lack of descriptors (once, not per connection), and serve new
# connections again once the idle ones are closed.
# timeout: 150
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "safety: descriptor exhaustion through a balanced port"
lab_require_kubevip
lab_create 3

readonly FD_LIMIT=256 LB_PORT=9000 BACKEND_PORT=9100 IDLE_CONNECTIONS=2000
# CPU bound for the leader over the measurement window, in percent of one core. Idle it uses
# ~1%; with a spinning accept loop it used 100% or more (see below).
readonly CPU_WINDOW_S=3 CPU_BOUND_PCT=25

# Backends that answer their name and keep every connection open, so proxied connections stay.
for n in $(lab_node_names); do
  lab_bg "sink.$n" "$n" "$LAB_PYTHON" "$LAB_TOOLS_DIR/conn_hold.py" serve --name "$n" \
    --port "$BACKEND_PORT"
done
for n in $(lab_node_names); do
  wait_until 5 _lab_listening "$n" "$BACKEND_PORT" || fail "backend on $n did not start"
done

# kube-vip under the low limit (soft and hard, so raising the soft limit gains nothing).
real_bin=$KUBEVIP_BIN
cat >"$LAB_DIR/kube-vip-lowfd" <<EOF
#!/bin/sh
exec prlimit --nofile=$FD_LIMIT:$FD_LIMIT "$real_bin" "\$@"
EOF
chmod +x "$LAB_DIR/kube-vip-lowfd"
KUBEVIP_BIN=$LAB_DIR/kube-vip-lowfd

lb_yaml="loadBalancers:
  - name: web
    type: tcp
    port: $LB_PORT
    bindToVip: true
    backends:"
for k in 1 2 3; do
  lb_yaml+="
      - {address: $(lab_ip4 "node$k"), port: $BACKEND_PORT}"
done

lab_holders_start
lab_start_cluster --extra "$lb_yaml"
lab_wait_leader
leader=$LAB_LEADER
leader_pid=${LAB_KV_PID[$leader]}
log "leader $leader (pid $leader_pid)"
wait_until 5 _lab_listening "$leader" "$LB_PORT" || fail "nothing listens on $LB_PORT on $leader"
assert_eq "$leader" "$(lab_fetch "$LAB_VIP4" "$LB_PORT")" "a connection through the VIP before"
check "the daemon runs with the low limit" \
  grep -q "Max open files *$FD_LIMIT *$FD_LIMIT" "/proc/$leader_pid/limits"

# CPU ticks (utime + stime) of a process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Percent of one core the process used over $CPU_WINDOW_S seconds.
cpu_pct() {
  local t0 t1
  t0=$(cpu_ticks "$1")
  sleep "$CPU_WINDOW_S"
  t1=$(cpu_ticks "$1")
  echo $(((t1 - t0) * 100 / ($(getconf CLK_TCK) * CPU_WINDOW_S)))
}
log "leader CPU before: $(cpu_pct "$leader_pid")%"

lab_bg hold client "$LAB_PYTHON" "$LAB_TOOLS_DIR/conn_hold.py" hold --target "$LAB_VIP4" \
  --port "$LB_PORT" --count "$IDLE_CONNECTIONS" --seconds 60
# The last report line of the holding client.
hold_report() { tail -n1 "$LAB_DIR/hold.log" 2>/dev/null; }
hold_field() { json_get "$(hold_report)" "$1"; }
# Every connection has completed its handshake or failed (the kernel completes them even while
# the daemon cannot accept).
wait_until 15 eval '[ "$(hold_field connecting 2>/dev/null)" = 0 ]' ||
  fail "the client's connections did not complete: $(hold_report)"
log "idle connections: $(hold_report)"
assert_eq "$IDLE_CONNECTIONS" "$(($(hold_field connected) + $(hold_field failed)))" \
  "connections attempted"

cpu=$(cpu_pct "$leader_pid")
log "leader CPU while $IDLE_CONNECTIONS idle connections are held: $cpu%"
assert_le "$cpu" "$CPU_BOUND_PCT" "leader CPU (% of a core) with idle connections held"
check "$leader's kube-vip still runs" lab_kubevip_running "$leader"
assert_eq "$leader" "$(lab_vip_holders)" "VIP holder while the connections are held"

# Let the cluster run with the descriptors taken for a few election timeouts more.
sleep 2
assert_eq "$leader" "$(lab_vip_holders)" "VIP holder 2 s later"

lab_bg_stop hold
log "after closing: $(hold_report)"
wait_until 10 eval '[ "$(lab_fetch "$LAB_VIP4" "$LB_PORT" 2>/dev/null)" = "$leader" ]' ||
  fail "no new connection served through the VIP within 10 s after the idle ones closed"
assert_eq "$leader" "$(lab_vip_holders)" "VIP holder at the end"

kvlog=$(lab_kv_log "$leader")
check "the limit is logged" grep -q "descriptor limit: soft $FD_LIMIT" "$kvlog"
check "connections over the budget are logged" \
  grep -q "every descriptor left for connections is in use" "$kvlog"
assert_le "$(grep -c "lb web: .*accept" "$kvlog" || true)" 10 "accept-failure log lines"
for n in $(lab_node_names); do
  assert_eq 0 "$(grep -c "is no longer the leader" "$(lab_kv_log "$n")" || true)" \
    "$n: leadership losses"
  check "$n's kube-vip still runs" lab_kubevip_running "$n"
done
assert_eq 1 "$(cat "$LAB_DIR"/node*.kubevip.log | grep -c "is the leader$" || true)" \
  "leaders elected over the whole run"
check "never two live holders" lab_holders_check
lab_pass
