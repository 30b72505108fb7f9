#!/usr/bin/env python3
"""Generates the external test zone of the DNS cache benchmark: N names
name-I.example.test, each with one A (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24 in turn) and one AAAA (2001:db8::/32), TTL 3600 (nothing
expires during a run), and dnsperf query files over the first names.

usage: gen_external_zone.py --names N --zone FILE --queries FILE --count K [--aaaa]
"""
import argparse
import ipaddress

NETS = ["192.0.2.", "198.51.100.", "203.0.113."]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--names", type=int, required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--queries", required=True, help="dnsperf input: name-I.example.test A for I < --count")
    ap.add_argument("--count", type=int, required=True)
    args = ap.parse_args()
    with open(args.zone, "w") as z:
        z.write("$ORIGIN example.test.\n$TTL 3600\n"
                "@ IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 60\n"
                "@ IN NS ns.example.test.\nns IN A 192.0.2.53\n")
        for i in range(args.names):
            z.write(f"name-{i} IN A {NETS[i % 3]}{i % 250 + 1}\n")
            z.write(f"name-{i} IN AAAA {ipaddress.IPv6Address(int(ipaddress.IPv6Address('2001:db8::')) + i + 1)}\n")
    with open(args.queries, "w") as q:
        for i in range(args.count):
            q.write(f"name-{i}.example.test A\n")


if __name__ == "__main__":
    main()
