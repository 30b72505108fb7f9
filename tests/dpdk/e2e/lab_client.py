"""Client-side traffic of the gateway lab, for both families (imported by
client_checks.py and client_checks6.py, which run in the client namespace).
The backends answer every line or datagram with "<name> <peer-ip>"."""
import socket
import subprocess
import time


def ask_tcp(sock, line=b"who\n"):
    sock.sendall(line)
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data.decode().split()


def one_tcp(vip, port=80, line=b"who\n", timeout=3):
    with socket.create_connection((vip, port), timeout=timeout) as s:
        return ask_tcp(s, line)


def one_udp(vip, i, port=53):
    family = socket.AF_INET6 if ":" in vip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(3):  # UDP: retry a lost datagram
            s.sendto(f"q{i}".encode(), (vip, port))
            try:
                return s.recvfrom(256)[0].decode().split()
            except socket.timeout:
                continue
    return None


def tcp_round(vip, n):
    """n new connections: (answers by backend, source addresses seen, errors)."""
    by, sources, errors = {}, set(), 0
    for _ in range(n):
        try:
            name, src = one_tcp(vip)
            by[name] = by.get(name, 0) + 1
            sources.add(src)
        except OSError:
            errors += 1
    return by, sorted(sources), errors


def udp_round(vip, n):
    """n exchanges: (answers by backend, source addresses seen, lost)."""
    by, sources, lost = {}, set(), 0
    for i in range(n):
        r = one_udp(vip, i)
        if r is None:
            lost += 1
            continue
        by[r[0]] = by.get(r[0], 0) + 1
        sources.add(r[1])
    return by, sorted(sources), lost


def persistence(vip, n, reload_cmd, after_n, backends=("be1", "be2")):
    """n long-lived connections, RELOAD_CMD (removes a backend), then: do
    they still reach their backend, and where do after_n new ones go?
    More than n (up to 4n) until every one of `backends` has one: which
    backend a flow gets is its hash's, and 12 flows all on one of two
    backends happen once in 2,048 runs (seen once), which would leave the
    removed backend's connections untested."""
    persistent = []
    while len(persistent) < n or (len(persistent) < 4 * n and
                                  not set(backends) <= {b for _, b in persistent}):
        s = socket.create_connection((vip, 80), timeout=3)
        persistent.append((s, ask_tcp(s)[0]))
    res = {"before": sorted(b for _, b in persistent), "reload_rc": subprocess.run(reload_cmd).returncode}
    time.sleep(1.5)
    kept, broken = 0, 0
    for s, backend in persistent:
        try:
            kept += ask_tcp(s)[0] == backend
        except OSError:
            broken += 1
        s.close()
    res["kept"], res["broken"] = kept, broken
    after = {}
    for _ in range(after_n):
        try:
            name, _ = one_tcp(vip)
            after[name] = after.get(name, 0) + 1
        except OSError:
            after["error"] = after.get("error", 0) + 1
    res["after"] = after
    return res
