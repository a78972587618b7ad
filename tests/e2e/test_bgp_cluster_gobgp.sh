#!/usr/bin/env bash
# Three kube-vip nodes (Raft, BGP mode) peer with GoBGP 3.10: the router learns the VIP's /32 from the
# leader with its communities, follows the leader through SIGKILL, SIGTERM and a freeze (hold
# time), and a wrong MD5 password never gets a session. The scenario is lib/bgp_cluster.sh.
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/lib/routers.sh"
source "$(dirname "$0")/lib/bgp_kubevip.sh"
source "$(dirname "$0")/lib/bgp_cluster.sh"
lab_init "bgp: 3 nodes against GoBGP 3.10"
lab_require gobgpd gobgp
bgp_cluster_scenario gobgp
