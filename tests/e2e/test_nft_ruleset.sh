#!/usr/bin/env bash
# nft: the kernel data plane's rules carry real traffic. node1 holds the VIPs (added by hand) and
# programs the table through libnftables as the daemon does (tests/nft/nft_apply); node2 and node3
# are backends answering "<name> <peer address>" over TCP and UDP. Round robin spreads connections
# evenly, weights in proportion; source NAT on: backends see the VIP as the source; off: the
# client's (the backends route the client via the holder); a service without destinations refuses
# (TCP reset, ICMP port unreachable for UDP); IPv6; the holder's own connections to the VIP are
# balanced too; remove() leaves no rule.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "nft: DNAT rules spread, source-NAT and refuse real traffic"
NFT_APPLY=${NFT_APPLY:-$(dirname "$KUBEVIP_BIN")/../tests/nft/nft_apply}
[ -x "$NFT_APPLY" ] || NFT_APPLY=$(cd "$(dirname "$0")/../.." && pwd)/build/release/tests/nft/nft_apply
[ -x "$NFT_APPLY" ] || fail "nft_apply is not built (cmake --build --preset release --target nft_apply)"
lab_create 3

# Answers each TCP connection and each UDP datagram with "<name> <peer address>".
cat >"$LAB_DIR/peer_server.py" <<'PY'
import socket, sys, threading
name, port = sys.argv[1], int(sys.argv[2])
def dual(kind):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    return s
def peer(address):
    return address[0].removeprefix("::ffff:")
def udp():
    s = dual(socket.SOCK_DGRAM)
    while True:
        data, address = s.recvfrom(512)
        s.sendto(f"{name} {peer(address)}".encode(), address)
threading.Thread(target=udp, daemon=True).start()
t = dual(socket.SOCK_STREAM)
t.listen(64)
print("listening", flush=True)
while True:
    c, address = t.accept()
    c.sendall(f"{name} {peer(address)}\n".encode())
    c.close()
PY
# One request: prints the answer, or "refused" / "timeout".
cat >"$LAB_DIR/ask.py" <<'PY'
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(1)
try:
    s.connect((host, port))
    if proto == "udp":
        s.send(b"?")
    print(s.recv(512).decode().strip())
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
PY
ask() { lab_exec "${4:-client}" "$LAB_PYTHON" "$LAB_DIR/ask.py" "$1" "$2" "$3"; }

for k in 2 3; do
  lab_bg "peer$k" "node$k" "$LAB_PYTHON" "$LAB_DIR/peer_server.py" "node$k" 9000
  wait_until 5 _lab_listening "node$k" 9000 || fail "node$k's server does not listen"
done
lab_exec node1 ip addr add "$LAB_VIP4/24" dev eth0
lab_exec node1 ip addr add "$LAB_VIP6/64" dev eth0 nodad
# With source NAT off the replies come back through node1 on the segment they leave by: no ICMP
# redirects, which would teach the backends to bypass it.
lab_exec node1 sysctl -qw net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0
# A new namespace may inherit forwarding from the root one: start from off.
lab_exec node1 sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
assert_eq changed "$(lab_exec node1 "$NFT_APPLY" forward 4)" "IPv4 forwarding turned on"
assert_eq changed "$(lab_exec node1 "$NFT_APPLY" forward 6)" "IPv6 forwarding turned on"
assert_eq unchanged "$(lab_exec node1 "$NFT_APPLY" forward 4)" "IPv4 forwarding already on"
for k in 2 3; do lab_exec "node$k" ip route add "$(lab_ip4 client)/32" via "$(lab_ip4 1)"; done

b2=$(lab_ip4 2) b3=$(lab_ip4 3) b2v6=$(lab_ip6 2) b3v6=$(lab_ip6 3)
cat >"$LAB_DIR/services.json" <<JSON
[{"name": "web", "vip": "$LAB_VIP4", "port": 80,
  "destinations": [{"address": "$b2", "port": 9000}, {"address": "$b3", "port": 9000}]},
 {"name": "weighted", "vip": "$LAB_VIP4", "port": 81,
  "destinations": [{"address": "$b2", "port": 9000}, {"address": "$b3", "port": 9000, "weight": 3}]},
 {"name": "direct", "vip": "$LAB_VIP4", "port": 82, "sourceNat": false,
  "destinations": [{"address": "$b2", "port": 9000}]},
 {"name": "down", "vip": "$LAB_VIP4", "port": 83, "destinations": []},
 {"name": "dns", "protocol": "udp", "vip": "$LAB_VIP4", "port": 53, "spread": "random",
  "destinations": [{"address": "$b2", "port": 9000}, {"address": "$b3", "port": 9000}]},
 {"name": "dns-down", "protocol": "udp", "vip": "$LAB_VIP4", "port": 54, "destinations": []},
 {"name": "web6", "vip": "$LAB_VIP6", "port": 80, "spread": "source-hash",
  "destinations": [{"address": "$b2v6", "port": 9000}, {"address": "$b3v6", "port": 9000}]}]
JSON
check "the table is absent at first" test "$(lab_exec node1 "$NFT_APPLY" present)" = absent
lab_exec node1 "$NFT_APPLY" replace "$LAB_DIR/services.json" || fail "replace failed"
check "the table is present" test "$(lab_exec node1 "$NFT_APPLY" present)" = present

holder=$(lab_ip4 1) client=$(lab_ip4 client)
answers=$(for _ in 1 2 3 4 5 6; do ask tcp "$LAB_VIP4" 80; done)
log "web: $(echo "$answers" | tr '\n' ',')"
assert_eq 3 "$(grep -cx "node2 $LAB_VIP4" <<<"$answers")" "round robin: node2's connections, from the VIP (source NAT)"
assert_eq 3 "$(grep -cx "node3 $LAB_VIP4" <<<"$answers")" "round robin: node3's connections, from the VIP (source NAT)"

answers=$(for _ in 1 2 3 4 5 6 7 8; do ask tcp "$LAB_VIP4" 81; done)
assert_eq 2 "$(grep -c '^node2 ' <<<"$answers")" "weight 1 of 4: node2's connections"
assert_eq 6 "$(grep -c '^node3 ' <<<"$answers")" "weight 3 of 4: node3's connections"

assert_eq "node2 $client" "$(ask tcp "$LAB_VIP4" 82)" "source NAT off: the backend sees the client"
assert_eq refused "$(ask tcp "$LAB_VIP4" 83)" "no destinations, TCP: connection refused (reset)"

answers=$(for _ in $(seq 1 20); do ask udp "$LAB_VIP4" 53; done)
log "dns: $(echo "$answers" | tr '\n' ',')"
check "UDP answers all come from a backend, from the VIP" \
  _lab_not grep -vxE "node[23] $LAB_VIP4" <<<"$answers"
check "UDP reaches both backends (random)" eval '[ "$(sort -u <<<"$answers" | wc -l)" -eq 2 ]'
assert_eq refused "$(ask udp "$LAB_VIP4" 54)" "no destinations, UDP: port unreachable"

answer6=$(ask tcp "$LAB_VIP6" 80)
check "IPv6 through the VIP, source-NATed to the VIP: $answer6" \
  eval '[[ "$answer6" =~ ^node[23]\ $LAB_VIP6$ ]]'
assert_eq "$answer6" "$(ask tcp "$LAB_VIP6" 80)" "source hash: the same client, the same backend"

answers=$(for _ in 1 2; do ask tcp "$LAB_VIP4" 80 node1; done)
log "from the holder itself: $(echo "$answers" | tr '\n' ',')"
check "the holder's own connections are balanced" \
  eval '[ "$(cut -d" " -f1 <<<"$answers" | sort -u | tr "\n" " ")" = "node2 node3 " ]'

lab_exec node1 "$NFT_APPLY" remove || fail "remove failed"
check "the table is gone" test "$(lab_exec node1 "$NFT_APPLY" present)" = absent
check "no rule is left" eval '[ -z "$(lab_exec node1 nft list ruleset)" ]'
assert_eq refused "$(ask tcp "$LAB_VIP4" 80)" "after remove, nothing answers on VIP:80"
lab_exec node1 "$NFT_APPLY" remove || fail "a second remove (no table) failed"
lab_pass
