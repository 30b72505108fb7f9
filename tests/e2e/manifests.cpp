#include "manifests.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace svcnat::e2e {

namespace fs = std::filesystem;

ManifestDir::ManifestDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/svcnat-e2e-manifests-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error(std::string("mkdtemp: ") + strerror(errno));
    path_ = pattern;
}

ManifestDir::~ManifestDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void ManifestDir::write(const std::string& file, const std::string& yaml) const {
    // Write a hidden temporary, then rename: a watcher never reads half a file
    // and svcnat skips hidden entries.
    const std::string final_path = path_ + "/" + file;
    const std::string tmp_path = path_ + "/." + file + ".tmp";
    {
        std::ofstream out(tmp_path, std::ios::trunc);
        out << yaml;
        if (!out) throw std::runtime_error("cannot write " + tmp_path);
    }
    fs::rename(tmp_path, final_path);
}

void ManifestDir::remove(const std::string& file) const { fs::remove(path_ + "/" + file); }

void ManifestDir::clear() const {
    for (const auto& entry : fs::directory_iterator(path_)) fs::remove_all(entry.path());
}

std::string node_yaml(const std::string& name, const std::string& internal_ip) {
    return node_yaml(name, std::vector<std::string>{internal_ip});
}

std::string node_yaml(const std::string& name, const std::vector<std::string>& internal_ips) {
    std::string y = "apiVersion: v1\nkind: Node\nmetadata:\n  name: " + name + "\nstatus:\n  addresses:\n";
    for (const auto& ip : internal_ips) y += "  - type: InternalIP\n    address: " + ip + "\n";
    return y;
}

static std::string ports_yaml(const std::vector<ContainerPortSpec>& ports, const std::string& indent,
                              const char* port_key) {
    std::string y;
    for (const auto& p : ports) {
        y += indent + "- " + port_key + ": " + std::to_string(p.port) + "\n";
        if (!p.name.empty()) y += indent + "  name: " + p.name + "\n";
        y += indent + "  protocol: " + p.protocol + "\n";
    }
    return y;
}

std::string pod_yaml(const PodSpec& pod) {
    if (pod.ips.empty()) throw std::invalid_argument("pod_yaml: pod " + pod.name + " has no IP");
    std::string y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + pod.name + "\n  namespace: default\n";
    if (pod.terminating) y += "  deletionTimestamp: \"2024-01-01T00:00:00Z\"\n";
    if (!pod.labels.empty()) {
        y += "  labels:\n";
        // Quoted: label values are strings, and YAML would read yes/no/1 otherwise.
        for (const auto& [k, v] : pod.labels) y += "    " + k + ": \"" + v + "\"\n";
    }
    y += "spec:\n  nodeName: " + pod.node + "\n  containers:\n  - name: podserver\n    image: svcnat/podserver\n";
    if (!pod.ports.empty()) y += "    ports:\n" + ports_yaml(pod.ports, "    ", "containerPort");
    y += "status:\n  phase: Running\n  podIP: " + pod.ips[0] + "\n  podIPs:\n";
    for (const auto& ip : pod.ips) y += "  - ip: " + ip + "\n";
    y += std::string("  conditions:\n  - type: Ready\n    status: \"") + (pod.ready ? "True" : "False") + "\"\n";
    return y;
}

std::string endpoint_slice_yaml(const std::string& name, const std::string& service,
                                const std::vector<SliceEndpointSpec>& endpoints,
                                const std::vector<ContainerPortSpec>& ports, const std::string& address_type) {
    auto b = [](bool v) { return std::string(v ? "true" : "false"); };
    std::string y = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name +
                    "\n  namespace: default\n  labels:\n    kubernetes.io/service-name: " + service +
                    "\naddressType: " + address_type + "\nendpoints:\n";
    for (const auto& e : endpoints) {
        y += "- addresses: [\"" + e.ip + "\"]\n";
        if (!e.node.empty()) y += "  nodeName: " + e.node + "\n";
        y += "  conditions:\n    ready: " + b(e.ready) + "\n    serving: " + b(e.serving) +
             "\n    terminating: " + b(e.terminating) + "\n";
    }
    y += "ports:\n";
    for (const auto& p : ports) {
        y += "- port: " + std::to_string(p.port) + "\n  protocol: " + p.protocol + "\n";
        if (!p.name.empty()) y += "  name: " + p.name + "\n";
    }
    return y;
}

std::string documents(const std::vector<std::string>& docs) {
    std::string y;
    for (const auto& d : docs) {
        if (!y.empty()) y += "---\n";
        y += d;
    }
    return y;
}

}  // namespace svcnat::e2e
