// kubectl's renderings of Services and Endpoints (k8s.io/kubectl printers and
// describers), reimplemented over svcnat's model so that `svcnat get` and
// `svcnat describe` read exactly like the kubectl output users know.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "control/model/objects.hpp"
#include "control/model/resolved.hpp"

namespace svcnat::cli {

// "app=kubia,tier=web" sorted by key, "<none>" when empty (labels.FormatLabels).
std::string format_labels(const Labels& labels);

// CLUSTER-IP: the primary cluster IP, "None" for headless, "<none>" if unset.
std::string cluster_ip_column(const Service& svc);
// EXTERNAL-IP: externalIPs, LB ingress (+ externalIPs), "<pending>" for a
// LoadBalancer without ingress, externalName for ExternalName.
std::string external_ip_column(const Service& svc, bool wide);
// PORT(S): "80:30123/TCP,443/TCP"; "<none>" without ports.
std::string ports_column(const Service& svc);

// The Endpoints object the endpoints controller would write for a service
// with a selector: one subset per (service port, target port), ready
// addresses in `addresses`, the others in `notReadyAddresses`.
// `per_port`: the service's resolved endpoints (service_endpoints()).
Endpoints synthesize_endpoints(const Service& svc, const std::vector<std::vector<ResolvedEndpoint>>& per_port);

// Every Endpoints object a cluster would have: synthesized for services with
// a selector (not ExternalName), the manifests' own for the others. Sorted by
// (namespace, name).
std::vector<Endpoints> all_endpoints(const Manifests& manifests, const NodeInfo& node);

// ENDPOINTS column / describe's Endpoints line (kubectl formatEndpoints):
// ready "ip:port" up to three, then " + N more..."; only ports named
// `port_name` when given.
std::string format_endpoints(const Endpoints* eps, const std::optional<std::string>& port_name = std::nullopt);

// A describe field holding a map, one "key<sep>value" per line ("<none>"
// when empty), and the annotations describe shows (not kubectl's own).
void multiline(std::string& out, const char* title, const Labels& values, const char* sep);
Labels described_annotations(const ObjectMeta& meta);

// kubectl describe service, tab-aligned.
std::string describe_service(const Service& svc, const Endpoints* eps);

}  // namespace svcnat::cli
