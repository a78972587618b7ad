#!/usr/bin/env bash
# timeout: 60
# `kube-vip start --log-format json`: a single node takes the VIP and releases it on SIGTERM, and
# every line it writes is one JSON object with time (UTC, zone "Z"), level and msg; the text
# format's messages are kept as msg ("... is the leader").
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
lab_init "logs: --log-format json writes one JSON object per line"
lab_require_kubevip
lab_create 1

lab_write_config "$LAB_DIR/n1.yaml" --node 1 --single
logfile=$LAB_DIR/node1.json.log
lab_start_kubevip node1 "$LAB_DIR/n1.yaml" "$logfile" --log-format json
wait_until 5 lab_has_vip node1 || fail "node1 never got the VIP"
lab_stop_kubevip node1 TERM 5 || fail "node1 did not exit on SIGTERM"

# The lab writes a "==== ... start" header line before each start; the rest is kube-vip's.
check "every line is a JSON object with UTC time, level and msg" "$LAB_PYTHON" -S -c '
import json, re, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8") if not l.startswith("==== ")]
assert lines, "no log lines"
for line in lines:
    record = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"]), line
    assert record["level"] in ("trace", "debug", "info", "warning", "error", "critical"), line
    assert isinstance(record["msg"], str), line
' "$logfile"
check "the leader line is kept as a message" "$LAB_PYTHON" -S -c '
import json, sys
msgs = [json.loads(l)["msg"] for l in open(sys.argv[1]) if not l.startswith("==== ")]
assert any(m.endswith("is the leader") for m in msgs), msgs
' "$logfile"
lab_pass
