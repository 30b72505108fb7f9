#include "dns_syncer.hpp"

#include <chrono>
#include <ctime>
#include <thread>
#include <algorithm>

namespace svcnat::dns {

ZoneOptions zone_options(const DnsSettings& settings, const DiscoveryState& state, uint32_t serial) {
    ZoneOptions o;
    o.domain = settings.cluster_domain;
    o.ttl = settings.ttl;
    o.pods = settings.pods;
    o.autopath = settings.autopath;
    o.serial = serial;
    for (const auto& s : state.services)
        if (s.ns == "kube-system" && s.name == "kube-dns") o.ns_addresses = s.clusterIPs;
    if (o.ns_addresses.empty())
        for (const auto& a : settings.bind_addresses)
            if (a.ip != IPAddr{} && a.ip != IPAddr{IPFamily::IPv6, {}}) o.ns_addresses.push_back(a.ip);
    return o;
}

ServerOptions server_options(const DnsSettings& settings) {
    ServerOptions o;
    o.bind = settings.bind_addresses;
    ForwardOptions& f = o.forward;
    f.upstream = settings.upstream;
    f.policy = settings.forward_policy;
    f.max_fails = settings.forward_max_fails;
    f.health_check = std::chrono::milliseconds(settings.health_check_ms);
    CacheOptions& c = f.cache;
    c.capacity = settings.upstream.empty() ? 0 : settings.cache_size;
    c.ttls.min_ttl = settings.cache_min_ttl;
    c.ttls.max_ttl = settings.cache_max_ttl;
    c.ttls.denial_min_ttl = std::min(settings.cache_min_ttl, settings.cache_denial_max_ttl);
    c.ttls.denial_max_ttl = settings.cache_denial_max_ttl;
    c.prefetch_amount = settings.cache_prefetch;
    c.serve_stale_s = settings.cache_serve_stale;
    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    o.udp_workers = settings.workers > 0 ? settings.workers : static_cast<int>(std::min(4u, cpus));
    return o;
}

DnsSyncer::DnsSyncer(const DnsSettings& settings, std::shared_ptr<Server> server)
    : settings_(settings), server_(std::move(server)) {}

SyncReport DnsSyncer::sync(const SharedState& desired_state, bool full) {
    const ServiceState& desired = *desired_state;
    const auto start = std::chrono::steady_clock::now();
    SyncReport report;
    report.ok = true;
    report.full = full || !built_;
    // The very state the table was built from (the daemon's periodic
    // reconcile when nothing changed): not even a fingerprint to compute.
    if (built_ && desired_state == built_from_) return report;
    const uint64_t fp = fingerprint(desired.discovery);
    built_from_ = desired_state;
    if (built_ && fp == fingerprint_) return report;  // the same names: keep the table and its serial
    auto zone = Zone::build(desired.discovery, zone_options(settings_, desired.discovery,
                                                            static_cast<uint32_t>(std::time(nullptr))));
    report.detail = std::to_string(zone->names()) + " DNS names, " + std::to_string(zone->bytes() >> 10) + " KiB";
    server_->set_zone(std::move(zone));
    fingerprint_ = fp;
    built_ = true;
    report.sent = true;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

}  // namespace svcnat::dns
