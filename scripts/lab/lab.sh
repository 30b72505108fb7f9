#!/usr/bin/env bash
# The svcnat namespace lab: one Kubernetes node, its pods and an external
# client, built from network namespaces, in a routed layout like Calico's.
# The single implementation of the topology used by the e2e tests, the demo
# and the benchmarks. See scripts/lab/README.md for the picture.
#
#   lab.sh up LAB [--pods N] [--ipv6]     node + client (+ pods pod1..podN, 10.244.1.11..)
#   lab.sh add-pod LAB POD IP [--ip6 IP6] [--http PORTS] [--udp PORTS]
#                  [--echo PORTS] [--sctp PORTS] [--http-echo PORTS]
#   lab.sh del-pod LAB POD
#   lab.sh exec LAB node|client|POD -- CMD...
#   lab.sh spawn LAB node|client|POD TAG -- CMD...   background process, prints its PID
#   lab.sh stop LAB TAG                   stops a spawned process
#   lab.sh ns LAB node|client|POD         prints the network namespace's name
#   lab.sh resolv LAB POD NAMESERVER [SEARCH...]   the pod's /etc/resolv.conf as
#                                         kubelet writes it (ndots:5), in
#                                         /etc/netns/NS/ (removed with the lab)
#   lab.sh pods LAB                       "POD IP IP6" per line
#   lab.sh info LAB                       addresses and namespaces
#   lab.sh list                           labs that exist on this host
#   lab.sh down LAB                       kills the lab's processes, deletes everything
#
# Safety: every command runs inside the lab's own namespaces. Interfaces are
# created inside the node namespace and moved straight into their peer
# namespace, sysctls are written from inside the namespaces, so the root
# network namespace is never touched. Every wait is bounded.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_ROOT=${SVCNAT_LAB_DIR:-/run/svcnat-lab}
if [ -x /usr/bin/python3 ]; then PYTHON=${SVCNAT_LAB_PYTHON:-/usr/bin/python3}; else PYTHON=${SVCNAT_LAB_PYTHON:-python3}; fi

# Addresses (documentation ranges stand for external hosts).
NODE_IP=203.0.113.1
CLIENT_IP=203.0.113.100
EXT_PREFIX=24
NODE_IP6=2001:db8:ff::1
CLIENT_IP6=2001:db8:ff::100
EXT_PREFIX6=64
# Routed to the node from the client: LoadBalancer ingress, externalIPs, service CIDR.
CLIENT_ROUTES=(198.51.100.0/24 192.0.2.0/24 10.96.0.0/12)
CLIENT_ROUTES6=(fd00:10:96::/112 2001:db8:198::/48)
# Calico's pod gateway: a link-local address nobody owns, answered by proxy ARP
# on the node side of the veth; for IPv6 the node veth's own link-local
# address (fixed MAC ee:ee:ee:ee:ee:ee gives fe80::ecee:eeff:feee:eeee).
POD_GW=169.254.1.1
NODE_VETH_MAC=ee:ee:ee:ee:ee:ee
POD_GW6=fe80::ecee:eeff:feee:eeee
# What every pod serves unless told otherwise.
DEFAULT_HTTP="80 8080 9090"
DEFAULT_UDP="53 5353"
DEFAULT_ECHO="7777"
DEFAULT_SCTP="9999"
READY_WAIT_TENTHS=100    # podserver must be listening within 10 s
STOP_WAIT_TENTHS=30      # SIGTERM, then SIGKILL after 3 s

die() { echo "lab.sh: $*" >&2; exit 1; }
usage() { sed -n '/^#   lab.sh/p' "$0" | sed 's/^#   //' >&2; exit 2; }

check_lab_name() {
    [[ $1 =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "lab name '$1': use 1-40 of [A-Za-z0-9_-]"
}
check_pod_name() {
    [[ $1 =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || die "pod name '$1': must be a DNS label"
    [[ $1 != node && $1 != client ]] || die "pod name '$1' is reserved"
}

# Names. Lab names cannot contain '.', pod names cannot either, so
# "svcnat-LAB.pod.POD" never collides with another lab's or role's namespace.
state_dir() { echo "$LAB_ROOT/$1"; }
node_ns() { echo "svcnat-$1.node"; }
client_ns() { echo "svcnat-$1.client"; }
pod_ns() { echo "svcnat-$1.pod.$2"; }
# Node-side veth of a pod: "cali" + 11 hex digits, like Calico (<= 15 chars).
pod_iface() { echo "cali$(printf '%s' "$1" | sha1sum | cut -c1-11)"; }

ns_of() {  # LAB WHERE
    case $2 in
        node) node_ns "$1" ;;
        client) client_ns "$1" ;;
        *) [ -f "$(state_dir "$1")/pods/$2.env" ] || die "lab $1 has no pod '$2'"
           pod_ns "$1" "$2" ;;
    esac
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { [ -e "/run/netns/$1" ]; }

# A zombie counts as gone: its parent may be a PID 1 that never reaps.
is_running() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Stops PIDs: SIGTERM, bounded wait, SIGKILL.
stop_pids() {
    local pids=("$@") alive i
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < STOP_WAIT_TENTHS; i++)); do
        alive=()
        for p in "${pids[@]}"; do is_running "$p" && alive+=("$p"); done
        ((${#alive[@]})) || return 0
        sleep 0.1
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

# Every process living in the namespace (podservers, svcnat run, probes left
# over by a killed test): found by PID through `ip netns pids`, nothing else.
stop_ns_processes() {
    ns_exists "$1" || return 0
    local pids
    mapfile -t pids < <(ip netns pids "$1" 2>/dev/null || true)
    stop_pids "${pids[@]}"
}

delete_ns() {
    # The namespace's resolver file (lab.sh resolv) goes with it.
    case $1 in svcnat-*) rm -rf "/etc/netns/$1" ;; esac
    ns_exists "$1" || return 0
    stop_ns_processes "$1"
    ip netns del "$1" 2>/dev/null || true
}

pidfile_stop() {  # pidfile: stop it if it still is a process, then remove the file
    local f=$1 pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    [[ $pid =~ ^[0-9]+$ ]] && stop_pids "$pid"
    rm -f "$f"
}

# ---------------------------------------------------------------------------

cmd_up() {
    local lab=${1:-} pods=0 ipv6=0
    [ -n "$lab" ] || usage
    shift
    check_lab_name "$lab"
    while (($#)); do
        case $1 in
            --pods) pods=${2:?--pods N}; shift 2 ;;
            --ipv6) ipv6=1; shift ;;
            *) die "up: unknown option $1" ;;
        esac
    done
    if ! [[ $pods =~ ^[0-9]+$ ]] || ((pods > 200)); then die "--pods: 0..200"; fi
    local dir node client
    dir=$(state_dir "$lab")
    node=$(node_ns "$lab")
    client=$(client_ns "$lab")
    [ -e "$dir" ] || ns_exists "$node" && die "lab $lab exists (lab.sh down $lab)"

    CLEANUP_LAB=$lab  # global: the trap runs after this function's locals are gone
    trap 'rc=$?; if ((rc)); then echo "lab.sh: up $CLEANUP_LAB failed, removing it" >&2; cmd_down "$CLEANUP_LAB"; fi' EXIT
    trap 'exit 130' INT TERM

    mkdir -p "$dir/pods" "$dir/pids" "$dir/logs" "$dir/run"
    printf 'IPV6=%s\nCREATED_BY=%s\n' "$ipv6" "$$" >"$dir/lab.env"

    ip netns add "$node"
    ip netns add "$client"
    # Node: a router for its pods. rp_filter off (routed pods, NAT replies);
    # no IPv6 DAD so addresses work at once; the default for new interfaces
    # covers every pod veth.
    in_ns "$node" sysctl -qw net.ipv4.ip_forward=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv6.conf.all.forwarding=1 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    in_ns "$client" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    ip -n "$node" link set lo up
    ip -n "$client" link set lo up

    # The external link: node ext0 <-> client eth0.
    ip -n "$node" link add ext0 type veth peer name eth0 netns "$client"
    ip -n "$node" addr add "$NODE_IP/$EXT_PREFIX" dev ext0
    ip -n "$client" addr add "$CLIENT_IP/$EXT_PREFIX" dev eth0
    ip -n "$node" link set ext0 up
    ip -n "$client" link set eth0 up
    for r in "${CLIENT_ROUTES[@]}"; do ip -n "$client" route add "$r" via "$NODE_IP"; done
    # The client stands for the node's upstream router: the node's default
    # route also lets proxy ARP answer for the pods' gateway 169.254.1.1.
    ip -n "$node" route add default via "$CLIENT_IP"
    if ((ipv6)); then
        ip -n "$node" addr add "$NODE_IP6/$EXT_PREFIX6" dev ext0 nodad
        ip -n "$client" addr add "$CLIENT_IP6/$EXT_PREFIX6" dev eth0 nodad
        for r in "${CLIENT_ROUTES6[@]}"; do ip -n "$client" -6 route add "$r" via "$NODE_IP6"; done
        ip -n "$node" -6 route add default via "$CLIENT_IP6"
    fi

    # Servers start in parallel (python's start-up dominates), then all are awaited.
    for ((i = 1; i <= pods; i++)); do
        NO_WAIT=1 add_pod "$lab" "pod$i" "10.244.1.$((10 + i))"
    done
    for ((i = 1; i <= pods; i++)); do
        wait_pod_ready "$lab" "pod$i"
    done
    trap - EXIT INT TERM
    echo "lab $lab up: node $node ($NODE_IP), client $client ($CLIENT_IP), $pods pods"
}

# add_pod LAB POD IP [options]: the Calico-style plumbing plus a podserver.
add_pod() {
    local lab=$1 pod=$2 ip=$3
    shift 3
    local ip6="" http=$DEFAULT_HTTP udp=$DEFAULT_UDP echo_ports=$DEFAULT_ECHO sctp=$DEFAULT_SCTP http_echo=""
    while (($#)); do
        case $1 in
            --ip6) ip6=${2:?}; shift 2 ;;
            --http) http=${2?}; shift 2 ;;
            --http-echo) http_echo=${2?}; shift 2 ;;
            --udp) udp=${2?}; shift 2 ;;
            --echo) echo_ports=${2?}; shift 2 ;;
            --sctp) sctp=${2?}; shift 2 ;;
            *) die "add-pod: unknown option $1" ;;
        esac
    done
    check_pod_name "$pod"
    [[ $ip =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "pod IP '$ip': expected an IPv4 address"
    local dir node ns iface
    dir=$(state_dir "$lab")
    [ -f "$dir/lab.env" ] || die "no lab $lab (lab.sh up $lab)"
    [ ! -e "$dir/pods/$pod.env" ] || die "lab $lab already has pod $pod"
    # shellcheck disable=SC1091
    local IPV6=0
    . "$dir/lab.env"
    if ((IPV6)) && [ -z "$ip6" ]; then ip6="fd00:10:244:1::${ip##*.}"; fi
    node=$(node_ns "$lab")
    ns=$(pod_ns "$lab" "$pod")
    iface=$(pod_iface "$pod")
    ns_exists "$ns" && die "namespace $ns exists"
    if ip -n "$node" route show "$ip/32" | grep -q .; then die "pod IP $ip is already routed in lab $lab"; fi

    printf 'IP=%s\nIP6=%s\nIFACE=%s\n' "$ip" "$ip6" "$iface" >"$dir/pods/$pod.env"
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    # One `ip -batch` per namespace: each `ip` process costs, and labs are
    # often built on busy machines. (ip infers the family from each address.)
    local node_cmds=("link add $iface type veth peer name eth0 netns $ns"
        "link set $iface address $NODE_VETH_MAC"
        "link set $iface up"
        "route add $ip/32 dev $iface")
    local pod_cmds=("link set lo up"
        "addr add $ip/32 dev eth0"
        "link set eth0 up"
        "route add $POD_GW dev eth0 scope link"
        "route add default via $POD_GW dev eth0")
    if [ -n "$ip6" ]; then
        node_cmds+=("route add $ip6/128 dev $iface")
        pod_cmds+=("addr add $ip6/128 dev eth0 nodad" "route add default via $POD_GW6 dev eth0")
    fi
    printf '%s\n' "${node_cmds[@]}" | ip -n "$node" -batch -
    # Proxy ARP answers the pod's ARP for 169.254.1.1 with this veth's MAC; without
    # proxy_delay=0 each answer to a broadcast request waits up to 0.8 s (Calico
    # sets the same).
    in_ns "$node" sysctl -qw "net.ipv4.conf.$iface.proxy_arp=1" "net.ipv4.neigh.$iface.proxy_delay=0"
    printf '%s\n' "${pod_cmds[@]}" | ip -n "$ns" -batch -

    local ready="$dir/run/$pod.ready"
    rm -f "$ready"
    # A simple command in the background: $! is the PID that `ip netns exec`
    # turns into python by exec, so the pidfile names the server itself.
    ip netns exec "$ns" "$PYTHON" "$HERE/podserver.py" --name "$pod" --http "$http" --udp "$udp" \
        --echo "$echo_ports" --sctp "$sctp" --http-echo "$http_echo" --ready-file "$ready" \
        </dev/null >"$dir/logs/$pod.log" 2>&1 &
    echo $! >"$dir/pids/pod.$pod.pid"
    [ "${NO_WAIT:-0}" = 1 ] || wait_pod_ready "$lab" "$pod"
}

# Waits (bounded) until the pod's podserver has bound all its sockets.
wait_pod_ready() {
    local lab=$1 pod=$2 dir i
    dir=$(state_dir "$lab")
    for ((i = 0; i < READY_WAIT_TENTHS; i++)); do
        [ -f "$dir/run/$pod.ready" ] && return 0
        is_running "$(cat "$dir/pids/pod.$pod.pid")" || break
        sleep 0.1
    done
    cat "$dir/logs/$pod.log" >&2 || true
    die "podserver of $pod did not start"
}

cmd_add_pod() {
    local lab=${1:-} pod=${2:-} ip=${3:-}
    [ -n "$ip" ] || usage
    check_lab_name "$lab"
    check_pod_name "$pod"
    [ -f "$(state_dir "$lab")/lab.env" ] || die "no lab $lab (lab.sh up $lab)"
    [ ! -e "$(state_dir "$lab")/pods/$pod.env" ] || die "lab $lab already has pod $pod"
    ! ns_exists "$(pod_ns "$lab" "$pod")" || die "namespace $(pod_ns "$lab" "$pod") exists"
    # From here on a failure removes what this call made of the pod.
    CLEANUP_LAB=$lab CLEANUP_POD=$pod
    trap 'rc=$?; if ((rc)); then del_pod "$CLEANUP_LAB" "$CLEANUP_POD" || true; fi' EXIT
    trap 'exit 130' INT TERM
    add_pod "$@"
    trap - EXIT INT TERM
}

del_pod() {
    local lab=$1 pod=$2 dir node iface
    dir=$(state_dir "$lab")
    node=$(node_ns "$lab")
    iface=$(pod_iface "$pod")
    pidfile_stop "$dir/pids/pod.$pod.pid"
    # Deleting one end of a veth deletes both, and the pod's routes with it.
    if ns_exists "$node"; then ip -n "$node" link del "$iface" 2>/dev/null || true; fi
    delete_ns "$(pod_ns "$lab" "$pod")"
    rm -f "$dir/pods/$pod.env" "$dir/run/$pod.ready"
}

cmd_del_pod() {
    local lab=${1:-} pod=${2:-}
    [ -n "$pod" ] || usage
    check_lab_name "$lab"
    check_pod_name "$pod"
    [ -f "$(state_dir "$lab")/pods/$pod.env" ] || die "lab $lab has no pod $pod"
    del_pod "$lab" "$pod"
}

cmd_down() {
    local lab=${1:-}
    [ -n "$lab" ] || usage
    check_lab_name "$lab"
    local dir f ns prefix="svcnat-$lab."
    dir=$(state_dir "$lab")
    if [ -d "$dir/pids" ]; then
        for f in "$dir"/pids/*.pid; do [ -e "$f" ] && pidfile_stop "$f"; done
    fi
    # Every namespace of this lab, also those a failed `up` left without state.
    while read -r ns _; do
        [[ $ns == "$prefix"* ]] && delete_ns "$ns"
    done < <(ip netns list 2>/dev/null)
    rm -rf "$dir"
}

cmd_exec() {
    local lab=${1:-} where=${2:-}
    if [ -z "$where" ] || [ "${3:-}" != "--" ]; then usage; fi
    check_lab_name "$lab"
    shift 3
    (($#)) || usage
    local ns
    ns=$(ns_of "$lab" "$where")
    exec ip netns exec "$ns" "$@"
}

cmd_spawn() {
    local lab=${1:-} where=${2:-} tag=${3:-}
    if [ -z "$tag" ] || [ "${4:-}" != "--" ]; then usage; fi
    check_lab_name "$lab"
    [[ $tag =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "spawn tag '$tag': use [A-Za-z0-9_-]"
    shift 4
    (($#)) || usage
    local dir ns
    dir=$(state_dir "$lab")
    [ -d "$dir" ] || die "no lab $lab"
    ns=$(ns_of "$lab" "$where")
    [ ! -e "$dir/pids/$tag.pid" ] || die "$tag already running in lab $lab"
    ip netns exec "$ns" "$@" </dev/null >"$dir/logs/$tag.log" 2>&1 &
    echo $! >"$dir/pids/$tag.pid"
    echo $!
}

cmd_stop() {
    local lab=${1:-} tag=${2:-}
    [ -n "$tag" ] || usage
    check_lab_name "$lab"
    pidfile_stop "$(state_dir "$lab")/pids/$tag.pid"
}

# `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf:
# the pod gets kubelet's resolver configuration (ClusterFirst policy).
cmd_resolv() {
    local lab=${1:-} pod=${2:-} nameserver=${3:-}
    [ -n "$nameserver" ] || usage
    check_lab_name "$lab"
    shift 3
    local ns
    ns=$(ns_of "$lab" "$pod")
    ns_exists "$ns" || die "no namespace $ns"
    mkdir -p "/etc/netns/$ns"
    {
        [ $# -gt 0 ] && echo "search $*"
        echo "nameserver $nameserver"
        echo "options ndots:5"
    } >"/etc/netns/$ns/resolv.conf"
}

cmd_ns() {
    [ -n "${2:-}" ] || usage
    check_lab_name "$1"
    ns_of "$1" "$2"
}

cmd_pods() {
    [ -n "${1:-}" ] || usage
    check_lab_name "$1"
    local f IP IP6
    for f in "$(state_dir "$1")"/pods/*.env; do
        [ -e "$f" ] || continue
        # shellcheck disable=SC1090
        . "$f"
        echo "$(basename "$f" .env) $IP ${IP6:--}"
    done
}

cmd_info() {
    [ -n "${1:-}" ] || usage
    check_lab_name "$1"
    [ -d "$(state_dir "$1")" ] || die "no lab $1"
    echo "node   $(node_ns "$1")  $NODE_IP (ext0)"
    echo "client $(client_ns "$1")  $CLIENT_IP (eth0), routes ${CLIENT_ROUTES[*]} via $NODE_IP"
    echo "state  $(state_dir "$1")"
    cmd_pods "$1" | while read -r pod ip ip6; do
        echo "pod    $(pod_ns "$1" "$pod")  $ip $ip6 (node side $(pod_iface "$pod"))"
    done
}

cmd_list() {
    [ -d "$LAB_ROOT" ] || return 0
    local d
    for d in "$LAB_ROOT"/*/; do [ -d "$d" ] && basename "$d"; done
    return 0
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
sub=${1:-}
(($#)) && shift
case $sub in
    up) cmd_up "$@" ;;
    add-pod) cmd_add_pod "$@" ;;
    del-pod) cmd_del_pod "$@" ;;
    down) cmd_down "$@" ;;
    exec) cmd_exec "$@" ;;
    spawn) cmd_spawn "$@" ;;
    stop) cmd_stop "$@" ;;
    ns) cmd_ns "$@" ;;
    resolv) cmd_resolv "$@" ;;
    pods) cmd_pods "$@" ;;
    info) cmd_info "$@" ;;
    list) cmd_list ;;
    *) usage ;;
esac
