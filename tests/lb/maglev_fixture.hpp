// Backend lists shared by the Maglev tests and their helper executable.
#pragma once

#include <string>
#include <vector>

#include "control/lb/maglev.hpp"

namespace svcnat::lb::test {

// n backends "10.0.<i/256>.<i%256>:8080"; weights 1 + i % 3 when `weighted`.
inline std::vector<MaglevBackend> numbered_backends(int n, bool weighted = false) {
    std::vector<MaglevBackend> out;
    for (int i = 0; i < n; ++i) {
        const auto ip = IPAddr::v4((10u << 24) | static_cast<uint32_t>(i));
        out.push_back({backend_identity(ip, 8080), weighted ? 1u + static_cast<uint32_t>(i % 3) : 1u});
    }
    return out;
}

}  // namespace svcnat::lb::test
