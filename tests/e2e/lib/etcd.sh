# shellcheck shell=bash
# etcd.sh: an etcd cluster inside the lab, one member per node, and kube-vip electing through it.
#
# Source it after lab.sh. As kubeadm runs etcd on every control-plane node, member etcd<K> runs in
# node<K>'s namespace on the node's own address, so killing a member, partitioning a node or
# killing a node's daemon hit the same places they would on a real control plane:
#
#   member  namespace  clients (TLS, client certificates required)   peers (plain HTTP)
#   etcd<K> node<K>    https://10.201.0.K:2379, https://127.0.0.1:2379  http://10.201.0.K:2380
#
# Everything lives in $ETCD_DIR ($LAB_DIR/etcd): the certificates (a CA; one server certificate
# per member with IP SANs of its node address and 127.0.0.1; one client certificate), each
# member's data directory and log (etcd<K>.log, appended across restarts). The members are
# processes inside the lab's namespaces, so the lab's EXIT trap (lab_cleanup) kills them with
# everything else, also when a test fails.
#
# Timings (ETCD_TIMING, read when a member starts):
#   default   etcd's own: heartbeat 100 ms, election timeout 1000 ms. LAB-NOTES: a killed leader
#             stalls writes for ~1-2 s.
#   fast      heartbeat 50 ms, election timeout 500 ms.
# Facts these tests lean on (LAB-NOTES, etcd 3.4): three members start in ~2 s; the minimum
# lease TTL is 2 s; an expired lease is revoked by the leader's lessor, which looks for expired
# leases every 500 ms, so a key outlives its lease's TTL by up to ~0.5 s.
#
# Functions
#   etcd_certs                      the CA, server and client certificates (idempotent)
#   etcd_start_cluster [N]          starts members etcd1..etcdN (default: one per lab node) as a
#                                   new cluster; does not wait (etcd_wait_healthy)
#   etcd_start MEMBER               (re)starts one member on its data directory
#   etcd_wait_healthy [T] [MEMBER...]  waits up to T s (10) until every named member (default all
#                                   running ones) answers a quorum read
#   etcd_kill MEMBER [SIG]          signals a member (default KILL) and waits for it to exit
#   etcd_running MEMBER             true while the member's process runs
#   etcd_leader                     the member that leads now (empty if none is known), from
#                                   `etcdctl endpoint status -w json` on the running members
#   etcd_move_leader MEMBER         hands etcd leadership to MEMBER (etcdctl move-leader)
#   etcd_member_of NODE             etcd<K> for node<K>;  etcd_node_of MEMBER  the converse
#   etcd_url MEMBER                 https://10.201.0.K:2379
#   etcd_members                    etcd1 .. etcdN, one a line
#   etcd_ctl [--from NODE] [--endpoints URLS] ARGS...   etcdctl with the client certificate
#                                   (default: from node1, every running member's endpoint)
#   etcd_get KEY                    "VALUE MOD_REVISION" of KEY, empty if absent
#   etcd_lease_ttl KEY              the remaining TTL (s) of the lease KEY is bound to
#   etcd_write_kubevip_config FILE --node K [--ttl S] [--key KEY] [--extra YAML]
#                                   kube-vip's YAML for election through etcd: the node's own
#                                   member first in `endpoints` (kubeadm's API server talks to its
#                                   local etcd first), then the others in order
#   etcd_start_kubevip_nodes [options as above, without FILE and --node]
#                                   writes $LAB_DIR/node<K>.etcd.yaml for every node, starts them
#   etcd_one_holder                 prints the only VIP holder; fails if none or several
#   etcd_wait_key_holder NODE T     waits until the election key names NODE
#   etcd_validity_start NODE FILE   samples NODE's `kube-vip status` every 50 ms into FILE:
#                                   "<monotonic> <leadership seconds left | none>"
#   etcd_validity_stop NODE         stops that sampler
#   etcd_validity_deadline FILE T   the validity deadline (monotonic) of the last sample before T
#   etcd_vip_gone_at NODE T         when NODE's VIP watcher (lab_holders_start) first saw the VIP
#                                   absent after T (monotonic; empty if it did not)

ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
ETCD_TIMING=${ETCD_TIMING:-default}
ETCD_KEY=${ETCD_KEY:-/kube-vip/test}
ETCD_DIR=""  # $LAB_DIR/etcd once etcd_start_cluster ran
ETCD_MEMBERS=0
declare -A ETCD_PID=()  # member -> PID of its etcd

lab_require etcd etcdctl openssl

_etcd_dir() {
  mkdir -p "$LAB_DIR/etcd"
  echo "$LAB_DIR/etcd"
}

etcd_members() { local k; for ((k = 1; k <= ETCD_MEMBERS; k++)); do echo "etcd$k"; done; }
etcd_member_of() { echo "etcd${1#node}"; }
etcd_node_of() { echo "node${1#etcd}"; }
etcd_url() { echo "https://$(lab_ip4 "$(etcd_node_of "$1")"):$ETCD_CLIENT_PORT"; }
_etcd_peer_url() { echo "http://$(lab_ip4 "$(etcd_node_of "$1")"):$ETCD_PEER_PORT"; }

# etcd_certs: a CA, a server certificate per member (IP SANs: its node address and 127.0.0.1)
# and one client certificate, all ECDSA P-256, valid for two days. The server certificates also
# allow client authentication: etcd's JSON gateway dials the member's own gRPC port with them.
etcd_certs() {
  local dir k member ext
  dir=$(_etcd_dir)
  [ -s "$dir/ca.pem" ] && [ -s "$dir/client.pem" ] && [ -s "$dir/etcd$ETCD_MEMBERS.pem" ] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=kube-vip lab etcd CA $LAB_PREFIX" -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" \
    2>>"$dir/openssl.log" || { echo "etcd_certs: could not create the CA (see $dir/openssl.log)" >&2; return 1; }
  _etcd_sign() {  # NAME SUBJECT EXTENSIONS
    printf '%s\n' "$3" >"$dir/$1.ext"
    if ! openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
      -keyout "$dir/$1-key.pem" -out "$dir/$1.csr" 2>>"$dir/openssl.log" ||
      ! openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
        -CAcreateserial -days 2 -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2>>"$dir/openssl.log"; then
      echo "etcd_certs: could not sign $1 (see $dir/openssl.log)" >&2
      return 1
    fi
  }
  for ((k = 1; k <= ETCD_MEMBERS; k++)); do
    member="etcd$k"
    ext="subjectAltName=IP:$(lab_ip4 "node$k"),IP:127.0.0.1
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth"
    _etcd_sign "$member" "/CN=$member" "$ext" || return 1
  done
  _etcd_sign client "/CN=kube-vip" "keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth" || return 1
  chmod 600 "$dir"/*-key.pem
}

_etcd_initial_cluster() {
  local m out=()
  for m in $(etcd_members); do out+=("$m=$(_etcd_peer_url "$m")"); done
  _etcd_join "${out[@]}"
}

# etcd_start_cluster [N]: certificates, then members etcd1..etcdN (default: one per lab node).
etcd_start_cluster() {
  ETCD_MEMBERS=${1:-$LAB_NODES}
  ETCD_DIR=$(_etcd_dir)
  etcd_certs || fail "could not create the etcd certificates"
  local m
  for m in $(etcd_members); do etcd_start "$m" || fail "could not start $m"; done
  log "etcd: $ETCD_MEMBERS members starting (timing $ETCD_TIMING), files in $ETCD_DIR"
}

# etcd_start MEMBER: starts (or restarts, on its data directory) one member in its node's
# namespace. With an existing data directory the --initial-* flags are ignored by etcd and the
# member rejoins with the identity it has.
etcd_start() {
  local member=$1 node ip dir timing=()
  node=$(etcd_node_of "$member")
  ip=$(lab_ip4 "$node")
  dir=$(_etcd_dir)
  case "$ETCD_TIMING" in
    default) ;;
    fast) timing=(--heartbeat-interval 50 --election-timeout 500) ;;
    *) echo "etcd_start: ETCD_TIMING must be default or fast, not '$ETCD_TIMING'" >&2; return 1 ;;
  esac
  echo "==== $(date -u +%T.%N) start $member in $node (timing $ETCD_TIMING)" >>"$dir/$member.log"
  ip netns exec "$(lab_ns "$node")" etcd --name "$member" --data-dir "$dir/$member.data" \
    --listen-client-urls "https://$ip:$ETCD_CLIENT_PORT,https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "https://$ip:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://$ip:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://$ip:$ETCD_PEER_PORT" \
    --initial-cluster "$(_etcd_initial_cluster)" --initial-cluster-state new \
    --initial-cluster-token "$LAB_PREFIX" \
    --cert-file "$dir/$member.pem" --key-file "$dir/$member-key.pem" \
    --client-cert-auth --trusted-ca-file "$dir/ca.pem" \
    --logger zap --log-outputs stderr "${timing[@]}" >>"$dir/$member.log" 2>&1 &
  ETCD_PID[$member]=$!
  # shellcheck disable=SC2034 # read by lab_cleanup (lab.sh), which kills it with the lab
  LAB_BG_PID["etcd.$member"]=$!
  disown "$!"
}

etcd_running() {
  local pid=${ETCD_PID[$1]:-}
  [ -n "$pid" ] && _lab_pid_alive "$pid"
}

# etcd_kill MEMBER [SIG]: signals the member (default KILL) and waits up to 5 s for it to exit.
etcd_kill() {
  local member=$1 sig=${2:-KILL} pid=${ETCD_PID[$1]:-}
  [ -n "$pid" ] || { echo "etcd_kill: $member is not running" >&2; return 1; }
  kill "-$sig" "$pid" 2>/dev/null || true
  wait_while 5 _lab_pid_alive "$pid" || { echo "etcd_kill: $member (pid $pid) did not exit" >&2; return 1; }
  unset "ETCD_PID[$member]" "LAB_BG_PID[etcd.$member]"
  log "$member: etcd stopped with SIG$sig"
}

_etcd_running_urls() {
  local m out=()
  for m in $(etcd_members); do etcd_running "$m" && out+=("$(etcd_url "$m")"); done
  _etcd_join "${out[@]}"
}

# etcd_ctl [--from NODE] [--endpoints URLS] ARGS...: etcdctl (API v3) with the client
# certificate, run in NODE's namespace (default node1) against URLS (default: every running
# member). Command timeout 2 s, so a member without quorum cannot hang a test.
etcd_ctl() {
  local from=node1 endpoints="" dir
  while [ $# -gt 0 ]; do
    case "$1" in
      --from) from=$2; shift 2 ;;
      --endpoints) endpoints=$2; shift 2 ;;
      *) break ;;
    esac
  done
  [ -n "$endpoints" ] || endpoints=$(_etcd_running_urls)
  dir=$(_etcd_dir)
  ETCDCTL_API=3 lab_exec "$from" etcdctl --endpoints "$endpoints" --cacert "$dir/ca.pem" \
    --cert "$dir/client.pem" --key "$dir/client-key.pem" --dial-timeout 1s --command-timeout 2s "$@"
}

# etcd_wait_healthy [TIMEOUT] [MEMBER...]: waits until each member answers `endpoint health`
# (a linearizable read: the member is part of a cluster with a leader).
etcd_wait_healthy() {
  local timeout=${1:-10} members=() urls=() m
  [ $# -eq 0 ] || shift
  if [ $# -gt 0 ]; then members=("$@"); else
    for m in $(etcd_members); do etcd_running "$m" && members+=("$m"); done
  fi
  for m in "${members[@]}"; do urls+=("$(etcd_url "$m")"); done
  wait_until "$timeout" _etcd_healthy "$(_etcd_join "${urls[@]}")"
}
_etcd_healthy() { etcd_ctl --endpoints "$1" endpoint health >/dev/null 2>&1; }
_etcd_join() {
  local IFS=,
  echo "$*"
}

# etcd_leader: the name of the member that leads, as the running members report it (empty if no
# running member knows a leader). Each member's status carries its own ID and its leader's ID.
etcd_leader() {
  local json m names=()
  for m in $(etcd_members); do names+=("$(etcd_url "$m")=$m"); done
  json=$(etcd_ctl endpoint status -w json 2>/dev/null) || true
  [ -n "$json" ] || return 0
  "$LAB_PYTHON" -c '
import json, re, sys
by_url = dict(a.split("=", 1) for a in sys.argv[2:])
for entry in json.loads(sys.argv[1]):
    st = entry.get("Status", {})
    if st.get("leader") and st["leader"] == st.get("header", {}).get("member_id"):
        print(by_url.get(entry["Endpoint"], entry["Endpoint"]))
        break
' "$json" "${names[@]}"
}

# etcd_move_leader MEMBER: transfers etcd leadership to MEMBER (asked of the current leader).
etcd_move_leader() {
  local target=$1 leader id
  leader=$(etcd_leader)
  [ -n "$leader" ] || { echo "etcd_move_leader: no leader" >&2; return 1; }
  [ "$leader" != "$target" ] || return 0
  id=$(etcd_ctl --endpoints "$(etcd_url "$target")" endpoint status -w json |
    "$LAB_PYTHON" -c 'import json, sys; print("%x" % json.load(sys.stdin)[0]["Status"]["header"]["member_id"])')
  etcd_ctl --endpoints "$(etcd_url "$leader")" move-leader "$id" >/dev/null
}

# etcd_get KEY: "VALUE MOD_REVISION" of KEY (a linearizable read), empty if the key is absent;
# fails if the cluster does not answer.
etcd_get() {
  local json
  json=$(etcd_ctl get "$1" -w json) || return 1
  "$LAB_PYTHON" -c '
import base64, json, sys
kvs = json.loads(sys.argv[1]).get("kvs") or []
if kvs:
    print(base64.b64decode(kvs[0]["value"]).decode(), kvs[0]["mod_revision"])
' "$json"
}

# etcd_lease_ttl KEY: the remaining TTL in seconds of the lease KEY is bound to (empty if the key
# is absent or not bound to a lease).
etcd_lease_ttl() {
  local json lease
  json=$(etcd_ctl get "$1" -w json) || return 1
  lease=$("$LAB_PYTHON" -c '
import json, sys
kvs = json.loads(sys.argv[1]).get("kvs") or []
if kvs and kvs[0].get("lease"):
    print("%x" % kvs[0]["lease"])
' "$json")
  [ -n "$lease" ] || return 0
  etcd_ctl lease timetolive "$lease" -w json |
    "$LAB_PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get("ttl", ""))'
}

# ---- kube-vip electing through etcd -----------------------------------------------------------

# etcd_write_kubevip_config FILE --node K [--ttl S] [--key KEY] [--extra YAML]: kube-vip's YAML
# for node K with `election.type: etcd` (no remotePeers: the cluster is etcd's). The VIP timing is
# the lab's (lifetime 1 s renewed every 200 ms), so a SIGKILLed holder's address is gone ~1.25 s
# after its last renewal.
etcd_write_kubevip_config() {
  local file=$1; shift
  local node="" ttl="" key=$ETCD_KEY extra="" dir m
  while [ $# -gt 0 ]; do
    case "$1" in
      --node) node=${2#node}; shift ;;
      --ttl) ttl=$2; shift ;;
      --key) key=$2; shift ;;
      --extra) extra=$2; shift ;;
      *) echo "etcd_write_kubevip_config: unknown option $1" >&2; return 1 ;;
    esac
    shift
  done
  [ -n "$node" ] || { echo "etcd_write_kubevip_config: --node K is required" >&2; return 1; }
  dir=$(_etcd_dir)
  local endpoints=("$(etcd_url "etcd$node")")
  for m in $(etcd_members); do [ "$m" = "etcd$node" ] || endpoints+=("$(etcd_url "$m")"); done
  {
    echo "# kube-vip configuration for node$node, elected through etcd (lab $LAB_PREFIX)"
    echo "localPeer: {id: node$node, address: $(lab_ip4 "$node"), port: $LAB_RAFT_PORT}"
    echo "vip: $LAB_VIP4"
    echo "interface: eth0"
    echo "gratuitousARP: true"
    echo "vipTiming: {lifetime: 1s, renewInterval: 200ms, announceInterval: 3s, announceBurst: 3}"
    echo "election:"
    echo "  type: etcd"
    echo "  endpoints: [$(_etcd_join "${endpoints[@]}" | sed 's/,/, /g')]"
    echo "  tls: {caFile: $dir/ca.pem, certFile: $dir/client.pem, keyFile: $dir/client-key.pem}"
    [ -z "$ttl" ] || echo "  ttl: $ttl"
    echo "  key: $key"
    [ -z "$extra" ] || printf '%s\n' "$extra"
  } >"$file"
}

# etcd_start_kubevip_nodes [--ttl S] [--key KEY] [--extra YAML]: writes $LAB_DIR/node<K>.etcd.yaml
# for every lab node and starts its kube-vip. Does not wait.
etcd_start_kubevip_nodes() {
  local n
  for n in $(lab_node_names); do
    etcd_write_kubevip_config "$LAB_DIR/$n.etcd.yaml" --node "$n" "$@" ||
      fail "could not write $n's configuration"
    lab_start_kubevip "$n" "$LAB_DIR/$n.etcd.yaml"
  done
}

# etcd_one_holder: prints the only node holding the VIP; fails if none or several do.
etcd_one_holder() {
  local h
  h=$(lab_vip_holders)
  [ -n "$h" ] && [ "$(wc -w <<<"$h")" = 1 ] || return 1
  echo "$h"
}

# etcd_wait_key_holder NODE TIMEOUT: waits until the election key's value is NODE.
etcd_wait_key_holder() { wait_until "$2" _etcd_key_names "$1"; }
_etcd_key_names() { [ "$(etcd_get "$ETCD_KEY" 2>/dev/null | cut -d" " -f1)" = "$1" ]; }

# etcd_validity_start NODE FILE: samples the leadership time left that NODE's daemon reports
# (`kube-vip status`, election.leadership_time_left_s) every 50 ms; lines
# "<monotonic> <seconds left | none>" in FILE, so t + left is the deadline the daemon computed
# ((send time of its last successful keep-alive) + TTL - TTL/4).
etcd_validity_start() {
  lab_bg "validity.$1" "$1" "$LAB_PYTHON" -c '
import json, subprocess, sys, time
binary, socket, out = sys.argv[1:4]
with open(out, "a", buffering=1) as f:
    while True:
        r = subprocess.run([binary, "status", "--socket", socket, "--output", "json"],
                           capture_output=True, text=True)
        now = time.monotonic()
        try:
            left = json.loads(r.stdout)["election"].get("leadership_time_left_s")
        except (ValueError, KeyError, TypeError):
            left = None
        f.write("%.6f %s\n" % (now, "none" if left is None else "%.3f" % left))
        time.sleep(0.05)
' "$KUBEVIP_BIN" "$(lab_kv_socket "$1")" "$2"
}
etcd_validity_stop() { lab_bg_stop "validity.$1"; }

# etcd_validity_deadline FILE T: t + left of the last sample before T that had a deadline (empty
# if none had).
etcd_validity_deadline() {
  awk -v t="$2" '$1 < t && $2 != "none" { d = $1 + $2 } END { if (d) printf "%.3f\n", d }' "$1"
}

# etcd_vip_gone_at NODE T: the first "absent" of NODE's VIP watcher at or after T (the netlink
# event's time: more precise than polling `ip addr`).
etcd_vip_gone_at() {
  awk -v t="$2" -v n="$1" '$1 >= t && $2 == n && $3 == "absent" { print $1; exit }' "$LAB_DIR/holders.$1.tsv"
}
