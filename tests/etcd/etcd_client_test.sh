#!/usr/bin/env bash
# Runs http_client_etcd_test against one fresh etcd on 127.0.0.1 with client TLS (a throw-away CA,
# a server certificate for IP 127.0.0.1, a client certificate; --client-cert-auth).
# Usage: etcd_client_test.sh TEST_BINARY [GTEST FLAGS...]
set -euo pipefail
binary="$1"
for program in etcd etcdctl openssl python3; do
  command -v "$program" >/dev/null || { echo "$program not found: run scripts/install-deps.sh" >&2; exit 1; }
done
dir="$(mktemp -d /tmp/kv-etcd-XXXXXX)"
etcd_pid=""
cleanup() {
  if [ -n "$etcd_pid" ]; then kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ca() {  # NAME: a self-signed CA
  key "$dir/$1.key"
  openssl req -x509 -new -key "$dir/$1.key" -subj "/CN=$1" -days 1 -out "$dir/$1.crt" 2>/dev/null
}
leaf() {  # NAME CN EXTENSIONS: a certificate signed by ca
  key "$dir/$1.key"
  openssl req -new -key "$dir/$1.key" -subj "/CN=$2" -out "$dir/$1.csr" 2>/dev/null
  printf '%b' "$3" >"$dir/$1.ext"
  openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 1 -extfile "$dir/$1.ext" -out "$dir/$1.crt" 2>/dev/null
}
ca ca
ca other-ca  # did not sign the server's certificate: the TLS failure case
# The server certificate needs clientAuth too: etcd's JSON gateway calls etcd's own gRPC port with
# it, and with --client-cert-auth a certificate without clientAuth makes every gateway call fail
# with HTTP 503 "connection closed" (gRPC code 14) while etcdctl, which speaks gRPC, works.
leaf server etcd-test 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'
leaf client kube-vip 'extendedKeyUsage=clientAuth\n'

# Three free loopback ports: clients, peers, and one left closed for the failover cases.
read -r client_port peer_port dead_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
endpoint="https://127.0.0.1:$client_port"
etcd --name kv-test --data-dir "$dir/data" \
  --listen-client-urls "$endpoint" --advertise-client-urls "$endpoint" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "kv-test=http://127.0.0.1:$peer_port" \
  --cert-file "$dir/server.crt" --key-file "$dir/server.key" \
  --trusted-ca-file "$dir/ca.crt" --client-cert-auth \
  >"$dir/etcd.log" 2>&1 &
etcd_pid=$!
ready=""
for _ in $(seq 50); do
  if ETCDCTL_API=3 etcdctl --endpoints "$endpoint" --cacert "$dir/ca.crt" --cert "$dir/client.crt" \
      --key "$dir/client.key" --dial-timeout 1s endpoint health >/dev/null 2>&1; then
    ready=1
    break
  fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "etcd did not start:"; tail -20 "$dir/etcd.log"; exit 1; }
echo "$endpoint" >"$dir/endpoint"
echo "https://127.0.0.1:$dead_port" >"$dir/dead_endpoint"
KUBEVIP_TEST_ETCD="$dir" "$binary" "${@:2}" || { echo "--- etcd log"; tail -30 "$dir/etcd.log"; exit 1; }
