# shellcheck shell=bash
# Helpers of the kernel-forwarding load balancer tests (test_lb_kernel_*.sh). Source after lab.sh.
#
# Backends are lab nodes that run no kube-vip, each with ../tools/lb_peer_server.py answering TCP
# and UDP on one port with "<name> <peer address>"; the client asks through the VIP with
# ../tools/lb_client.py. The daemon programs the table `inet kube_vip` in the VIP holder's
# namespace; these helpers read it with `nft`, as an operator would.

LBK_PORT=9000  # the backends' port

# lbk_start_peer NODE [--udp-only]: starts NODE's backend server on $LBK_PORT and waits until it
# listens (TCP and UDP, or UDP alone).
lbk_start_peer() {
  local node=$1
  lab_bg "peer.$node" "$node" "$LAB_PYTHON" "$LAB_TOOLS_DIR/lb_peer_server.py" --name "$node" \
    --port "$LBK_PORT" "${@:2}"
  wait_until 5 _lbk_udp_bound "$node" || fail "$node's backend server does not listen"
  [ "${2:-}" = --udp-only ] || wait_until 5 _lab_listening "$node" "$LBK_PORT" ||
    fail "$node's backend server does not listen on TCP"
}
_lbk_udp_bound() { [ -n "$(lab_exec "$1" ss -Hlun "sport = :$LBK_PORT" 2>/dev/null)" ]; }

# lbk_stop_peer NODE [SIG]: stops it (both its sockets close).
lbk_stop_peer() { lab_bg_stop "peer.$1" "${2:-TERM}"; }

# lbk_ask PROTO HOST PORT [COUNT] [FROM] [CLIENT OPTION...]: COUNT requests (default 1) from
# FROM (default client), each from a new socket; one line each: "<backend> <address it saw>",
# refused, timeout, ... Options: --source-port P [--same-port] (see lb_client.py).
lbk_ask() {
  lab_exec "${5:-client}" "$LAB_PYTHON" "$LAB_TOOLS_DIR/lb_client.py" "$1" "$2" "$3" \
    --count "${4:-1}" --timeout 1 "${@:6}"
}

# lbk_count WORD ANSWERS: how many answer lines begin with WORD.
lbk_count() { grep -c "^$1\( \|$\)" <<<"$2" || true; }

# lbk_table_present NODE: the kube_vip table exists in NODE's namespace.
lbk_table_present() { lab_exec "$1" nft list table inet kube_vip >/dev/null 2>&1; }

# lbk_table_names NODE ADDRESS: the table in NODE's namespace names ADDRESS (a DNAT destination).
lbk_table_names() {
  lab_exec "$1" nft -j list table inet kube_vip 2>/dev/null | grep -qF "\"$2\""
}

# lbk_backend_yaml NODE [WEIGHT] [FAMILY]: one backends entry (FAMILY 6: the node's IPv6 address).
lbk_backend_yaml() {
  local address
  if [ "${3:-4}" = 6 ]; then address=$(lab_ip6 "$1"); else address=$(lab_ip4 "$1"); fi
  echo "      - {address: \"$address\", port: $LBK_PORT, weight: ${2:-1}}"
}

# lbk_health_yaml INTERVAL_MS: a fast healthCheck block (timeout half the interval, rise 2, fall 2).
lbk_health_yaml() {
  cat <<YAML
    healthCheck:
      interval: ${1}ms
      timeout: $(($1 / 2))ms
      rise: 2
      fall: 2
YAML
}

# lbk_wait_table NODE [TIMEOUT]: waits for the table to appear in NODE's namespace.
lbk_wait_table() {
  wait_until "${2:-5}" lbk_table_present "$1" || fail "no table inet kube_vip on $1"
}
