#!/usr/bin/env python3
"""HTTP requests for the lab's L7 tests, many per run, answers as JSON.

Reads a JSON list of requests on stdin, sends each (redirects are not
followed) and prints a JSON list of results in the same order:

  request: {"url": "http://203.0.113.1:80/path?q=1", "method": "GET",
            "host": "example.com", "headers": {"Version": "one"},
            "sni": "example.com" (https: the TLS server name; default: host),
            "timeout": 3, "repeat": N (N requests, tallied)}
  result:  {"status": 200, "headers": {"location": "..."} (lower-case names,
            repeated ones joined with ","), "body": "...", "json": {...} or
            null, "cert_cn": "CN of the server's certificate" (https),
            "error": null or why it failed}
           with "repeat": {"tally": {"pod1": 70, "status 500": 2, ...}}

Every request is on its own connection: the proxy's routing, not a kept
connection, decides each answer.
"""
import http.client
import json
import os
import socket
import ssl
import sys
import tempfile
import urllib.parse


def peer_common_name(tls: ssl.SSLSocket) -> str:
    der = tls.getpeercert(binary_form=True)
    if not der:
        return ""
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
        f.write(ssl.DER_cert_to_PEM_cert(der))
        path = f.name
    try:
        decoded = ssl._ssl._test_decode_cert(path)  # CPython's own decoder, no extra package
    finally:
        os.unlink(path)
    for rdn in decoded.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return ""


def send(req: dict) -> dict:
    url = urllib.parse.urlsplit(req["url"])
    https = url.scheme == "https"
    port = url.port or (443 if https else 80)
    timeout = float(req.get("timeout", 3))
    host = req.get("host") or url.hostname
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    result = {"status": 0, "headers": {}, "body": "", "json": None, "cert_cn": None, "error": None}
    sock = socket.create_connection((url.hostname, port), timeout=timeout)
    try:
        if https:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=req.get("sni") or host)
            result["cert_cn"] = peer_common_name(sock)
        conn = http.client.HTTPConnection(url.hostname, port, timeout=timeout)
        conn.sock = sock
        conn.putrequest(req.get("method", "GET"), target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for name, value in req.get("headers", {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read().decode(errors="replace")
        headers: dict[str, list[str]] = {}
        for name, value in resp.getheaders():
            headers.setdefault(name.lower(), []).append(value)
        result.update(status=resp.status, headers={k: ",".join(v) for k, v in headers.items()}, body=body)
        try:
            result["json"] = json.loads(body)
        except ValueError:
            pass
    finally:
        sock.close()
    return result


def answer(req: dict) -> dict:
    try:
        return send(req)
    except (OSError, http.client.HTTPException) as e:
        return {"status": 0, "headers": {}, "body": "", "json": None, "cert_cn": None, "error": f"{type(e).__name__}: {e}"}


def main() -> int:
    out = []
    for req in json.load(sys.stdin):
        n = int(req.get("repeat", 0))
        if not n:
            out.append(answer(req))
            continue
        tally: dict[str, int] = {}
        for _ in range(n):
            r = answer(req)
            key = r["json"]["pod"] if r["status"] == 200 and r["json"] else (r["error"] or f"status {r['status']}")
            tally[key] = tally.get(key, 0) + 1
        out.append({"repeat": {"tally": tally}})
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
