#!/usr/bin/env python3
"""A backend pod for the gateway lab: answers every TCP line and every UDP
datagram with "<name> <peer-ip>" so the test sees which backend answered and
which source address (the gateway's SNAT address) reached it; a line
"get N" is answered with that line and then N bytes and a newline (a
download in full-size segments). IPv4 or IPv6, after the address given (one
process per address)."""
import socket
import socketserver
import sys
import threading

name, ip, tcp_port, udp_port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


class Lines(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            if not line.strip():
                break
            self.wfile.write(f"{name} {self.client_address[0]}\n".encode())
            if line.startswith(b"get "):
                self.wfile.write(b"d" * int(line.split()[1]) + b"\n")
            self.wfile.flush()


family = socket.AF_INET6 if ":" in ip else socket.AF_INET


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = family


def udp_loop():
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((ip, udp_port))
    while True:
        _, peer = s.recvfrom(2048)
        s.sendto(f"{name} {peer[0]}".encode(), peer)


threading.Thread(target=udp_loop, daemon=True).start()
with Server((ip, tcp_port), Lines) as srv:
    print("listening", flush=True)
    srv.serve_forever()
