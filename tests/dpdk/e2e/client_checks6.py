#!/usr/bin/env python3
"""IPv6 client-side checks of the gateway lab, run inside the client
namespace after client_checks.py. Prints one JSON object; the lab decides.

  client_checks6.py VIP6 RELOAD_CMD...
RELOAD_CMD (run from this namespace) removes one IPv6 backend between the
two phases of the connection-persistence check."""
import json
import re
import subprocess
import sys

import lab_client

vip, reload_cmd = sys.argv[1], sys.argv[2:]
out = {}


out["ping6_ok"] = subprocess.run(["ping", "-6", "-c", "2", "-W", "1", "-i", "0.2", vip],
                                 stdout=subprocess.DEVNULL).returncode == 0

out["tcp6_by_backend"], out["tcp6_sources"], out["tcp6_errors"] = lab_client.tcp_round(vip, 60)
out["udp6_by_backend"], out["udp6_sources"], out["udp6_lost"] = lab_client.udp_round(vip, 30)

# Path MTU discovery through full NAT: be3 sits behind a router whose link
# towards it has MTU 1280. A 30 kB line in full-size segments only gets
# through if the router's Packet Too Big (sent to the SNAT address) reaches
# this host translated, so that its kernel lowers the path MTU to the VIP.
try:
    out["pmtu_reply"] = lab_client.one_tcp(vip, 81, b"x" * 30000 + b"\n", timeout=15)
except OSError as e:
    out["pmtu_reply"] = f"error: {e}"
route = subprocess.run(["ip", "-6", "route", "get", vip], stdout=subprocess.PIPE, text=True).stdout
m = re.search(r"mtu (\d+)", route)
out["pmtu"] = int(m.group(1)) if m else None

p = lab_client.persistence(vip, 12, reload_cmd, 30)
out["persistent6_before"], out["reload_rc"] = p["before"], p["reload_rc"]
out["persistent6_kept"], out["persistent6_broken"], out["tcp6_after_reload"] = p["kept"], p["broken"], p["after"]
print(json.dumps(out))
