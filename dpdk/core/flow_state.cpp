#include "flow_state.hpp"

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

}  // namespace svcnat::dpdk
