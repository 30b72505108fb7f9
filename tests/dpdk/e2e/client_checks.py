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

import lab_client

vip, iface, gw_mac = sys.argv[1], sys.argv[2], sys.argv[3]
reload_cmd = sys.argv[4:]
out = {}


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

out["tcp_by_backend"], out["tcp_sources"], out["tcp_errors"] = lab_client.tcp_round(vip, 120)
out["udp_by_backend"], out["udp_sources"], out["udp_lost"] = lab_client.udp_round(vip, 60)

# Persistence: long-lived connections, then the reload removes a backend.
p = lab_client.persistence(vip, 16, reload_cmd, 40)
out["persistent_before"], out["reload_rc"] = p["before"], p["reload_rc"]
out["persistent_kept"], out["persistent_broken"], out["tcp_after_reload"] = p["kept"], p["broken"], p["after"]

out["malformed_sent"] = send_malformed(300)
time.sleep(0.5)
try:
    out["tcp_after_malformed"] = lab_client.one_tcp(vip)[0]
except OSError as e:
    out["tcp_after_malformed"] = f"error: {e}"
print(json.dumps(out))
