#!/usr/bin/env bash
# lb: HTTP mode. Requests through the VIP reach both backends on one keep-alive connection, the
# backend sees X-Forwarded-For (appended), X-Forwarded-Proto: http and the client's Host; with
# every backend down the client gets 503.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "lb: http mode forwards the right headers and answers 503 when all backends are down"
lab_require curl
lab_require_kubevip
lab_create 3
# An HTTP/1.1 backend on nodes 2 and 3 that answers with its name and the headers it got.
cat >"$LAB_DIR/echo_http.py" <<'PY'
import http.server, sys
name = sys.argv[1]
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = (name + "\n" + "".join(f"{k}: {v}\n" for k, v in self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8081), Echo).serve_forever()
PY
for k in 2 3; do lab_bg "http.node$k" node$k "$LAB_PYTHON" "$LAB_DIR/echo_http.py" node$k; done
for k in 2 3; do wait_until 5 _lab_listening node$k 8081 || fail "http backend on node$k"; done

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single --extra "$(cat <<YAML
loadBalancers:
  - name: web
    type: http
    port: 80
    bindToVip: true
    backends:
      - {address: $(lab_ip4 2), port: 8081}
      - {address: $(lab_ip4 3), port: 8081}
    healthCheck:
      interval: 200ms
      timeout: 100ms
      rise: 2
      fall: 2
      path: /healthz
YAML
)"
lab_start_kubevip node1 "$LAB_DIR/n1.yaml"
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
wait_until 5 _lab_listening node1 80 || fail "nothing listens on port 80"

# Two requests on one connection (curl reuses it): per-request balancing reaches both backends.
out=$(lab_exec client curl -sS --max-time 3 -H "Host: svc.example" -H "X-Forwarded-For: 198.51.100.7" \
  "http://$LAB_VIP4/a" "http://$LAB_VIP4/b") || fail "requests through the VIP failed"
log "responses: $(tr '\n' '|' <<<"$out")"
assert_contains "$out" "node2" "a request reached node2"
assert_contains "$out" "node3" "a request reached node3"
assert_contains "$out" "X-Forwarded-For: 198.51.100.7, $(lab_ip4 client)" "X-Forwarded-For appended"
assert_contains "$out" "X-Forwarded-Proto: http" "X-Forwarded-Proto set"
assert_contains "$out" "Host: svc.example" "Host kept"

for k in 2 3; do lab_bg_stop "http.node$k" KILL; done
wait_until 5 eval "grep -q 'backend $(lab_ip4 2):8081 is down' '$(lab_kv_log node1)' && grep -q 'backend $(lab_ip4 3):8081 is down' '$(lab_kv_log node1)'" \
  || fail "backends never marked down"
code=$(lab_exec client curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$LAB_VIP4/") || true
assert_eq 503 "$code" "status with every backend down"
lab_pass
