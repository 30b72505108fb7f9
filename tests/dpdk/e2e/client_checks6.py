#!/usr/bin/env python3
"""IPv6 client-side checks of the gateway lab, run inside the client
namespace after client_checks.py. Prints one JSON object; the lab decides.

  client_checks6.py VIP6 RELOAD_CMD...
RELOAD_CMD (run from this namespace) removes one IPv6 backend between the
two phases of the connection-persistence check."""
import json
import re
import socket
import subprocess
import sys
import time

vip, reload_cmd = sys.argv[1], sys.argv[2:]
out = {}


def ask_tcp(sock, line=b"who\n"):
    sock.sendall(line)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data.decode().split()


def one_tcp(port=80, line=b"who\n", timeout=3):
    with socket.create_connection((vip, port), timeout=timeout) as s:
        return ask_tcp(s, line)


def one_udp(i):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(3):
            s.sendto(f"q{i}".encode(), (vip, 53))
            try:
                return s.recvfrom(256)[0].decode().split()
            except socket.timeout:
                continue
    return None


out["ping6_ok"] = subprocess.run(["ping", "-6", "-c", "2", "-W", "1", "-i", "0.2", vip],
                                 stdout=subprocess.DEVNULL).returncode == 0

tcp, sources, errors = {}, set(), 0
for i in range(60):
    try:
        name, src = one_tcp()
        tcp[name] = tcp.get(name, 0) + 1
        sources.add(src)
    except OSError:
        errors += 1
out["tcp6_by_backend"], out["tcp6_sources"], out["tcp6_errors"] = tcp, sorted(sources), errors

udp, usources, lost = {}, set(), 0
for i in range(30):
    r = one_udp(i)
    if r is None:
        lost += 1
        continue
    udp[r[0]] = udp.get(r[0], 0) + 1
    usources.add(r[1])
out["udp6_by_backend"], out["udp6_sources"], out["udp6_lost"] = udp, sorted(usources), lost

# Path MTU discovery through full NAT: be3 sits behind a router whose link
# towards it has MTU 1280. A 30 kB line in full-size segments only gets
# through if the router's Packet Too Big (sent to the SNAT address) reaches
# this host translated, so that its kernel lowers the path MTU to the VIP.
try:
    out["pmtu_reply"] = one_tcp(81, b"x" * 30000 + b"\n", timeout=15)
except OSError as e:
    out["pmtu_reply"] = f"error: {e}"
route = subprocess.run(["ip", "-6", "route", "get", vip], stdout=subprocess.PIPE, text=True).stdout
m = re.search(r"mtu (\d+)", route)
out["pmtu"] = int(m.group(1)) if m else None

persistent = []
for i in range(12):
    s = socket.create_connection((vip, 80), timeout=3)
    persistent.append((s, ask_tcp(s)[0]))
out["persistent6_before"] = sorted(b for _, b in persistent)
out["reload_rc"] = subprocess.run(reload_cmd).returncode
time.sleep(1.5)
kept, broken = 0, 0
for s, backend in persistent:
    try:
        kept += ask_tcp(s)[0] == backend
    except OSError:
        broken += 1
    s.close()
out["persistent6_kept"], out["persistent6_broken"] = kept, broken
after = {}
for i in range(30):
    try:
        name, _ = one_tcp()
        after[name] = after.get(name, 0) + 1
    except OSError:
        after["error"] = after.get("error", 0) + 1
out["tcp6_after_reload"] = after
print(json.dumps(out))
