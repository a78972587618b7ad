#!/usr/bin/env bash
# Runs apiserver_client_test against a fresh test API server on 127.0.0.1 (needs python3, openssl).
# Usage: apiserver_client_test.sh TEST_BINARY [GTEST FLAGS...]
set -euo pipefail
binary="$1"
for program in python3 openssl; do
  command -v "$program" >/dev/null || { echo "$program not found: run scripts/install-deps.sh" >&2; exit 1; }
done
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/kv-apiserver-XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
# 127.0.0.9 and "kubernetes" stand for the names a kubeadm API server certificate carries (the
# control-plane endpoint); nothing listens on 127.0.0.9.
python3 "$here/../e2e/apiserver/apiserver.py" --dir "$dir" --san IP:127.0.0.9 --san DNS:kubernetes \
  --bookmark-interval 0.2 \
  2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 100); do [ -f "$dir/ready" ] && break; sleep 0.1; done
[ -f "$dir/ready" ] || { echo "test API server did not start:"; cat "$dir/server.log"; exit 1; }
# A CA that did not sign the server's certificate, for the TLS failure case.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=unrelated-ca -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" 2>/dev/null
KUBEVIP_TEST_APISERVER="$dir" "$binary" "${@:2}" || { echo "--- server log"; tail -50 "$dir/server.log"; exit 1; }
