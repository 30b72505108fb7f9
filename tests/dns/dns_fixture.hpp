// DNS unit tests without sockets: manifests loaded through load_state() (so
// discovery is the real one), a Zone built from them, and queries answered
// by respond(). Replies are decoded by the small decoder here, written
// independently of control/dns (the e2e test checks with dig and dnspython).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/dns/responder.hpp"
#include "control/dns/zone.hpp"

namespace svcnat::dns::test {

struct QueryOptions {
    uint16_t id = 0x1234;
    uint16_t qclass = 1;
    bool edns = false;
    uint16_t udp_size = 1232;
    uint8_t edns_version = 0;
    bool rd = true;
};

// A query message for `name` (dotted, case kept) and `type`.
std::string make_query(const std::string& name, uint16_t type, const QueryOptions& o = {});

struct Decoded {
    bool ok = false;  // parsed completely
    uint16_t id = 0;
    bool qr = false, aa = false, tc = false, rd = false, ra = false;
    int rcode = 0;  // with the OPT's extended bits
    std::string question;  // "name type"
    std::vector<std::string> answer, authority, additional;  // "name ttl TYPE data", OPT not included
    bool opt = false;
    uint16_t opt_udp_size = 0;
};
Decoded decode(const uint8_t* msg, size_t len);

// Loads YAML (several documents) and builds the zone with `options`.
std::shared_ptr<const Zone> zone_from_yaml(const std::string& yaml, ZoneOptions options = {});

// respond() on a query, decoded; `action` reports what respond() asked for.
Decoded ask(const Zone* zone, const std::string& query, bool tcp = false, bool upstream = false,
            Action* action = nullptr);

// The same over UDP from `client` (autopath); `outcome` gets respond()'s
// result, `alt` the decoded alternative reply of an autopath Chase.
Decoded ask_from(const Zone* zone, const std::string& query, const IPAddr* client, bool upstream = false,
                 Action* action = nullptr, Outcome* outcome = nullptr, Decoded* alt = nullptr);

}  // namespace svcnat::dns::test
