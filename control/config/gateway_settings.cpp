#include "gateway_settings.hpp"

#include <cstdio>
#include <set>

#include "control/lb/maglev.hpp"

namespace svcnat {

std::optional<MacAddr> parse_mac(std::string_view text) {
    MacAddr mac{};
    if (text.size() != 17) return std::nullopt;
    for (size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
        unsigned v = 0;
        for (size_t j = 0; j < 2; ++j) {
            const char c = text[i * 3 + j];
            unsigned d;
            if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
            else return std::nullopt;
            v = v * 16 + d;
        }
        mac[i] = static_cast<uint8_t>(v);
    }
    return mac;
}

std::string mac_str(const MacAddr& m) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

std::string_view to_string(PortRole r) {
    switch (r) {
        case PortRole::Client: return "client";
        case PortRole::Backend: return "backend";
        case PortRole::Both: return "both";
    }
    return "?";
}

namespace {

// One `key=value` item of a port spec applied to `p`; "" or the problem.
std::string apply_port_item(PortConfig& p, const std::string& key, std::string_view val,
                            std::vector<IPAddr>& next_hops) {
    if (key == "name") {
        p.name = val;
    } else if (key == "device") {
        p.device = val;
    } else if (key == "role") {
        if (val == "client") p.role = PortRole::Client;
        else if (val == "backend") p.role = PortRole::Backend;
        else if (val == "both") p.role = PortRole::Both;
        else return "role: expected client, backend or both, got '" + std::string(val) + "'";
    } else if (key == "ip") {
        const auto c = CIDR::parse(val, false, true);
        const auto ip = IPAddr::parse(val.substr(0, val.find('/')));
        if (!c || !ip)
            return "ip: expected address/prefix (e.g. 192.0.2.1/24 or 2001:db8::1/64), got '" + std::string(val) + "'";
        (ip->is_v4() ? p.v4 : p.v6) = PortAddress{*c, *ip, std::nullopt};
    } else if (key == "mac") {
        const auto m = parse_mac(val);
        if (!m) return "mac: invalid MAC address '" + std::string(val) + "'";
        p.mac = *m;
    } else if (key == "next-hop") {
        const auto ip = IPAddr::parse(val);
        if (!ip) return "next-hop: invalid IP address: " + std::string(val);
        next_hops.push_back(*ip);
    } else if (key == "mtu") {
        const bool digits = !val.empty() && val.size() <= 5 &&
                            val.find_first_not_of("0123456789") == std::string_view::npos;
        const unsigned long mtu = digits ? std::stoul(std::string(val)) : 0;
        if (!digits || mtu < 576 || mtu > 9600) return "mtu: expected 576..9600, got '" + std::string(val) + "'";
        p.mtu = static_cast<uint16_t>(mtu);
    } else {
        return "unknown key '" + key + "' (known: name, device, role, ip, mac, next-hop, mtu)";
    }
    return "";
}

}  // namespace

std::optional<PortConfig> parse_port_spec(std::string_view spec, std::string* error) {
    PortConfig p;
    p.spec = spec;
    std::set<std::string> seen;
    std::vector<IPAddr> next_hops;
    auto fail = [&](const std::string& msg) -> std::optional<PortConfig> {
        *error = msg;
        return std::nullopt;
    };
    for (size_t pos = 0; pos <= spec.size();) {
        size_t comma = spec.find(',', pos);
        if (comma == std::string_view::npos) comma = spec.size();
        const std::string_view item = spec.substr(pos, comma - pos);
        pos = comma + 1;
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos) return fail("expected key=value, got '" + std::string(item) + "'");
        const std::string key(item.substr(0, eq));
        const std::string_view val = item.substr(eq + 1);
        // ip and next-hop once per family (a dual-stack port has both).
        std::string seen_key = key;
        if (key == "ip" || key == "next-hop") {
            const auto probe = IPAddr::parse(val.substr(0, val.find('/')));
            if (probe) seen_key += probe->is_v4() ? "4" : "6";
        }
        if (!seen.insert(seen_key).second) return fail(key + " given twice");
        if (auto problem = apply_port_item(p, key, val, next_hops); !problem.empty()) return fail(problem);
    }
    if (p.device.empty()) return fail("device is required");
    if (!p.v4 && !p.v6) return fail("ip is required");
    if (p.name.empty()) p.name = p.device;
    for (const IPAddr& hop : next_hops) {
        auto& fam = hop.is_v4() ? p.v4 : p.v6;
        if (!fam) return fail("next-hop " + hop.str() + " has no ip of its family on this port");
        if (!fam->subnet.contains(hop)) return fail("next-hop " + hop.str() + " is outside " + fam->subnet.str());
        fam->next_hop = hop;
    }
    return p;
}

std::vector<size_t> GatewaySettings::client_ports() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < ports.size(); ++i)
        if (ports[i].faces_clients()) out.push_back(i);
    return out;
}

std::vector<size_t> GatewaySettings::backend_ports() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < ports.size(); ++i)
        if (ports[i].faces_backends()) out.push_back(i);
    return out;
}

std::optional<size_t> GatewaySettings::port_towards(const IPAddr& ip, bool backend_side) const {
    auto side_ok = [&](const PortConfig& p) { return backend_side ? p.faces_backends() : p.faces_clients(); };
    for (size_t i = 0; i < ports.size(); ++i)
        if (side_ok(ports[i]) && ports[i].on_link(ip)) return i;
    for (size_t i = 0; i < ports.size(); ++i) {
        const PortAddress* a = ports[i].family_of(ip);
        if (side_ok(ports[i]) && a != nullptr && a->next_hop) return i;
    }
    return std::nullopt;
}

std::vector<GatewayProblem> gateway_problems(const GatewaySettings& g) {
    std::vector<GatewayProblem> out;
    if (g.ports.empty()) out.push_back({"port", "", "at least one port is required"});
    else if (g.client_ports().empty()) out.push_back({"port", "", "no port faces clients (role client or both)"});
    else if (g.backend_ports().empty()) out.push_back({"port", "", "no port faces backends (role backend or both)"});
    std::set<std::string> names, devices;
    for (const auto& p : g.ports) {
        if (!names.insert(p.name).second) out.push_back({"port", p.spec, "name '" + p.name + "' used twice"});
        if (!devices.insert(p.device).second) out.push_back({"port", p.spec, "device '" + p.device + "' used twice"});
    }
    if (g.snat_addresses.empty())
        out.push_back({"snat-address", "", "at least one local address is required for full-NAT"});
    std::set<IPAddr> snat;
    for (const auto& a : g.snat_addresses) {
        if (!snat.insert(a).second) out.push_back({"snat-address", a.str(), "given twice"});
        bool on_backend_port = false;
        for (size_t i : g.backend_ports()) on_backend_port |= g.ports[i].on_link(a);
        if (!on_backend_port)
            out.push_back({"snat-address", a.str(),
                           "is in no backend-facing port's subnet (backends could not reply to it)"});
    }
    for (const auto& n : g.neighbors) {
        bool on_link = false;
        for (const auto& p : g.ports) on_link |= p.on_link(n.ip);
        if (!on_link) out.push_back({"neighbor", n.ip.str(), "is on no port's subnet"});
    }
    if (!lb::is_prime(g.maglev_table_size))
        out.push_back({"maglev-table-size", std::to_string(g.maglev_table_size),
                       "not prime (Maglev needs a prime table size)"});
    return out;
}

}  // namespace svcnat
