#include "flow_state.hpp"

#include "parse.hpp"

namespace svcnat::dpdk {

std::string_view to_string(FlowState s) noexcept {
    switch (s) {
        case FlowState::SynSent: return "syn_sent";
        case FlowState::SynRecv: return "syn_recv";
        case FlowState::Established: return "established";
        case FlowState::FinWait: return "fin_wait";
        case FlowState::TimeWait: return "time_wait";
        case FlowState::Close: return "close";
        case FlowState::Udp: return "udp";
        case FlowState::Count: break;
    }
    return "unknown";
}

bool tcp_opens_flow(uint8_t f) noexcept {
    return (f & (kTcpSyn | kTcpAck | kTcpFin | kTcpRst)) == kTcpSyn;
}

bool tcp_flags_invalid(uint8_t f) noexcept {
    const bool syn = f & kTcpSyn;
    if (syn && (f & (kTcpFin | kTcpRst))) return true;
    // Every legitimate segment carries SYN, ACK or RST; a FIN-only or
    // flagless segment is a scan (RFC 9293: ACK is always set once
    // synchronised).
    return (f & (kTcpSyn | kTcpAck | kTcpRst)) == 0;
}

void tcp_track(TcpTracker& t, Direction dir, uint8_t f) noexcept {
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
