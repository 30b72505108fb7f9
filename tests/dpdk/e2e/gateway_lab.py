#!/usr/bin/env python3
"""End-to-end lab of svcnat-gateway (root only).

Namespaces (all named with this PID, all deleted on exit):
  cli-PID   client 192.0.2.2, routes 198.51.100.0/24 via the gateway 192.0.2.1
  gw-PID    the gateway: DPDK net_af_packet on veths gc (clients) and gb (pods)
  pod-PID   a bridge joining gb's peer and the two backends
  be1-PID   backend 10.0.0.11 (TCP 8080, UDP 5353)   be2-PID  backend 10.0.0.12
The gateway owns 192.0.2.1 and 10.0.0.1 (its SNAT address) in DPDK; the
kernel of gw-PID has no addresses. Prints one line per check and exits 0 only
if all pass. Usage: gateway_lab.py SVCNAT_GATEWAY"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PID = os.getpid()
NS = {k: f"svcnat-{k}-{PID}" for k in ("cli", "gw", "pod", "be1", "be2")}
VIP = "198.51.100.10"
GW_CLIENT_MAC = "02:00:00:00:c0:01"
PREFIX = f"svcnat_gwlab_{PID}"

# No selector: the endpoints come from the EndpointSlice below (with a
# selector, standalone svcnat derives them from Pods instead).
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
  - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
status:
  loadBalancer:
    ingress:
    - ip: %s
""" % VIP

SLICE = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, protocol: TCP, port: 8080}
- {name: dns, protocol: UDP, port: 5353}
endpoints:
"""


def endpoints(ips):
    return SLICE + "".join(f'- addresses: ["{ip}"]\n  conditions: {{ready: true}}\n' for ip in ips)


def sh(*cmd, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stdout.strip()}")
    return r.stdout


def nsx(ns, *cmd, check=True):
    return sh("ip", "netns", "exec", NS[ns], *cmd, check=check)


def veth(a_ns, a, b_ns, b):
    sh("ip", "link", "add", a, "netns", NS[a_ns], "type", "veth", "peer", "name", b, "netns", NS[b_ns])
    for ns, dev in ((a_ns, a), (b_ns, b)):
        # af_packet sees what the kernel hands it: no checksum offload, no GSO.
        nsx(ns, "ethtool", "-K", dev, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off",
            check=False)
        nsx(ns, "ip", "link", "set", dev, "up")


def build_lab():
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
    for ns in NS:
        nsx(ns, "ip", "link", "set", "lo", "up")
    veth("cli", "cc", "gw", "gc")
    veth("pod", "pb", "gw", "gb")
    veth("pod", "p1", "be1", "e1")
    veth("pod", "p2", "be2", "e2")
    nsx("pod", "ip", "link", "add", "br0", "type", "bridge")
    for dev in ("pb", "p1", "p2"):
        nsx("pod", "ip", "link", "set", dev, "master", "br0")
    nsx("pod", "ip", "link", "set", "br0", "up")
    nsx("cli", "ip", "addr", "add", "192.0.2.2/24", "dev", "cc")
    nsx("cli", "ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.1")
    nsx("be1", "ip", "addr", "add", "10.0.0.11/24", "dev", "e1")
    nsx("be2", "ip", "addr", "add", "10.0.0.12/24", "dev", "e2")
    # The gateway's kernel must not answer anything itself.
    nsx("gw", "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)


def telemetry(cmd):
    """One command on the gateway's DPDK telemetry socket (v2 protocol)."""
    path = f"/var/run/dpdk/{PREFIX}/dpdk_telemetry.v2"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    s.connect(path)
    s.recv(16384)  # greeting
    s.send(cmd.encode())
    reply = json.loads(s.recv(65536).decode())
    s.close()
    return reply[cmd.split(",")[0]]


def main():
    gateway = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="svcnat-gwlab-")
    procs = []
    failures = []

    def check(name, ok, detail=""):
        print(f"{'PASS' if ok else 'FAIL'} {name} {detail}", flush=True)
        if not ok:
            failures.append(name)

    try:
        build_lab()
        manifests = os.path.join(work, "manifests")
        os.mkdir(manifests)
        with open(os.path.join(manifests, "web.yaml"), "w") as f:
            f.write(SERVICE)
        with open(os.path.join(manifests, "web-slice.yaml"), "w") as f:
            f.write(endpoints(["10.0.0.11", "10.0.0.12"]))
        conf = os.path.join(work, "gateway.ini")
        with open(conf, "w") as f:
            f.write(f"""manifests = {manifests}
node-name = edge-lab
port = name=uplink,device=net_af_packet0,role=client,ip=192.0.2.1/24,mac={GW_CLIENT_MAC}
port = name=pods,device=net_af_packet1,role=backend,ip=10.0.0.1/24
snat-address = 10.0.0.1
flows-per-lcore = 65536
mbufs = 16383
rx-descriptors = 512
tx-descriptors = 512
maglev-table-size = 1021
watch = false
""")
        for b, ip in (("be1", "10.0.0.11"), ("be2", "10.0.0.12")):
            p = subprocess.Popen(["ip", "netns", "exec", NS[b], "python3", os.path.join(HERE, "backend_server.py"),
                                  b, ip, "8080", "5353"], stdout=subprocess.PIPE, text=True)
            procs.append(p)
            p.stdout.readline()  # "listening"

        log = open(os.path.join(work, "gateway.log"), "w")
        # Two workers on whatever CPUs exist: af_packet fans flows out over
        # both queues, so replies often arrive on the other lcore (hand-off).
        gw = subprocess.Popen(
            ["ip", "netns", "exec", NS["gw"], gateway, "--no-huge", "--no-shconf", "--no-pci", "-m", "512",
             "--lcores", "0@(0-1),1@(0-1),2@(0-1)", "--file-prefix", PREFIX, "--log-level", "lib.*:warning",
             "--vdev", "net_af_packet0,iface=gc,qpairs=2", "--vdev", "net_af_packet1,iface=gb,qpairs=2",
             "--", "--config", conf],
            stdout=subprocess.PIPE, stderr=log, text=True)
        procs.append(gw)
        deadline = time.time() + 30
        ready = False
        while time.time() < deadline and gw.poll() is None:
            line = gw.stdout.readline()
            if "ready" in line:
                ready = True
                break
        check("gateway starts", ready)
        if not ready:
            log.flush()
            print(open(os.path.join(work, "gateway.log")).read()[-3000:])
            return 1

        reload_cmd = ["sh", "-c", f"cat > {manifests}/web-slice.yaml <<'EOF'\n{endpoints(['10.0.0.12'])}EOF\n"
                      f"kill -HUP {gw.pid}"]
        # ip netns exec execs the gateway: gw.pid is the gateway itself.
        try:
            r = subprocess.run(["ip", "netns", "exec", NS["cli"], "python3", os.path.join(HERE, "client_checks.py"),
                                VIP, "cc", GW_CLIENT_MAC] + reload_cmd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=75)
        except subprocess.TimeoutExpired:
            r = subprocess.CompletedProcess([], 124, "", "client checks timed out")
        if r.returncode != 0:
            print(r.stderr[-3000:])
            # What the gateway saw, to tell its fault from the lab's.
            for cmd in ("/svcnat/stats", "/svcnat/neighbors"):
                try:
                    print(cmd, json.dumps(telemetry(cmd)))
                except OSError as e:
                    print(cmd, e)
            log.flush()
            print(open(os.path.join(work, "gateway.log")).read()[-3000:])
        res = json.loads(r.stdout) if r.returncode == 0 else {}
        print(json.dumps(res, indent=1))
        check("ARP for the VIP answered with the gateway's MAC", res.get("arp_vip_mac") == GW_CLIENT_MAC,
              str(res.get("arp_vip_mac")))
        check("ping VIP", res.get("ping_ok") is True)
        tcp = res.get("tcp_by_backend", {})
        check("120 TCP connections, none failed", res.get("tcp_errors") == 0 and sum(tcp.values()) == 120, str(tcp))
        check("TCP reaches every backend", set(tcp) == {"be1", "be2"} and min(tcp.values()) >= 20, str(tcp))
        check("backends see the SNAT address", res.get("tcp_sources") == ["10.0.0.1"] and
              res.get("udp_sources") == ["10.0.0.1"], f"{res.get('tcp_sources')} {res.get('udp_sources')}")
        udp = res.get("udp_by_backend", {})
        check("UDP reaches every backend", set(udp) == {"be1", "be2"} and res.get("udp_lost", 99) <= 2,
              f"{udp} lost={res.get('udp_lost')}")
        before = res.get("persistent_before", [])
        check("persistent connections on both backends", "be1" in before and "be2" in before, str(before))
        check("reload keeps established connections", res.get("persistent_kept") == 16 and
              res.get("persistent_broken") == 0, f"kept={res.get('persistent_kept')} broken={res.get('persistent_broken')}")
        check("new connections avoid the removed backend", res.get("tcp_after_reload") == {"be2": 40},
              str(res.get("tcp_after_reload")))
        check("still forwarding after malformed frames", res.get("tcp_after_malformed") == "be2",
              str(res.get("tcp_after_malformed")))
        stats = telemetry("/svcnat/stats")
        malformed = sum(stats.get(k, 0) for k in ("drop_truncated", "drop_bad_ihl",
                                                   "drop_bad_total_length", "drop_unsupported_ether_type",
                                                   "drop_bad_ip_version", "drop_bad_l4_header"))
        check("malformed frames counted by telemetry", malformed >= res.get("malformed_sent", 1),
              f"counted={malformed} sent={res.get('malformed_sent')} "
              + str({k: v for k, v in stats.items() if k.startswith("drop_") and v}))
        check("telemetry: reload and flows", stats.get("reloads") == 2 and stats.get("new_flows", 0) >= 200,
              f"reloads={stats.get('reloads')} new_flows={stats.get('new_flows')}")
        backends = telemetry("/svcnat/backends")
        names = {v["name"]: v for v in backends.values() if isinstance(v, dict)}
        check("telemetry: per-backend counters", any("10.0.0.11" in n and v["flows"] > 0 for n, v in names.items()),
              str(sorted(names)))
        lc = [telemetry(f"/svcnat/lcore,{i}") for i in range(2)]
        check("both lcores forwarded", all(x.get("rx_packets", 0) > 0 for x in lc),
              f"rx={[x.get('rx_packets') for x in lc]} handoff_in={[x.get('handoff_in') for x in lc]}")
        gw.send_signal(signal.SIGTERM)
        try:
            gw.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gw.kill()
        check("gateway exits cleanly", gw.returncode == 0, f"rc={gw.returncode}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in NS.values():
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(f"/var/run/dpdk/{PREFIX}", ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} check(s) failed: {failures}" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
