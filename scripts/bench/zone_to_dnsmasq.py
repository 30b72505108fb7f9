#!/usr/bin/env python3
"""Turns the master files that `svcnat dns --print-zone` prints into
dnsmasq configuration serving the same records: an additional hosts file
for A/AAAA (dnsmasq derives PTRs from it), srv-host= and txt-record= lines,
and local=/ZONE/ so that unknown names in the zones are NXDOMAIN.

--no-srv leaves the SRV records out: dnsmasq keeps srv-host= entries in a
list it scans for every query (58,000 of them take it from 90,000 to 450
queries per second here), so with them it cannot be measured at all.

usage: zone_to_dnsmasq.py --hosts HOSTS --conf CONF [--no-srv] ZONEFILE...
"""
import argparse


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--no-srv", action="store_true")
    ap.add_argument("zones", nargs="+")
    a = ap.parse_args()
    hosts, conf = [], []
    for path in a.zones:
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) < 5:
                    continue
                name, rtype, data = w[0].rstrip("."), w[3], w[4:]
                if rtype == "SOA":
                    conf.append(f"local=/{name}/")
                elif rtype in ("A", "AAAA"):
                    hosts.append(f"{data[0]} {name}")
                elif rtype == "SRV" and not a.no_srv:
                    prio, weight, port, target = data
                    conf.append(f"srv-host={name},{target.rstrip('.')},{port},{prio},{weight}")
                elif rtype == "TXT":
                    conf.append(f"txt-record={name},{' '.join(data).strip(chr(34))}")
                elif rtype == "CNAME":
                    conf.append(f"cname={name},{data[0].rstrip('.')}")
    with open(a.hosts, "w") as f:
        f.write("\n".join(hosts) + "\n")
    with open(a.conf, "w") as f:
        f.write("\n".join(conf) + "\n")


if __name__ == "__main__":
    main()
