#!/usr/bin/env python3
"""A pod's workload in the svcnat lab: small servers that tell who answered.

Started by lab.sh inside a pod's network namespace. Every answer names the pod
(like the kubia example's "You've hit <pod>") and, where useful, the client
address the pod sees, so tests can check load spreading, session affinity and
source-IP preservation (externalTrafficPolicy: Local).

  HTTP  (--http PORTS): GET /        -> "You've hit <pod>\n"
                        GET /client  -> "<client-ip>\n"
                        GET /whoami  -> "<pod> <client-ip>\n" (who answered and
                                        whom it saw, in one request)
                        GET /healthz -> "ok\n"
        HTTP/1.0: one request per connection, so every request is a new
        connection and a new load-balancing decision.
  HTTP echo (--http-echo PORTS): every method and path -> a JSON echo of the
        request as the pod saw it, like the Gateway API conformance suite's
        echo server: {"pod", "method", "path", "query", "host", "headers"}
        (header names lower-case, repeated headers joined with ","). A request
        header "X-Echo-Set-Header: Name:value,Name2:value2" makes the pod set
        those response headers. HTTP/1.1 with keep-alive.
  UDP   (--udp PORTS):  any datagram -> "<pod> <client-ip>\n"
  echo  (--echo PORTS): TCP, line by line -> "<pod>: <line>\n" (long-lived
        connections that must survive rule changes)
  SCTP  (--sctp PORTS): one-to-one SCTP, each message -> "<pod> <client-ip>\n";
        ignored (with a note on stderr) when the kernel has no SCTP.

Sockets listen on :: with IPV6_V6ONLY off where IPv6 exists, so one socket
serves IPv4 and IPv6; v4-mapped client addresses are shown as plain IPv4.
Once every socket is bound, the --ready-file is written: lab.sh waits for it.
"""
import argparse
import http.server
import json
import os
import signal
import socket
import socketserver
import sys
import threading


def plain_ip(addr: str) -> str:
    return addr[7:] if addr.startswith("::ffff:") else addr


def ports(text: str) -> list[int]:
    return [int(p) for p in text.replace(",", " ").split() if p]


def family() -> int:
    """AF_INET6 (dual-stack) when the namespace has IPv6, else AF_INET."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.close()
        return socket.AF_INET6
    except OSError:
        return socket.AF_INET


FAMILY = family()
ANY = "::" if FAMILY == socket.AF_INET6 else "0.0.0.0"


def dual_stack(sock: socket.socket) -> None:
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)


class DualStackServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    address_family = FAMILY
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        dual_stack(self.socket)
        super().server_bind()


def http_handler(pod: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "podserver"

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/client":
                body = plain_ip(self.client_address[0]) + "\n"
            elif path == "/whoami":
                body = f"{pod} {plain_ip(self.client_address[0])}\n"
            elif path == "/healthz":
                body = "ok\n"
            else:
                body = f"You've hit {pod}\n"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # quiet: tests read our stderr only on failure
            pass

    return Handler


def http_echo_handler(pod: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "podserver"
        protocol_version = "HTTP/1.1"

        def echo(self):
            length = int(self.headers.get("Content-Length", "0") or "0")
            if length:
                self.rfile.read(length)
            headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers.setdefault(name.lower(), []).append(value)
            path, _, query = self.path.partition("?")
            body = json.dumps({
                "pod": pod, "method": self.command, "path": path, "query": query,
                "host": self.headers.get("Host", ""), "client": plain_ip(self.client_address[0]),
                "headers": {k: ",".join(v) for k, v in headers.items()},
            }).encode() + b"\n"
            self.send_response(200)
            for item in self.headers.get("X-Echo-Set-Header", "").split(","):
                name, sep, value = item.partition(":")
                if sep and name.strip():
                    self.send_header(name.strip(), value.strip())
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = echo

        def log_message(self, *args):
            pass

    return Handler


class EchoHandler(socketserver.StreamRequestHandler):
    pod = ""

    def handle(self):
        for line in self.rfile:
            self.wfile.write(f"{self.pod}: {line.decode(errors='replace').rstrip()}\n".encode())
            self.wfile.flush()


class EchoServer(socketserver.ThreadingTCPServer):
    address_family = FAMILY
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        dual_stack(self.socket)
        super().server_bind()


def serve_udp(sock: socket.socket, pod: str) -> None:
    while True:
        data, addr = sock.recvfrom(65535)
        sock.sendto(f"{pod} {plain_ip(addr[0])}\n".encode(), addr)


def udp_socket(port: int) -> socket.socket:
    s = socket.socket(FAMILY, socket.SOCK_DGRAM)
    dual_stack(s)
    s.bind((ANY, port))
    return s


def sctp_listener(port: int) -> socket.socket | None:
    try:
        s = socket.socket(FAMILY, socket.SOCK_STREAM, socket.IPPROTO_SCTP)
    except OSError as e:
        print(f"podserver: no SCTP in this kernel ({e.strerror}); SCTP port {port} not served",
              file=sys.stderr)
        return None
    dual_stack(s)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ANY, port))
    s.listen(64)
    return s


def serve_sctp_conn(conn: socket.socket, addr, pod: str) -> None:
    with conn:
        while True:
            data = conn.recv(65535)
            if not data:
                return
            conn.sendall(f"{pod} {plain_ip(addr[0])}\n".encode())


def serve_sctp(sock: socket.socket, pod: str) -> None:
    while True:
        conn, addr = sock.accept()
        threading.Thread(target=serve_sctp_conn, args=(conn, addr, pod), daemon=True).start()


def start(target, *args) -> None:
    threading.Thread(target=target, args=args, daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="pod name used in every answer")
    ap.add_argument("--http", default="", help="TCP ports answering HTTP (comma or space list)")
    ap.add_argument("--http-echo", default="", help="TCP ports answering with a JSON echo of the request")
    ap.add_argument("--udp", default="", help="UDP ports")
    ap.add_argument("--echo", default="", help="TCP line-echo ports")
    ap.add_argument("--sctp", default="", help="SCTP ports (skipped without kernel SCTP)")
    ap.add_argument("--ready-file", default="", help="written once all sockets are bound")
    args = ap.parse_args()

    # Block the stop signals before any thread starts (threads inherit the
    # mask) and wait for them in the main thread: a signal delivered to a
    # server thread would otherwise not wake the main thread.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)

    for port in ports(args.http):
        server = DualStackServer((ANY, port), http_handler(args.name))
        start(server.serve_forever)
    for port in ports(args.http_echo):
        server = DualStackServer((ANY, port), http_echo_handler(args.name))
        start(server.serve_forever)
    for port in ports(args.echo):
        handler = type("Echo", (EchoHandler,), {"pod": args.name})
        server = EchoServer((ANY, port), handler)
        start(server.serve_forever)
    for port in ports(args.udp):
        start(serve_udp, udp_socket(port), args.name)
    for port in ports(args.sctp):
        sock = sctp_listener(port)
        if sock is not None:
            start(serve_sctp, sock, args.name)

    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(tmp, args.ready_file)

    signal.sigwait(stop_signals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
