#!/usr/bin/env python3
"""Client side of the svcnat lab: many requests, one process, exact outcomes.

Run inside a lab namespace (`lab.sh exec LAB client -- probe.py ...`). Prints
one line per attempt, so callers can count answers per pod:

  <answer>                  the server's reply (first line, stripped)
  ERR <ERRNO|timeout> <ms>  the failure and how long it took to fail

Failures are classified from the socket error (ECONNREFUSED for a TCP reset
or an ICMP port-unreachable, EHOSTUNREACH for ICMP host/admin-prohibited,
"timeout" when nothing came back), which is what reject-versus-drop tests
need. Every loop is bounded by --count and every wait by --timeout.

  probe.py http URL [--count N] [--timeout S]        new connection per request
  probe.py udp HOST PORT [--count N] [--sport P]     new socket per datagram
  probe.py connect HOST PORT [--timeout S]           TCP connect only
  probe.py sctp HOST PORT [--count N]
  probe.py hold HOST PORT                            one long-lived TCP connection:
                                                     each stdin line is sent and the
                                                     reply line printed; ends at EOF

--source ADDR binds the client socket to ADDR first (a second address of
the namespace, or an address that must appear as the source).
"""
import argparse
import errno
import socket
import sys
import time
import urllib.parse


def fail(exc: BaseException, started: float) -> str:
    ms = int((time.monotonic() - started) * 1000)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        kind = "timeout"
    elif isinstance(exc, OSError) and exc.errno in errno.errorcode:
        kind = errno.errorcode[exc.errno]
    elif isinstance(exc, ConnectionError):
        kind = type(exc).__name__
    else:
        kind = type(exc).__name__
    return f"ERR {kind} {ms}ms"


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def first_line(data: bytes) -> str:
    return data.decode(errors="replace").strip().split("\n", 1)[0]


SOURCE = ""  # --source


def bind_source(s: socket.socket) -> None:
    if SOURCE:
        s.bind((SOURCE, 0))


def http_once(url: str, timeout: float) -> str:
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 80
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    started = time.monotonic()
    try:
        with socket.socket(family_of(host), socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            bind_source(s)
            s.connect((host, port))
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: {u.netloc}\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/"):
            return f"ERR badreply {int((time.monotonic() - started) * 1000)}ms"
        return first_line(body)
    except (OSError, socket.timeout) as e:
        return fail(e, started)


def udp_once(host: str, port: int, timeout: float, sport: int, payload: bytes) -> str:
    started = time.monotonic()
    try:
        with socket.socket(family_of(host), socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if sport or SOURCE:
                any_addr = "::" if family_of(host) == socket.AF_INET6 else "0.0.0.0"
                s.bind((SOURCE or any_addr, sport))
            s.settimeout(timeout)
            s.connect((host, port))  # connected: an ICMP error surfaces as ECONNREFUSED
            s.send(payload)
            return first_line(s.recv(65535))
    except (OSError, socket.timeout) as e:
        return fail(e, started)


def connect_once(host: str, port: int, timeout: float, proto: int = 0) -> tuple[str, socket.socket | None]:
    started = time.monotonic()
    s = socket.socket(family_of(host), socket.SOCK_STREAM, proto)
    s.settimeout(timeout)
    try:
        bind_source(s)
        s.connect((host, port))
        return f"OK {int((time.monotonic() - started) * 1000)}ms", s
    except (OSError, socket.timeout) as e:
        s.close()
        return fail(e, started), None


def sctp_once(host: str, port: int, timeout: float) -> str:
    started = time.monotonic()
    try:
        result, s = connect_once(host, port, timeout, socket.IPPROTO_SCTP)
        if s is None:
            return result
        with s:
            s.sendall(b"hello\n")
            return first_line(s.recv(65535))
    except (OSError, socket.timeout) as e:
        return fail(e, started)


def hold(host: str, port: int, timeout: float) -> int:
    result, s = connect_once(host, port, timeout)
    print(result, flush=True)
    if s is None:
        return 1
    with s:
        reader = s.makefile("rb")
        for line in sys.stdin:
            started = time.monotonic()
            try:
                s.sendall(line.encode())
                reply = reader.readline()
                print(first_line(reply) if reply else "ERR closed 0ms", flush=True)
            except (OSError, socket.timeout) as e:
                print(fail(e, started), flush=True)
                return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["http", "udp", "connect", "sctp", "hold"])
    ap.add_argument("target", nargs="+", help="URL (http) or HOST PORT")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1.0, help="seconds per attempt")
    ap.add_argument("--sport", type=int, default=0, help="UDP source port (same 5-tuple every time)")
    ap.add_argument("--payload", default="hello\n")
    ap.add_argument("--source", default="", help="bind the client socket to this address")
    args = ap.parse_args()
    count = max(1, min(args.count, 100000))
    global SOURCE
    SOURCE = args.source

    if args.mode == "http":
        for _ in range(count):
            print(http_once(args.target[0], args.timeout), flush=True)
        return 0
    if len(args.target) != 2:
        ap.error("HOST PORT expected")
    host, port = args.target[0], int(args.target[1])
    if args.mode == "hold":
        return hold(host, port, args.timeout)
    for _ in range(count):
        if args.mode == "udp":
            print(udp_once(host, port, args.timeout, args.sport, args.payload.encode()), flush=True)
        elif args.mode == "connect":
            result, s = connect_once(host, port, args.timeout)
            if s is not None:
                s.close()
            print(result, flush=True)
        else:
            print(sctp_once(host, port, args.timeout), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
