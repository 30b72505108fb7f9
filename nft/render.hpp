// Ruleset -> nft text that `nft -f` loads (nft 1.0.6 syntax). Used by
// `svcnat render` and by golden tests; the kernel is programmed through
// netlink (encode.hpp), never through this text.
#pragma once

#include <string>

#include "ruleset.hpp"

namespace svcnat::nft {

// The whole ruleset; elements sorted by key bytes so output is stable.
std::string render(const Ruleset& rs);
std::string render_table(const Table& t);

// One rule as nft prints it (without indentation), e.g.
// "ip daddr . meta l4proto . th dport vmap @service-ips".
std::string render_rule(IPFamily family, const Rule& r);

// One element (key and, for maps, ": data"), e.g. "10.96.0.1 . tcp . 80 : goto cluster-1".
std::string render_element(const SetSpec& spec, const WireBytes& key, const ElementValue& v);

}  // namespace svcnat::nft
