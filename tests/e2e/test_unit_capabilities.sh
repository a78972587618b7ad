#!/usr/bin/env bash
# The capabilities the packaged systemd unit grants (packaging/debian/kube-vip.service:
# AmbientCapabilities, read from the unit) are enough for the daemon: run as user nobody with
# exactly those capabilities (ambient, inheritable, bounding set, no_new_privs), a singleNode
# kube-vip adds the VIP, announces it by gratuitous ARP (a packet socket), and its load balancer
# listens on the VIP's port 443 (below 1024), through which the client reaches the node's server.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "unit: the packaged unit's capabilities are enough for a non-root daemon"
lab_require setpriv tcpdump tshark
lab_require_kubevip
unit=$(cd "$(dirname "$0")/../.." && pwd)/packaging/debian/kube-vip.service
nobody=65534

# CAP_NET_ADMIN CAP_NET_RAW -> +net_admin,+net_raw (setpriv's spelling).
unit_caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[ -n "$unit_caps" ] || fail "$unit has no AmbientCapabilities line"
caps=$(tr ' ' '\n' <<<"$unit_caps" | sed -e 's/^CAP_//' -e 's/^/+/' | tr '[:upper:]' '[:lower:]' | paste -sd,)
log "the unit's capabilities: $unit_caps ($caps)"

lab_create 1
lab_start_servers
node_mac=$(lab_mac node1)

# The daemon's files, readable and writable by nobody: the lab directory is root's (0700).
chmod 0711 "$LAB_DIR"
run=$LAB_DIR/nobody
install -d -o "$nobody" -g "$nobody" -m 0700 "$run"
lab_write_config "$run/config.yaml" --node 1 --single --announce 1s --extra "$(cat <<YAML
statusSocket: $run/kube-vip.sock
loadBalancers:
  - name: https
    type: tcp
    port: 443
    bindToVip: true
    backends:
      - {address: $(lab_ip4 1), port: $LAB_SERVICE_PORT}
YAML
)"
chown "$nobody:$nobody" "$run/config.yaml"

lab_capture_start garp client arp
log "node1: kube-vip started as uid $nobody with $caps"
ip netns exec "$(lab_ns node1)" env --default-signal=INT,QUIT \
  setpriv --reuid="$nobody" --regid="$nobody" --clear-groups --no-new-privs \
  --inh-caps="-all,$caps" --ambient-caps="-all,$caps" --bounding-set="-all,$caps" \
  "$KUBEVIP_BIN" start -c "$run/config.yaml" --log debug --data-dir "$run/data" \
  >>"$LAB_DIR/node1.kubevip.log" 2>&1 &
LAB_KV_PID[node1]=$!
LAB_KV_LOG[node1]=$LAB_DIR/node1.kubevip.log

wait_until 5 lab_has_vip node1 || fail "the daemon with the unit's capabilities did not add $LAB_VIP4 within 5 s"
pid=${LAB_KV_PID[node1]}
status=$(cat "/proc/$pid/status")
assert_eq "$nobody" "$(awk '/^Uid:/ { print $3 }' <<<"$status")" "the daemon's effective uid"
# The effective set, decoded by setpriv's own names, is exactly the unit's.
effective=$(awk '/^CapEff:/ { print $2 }' <<<"$status")
expected=$(setpriv --reuid="$nobody" --inh-caps="-all,$caps" --ambient-caps="-all,$caps" \
  --bounding-set="-all,$caps" awk '/^CapEff:/ { print $2 }' /proc/self/status)
assert_eq "$expected" "$effective" "the daemon's effective capabilities (hex)"

wait_until 5 _lab_listening node1 443 || fail "nothing listens on port 443 on node1"
assert_eq node1 "$(lab_fetch "$LAB_VIP4" 443)" "client reaches node1's server through $LAB_VIP4:443"
sleep 1.5   # the burst and one repetition
pcap=$(lab_capture_stop garp)
announcements=$(lab_tshark "$pcap" "arp && eth.src == $node_mac && arp.src.proto_ipv4 == $LAB_VIP4" frame.time_relative)
assert_le 1 "$(grep -c . <<<"$announcements")" "gratuitous ARP announcements of $LAB_VIP4 seen by the client"
check "kube-vip still running" lab_kubevip_running node1
if grep -iE 'operation not permitted|permission denied|EPERM|EACCES' "$LAB_DIR/node1.kubevip.log" >&2; then
  fail "the daemon's log reports a permission error (above)"
fi
check "kube-vip stops on SIGTERM" lab_stop_kubevip node1 TERM 5
lab_pass
