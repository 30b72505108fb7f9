#!/usr/bin/env python3
"""DNS queries for the svcnat lab, decoded by dnspython (an independent
decoder, to check svcnat's own codec): one query per stdin line "NAME TYPE",
one JSON object per line on stdout:

  {"q": "kubia.default.svc.cluster.local. A", "rcode": "NOERROR",
   "flags": ["AA", "QR", "RD"], "answer": ["kubia.default... 30 IN A 10.107.64.45"],
   "authority": [...], "additional": [...]}

or {"q": ..., "error": "timeout"}.

  dnsq.py --server 10.96.0.10 [--port 53] [--tcp] [--timeout 2] [--edns]

With --burst N, each question is sent N times at once from one UDP socket
(distinct IDs) and the answers are collected until --timeout:
{"q": ..., "sent": N, "answers": K, "rcodes": {"NOERROR": K}}.

Every query is bounded by --timeout; the number of queries by the input.
"""
import argparse
import json
import sys

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def rrsets(section):
    out = []
    for rrset in section:
        for line in rrset.to_text().split("\n"):
            out.append(" ".join(line.split()))
    return sorted(out)


def burst(q, args, out):
    """Sends q args.burst times without waiting, then reads the answers."""
    import socket
    import time
    sock = socket.socket(socket.AF_INET6 if ":" in args.server else socket.AF_INET, socket.SOCK_DGRAM)
    ids = set()
    for i in range(args.burst):
        q.id = (q.id + 1) % 65536
        ids.add(q.id)
        sock.sendto(q.to_wire(), (args.server, args.port))
    out["sent"] = args.burst
    out["answers"] = 0
    out["rcodes"] = {}
    deadline = time.monotonic() + args.timeout
    while ids and time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(65535)
        except OSError:
            break
        r = dns.message.from_wire(data)
        if r.id in ids:
            ids.discard(r.id)
            out["answers"] += 1
            rc = dns.rcode.to_text(r.rcode())
            out["rcodes"][rc] = out["rcodes"].get(rc, 0) + 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--edns", action="store_true", help="send EDNS0 (payload 1232)")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--burst", type=int, default=0, help="send each question this many times at once")
    args = ap.parse_args()
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2:
            continue
        name, rdtype = words
        q = dns.message.make_query(name, dns.rdatatype.from_text(rdtype), use_edns=0 if args.edns else False,
                                   payload=1232)
        out = {"q": f"{name} {rdtype}"}
        if args.burst:
            print(json.dumps(burst(q, args, out)), flush=True)
            continue
        try:
            if args.tcp:
                r = dns.query.tcp(q, args.server, port=args.port, timeout=args.timeout)
            else:
                r = dns.query.udp(q, args.server, port=args.port, timeout=args.timeout)
            out["rcode"] = dns.rcode.to_text(r.rcode())
            out["flags"] = sorted(dns.flags.to_text(r.flags).split())
            out["answer"] = rrsets(r.answer)
            out["authority"] = rrsets(r.authority)
            out["additional"] = rrsets(r.additional)
        except Exception as e:  # noqa: BLE001 - any failure is a result to report
            out["error"] = type(e).__name__ + (f": {e}" if str(e) else "")
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
