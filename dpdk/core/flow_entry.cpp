#include "flow_entry.hpp"

namespace svcnat::dpdk {

void FlowEntry::on_packet(Direction dir, uint8_t tcp_flags, uint16_t l3_len, uint64_t now_ms) noexcept {
    const auto d = static_cast<size_t>(dir);
    ++packets[d];
    bytes[d] += l3_len;
    // Clocks of different lcores may disagree by a little; never move back.
    if (now_ms > last_seen_ms) last_seen_ms = now_ms;
    if (is_tcp()) tcp_track(tcp, dir, tcp_flags);
}

FlowEntry make_flow_entry(const FlowKey4& client_side, uint32_t backend_ip, uint16_t backend_port,
                          uint32_t snat_ip, uint16_t snat_port, uint16_t owner_lcore,
                          uint64_t now_ms) noexcept {
    FlowEntry e;
    e.client_side = client_side;
    e.reply_side = make_flow_key4(backend_ip, snat_ip, backend_port, snat_port, client_side.proto);
    e.created_ms = now_ms;
    e.last_seen_ms = now_ms;
    e.tcp.state = client_side.proto == kProtoTcp ? FlowState::SynSent : FlowState::Udp;
    e.owner_lcore = owner_lcore;
    return e;
}

}  // namespace svcnat::dpdk
