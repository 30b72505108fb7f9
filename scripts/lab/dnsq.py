#!/usr/bin/env python3
"""DNS queries for the svcnat lab, decoded by dnspython (an independent
decoder, to check svcnat's own codec): one query per stdin line "NAME TYPE",
one JSON object per line on stdout:

  {"q": "kubia.default.svc.cluster.local. A", "rcode": "NOERROR",
   "flags": ["AA", "QR", "RD"], "answer": ["kubia.default... 30 IN A 10.107.64.45"],
   "authority": [...], "additional": [...]}

or {"q": ..., "error": "timeout"}.

  dnsq.py --server 10.96.0.10 [--port 53] [--tcp] [--timeout 2] [--edns]

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--edns", action="store_true", help="send EDNS0 (payload 1232)")
    ap.add_argument("--timeout", type=float, default=2.0)
    args = ap.parse_args()
    for line in sys.stdin:
        words = line.split()
        if len(words) != 2:
            continue
        name, rdtype = words
        q = dns.message.make_query(name, dns.rdatatype.from_text(rdtype), use_edns=0 if args.edns else False,
                                   payload=1232)
        out = {"q": f"{name} {rdtype}"}
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
