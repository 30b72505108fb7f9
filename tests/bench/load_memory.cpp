// Memory of loading a model (not a test): the peak RSS while load_state()
// reads, decodes, validates and resolves PATH..., against the memory the
// loaded model keeps (heap in use after the load, the result alive). The
// README's memory guidance and the loader's peak-to-model ratio come from
// here. glibc malloc (not the svcnat executable's jemalloc), so that
// mallinfo2() counts every live byte.
// Usage: load_memory [--node-name N] [--service-cidr C] PATH...
#include <malloc.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>
#include <vector>

#include "control/state/state.hpp"

namespace {

double mb(size_t bytes) { return static_cast<double>(bytes) / 1e6; }

size_t peak_rss_bytes() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<size_t>(ru.ru_maxrss) * 1024;
}

}  // namespace

int main(int argc, char** argv) {
    svcnat::Settings s;
    s.node_name = "node-a";
    s.service_cidrs = {*svcnat::CIDR::parse("10.0.0.0/8")};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--node-name" && i + 1 < argc) s.node_name = argv[++i];
        else if (a == "--service-cidr" && i + 1 < argc) s.service_cidrs = {*svcnat::CIDR::parse(argv[++i])};
        else if (a == "--dns") s.dns.bind_addresses = {{*svcnat::IPAddr::parse("127.0.0.1"), 53}};
        else s.manifests.push_back(a);
    }
    const size_t before = mallinfo2().uordblks;
    const size_t rss_before = peak_rss_bytes();
    svcnat::StateResult st = svcnat::load_state(s);
    malloc_trim(0);
    const size_t kept = mallinfo2().uordblks - before;
    const size_t peak = peak_rss_bytes();
    std::printf("%s: %zu services, %zu service ports\n", st.ok() ? "loaded" : "rejected",
                st.load.manifests.services.size(), st.state.ports.size());
    std::printf("model kept (heap in use after loading): %.1f MB\n", mb(kept));
    std::printf("peak RSS while loading:                  %.1f MB (%.1f MB before)\n", mb(peak), mb(rss_before));
    std::printf("peak / model:                            %.2f\n", static_cast<double>(peak) / static_cast<double>(kept));
    return st.ok() ? 0 : 1;
}
