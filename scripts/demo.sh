#!/usr/bin/env bash
# svcnat in five minutes: the kubia example of conf/examples served by
# `svcnat run` on a lab node (network namespaces), reached from a pod and from
# an external client, by name through svcnat's cluster DNS (kubia, the
# headless myapp, the ExternalName my-service), and through one address for
# two Services by host name and path (Ingress, HAProxy); then a pod is added
# and one removed by editing the watched manifest directory, while requests
# keep going through the Ingress without one failing.
#
#   sudo scripts/setup.sh && sudo scripts/demo.sh
#
# BUILD_DIR (default build) and SVCNAT_BIN choose the svcnat executable.
#
# Everything happens inside namespaces named demo-<PID> (scripts/lab/lab.sh);
# the root network namespace is never touched. The lab, the daemon and the
# temporary directory are removed at the end, on error and on Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
SVCNAT=${SVCNAT_BIN:-$BUILD/control/cli/svcnat}
LAB_SH=scripts/lab/lab.sh
LAB=demo-$$
WORK=""
NODE_FLAGS=(--node-name node-a --cluster-cidr 10.244.0.0/16)

bold=$'\e[1m' dim=$'\e[2m' off=$'\e[0m'
[ -t 1 ] || { bold="" dim="" off=""; }
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$off"; }
# Shows a command (shell-quoted), then runs it.
show() { printf '%s$' "$bold"; printf ' %q' "$@"; printf '%s\n' "$off"; }
run() { show "$@"; "$@"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    echo
    note "cleaning up: stopping svcnat, removing lab $LAB"
    "$LAB_SH" down "$LAB" 2>/dev/null || true
    [ -n "$WORK" ] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (it creates network namespaces): sudo $0" >&2; exit 1; }

# ---------------------------------------------------------------------------
step "1. Build svcnat"
if [ -z "${SVCNAT_BIN:-}" ]; then  # (re)build: a no-op when up to date
    [ -f "$BUILD/build.ninja" ] || run meson setup "$BUILD" -Dtests=disabled
    run meson compile -C "$BUILD" svcnat
fi
note "using $SVCNAT"
# SVCNAT_DEMO_MODE=once shows the same with `svcnat sync --once` after each change.
if [ "${SVCNAT_DEMO_MODE:-run}" = run ] && "$SVCNAT" --help 2>&1 | grep -qE '^\s+run\b'; then DAEMON=1; else DAEMON=0; fi

# ---------------------------------------------------------------------------
step "2. A lab: node-a, three kubia pods, an external client"
note "network namespaces svcnat-$LAB.node, svcnat-$LAB.client and one per pod; pods are routed like Calico's"
run "$LAB_SH" up "$LAB"
for i in 1 2 3; do
    run "$LAB_SH" add-pod "$LAB" "kubia-$i" "10.244.1.1$i" --http 8080 --udp "" --echo "" --sctp ""
done
for i in 1 2 3; do  # behind the headless myapp-headless
    run "$LAB_SH" add-pod "$LAB" "my-nginx-$i" "10.244.1.3$i" --http 80 --udp "" --echo "" --sctp ""
done
# The pods' resolver, as kubelet writes it: the kube-dns ClusterIP, the search path.
run "$LAB_SH" resolv "$LAB" kubia-1 10.96.0.10 default.svc.cluster.local svc.cluster.local cluster.local

# The manifests, one file per pod so that a pod can be removed by deleting
# its file: the Nodes and the kubernetes Service (cluster.yaml), the four
# kubia Services, kubia-1..3. (The example's kubia-4 comes later.)
WORK=$(mktemp -d /tmp/svcnat-demo-XXXXXX)
MANIFESTS=$WORK/manifests
mkdir -p "$MANIFESTS"
# An upstream DNS server on the external client, for names outside the
# cluster; it logs every query it gets (svcnat caches what it answers).
run "$LAB_SH" spawn "$LAB" client upstream -- dnsmasq --keep-in-foreground --no-resolv --no-hosts \
    --bind-interfaces --listen-address=203.0.113.100 --pid-file= --local-ttl=300 --log-queries \
    --log-facility="$WORK/upstream.log" --address=/www.example.com/192.0.2.80 \
    --address=/api.example.com/192.0.2.81 >/dev/null
cp conf/examples/cluster.yaml conf/examples/myapp.yaml conf/examples/external-name.yaml conf/examples/ingress.yaml \
    "$MANIFESTS/"
python3 - conf/examples/kubia.yaml "$MANIFESTS" <<'EOF'
import re, sys
src, out = sys.argv[1], sys.argv[2]
services = []
for doc in re.split(r"^---\s*$", open(src).read(), flags=re.M):
    kind = re.search(r"^kind:\s*(\S+)", doc, re.M)
    name = re.search(r"^  name:\s*(\S+)", doc, re.M)
    if not kind or not name:
        continue
    if kind.group(1) == "Service":
        services.append(doc.strip("\n") + "\n")
    elif kind.group(1) == "Pod" and name.group(1) != "kubia-4":
        open(f"{out}/{name.group(1)}.yaml", "w").write(doc.strip("\n") + "\n")
open(f"{out}/kubia-services.yaml", "w").write("---\n".join(services))
EOF
step "3. The manifests svcnat watches"
run ls "$MANIFESTS"

# ---------------------------------------------------------------------------
apply_change() {  # without the daemon, program the kernel again by hand
    if ((DAEMON == 0)); then
        run "$LAB_SH" exec "$LAB" node -- "$SVCNAT" sync --once "${NODE_FLAGS[@]}" "$MANIFESTS"
    fi
}
# Ingress needs HAProxy (scripts/setup.sh installs it); without it the demo
# shows the rest.
INGRESS_FLAGS=()
if ((DAEMON)) && command -v haproxy >/dev/null; then
    INGRESS=1
    INGRESS_FLAGS=(--ingress-http-address 203.0.113.1:80 --ingress-state-dir "$WORK/haproxy")
else
    INGRESS=0
fi
if ((DAEMON)); then
    step "4. Start svcnat run in the node namespace"
    start_daemon=("$LAB_SH" spawn "$LAB" node svcnat -- "$SVCNAT" run "${NODE_FLAGS[@]}"
        --min-sync-period 200ms
        --dns-bind-address 203.0.113.1 --dns-upstream 203.0.113.100 "${INGRESS_FLAGS[@]}" "$MANIFESTS")
    show "${start_daemon[@]}"
    pid=$("${start_daemon[@]}")
    note "svcnat run is PID $pid; its log: /run/svcnat-lab/$LAB/logs/svcnat.log"
    # Ready when /healthz answers 200 (the first sync is done).
    for ((i = 0; i < 100; i++)); do
        if "$LAB_SH" exec "$LAB" node -- curl -fs -o /dev/null --max-time 1 http://127.0.0.1:10256/healthz; then break; fi
        sleep 0.1
    done
    run "$LAB_SH" exec "$LAB" node -- curl -s --max-time 2 http://127.0.0.1:10256/healthz
    echo
else
    step "4. Program the node (svcnat sync --once, again after each change)"
    apply_change
fi

step "5. The services"
run "$SVCNAT" get svc -f "$MANIFESTS"
CLUSTER_IP=$("$SVCNAT" get svc kubia -o json -f "$MANIFESTS" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["clusterIP"])')
NODE_PORT=30123
LB_IP=198.51.100.10

# Shows and runs a shell command line inside node|client|POD.
run_sh() {
    printf "%s\$ %s -- sh -c '%s'%s\n" "$bold" "$LAB_SH exec $LAB $1" "$2" "$off" >&2  # stderr: stdout may be captured
    "$LAB_SH" exec "$LAB" "$1" -- sh -c "$2"
}

# Ten requests from `where`, each on a new connection, and who answered.
ten_requests() {
    local where=$1 url=$2
    run_sh "$where" "for i in \$(seq 10); do curl -s --max-time 2 $url || echo '(no answer)'; done" |
        tee "$WORK/answers" | sed 's/^/  /'
    note "  answers per pod: $(sort "$WORK/answers" | uniq -c | awk '{printf "%s%s %s", sep, $NF, $1; sep=", "}')"
}

step "6. ClusterIP $CLUSTER_IP from inside the cluster (pod kubia-1)"
ten_requests kubia-1 "http://$CLUSTER_IP/"
step "7. NodePort $NODE_PORT from the external client (203.0.113.100 -> node 203.0.113.1)"
ten_requests client "http://203.0.113.1:$NODE_PORT/"
step "8. LoadBalancer ingress $LB_IP from the external client"
ten_requests client "http://$LB_IP/"

if ((DAEMON)); then
    step "9. By name: cluster DNS from the same manifests (pod kubia-1, resolv.conf -> 10.96.0.10)"
    note "kube-dns (10.96.0.10) is an ordinary Service in cluster.yaml: svcnat's own rules DNAT it to the"
    note "node's svcnat, which answers from the model it programs (svcnat run --dns-bind-address 203.0.113.1)"
    run_sh kubia-1 "cat /etc/resolv.conf"
    run_sh kubia-1 "getent hosts kubia"
    ten_requests kubia-1 "http://kubia/"
    run_sh kubia-1 "curl -s --max-time 2 http://kubia.default.svc.cluster.local/"
    note "the headless myapp-headless: the pods' own addresses"
    run_sh kubia-1 "dig +short myapp-headless.default.svc.cluster.local"
    run_sh kubia-1 "dig +short _http._tcp.myapp-headless.default.svc.cluster.local SRV"
    run_sh kubia-1 "curl -s --max-time 2 http://myapp-headless/"
    note "the ExternalName my-service: a CNAME to www.example.com, completed by the upstream"
    run_sh kubia-1 "dig +noall +answer my-service.default.svc.cluster.local"
    note "a name outside the cluster: asked upstream once, then answered from svcnat's cache (the TTL counts down)"
    run_sh kubia-1 "dig +noall +answer api.example.com"
    sleep 2
    run_sh kubia-1 "dig +noall +answer api.example.com"
    run_sh kubia-1 "getent hosts api.example.com"
    note "what the upstream received for it (its own log): one query"
    run_sh node "grep -c 'query\[A\] api.example.com' '$WORK/upstream.log'"
    run_sh node "curl -s http://127.0.0.1:10249/metrics | grep -E '^coredns_cache_(hits|misses)_total'"
fi

if ((INGRESS)); then
    step "10. One address for two Services: Ingress by host name and path (HAProxy, run by svcnat)"
    note "conf/examples/ingress.yaml: kubia.example.com -> kubia, shop.example.com -> myapp, shop.example.com/kubia -> kubia"
    run "$SVCNAT" get ingress -f "$MANIFESTS" --ingress-http-address 203.0.113.1:80
    ten_requests client "-H 'Host: kubia.example.com' http://203.0.113.1/"
    run_sh client "curl -s --max-time 2 -H 'Host: shop.example.com' http://203.0.113.1/ | head -n 4"
    ten_requests client "-H 'Host: shop.example.com' http://203.0.113.1/kubia"
fi

# Requests through the Ingress from the client, in the background while
# the pods change: every one must be answered by a kubia pod.
start_ingress_requests() {
    ((INGRESS)) || return 0
    "$LAB_SH" exec "$LAB" client -- sh -c "for i in \$(seq 400); do curl -s --max-time 2 -H 'Host: kubia.example.com' \
        http://203.0.113.1/ || echo FAILED; sleep 0.01; done" >"$WORK/ingress-answers" 2>&1 &
    INGRESS_LOOP=$!
    RELOADS_BEFORE=$(ingress_metric 'svcnat_ingress_reloads_total{result="success"}')
}
ingress_metric() {
    "$LAB_SH" exec "$LAB" node -- curl -s --max-time 2 http://127.0.0.1:10249/metrics |
        awk -v m="$1" '$1 == m { print $2 }'
}
finish_ingress_requests() {
    ((INGRESS)) || return 0
    wait "$INGRESS_LOOP"
    local answered failed
    answered=$(grep -c "You've hit kubia" "$WORK/ingress-answers" || true)
    failed=$(grep -vc "You've hit kubia" "$WORK/ingress-answers" || true)
    note "through the Ingress while pods came and went: $answered answered, $failed failed;"
    note "HAProxy reloads: $RELOADS_BEFORE before, $(ingress_metric 'svcnat_ingress_reloads_total{result="success"}') after" \
        "(endpoint changes go through its runtime API); runtime updates: $(ingress_metric svcnat_ingress_runtime_updates_total)"
    if [ "$failed" != 0 ]; then
        echo "demo.sh: $failed requests through the Ingress failed while endpoints changed" >&2
        return 1
    fi
}

# Polls (at most 10 s) until 20 requests from the client to the NodePort
# satisfy the check: "with POD" or "without POD".
wait_for_pods() {
    local mode=$1 pod=$2 i answers
    for ((i = 0; i < 20; i++)); do
        answers=$("$LAB_SH" exec "$LAB" client -- /usr/bin/python3 scripts/lab/probe.py http \
            "http://203.0.113.1:$NODE_PORT/" --count 20 --timeout 1)
        if [ "$mode" = with ] && grep -qx "You've hit $pod" <<<"$answers"; then return 0; fi
        if [ "$mode" = without ] && ! grep -qx "You've hit $pod" <<<"$answers"; then return 0; fi
        sleep 0.5
    done
    echo "demo.sh: svcnat did not pick up the change in 10 s" >&2
    return 1
}

# ---------------------------------------------------------------------------
start_ingress_requests
step "11. Scale up: a fourth pod"
run "$LAB_SH" add-pod "$LAB" kubia-4 10.244.1.14 --http 8080 --udp "" --echo "" --sctp ""
cat >"$WORK/kubia-4.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: kubia-4
  labels:
    app: kubia
spec:
  nodeName: node-a
  containers:
  - name: kubia
    image: luksa/kubia
    ports:
    - name: http
      containerPort: 8080
status:
  phase: Running
  podIP: 10.244.1.14
  podIPs:
  - ip: 10.244.1.14
  conditions:
  - type: Ready
    status: "True"
EOF
note "the new pod's manifest:"
sed 's/^/  /' "$WORK/kubia-4.yaml"
run cp "$WORK/kubia-4.yaml" "$MANIFESTS/kubia-4.yaml"
apply_change
wait_for_pods with kubia-4
ten_requests client "http://203.0.113.1:$NODE_PORT/"

step "12. Scale down: kubia-2 goes away"
run rm "$MANIFESTS/kubia-2.yaml"
apply_change
wait_for_pods without kubia-2
ten_requests client "http://203.0.113.1:$NODE_PORT/"
# (the pod stops only once svcnat has stopped sending to it)
run "$LAB_SH" del-pod "$LAB" kubia-2
run "$SVCNAT" get endpoints -f "$MANIFESTS"
finish_ingress_requests

if ((DAEMON)); then
    step "13. What the daemon did"
    run_sh node "curl -s http://127.0.0.1:10249/metrics | grep '^svcnat_' | grep -v '^svcnat_ingress' | head -n 15"
    ((INGRESS)) && run_sh node "curl -s http://127.0.0.1:10249/metrics | grep '^svcnat_ingress'"
fi
step "Done"
note "the lab, the daemon and $WORK are removed now"
