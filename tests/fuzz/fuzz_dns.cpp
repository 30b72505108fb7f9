// Any bytes as a DNS query to the answer path, over UDP and TCP, with and
// without an upstream, against a zone built from the examples. The reply
// must fit its transport and its header must echo the query's ID.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "control/config/settings.hpp"
#include "control/dns/dns_syncer.hpp"
#include "control/dns/responder.hpp"
#include "control/state/state.hpp"

namespace {

std::shared_ptr<const svcnat::dns::Zone> examples_zone() {
    using namespace svcnat;
    Settings s;
    s.node_name = "node-a";
    s.manifests = {std::string(SVCNAT_SOURCE_ROOT) + "/conf/examples"};
    s.dns.bind_addresses = {{*IPAddr::parse("127.0.0.1"), 53}};
    s.dns.pods = DnsPodMode::Insecure;
    const StateResult st = load_state(s);
    if (!st.ok()) std::abort();  // the examples load
    return dns::Zone::build(st.state.discovery, dns::zone_options(s.dns, st.state.discovery, 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace svcnat::dns;
    static const auto zone = examples_zone();
    static std::vector<uint8_t> out(65535);
    for (const Transport t : {Transport{false, false}, Transport{true, false}, Transport{false, true}}) {
        const Outcome o = respond(zone.get(), data, size, t, out.data());
        if (o.action == Action::Reply || o.action == Action::Chase) {
            if (o.len < kHeaderSize) std::abort();
            if (!t.tcp && o.len > kMaxUdpReply) std::abort();
            if (out[0] != data[0] || out[1] != data[1]) std::abort();  // the query's ID
            if (!(out[2] & 0x80)) std::abort();                       // QR
        }
        if (o.action == Action::Chase) {
            // What a chase appends is decoded from the upstream's message:
            // feed the same bytes as that message.
            std::vector<uint8_t> reply(out.begin(), out.begin() + static_cast<long>(o.len));
            reply.resize(65535);
            const size_t n = append_chased(reply.data(), o.len, t.tcp ? 65535 : kMaxUdpReply, data, size);
            if (n < o.len || n > (t.tcp ? 65535 : kMaxUdpReply)) std::abort();
        }
    }
    respond(nullptr, data, size, {false, false}, out.data());
    return 0;
}
