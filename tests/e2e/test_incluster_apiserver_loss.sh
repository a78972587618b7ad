#!/usr/bin/env bash
# In-cluster mode, API server lost: the leader cannot renew, so it removes the VIP by itself
# before any other node could see the Lease as expired (last renewal + leaseDuration - renewDeadline
# = 2 s with the defaults), and says why in its log. Nobody holds the VIP while the API server is
# away; when it returns (with its stored state, like etcd), exactly one node takes the VIP again.
# Then the API server hangs (answers nothing): the same happens through request timeouts.
# Throughout, /readyz follows the API server: 503 with the reason while it is away, 200 once back.
# timeout: 180
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "incluster: the leader drops the VIP when the API server is lost"
lab_require_kubevip
lab_create 3
kvk_start_apiserver
for n in node1 node2 node3; do kvk_start_manager "$n" token health_check_port=8081; done
lab_holders_start
# readyz NODE: "BODY CODE" of the node's /readyz, read from the client.
readyz() {
  lab_exec client curl -s --max-time 2 -o - -w ' %{http_code}' "http://$(lab_ip4 "$1"):8081/readyz" || true
}
wait_until 15 kvk_one_holder >/dev/null || fail "no single VIP holder after 15 s"
leader=$(kvk_one_holder)
sleep 2
log "leader: $leader; stopping the API server"

t0=$(_lab_us)
kvk_stop_apiserver KILL
wait_until 6 _lab_not lab_has_vip "$leader" || fail "$leader kept the VIP 6 s after losing the API server"
took=$(kvk_elapsed "$t0")
log "$leader removed the VIP ${took}s after the API server died"
# At most 2 s after the last successful renewal, which was sent at most ~1 s before the kill.
assert_le "$took" 3.2 "VIP removed before the Lease could expire for the others (5 s)"
check "the leader logged why" grep -q "lost contact with the API server" "$(lab_kv_log "$leader")"
check "the log says the VIP is released" grep -q "releasing the VIP" "$(lab_kv_log "$leader")"
sleep 5
assert_eq "" "$(lab_vip_holders)" "nobody holds the VIP while the API server is away"
body=$(readyz "$leader")
log "$leader /readyz with the API server away: $body"
assert_contains "$body" " 503" "/readyz fails while the API server is away"
assert_contains "$body" "the API server does not answer Lease requests" "/readyz says why"
for n in node1 node2 node3; do check "$n still running" lab_kubevip_running "$n"; done

t1=$(_lab_us)
kvk_start_apiserver
wait_until 10 kvk_one_holder >/dev/null || fail "no holder 10 s after the API server came back"
log "$(kvk_one_holder) holds the VIP $(kvk_elapsed "$t1")s after the API server came back"
sleep 3
check "exactly one holder after recovery" kvk_one_holder
holder=$(kvk_one_holder)
for n in node1 node2 node3; do assert_contains "$(readyz "$n")" " 200" "$n: /readyz once the API server is back"; done
wait_until 3 kvk_lease_holder_is "$holder" ||
  fail "the Lease names '$(kvk_lease_field holderIdentity)', the VIP is on $holder"

# A hung API server (accepts connections, never answers): requests time out after 1 s, and the
# leader gives the VIP up just the same.
sleep 2
t2=$(_lab_us)
kill -USR1 "${LAB_BG_PID[apiserver]}"
wait_until 6 _lab_not lab_has_vip "$holder" || fail "$holder kept the VIP 6 s into a hung API server"
took_hung=$(kvk_elapsed "$t2")
log "$holder removed the VIP ${took_hung}s after the API server hung"
assert_le "$took_hung" 3.2 "VIP removed while the API server hangs"
check "the timeout is named" grep -q "did not answer within 1000 ms" "$(lab_kv_log "$holder")"
sleep 4
assert_eq "" "$(lab_vip_holders)" "nobody holds the VIP while the API server hangs"

report=$(lab_holders_check) || fail "two live nodes held the VIP at once: $report"
echo "MEASURED incluster VIP removal after API server loss (s): killed $took, hung $took_hung"
lab_pass
