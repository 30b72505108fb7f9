#!/usr/bin/env python3
"""Traffic whose counts the lab compares with the gateway's metrics, run in
the client namespace: N new TCP connections to VIP:80 (one question each),
then M question/answer exchanges on ONE UDP socket to VIP:53 (one flow).
Prints {"tcp_ok", "udp_sent", "udp_answered"}.

  metrics_traffic.py VIP N M"""
import json
import socket
import sys

import lab_client

vip, n_tcp, n_udp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tcp_ok = 0
for _ in range(n_tcp):
    try:
        lab_client.one_tcp(vip)
        tcp_ok += 1
    except OSError:
        pass
sent = answered = 0
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.settimeout(1.0)
    for i in range(n_udp):
        s.sendto(f"m{i}".encode(), (vip, 53))
        sent += 1
        try:
            s.recvfrom(256)
            answered += 1
        except socket.timeout:
            pass
print(json.dumps({"tcp_ok": tcp_ok, "udp_sent": sent, "udp_answered": answered}))
