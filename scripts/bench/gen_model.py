#!/usr/bin/env python3
"""Generates a benchmark model: S Services x E endpoints, as Kubernetes
manifests (Service + EndpointSlice per service, 1,000 services per file) and,
optionally, the same model as nft text in kube-proxy's upstream nftables
layout (one verdict map of service IPs, a chain per service with
`numgen random mod N vmap { ... }` to a chain per endpoint that DNATs,
mark-based masquerade), which is how kube-proxy programs the kernel today.

Addresses: ClusterIPs from 10.96.0.0/12 (10.96.0.1 onwards), endpoints from
10.128.0.0/10 (unique per service), node port range 30000-32767 for the first
NodePort services. Everything lives inside the benchmark's namespaces.

usage: gen_model.py --services S --endpoints E --out DIR [--kube-proxy FILE]
                    [--mutate add-endpoint|remove-endpoint|add-service|remove-service]
"""
import argparse
import ipaddress
import os

CLUSTER_BASE = int(ipaddress.IPv4Address("10.96.0.1"))
EP_BASE = int(ipaddress.IPv4Address("10.128.0.0"))


def cluster_ip(i):
    return str(ipaddress.IPv4Address(CLUSTER_BASE + i))


def endpoint_ip(i, j, e):
    return str(ipaddress.IPv4Address(EP_BASE + i * max(e, 1) + j + 1))


def service_yaml(i, nodeport):
    name = f"svc-{i}"
    np = f"\n    nodePort: {30000 + i}" if nodeport else ""
    typ = "NodePort" if nodeport else "ClusterIP"
    return f"""---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: bench
spec:
  type: {typ}
  clusterIP: {cluster_ip(i)}
  ports:
  - name: http
    protocol: TCP
    port: 80
    targetPort: 8080{np}
"""


def slice_yaml(i, eps):
    name = f"svc-{i}"
    lines = [f"""---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-abc
  namespace: bench
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
ports:
- name: http
  protocol: TCP
  port: 8080
endpoints:
"""]
    for ip in eps:
        lines.append(f"""- addresses:
  - {ip}
  conditions:
    ready: true
  nodeName: node-a
""")
    return "".join(lines)


def model(services, endpoints, mutate):
    """Returns [(index, [endpoint ips], nodeport?)]."""
    out = []
    for i in range(services):
        eps = [endpoint_ip(i, j, endpoints) for j in range(endpoints)]
        out.append([i, eps, i < 2000])
    if mutate == "add-endpoint":
        out[0][1].append("10.127.255.1")  # outside every service's generated range
    elif mutate == "remove-endpoint":
        out[0][1].pop()
    elif mutate == "add-service":
        out.append([services, [endpoint_ip(services, j, endpoints) for j in range(endpoints)], False])
    elif mutate == "remove-service":
        out.pop()
    return out


def write_manifests(m, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(".yaml"):
            os.unlink(os.path.join(out_dir, f))
    chunk = 1000
    for start in range(0, len(m), chunk):
        with open(os.path.join(out_dir, f"services-{start // chunk:05d}.yaml"), "w") as f:
            for i, eps, nodeport in m[start:start + chunk]:
                f.write(service_yaml(i, nodeport))
                f.write(slice_yaml(i, eps))


def kube_proxy_text(m, table="kube-proxy-bench"):
    """kube-proxy's nftables layout (pkg/proxy/nftables, v1.31), one service port each."""
    w = []
    a = w.append
    a(f"add table ip {table}")
    a(f"flush table ip {table}")
    a(f"add chain ip {table} mark-for-masquerade")
    a(f"add rule ip {table} mark-for-masquerade mark set mark or 0x4000")
    a(f"add chain ip {table} masquerading")
    a(f"add rule ip {table} masquerading mark and 0x4000 == 0 return")
    a(f"add rule ip {table} masquerading mark set mark xor 0x4000")
    a(f"add rule ip {table} masquerading masquerade fully-random")
    a(f"add chain ip {table} services")
    a(f"add chain ip {table} nat-prerouting {{ type nat hook prerouting priority -100 ; }}")
    a(f"add rule ip {table} nat-prerouting jump services")
    a(f"add chain ip {table} nat-output {{ type nat hook output priority -100 ; }}")
    a(f"add rule ip {table} nat-output jump services")
    a(f"add chain ip {table} nat-postrouting {{ type nat hook postrouting priority 100 ; }}")
    a(f"add rule ip {table} nat-postrouting jump masquerading")
    a(f"add set ip {table} cluster-ips {{ type ipv4_addr ; }}")
    a(f"add set ip {table} nodeport-ips {{ type ipv4_addr ; }}")
    a(f"add map ip {table} service-ips {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}")
    a(f"add map ip {table} service-nodeports {{ type inet_proto . inet_service : verdict ; }}")
    a(f"add map ip {table} no-endpoint-services {{ type ipv4_addr . inet_proto . inet_service : verdict ; }}")
    a(f"add rule ip {table} services ip daddr . meta l4proto . th dport vmap @service-ips")
    a(f"add rule ip {table} services ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports")
    a(f"add element ip {table} nodeport-ips {{ 203.0.113.1 }}")
    for i, eps, nodeport in m:
        svc = f"service-{i:08X}-bench/svc-{i}/tcp/http"
        vip = cluster_ip(i)
        a(f"add chain ip {table} {svc}")
        a(f"add element ip {table} cluster-ips {{ {vip} }}")
        a(f"add rule ip {table} {svc} ip daddr {vip} tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade")
        targets = []
        for j, ep in enumerate(eps):
            chain = f"endpoint-{i:06X}{j:02X}-bench/svc-{i}/tcp/http__{ep}/8080"
            a(f"add chain ip {table} {chain}")
            a(f"add rule ip {table} {chain} ip saddr {ep} jump mark-for-masquerade")
            a(f"add rule ip {table} {chain} meta l4proto tcp dnat to {ep}:8080")
            targets.append(f"{j} : goto {chain}")
        if targets:
            a(f"add rule ip {table} {svc} numgen random mod {len(eps)} vmap {{ {', '.join(targets)} }}")
        a(f"add element ip {table} service-ips {{ {vip} . tcp . 80 : goto {svc} }}")
        if nodeport:
            a(f"add element ip {table} service-nodeports {{ tcp . {30000 + i} : goto {svc} }}")
    return "\n".join(w) + "\n"


def kube_proxy_partial(m, mutation, table="kube-proxy-bench"):
    """The partial update kube-proxy sends for one change (it re-writes the
    service chain of a changed service and adds/removes endpoint chains)."""
    w = []
    a = w.append
    i, eps, nodeport = m[0] if mutation in ("add-endpoint", "remove-endpoint") else m[-1]
    svc = f"service-{i:08X}-bench/svc-{i}/tcp/http"
    vip = cluster_ip(i)

    def chain_of(j, ep):
        return f"endpoint-{i:06X}{j:02X}-bench/svc-{i}/tcp/http__{ep}/8080"

    def endpoint_chain(j, ep):
        c = chain_of(j, ep)
        a(f"add chain ip {table} {c}")
        a(f"flush chain ip {table} {c}")
        a(f"add rule ip {table} {c} ip saddr {ep} jump mark-for-masquerade")
        a(f"add rule ip {table} {c} meta l4proto tcp dnat to {ep}:8080")

    def service_chain():
        a(f"add chain ip {table} {svc}")
        a(f"flush chain ip {table} {svc}")
        a(f"add rule ip {table} {svc} ip daddr {vip} tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade")
        targets = ", ".join(f"{j} : goto {chain_of(j, ep)}" for j, ep in enumerate(eps))
        a(f"add rule ip {table} {svc} numgen random mod {len(eps)} vmap {{ {targets} }}")

    if mutation == "add-endpoint":
        j = len(eps) - 1
        endpoint_chain(j, eps[j])
        service_chain()
    elif mutation == "remove-endpoint":
        service_chain()
        a(f"delete chain ip {table} {chain_of(len(eps), endpoint_ip(i, len(eps), 10))}")
    elif mutation == "add-service":
        for j, ep in enumerate(eps):
            endpoint_chain(j, ep)
        service_chain()
        a(f"add element ip {table} cluster-ips {{ {vip} }}")
        a(f"add element ip {table} service-ips {{ {vip} . tcp . 80 : goto {svc} }}")
    elif mutation == "remove-service":
        i = len(m)  # the service that was popped
        svc = f"service-{i:08X}-bench/svc-{i}/tcp/http"
        vip = cluster_ip(i)
        a(f"delete element ip {table} service-ips {{ {vip} . tcp . 80 }}")
        a(f"delete element ip {table} cluster-ips {{ {vip} }}")
        if i < 2000:
            a(f"delete element ip {table} service-nodeports {{ tcp . {30000 + i} }}")
        a(f"flush chain ip {table} {svc}")
        a(f"delete chain ip {table} {svc}")
        for j in range(10):
            a(f"delete chain ip {table} endpoint-{i:06X}{j:02X}-bench/svc-{i}/tcp/http__{endpoint_ip(i, j, 10)}/8080")
    return "\n".join(w) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--services", type=int, required=True)
    p.add_argument("--endpoints", type=int, default=10)
    p.add_argument("--out", help="directory for the manifests")
    p.add_argument("--kube-proxy", help="file for kube-proxy's layout as nft text")
    p.add_argument("--mutate", choices=["add-endpoint", "remove-endpoint", "add-service", "remove-service"])
    p.add_argument("--kube-proxy-partial", help="file for kube-proxy's partial update for --mutate")
    args = p.parse_args()
    m = model(args.services, args.endpoints, args.mutate)
    if args.out:
        write_manifests(m, args.out)
    if args.kube_proxy:
        with open(args.kube_proxy, "w") as f:
            f.write(kube_proxy_text(m))
    if args.kube_proxy_partial:
        with open(args.kube_proxy_partial, "w") as f:
            f.write(kube_proxy_partial(m, args.mutate))


if __name__ == "__main__":
    main()
