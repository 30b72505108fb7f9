#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (committed; rerun after
changing this file): manifests from conf/examples plus JSON and broken
variants, DNS queries made by dnspython, Ethernet frames with correct
checksums for every kind of packet the gateway parses.

usage: tests/fuzz/make_corpus.py   (from the source root)
"""
import glob
import json
import os
import shutil
import struct

import dns.message
import dns.rdatatype

ROOT = os.path.join(os.path.dirname(__file__), "corpus")


def out(target, name, data):
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


# -- manifests
for path in sorted(glob.glob("conf/examples/*.yaml") + glob.glob("conf/examples/export/*.yaml")):
    shutil.copy(path, os.path.join(ROOT, "manifest", os.path.basename(path)))
service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                    "ipFamilyPolicy": "PreferDualStack"}}
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
       "spec": {"nodeName": "node-a", "hostname": "web-1", "subdomain": "web",
                "containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
       "status": {"phase": "Running", "podIP": "10.244.1.11", "podIPs": [{"ip": "10.244.1.11"}]}}
out("manifest", "list.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": [service, pod]}, indent=2).encode())
out("manifest", "service.json", json.dumps(service).encode())
out("manifest", "anchors.yaml", b"a: &x {port: 80}\nkind: Service\napiVersion: v1\nmetadata: {name: s}\n"
    b"spec: {ports: [*x, {port: 81, <<: *x}]}\n")
out("manifest", "broken.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s\nspec: [\n")
out("manifest", "typo.yaml", b"apiVersion: v1\nkind: Servce\nmetadata: {name: s}\n---\n---\nkind: Pod\n")
out("manifest", "servicecidr.yaml", b"apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: x}\n"
    b"spec: {cidrs: [10.200.0.0/16, 'fd00:10:97::/112']}\n")

# -- DNS queries
names = ["kubia.default.svc.cluster.local", "myapp-headless.default.svc.cluster.local",
         "_http._tcp.myapp.default.svc.cluster.local", "my-service.default.svc.cluster.local",
         "45.64.107.10.in-addr.arpa", "10-244-1-11.default.pod.cluster.local", "cluster.local",
         "dns-version.cluster.local", "KUBIA.Default.SVC.cluster.local", "www.example.com",
         "a.b.c.kubia.default.svc.cluster.local", "default.svc.cluster.local"]
types = ["A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "CNAME", "ANY", "AXFR", "MX"]
i = 0
for n in names:
    for t in types[:4] if i % 2 else types:
        q = dns.message.make_query(n, dns.rdatatype.from_text(t), use_edns=0 if i % 3 == 0 else False,
                                   payload=4096 if i % 3 == 0 else 512)
        q.id = i
        out("dns", f"q{i:03d}", q.to_wire())
        i += 1
q = dns.message.make_query("kubia.default.svc.cluster.local", "A", use_edns=1)
out("dns", "badvers", q.to_wire())
out("dns", "header-only", struct.pack("!6H", 7, 0x0100, 0, 0, 0, 0))


# -- frames
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto, l4, src=b"\xcb\x00\x71\x64", dst=b"\xc6\x33\x64\x0a", ttl=64, options=b"", flags=0x4000):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), 1, flags, ttl, proto, 0, src, dst) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def l4v4(proto, seg, src=b"\xcb\x00\x71\x64", dst=b"\xc6\x33\x64\x0a"):
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    at = 16 if proto == 6 else 6
    return seg[:at] + struct.pack("!H", c) + seg[at + 2:]


def tcp(sport=40000, dport=80, flags=0x02, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0) + payload


def udp(sport=40000, dport=53, payload=b"hello"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(ethertype, payload, vlan=None):
    h = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02"
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype) + payload


out("frame", "tcp-syn", eth(0x0800, ipv4(6, l4v4(6, tcp()))))
out("frame", "tcp-data", eth(0x0800, ipv4(6, l4v4(6, tcp(flags=0x18, payload=b"GET / HTTP/1.0\r\n\r\n")))))
out("frame", "udp", eth(0x0800, ipv4(17, l4v4(17, udp()))))
out("frame", "udp-nocsum", eth(0x0800, ipv4(17, udp())))
out("frame", "vlan-tcp", eth(0x0800, ipv4(6, l4v4(6, tcp())), vlan=100))
out("frame", "ipv4-options", eth(0x0800, ipv4(6, l4v4(6, tcp()), options=b"\x01\x01\x01\x00")))
out("frame", "ipv4-fragment", eth(0x0800, ipv4(17, udp(), flags=0x2000)))
out("frame", "ttl1", eth(0x0800, ipv4(6, l4v4(6, tcp()), ttl=1)))
icmp_echo = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"ping"
icmp_echo = icmp_echo[:2] + struct.pack("!H", csum(icmp_echo)) + icmp_echo[4:]
out("frame", "icmp-echo", eth(0x0800, ipv4(1, icmp_echo)))
quoted = ipv4(6, l4v4(6, tcp()), src=b"\xc6\x33\x64\x0a", dst=b"\xcb\x00\x71\x64")[:28]
icmp_err = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + quoted
icmp_err = icmp_err[:2] + struct.pack("!H", csum(icmp_err)) + icmp_err[4:]
out("frame", "icmp-frag-needed", eth(0x0800, ipv4(1, icmp_err)))
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, b"\x02\0\0\0\0\x01", b"\xcb\x00\x71\x64",
                  b"\0" * 6, b"\xc6\x33\x64\x0a")
out("frame", "arp-request", eth(0x0806, arp))
src6 = bytes.fromhex("20010db800ff00000000000000000100")
dst6 = bytes.fromhex("20010db8019800000000000000000001")


def ipv6(nh, l4):
    seg = bytearray(l4)
    pseudo = src6 + dst6 + struct.pack("!IxxxB", len(seg), nh)
    at = 16 if nh == 6 else 6 if nh == 17 else 2
    seg[at:at + 2] = b"\0\0"
    seg[at:at + 2] = struct.pack("!H", csum(pseudo + bytes(seg)))
    return struct.pack("!IHBB16s16s", 0x60000000, len(seg), nh, 64, src6, dst6) + bytes(seg)


out("frame", "ipv6-tcp", eth(0x86DD, ipv6(6, tcp())))
out("frame", "ipv6-udp", eth(0x86DD, ipv6(17, udp())))
out("frame", "ipv6-icmp-echo", eth(0x86DD, ipv6(58, struct.pack("!BBHHH", 128, 0, 0, 1, 1) + b"ping")))
out("frame", "ipv6-hbh", eth(0x86DD, struct.pack("!IHBB16s16s", 0x60000000, 8 + 20, 0, 64, src6, dst6)
                             + struct.pack("!BB6x", 6, 0) + tcp()))


def ipv6_ext(headers, nh, l4):
    """IPv6 with 8-byte extension headers (type, bytes 2..7) before l4 (checksummed)."""
    seg = bytearray(l4)
    pseudo = src6 + dst6 + struct.pack("!IxxxB", len(seg), nh)
    at = 16 if nh == 6 else 6 if nh == 17 else 2
    seg[at:at + 2] = b"\0\0"
    seg[at:at + 2] = struct.pack("!H", csum(pseudo + bytes(seg)))
    chain = b""
    for i, (kind, body) in enumerate(headers):
        nxt = headers[i + 1][0] if i + 1 < len(headers) else nh
        chain += bytes([nxt, 0]) + body
    first = headers[0][0] if headers else nh
    return struct.pack("!IHBB16s16s", 0x60000000, len(chain) + len(seg), first, 64, src6, dst6) + chain + bytes(seg)


padn = b"\x01\x04\0\0\0\0"
out("frame", "ipv6-dstopt-routing-tcp", eth(0x86DD, ipv6_ext([(60, padn), (43, b"\x04\x00\0\0\0\0")], 6, tcp())))
out("frame", "ipv6-atomic-fragment-udp", eth(0x86DD, ipv6_ext([(44, b"\0\0\0\0\0\x07")], 17, udp())))
# ICMPv6 Packet Too Big quoting a TCP segment (with a destination-options header).
quoted = ipv6_ext([(60, padn)], 6, tcp(flags=0x10, payload=b"x" * 64))
out("frame", "icmpv6-packet-too-big", eth(0x86DD, ipv6(58, struct.pack("!BBHI", 2, 0, 0, 1280) + quoted)))
out("frame", "icmpv6-unreachable-udp", eth(0x86DD, ipv6(58, struct.pack("!BBHI", 1, 4, 0, 0) + ipv6(17, udp()))))
ns_body = struct.pack("!BBHI", 135, 0, 0, 0) + dst6 + b"\x01\x01\x02\0\0\0\0\x01"
out("frame", "ipv6-neighbor-solicitation", eth(0x86DD, ipv6(58, ns_body)))
print("corpus written")
