// Per-flow state tracking, simplified like LVS/DPVS: the gateway sees both
// directions of every flow (full NAT), so it follows SYN, SYN-ACK, ACK,
// FIN and RST without sequence-number checks (no window tracking: that is the
// backend's job, and ECMP/route changes make strict tracking fragile).
//
// TCP states and transitions (C = from client, B = from backend):
//   (new) --C:SYN-->           SynSent
//   SynSent --B:SYN+ACK-->     SynRecv
//   SynRecv --C:ACK-->         Established   (the handshake ACK or any later segment)
//   Established --FIN-->       FinWait       (the first FIN, either side)
//   FinWait --FIN other side--> TimeWait     (both sides have sent FIN)
//   any --RST-->               Close
//   Close/TimeWait --C:SYN-->  SynSent       (tuple reused by a new connection)
// UDP has one state, Udp, refreshed by every packet.
//
// A flow expires when now - last_seen > timeout(state). Defaults follow
// IPVS's long, forgiving values rather than DPVS's aggressive ones (DPVS uses
// e.g. 90 s established), because an edge gateway in front of Kubernetes
// carries idle keep-alive connections (HTTP/2, gRPC, databases) that must
// survive minutes of silence; they are configurable per state.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "control/config/gateway_settings.hpp"
#include "parse.hpp"

namespace svcnat::dpdk {

enum class FlowState : uint8_t {
    SynSent,       // client SYN seen
    SynRecv,       // backend SYN-ACK seen
    Established,
    FinWait,       // one side sent FIN
    TimeWait,      // both sides sent FIN
    Close,         // RST seen
    Udp,
    Count
};
inline constexpr size_t kFlowStateCount = static_cast<size_t>(FlowState::Count);

std::string_view to_string(FlowState s) noexcept;

enum class Direction : uint8_t { FromClient = 0, FromBackend = 1 };

// Idle timeouts in milliseconds, indexed by FlowState, from the gateway's
// settings (whose defaults are IPVS's; control/config/gateway_settings.hpp).
struct FlowTimeouts {
    std::array<uint32_t, kFlowStateCount> ms{};
    FlowTimeouts() : FlowTimeouts(FlowTimeoutSettings{}) {}
    explicit FlowTimeouts(const FlowTimeoutSettings& s) {
        of(FlowState::SynSent) = of(FlowState::SynRecv) = s.tcp_syn_s * 1000;
        of(FlowState::Established) = s.tcp_established_s * 1000;
        of(FlowState::FinWait) = of(FlowState::TimeWait) = s.tcp_fin_s * 1000;
        of(FlowState::Close) = s.tcp_close_s * 1000;
        of(FlowState::Udp) = s.udp_s * 1000;
    }
    uint32_t of(FlowState s) const noexcept { return ms[static_cast<size_t>(s)]; }
    uint32_t& of(FlowState s) noexcept { return ms[static_cast<size_t>(s)]; }
};

// TCP connection-tracking state of one flow; 2 bytes.
struct TcpTracker {
    FlowState state = FlowState::SynSent;
    uint8_t fin_seen = 0;  // bit (1 << Direction): that side sent FIN
};

// The three below are inline: they run per forwarded packet (see nat.hpp on
// the default build).

// May a TCP packet with these flags, arriving from the client with no flow
// entry, create one? Only a clean SYN (no ACK/FIN/RST), like IPVS without
// sloppy_tcp: a mid-stream packet would reach a backend that has never seen
// the connection and only provoke a RST.
inline bool tcp_opens_flow(uint8_t f) noexcept {
    return (f & (kTcpSyn | kTcpAck | kTcpFin | kTcpRst)) == kTcpSyn;
}

// Nonsensical flag combinations (SYN+FIN, SYN+RST, no flags at all) that are
// dropped even on an existing flow (DropReason::BadTcpFlags).
inline bool tcp_flags_invalid(uint8_t f) noexcept {
    const bool syn = f & kTcpSyn;
    if (syn && (f & (kTcpFin | kTcpRst))) return true;
    // Every legitimate segment carries SYN, ACK or RST; a FIN-only or
    // flagless segment is a scan (RFC 9293: ACK is always set once
    // synchronised).
    return (f & (kTcpSyn | kTcpAck | kTcpRst)) == 0;
}

// Advances `t` for a packet with `tcp_flags` travelling in `dir`.
inline void tcp_track(TcpTracker& t, Direction dir, uint8_t f) noexcept {
    const uint8_t side = static_cast<uint8_t>(1u << static_cast<uint8_t>(dir));
    if (f & kTcpRst) {
        t.state = FlowState::Close;
        return;
    }
    if (f & kTcpSyn) {
        if (!(f & kTcpAck)) {
            // A client SYN on a finished flow: the tuple is being reused by
            // a new connection (e.g. a client with a small port range).
            if (dir == Direction::FromClient &&
                (t.state == FlowState::Close || t.state == FlowState::TimeWait)) {
                t.state = FlowState::SynSent;
                t.fin_seen = 0;
            }
        } else if (dir == Direction::FromBackend && t.state == FlowState::SynSent) {
            t.state = FlowState::SynRecv;
        }
        return;
    }
    if (f & kTcpFin) {
        t.fin_seen |= side;
        if (t.state != FlowState::Close && t.state != FlowState::TimeWait)
            t.state = t.fin_seen == 0x3 ? FlowState::TimeWait : FlowState::FinWait;
        return;
    }
    if ((f & kTcpAck) && t.state == FlowState::SynRecv && dir == Direction::FromClient)
        t.state = FlowState::Established;
}

}  // namespace svcnat::dpdk
