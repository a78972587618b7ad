#!/usr/bin/env bash
# In-cluster mode, refused credentials: a wrong token (401) and a token without rights on Leases
# (403) give clear errors naming the cause, and such nodes never take the VIP; a correctly
# configured node next to them leads normally.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "incluster: wrong token and missing RBAC rights are named"
lab_require_kubevip
lab_create 3
kvk_start_apiserver
kvk_start_manager node1 wrong
kvk_start_manager node2 norbac
wait_until 5 grep -q "unauthorized (401)" "$(lab_kv_log node1)" || fail "node1 did not report the 401"
check "node1 names the rejected credentials" grep -q "rejected our credentials" "$(lab_kv_log node1)"
wait_until 5 grep -q "forbidden (403)" "$(lab_kv_log node2)" || fail "node2 did not report the 403"
check "node2 names the verb and resource RBAC refused" \
  grep -q 'cannot get resource \\"leases\\"\|cannot get resource "leases"' "$(lab_kv_log node2)"
sleep 3
assert_eq "" "$(lab_vip_holders)" "no VIP without valid credentials"
kvk_start_manager node3 token
wait_until 10 kvk_holder_is node3 || fail "node3 did not take the VIP"
sleep 2
assert_eq node3 "$(lab_vip_holders)" "only the node with valid credentials holds the VIP"
grep -h "401\|403" "$(lab_kv_log node1)" "$(lab_kv_log node2)" | head -2 | sed 's/^/  log: /' >&2
lab_pass
