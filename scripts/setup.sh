#!/usr/bin/env bash
# Installs every Debian package svcnat needs to build, test, demo and benchmark.
# Idempotent and non-interactive; apt-get only. Run as root on Debian 12.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++
  # libraries
  libnftnl-dev libmnl-dev libnetfilter-conntrack-dev libyaml-dev nlohmann-json3-dev
  libcpp-httplib-dev libspdlog-dev libfmt-dev libboost-program-options-dev libsystemd-dev
  libgtest-dev libgmock-dev libbenchmark-dev libxxhash-dev libjemalloc-dev prometheus-cpp-dev libssl-dev
  # DPDK edge gateway (optional at configure time, installed so tests can run)
  libdpdk-dev dpdk dpdk-dev
  # labs, tests, demo and benchmarks
  nftables iproute2 conntrack iputils-ping procps python3 socat curl ethtool
  prometheus gnuplot-nox wrk nginx-light time
  # Ingress and Gateway API routes: the L7 proxy svcnat runs (its own
  # configuration, never the distribution's haproxy.service)
  haproxy
  # cluster DNS: clients and an independent decoder for the tests, and the
  # servers and load generator of scripts/bench-dns
  bind9-dnsutils knot-dnsutils python3-dnspython dnsmasq-base knot nsd dnsperf
  # the caching resolvers the DNS cache is measured against (bench-dns)
  unbound knot-resolver
  # Debian packages (scripts/package) and their installed-package test
  debhelper lintian debootstrap
  # fuzzing (scripts/fuzz, and a short run in scripts/test.sh): clang's libFuzzer
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # nginx-light, prometheus, knot, nsd, haproxy, unbound and knot-resolver start services on install
  # where an init system runs them; the project never uses those instances
  # (svcnat and the benchmarks start their own, inside their namespaces).
  # One unit at a time: systemctl refuses the whole list if one is unknown.
  if command -v systemctl >/dev/null; then
    for unit in nginx prometheus knot nsd haproxy unbound unbound-resolvconf kresd.target kresd@1; do
      systemctl disable --now "$unit" 2>/dev/null || true
    done
  fi
fi
echo "setup: all packages present"
