// networking.k8s.io/v1 ServiceCIDR: the cluster's service ranges, validated
// as the API server does (at most two CIDRs, one per family, each a valid
// CIDR in canonical form). Its status is written by the API server and not
// read.
#include "api_validation.hpp"
#include "decode.hpp"

namespace svcnat::manifest {

namespace {

void decode_cidrs(Decoder& d, uint32_t n, const FieldPath& path, uint32_t key_line, ServiceCIDR& out) {
    std::vector<std::string> values;
    std::vector<uint32_t> lines;
    if (!d.read_string_list(n, path, values, &lines)) return;
    if (values.empty()) {
        d.error(key_line, path, required());
        return;
    }
    if (values.size() > 2) d.error(key_line, path, "Too many: " + std::to_string(values.size()) + ": must have at most 2 items");
    for (size_t i = 0; i < values.size(); ++i) {
        const FieldPath fp = path.index(i);
        auto c = CIDR::parse(values[i], false, /*allow_host_bits=*/false);
        if (!c) {
            d.error(lines[i], fp, invalid(quote(values[i]), kCIDRMessage));
            continue;
        }
        if (c->str() != values[i]) {
            d.error(lines[i], fp, invalid(quote(values[i]), "must be in canonical form (\"" + c->str() + "\")"));
            continue;
        }
        for (const auto& prev : out.cidrs)
            if (prev.addr.family == c->addr.family)
                d.error(lines[i], fp, invalid(quote(values[i]), "may specify no more than one CIDR for each IP family"));
        out.cidrs.push_back(*c);
    }
}

}  // namespace

void decode_service_cidr(Decoder& d, const ObjectNode& obj, ServiceCIDR& out) {
    const FieldPath root;
    const TopFields top = read_top_fields(d, obj, HasStatus::Yes);
    const FieldPath spec = root.child("spec");
    bool has_cidrs = false;
    if (top.spec_node != kNone && d.expect_mapping(top.spec_node, spec))
        d.for_each_field(top.spec_node, spec, [&](std::string_view key, uint32_t v, const FieldPath& fp, uint32_t line) {
            if (key != "cidrs") return false;
            has_cidrs = true;
            decode_cidrs(d, v, fp, line, out);
            return true;
        });
    if (!has_cidrs) d.error(top.spec_line, spec.child("cidrs"), required());
    out.meta.loc.line = obj.line;
    decode_metadata(d, top.meta_node, top.meta_line, NameRule::DNS1123Subdomain, out.meta);
}

}  // namespace svcnat::manifest
