#!/usr/bin/env bash
# Every kind of bad configuration ends `kube-vip check` and `kube-vip start` with exit status 2 and
# exactly one line on stderr naming the file, line:column and key path. A sample configuration
# checks cleanly through /dev/stdin. Needs no namespaces: nothing here reaches the network (the only
# interface named in a valid file is lo, and start never gets past validation).
# timeout: 120
set -euo pipefail

: "${KUBEVIP_BIN:?KUBEVIP_BIN must name the kube-vip binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
passes=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

base='vip: 10.0.0.100
interface: lo
localPeer: {id: a, address: 10.0.0.1, port: 10000}
'

# write NAME CONTENT: a configuration file; prints its path.
write() {
  printf '%s' "$2" >"$tmp/$1.yaml"
  echo "$tmp/$1.yaml"
}

# expect_error NAME FILE NEEDLE [env assignments...]: check and start both exit 2 with one stderr
# line containing NEEDLE, and print nothing on stdout.
expect_error() {
  local name=$1 file=$2 needle=$3
  shift 3
  local cmd rc lines
  for cmd in check start; do
    rc=0
    env "$@" timeout 10 "$KUBEVIP_BIN" "$cmd" -c "$file" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
    lines=$(wc -l <"$tmp/err")
    if [ "$rc" != 2 ]; then
      fail "$name ($cmd): exit status $rc, expected 2; stderr: $(cat "$tmp/err")"
    elif [ "$lines" != 1 ]; then
      fail "$name ($cmd): $lines stderr lines, expected 1: $(cat "$tmp/err")"
    elif ! grep -qF -- "kube-vip: $needle" "$tmp/err"; then
      fail "$name ($cmd): stderr lacks '$needle': $(cat "$tmp/err")"
    elif [ -s "$tmp/out" ]; then
      fail "$name ($cmd): unexpected stdout: $(cat "$tmp/out")"
    else
      passes=$((passes + 1))
    fi
  done
}

f=$(write syntax "${base}remotePeers: [a
")
expect_error "YAML syntax error" "$f" "$f:5:1: YAML syntax error"

f=$(write unknown_key "${base}vips: 10.0.0.2
")
expect_error "unknown key" "$f" "$f:4:1: vips: unknown key; allowed here: localPeer, remotePeers"

f=$(write list_for_bool "${base}gratuitousARP: [true]
")
expect_error "list where a bool is expected" "$f" \
  "$f:4:16: gratuitousARP: expected a boolean (true or false), got a list"

f=$(write yes_please "${base}singleNode: yes please
")
expect_error "'yes please' for a bool" "$f" "$f:4:13: singleNode: 'yes please' is not a boolean"

f=$(write bad_address "${base}remotePeers:
  - {id: b, address: 10.0.0.300, port: 1}
")
expect_error "malformed address" "$f" \
  "$f:5:22: remotePeers[0].address: '10.0.0.300' is not an IPv4 or IPv6 address"

f=$(write bad_vip "vip: fd00::zz
interface: lo
singleNode: true
")
expect_error "malformed VIP" "$f" "$f:1:6: vip: 'fd00::zz' is not an IPv4 or IPv6 address"

f=$(write dup_id "${base}remotePeers:
  - {id: a, address: 10.0.0.2, port: 1}
")
expect_error "duplicate peer id" "$f" "$f:5:10: remotePeers[0]: duplicate peer id 'a' (also localPeer)"

f=$(write dup_endpoint "${base}remotePeers:
  - {id: b, address: 10.0.0.1, port: 10000}
")
expect_error "duplicate peer address:port" "$f" \
  "$f:5:22: remotePeers[0]: duplicate peer address 10.0.0.1:10000 (also localPeer)"

for port in 0 70000 -1; do
  f=$(write "port_$port" "${base}remotePeers:
  - id: b
    address: 10.0.0.2
    port: $port
")
  expect_error "port $port" "$f" "$f:7:11: remotePeers[0].port: $port is out of range (1-65535)"
done
f=$(write port_abc "${base}remotePeers:
  - id: b
    address: 10.0.0.2
    port: abc
")
expect_error "port abc" "$f" "$f:7:11: remotePeers[0].port: 'abc' is not a port number (1-65535)"

expect_error "missing file" "$tmp/absent.yaml" \
  "cannot open configuration file $tmp/absent.yaml: No such file or directory"

f=$(write no_vip "interface: lo
localPeer: {id: a, address: 10.0.0.1, port: 10000}
")
expect_error "vip missing" "$f" "$f: vip: missing"

f=$(write no_interface "vip: 10.0.0.100
localPeer: {id: a, address: 10.0.0.1, port: 10000}
")
expect_error "interface missing" "$f" "$f: interface: missing"

f=$(write bad_interface "vip: 10.0.0.100
interface: kvnone0
localPeer: {id: a, address: 10.0.0.1, port: 10000}
")
expect_error "interface nonexistent" "$f" \
  "$f:2:12: interface: there is no network interface named 'kvnone0'"

f=$(write lb_type "${base}loadBalancers:
  - name: web
    port: 80
    type: sctp
")
expect_error "unknown load balancer type" "$f" \
  "$f:7:11: loadBalancers[0].type: 'sctp' is not a load balancer type; use tcp, http or udp"

f=$(write lb_algorithm "${base}loadBalancers:
  - name: web
    port: 80
    algorithm: fastest
")
expect_error "unknown algorithm" "$f" \
  "$f:7:16: loadBalancers[0].algorithm: 'fastest' is not a balancing algorithm"

f=$(write lb_udp_proxy "${base}loadBalancers:
  - name: dns
    port: 53
    type: udp
    backends: [{address: 10.0.0.5, port: 53}]
")
expect_error "udp without kernel forwarding" "$f" \
  "$f:7:11: loadBalancers[0].type: udp is balanced by the kernel only; add 'forwarding: kernel'"

f=$(write bad_duration "${base}election:
  timeout: soon
")
expect_error "bad duration" "$f" "$f:5:12: election.timeout: 'soon' is not a duration"

f=$(write lease_vs_timeout "${base}election:
  leaderLease: 400ms
")
expect_error "leaderLease >= election timeout" "$f" \
  "$f:5:16: election.leaderLease: 400ms must be shorter than election.timeout (300ms)"

f=$(write heartbeat "${base}election:
  heartbeat: 200ms
")
expect_error "2*heartbeat > leaderLease" "$f" \
  "$f:5:14: election.heartbeat: 2 x 200ms exceeds election.leaderLease (250ms)"

f=$(write renew "${base}vipTiming:
  renewInterval: 600ms
")
expect_error "2*renewInterval > lifetime" "$f" \
  "$f:5:18: vipTiming.renewInterval: 2 x 600ms exceeds vipTiming.lifetime (1s)"

f=$(write health "${base}loadBalancers:
  - name: web
    port: 80
    backends: [{address: 10.0.0.5, port: 80}]
    healthCheck: {interval: 1s, timeout: 2s}
")
expect_error "healthCheck timeout >= interval" "$f" \
  "$f:8:42: loadBalancers[0].healthCheck.timeout: 2s must be shorter than healthCheck.interval"

# The etcd election: its own keys checked and located, Raft's refused.
etcd_base='vip: 10.0.0.100
interface: lo
localPeer: {id: a}
election:
  type: etcd
'
f=$(write etcd_no_endpoints "$etcd_base")
expect_error "etcd without endpoints" "$f" "$f:5:3: election.endpoints: empty; list the etcd members"

f=$(write etcd_path "${etcd_base}  endpoints: [https://127.0.0.1:2379/v3]
")
expect_error "etcd endpoint with a path" "$f" \
  "$f:6:15: election.endpoints[0]: 'https://127.0.0.1:2379/v3' is not an etcd endpoint: give scheme://host:port only"

f=$(write etcd_ca "${etcd_base}  endpoints: [https://127.0.0.1:2379]
  tls: {caFile: $tmp/absent.pem}
")
expect_error "etcd CA file unreadable" "$f" \
  "$f:7:17: election.tls.caFile: '$tmp/absent.pem' cannot be read (No such file or directory)"

f=$(write etcd_remote_peers "${etcd_base}  endpoints: [https://127.0.0.1:2379]
remotePeers: [{id: b, address: 10.0.0.2, port: 10000}]
")
expect_error "etcd with remotePeers" "$f" \
  "$f:7:14: remotePeers: remotePeers belongs to the Raft election"

f=$(write etcd_raft_timing "${etcd_base}  timeout: 1s
")
expect_error "Raft timing with etcd" "$f" "$f:6:12: election.timeout: is a Raft setting"

# Environment and flags are located by their names.
f=$(write valid "$base")
expect_error "bad environment bool" "$f" "environment variable vip_arp: 'maybe' is not a boolean" \
  vip_arp=maybe
expect_error "environment peer clash" "$f" \
  "environment variable vip_peers: remotePeers[0]: duplicate peer id 'a'" vip_peers=a:10.0.0.9:1

# Command-line errors: status 2, one line.
for args in "--bogus" "--vip" "--vip 10.0.0" "--singleNode=maybe" "--log loud"; do
  rc=0
  # shellcheck disable=SC2086  # split the flags on purpose
  timeout 10 "$KUBEVIP_BIN" check -c "$f" $args >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
  if [ "$rc" != 2 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q '^kube-vip: ' "$tmp/err"; then
    fail "flags '$args': status $rc, stderr: $(cat "$tmp/err")"
  else
    passes=$((passes + 1))
  fi
done

# A valid file passes check; the sample round-trips through /dev/stdin.
out=$("$KUBEVIP_BIN" check -c "$f") || fail "valid file: check failed"
[ "$out" = "configuration ok" ] || fail "valid file: check printed '$out'"
out=$("$KUBEVIP_BIN" sample config --interface lo | "$KUBEVIP_BIN" check -c /dev/stdin) ||
  fail "sample config | check -c /dev/stdin failed"
[ "$out" = "configuration ok" ] || fail "sample round trip printed '$out'"
for pem in ca client client-key; do echo "PEM" >"$tmp/$pem.pem"; done
out=$("$KUBEVIP_BIN" sample config --interface lo --election etcd --etcdCACert "$tmp/ca.pem" \
  --etcdCert "$tmp/client.pem" --etcdKey "$tmp/client-key.pem" | "$KUBEVIP_BIN" check -c /dev/stdin) ||
  fail "sample config --election etcd | check -c /dev/stdin failed"
[ "$out" = "configuration ok" ] || fail "etcd sample round trip printed '$out'"
out=$("$KUBEVIP_BIN" version) || fail "version failed"
[[ "$out" =~ ^kube-vip\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "version printed '$out'"

if [ "$failures" -ne 0 ]; then
  echo "test_config_errors: $failures failed, $passes passed" >&2
  exit 1
fi
echo "test_config_errors: all $passes checks passed"
