#!/usr/bin/env bash
# The test API server serves what a Services mode needs, and the real kubectl agrees with it:
# `kubectl create service loadbalancer` gets a clusterIP and a nodePort; a status written through
# the status subresource shows as EXTERNAL-IP in `kubectl get svc`, while a PUT of the main
# resource cannot change status; kubectl annotate (merge patch) and apply (create, then strategic
# merge patch) work on Services, ConfigMaps and Nodes; a PUT with a stale resourceVersion gets 409;
# EndpointSlices are listed and watched by label; a watch with allowWatchBookmarks gets BOOKMARK
# events, one from a resourceVersion older than the event log gets an ERROR event with 410, and
# /_test/drop-watches breaks open watches. Runs with whichever kubectl is first on PATH (e.g.
# PATH=/opt/k120/usr/bin:$PATH for kubectl 1.20).
# timeout: 120
set -euo pipefail
source "$(dirname "$0")/lib/lab.sh"
source "$(dirname "$0")/apiserver/incluster.sh"

lab_init "apiserver: Services, EndpointSlices, ConfigMaps and Nodes for kubectl and watchers"
lab_require kubectl curl
lab_create 0
# A short event log (20 events), so that 410 Gone can be forced with a few writes.
kvk_start_apiserver --event-log 20
log "kubectl: $(kubectl version --client 2>/dev/null | head -1)"

base="https://$KVK_API_ADDR:$KVK_API_PORT"
kc() { lab_exec client kubectl --kubeconfig "$(kvk_kubeconfig token)" -n default "$@"; }
api() { kvk_api "$@"; }
# field JSON EXPR: a Python expression over the decoded object `o`.
field() { "$LAB_PYTHON" -c 'import json,sys; o=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
svc_path=/api/v1/namespaces/default/services

# ---- kubectl create service, get -o json --------------------------------------------------------
created=$(kc create service loadbalancer web --tcp=80:8080)
assert_contains "$created" "service/web created" "kubectl create service loadbalancer"
web=$(kc get svc web -o json)
assert_eq LoadBalancer "$(field "$web" 'o["spec"]["type"]')" "the Service's type"
cluster_ip=$(field "$web" 'o["spec"]["clusterIP"]')
check "clusterIP $cluster_ip is from the service CIDR 10.96.0.0/24" \
  "$LAB_PYTHON" -c 'import ipaddress,sys; sys.exit(ipaddress.ip_address(sys.argv[1]) not in ipaddress.ip_network("10.96.0.0/24"))' "$cluster_ip"
node_port=$(field "$web" 'o["spec"]["ports"][0]["nodePort"]')
check "nodePort $node_port is in 30000-32767" test "$node_port" -ge 30000 -a "$node_port" -le 32767
assert_eq 8080 "$(field "$web" 'o["spec"]["ports"][0]["targetPort"]')" "targetPort"
table=$(kc get svc web)
assert_contains "$table" "<pending>" "no address yet: EXTERNAL-IP is <pending>"
assert_contains "$(kc get svc web -o wide)" "app=web" "kubectl get -o wide prints the selector"

# ---- status subresource ----------------------------------------------------------------------------
with_status=$(field "$web" 'json.dumps(dict(o, status={"loadBalancer": {"ingress": [{"ip": "10.201.0.150", "ipMode": "VIP", "ports": [{"port": 80, "protocol": "TCP"}]}]}}))')
put=$(api PUT "$svc_path/web/status" -H 'Content-Type: application/json' -d "$with_status")
assert_eq 200 "${put##*$'\n'}" "PUT .../services/web/status"
table=$(kc get svc web)
log "kubectl get svc web:"$'\n'"$table"
assert_contains "$table" "10.201.0.150" "kubectl get svc shows the status's address as EXTERNAL-IP"
assert_contains "$table" "80:$node_port/TCP" "kubectl get svc shows PORT(S)"
# A PUT of the main resource keeps the stored status (and a PUT on status keeps the spec).
current=$(kc get svc web -o json)
cleared=$(field "$current" 'json.dumps(dict(o, status={"loadBalancer": {}}))')
put=$(api PUT "$svc_path/web" -H 'Content-Type: application/json' -d "$cleared")
assert_eq 200 "${put##*$'\n'}" "PUT of the main resource"
assert_eq 10.201.0.150 "$(kc get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ip}')" \
  "a PUT of the main resource does not change status"
# kubectl's watch (Table rows) shows the next status change as it happens.
lab_bg kubectl-watch client timeout 10 kubectl --kubeconfig "$(kvk_kubeconfig token)" -n default \
  get svc web --watch
wait_until 5 grep -q "^web " "$LAB_DIR/kubectl-watch.log" || fail "kubectl get --watch printed nothing"
patched=$(api PATCH "$svc_path/web/status" -H 'Content-Type: application/merge-patch+json' \
  -d '{"spec":{"type":"ClusterIP"},"status":{"loadBalancer":{"ingress":[{"ip":"10.201.0.151"}]}}}')
assert_eq 200 "${patched##*$'\n'}" "merge patch of .../services/web/status"
check "kubectl get svc --watch shows the new EXTERNAL-IP" \
  wait_until 5 grep -q "^web .*10.201.0.151" "$LAB_DIR/kubectl-watch.log"
lab_bg_stop kubectl-watch
assert_eq "LoadBalancer 10.201.0.151" \
  "$(kc get svc web -o jsonpath='{.spec.type} {.status.loadBalancer.ingress[0].ip}')" \
  "a patch on status changes the status only"

# ---- kubectl annotate (merge patch) and 409 on a stale resourceVersion -----------------------------
stale=$(kc get svc web -o json)
annotated=$(kc annotate svc web kube-vip.io/loadbalancerIPs=10.201.0.150)
assert_contains "$annotated" "service/web annotated" "kubectl annotate"
assert_eq 10.201.0.150 "$(kc get svc web -o jsonpath='{.metadata.annotations.kube-vip\.io/loadbalancerIPs}')" \
  "the annotation is stored"
assert_eq "$cluster_ip" "$(kc get svc web -o jsonpath='{.spec.clusterIP}')" "the clusterIP is kept"
conflict=$(api PUT "$svc_path/web" -H 'Content-Type: application/json' -d "$stale")
assert_eq 409 "${conflict##*$'\n'}" "a PUT with a stale resourceVersion"
assert_contains "$conflict" '"reason": "Conflict"' "the 409 is a Conflict Status"
labelled=$(kc label svc web tier=front)
assert_contains "$labelled" "service/web labeled" "kubectl label"

# ---- kubectl apply: create, then change (strategic merge patch) ----------------------------------
apply_files() {
  cat >"$LAB_DIR/apply.yaml" <<EOF
apiVersion: v1
kind: Service
metadata:
  name: applied
  annotations:
    kube-vip.io/loadbalancerIPs: 10.201.0.160
spec:
  type: LoadBalancer
  selector: {app: applied}
  ports:
  - {name: http, port: 80, targetPort: $1}
  - {name: https, port: 443, targetPort: 8443}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kubevip
data:
  cidr-global: $2
EOF
}
apply_files 8080 10.201.0.160/28
out=$(kc apply --validate=false -f "$LAB_DIR/apply.yaml")
assert_contains "$out" "service/applied created" "kubectl apply creates a Service"
assert_contains "$out" "configmap/kubevip created" "kubectl apply creates a ConfigMap"
apply_files 9090 10.201.0.176/28
out=$(kc apply --validate=false -f "$LAB_DIR/apply.yaml")
assert_contains "$out" "service/applied configured" "a second kubectl apply patches the Service"
assert_eq "9090 8443" "$(kc get svc applied -o jsonpath='{.spec.ports[*].targetPort}')" \
  "the patched Service's ports"
assert_eq 10.201.0.176/28 "$(kc get cm kubevip -o jsonpath='{.data.cidr-global}')" \
  "the patched ConfigMap's data"
assert_contains "$(kc get cm)" "kubevip" "kubectl get cm"

# ---- Nodes (cluster-scoped) ------------------------------------------------------------------------
cat >"$LAB_DIR/node.yaml" <<'EOF'
apiVersion: v1
kind: Node
metadata:
  name: node1
  labels: {node.kubernetes.io/exclude-from-external-load-balancers: ""}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.32.0}
EOF
out=$(kc apply --validate=false -f "$LAB_DIR/node.yaml")
assert_contains "$out" "node/node1 created" "kubectl apply creates a Node"
nodes=$(lab_exec client kubectl --kubeconfig "$(kvk_kubeconfig token)" get no)
assert_contains "$nodes" "Ready" "kubectl get no shows the Node's status"
excluded=$(lab_exec client kubectl --kubeconfig "$(kvk_kubeconfig token)" get no \
  -l node.kubernetes.io/exclude-from-external-load-balancers -o name)
assert_eq node/node1 "$excluded" "Nodes listed by an exists-label selector"

# ---- EndpointSlices by label -------------------------------------------------------------------------
slices_rv=$(field "$(api GET /apis/discovery.k8s.io/v1/namespaces/default/endpointslices | sed '$d')" \
  'o["metadata"]["resourceVersion"]')
for svc in web other; do
  cat >"$LAB_DIR/slice-$svc.json" <<EOF
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
 "metadata": {"generateName": "$svc-", "labels": {"kubernetes.io/service-name": "$svc"}},
 "addressType": "IPv4", "ports": [{"name": "80-8080", "port": 8080, "protocol": "TCP"}],
 "endpoints": [{"addresses": ["10.244.1.5"], "nodeName": "node1",
                "conditions": {"ready": true, "serving": true}}]}
EOF
  out=$(kc create --validate=false -f "$LAB_DIR/slice-$svc.json")
  assert_contains "$out" "endpointslice.discovery.k8s.io/$svc-" "kubectl create of an EndpointSlice for $svc (generateName)"
done
listed=$(kc get endpointslices -l kubernetes.io/service-name=web -o name)
check "EndpointSlices listed by kubernetes.io/service-name=web: one, web's ($listed)" \
  eval '[ "$(wc -l <<<"$listed")" = 1 ] && [[ $listed == endpointslice.discovery.k8s.io/web-* ]]'
raw=$(api GET "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb")
assert_eq 1 "$(field "$(sed '$d' <<<"$raw")" 'len(o["items"])')" "the same list through the API"
watched=$(lab_exec client curl -sN --max-time 2 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  -H "Authorization: Bearer admin-token-0123456789" \
  "$base/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true&resourceVersion=$slices_rv&labelSelector=kubernetes.io%2Fservice-name%3Dweb" || true)
assert_eq 1 "$(grep -c '"type": "ADDED"' <<<"$watched")" "a watch by label sees web's EndpointSlice only"

# ---- watches: bookmarks, 410 Gone, dropped ------------------------------------------------------------
now_rv=$(field "$(api GET "$svc_path" | sed '$d')" 'o["metadata"]["resourceVersion"]')
watched=$(lab_exec client curl -sN --max-time 3.5 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  -H "Authorization: Bearer admin-token-0123456789" \
  "$base$svc_path?watch=true&allowWatchBookmarks=true&resourceVersion=$now_rv" || true)
bookmarks=$(grep -c '"type": "BOOKMARK"' <<<"$watched" || true)
check "a watch with allowWatchBookmarks gets a BOOKMARK each second ($bookmarks in 3.5 s)" test "$bookmarks" -ge 2
assert_contains "$watched" "\"resourceVersion\": \"$now_rv\"" "the bookmark carries the current resourceVersion"
without=$(lab_exec client curl -sN --max-time 1.5 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  -H "Authorization: Bearer admin-token-0123456789" "$base$svc_path?watch=true&resourceVersion=$now_rv" || true)
assert_eq 0 "$(grep -c BOOKMARK <<<"$without" || true)" "no bookmarks unless asked for"

old_rv=$(kc get svc web -o jsonpath='{.metadata.resourceVersion}')
for k in $(seq 25); do
  api PATCH /api/v1/namespaces/default/configmaps/kubevip \
    -H 'Content-Type: application/merge-patch+json' -d "{\"data\":{\"touch\":\"$k\"}}" >/dev/null
done
gone=$(lab_exec client curl -sN --max-time 3 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  -H "Authorization: Bearer admin-token-0123456789" "$base$svc_path?watch=true&resourceVersion=$old_rv" || true)
assert_contains "$gone" '"type": "ERROR"' "a watch from a resourceVersion older than the event log gets an ERROR event"
assert_contains "$gone" '"code": 410' "... with a 410 Status"
assert_contains "$gone" '"reason": "Expired"' "... whose reason is Expired"
kubectl_gone=$(lab_exec client timeout 3 kubectl --kubeconfig "$(kvk_kubeconfig token)" \
  get --raw "$svc_path?watch=true&resourceVersion=$old_rv" 2>&1 || true)
assert_contains "$kubectl_gone" '"code": 410' "kubectl get --raw of the same watch shows the 410"

lab_bg dropped client curl -sN --max-time 20 --cacert "$LAB_DIR/$KVK_DIR_NAME/ca.crt" \
  -H "Authorization: Bearer admin-token-0123456789" "$base$svc_path?watch=true"
wait_until 5 grep -q '"name": "web"' "$LAB_DIR/dropped.log" || fail "the watch did not start"
kvk_drop_watches
check "the open watch ended at once" wait_until 3 eval '! kill -0 "${LAB_BG_PID[dropped]}" 2>/dev/null'
denied=$(kvk_api_as reader-token-0123456789 POST /_test/drop-watches)
assert_eq 403 "${denied##*$'\n'}" "a reader may not drop watches"

# ---- RBAC and discovery ------------------------------------------------------------------------------
reader=(lab_exec client kubectl --kubeconfig "$(kvk_kubeconfig reader)" -n default)
assert_contains "$("${reader[@]}" get svc web)" "web" "the reader may get Services"
refused=$("${reader[@]}" annotate svc web x=y 2>&1 || true)
assert_contains "$refused" 'cannot patch resource "services" in API group "" in the namespace "default"' \
  "the reader may not patch Services"
refused=$(kvk_api_as norbac-token-0123456789 PUT "$svc_path/web/status" \
  -H 'Content-Type: application/json' -d "$with_status")
assert_contains "$refused" 'cannot update resource \"services/status\"' "no rights, no status update"
resources=$(kc api-resources)
for row in "services  *svc  *v1  *true  *Service" "endpoints  *ep  *v1  *true  *Endpoints" \
  "configmaps  *cm  *v1  *true  *ConfigMap" "nodes  *no  *v1  *false  *Node" \
  "endpointslices  *discovery.k8s.io/v1  *true  *EndpointSlice" \
  "leases  *coordination.k8s.io/v1  *true  *Lease"; do
  check "kubectl api-resources: $row" grep -Eq "^$row" <<<"$resources"
done
assert_contains "$(kc get all -o name)" "service/web" "kubectl get all (category all) lists Services"
deleted=$(kc delete svc applied)
assert_contains "$deleted" 'service "applied" deleted' "kubectl delete svc"
lab_pass
