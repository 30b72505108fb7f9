#!/usr/bin/env python3
"""Path MTU discovery on the client's side of the gateway lab, run in a
namespace behind a router whose link towards it has MTU 1280: N new
connections to VIP:80, each downloading SIZE bytes in the backends'
full-size segments. A download completes only if the router's "too big"
error (to the VIP) reaches the backend translated, whichever worker holds
the flow. Before each connection FLUSH_CMD clears the backends' learned
path MTU, so that every connection needs its own error.
Prints {"ok": n, "failed": n, "by_backend": {...}}.

  pmtu_client.py VIP N SIZE FLUSH_CMD..."""
import json
import socket
import subprocess
import sys

vip, n, size, flush = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
ok = failed = 0
by = {}
for _ in range(n):
    subprocess.run(flush, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with socket.create_connection((vip, 80), timeout=4) as s:
            s.sendall(f"get {size}\n".encode())
            data = b""
            while data.count(b"\n") < 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\n")
        if len(body) == size + 1:
            ok += 1
            name = head.split()[0].decode()
            by[name] = by.get(name, 0) + 1
        else:
            failed += 1
    except OSError:
        failed += 1
print(json.dumps({"ok": ok, "failed": failed, "by_backend": by}))
