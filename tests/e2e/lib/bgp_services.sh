# shellcheck shell=bash
# bgp_services.sh: Services of type LoadBalancer announced by BGP, in-cluster. Source it after
# lab.sh, apiserver/incluster.sh, routers.sh and bgp_kubevip.sh.
#
# Every node runs `kube-vip manager` in the Services mode with vip_arp=false and BGP from the
# environment (bgp_enable, bgp_as, bgp_routerid, bgp_peers ...): a Service address goes on the
# node's lo (bgp_vip_interface) and its host route is announced with the node's session address as
# next hop. Service addresses here avoid the routers' .201-.209 and stay inside $KVK_SVC_CIDR.
#
#   bgp_svc_start_manager NODE PEERS [VAR=VALUE...]   PEERS as bgp_peers ("addr:AS:...,...")
#   bgp_svc_nexthops R PREFIX                         sorted next hops on one line
#   bgp_svc_via_nodes R PREFIX [NODE...]              exactly the paths via these nodes (none: absent)

# bgp_svc_start_manager NODE PEERS [VAR=VALUE...]: `kube-vip manager` as kvk_start_svc_manager
# starts it, with BGP on (hold time 3 s, keepalive 1 s) and the configuration file
# $BGP_SVC_CONFIG under the environment when set; extra VAR=VALUE pairs override (e.g.
# svc_election=true).
BGP_SVC_CONFIG=""
bgp_svc_start_manager() {
  local node=$1 peers=$2 ns logfile config_args=()
  shift 2
  ns=$(lab_ns "$node") || return 1
  [ -z "$BGP_SVC_CONFIG" ] || config_args=(-c "$BGP_SVC_CONFIG")
  logfile=$LAB_DIR/$node.kubevip.log
  echo "==== $(date -u +%T.%N) start $KUBEVIP_BIN manager (services, BGP: $*)" >>"$logfile"
  ip netns exec "$ns" env -i --default-signal=INT,QUIT PATH="$PATH" \
    vip_interface=eth0 vip_arp=false svc_enable=true cp_enable=false cp_namespace=kube-system \
    vip_leaderelection=true vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 \
    vip_nodename="$node" k8s_config_file="$(kvk_kubeconfig token)" k8s_use_kubeconfig_server=true \
    vip_loglevel=debug vip_statussocket="$(lab_kv_socket "$node")" \
    bgp_enable=true bgp_as="$BGP_KV_AS" bgp_routerid="$(lab_ip4 "$node")" bgp_hold_time=3 \
    bgp_keepalive_interval=1 bgp_peers="$peers" "$@" \
    "$KUBEVIP_BIN" manager "${config_args[@]}" >>"$logfile" 2>&1 &
  LAB_KV_PID[$node]=$!
  LAB_KV_LOG[$node]=$logfile
  log "$node: kube-vip manager (services, BGP) started (pid ${LAB_KV_PID[$node]}${*:+, $*})"
}

# bgp_svc_nexthops R PREFIX: every path's next hop of PREFIX at router R, sorted, space-separated.
bgp_svc_nexthops() { router_route_nexthops "$1" "$2" 2>/dev/null | sort | xargs; }

# bgp_svc_via_nodes R PREFIX [NODE...]: R's paths for PREFIX go exactly via these nodes' addresses
# (IPv4 or IPv6, as PREFIX), one path each; with no NODE, R has no path for PREFIX.
bgp_svc_via_nodes() {
  local r=$1 prefix=$2 n want=() ip_of=lab_ip4
  shift 2
  [[ "$prefix" != *:* ]] || ip_of=lab_ip6
  for n in "$@"; do want+=("$("$ip_of" "$n")"); done
  [ "$(bgp_svc_nexthops "$r" "$prefix")" = "$(printf '%s\n' "${want[@]}" | sed '/^$/d' | sort | xargs)" ]
}

# bgp_svc_bird_meds R PREFIX: the MULTI_EXIT_DISC (RFC 4271 §5.1.4) of every path of PREFIX at the
# BIRD router R, sorted, space-separated ("-" for a path without one).
bgp_svc_bird_meds() {
  router_cli "$1" show route "$2" all 2>/dev/null | awk '
    /^[0-9a-f.:\/]+ +unicast|^ +unicast/ { if (seen) print med; seen = 1; med = "-" }
    /BGP\.med:/ { med = $2 }
    END { if (seen) print med }' | sort | xargs
}

# bgp_svc_endpointslice SERVICE NODE[:not-ready]...: creates or replaces the EndpointSlice
# SERVICE-kv of SERVICE (namespace default) with one endpoint per NODE (addresses 10.244.0.10, .11,
# ...), ready and serving unless marked :not-ready (then terminating). kvk_endpointslice is the
# one-endpoint case.
bgp_svc_endpointslice() {
  local svc=$1 spec node i=10 conditions
  shift
  {
    printf '%s\n' "apiVersion: discovery.k8s.io/v1" "kind: EndpointSlice" "metadata:" \
      "  name: $svc-kv" "  namespace: default" "  labels: {kubernetes.io/service-name: $svc}" \
      "addressType: IPv4" "ports: [{name: tcp-80, port: 8080, protocol: TCP}]" "endpoints:"
    for spec in "$@"; do
      node=${spec%:not-ready}
      conditions="{ready: true, serving: true, terminating: false}"
      [ "$node" = "$spec" ] || conditions="{ready: false, serving: false, terminating: true}"
      printf '%s\n' "- addresses: [\"10.244.0.$i\"]" "  nodeName: $node" "  conditions: $conditions"
      i=$((i + 1))
    done
  } | kvk_apply >/dev/null
}
