#!/usr/bin/env python3
"""Many name lookups through the system resolver (glibc: getaddrinfo with
AF_UNSPEC sends the A and AAAA queries in parallel over one UDP socket, the
pattern behind the conntrack race kubernetes#56903), from several threads at
once. Prints one summary line as JSON:

  {"lookups": 1000, "failed": 0, "over_1s": 0, "max_ms": 12, "p50_ms": 1.2, "p99_ms": 4.0}

  lookups.py NAME [--count 1000] [--threads 20]
"""
import argparse
import json
import socket
import sys
import threading
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=20)
    args = ap.parse_args()
    count = max(1, min(args.count, 100000))
    times, failures = [], []
    lock = threading.Lock()
    todo = iter(range(count))

    def worker():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            start = time.monotonic()
            try:
                socket.getaddrinfo(args.name, 80, socket.AF_UNSPEC, socket.SOCK_STREAM)
                ok = True
            except OSError:
                ok = False
            ms = (time.monotonic() - start) * 1000
            with lock:
                times.append(ms)
                if not ok:
                    failures.append(ms)

    threads = [threading.Thread(target=worker) for _ in range(max(1, min(args.threads, 200)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    print(json.dumps({
        "lookups": len(times), "failed": len(failures), "over_1s": sum(1 for t in times if t > 1000),
        "max_ms": round(times[-1], 1), "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, len(times) * 99 // 100)], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
