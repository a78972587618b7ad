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
    vip_loglevel=debug vip_statussocket="$(lab_kv_socket "$node")" "$@" \
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

# kvk_one_holder [ADDR]: true when exactly one node holds ADDR (default the VIP); prints it.
kvk_one_holder() {
  local h; h=$(lab_vip_holders "${1:-$LAB_VIP4}")
  [ -n "$h" ] && [ "$h" = "${h%% *}" ] && echo "$h"
}

# kvk_holder_is_not NODE [ADDR]: exactly one holder of ADDR (default the VIP), and it is not NODE.
kvk_holder_is_not() {
  local h; h=$(kvk_one_holder "${2:-}") || return 1
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

# ---- Services mode ------------------------------------------------------------------------------
# Service addresses come from a pool inside the lab subnet, away from the nodes (.1-.N), the VIP
# (.100) and the client / test API server (.250).
KVK_SVC_CIDR=10.201.0.192/27       # what the address watchers follow
KVK_SVC_RANGE=10.201.0.200-10.201.0.209

# kvk_one_holder ADDR and kvk_holder_is_not NODE ADDR (above) follow a Service address too.
# kvk_holders_of ADDR: the nodes holding ADDR now, space-separated.
kvk_holders_of() { lab_vip_holders "$1"; }

# kvk_nobody_holds ADDR: no node holds ADDR.
kvk_nobody_holds() { [ -z "$(lab_vip_holders "$1")" ]; }

# kvk_start_svc_manager NODE [VAR=VALUE...]: `kube-vip manager` in NODE's namespace in the
# Services mode only (svc_enable=true, cp_enable=false, no address), with the variables a
# `manifest daemonset --services --arp` sets; extra VAR=VALUE pairs are added last and override
# (e.g. svc_election=true). Same kubeconfig and logging as kvk_start_manager.
kvk_start_svc_manager() {
  local node=$1 ns logfile
  shift
  ns=$(lab_ns "$node") || return 1
  logfile=$LAB_DIR/$node.kubevip.log
  echo "==== $(date -u +%T.%N) start $KUBEVIP_BIN manager (services: $*)" >>"$logfile"
  ip netns exec "$ns" env -i --default-signal=INT,QUIT PATH="$PATH" \
    vip_interface=eth0 vip_arp=true svc_enable=true cp_enable=false cp_namespace=kube-system \
    vip_leaderelection=true vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 \
    vip_nodename="$node" k8s_config_file="$(kvk_kubeconfig token)" \
    k8s_use_kubeconfig_server=true vip_loglevel=debug vip_statussocket="$(lab_kv_socket "$node")" "$@" \
    "$KUBEVIP_BIN" manager >>"$logfile" 2>&1 &
  LAB_KV_PID[$node]=$!
  LAB_KV_LOG[$node]=$logfile
  log "$node: kube-vip manager (services) started (pid ${LAB_KV_PID[$node]}${*:+, $*})"
}

# kvk_kubectl ARG...: the real kubectl in the client namespace, full rights (token kubeconfig).
kvk_kubectl() { lab_exec client kubectl --kubeconfig "$(kvk_kubeconfig token)" "$@"; }

# kvk_apply: kubectl apply of the YAML on stdin (no OpenAPI documents here: --validate=false).
kvk_apply() {
  cat >"$LAB_DIR/apply.$$.yaml"
  kvk_kubectl apply --validate=false -f "$LAB_DIR/apply.$$.yaml"
}

# kvk_ipam_configmap KEY=VALUE...: creates or replaces the address pools, ConfigMap
# kube-system/kubevip (keys cidr-global, range-global, cidr-<ns>, range-<ns>, allow-share-<ns>).
kvk_ipam_configmap() {
  local kv
  {
    printf '%s\n' "apiVersion: v1" "kind: ConfigMap" "metadata:" "  name: kubevip" \
      "  namespace: kube-system" "data:"
    for kv in "$@"; do printf '  %s: "%s"\n' "${kv%%=*}" "${kv#*=}"; done
  } | kvk_apply >/dev/null
}

# kvk_create_lb_service NAME [NAMESPACE] [TCP]: `kubectl create service loadbalancer NAME
# --tcp=TCP` (default 80:8080) in NAMESPACE (default default), which is created if needed.
kvk_create_lb_service() {
  local name=$1 ns=${2:-default} tcp=${3:-80:8080}
  kvk_kubectl -n "$ns" create service loadbalancer "$name" --tcp="$tcp" >/dev/null
}

# kvk_apply_lb_service NAME [NAMESPACE] [key=value...]: a Service of type LoadBalancer applied
# from YAML. Keys: port (80), targetPort (8080), address (annotation kube-vip.io/loadbalancerIPs),
# policy (externalTrafficPolicy), class (loadBalancerClass), annotations (extra YAML lines
# "key: value" joined with ';').
kvk_apply_lb_service() {
  local name=$1 ns=${2:-default}
  shift $(($# >= 2 ? 2 : 1))
  local port=80 target=8080 address="" policy="" class="" annotations="" kv a
  for kv in "$@"; do
    case "${kv%%=*}" in
      port) port=${kv#*=} ;;
      targetPort) target=${kv#*=} ;;
      address) address=${kv#*=} ;;
      policy) policy=${kv#*=} ;;
      class) class=${kv#*=} ;;
      annotations) annotations=${kv#*=} ;;
      *) echo "kvk_apply_lb_service: unknown key ${kv%%=*}" >&2; return 1 ;;
    esac
  done
  {
    printf '%s\n' "apiVersion: v1" "kind: Service" "metadata:" "  name: $name" "  namespace: $ns"
    if [ -n "$address$annotations" ]; then
      echo "  annotations:"
      [ -z "$address" ] || echo "    kube-vip.io/loadbalancerIPs: \"$address\""
      IFS=';' read -ra a <<<"$annotations"
      for kv in "${a[@]}"; do [ -z "$kv" ] || echo "    $kv"; done
    fi
    printf '%s\n' "spec:" "  type: LoadBalancer" "  selector: {app: $name}" "  ports:" \
      "  - {name: tcp-$port, port: $port, targetPort: $target, protocol: TCP}"
    [ -z "$policy" ] || echo "  externalTrafficPolicy: $policy"
    [ -z "$class" ] || echo "  loadBalancerClass: $class"
  } | kvk_apply >/dev/null
}

# kvk_endpointslice SERVICE NODE [NAMESPACE] [ADDRESS]: creates or replaces the EndpointSlice
# SERVICE-kv of SERVICE with one ready, serving endpoint (ADDRESS, default 10.244.0.10) on NODE.
kvk_endpointslice() {
  local svc=$1 node=$2 ns=${3:-default} addr=${4:-10.244.0.10}
  printf '%s\n' "apiVersion: discovery.k8s.io/v1" "kind: EndpointSlice" "metadata:" \
    "  name: $svc-kv" "  namespace: $ns" "  labels: {kubernetes.io/service-name: $svc}" \
    "addressType: IPv4" "ports: [{name: tcp-80, port: 8080, protocol: TCP}]" "endpoints:" \
    "- addresses: [\"$addr\"]" "  nodeName: $node" \
    "  conditions: {ready: true, serving: true, terminating: false}" | kvk_apply >/dev/null
}

# kvk_node NAME [LABEL=VALUE...]: creates or replaces the Node NAME (Ready) with the labels.
kvk_node() {
  local name=$1 kv; shift
  {
    printf '%s\n' "apiVersion: v1" "kind: Node" "metadata:" "  name: $name" "  labels:" \
      "    kubernetes.io/hostname: $name"
    for kv in "$@"; do echo "    ${kv%%=*}: \"${kv#*=}\""; done
    printf '%s\n' "status:" "  conditions: [{type: Ready, status: \"True\"}]" \
      "  addresses: [{type: InternalIP, address: $(lab_ip4 "$name")}]"
  } | kvk_apply >/dev/null
}

# kvk_svc NAME JSONPATH [NAMESPACE]: a field of the Service, as kubectl -o jsonpath prints it
# ("" if absent or if the Service does not exist).
kvk_svc() {
  kvk_kubectl -n "${3:-default}" get svc "$1" -o "jsonpath=$2" 2>/dev/null || true
}

# kvk_svc_annotation NAME KEY [NAMESPACE]: an annotation of the Service ("" if absent).
kvk_svc_annotation() {
  local key=${2//./\\.}
  kvk_svc "$1" "{.metadata.annotations.$key}" "${3:-}"
}

# kvk_svc_address NAME [NAMESPACE]: the address given to the Service (kube-vip.io/loadbalancerIPs).
kvk_svc_address() { kvk_svc_annotation "$1" kube-vip.io/loadbalancerIPs "${2:-}"; }

# kvk_svc_ingress NAME [NAMESPACE]: status.loadBalancer.ingress as "ip ipMode port/protocol..."
# for each entry, entries separated by ';'.
kvk_svc_ingress() {
  kvk_svc "$1" '{range .status.loadBalancer.ingress[*]}{.ip} {.ipMode}{range .ports[*]} {.port}/{.protocol}{end};{end}' "${2:-}"
}

# kvk_svc_has_address NAME [NAMESPACE]: the Service has been given an address; prints it.
kvk_svc_has_address() {
  local a; a=$(kvk_svc_address "$1" "${2:-}")
  [ -n "$a" ] && echo "$a"
}

# kvk_get_lease NAMESPACE NAME FIELD: a field of the Lease's spec ("" if absent or no Lease).
kvk_get_lease() {
  kvk_kubectl -n "$1" get lease "$2" -o "jsonpath={.spec.$3}" 2>/dev/null || true
}

# kvk_lease_holder_of NAMESPACE NAME: the Lease's holderIdentity ("" if none).
kvk_lease_holder_of() { kvk_get_lease "$1" "$2" holderIdentity; }

# kvk_announced_by ADDR NODE: the client resolves ADDR to NODE's MAC right now (an ARP request
# from the client, answered by the holder's kernel: arping exits 0 on a reply).
kvk_announced_by() {
  local out
  out=$(lab_exec client arping -c 1 -w 1 -I eth0 "$1" 2>/dev/null) || return 1
  grep -qi "$(lab_mac "$2")" <<<"$out"
}

# kvk_addr_holders_start [CIDR[,CIDR...] [POLL]]: tools/addr_holders.py watch in every node
# namespace, following every address in the CIDRs (default $KVK_SVC_CIDR), with a dump every POLL
# seconds (default 0.01; events are followed as they come); waits until each has read its first
# dump.
kvk_addr_holders_start() {
  local cidrs=${1:-$KVK_SVC_CIDR} poll=${2:-0.01} n c args=()
  IFS=, read -ra c <<<"$cidrs"
  for cidrs in "${c[@]}"; do args+=(--cidr "$cidrs"); done
  for n in $(lab_node_names); do
    : >"$LAB_DIR/addr_holders.$n.tsv"
    lab_bg "addr_holders.$n" "$n" "$LAB_PYTHON" "$LAB_TOOLS_DIR/addr_holders.py" watch --node "$n" \
      "${args[@]}" --poll "$poll" --out "$LAB_DIR/addr_holders.$n.tsv"
  done
  for n in $(lab_node_names); do
    wait_until 5 grep -qs "^[0-9.]* $n ready" "$LAB_DIR/addr_holders.$n.tsv" ||
      fail "address holder watcher on $n did not start"
  done
}

# kvk_addr_holders_check [ARGS...]: stops the watchers; prints addr_holders.py overlap's JSON;
# returns 1 if two live nodes held one address at once (ARGS e.g. --tolerance 0.005).
kvk_addr_holders_check() {
  local n files=()
  for n in $(lab_node_names); do
    lab_bg_stop "addr_holders.$n"
    files+=("$LAB_DIR/addr_holders.$n.tsv")
  done
  "$LAB_PYTHON" "$LAB_TOOLS_DIR/addr_holders.py" overlap --liveness "$LAB_DIR/liveness.log" "$@" "${files[@]}"
}
