#include "dns_stats.hpp"

#include <bit>

namespace svcnat::dns {

size_t type_slot(uint16_t qtype) {
    for (size_t i = 0; i < kCountedTypes.size(); ++i)
        if (kCountedTypes[i] == qtype) return i;
    return kCountedTypes.size();
}

std::string_view type_label(size_t slot) {
    static constexpr std::string_view names[kTypeSlots] = {"A",   "AAAA", "CNAME", "MX",  "NS", "PTR",   "SOA",
                                                           "SRV", "TXT",  "HTTPS", "SVCB", "DS", "DNSKEY", "other"};
    return slot < kTypeSlots ? names[slot] : "other";
}

size_t rcode_slot(uint16_t rcode) { return rcode < kRcodeSlots ? rcode : kRcodeSlots - 1; }

std::string_view rcode_label(size_t slot) {
    static constexpr std::string_view names[kRcodeSlots] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE", "RCODE11",  "RCODE12",  "RCODE13", "RCODE14", "RCODE15",  "BADVERS"};
    return slot < kRcodeSlots ? names[slot] : "BADVERS";
}

std::string_view writer_label(Writer w) {
    switch (w) {
        case Writer::Kubernetes: return "kubernetes";
        case Writer::Cache: return "cache";
        case Writer::Forward: return "forward";
        case Writer::Autopath: return "autopath";
        case Writer::Server: return "";
    }
    return "";
}

double duration_bound(size_t bucket) { return 0.00025 * static_cast<double>(uint64_t{1} << bucket); }

void DnsStats::duration(size_t type, uint64_t micros) {
    // Bucket b holds durations up to 250 µs * 2^b: the first b with
    // micros <= 250 << b, found from the bit length of (micros - 1) / 250.
    const uint64_t quarter_ms = micros == 0 ? 0 : (micros - 1) / 250;
    size_t bucket = quarter_ms == 0 ? 0 : static_cast<size_t>(std::bit_width(quarter_ms));
    if (bucket > kDurationBuckets) bucket = kDurationBuckets;
    duration_count[type][bucket].add();
    duration_sum_us[type].add(micros);
}

}  // namespace svcnat::dns
