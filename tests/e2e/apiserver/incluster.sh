# shellcheck shell=bash
# incluster.sh: helpers for the in-cluster end-to-end tests (tests/e2e/test_incluster_*.sh), on top
# of lib/lab.sh. The test API server (apiserver.py) runs in the client namespace on
# $KVK_API_ADDR:6443; `kube-vip manager` runs in node namespaces, configured only through kube-vip's
# environment variables, as a static pod would be.

KVK_API_ADDR=10.201.0.250
KVK_API_PORT=6443
KVK_DIR_NAME=api
KVK_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# kvk_start_apiserver [APISERVER_ARG...]: starts (or restarts) the test API server; state survives
# restarts. Extra arguments go to apiserver.py (e.g. --san IP:X --kubeconfig-server URL).
kvk_start_apiserver() {
  lab_require openssl curl  # the server makes its certificates with openssl; tests read with curl
  local dir=$LAB_DIR/$KVK_DIR_NAME
  mkdir -p "$dir"
  rm -f "$dir/ready"
  lab_bg apiserver client "$LAB_PYTHON" "$KVK_HERE/apiserver.py" --listen "$KVK_API_ADDR" \
    --port "$KVK_API_PORT" --dir "$dir" --state "$dir/state.json" "$@"
  wait_until 20 test -f "$dir/ready" || fail "the test API server did not start: $(tail -5 "$LAB_DIR/apiserver.log")"
  log "test API server at $(cat "$dir/ready")"
}

# kvk_start_local_apiserver NODE: a forwarder on NODE's 127.0.0.1:$KVK_API_PORT to the test API
# server, standing for NODE's own API server (background tag fwd-NODE).
kvk_start_local_apiserver() {
  lab_bg "fwd-$1" "$1" "$LAB_PYTHON" "$KVK_HERE/../tools/tcp_forward.py" \
    --listen "127.0.0.1:$KVK_API_PORT" --to "$KVK_API_ADDR:$KVK_API_PORT"
  wait_until 5 grep -q forwarding "$LAB_DIR/fwd-$1.log" ||
    fail "$1: the forwarder did not start: $(cat "$LAB_DIR/fwd-$1.log")"
}

# kvk_stop_apiserver [SIG]: stops it (default KILL: connections refused at once).
kvk_stop_apiserver() { lab_bg_stop apiserver "${1:-KILL}"; }

# kvk_kubeconfig NAME: path of one of the server's kubeconfigs (token, admin, wrong, norbac, reader).
kvk_kubeconfig() { echo "$LAB_DIR/$KVK_DIR_NAME/$1.conf"; }

# kvk_start_manager NODE [KUBECONFIG_NAME] [VAR=VALUE...]: `kube-vip manager` in NODE's namespace
# with the variables a static pod manifest sets; extra VAR=VALUE pairs override them. The test API
# server is not on the nodes, so by default the manager talks to the kubeconfig's server as written
# (k8s_use_kubeconfig_server=true); test_incluster_local_apiserver.sh covers the default.
kvk_start_manager() {
  local node=$1 conf=${2:-token} ns logfile
  shift; [ $# -eq 0 ] || shift
  ns=$(lab_ns "$node") || return 1
  logfile=$LAB_DIR/$node.kubevip.log
  echo "==== $(date -u +%T.%N) start $KUBEVIP_BIN manager ($conf)" >>"$logfile"
  ip netns exec "$ns" env -i --default-signal=INT,QUIT PATH="$PATH" \
    vip_interface=eth0 address="$LAB_VIP4" port=6443 vip_arp=true cp_enable=true \
    cp_namespace=kube-system vip_leaderelection=true vip_leasename=plndr-cp-lock \
    vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 vip_nodename="$node" \
    k8s_config_file="$(kvk_kubeconfig "$conf")" k8s_use_kubeconfig_server=true \
    vip_loglevel=debug "$@" \
    "$KUBEVIP_BIN" manager >>"$logfile" 2>&1 &
  LAB_KV_PID[$node]=$!
  LAB_KV_LOG[$node]=$logfile
  log "$node: kube-vip manager started (pid ${LAB_KV_PID[$node]}, kubeconfig $conf)"
}

# kvk_lease_field FIELD: a field of spec of kube-system/plndr-cp-lock ("" if absent or no Lease).
kvk_lease_field() {
  lab_exec client curl -s --max-time 2 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
    -H "Authorization: Bearer admin-token-0123456789" \
    "https://$KVK_API_ADDR:$KVK_API_PORT/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/plndr-cp-lock" |
    "$LAB_PYTHON" -c 'import json,sys
try: print(json.load(sys.stdin).get("spec", {}).get(sys.argv[1], ""))
except Exception: print("")' "$1"
}

# kvk_one_holder: true when exactly one node holds the VIP; prints it.
kvk_one_holder() {
  local h; h=$(lab_vip_holders)
  [ -n "$h" ] && [ "$h" = "${h%% *}" ] && echo "$h"
}

# kvk_holder_is_not NODE: exactly one holder, and it is not NODE.
kvk_holder_is_not() {
  local h; h=$(kvk_one_holder) || return 1
  [ "$h" != "$1" ]
}

# kvk_elapsed T0_US: seconds since T0_US (from _lab_us), 3 decimals.
kvk_elapsed() { printf '%.3f' "$((($(_lab_us) - $1) / 1000))e-3"; }

# kvk_holder_is NODE: NODE, and only NODE, holds the VIP.
kvk_holder_is() { [ "$(lab_vip_holders)" = "$1" ]; }

# kvk_lease_holder_is NODE: the Lease names NODE.
kvk_lease_holder_is() { [ "$(kvk_lease_field holderIdentity)" = "$1" ]; }

# kvk_api_as TOKEN METHOD PATH [CURL_ARG...]: a request to the test API server from the client
# namespace; prints the body, then the HTTP status on a line of its own (e.g. `${out##*$'\n'}`).
kvk_api_as() {
  local token=$1 method=$2 path=$3; shift 3
  lab_exec client curl -s --max-time 5 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
    -H "Authorization: Bearer $token" -X "$method" -w '\n%{http_code}\n' "$@" \
    "https://$KVK_API_ADDR:$KVK_API_PORT$path"
}

# kvk_api METHOD PATH [CURL_ARG...]: kvk_api_as with the full-rights token.
kvk_api() { kvk_api_as admin-token-0123456789 "$@"; }

# kvk_drop_watches: ends every open watch at once, as a broken connection (forces a re-list).
kvk_drop_watches() {
  local out; out=$(kvk_api POST /_test/drop-watches)
  [ "${out##*$'\n'}" = 200 ] || fail "the test API server did not drop its watches: $out"
}
