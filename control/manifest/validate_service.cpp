// Service validation as pkg/apis/core/validation.ValidateService and the
// ClusterIP / NodePort allocators do it, with their messages and field
// paths, followed by conversion to the model with the API server's defaults.
#include <algorithm>

#include "api_validation.hpp"
#include "service_raw.hpp"

namespace svcnat::manifest {

namespace {

bool externally_accessible(ServiceType type, const RawService& raw) {
    return type == ServiceType::LoadBalancer || type == ServiceType::NodePort ||
           (type == ServiceType::ClusterIP && !raw.externalIPs.values.empty());
}

const std::string_view kPortRangeDetail = "provided port is not in the valid range. The range of valid ports is ";

// One Service's spec, field group by field group, in the order the API
// server reports them. Each step reports into the Decoder and fills `out`
// with what is valid.
class ServiceValidator {
public:
    ServiceValidator(Decoder& d, const RawService& raw, uint32_t object_line, const Settings& settings, Service& out,
                     ServiceLines& lines)
        : d_(d), raw_(raw), settings_(settings), out_(out), lines_(lines),
          spec_line_(raw.spec_line ? raw.spec_line : object_line) {}

    void run() {
        type();
        addresses();
        ports();
        no_headless_node_ports();
        selector();
        external_ips();
        load_balancer_fields();
        session_affinity();
        traffic_policies();
        health_check_node_port();
        allocate_load_balancer_node_ports();
        if (raw_.publishNotReadyAddresses.set) out_.publishNotReadyAddresses = raw_.publishNotReadyAddresses.value;
    }

private:
    bool is(ServiceType t) const { return type_known_ && out_.type == t; }

    void type() {
        if (!raw_.type.set) return;
        if (auto t = parse_service_type(raw_.type.value)) {
            out_.type = *t;
            return;
        }
        type_known_ = false;
        d_.error(raw_.type.line, spec_.child("type"),
                 unsupported(raw_.type.value, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
    }

    // clusterIP / clusterIPs, synchronised as the API server's strategy
    // does; then either an ExternalName or the cluster IP fields.
    void addresses() {
        ips_ = raw_.clusterIPs.values;
        ips_line_ = raw_.clusterIPs.set ? raw_.clusterIPs.line : raw_.clusterIP.line;
        if (ips_.empty() && raw_.clusterIP.set && !raw_.clusterIP.value.empty()) ips_.push_back(raw_.clusterIP.value);
        lines_.clusterIP = ips_line_;
        out_.headless = ips_.size() == 1 && ips_[0] == "None";
        if (is(ServiceType::ExternalName)) {
            external_name();
            return;
        }
        clusterip_matches_clusterips();
        ip_families();
        ip_family_policy();
        // Whether the addresses lie in the cluster's service ranges is
        // checked by cross_check(), once every ServiceCIDR is known.
        if (parse_cluster_ips()) cluster_ips_match_families();
        out_.clusterIPs = parsed_ips_;
        if (out_.ipFamilies.empty())
            for (const IPAddr& ip : parsed_ips_) out_.ipFamilies.push_back(ip.family);
    }

    void external_name() {
        auto forbid = [&](bool set, uint32_t line, std::string_view field) {
            if (set) d_.error(line, spec_.child(field), forbidden("may not be set for ExternalName services"));
        };
        forbid(raw_.clusterIP.set && !raw_.clusterIP.value.empty(), raw_.clusterIP.line, "clusterIP");
        forbid(raw_.clusterIPs.set && !raw_.clusterIPs.values.empty(), raw_.clusterIPs.line, "clusterIPs");
        forbid(raw_.ipFamilies.set && !raw_.ipFamilies.values.empty(), raw_.ipFamilies.line, "ipFamilies");
        forbid(raw_.ipFamilyPolicy.set, raw_.ipFamilyPolicy.line, "ipFamilyPolicy");
        std::string cname = raw_.externalName.value;
        if (!cname.empty() && cname.back() == '.') cname.pop_back();
        const FieldPath en = spec_.child("externalName");
        if (cname.empty()) {
            d_.error(raw_.externalName.set ? raw_.externalName.line : spec_line_, en, required());
        } else {
            for (auto& m : dns1123_subdomain_errors(cname)) d_.error(raw_.externalName.line, en, invalid(quote(cname), m));
        }
        out_.externalName = raw_.externalName.value;
        out_.headless = false;
    }

    void clusterip_matches_clusterips() {
        if (raw_.clusterIP.set && !raw_.clusterIP.value.empty() && raw_.clusterIPs.set &&
            !raw_.clusterIPs.values.empty() && raw_.clusterIPs.values[0] != raw_.clusterIP.value)
            d_.error(raw_.clusterIPs.line, ips_path_,
                     invalid(go_string_list(raw_.clusterIPs.values), "first value must match `clusterIP`"));
    }

    void ip_families() {
        const FieldPath families_path = spec_.child("ipFamilies");
        for (size_t i = 0; i < raw_.ipFamilies.values.size(); ++i) {
            const std::string& f = raw_.ipFamilies.values[i];
            const FieldPath fp = families_path.index(i);
            const uint32_t line = raw_.ipFamilies.lines[i];
            if (f != "IPv4" && f != "IPv6") {
                d_.error(line, fp, unsupported(f, {"IPv4", "IPv6"}));
                continue;
            }
            const IPFamily family = f == "IPv4" ? IPFamily::IPv4 : IPFamily::IPv6;
            if (std::find(out_.ipFamilies.begin(), out_.ipFamilies.end(), family) != out_.ipFamilies.end()) {
                d_.error(line, fp, duplicate(quote(f)));
                continue;
            }
            out_.ipFamilies.push_back(family);
            lines_.ipFamilies.push_back(line);  // configured? cross_check() knows the cluster's ranges
        }
    }

    void ip_family_policy() {
        if (!raw_.ipFamilyPolicy.set) {
            // The API server defaults the policy from what was asked for.
            if (out_.ipFamilies.size() > 1 || ips_.size() > 1) out_.ipFamilyPolicy = IPFamilyPolicy::RequireDualStack;
            return;
        }
        const FieldPath policy_path = spec_.child("ipFamilyPolicy");
        const uint32_t line = raw_.ipFamilyPolicy.line;
        const std::string& value = raw_.ipFamilyPolicy.value;
        auto policy = parse_ip_family_policy(value);
        if (!policy) {
            d_.error(line, policy_path, unsupported(value, {"PreferDualStack", "RequireDualStack", "SingleStack"}));
            return;
        }
        out_.ipFamilyPolicy = *policy;
        lines_.ipFamilyPolicy = line;  // RequireDualStack on a dual-stack cluster? cross_check()
        if (*policy == IPFamilyPolicy::SingleStack && out_.ipFamilies.size() > 1)
            d_.error(line, policy_path,
                     invalid(quote(value),
                             "must be RequireDualStack or PreferDualStack when multiple 'ipFamilies' are specified"));
        if (*policy == IPFamilyPolicy::SingleStack && ips_.size() > 1)
            d_.error(line, policy_path,
                     invalid(quote(value),
                             "must be RequireDualStack or PreferDualStack when multiple 'clusterIPs' are specified"));
    }

    // False when an entry is not an IP (the later checks would only repeat it).
    bool parse_cluster_ips() {
        bool bad = false;
        for (size_t i = 0; i < ips_.size(); ++i) {
            if (i == 0 && ips_[0] == "None") {
                if (ips_.size() > 1) {
                    bad = true;
                    d_.error(ips_line_, ips_path_, invalid(go_string_list(ips_), "'None' must be the first and only value"));
                }
                continue;
            }
            auto ip = IPAddr::parse(ips_[i]);
            if (!ip) {
                bad = true;
                d_.error(ips_line_, ips_path_.index(i), invalid(quote(ips_[i]), kIPMessage));
                continue;
            }
            parsed_ips_.push_back(*ip);
        }
        if (ips_.size() > 2) d_.error(ips_line_, ips_path_, invalid(go_string_list(ips_), "may only hold up to 2 values"));
        if (bad) parsed_ips_.clear();
        return !bad;
    }

    void cluster_ips_match_families() {
        if (parsed_ips_.size() == 2 && parsed_ips_[0].family == parsed_ips_[1].family)
            d_.error(ips_line_, ips_path_,
                     invalid(go_string_list(ips_), "may specify no more than one IP for each IP family"));
        if (out_.headless) return;
        for (size_t i = 0; i < parsed_ips_.size() && i < raw_.ipFamilies.values.size(); ++i) {
            const std::string& f = raw_.ipFamilies.values[i];
            if ((f == "IPv4" && !parsed_ips_[i].is_v4()) || (f == "IPv6" && parsed_ips_[i].is_v4()))
                d_.error(ips_line_, ips_path_.index(i),
                         invalid(quote(ips_[i]), "expected an " + f + " value as indicated by `ipFamilies[" +
                                                     std::to_string(i) + "]`"));
        }
    }

    void ports() {
        if (raw_.ports.empty() && !raw_.ports_mistyped && !out_.headless && out_.type != ServiceType::ExternalName)
            d_.error(raw_.ports_line ? raw_.ports_line : spec_line_, spec_.child("ports"), required());
        for (size_t i = 0; i < raw_.ports.size(); ++i) out_.ports.push_back(port(i));
    }

    ServicePort port(size_t i) {
        const RawPort& rp = raw_.ports[i];
        const FieldPath ports = spec_.child("ports");
        const FieldPath pp = ports.index(i);
        ServicePort sp;
        sp.line = rp.line;
        port_name(rp, pp, sp);
        if (rp.protocol.set) {
            if (auto p = parse_protocol(rp.protocol.value)) sp.protocol = *p;
            else d_.error(rp.protocol.line, pp.child("protocol"), unsupported(rp.protocol.value, {"SCTP", "TCP", "UDP"}));
        }
        // Absent or null: the API server would see 0 and call it invalid;
        // saying it is required is what the user needs to hear.
        if (!rp.port.set) {
            if (!rp.port.mistyped) d_.error(rp.port.line ? rp.port.line : rp.line, pp.child("port"), required());
        }
        else if (rp.port.value < 1 || rp.port.value > 65535)
            d_.error(rp.port.line, pp.child("port"), invalid(std::to_string(rp.port.value), kPortRangeMessage));
        else
            sp.port = static_cast<uint16_t>(rp.port.value);
        target_port(rp, pp, sp);
        if (rp.appProtocol.set && !rp.appProtocol.value.empty()) {
            for (auto& m : qualified_name_errors(rp.appProtocol.value))
                d_.error(rp.appProtocol.line, pp.child("appProtocol"), invalid(quote(rp.appProtocol.value), m));
            sp.appProtocol = rp.appProtocol.value;
        }
        if (sp.port) {
            const std::pair<Protocol, int64_t> key{sp.protocol, sp.port};
            if (std::find(seen_ports_.begin(), seen_ports_.end(), key) != seen_ports_.end())
                d_.error(rp.line, pp,
                         duplicate("core.ServicePort{Protocol:" + quote(to_string(sp.protocol)) +
                                   ", Port:" + std::to_string(sp.port) + "}"));
            seen_ports_.push_back(key);
        }
        node_port(rp, pp, sp);
        return sp;
    }

    void port_name(const RawPort& rp, const FieldPath& pp, ServicePort& sp) {
        const FieldPath name_path = pp.child("name");
        if (rp.name.value.empty()) {
            if (raw_.ports.size() > 1) d_.error(rp.line, name_path, required());
            return;
        }
        for (auto& m : dns1123_label_errors(rp.name.value)) d_.error(rp.name.line, name_path, invalid(quote(rp.name.value), m));
        if (std::find(port_names_.begin(), port_names_.end(), rp.name.value) != port_names_.end())
            d_.error(rp.name.line, name_path, duplicate(quote(rp.name.value)));
        port_names_.push_back(rp.name.value);
        sp.name = rp.name.value;
    }

    void target_port(const RawPort& rp, const FieldPath& pp, ServicePort& sp) {
        const FieldPath target_path = pp.child("targetPort");
        const IntOrString& t = rp.targetPort.value;
        // The API server defaults an absent, 0 or "" targetPort to the port.
        if (!rp.targetPort.set || (!t.is_name && t.number == 0) || (t.is_name && t.name.empty())) {
            sp.targetPort.number = sp.port;
        } else if (t.is_name) {
            for (auto& m : port_name_errors(t.name)) d_.error(rp.targetPort.line, target_path, invalid(quote(t.name), m));
            sp.targetPort = t;
        } else if (t.number < 1 || t.number > 65535) {
            d_.error(rp.targetPort.line, target_path, invalid(std::to_string(t.number), kPortRangeMessage));
        } else {
            sp.targetPort = t;
        }
    }

    void node_port(const RawPort& rp, const FieldPath& pp, ServicePort& sp) {
        lines_.nodePort.push_back(rp.nodePort.set ? rp.nodePort.line : 0);
        if (!rp.nodePort.set || rp.nodePort.value == 0) return;
        const FieldPath np_path = pp.child("nodePort");
        const int64_t np = rp.nodePort.value;
        if (is(ServiceType::ClusterIP)) {
            d_.error(rp.nodePort.line, np_path, forbidden("may not be used when `type` is 'ClusterIP'"));
            return;
        }
        if (!type_known_ || out_.type == ServiceType::ExternalName) return;
        const std::pair<Protocol, int64_t> key{sp.protocol, np};
        if (std::find(seen_node_ports_.begin(), seen_node_ports_.end(), key) != seen_node_ports_.end())
            d_.error(rp.nodePort.line, np_path, duplicate(std::to_string(np)));
        seen_node_ports_.push_back(key);
        if (np < 0 || np > 65535 || !settings_.node_port_range.contains(static_cast<uint32_t>(np)))
            d_.error(rp.nodePort.line, np_path,
                     invalid(std::to_string(np), std::string(kPortRangeDetail) + settings_.node_port_range.str()));
        else
            sp.nodePort = static_cast<uint16_t>(np);
    }

    void no_headless_node_ports() {
        if (out_.headless && (is(ServiceType::NodePort) || is(ServiceType::LoadBalancer)))
            d_.error(ips_line_, ips_path_.index(0),
                     invalid(quote("None"),
                             "may not be set to 'None' for " + std::string(to_string(out_.type)) + " services"));
    }

    void selector() {
        if (!raw_.selector.set) return;
        const FieldPath sp = spec_.child("selector");
        for (const auto& [key, value] : raw_.selector.value) {
            for (auto& m : qualified_name_errors(key)) d_.error(raw_.selector.line, sp, invalid(quote(key), m));
            for (auto& m : label_value_errors(value)) d_.error(raw_.selector.line, sp, invalid(quote(value), m));
        }
        out_.selector = raw_.selector.value;
        out_.has_selector = !out_.selector.empty();
    }

    void external_ips() {
        const FieldPath ep = spec_.child("externalIPs");
        for (size_t i = 0; i < raw_.externalIPs.values.size(); ++i) {
            const std::string& s = raw_.externalIPs.values[i];
            const FieldPath fp = ep.index(i);
            auto ip = IPAddr::parse(s);
            if (!ip) {
                d_.error(raw_.externalIPs.lines[i], fp, invalid(quote(s), kIPMessage));
                continue;
            }
            const auto reserved = special_ip_errors(s);
            for (auto& m : reserved) d_.error(raw_.externalIPs.lines[i], fp, invalid(quote(s), m));
            if (reserved.empty()) out_.externalIPs.push_back(*ip);
        }
    }

    // loadBalancerIP, loadBalancerClass, loadBalancerSourceRanges and the
    // status' ingress IPs (validated by the decoder).
    void load_balancer_fields() {
        if (raw_.loadBalancerIP.set && !raw_.loadBalancerIP.value.empty()) {
            if (auto ip = IPAddr::parse(raw_.loadBalancerIP.value))
                out_.loadBalancerIP = *ip;
            else
                d_.error(raw_.loadBalancerIP.line, spec_.child("loadBalancerIP"),
                         invalid(quote(raw_.loadBalancerIP.value), kIPMessage));
        }
        if (raw_.loadBalancerClass.set && type_known_) {
            const FieldPath fp = spec_.child("loadBalancerClass");
            if (out_.type != ServiceType::LoadBalancer)
                d_.error(raw_.loadBalancerClass.line, fp, forbidden("may only be used when `type` is 'LoadBalancer'"));
            else
                for (auto& m : qualified_name_errors(raw_.loadBalancerClass.value))
                    d_.error(raw_.loadBalancerClass.line, fp, invalid(quote(raw_.loadBalancerClass.value), m));
        }
        source_ranges();
        for (const auto& f : raw_.ingressIPs) out_.loadBalancerIngress.push_back(*IPAddr::parse(f.value));
    }

    void source_ranges() {
        const auto& ranges = raw_.loadBalancerSourceRanges;
        if (ranges.values.empty()) return;
        const FieldPath rp = spec_.child("loadBalancerSourceRanges");
        if (type_known_ && out_.type != ServiceType::LoadBalancer)
            d_.error(ranges.line, rp, forbidden("may only be used when `type` is 'LoadBalancer'"));
        for (size_t i = 0; i < ranges.values.size(); ++i) {
            std::string_view s = ranges.values[i];
            // Historically space-padded values are allowed (annotation legacy).
            while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
            while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
            if (auto cidr = CIDR::parse(s)) out_.loadBalancerSourceRanges.push_back(*cidr);
            else d_.error(ranges.lines[i], rp.index(i), invalid(quote(s), kCIDRMessage));
        }
    }

    void session_affinity() {
        const FieldPath cp = spec_.child("sessionAffinityConfig");
        if (raw_.sessionAffinity.set) {
            if (auto a = parse_session_affinity(raw_.sessionAffinity.value))
                out_.sessionAffinity = *a;
            else
                d_.error(raw_.sessionAffinity.line, spec_.child("sessionAffinity"),
                         unsupported(raw_.sessionAffinity.value, {"ClientIP", "None"}));
        }
        const bool affinity_known = !raw_.sessionAffinity.set || parse_session_affinity(raw_.sessionAffinity.value);
        if (affinity_known && out_.sessionAffinity == SessionAffinity::None && raw_.sessionAffinityConfig_line)
            d_.error(raw_.sessionAffinityConfig_line, cp, forbidden("must not be set when session affinity is None"));
        if (out_.sessionAffinity != SessionAffinity::ClientIP || !raw_.timeoutSeconds.set) return;
        const int64_t t = raw_.timeoutSeconds.value;
        const FieldPath client = cp.child("clientIP");
        if (t <= 0 || t > 86400)
            d_.error(raw_.timeoutSeconds.line, client.child("timeoutSeconds"),
                     invalid(std::to_string(t), "must be greater than 0 and less than 86400"));
        else
            out_.sessionAffinityTimeout = static_cast<uint32_t>(t);
    }

    void traffic_policies() {
        const auto& etp = raw_.externalTrafficPolicy;
        if (etp.set && !etp.value.empty() && type_known_) {
            const FieldPath ep = spec_.child("externalTrafficPolicy");
            if (!externally_accessible(out_.type, raw_))
                d_.error(etp.line, ep, invalid(quote(etp.value), "may only be set for externally-accessible services"));
            else if (auto p = parse_traffic_policy(etp.value))
                out_.externalTrafficPolicy = *p;
            else
                d_.error(etp.line, ep, unsupported(etp.value, {"Cluster", "Local"}));
        }
        const auto& itp = raw_.internalTrafficPolicy;
        if (itp.set) {
            if (itp.value != "Cluster" && itp.value != "Local")
                d_.error(itp.line, spec_.child("internalTrafficPolicy"), unsupported(itp.value, {"Cluster", "Local"}));
            else
                out_.internalTrafficPolicy = *parse_traffic_policy(itp.value);
        }
    }

    void health_check_node_port() {
        const auto& hc = raw_.healthCheckNodePort;
        lines_.healthCheckNodePort = hc.line;
        if (!hc.set || hc.value == 0 || !type_known_) return;
        const FieldPath hp = spec_.child("healthCheckNodePort");
        const int64_t p = hc.value;
        if (out_.type != ServiceType::LoadBalancer || out_.externalTrafficPolicy != TrafficPolicy::Local)
            d_.error(hc.line, hp,
                     invalid(std::to_string(p),
                             "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
        else if (p < 0 || p > 65535 || !settings_.node_port_range.contains(static_cast<uint32_t>(p)))
            d_.error(hc.line, hp, invalid(std::to_string(p), std::string(kPortRangeDetail) + settings_.node_port_range.str()));
        else
            out_.healthCheckNodePort = static_cast<uint16_t>(p);
    }

    void allocate_load_balancer_node_ports() {
        const auto& f = raw_.allocateLoadBalancerNodePorts;
        if (!f.set) return;
        if (type_known_ && out_.type != ServiceType::LoadBalancer)
            d_.error(f.line, spec_.child("allocateLoadBalancerNodePorts"),
                     forbidden("may only be used when `type` is 'LoadBalancer'"));
        else
            out_.allocateLoadBalancerNodePorts = f.value;
    }

    Decoder& d_;
    const RawService& raw_;
    const Settings& settings_;
    Service& out_;
    ServiceLines& lines_;
    const uint32_t spec_line_;
    const FieldPath root_;
    const FieldPath spec_ = root_.child("spec");
    const FieldPath ips_path_ = spec_.child("clusterIPs");
    bool type_known_ = true;
    std::vector<std::string> ips_;  // clusterIPs as given (clusterIP when only it is)
    uint32_t ips_line_ = 0;
    std::vector<IPAddr> parsed_ips_;
    std::vector<std::string> port_names_;
    std::vector<std::pair<Protocol, int64_t>> seen_ports_, seen_node_ports_;
};

}  // namespace

void validate_service(Decoder& d, const RawService& raw, uint32_t object_line, const Settings& settings, Service& out,
                      ServiceLines& lines) {
    ServiceValidator(d, raw, object_line, settings, out, lines).run();
}

}  // namespace svcnat::manifest
