#include "object_json.hpp"

#include <yaml.h>

#include <cctype>
#include <regex>
#include <stdexcept>

namespace svcnat::cli {

using nlohmann::json;

namespace {

json meta_json(const ObjectMeta& m) {
    json j = {{"name", m.name}, {"namespace", m.ns}};
    if (!m.labels.empty()) j["labels"] = m.labels;
    if (!m.annotations.empty()) j["annotations"] = m.annotations;
    return j;
}

json ips_json(const std::vector<IPAddr>& ips) {
    json a = json::array();
    for (const auto& ip : ips) a.push_back(ip.str());
    return a;
}

json address_json(const EndpointAddress& a) {
    json j = {{"ip", a.ip.str()}};
    if (!a.nodeName.empty()) j["nodeName"] = a.nodeName;
    if (!a.hostname.empty()) j["hostname"] = a.hostname;
    if (!a.targetPodName.empty()) j["targetRef"] = {{"kind", "Pod"}, {"name", a.targetPodName}};
    return j;
}

}  // namespace

json to_json(const Service& svc) {
    json spec;
    spec["type"] = std::string(to_string(svc.type));
    const bool external_name = svc.type == ServiceType::ExternalName;
    if (svc.headless) {
        spec["clusterIP"] = "None";
        spec["clusterIPs"] = {"None"};
    } else if (!svc.clusterIPs.empty()) {
        spec["clusterIP"] = svc.clusterIPs.front().str();
        spec["clusterIPs"] = ips_json(svc.clusterIPs);
    }
    if (!external_name) {
        json fams = json::array();
        for (auto f : svc.ipFamilies) fams.push_back(std::string(to_string(f)));
        spec["ipFamilies"] = fams;
        spec["ipFamilyPolicy"] = std::string(to_string(svc.ipFamilyPolicy));
        spec["internalTrafficPolicy"] = std::string(to_string(svc.internalTrafficPolicy));
    }
    if (external_name) spec["externalName"] = svc.externalName;
    if (!svc.ports.empty()) {
        json ports = json::array();
        for (const auto& p : svc.ports) {
            json pj = {{"port", p.port}, {"protocol", std::string(to_string(p.protocol))}};
            if (!p.name.empty()) pj["name"] = p.name;
            if (p.targetPort.is_name) pj["targetPort"] = p.targetPort.name;
            else pj["targetPort"] = p.targetPort.number;
            if (p.nodePort) pj["nodePort"] = p.nodePort;
            if (!p.appProtocol.empty()) pj["appProtocol"] = p.appProtocol;
            ports.push_back(pj);
        }
        spec["ports"] = ports;
    }
    if (svc.has_selector && !svc.selector.empty()) spec["selector"] = svc.selector;
    spec["sessionAffinity"] = std::string(to_string(svc.sessionAffinity));
    if (svc.sessionAffinity == SessionAffinity::ClientIP)
        spec["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", svc.sessionAffinityTimeout}}}};
    if (!svc.externalIPs.empty()) spec["externalIPs"] = ips_json(svc.externalIPs);
    if (svc.type == ServiceType::NodePort || svc.type == ServiceType::LoadBalancer)
        spec["externalTrafficPolicy"] = std::string(to_string(svc.externalTrafficPolicy));
    if (svc.type == ServiceType::LoadBalancer) spec["allocateLoadBalancerNodePorts"] = svc.allocateLoadBalancerNodePorts;
    if (svc.healthCheckNodePort) spec["healthCheckNodePort"] = svc.healthCheckNodePort;
    if (svc.loadBalancerIP) spec["loadBalancerIP"] = svc.loadBalancerIP->str();
    if (!svc.loadBalancerSourceRanges.empty()) {
        json r = json::array();
        for (const auto& c : svc.loadBalancerSourceRanges) r.push_back(c.str());
        spec["loadBalancerSourceRanges"] = r;
    }
    if (svc.publishNotReadyAddresses) spec["publishNotReadyAddresses"] = true;

    json status = {{"loadBalancer", json::object()}};
    if (!svc.loadBalancerIngress.empty()) {
        json ingress = json::array();
        for (const auto& ip : svc.loadBalancerIngress) ingress.push_back({{"ip", ip.str()}});
        status["loadBalancer"]["ingress"] = ingress;
    }
    return {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", meta_json(svc.meta)}, {"spec", spec},
            {"status", status}};
}

json to_json(const Endpoints& eps) {
    json subsets = json::array();
    for (const auto& ss : eps.subsets) {
        json s;
        if (!ss.addresses.empty()) {
            s["addresses"] = json::array();
            for (const auto& a : ss.addresses) s["addresses"].push_back(address_json(a));
        }
        if (!ss.notReadyAddresses.empty()) {
            s["notReadyAddresses"] = json::array();
            for (const auto& a : ss.notReadyAddresses) s["notReadyAddresses"].push_back(address_json(a));
        }
        json ports = json::array();
        for (const auto& p : ss.ports) {
            json pj = {{"port", p.port}, {"protocol", std::string(to_string(p.protocol))}};
            if (!p.name.empty()) pj["name"] = p.name;
            ports.push_back(pj);
        }
        if (!ports.empty()) s["ports"] = ports;
        subsets.push_back(s);
    }
    json j = {{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"metadata", meta_json(eps.meta)}};
    if (!subsets.empty()) j["subsets"] = subsets;
    return j;
}

json list_json(std::vector<json> items) {
    return {{"apiVersion", "v1"}, {"items", items}, {"kind", "List"}, {"metadata", {{"resourceVersion", ""}}}};
}

namespace {

// Strings a YAML 1.1 reader would take for something else (number, bool,
// null) or that cannot be plain; these are written double-quoted.
bool needs_quotes(const std::string& s) {
    if (s.empty()) return true;
    static const std::regex special(
        "^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$");
    static const std::regex number("^[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F]+$");
    return std::regex_match(s, special) || std::regex_match(s, number);
}

class Emitter {
public:
    Emitter() {
        if (!yaml_emitter_initialize(&emitter_)) throw std::runtime_error("libyaml: cannot initialise emitter");
        yaml_emitter_set_output(&emitter_, &Emitter::write, this);
        yaml_emitter_set_unicode(&emitter_, 1);
        yaml_emitter_set_width(&emitter_, -1);  // never fold long lines
        yaml_emitter_set_indent(&emitter_, 2);
    }
    ~Emitter() { yaml_emitter_delete(&emitter_); }
    Emitter(const Emitter&) = delete;
    Emitter& operator=(const Emitter&) = delete;

    std::string run(const json& doc) {
        yaml_event_t ev;
        yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
        emit(ev);
        yaml_document_start_event_initialize(&ev, nullptr, nullptr, nullptr, 1);
        emit(ev);
        node(doc);
        yaml_document_end_event_initialize(&ev, 1);
        emit(ev);
        yaml_stream_end_event_initialize(&ev);
        emit(ev);
        return out_;
    }

private:
    static int write(void* self, unsigned char* buf, size_t size) {
        static_cast<Emitter*>(self)->out_.append(reinterpret_cast<char*>(buf), size);
        return 1;
    }

    void emit(yaml_event_t& ev) {
        if (!yaml_emitter_emit(&emitter_, &ev))
            throw std::runtime_error(std::string("libyaml: ") + (emitter_.problem ? emitter_.problem : "emit failed"));
    }

    void scalar(const std::string& text, bool quoted) {
        yaml_event_t ev;
        auto* value = reinterpret_cast<yaml_char_t*>(const_cast<char*>(text.c_str()));
        yaml_scalar_event_initialize(&ev, nullptr, nullptr, value, static_cast<int>(text.size()), 1, 1,
                                     quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
        emit(ev);
    }

    void node(const json& j) {
        yaml_event_t ev;
        if (j.is_object()) {
            yaml_mapping_start_event_initialize(&ev, nullptr, nullptr, 1,
                                                j.empty() ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
            emit(ev);
            for (auto it = j.begin(); it != j.end(); ++it) {
                scalar(it.key(), needs_quotes(it.key()));
                node(it.value());
            }
            yaml_mapping_end_event_initialize(&ev);
            emit(ev);
        } else if (j.is_array()) {
            yaml_sequence_start_event_initialize(&ev, nullptr, nullptr, 1,
                                                 j.empty() ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
            emit(ev);
            for (const auto& v : j) node(v);
            yaml_sequence_end_event_initialize(&ev);
            emit(ev);
        } else if (j.is_string()) {
            const auto& s = j.get_ref<const std::string&>();
            scalar(s, needs_quotes(s));
        } else if (j.is_null()) {
            scalar("null", false);
        } else {
            scalar(j.dump(), false);  // numbers and booleans
        }
    }

    yaml_emitter_t emitter_{};
    std::string out_;
};

}  // namespace

std::string to_yaml(const json& doc) { return Emitter().run(doc); }

}  // namespace svcnat::cli
