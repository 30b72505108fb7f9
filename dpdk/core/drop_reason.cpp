#include "drop_reason.hpp"

namespace svcnat::dpdk {

std::string_view to_string(DropReason r) noexcept {
    switch (r) {
        case DropReason::None: return "none";
        case DropReason::Truncated: return "truncated";
        case DropReason::UnsupportedEtherType: return "unsupported_ether_type";
        case DropReason::StackedVlan: return "stacked_vlan";
        case DropReason::BadArp: return "bad_arp";
        case DropReason::BadIpVersion: return "bad_ip_version";
        case DropReason::BadIhl: return "bad_ihl";
        case DropReason::BadTotalLength: return "bad_total_length";
        case DropReason::BadIpChecksum: return "bad_ip_checksum";
        case DropReason::Fragment: return "fragment";
        case DropReason::Ipv6ExtensionHeader: return "ipv6_extension_header";
        case DropReason::UnsupportedProtocol: return "unsupported_protocol";
        case DropReason::BadL4Header: return "bad_l4_header";
        case DropReason::TtlExpired: return "ttl_expired";
        case DropReason::NoService: return "no_service";
        case DropReason::NoBackend: return "no_backend";
        case DropReason::NoFlow: return "no_flow";
        case DropReason::BadTcpFlags: return "bad_tcp_flags";
        case DropReason::SnatExhausted: return "snat_exhausted";
        case DropReason::FlowTableFull: return "flow_table_full";
        case DropReason::IcmpNotTranslatable: return "icmp_not_translatable";
        case DropReason::SourceNotAllowed: return "source_not_allowed";
        case DropReason::Count: break;
    }
    return "unknown";
}

}  // namespace svcnat::dpdk
