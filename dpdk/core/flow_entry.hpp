// The value stored per full-NAT flow, one template for both families. A
// flow has two keys (client side and reply side), both kept here; the
// gateway (dpdk/gateway/flow_table.hpp) finds the entry from the client key
// through rte_hash and from the reply key through its SNAT lease.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "flow_key.hpp"
#include "flow_state.hpp"
#include "nat.hpp"

namespace svcnat::dpdk {

template <typename Addr>
struct FlowEntryOf {
    using Key = FlowKey<Addr>;
    Key client_side{};  // client ip:port → VIP:port (as received)
    Key reply_side{};   // backend ip:port → SNAT ip:port (as received)
    uint64_t last_seen_ms = 0;
    uint64_t created_ms = 0;
    std::array<uint64_t, 2> packets{};  // index: Direction
    std::array<uint64_t, 2> bytes{};    // index: Direction, L3 bytes
    TcpTracker tcp;                     // state Udp for UDP flows
    uint16_t owner_lcore = 0;           // lcore that allocated the SNAT port
    // Checksum deltas of forwarding each direction (index: Direction):
    // FromClient rewrites client_side into to_backend(), FromBackend
    // reply_side into to_client(). Set by make_flow_entry.
    std::array<NatDelta, 2> delta{};

    FlowState state() const noexcept { return tcp.state; }
    bool is_tcp() const noexcept { return client_side.proto == kProtoTcp; }

    // Addressing of a client packet after NAT: SNAT ip:port → backend ip:port.
    L4Tuple<Addr> to_backend() const noexcept {
        return {reply_side.dst_ip, reply_side.src_ip, reply_side.dst_port, reply_side.src_port};
    }
    // Addressing of a backend reply after NAT: VIP:port → client ip:port.
    L4Tuple<Addr> to_client() const noexcept {
        return {client_side.dst_ip, client_side.src_ip, client_side.dst_port, client_side.src_port};
    }
    // ICMP error about a packet sent to the backend (quote: SNAT → backend),
    // translated for the client: VIP → client, quoting client → VIP.
    IcmpErrorRewriteOf<Addr> icmp_error_to_client() const noexcept {
        return {client_side.dst_ip, client_side.src_ip,
                {client_side.src_ip, client_side.dst_ip, client_side.src_port, client_side.dst_port}};
    }
    // ICMP error about a packet sent to the client (quote: VIP → client),
    // translated for the backend: SNAT → backend, quoting backend → SNAT.
    IcmpErrorRewriteOf<Addr> icmp_error_to_backend() const noexcept {
        return {reply_side.dst_ip, reply_side.src_ip,
                {reply_side.src_ip, reply_side.dst_ip, reply_side.src_port, reply_side.dst_port}};
    }
    // Counts a packet and refreshes last_seen. For TCP, `tcp_flags` advances
    // the state; for UDP it is ignored. Inline: per packet.
    void on_packet(Direction dir, uint8_t tcp_flags, uint16_t l3_len, uint64_t now_ms) noexcept {
        const auto d = static_cast<size_t>(dir);
        ++packets[d];
        bytes[d] += l3_len;
        // Clocks of different lcores may disagree by a little; never move back.
        if (now_ms > last_seen_ms) last_seen_ms = now_ms;
        if (is_tcp()) tcp_track(tcp, dir, tcp_flags);
    }

    bool expired(uint64_t now_ms, const FlowTimeouts& timeouts) const noexcept {
        // now_ms may trail last_seen_ms slightly (another lcore's clock): not expired.
        return now_ms > last_seen_ms && now_ms - last_seen_ms > timeouts.of(state());
    }
};
using FlowEntry = FlowEntryOf<Ip4>;
using FlowEntry6 = FlowEntryOf<Ip6>;
static_assert(std::is_trivially_copyable_v<FlowEntry>);
static_assert(std::is_trivially_copyable_v<FlowEntry6>);

// A new flow's entry: TCP starts in SynSent, UDP in Udp. Addresses and
// ports in network order (convert a SnatLease's host-order port first).
template <typename Addr>
inline FlowEntryOf<Addr> make_flow_entry(const FlowKey<Addr>& client_side,
                                         const std::type_identity_t<Addr>& backend_ip, uint16_t backend_port,
                                         const std::type_identity_t<Addr>& snat_ip, uint16_t snat_port,
                                         uint16_t owner_lcore, uint64_t now_ms) noexcept {
    FlowEntryOf<Addr> e;
    e.client_side = client_side;
    e.reply_side = make_flow_key(backend_ip, snat_ip, backend_port, snat_port, client_side.proto);
    e.created_ms = now_ms;
    e.last_seen_ms = now_ms;
    e.tcp.state = client_side.proto == kProtoTcp ? FlowState::SynSent : FlowState::Udp;
    e.owner_lcore = owner_lcore;
    auto as_tuple = [](const FlowKey<Addr>& k) { return L4Tuple<Addr>{k.src_ip, k.dst_ip, k.src_port, k.dst_port}; };
    e.delta[static_cast<size_t>(Direction::FromClient)] = nat_delta(as_tuple(e.client_side), e.to_backend(), true);
    e.delta[static_cast<size_t>(Direction::FromBackend)] = nat_delta(as_tuple(e.reply_side), e.to_client(), true);
    return e;
}

}  // namespace svcnat::dpdk
