// A Service as written: every field the user gave, as strings and numbers
// with the line it sits on, before any defaulting. decode_service.cpp reads
// it from the tree; validate_service.cpp checks it the way the API server
// does and converts it to the model.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/objects.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

template <class T>
struct Field {
    T value{};
    bool set = false;
    uint32_t line = 0;
    bool mistyped = false;  // present with a value of the wrong type (reported when read)
};

struct StringList {
    std::vector<std::string> values;
    std::vector<uint32_t> lines;
    bool set = false;
    uint32_t line = 0;
};

struct RawPort {
    Field<std::string> name, protocol, appProtocol;
    Field<int64_t> port, nodePort;
    Field<IntOrString> targetPort;
    uint32_t line = 0;
};

struct RawService {
    uint32_t spec_line = 0;
    Field<std::string> type, clusterIP, ipFamilyPolicy, externalTrafficPolicy, internalTrafficPolicy,
        sessionAffinity, externalName, loadBalancerIP, loadBalancerClass;
    StringList clusterIPs, ipFamilies, externalIPs, loadBalancerSourceRanges;
    Field<int64_t> healthCheckNodePort, timeoutSeconds;
    Field<bool> publishNotReadyAddresses, allocateLoadBalancerNodePorts;
    uint32_t sessionAffinityConfig_line = 0;  // 0: absent
    Field<Labels> selector;
    std::vector<RawPort> ports;
    uint32_t ports_line = 0;
    bool ports_mistyped = false;  // present but not a list: already reported
    std::vector<Field<std::string>> ingressIPs;
};

// Validates `raw` (metadata already decoded into out.meta) and fills `out`.
void validate_service(Decoder& d, const RawService& raw, uint32_t object_line, const Settings& settings, Service& out,
                      ServiceLines& lines);

}  // namespace svcnat::manifest
