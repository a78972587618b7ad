#!/usr/bin/env bash
# Operations on a three-node Raft cluster: `kube-vip status` on every node agrees on the leader,
# the VIP's holder, the term and the peers (text and JSON); /livez and /readyz answer; /livez
# fails while a node's control loop is frozen (the debug freeze-loop request, no SIGSTOP) and
# recovers; /readyz fails with its reason on a node cut off from the others (no quorum) and
# recovers when it is healed.
# timeout: 180
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "ops: status on a 3-node cluster, /livez on a frozen loop, /readyz on quorum loss"
lab_require_kubevip
lab_require curl
lab_create 3
lab_holders_start

# The freeze-loop request is a test hook, refused unless asked for at start.
export KUBEVIP_DEBUG_COMMANDS=1
lab_start_cluster --extra "healthCheckPort: 8081"
lab_wait_leader
leader=$LAB_LEADER

# status NODE [ARGS...]: `kube-vip status` against NODE's control socket.
status() {
  local node=$1; shift
  "$KUBEVIP_BIN" status --socket "$(lab_kv_socket "$node")" "$@"
}
# field JSON PYTHON-EXPRESSION over the document d
field() { "$LAB_PYTHON" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
# http NODE PATH: "CODE BODY" of GET http://NODE:8081/PATH from the client.
http() {
  lab_exec client curl -s --max-time 3 -o - -w ' %{http_code}' "http://$(lab_ip4 "$1"):8081$2" || true
}

wait_until 5 eval '[ "$(field "$(status node3 --output json)" "d[\"election\"][\"leader\"]")" = "$leader" ]' ||
  fail "node3 does not report $leader as leader"
term=""
for n in node1 node2 node3; do
  doc=$(status "$n" --output json) || fail "kube-vip status failed on $n"
  assert_eq "$leader" "$(field "$doc" 'd["election"]["leader"]')" "$n: leader"
  assert_eq "$([ "$n" = "$leader" ] && echo True || echo False)" \
    "$(field "$doc" 'd["election"]["is_leader"]')" "$n: is_leader"
  assert_eq "$leader" "$(field "$doc" 'd["vips"][0]["holder"]')" "$n: the VIP's holder"
  assert_eq "$LAB_VIP4" "$(field "$doc" 'd["vips"][0]["address"]')" "$n: the VIP"
  assert_eq 3 "$(field "$doc" 'len(d["election"]["peers"])')" "$n: Raft peers"
  assert_eq True "$(field "$doc" 'd["ready"]["ok"]')" "$n: ready"
  this_term=$(field "$doc" 'd["election"]["term"]')
  [ -z "$term" ] || assert_eq "$term" "$this_term" "$n: the same Raft term"
  term=$this_term
done
leader_doc=$(status "$leader" --output json)
assert_eq holding "$(field "$leader_doc" 'd["vips"][0]["state"]')" "the leader's VIP state"
assert_ne None "$(field "$leader_doc" 'd["vips"][0].get("since")')" "the leader says since when"
assert_ne None "$(field "$leader_doc" 'd["election"].get("leadership_time_left_s")')" \
  "the leader shows its lease time left"
text=$(status "$leader")
log "status on $leader:"$'\n'"$text"
assert_contains "$text" "$leader" "the text rendering names the leader"
assert_contains "$text" "$LAB_VIP4" "the text rendering names the VIP"

for n in node1 node2 node3; do
  assert_contains "$(http "$n" /livez)" " 200" "$n: /livez"
  assert_contains "$(http "$n" /readyz)" " 200" "$n: /readyz"
done

# A frozen control loop: /livez fails within its 5 s bound and says since when, then recovers.
# 12 s leaves the 2 s status request below room to land inside the freeze after /livez failed.
follower=$(for n in node1 node2 node3; do [ "$n" = "$leader" ] || echo "$n"; done | head -n1)
lab_bg freeze "$follower" "$LAB_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"debug freeze-loop 12000\n")
print(s.recv(4096).decode())' "$(lab_kv_socket "$follower")"
check "$follower: /livez fails while its loop is frozen" \
  wait_until 8 eval '[[ "$(http "$follower" /livez)" == *" 503" ]]'
body=$(http "$follower" /livez)
log "$follower /livez while frozen: $body"
assert_contains "$body" "ago" "/livez says when the loop last turned"
out=$(status "$follower" 2>&1 || true)
assert_contains "$out" "did not answer" "status says the loop does not answer"
check "$follower: /livez recovers after the freeze" \
  wait_until 10 eval '[[ "$(http "$follower" /livez)" == *" 200" ]]'
lab_bg_stop freeze

# Quorum lost: the leader cut off from both followers steps down; its /readyz says why.
lab_partition "$leader" $(for n in node1 node2 node3; do [ "$n" = "$leader" ] || echo "$n"; done)
check "$leader: /readyz fails once it has no quorum" \
  wait_until 5 eval '[[ "$(http "$leader" /readyz)" == *" 503" ]]'
body=$(http "$leader" /readyz)
log "$leader /readyz cut off: $body"
assert_contains "$body" "no quorum" "/readyz gives the reason"
doc=$(status "$leader" --output json)
assert_eq False "$(field "$doc" 'd["ready"]["ok"]')" "status shows not ready"
lab_heal "$leader"
check "$leader: /readyz recovers after the partition heals" \
  wait_until 10 eval '[[ "$(http "$leader" /readyz)" == *" 200" ]]'
check "never two live holders" lab_holders_check
lab_pass
