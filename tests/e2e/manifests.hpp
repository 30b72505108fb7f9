// Kubernetes manifests for the e2e tests: a temporary directory to write them
// into (what `svcnat sync` and `svcnat run` read), and builders for the
// objects every test needs (the Node, Pods matching the lab's pods,
// EndpointSlices with explicit conditions). Services are written out in full
// by each test, so the test reads like the YAML a user would write.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace svcnat::e2e {

class ManifestDir {
public:
    ManifestDir();   // a fresh directory under $TMPDIR (or /tmp)
    ~ManifestDir();  // removes it
    ManifestDir(const ManifestDir&) = delete;
    ManifestDir& operator=(const ManifestDir&) = delete;

    const std::string& path() const { return path_; }
    void write(const std::string& file, const std::string& yaml) const;  // atomically (rename)
    void remove(const std::string& file) const;
    void clear() const;  // every file

private:
    std::string path_;
};

// The lab's node as a Node object (name node-a, InternalIP 203.0.113.1 unless told).
std::string node_yaml(const std::string& name = "node-a", const std::string& internal_ip = "203.0.113.1");
// A Node with several InternalIPs (one per family for a dual-stack node).
std::string node_yaml(const std::string& name, const std::vector<std::string>& internal_ips);

struct ContainerPortSpec {
    std::string name;
    int port = 0;
    std::string protocol = "TCP";
};

struct PodSpec {
    std::string name;
    std::vector<std::string> ips;  // status.podIPs, first one also status.podIP
    std::string node = "node-a";
    std::vector<std::pair<std::string, std::string>> labels{{"app", "web"}};
    std::vector<ContainerPortSpec> ports{
        {"http", 8080, "TCP"}, {"metrics", 9090, "TCP"}, {"dns", 53, "UDP"}, {"echo", 7777, "TCP"}};
    bool ready = true;
    bool terminating = false;  // metadata.deletionTimestamp set
};
std::string pod_yaml(const PodSpec& pod);

struct SliceEndpointSpec {
    std::string ip;
    std::string node = "node-a";  // "" = no nodeName (never local)
    bool ready = true;
    bool serving = true;
    bool terminating = false;
};
// An EndpointSlice labelled kubernetes.io/service-name: for a selector-less
// Service, or written next to a selector Service's Pods (as in a cluster export).
std::string endpoint_slice_yaml(const std::string& name, const std::string& service,
                                const std::vector<SliceEndpointSpec>& endpoints,
                                const std::vector<ContainerPortSpec>& ports, const std::string& address_type = "IPv4");

// Documents joined with "---".
std::string documents(const std::vector<std::string>& docs);

}  // namespace svcnat::e2e
