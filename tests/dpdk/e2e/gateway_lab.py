#!/usr/bin/env python3
"""End-to-end lab of svcnat-gateway (root only).

Namespaces (all named with this PID, all deleted on exit), dual-stack:
  cli-PID   client 192.0.2.2 and 2001:db8:1::2, routes 198.51.100.0/24 and
            2001:db8:f00::/64 via the gateway (192.0.2.1, 2001:db8:1::1);
            also the router of far-PID, its link there with MTU 1280
  far-PID   a client 203.0.113.2 and 2001:db8:c2::2 behind cli-PID: what
            the backends send it in full-size segments needs path MTU
            discovery on the client's side
  gw-PID    the gateway: DPDK net_af_packet on veths gc (clients) and gb (pods)
  pod-PID   a bridge joining gb's peer, the two backends and the router
  be1-PID   backend 10.0.0.11 and 2001:db8:2::11 (TCP 8080, UDP 5353)
  be2-PID   backend 10.0.0.12 and 2001:db8:2::12
  rtr-PID   a router 2001:db8:2::99 -> 2001:db8:3::/64 whose link towards be3
            has MTU 1280 (Packet Too Big for full-size packets)
  be3-PID   backend 2001:db8:3::13 behind it (the gateway's IPv6 next hop)
The gateway owns 192.0.2.1, 2001:db8:1::1, 10.0.0.1 and 2001:db8:2::fe, and
the SNAT addresses 10.0.0.1 and 2001:db8:2::1, in DPDK; the kernel of gw-PID
has no addresses. Prints one line per check and exits 0 only if all pass.
Usage: gateway_lab.py SVCNAT_GATEWAY"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import gateway_ops

HERE = os.path.dirname(os.path.abspath(__file__))
PID = os.getpid()
NS = {k: f"svcnat-{k}-{PID}" for k in ("cli", "gw", "pod", "be1", "be2", "rtr", "be3", "far")}
VIP = "198.51.100.10"
VIP6 = "2001:db8:f00::10"
SNAT6 = "2001:db8:2::1"
GW_CLIENT_MAC = "02:00:00:00:c0:01"
PREFIX = f"svcnat_gwlab_{PID}"

# No selector: the endpoints come from the EndpointSlice below (with a
# selector, standalone svcnat derives them from Pods instead).
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ipFamilyPolicy: PreferDualStack
  ipFamilies: [IPv4, IPv6]
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: 8080}
  - {name: dns, protocol: UDP, port: 53, targetPort: 5353}
status:
  loadBalancer:
    ingress:
    - ip: %s
    - ip: %s
---
# IPv6-only, its one endpoint behind the router with the small MTU.
apiVersion: v1
kind: Service
metadata: {name: big, namespace: default}
spec:
  type: LoadBalancer
  ipFamilies: [IPv6]
  ports:
  - {name: http, protocol: TCP, port: 81, targetPort: 8080}
status:
  loadBalancer:
    ingress:
    - ip: %s
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: big-1
  namespace: default
  labels: {kubernetes.io/service-name: big}
addressType: IPv6
ports:
- {name: http, protocol: TCP, port: 8080}
endpoints:
- addresses: ["2001:db8:3::13"]
  conditions: {ready: true}
---
# An IPv6 service range, so that Services can be dual-stack (ServiceCIDR,
# networking.k8s.io/v1).
apiVersion: networking.k8s.io/v1
kind: ServiceCIDR
metadata: {name: lab-ipv6}
spec:
  cidrs: ["fd00:96::/112"]
""" % (VIP, VIP6, VIP6)

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


def endpoints(ips, family="IPv4"):
    head = SLICE if family == "IPv4" else SLICE.replace("web-1", "web-2").replace("IPv4", "IPv6")
    return head + "".join(f'- addresses: ["{ip}"]\n  conditions: {{ready: true}}\n' for ip in ips)


def sh(*cmd, check=True, timeout=30):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stdout.strip()}")
    return r.stdout


def nsx(ns, *cmd, check=True, timeout=30):
    return sh("ip", "netns", "exec", NS[ns], *cmd, check=check, timeout=timeout)


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
    veth("pod", "p3", "rtr", "r0")
    veth("rtr", "r1", "be3", "e3")
    nsx("pod", "ip", "link", "add", "br0", "type", "bridge")
    for dev in ("pb", "p1", "p2", "p3"):
        nsx("pod", "ip", "link", "set", dev, "master", "br0")
    nsx("pod", "ip", "link", "set", "br0", "up")
    nsx("cli", "ip", "addr", "add", "192.0.2.2/24", "dev", "cc")
    nsx("cli", "ip", "route", "add", "198.51.100.0/24", "via", "192.0.2.1")
    nsx("be1", "ip", "addr", "add", "10.0.0.11/24", "dev", "e1")
    nsx("be2", "ip", "addr", "add", "10.0.0.12/24", "dev", "e2")
    # IPv6 (nodad: no tentative second before the addresses work).
    nsx("cli", "ip", "-6", "addr", "add", "2001:db8:1::2/64", "dev", "cc", "nodad")
    nsx("cli", "ip", "-6", "route", "add", "2001:db8:f00::/64", "via", "2001:db8:1::1")
    nsx("be1", "ip", "-6", "addr", "add", "2001:db8:2::11/64", "dev", "e1", "nodad")
    nsx("be2", "ip", "-6", "addr", "add", "2001:db8:2::12/64", "dev", "e2", "nodad")
    nsx("rtr", "ip", "-6", "addr", "add", "2001:db8:2::99/64", "dev", "r0", "nodad")
    nsx("rtr", "ip", "-6", "addr", "add", "2001:db8:3::1/64", "dev", "r1", "nodad")
    nsx("rtr", "ip", "link", "set", "r1", "mtu", "1280")  # be3's own end stays at 1500
    nsx("rtr", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    nsx("be3", "ip", "-6", "addr", "add", "2001:db8:3::13/64", "dev", "e3", "nodad")
    nsx("be3", "ip", "-6", "route", "add", "default", "via", "2001:db8:3::1")
    # A client behind cli, over a link with MTU 1280 on the router's side:
    # cli answers too-big packets towards it with ICMP errors to the VIP.
    veth("cli", "c2", "far", "f0")
    nsx("cli", "ip", "link", "set", "c2", "mtu", "1280")
    nsx("cli", "ip", "addr", "add", "203.0.113.1/24", "dev", "c2")
    nsx("cli", "ip", "-6", "addr", "add", "2001:db8:c2::1/64", "dev", "c2", "nodad")
    for sysctl in ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                   # one error per too-big segment, not one per second per VIP
                   "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"):
        nsx("cli", "sysctl", "-qw", sysctl)
    nsx("far", "ip", "addr", "add", "203.0.113.2/24", "dev", "f0")
    nsx("far", "ip", "route", "add", "default", "via", "203.0.113.1")
    nsx("far", "ip", "-6", "addr", "add", "2001:db8:c2::2/64", "dev", "f0", "nodad")
    nsx("far", "ip", "-6", "route", "add", "default", "via", "2001:db8:c2::1")
    # The gateway's kernel must not answer anything itself.
    nsx("gw", "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", check=False)


def http_get(path, port=10256):
    """(status, body) of GET http://127.0.0.1:PORT/PATH inside the gateway's
    namespace; (0, "") when nothing answers."""
    r = subprocess.run(["ip", "netns", "exec", NS["gw"], "curl", "-s", "-m", "2", "-w", "\n%{http_code}",
                        f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True, timeout=10)
    body, _, code = r.stdout.rpartition("\n")
    return (int(code) if code.isdigit() else 0), body


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


def check_client_side_pmtu(check):
    """Downloads to a client behind a 1280-MTU link, IPv4 and IPv6, new
    connections each with the backends' learned path MTU cleared: every one
    completes only if every worker's flows get their "too big" errors."""
    flush = ["sh", "-c", " ; ".join(f"ip netns exec {NS[b]} ip {f} route flush cache"
                                    for b in ("be1", "be2") for f in ("-4", "-6"))]
    before = [telemetry(f"/svcnat/lcore,{i}").get("icmp_errors_translated", 0) for i in range(2)]
    for vip, family in ((VIP, "IPv4"), (VIP6, "IPv6")):
        r = json.loads(nsx("far", "python3", os.path.join(HERE, "pmtu_client.py"), vip, "16", "40000", *flush,
                           timeout=100))
        check(f"{family}: 40 kB downloads behind a 1280-MTU client-side link, two workers: all complete",
              r["ok"] == 16 and r["failed"] == 0, str(r))
    after = [telemetry(f"/svcnat/lcore,{i}").get("icmp_errors_translated", 0) for i in range(2)]
    check("client-side errors translated by both workers (each by the flow's owner)",
          all(a > b for a, b in zip(after, before)), f"before={before} after={after}")


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
        with open(os.path.join(manifests, "web-slice6.yaml"), "w") as f:
            f.write(endpoints(["2001:db8:2::11", "2001:db8:2::12"], "IPv6"))
        conf = os.path.join(work, "svcnat-gateway.conf")
        with open(conf, "w") as f:
            f.write(f"""manifests = {manifests}
node-name = edge-lab
port = name=uplink,device=net_af_packet0,role=client,ip=192.0.2.1/24,ip=2001:db8:1::1/64,mac={GW_CLIENT_MAC}
port = name=pods,device=net_af_packet1,role=backend,ip=10.0.0.1/24,ip=2001:db8:2::fe/64,next-hop=2001:db8:2::99
snat-address = 10.0.0.1
snat-address = {SNAT6}
flows-per-lcore = 65536
mbufs = 16383
rx-descriptors = 512
tx-descriptors = 512
maglev-table-size = 1021
healthz-bind-address = 127.0.0.1:10256
metrics-bind-address = 127.0.0.1:10249
""")
        for b, ip in (("be1", "10.0.0.11"), ("be2", "10.0.0.12"), ("be1", "2001:db8:2::11"),
                      ("be2", "2001:db8:2::12"), ("be3", "2001:db8:3::13")):
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
            stdout=log, stderr=log, text=True)
        procs.append(gw)
        # Ready when /healthz says so: services installed, ports up,
        # workers polling.
        deadline = time.time() + 30
        ready = False
        while time.time() < deadline and gw.poll() is None:
            if http_get("/healthz")[0] == 200:
                ready = True
                break
            time.sleep(0.2)
        check("gateway starts, /healthz 200", ready)
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
        reload6 = ["sh", "-c", f"cat > {manifests}/web-slice6.yaml <<'EOF'\n{endpoints(['2001:db8:2::12'], 'IPv6')}EOF\n"
                   f"kill -HUP {gw.pid}"]
        try:
            r6 = subprocess.run(["ip", "netns", "exec", NS["cli"], "python3", os.path.join(HERE, "client_checks6.py"),
                                 VIP6] + reload6, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                timeout=75)
        except subprocess.TimeoutExpired:
            r6 = subprocess.CompletedProcess([], 124, "", "IPv6 client checks timed out")
        if r6.returncode != 0:
            print(r6.stderr[-3000:])
            for cmd in ("/svcnat/stats", "/svcnat/neighbors"):
                try:
                    print(cmd, json.dumps(telemetry(cmd)))
                except OSError as e:
                    print(cmd, e)
        res6 = json.loads(r6.stdout) if r6.returncode == 0 else {}
        print(json.dumps(res6, indent=1))
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
        check("reload keeps established connections", len(before) >= 16 and res.get("persistent_kept") == len(before) and
              res.get("persistent_broken") == 0,
              f"of {len(before)}: kept={res.get('persistent_kept')} broken={res.get('persistent_broken')}")
        check("new connections avoid the removed backend", res.get("tcp_after_reload") == {"be2": 40},
              str(res.get("tcp_after_reload")))
        check("still forwarding after malformed frames", res.get("tcp_after_malformed") == "be2",
              str(res.get("tcp_after_malformed")))
        check("IPv6: ping6 VIP", res6.get("ping6_ok") is True)
        tcp6 = res6.get("tcp6_by_backend", {})
        check("IPv6: 60 TCP connections over both backends, none failed",
              res6.get("tcp6_errors") == 0 and set(tcp6) == {"be1", "be2"} and sum(tcp6.values()) == 60, str(tcp6))
        check("IPv6: backends see the IPv6 SNAT address",
              res6.get("tcp6_sources") == [SNAT6] and res6.get("udp6_sources") == [SNAT6],
              f"{res6.get('tcp6_sources')} {res6.get('udp6_sources')}")
        check("IPv6: UDP reaches every backend", set(res6.get("udp6_by_backend", {})) == {"be1", "be2"} and
              res6.get("udp6_lost", 99) <= 2, f"{res6.get('udp6_by_backend')} lost={res6.get('udp6_lost')}")
        check("IPv6: Packet Too Big translated, path MTU discovery works through full NAT",
              res6.get("pmtu_reply") == ["be3", SNAT6] and res6.get("pmtu") == 1280,
              f"reply={res6.get('pmtu_reply')} pmtu={res6.get('pmtu')}")
        before6 = res6.get("persistent6_before", [])
        check("IPv6: reload keeps established connections",
              len(before6) >= 12 and res6.get("persistent6_kept") == len(before6) and
              res6.get("persistent6_broken") == 0 and {"be1", "be2"} <= set(before6),
              f"before={res6.get('persistent6_before')} kept={res6.get('persistent6_kept')}")
        check("IPv6: new connections avoid the removed backend", res6.get("tcp6_after_reload") == {"be2": 30},
              str(res6.get("tcp6_after_reload")))
        stats = telemetry("/svcnat/stats")
        malformed = sum(stats.get(k, 0) for k in ("drop_truncated", "drop_bad_ihl",
                                                   "drop_bad_total_length", "drop_unsupported_ether_type",
                                                   "drop_bad_ip_version", "drop_bad_l4_header"))
        check("malformed frames counted by telemetry", malformed >= res.get("malformed_sent", 1),
              f"counted={malformed} sent={res.get('malformed_sent')} "
              + str({k: v for k, v in stats.items() if k.startswith("drop_") and v}))
        check("telemetry: reload and flows", stats.get("reloads") == 3 and stats.get("new_flows", 0) >= 300,
              f"reloads={stats.get('reloads')} new_flows={stats.get('new_flows')}")
        check("telemetry: IPv6 flows and neighbour discovery",
              stats.get("new_flows_ipv6", 0) >= 100 and stats.get("nd_advertisements", 0) >= 2 and
              stats.get("nd_learned", 0) >= 3,
              f"new_flows_ipv6={stats.get('new_flows_ipv6')} nd_adv={stats.get('nd_advertisements')} "
              f"nd_learned={stats.get('nd_learned')}")
        backends = telemetry("/svcnat/backends")
        names = {v["name"]: v for v in backends.values() if isinstance(v, dict)}
        check("telemetry: per-backend counters", any("10.0.0.11" in n and v["flows"] > 0 for n, v in names.items()),
              str(sorted(names)))
        lc = [telemetry(f"/svcnat/lcore,{i}") for i in range(2)]
        check("both lcores forwarded", all(x.get("rx_packets", 0) > 0 for x in lc),
              f"rx={[x.get('rx_packets') for x in lc]} handoff_in={[x.get('handoff_in') for x in lc]}")
        # What operators rely on: metrics equal to the traffic, health that
        # follows the ports and the workers.
        lab = sys.modules[__name__]
        check_client_side_pmtu(check)
        gateway_ops.check_metrics(lab, check)
        gateway_ops.check_port_down(lab, check)
        gateway_ops.check_worker_stall(lab, check, gw.pid)
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
