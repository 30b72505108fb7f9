#!/usr/bin/env python3
"""Lookups through glibc (getaddrinfo, both families), as a pod's process
does them with its resolv.conf, for a bounded time: one JSON line with
lookups per second, p50/p99 in microseconds and failures.

usage: glibc_lookups.py --names FILE --seconds S
"""
import argparse
import json
import socket
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--names", required=True, help="one name per line")
    ap.add_argument("--seconds", type=float, required=True)
    args = ap.parse_args()
    names = [l.split()[0] for l in open(args.names) if l.strip()]
    took, failed, i = [], 0, 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        name = names[i % len(names)]
        i += 1
        t = time.monotonic()
        try:
            socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)
        except OSError:
            failed += 1
        took.append(time.monotonic() - t)
    took.sort()
    pct = lambda p: round(took[min(len(took) - 1, int(len(took) * p))] * 1e6)  # noqa: E731
    print(json.dumps({"lookups": len(took), "per_s": round(len(took) / args.seconds), "p50_us": pct(0.5),
                      "p99_us": pct(0.99), "failed": failed}))


if __name__ == "__main__":
    main()
