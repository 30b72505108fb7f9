#!/usr/bin/env python3
"""Generates the DNS benchmark's model and query mix.

Manifests: S services in namespace `bench`, 1,000 per file: four in five
ClusterIP (one named port, `http`, with E endpoints in an EndpointSlice),
one in five headless (E endpoints, named port `http`). Addresses: ClusterIPs
from 10.96.0.0/12, endpoints from 10.128.0.0/10, all inside the benchmark's
namespace. `--headless-only` makes every service headless (the memory run).

Queries (--queries FILE, dnsperf's "NAME TYPE" lines, shuffled with a fixed
seed): ClusterIP A 40 %, headless A 20 %, SRV 15 %, PTR of a ClusterIP
10 %, and 15 % NXDOMAIN from search-path expansion (a pod in namespace
`bench` asking for svc-N.bench.svc.cluster.local with ndots:5 first tries
svc-N.bench.svc.cluster.local.bench.svc.cluster.local).

usage: gen_dns_model.py --services S --endpoints E --out DIR [--queries FILE] [--headless-only]
"""
import argparse
import ipaddress
import os
import random

CLUSTER_BASE = int(ipaddress.IPv4Address("10.96.0.1"))
EP_BASE = int(ipaddress.IPv4Address("10.128.0.0"))
ZONE = "cluster.local"


def cluster_ip(i):
    return str(ipaddress.IPv4Address(CLUSTER_BASE + i))


def endpoint_ip(i, j, e):
    return str(ipaddress.IPv4Address(EP_BASE + i * e + j + 1))


def headless(i, headless_only):
    return headless_only or i % 5 == 4


def service(i, e, headless_only):
    ip = "None" if headless(i, headless_only) else cluster_ip(i)
    eps = "".join(f"- addresses: [{endpoint_ip(i, j, e)}]\n  conditions: {{ready: true}}\n" for j in range(e))
    return f"""---
apiVersion: v1
kind: Service
metadata: {{name: svc-{i}, namespace: bench}}
spec:
  clusterIP: {ip}
  ports:
  - {{name: http, port: 80, targetPort: 8080}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: svc-{i}-abc
  namespace: bench
  labels: {{kubernetes.io/service-name: svc-{i}}}
addressType: IPv4
ports: [{{name: http, port: 8080, protocol: TCP}}]
endpoints:
{eps}"""


def queries(s, headless_only, count=100000):
    rng = random.Random(42)
    cluster = [i for i in range(s) if not headless(i, headless_only)]
    heads = [i for i in range(s) if headless(i, headless_only)]
    out = []
    for _ in range(count):
        r = rng.random()
        if r < 0.40 and cluster:
            out.append(f"svc-{rng.choice(cluster)}.bench.svc.{ZONE} A")
        elif r < 0.60 and heads:
            out.append(f"svc-{rng.choice(heads)}.bench.svc.{ZONE} A")
        elif r < 0.75:
            out.append(f"_http._tcp.svc-{rng.randrange(s)}.bench.svc.{ZONE} SRV")
        elif r < 0.85 and cluster:
            ip = ipaddress.IPv4Address(cluster_ip(rng.choice(cluster)))
            out.append(f"{ip.reverse_pointer} PTR")
        else:
            out.append(f"svc-{rng.randrange(s)}.bench.svc.{ZONE}.bench.svc.{ZONE} A")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, required=True)
    ap.add_argument("--endpoints", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries")
    ap.add_argument("--headless-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for start in range(0, a.services, 1000):
        with open(os.path.join(a.out, f"services-{start // 1000:03d}.yaml"), "w") as f:
            for i in range(start, min(a.services, start + 1000)):
                f.write(service(i, a.endpoints, a.headless_only))
    if a.queries:
        with open(a.queries, "w") as f:
            f.write("\n".join(queries(a.services, a.headless_only)) + "\n")


if __name__ == "__main__":
    main()
