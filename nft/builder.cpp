#include "builder.hpp"

#include <algorithm>
#include <cstdio>
#include <type_traits>

namespace svcnat::nft {
namespace {

using namespace names;

FieldType addr_type(IPFamily f) { return f == IPFamily::IPv4 ? FieldType::IPv4Addr : FieldType::IPv6Addr; }

std::string lower_proto(Protocol p) {
    std::string s(to_string(p));
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Stmt verdict(VerdictKind k, std::string chain = {}) {
    Stmt s;
    s.kind = StmtKind::Verdict;
    s.verdict = {k, std::move(chain)};
    return s;
}

Stmt simple(StmtKind k) {
    Stmt s;
    s.kind = k;
    return s;
}

// `ip saddr 10.0.0.0/8 <then>`; a /0 prefix matches everything, so the
// rule is just <then> (nft has no textual form of a zero-length match).
Rule source_rule(KeyExpr which, const CIDR& c, Stmt then);

Stmt prefix_match(KeyExpr which, const CIDR& c, bool negate) {
    Stmt s;
    s.kind = StmtKind::MatchPrefix;
    s.key = {which};
    s.cidr = c;
    s.negate = negate;
    return s;
}

Stmt fib_local(KeyExpr which) {
    Stmt s;
    s.kind = StmtKind::MatchFibLocal;
    s.key = {which};
    return s;
}

Stmt lookup(StmtKind k, std::vector<KeyExpr> key, std::string set) {
    Stmt s;
    s.kind = k;
    s.key = std::move(key);
    s.set = std::move(set);
    return s;
}

Stmt mark_stmt(StmtKind k, uint32_t bit) {
    Stmt s;
    s.kind = k;
    s.mark_bit = bit;
    return s;
}

Stmt l4proto(Protocol p) {
    Stmt s;
    s.kind = StmtKind::MatchL4Proto;
    s.proto = p;
    return s;
}

Rule rule(std::vector<Stmt> stmts) { return Rule{std::move(stmts)}; }

Rule source_rule(KeyExpr which, const CIDR& c, Stmt then) {
    if (c.prefix == 0) return rule({std::move(then)});
    return rule({prefix_match(which, c, false), std::move(then)});
}

CIDR host_cidr(const IPAddr& ip) { return CIDR{ip, static_cast<uint8_t>(ip.is_v4() ? 32 : 128)}; }

Rule ct_new_jump(const std::string& chain) {
    return rule({simple(StmtKind::MatchCtStateNew), verdict(VerdictKind::Jump, chain)});
}

const std::vector<KeyExpr> kDaddrProtoPort{KeyExpr::Daddr, KeyExpr::L4Proto, KeyExpr::ThDport};
const std::vector<KeyExpr> kProtoPort{KeyExpr::L4Proto, KeyExpr::ThDport};

SetSpec set_spec(std::string name, std::vector<FieldType> key, std::vector<FieldType> data = {},
                 bool vmap = false) {
    SetSpec s;
    s.name = std::move(name);
    s.key = std::move(key);
    s.data = std::move(data);
    s.is_vmap = vmap;
    return s;
}

// Builds one family's table. Holds the per-build bookkeeping (which class
// chains exist) so that the public function stays a one-liner per family.
class TableBuilder {
public:
    TableBuilder(const ServiceState& state, const Settings& settings, IPFamily family)
        : state_(state), settings_(settings), family_(family) {
        table_.family = family;
        table_.name = settings.table;
        mark_ = uint32_t{1} << settings.masquerade_bit;
        for (const auto& c : settings.cluster_cidrs)
            if (c.addr.family == family) cluster_cidrs_.push_back(c);
    }

    Table build() {
        add_fixed_sets();
        add_fixed_chains();
        // Hot sets, looked up once rather than by name per element.
        service_ips_set_ = &set(kServiceIPs);
        endpoints_set_ = &set(kEndpoints);
        cluster_ips_set_ = &set(kClusterIPs);
        hairpin_set_ = &set(kHairpin);
        nodeports_served_ = !nodeport_address_filters().empty();
        for (size_t n = 1; n <= kPinnedClassChains; ++n)
            for (auto path : {Path::Cluster, Path::External, Path::NodePort}) class_chain(path, n);
        // Size the big maps once instead of rehashing as they grow.
        size_t dispatch = 0, targets = 0, endpoints = 0, cluster_ips = 0;
        // (This family's addresses only: a single-stack cluster's other
        // table stays small.)
        auto in_family = [this](const auto& list) {
            return static_cast<size_t>(std::count_if(list.begin(), list.end(), [this](const auto& x) {
                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, IPAddr>) return x.family == family_;
                else return x.ip.family == family_;
            }));
        };
        for (const auto& sp : state_.ports) {
            const size_t cips = in_family(sp.clusterIPs);
            const size_t addrs = cips + in_family(sp.externalIPs) + in_family(sp.loadBalancerIPs);
            const size_t eps = in_family(sp.endpoints);
            dispatch += addrs;
            targets += addrs * eps;
            endpoints += eps;
            cluster_ips += cips;
        }
        service_ips_set_->elements.reserve(dispatch);
        endpoints_set_->elements.reserve(targets);
        hairpin_set_->elements.reserve(endpoints);  // upper bounds: shared ones count once
        cluster_ips_set_->elements.reserve(cluster_ips);
        for (const auto& sp : state_.ports) add_service_port(sp);
        // Shared sets get a capacity: the kernel then preallocates a fixed
        // hash instead of resizing it while the elements go in.
        for (auto& [name, s] : table_.sets)
            if (s.owner.empty() && !s.spec.dynamic_timeout) s.spec.size = set_size_for(s.elements.size());
        return std::move(table_);
    }

private:
    const ServiceState& state_;
    const Settings& settings_;
    IPFamily family_;
    Table table_;
    uint32_t mark_ = 0;
    std::vector<CIDR> cluster_cidrs_;
    Set* service_ips_set_ = nullptr;
    Set* endpoints_set_ = nullptr;
    Set* cluster_ips_set_ = nullptr;
    Set* hairpin_set_ = nullptr;
    bool nodeports_served_ = false;

    static WireBytes addr_key(const IPAddr& ip) {
        WireBytes k;
        append_addr(k, ip);
        return k;
    }

    FieldType family_addr_type() const { return addr_type(family_); }

    Set& set(const char* name) { return table_.sets.find(name)->second; }

    void add_set(SetSpec spec) {
        Set s;
        s.spec = std::move(spec);
        table_.sets.emplace(s.spec.name, std::move(s));
    }

    Chain& add_chain(const std::string& name, std::optional<BaseHook> base = std::nullopt,
                     std::string owner = {}) {
        auto [it, inserted] = table_.chains.try_emplace(name);
        if (inserted) {
            it->second.name = name;
            it->second.base = std::move(base);
            it->second.owner = std::move(owner);
        }
        return it->second;
    }

    // First writer wins: two service ports claiming the same address and
    // port (possible with externalIPs) cannot both be honoured by one map.
    void add_element(Set& set, const WireBytes& key, ElementValue v) { set.elements.try_emplace(key, std::move(v)); }


    static WireBytes target_data(const ResolvedEndpoint& ep) {
        WireBytes d;
        append_addr(d, ep.ip);
        append_port(d, ep.port);
        return d;
    }

    void add_fixed_sets() {
        const FieldType a = family_addr_type();
        const auto P = FieldType::InetProto, S = FieldType::InetService;
        add_set(set_spec(kServiceIPs, {a, P, S}, {}, true));
        add_set(set_spec(kServiceNodePorts, {P, S}, {}, true));
        add_set(set_spec(kNoEndpointServices, {a, P, S}, {}, true));
        add_set(set_spec(kNoEndpointNodePorts, {P, S}, {}, true));
        add_set(set_spec(kFirewallIPs, {a, P, S}, {}, true));
        add_set(set_spec(kClusterIPs, {a}));
        add_set(set_spec(kHairpin, {a, a}));
        auto eps = set_spec(kEndpoints, {a, P, S, FieldType::Index}, {a, S});
        eps.typeof_key = {KeyExpr::Daddr, KeyExpr::L4Proto, KeyExpr::ThDport, KeyExpr::Numgen};
        eps.typeof_modulus = 1;
        add_set(std::move(eps));
        auto np = set_spec(kNodePortEndpoints, {P, S, FieldType::Index}, {a, S});
        np.typeof_key = {KeyExpr::L4Proto, KeyExpr::ThDport, KeyExpr::Numgen};
        np.typeof_modulus = 1;
        add_set(std::move(np));
        if (nodeport_uses_ip_set()) {
            add_set(set_spec(kNodePortIPs, {a}));
            for (const auto& ip : state_.node.ips)
                if (ip.family == family_) add_element(set(kNodePortIPs), addr_key(ip), {});
        }
    }

    bool nodeport_uses_ip_set() const {
        if (settings_.nodeport_addresses.all_local || !settings_.nodeport_addresses.cidrs.empty()) return false;
        return std::any_of(state_.node.ips.begin(), state_.node.ips.end(),
                           [&](const IPAddr& ip) { return ip.family == family_; });
    }

    // The address conditions under which a destination port is a NodePort:
    // one alternative (rule prefix) per entry; none means NodePorts are not
    // served in this family.
    std::vector<std::vector<Stmt>> nodeport_address_filters() const {
        std::vector<std::vector<Stmt>> out;
        const auto& npa = settings_.nodeport_addresses;
        if (!npa.cidrs.empty() && !npa.all_local) {
            for (const auto& c : npa.cidrs)
                if (c.addr.family == family_) out.push_back({prefix_match(KeyExpr::Daddr, c, false)});
            return out;
        }
        if (nodeport_uses_ip_set()) {
            out.push_back({lookup(StmtKind::Lookup, {KeyExpr::Daddr}, kNodePortIPs)});
            return out;
        }
        // Primary IPs known, but none in this family: no NodePorts here.
        if (!npa.all_local && !state_.node.ips.empty()) return out;
        // All local addresses except loopback (NodePorts on 127.0.0.1 would
        // need route_localnet, which kube-proxy's nftables mode also refuses).
        auto loop = family_ == IPFamily::IPv4 ? *CIDR::parse("127.0.0.0/8") : *CIDR::parse("::1/128");
        out.push_back({fib_local(KeyExpr::Daddr), prefix_match(KeyExpr::Daddr, loop, true)});
        return out;
    }

    void add_fixed_chains() {
        add_chain("nat-prerouting", BaseHook{"nat", "prerouting", kPriorityDstnat}).rules = {
            rule({verdict(VerdictKind::Jump, "services")})};
        add_chain("nat-output", BaseHook{"nat", "output", kPriorityDstnat}).rules = {
            rule({verdict(VerdictKind::Jump, "services")})};
        add_chain("nat-postrouting", BaseHook{"nat", "postrouting", kPrioritySrcnat}).rules = {
            rule({verdict(VerdictKind::Jump, "masquerading")})};
        // Firewall before DNAT: the LB address is still the destination.
        add_chain("filter-prerouting", BaseHook{"filter", "prerouting", kPriorityDstnat - 10}).rules = {
            ct_new_jump("firewall-check")};
        add_chain("filter-output", BaseHook{"filter", "output", kPriorityDstnat - 10}).rules = {
            ct_new_jump("firewall-check")};
        // Endpoint checks after DNAT: what still heads for a service address
        // was not DNATed, so it has no (local) endpoint.
        add_chain("filter-input", BaseHook{"filter", "input", 0}).rules = {
            ct_new_jump("nodeport-endpoints-check"), ct_new_jump("service-endpoints-check")};
        add_chain("filter-forward", BaseHook{"filter", "forward", 0}).rules = {
            ct_new_jump("service-endpoints-check"), ct_new_jump("cluster-ips-check")};
        add_chain("filter-output-post-dnat", BaseHook{"filter", "output", 0}).rules = {
            ct_new_jump("service-endpoints-check"), ct_new_jump("cluster-ips-check")};

        add_chain("firewall-check").rules = {rule({lookup(StmtKind::Vmap, kDaddrProtoPort, kFirewallIPs)})};
        add_chain("service-endpoints-check").rules = {
            rule({lookup(StmtKind::Vmap, kDaddrProtoPort, kNoEndpointServices)})};
        auto& npcheck = add_chain("nodeport-endpoints-check");
        auto& services = add_chain("services");
        services.rules.push_back(rule({lookup(StmtKind::Vmap, kDaddrProtoPort, kServiceIPs)}));
        for (auto filter : nodeport_address_filters()) {
            auto check = filter;
            check.push_back(lookup(StmtKind::Vmap, kProtoPort, kNoEndpointNodePorts));
            npcheck.rules.push_back(rule(std::move(check)));
            filter.push_back(lookup(StmtKind::Vmap, kProtoPort, kServiceNodePorts));
            services.rules.push_back(rule(std::move(filter)));
        }
        // A service address on a port that no service defines: reject. An
        // address in a service range that no service holds: drop, as
        // kube-proxy does (routed onwards, it would loop back to the
        // cluster or leak to the default route).
        auto& cluster_ips_check = add_chain("cluster-ips-check");
        cluster_ips_check.rules = {
            rule({lookup(StmtKind::Lookup, {KeyExpr::Daddr}, kClusterIPs), verdict(VerdictKind::Goto, kRejectChain)})};
        for (const auto& c : state_.service_cidrs)
            if (c.addr.family == family_)
                cluster_ips_check.rules.push_back(rule({prefix_match(KeyExpr::Daddr, c, false), verdict(VerdictKind::Drop)}));
        add_chain(kRejectChain).rules = {rule({l4proto(Protocol::TCP), simple(StmtKind::RejectTcpReset)}),
                                         rule({simple(StmtKind::RejectIcmp)})};

        add_chain(kMarkForMasquerade).rules = {rule({mark_stmt(StmtKind::SetMarkBit, mark_)})};
        auto hairpin = simple(StmtKind::Masquerade);
        add_chain("masquerading").rules = {
            // A pod reaching itself through its service: the reply must come
            // back through us, so the source has to change.
            rule({simple(StmtKind::MatchCtDnat), lookup(StmtKind::Lookup, {KeyExpr::Saddr, KeyExpr::Daddr}, kHairpin),
                  hairpin}),
            rule({mark_stmt(StmtKind::MatchMarkClear, mark_), verdict(VerdictKind::Return)}),
            // Clear our bit so that nothing else sees it (the mark is shared).
            rule({mark_stmt(StmtKind::ClearMarkBit, mark_)}),
            rule({simple(StmtKind::Masquerade)})};
        if (!settings_.masquerade_all && !cluster_cidrs_.empty()) {
            auto& nc = add_chain(kMasqueradeNonCluster);
            for (const auto& c : cluster_cidrs_)
                nc.rules.push_back(source_rule(KeyExpr::Saddr, c, verdict(VerdictKind::Return)));
            nc.rules.push_back(rule({mark_stmt(StmtKind::SetMarkBit, mark_)}));
        }
    }

    // A port's own cluster chain is also reached by pods short-circuited
    // from an eTP Local external address (NodePort, LB, externalIP): with
    // --masquerade-all only traffic addressed to the ClusterIP is marked,
    // as kube-proxy does (the short-circuited pods keep their source).
    void add_own_masquerade_rules(Chain& c, const ResolvedServicePort& sp) const {
        if (!settings_.masquerade_all) {
            if (auto r = cluster_masquerade_rule()) c.rules.push_back(*r);
            return;
        }
        for (const auto& ip : sp.clusterIPs)
            if (ip.family == family_)
                c.rules.push_back(source_rule(KeyExpr::Daddr, host_cidr(ip), verdict(VerdictKind::Jump, kMarkForMasquerade)));
    }

    // The masquerade decision for traffic to a ClusterIP.
    std::optional<Rule> cluster_masquerade_rule() const {
        if (settings_.masquerade_all) return rule({verdict(VerdictKind::Jump, kMarkForMasquerade)});
        if (!cluster_cidrs_.empty()) return rule({verdict(VerdictKind::Jump, kMasqueradeNonCluster)});
        return std::nullopt;
    }

    enum class Path { Cluster, External, NodePort };

    std::string class_chain(Path path, size_t n) {
        static const char* prefix[] = {"cluster-", "external-", "nodeport-"};
        std::string name = prefix[static_cast<int>(path)] + std::to_string(n);
        auto& c = add_chain(name);
        if (c.rules.empty() && path == Path::External) {
            // The same DNAT as cluster-N once marked for masquerade (which
            // cluster-N's own masquerade rule then leaves as it is): a goto
            // instead of a second rule binding `endpoints`, whose every
            // binding the kernel validates by walking the whole map.
            const std::string cluster = class_chain(Path::Cluster, n);
            c.rules.push_back(rule({verdict(VerdictKind::Jump, kMarkForMasquerade)}));
            c.rules.push_back(rule({verdict(VerdictKind::Goto, cluster)}));
        } else if (c.rules.empty()) {
            if (path == Path::Cluster) {
                if (auto r = cluster_masquerade_rule()) c.rules.push_back(*r);
            } else {
                c.rules.push_back(rule({verdict(VerdictKind::Jump, kMarkForMasquerade)}));
            }
            Stmt dnat;
            dnat.kind = StmtKind::DnatMap;
            dnat.modulus = static_cast<uint32_t>(n);
            if (path == Path::NodePort) {
                dnat.key = {KeyExpr::L4Proto, KeyExpr::ThDport, KeyExpr::Numgen};
                dnat.set = kNodePortEndpoints;
            } else {
                dnat.key = {KeyExpr::Daddr, KeyExpr::L4Proto, KeyExpr::ThDport, KeyExpr::Numgen};
                dnat.set = kEndpoints;
            }
            c.rules.push_back(rule({dnat}));
        }
        return name;
    }

    std::vector<const ResolvedEndpoint*> family_endpoints(const ResolvedServicePort& sp, bool local) const {
        auto eps = usable_endpoints(sp, local);
        std::erase_if(eps, [&](const ResolvedEndpoint* e) { return e->ip.family != family_; });
        return eps;
    }

    // The addresses of one service port in this table's family, and the
    // endpoints each of its paths chooses from.
    struct PortPaths {
        std::vector<IPAddr> cluster_ips, external_ips;  // external: externalIPs and LB ingress
        bool has_nodeport = false;
        std::vector<const ResolvedEndpoint*> all, cluster_eps, external_eps;
        // ClientIP affinity or a Local policy: kube-proxy-style chains of
        // the port's own instead of the shared class chains and endpoint maps.
        bool own_chains = false;
        std::string cluster_target, external_target, nodeport_target;  // "" = no endpoint on that path
    };

    PortPaths paths_of(const ResolvedServicePort& sp) const {
        PortPaths p;
        for (const auto& ip : sp.clusterIPs)
            if (ip.family == family_) p.cluster_ips.push_back(ip);
        for (const auto* list : {&sp.externalIPs, &sp.loadBalancerIPs})
            for (const auto& ip : *list)
                if (ip.family == family_) p.external_ips.push_back(ip);
        p.has_nodeport = sp.nodePort != 0;
        p.all = family_endpoints(sp, false);
        const auto local = family_endpoints(sp, true);
        p.cluster_eps = sp.internalTrafficPolicy == TrafficPolicy::Local ? local : p.all;
        p.external_eps = sp.externalTrafficPolicy == TrafficPolicy::Local ? local : p.all;
        const bool external_paths = !p.external_ips.empty() || p.has_nodeport;
        p.own_chains = sp.sessionAffinity == SessionAffinity::ClientIP ||
                       sp.internalTrafficPolicy == TrafficPolicy::Local ||
                       (external_paths && sp.externalTrafficPolicy == TrafficPolicy::Local);
        return p;
    }

    // Where each path's dispatch element jumps: the port's own chains, or
    // the shared class chain for its endpoint count (only for paths this
    // port has: an unused chain would be churn in every diff).
    void choose_targets(const ResolvedServicePort& sp, PortPaths& p) {
        if (p.own_chains && !p.all.empty()) {
            const bool external_paths = !p.external_ips.empty() || p.has_nodeport;
            add_own_chains(sp, p.cluster_eps, p.external_eps, external_paths, p.cluster_target, p.external_target);
            p.nodeport_target = p.external_target;
            return;
        }
        if (!p.cluster_eps.empty()) p.cluster_target = class_chain(Path::Cluster, p.cluster_eps.size());
        if (!p.external_eps.empty() && !p.external_ips.empty())
            p.external_target = class_chain(Path::External, p.external_eps.size());
        if (!p.external_eps.empty() && p.has_nodeport)
            p.nodeport_target = class_chain(Path::NodePort, p.external_eps.size());
    }


    // Nothing to send anything to: reject at once (filter hooks); only a
    // Local policy leaving no endpoint drops instead.
    static Verdict no_endpoint_verdict(const PortPaths& p) {
        return {p.all.empty() ? VerdictKind::Goto : VerdictKind::Drop, p.all.empty() ? kRejectChain : ""};
    }

    // address . proto . port -> target, and the endpoints in the shared map.
    void dispatch_address(const ResolvedServicePort& sp, const PortPaths& p, const IPAddr& ip,
                          const std::string& target, const std::vector<const ResolvedEndpoint*>& eps, const Owner& id) {
        auto key = dispatch_key(ip, sp.protocol, sp.port);
        if (!target.empty()) {
            add_element(*service_ips_set_, key, {{}, {VerdictKind::Goto, target}, id});
            if (!p.own_chains)
                for (size_t i = 0; i < eps.size(); ++i) {
                    auto k = key;
                    append_index(k, static_cast<uint32_t>(i));
                    add_element(*endpoints_set_, k, {target_data(*eps[i]), {}, id});
                }
        }
        // Also when a target exists: eTP Local with no local endpoint sends
        // only pods and the node itself on; the rest is dropped.
        if (eps.empty()) add_element(set(kNoEndpointServices), key, {{}, no_endpoint_verdict(p), id});
    }

    void dispatch_node_port(const ResolvedServicePort& sp, const PortPaths& p, const Owner& id) {
        if (!p.has_nodeport || !nodeports_served_) return;
        auto key = node_port_key(sp.protocol, sp.nodePort);
        if (!p.nodeport_target.empty()) {
            add_element(set(kServiceNodePorts), key, {{}, {VerdictKind::Goto, p.nodeport_target}, id});
            if (!p.own_chains)
                for (size_t i = 0; i < p.external_eps.size(); ++i) {
                    auto k = key;
                    append_index(k, static_cast<uint32_t>(i));
                    add_element(set(kNodePortEndpoints), k, {target_data(*p.external_eps[i]), {}, id});
                }
        }
        if (p.external_eps.empty()) add_element(set(kNoEndpointNodePorts), key, {{}, no_endpoint_verdict(p), id});
    }

    void add_service_port(const ResolvedServicePort& sp) {
        if (!port_in_family(sp, family_)) return;
        PortPaths p = paths_of(sp);
        const Owner id = std::make_shared<const std::string>(sp.id());
        // Elements shared with other ports, owned (for error messages) by
        // the first: a pod reaching itself through the service (hairpin),
        // and the ClusterIPs. (A name of its own per hairpin pair cost
        // 100,000 strings at 10,000 services for messages almost never
        // written.)
        for (const auto& k : cluster_ip_keys(sp, family_)) add_element(*cluster_ips_set_, k, {{}, {}, id});
        for (const auto& k : hairpin_keys(sp, family_)) hairpin_set_->elements.try_emplace(k, ElementValue{{}, {}, id});
        add_firewall(sp, id);
        choose_targets(sp, p);
        for (const auto& ip : p.cluster_ips) dispatch_address(sp, p, ip, p.cluster_target, p.cluster_eps, id);
        for (const auto& ip : p.external_ips) dispatch_address(sp, p, ip, p.external_target, p.external_eps, id);
        dispatch_node_port(sp, p, id);
    }

    // loadBalancerSourceRanges, as kube-proxy applies them: to the LB
    // ingress addresses only (not externalIPs, not NodePorts), with the
    // ranges of this table's family (none of them: no restriction for this
    // family). When a range holds this node's address, the LB addresses are
    // allowed as sources too: a VIP-like load balancer's address is often
    // local on the node, and the node's connection to it then comes from it.
    void add_firewall(const ResolvedServicePort& sp, const Owner& id) {
        std::vector<IPAddr> lb;
        for (const auto& ip : sp.loadBalancerIPs)
            if (ip.family == family_) lb.push_back(ip);
        std::vector<CIDR> ranges;
        for (const auto& c : sp.loadBalancerSourceRanges)
            if (c.addr.family == family_) ranges.push_back(c);
        if (lb.empty() || ranges.empty()) return;
        const bool allow_from_node = std::any_of(ranges.begin(), ranges.end(), [&](const CIDR& c) {
            return std::any_of(state_.node.ips.begin(), state_.node.ips.end(),
                               [&](const IPAddr& ip) { return c.contains(ip); });
        });
        auto& fw = add_chain("fw-" + service_chain_suffix(sp), std::nullopt, *id);
        fw.rules.clear();
        for (const auto& c : ranges) fw.rules.push_back(source_rule(KeyExpr::Saddr, c, verdict(VerdictKind::Return)));
        if (allow_from_node)
            for (const auto& ip : lb)
                fw.rules.push_back(source_rule(KeyExpr::Saddr, host_cidr(ip), verdict(VerdictKind::Return)));
        fw.rules.push_back(rule({verdict(VerdictKind::Drop)}));
        for (const auto& ip : lb)
            add_element(set(kFirewallIPs), dispatch_key(ip, sp.protocol, sp.port),
                        {{}, {VerdictKind::Goto, fw.name}, id});
    }

    // Endpoint choice for one path of a service with chains of its own: with ClientIP
    // affinity, a remembered client goes back to its endpoint; otherwise
    // (and for new clients) a random one.
    void add_selection(Chain& c, const ResolvedServicePort& sp, const std::vector<const ResolvedEndpoint*>& eps) {
        if (eps.empty()) return;
        if (sp.sessionAffinity == SessionAffinity::ClientIP) {
            std::vector<std::string> targets;
            for (const auto* ep : eps) {
                auto sep = endpoint_chain(sp, *ep);
                c.rules.push_back(rule({lookup(StmtKind::Lookup, {KeyExpr::Saddr}, affinity_set(sp, *ep)),
                                        verdict(VerdictKind::Goto, sep)}));
                targets.push_back(sep);
            }
            Stmt pick;
            pick.kind = StmtKind::NumgenVmapAnon;
            pick.modulus = static_cast<uint32_t>(targets.size());
            pick.chains = std::move(targets);
            c.rules.push_back(rule({pick}));
            return;
        }
        Stmt dnat;
        dnat.kind = StmtKind::DnatAnon;
        dnat.modulus = static_cast<uint32_t>(eps.size());
        for (const auto* ep : eps) dnat.targets.push_back({ep->ip, ep->port});
        c.rules.push_back(rule({l4proto(sp.protocol), dnat}));
    }

    // nft identifiers allow letters, digits and /_.- only: an IPv6
    // address's colons become dashes.
    static std::string endpoint_suffix(const ResolvedServicePort& sp, const ResolvedEndpoint& ep) {
        std::string ip = ep.ip.str();
        std::replace(ip.begin(), ip.end(), ':', '-');
        return service_chain_suffix(sp) + "/" + ip + "/" + std::to_string(ep.port);
    }

    std::string affinity_set(const ResolvedServicePort& sp, const ResolvedEndpoint& ep) {
        std::string name = "affinity-" + endpoint_suffix(sp, ep);
        if (!table_.sets.count(name)) {
            auto spec = set_spec(name, {family_addr_type()});
            spec.dynamic_timeout = true;
            spec.timeout_s = sp.sessionAffinityTimeout;
            Set s;
            s.spec = std::move(spec);
            s.owner = sp.id();
            table_.sets.emplace(name, std::move(s));
        }
        return name;
    }

    std::string endpoint_chain(const ResolvedServicePort& sp, const ResolvedEndpoint& ep) {
        std::string name = "endpoint-" + endpoint_suffix(sp, ep);
        auto& c = add_chain(name, std::nullopt, sp.id() + " endpoint " + ep.ip.str() + ":" + std::to_string(ep.port));
        if (c.rules.empty()) {
            Stmt update = lookup(StmtKind::UpdateSaddr, {KeyExpr::Saddr}, affinity_set(sp, ep));
            Stmt to;
            to.kind = StmtKind::DnatTo;
            to.targets = {{ep.ip, ep.port}};
            c.rules = {rule({update}), rule({l4proto(sp.protocol), to})};
        }
        return name;
    }

    void add_own_chains(const ResolvedServicePort& sp, const std::vector<const ResolvedEndpoint*>& cluster_eps,
                            const std::vector<const ResolvedEndpoint*>& external_eps,
                            bool external_paths, std::string& cluster_target, std::string& external_target) {
        const auto id = sp.id();
        const auto suffix = service_chain_suffix(sp);
        if (!cluster_eps.empty()) {
            auto& c = add_chain("service-" + suffix, std::nullopt, id);
            add_own_masquerade_rules(c, sp);
            add_selection(c, sp, cluster_eps);
            cluster_target = c.name;
        }
        if (!external_paths) return;
        auto& e = add_chain("external-" + suffix, std::nullopt, id);
        if (sp.externalTrafficPolicy == TrafficPolicy::Local) {
            // Short-circuit: pods and the node itself may use any endpoint
            // (the node's traffic is masqueraded so replies come back here).
            if (!cluster_target.empty()) {
                for (const auto& c : cluster_cidrs_)
                    e.rules.push_back(source_rule(KeyExpr::Saddr, c, verdict(VerdictKind::Goto, cluster_target)));
                e.rules.push_back(rule({fib_local(KeyExpr::Saddr), verdict(VerdictKind::Jump, kMarkForMasquerade)}));
                e.rules.push_back(rule({fib_local(KeyExpr::Saddr), verdict(VerdictKind::Goto, cluster_target)}));
            }
        } else {
            e.rules.push_back(rule({verdict(VerdictKind::Jump, kMarkForMasquerade)}));
        }
        add_selection(e, sp, external_eps);
        external_target = e.name;
    }
};

}  // namespace

std::string class_chain_dependency(const std::string& name) {
    constexpr std::string_view external = "external-";
    if (name.compare(0, external.size(), external) != 0 || !is_class_chain(name)) return {};
    return "cluster-" + name.substr(external.size());
}

size_t class_chain_count(const std::string& name) {
    for (std::string_view prefix : {"cluster-", "external-", "nodeport-"}) {
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        size_t n = 0;
        for (size_t i = prefix.size(); i < name.size(); ++i) {
            const char c = name[i];
            if (c < '0' || c > '9' || n > 1'000'000'000) return 0;
            n = n * 10 + static_cast<size_t>(c - '0');
        }
        return n;
    }
    return 0;
}

bool port_in_family(const ResolvedServicePort& sp, IPFamily family) {
    bool present = sp.nodePort != 0;
    for (const auto* list : {&sp.clusterIPs, &sp.externalIPs, &sp.loadBalancerIPs})
        for (const auto& ip : *list) present |= ip.family == family;
    return present;
}

std::vector<WireBytes> hairpin_keys(const ResolvedServicePort& sp, IPFamily family) {
    std::vector<WireBytes> out;
    if (!port_in_family(sp, family)) return out;
    for (const auto* ep : usable_endpoints(sp, false)) {
        if (ep->ip.family != family) continue;
        WireBytes k;
        append_addr(k, ep->ip);
        append_addr(k, ep->ip);
        out.push_back(std::move(k));
    }
    return out;
}

std::vector<WireBytes> cluster_ip_keys(const ResolvedServicePort& sp, IPFamily family) {
    std::vector<WireBytes> out;
    for (const auto& ip : sp.clusterIPs) {
        if (ip.family != family) continue;
        WireBytes k;
        append_addr(k, ip);
        out.push_back(std::move(k));
    }
    return out;
}

WireBytes dispatch_key(const IPAddr& ip, Protocol proto, uint16_t port) {
    WireBytes k;
    append_addr(k, ip);
    append_proto(k, proto);
    append_port(k, port);
    return k;
}

WireBytes node_port_key(Protocol proto, uint16_t node_port) {
    WireBytes k;
    append_proto(k, proto);
    append_port(k, node_port);
    return k;
}

std::vector<WireBytes> claim_keys(const ResolvedServicePort& sp) {
    std::vector<WireBytes> out;
    for (const auto* list : {&sp.clusterIPs, &sp.externalIPs, &sp.loadBalancerIPs})
        for (const auto& ip : *list) out.push_back(dispatch_key(ip, sp.protocol, sp.port));
    if (sp.nodePort) out.push_back(node_port_key(sp.protocol, sp.nodePort));
    return out;
}

std::string service_chain_suffix(const ResolvedServicePort& sp) {
    return sp.ns + "/" + sp.name + "/" + lower_proto(sp.protocol) + "/" +
           (sp.portName.empty() ? std::to_string(sp.port) : sp.portName);
}

Ruleset build_ruleset(const ServiceState& state, const Settings& settings) {
    Ruleset rs;
    for (auto f : {IPFamily::IPv4, IPFamily::IPv6}) rs.tables.push_back(TableBuilder(state, settings, f).build());
    return rs;
}

}  // namespace svcnat::nft
