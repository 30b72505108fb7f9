"""What an operator relies on, checked in the gateway lab (imported by
gateway_lab.py): /metrics passes promtool and its counters equal the traffic
sent; /healthz and /livez fail when a port loses its link or a worker stops
polling, and recover when it comes back."""
import ctypes
import json
import os
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_metrics(text):
    """Prometheus text -> {(name, ((label, value), ...)): float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, rest = head.partition("{")
        labels = []
        for part in rest.rstrip("}").split('",') if rest else []:
            if not part:
                continue
            k, _, v = part.partition('="')
            labels.append((k, v.rstrip('"')))
        out[(name, tuple(sorted(labels)))] = float(value)
    return out


def metric(m, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    total = 0.0
    for (n, ls), v in m.items():
        if n == name and all((k, v2) in ls for k, v2 in labels.items()):
            total += v
    return total


# kube-proxy's own gauge keeps its name (svcnat uses kube-proxy's metric
# names on purpose), which trips promtool's "_total on a non-counter" lint;
# that one finding is accepted, nothing else (as tests/daemon does).
KUBE_PROXY_NAME = ('kubeproxy_sync_proxy_rules_no_local_endpoints_total non-counter metrics should not have '
                   '"_total" suffix')


def promtool_ok(text):
    with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as f:
        f.write(text)
    try:
        with open(f.name) as src:
            r = subprocess.run(["promtool", "check", "metrics"], stdin=src, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=30)
        findings = [line for line in r.stdout.splitlines() if line.strip() and line != KUBE_PROXY_NAME]
        # 3: lint findings only (then judged by the list); anything else failed.
        return r.returncode in (0, 3) and not findings, "\n".join(findings)
    finally:
        os.unlink(f.name)


def check_metrics(lab, check):
    """Counters against traffic sent while nothing else runs: 25 TCP
    connections to web:http, 20 UDP exchanges on one flow to web:dns."""
    status, text = lab.http_get("/metrics", 10249)
    check("/metrics served", status == 200 and "svcnat_gateway_" in text, f"status={status}")
    ok, detail = promtool_ok(text)
    check("/metrics passes promtool check metrics", ok, detail[-500:])
    before = parse_metrics(text)
    r = lab.nsx("cli", "python3", os.path.join(HERE, "metrics_traffic.py"), lab.VIP, "25", "20")
    sent = json.loads(r)
    time.sleep(2.2)  # the sweep folds flow traffic into the counters once a second
    after = parse_metrics(lab.http_get("/metrics", 10249)[1])

    def delta(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    check("metrics: TCP flows of the service and its backends equal connections made",
          sent["tcp_ok"] == 25 and delta("svcnat_gateway_service_flows_total", service="default/web:http") == 25 and
          delta("svcnat_gateway_backend_flows_total", service="default/web:http") == 25,
          f"sent={sent['tcp_ok']} service={delta('svcnat_gateway_service_flows_total', service='default/web:http')} "
          f"backends={delta('svcnat_gateway_backend_flows_total', service='default/web:http')}")
    udp_packets = sent["udp_sent"] + sent["udp_answered"]
    check("metrics: UDP packets and flows of the service equal datagrams exchanged",
          delta("svcnat_gateway_service_packets_total", service="default/web:dns") == udp_packets and
          delta("svcnat_gateway_backend_packets_total", service="default/web:dns") == udp_packets and
          delta("svcnat_gateway_service_flows_total", service="default/web:dns") == 1,
          f"exchanged={udp_packets} service={delta('svcnat_gateway_service_packets_total', service='default/web:dns')}"
          f" flows={delta('svcnat_gateway_service_flows_total', service='default/web:dns')}")
    check("metrics: flows created (IPv4) equal the new flows",
          delta("svcnat_gateway_flows_created_total", family="ipv4") == 26,
          str(delta("svcnat_gateway_flows_created_total", family="ipv4")))
    check("metrics: SNAT leases used equal active IPv4 flows",
          metric(after, "svcnat_gateway_snat_leases", address="10.0.0.1", state="used") ==
          metric(after, "svcnat_gateway_flows_active", family="ipv4") > 0,
          f"leases={metric(after, 'svcnat_gateway_snat_leases', address='10.0.0.1', state='used')} "
          f"active={metric(after, 'svcnat_gateway_flows_active', family='ipv4')}")
    check("metrics: every worker loops, ports up, neighbours resolved",
          all(delta("svcnat_gateway_worker_loop_iterations_total", worker=str(w)) > 0 for w in (0, 1)) and
          metric(after, "svcnat_gateway_port_up") == 2 and
          metric(after, "svcnat_gateway_neighbors", state="reachable") >= 2,
          f"ports_up={metric(after, 'svcnat_gateway_port_up')} "
          f"reachable={metric(after, 'svcnat_gateway_neighbors', state='reachable')}")


def wait_health(lab, want, path="/healthz", seconds=5):
    """Polls until `path` answers `want`; (status, body) of the last answer."""
    deadline = time.time() + seconds
    status, body = lab.http_get(path)
    while status != want and time.time() < deadline:
        time.sleep(0.1)
        status, body = lab.http_get(path)
    return status, body


def problems(body):
    try:
        return json.loads(body)["svcnat"]["dataPath"]["problems"]
    except (ValueError, KeyError, TypeError):
        return []


def check_port_down(lab, check):
    """The client-side link goes down (its peer veth in the client
    namespace): /healthz fails naming the port; /livez stays up."""
    lab.nsx("cli", "ip", "link", "set", "cc", "down")
    status, body = wait_health(lab, 503)
    live, _ = lab.http_get("/livez")
    check("health: a port without link fails /healthz, not /livez",
          status == 503 and "port uplink: link down" in problems(body) and live == 200,
          f"healthz={status} livez={live} {problems(body)}")
    lab.nsx("cli", "ip", "link", "set", "cc", "up")
    status, body = wait_health(lab, 200)
    check("health: link back, /healthz 200 again", status == 200, f"{status} {problems(body)}")


libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH = 0x4206, 0x4207, 17
WALL = 0x40000000


def worker_threads(pid):
    """Thread ids of the DPDK worker lcores, by thread name."""
    out = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().startswith("rte-worker"):
                out.append(int(tid))
    return out


def check_worker_stall(lab, check, pid):
    """One worker thread stopped (ptrace stops that thread only, as a
    worker spinning in a bug or starved of its CPU would stop polling):
    /healthz and /livez fail naming it; resumed, both recover."""
    tids = worker_threads(pid)
    if len(tids) < 2:
        check("health: worker threads found", False, str(tids))
        return
    tid = tids[1]
    if libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
        check("health: ptrace a worker thread", False, os.strerror(ctypes.get_errno()))
        return
    try:
        libc.ptrace(PTRACE_INTERRUPT, tid, None, None)
        os.waitpid(tid, WALL)
        status, body = wait_health(lab, 503)
        live, _ = wait_health(lab, 503, "/livez")
        stalled = [p for p in problems(body) if p.startswith("worker 1: no poll")]
        check("health: a stalled worker fails /healthz and /livez", status == 503 and live == 503 and stalled,
              f"healthz={status} livez={live} {problems(body)}")
    finally:
        libc.ptrace(PTRACE_DETACH, tid, None, None)
    status, body = wait_health(lab, 200)
    check("health: worker polling again, /healthz 200", status == 200, f"{status} {problems(body)}")
