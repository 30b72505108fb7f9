// Helper for the cross-process determinism test: builds the Maglev table for
// N backends "10.0.<i/256>.<i%256>:8080" (weight 1 + i % 3) of size M and
// prints its digest, so the test can compare tables built by separate
// processes (fresh address-space layout, fresh allocator state).
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "control/lb/maglev.hpp"
#include "maglev_fixture.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s BACKENDS TABLE_SIZE\n", argv[0]);
        return 2;
    }
    const auto backends = svcnat::lb::test::numbered_backends(std::atoi(argv[1]), true);
    const auto table = svcnat::lb::MaglevTable::build(backends, static_cast<uint32_t>(std::atol(argv[2])));
    std::printf("%016llx\n", static_cast<unsigned long long>(svcnat::lb::test::digest(table)));
    return 0;
}
