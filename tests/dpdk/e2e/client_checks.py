#!/usr/bin/env python3
"""Client-side checks of the gateway lab, run inside the client namespace.
Prints one JSON object with what it observed; the lab decides pass/fail.

  client_checks.py VIP IFACE GATEWAY_MAC RELOAD_CMD...
RELOAD_CMD is run (from this namespace) between the two phases of the
connection-persistence check."""
import json
import socket
import struct
import subprocess
import sys
import time

vip, iface, gw_mac = sys.argv[1], sys.argv[2], sys.argv[3]
reload_cmd = sys.argv[4:]
out = {}


def ask_tcp(sock):
    sock.sendall(b"who\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data.decode().split()


def one_tcp():
    with socket.create_connection((vip, 80), timeout=3) as s:
        return ask_tcp(s)


def one_udp(i):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(3):  # UDP: retry a lost datagram
            s.sendto(f"q{i}".encode(), (vip, 53))
            try:
                return s.recvfrom(256)[0].decode().split()
            except socket.timeout:
                continue
    return None


def arp_for_vip():
    """Raw ARP who-has VIP; returns the MAC in the reply or None."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0))
    s.settimeout(0.5)
    my_mac = s.getsockname()[4]
    my_ip = socket.inet_aton("192.0.2.2")
    req = (b"\xff" * 6 + my_mac + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + my_mac + my_ip +
           b"\x00" * 6 + socket.inet_aton(vip))
    req += b"\x00" * (60 - len(req))
    deadline = time.time() + 3
    while time.time() < deadline:
        s.send(req)
        try:
            while True:
                f = s.recv(128)
                if len(f) >= 42 and f[20:22] == b"\x00\x02" and f[28:32] == socket.inet_aton(vip):
                    return ":".join(f"{b:02x}" for b in f[22:28])
        except socket.timeout:
            continue
    return None


def send_malformed(count):
    """Frames the gateway must count and drop: truncated IPv4, bad IHL,
    fragments, bad lengths, garbage EtherTypes, runts."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    my_mac = s.getsockname()[4]
    dst = bytes(int(x, 16) for x in gw_mac.split(":"))
    eth = dst + my_mac + b"\x08\x00"
    ip_ok = bytes.fromhex("450000280001000040060000c0000202c633640a")
    tcp = bytes.fromhex("9c40005000000000000000005002ffff00000000")
    kinds = [
        eth + ip_ok[:10],                                   # header cut short; padding leaves TCP offset 0
        eth + b"\x43" + ip_ok[1:] + tcp,                    # IHL 3
        # (No IP fragments here: net_af_packet's fanout socket asks the kernel
        # to defragment, so a lone fragment never reaches DPDK. The pipeline
        # unit test covers them.)
        eth + ip_ok + tcp[:12] + b"\x20" + tcp[13:],         # TCP data offset 2
        eth + ip_ok[:2] + b"\x05\xdc" + ip_ok[4:] + tcp,    # total length 1500 > frame
        dst + my_mac + b"\x88\xb5" + b"\x00" * 46,           # unknown EtherType
        eth + b"\x65" + ip_ok[1:] + tcp,                    # IP version 6 in an IPv4 frame
    ]
    for i in range(count):
        f = kinds[i % len(kinds)]
        s.send(f + b"\x00" * max(0, 60 - len(f)))
    return count


out["arp_vip_mac"] = arp_for_vip()
out["ping_ok"] = subprocess.run(["ping", "-c", "2", "-W", "1", "-i", "0.2", vip],
                                stdout=subprocess.DEVNULL).returncode == 0

tcp = {}
tcp_sources = set()
tcp_errors = 0
for i in range(120):
    try:
        name, src = one_tcp()
        tcp[name] = tcp.get(name, 0) + 1
        tcp_sources.add(src)
    except OSError:
        tcp_errors += 1
out["tcp_by_backend"], out["tcp_sources"], out["tcp_errors"] = tcp, sorted(tcp_sources), tcp_errors

udp = {}
udp_sources = set()
udp_lost = 0
for i in range(60):
    r = one_udp(i)
    if r is None:
        udp_lost += 1
        continue
    udp[r[0]] = udp.get(r[0], 0) + 1
    udp_sources.add(r[1])
out["udp_by_backend"], out["udp_sources"], out["udp_lost"] = udp, sorted(udp_sources), udp_lost

# Persistence: long-lived connections, then the reload removes a backend.
persistent = []
for i in range(16):
    s = socket.create_connection((vip, 80), timeout=3)
    persistent.append((s, ask_tcp(s)[0]))
out["persistent_before"] = sorted(b for _, b in persistent)
out["reload_rc"] = subprocess.run(reload_cmd).returncode
time.sleep(1.5)
kept, broken = 0, 0
for s, backend in persistent:
    try:
        kept += ask_tcp(s)[0] == backend
    except OSError:
        broken += 1
    s.close()
out["persistent_kept"], out["persistent_broken"] = kept, broken
after = {}
for i in range(40):
    try:
        name, _ = one_tcp()
        after[name] = after.get(name, 0) + 1
    except OSError:
        after["error"] = after.get("error", 0) + 1
out["tcp_after_reload"] = after

out["malformed_sent"] = send_malformed(300)
time.sleep(0.5)
try:
    out["tcp_after_malformed"] = one_tcp()[0]
except OSError as e:
    out["tcp_after_malformed"] = f"error: {e}"
print(json.dumps(out))
