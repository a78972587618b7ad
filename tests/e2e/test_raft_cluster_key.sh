#!/usr/bin/env bash
# timeout: 60
# The Raft port with a cluster key (clusterKeyFile): three nodes sharing a key from
# `kube-vip sample key` elect one VIP holder; a connection from the client (not a configured peer)
# is closed at once; a member restarted with another key cannot join or disturb the leader, and
# rejoins once it has the right key again. The VIP-holder checker watches throughout.
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "raft: a cluster key keeps everyone else off the Raft port"
lab_require_kubevip
lab_create 3
lab_start_servers
lab_holders_start

"$KUBEVIP_BIN" sample key >"$LAB_DIR/cluster.key"
"$KUBEVIP_BIN" sample key >"$LAB_DIR/other.key"
chmod 600 "$LAB_DIR/cluster.key" "$LAB_DIR/other.key"
check "sample key prints 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$LAB_DIR/cluster.key"

lab_start_cluster --extra "clusterKeyFile: $LAB_DIR/cluster.key"
lab_wait_leader
leader=$LAB_LEADER
assert_eq "$leader" "$(lab_fetch "$LAB_VIP4")" "client reaches the leader"
for n in node1 node2 node3; do
  check "$n does not warn about an unauthenticated port" \
    eval '! grep -q "unauthenticated" "$(lab_kv_log "$n")"'
done

# A stranger: the client namespace is on the segment but is no configured peer.
k=${leader#node}
closed=$(lab_exec client "$LAB_PYTHON" -S -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.settimeout(2)
s.sendall(b"\x01" + b"\x00" * 23)
try:
    print("closed" if s.recv(64) == b"" else "answered")
except socket.timeout:
    print("open")
except ConnectionResetError:
    print("closed")
' "$(lab_ip4 "$k")" "$LAB_RAFT_PORT")
assert_eq closed "$closed" "a connection from the client to the leader's Raft port"
check "the leader logs the refused address" \
  grep -q "closed a connection from $(lab_ip4 client).*not a configured peer" "$(lab_kv_log "$leader")"

# A member with the wrong key.
follower=node$((k % 3 + 1))
lab_stop_kubevip "$follower" TERM 5 || fail "$follower did not stop"
sed -i "s|clusterKeyFile: .*|clusterKeyFile: $LAB_DIR/other.key|" "$LAB_DIR/$follower.yaml"
lab_start_cluster_node "$follower"
check "the leader refuses $follower's handshake" wait_until 5 \
  grep -q "did not prove the cluster key" "$(lab_kv_log "$leader")"
sleep 2
assert_eq "$leader" "$(lab_vip_holders)" "the VIP holder while $follower has the wrong key"
check "the leader never stopped leading" eval '! grep -q "no longer leads" "$(lab_kv_log "$leader")"'

# The right key again: it rejoins as a follower.
lab_stop_kubevip "$follower" TERM 5 || fail "$follower did not stop"
sed -i "s|clusterKeyFile: .*|clusterKeyFile: $LAB_DIR/cluster.key|" "$LAB_DIR/$follower.yaml"
seen=$(wc -l <"$(lab_kv_log "$follower")")
lab_start_cluster_node "$follower"
check "$follower follows $leader again" wait_until 5 \
  eval 'tail -n +$((seen + 1)) "$(lab_kv_log "$follower")" | grep -q "leader is $leader\$"'
assert_eq "$leader" "$(lab_vip_holders)" "the VIP holder after the rejoin"
check "never two live holders" lab_holders_check
lab_pass
