// Table-driven: bad manifests and the exact messages the loader gives, in
// the API server's words (field.ErrorList style) with file and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace svcnat::testing {
namespace {

// A Service named "s" whose spec starts on line 6 with `body`.
std::string svc(std::string_view body) {
    return "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n" + std::string(body);
}

std::string slice(std::string_view rest) {
    return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: s-1\n  labels:\n"
           "    kubernetes.io/service-name: s\n" + std::string(rest);
}

struct BadCase {
    const char* name;
    std::string yaml;
    std::vector<std::string> expected;
    bool dual_stack = false;
};

const std::string kIP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const std::string kPortRange = "must be between 1 and 65535, inclusive";
const std::string kDNS1035 =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const std::string kDNS1123Label =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const std::string kDNS1123Subdomain =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const std::string kNodePortRange = "provided port is not in the valid range. The range of valid ports is 30000-32767";

const std::vector<BadCase>& cases() {
    static const std::vector<BadCase> all = {
        {"MissingName", "apiVersion: v1\nkind: Service\nmetadata: {}\nspec:\n  ports: [{port: 80}]\n",
         {"t.yaml:3: metadata.name: Required value: name or generateName is required"}},
        {"MissingMetadata", "apiVersion: v1\nkind: Service\nspec:\n  ports: [{port: 80}]\n",
         {"t.yaml:2: metadata.name: Required value: name or generateName is required"}},
        {"ServiceNameNotDns1035", "apiVersion: v1\nkind: Service\nmetadata:\n  name: 1abc\nspec:\n  ports: [{port: 80}]\n",
         {"t.yaml:4: metadata.name: Invalid value: \"1abc\": " + kDNS1035}},
        {"ServiceNameTooLong",
         "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + std::string(64, 'a') + "\nspec:\n  ports: [{port: 80}]\n",
         {"t.yaml:4: metadata.name: Invalid value: \"" + std::string(64, 'a') + "\": must be no more than 63 characters"}},
        {"SliceNameNotDns1123Subdomain",
         "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: Bad_Name\n  labels: "
         "{kubernetes.io/service-name: s}\naddressType: IPv4\n",
         {"t.yaml:4: metadata.name: Invalid value: \"Bad_Name\": " + kDNS1123Subdomain}},
        {"NamespaceNotDns1123Label",
         "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: Prod\nspec:\n  ports: [{port: 80}]\n",
         {"t.yaml:5: metadata.namespace: Invalid value: \"Prod\": " + kDNS1123Label}},
        {"DuplicateServiceName", svc("  ports: [{port: 80}]\n---\n") + svc("  ports: [{port: 81}]\n"),
         {"t.yaml:9: metadata.name: Duplicate value: \"s\": already defined in namespace default at t.yaml:2"}},
        {"DuplicateClusterIP",
         svc("  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n---\n") +
             "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec:\n  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n",
         {"t.yaml:13: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: "
          "provided IP is already allocated (to Service default/s at t.yaml:2)"}},
        {"ClusterIPOutsideServiceCIDR", svc("  clusterIP: 10.0.0.1\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.clusterIPs: Invalid value: []string{\"10.0.0.1\"}: failed to allocate IP 10.0.0.1: the "
          "provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"}},
        {"ClusterIPIsTheNetworkAddress", svc("  clusterIP: 10.96.0.0\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.clusterIPs: Invalid value: []string{\"10.96.0.0\"}: failed to allocate IP 10.96.0.0: the "
          "provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12"}},
        {"ClusterIPIsTheBroadcastAddress", svc("  clusterIP: 10.111.255.255\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.clusterIPs: Invalid value: []string{\"10.111.255.255\"}: failed to allocate IP "
          "10.111.255.255: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is "
          "10.96.0.0/12"}},
        {"ClusterIPNotAnIP", svc("  clusterIP: 10.96.0.300\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.clusterIPs[0]: Invalid value: \"10.96.0.300\": " + kIP}},
        {"NodePortOutsideRange", svc("  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 32768\n"),
         {"t.yaml:9: spec.ports[0].nodePort: Invalid value: 32768: " + kNodePortRange}},
        {"NodePortUsedByTwoServices",
         svc("  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n---\n") +
             "apiVersion: v1\nkind: Service\nmetadata: {name: t}\nspec:\n  type: NodePort\n  ports:\n"
             "  - {port: 80, protocol: UDP, nodePort: 30080}\n",
         {"t.yaml:15: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated (to "
          "Service default/s at t.yaml:2)"}},
        {"NodePortTwiceSameProtocol",
         svc("  type: NodePort\n  ports:\n  - {name: a, port: 80, nodePort: 30080}\n  - {name: b, port: 81, "
             "nodePort: 30080}\n"),
         {"t.yaml:9: spec.ports[1].nodePort: Duplicate value: 30080"}},
        {"PortZero", svc("  ports:\n  - port: 0\n"), {"t.yaml:7: spec.ports[0].port: Invalid value: 0: " + kPortRange}},
        // The API server would say "Invalid value: 0" (Go's zero value); the
        // field being required is what helps.
        {"PortMissing", svc("  ports:\n  - targetPort: 80\n"), {"t.yaml:7: spec.ports[0].port: Required value"}},
        {"PortNull", svc("  ports:\n  - port: null\n"), {"t.yaml:7: spec.ports[0].port: Required value"}},
        {"PortTooLarge", svc("  ports:\n  - port: 70000\n"),
         {"t.yaml:7: spec.ports[0].port: Invalid value: 70000: " + kPortRange}},
        {"TargetPortTooLarge", svc("  ports:\n  - port: 80\n    targetPort: 65536\n"),
         {"t.yaml:8: spec.ports[0].targetPort: Invalid value: 65536: " + kPortRange}},
        {"TargetPortNameUppercase", svc("  ports:\n  - port: 80\n    targetPort: HTTP\n"),
         {"t.yaml:8: spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric "
          "characters (a-z, 0-9), and hyphens (-)",
          "t.yaml:8: spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain at least one letter (a-z)"}},
        {"TargetPortNameTooLongAndHyphens", svc("  ports:\n  - port: 80\n    targetPort: -web--server-name-\n"),
         {"t.yaml:8: spec.ports[0].targetPort: Invalid value: \"-web--server-name-\": must be no more than 15 characters",
          "t.yaml:8: spec.ports[0].targetPort: Invalid value: \"-web--server-name-\": must not contain consecutive hyphens",
          "t.yaml:8: spec.ports[0].targetPort: Invalid value: \"-web--server-name-\": must not begin or end with a hyphen"}},
        {"TargetPortQuotedNumberIsAName", svc("  ports:\n  - port: 80\n    targetPort: \"8080\"\n"),
         {"t.yaml:8: spec.ports[0].targetPort: Invalid value: \"8080\": must contain at least one letter (a-z)"}},
        {"DuplicatePortNames", svc("  ports:\n  - {name: http, port: 80}\n  - {name: http, port: 81}\n"),
         {"t.yaml:8: spec.ports[1].name: Duplicate value: \"http\""}},
        {"MissingPortNamesInMultiPort", svc("  ports:\n  - port: 80\n  - port: 81\n"),
         {"t.yaml:7: spec.ports[0].name: Required value", "t.yaml:8: spec.ports[1].name: Required value"}},
        {"PortNameNotDns1123Label", svc("  ports:\n  - {name: Web_Port, port: 80}\n"),
         {"t.yaml:7: spec.ports[0].name: Invalid value: \"Web_Port\": " + kDNS1123Label}},
        {"DuplicatePortAndProtocol", svc("  ports:\n  - {name: a, port: 80}\n  - {name: b, port: 80}\n"),
         {"t.yaml:8: spec.ports[1]: Duplicate value: core.ServicePort{Protocol:\"TCP\", Port:80}"}},
        {"NoPorts", svc("  selector: {app: x}\n"), {"t.yaml:5: spec.ports: Required value"}},
        {"ExternalIPNotAnIP", svc("  ports: [{port: 80}]\n  externalIPs:\n  - 1.2.3\n"),
         {"t.yaml:8: spec.externalIPs[0]: Invalid value: \"1.2.3\": " + kIP}},
        {"ExternalIPLoopback", svc("  ports: [{port: 80}]\n  externalIPs: [127.0.0.1]\n"),
         {"t.yaml:7: spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range "
          "(127.0.0.0/8, ::1/128)"}},
        {"SourceRangeNotACIDR", svc("  type: LoadBalancer\n  ports: [{port: 80}]\n  loadBalancerSourceRanges: [10.0.0.0/33]\n"),
         {"t.yaml:8: spec.loadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\": must be a valid CIDR value, "
          "(e.g. 10.9.8.0/24 or 2001:db8::/64)"}},
        {"SourceRangesOnNodePort",
         svc("  type: NodePort\n  ports: [{port: 80}]\n  loadBalancerSourceRanges: [192.0.2.0/24]\n"),
         {"t.yaml:8: spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"}},
        {"SliceAddressOfWrongFamily", slice("addressType: IPv4\nendpoints:\n- addresses: [\"2001:db8::1\"]\n"),
         {"t.yaml:9: endpoints[0].addresses[0]: Invalid value: \"2001:db8::1\": must be a valid IPv4 address"}},
        {"SliceEndpointWithoutAddresses", slice("addressType: IPv4\nendpoints:\n- nodeName: n1\n"),
         {"t.yaml:9: endpoints[0].addresses: Required value: must contain at least 1 address"}},
        {"SliceAddressLinkLocal", slice("addressType: IPv4\nendpoints:\n- addresses: [169.254.1.1]\n"),
         {"t.yaml:9: endpoints[0].addresses[0]: Invalid value: \"169.254.1.1\": may not be in the link-local range "
          "(169.254.0.0/16, fe80::/10)"}},
        {"NameIsANumber", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 123\n",
         {"t.yaml:4: metadata.name: Invalid value: 123: expected string, got integer"}},
        {"PodIPsEntryNotAnIP", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  podIPs:\n  - ip: fd00::zz\n",
         {"t.yaml:6: status.podIPs[0].ip: Invalid value: \"fd00::zz\": " + kIP}},
        {"PodIPNotAnIP", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus:\n  podIP: 10.1.1\n",
         {"t.yaml:5: status.podIP: Invalid value: \"10.1.1\": " + kIP}},
        {"EndpointsAddressNotAnIP",
         "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\nsubsets:\n- addresses:\n  - ip: db.example.com\n",
         {"t.yaml:6: subsets[0].addresses[0].ip: Invalid value: \"db.example.com\": " + kIP}},
        {"UnknownType", svc("  type: Internal\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", "
          "\"LoadBalancer\", \"NodePort\""}},
        {"UnknownProtocol", svc("  ports: [{port: 80, protocol: ICMP}]\n"),
         {"t.yaml:6: spec.ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\""}},
        {"LowercaseProtocol", svc("  ports: [{port: 80, protocol: tcp}]\n"),
         {"t.yaml:6: spec.ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\""}},
        {"UnknownExternalTrafficPolicy", svc("  type: NodePort\n  externalTrafficPolicy: Nearest\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.externalTrafficPolicy: Unsupported value: \"Nearest\": supported values: \"Cluster\", \"Local\""}},
        {"UnknownInternalTrafficPolicy", svc("  internalTrafficPolicy: Node\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.internalTrafficPolicy: Unsupported value: \"Node\": supported values: \"Cluster\", \"Local\""}},
        {"UnknownSessionAffinity", svc("  sessionAffinity: Cookie\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.sessionAffinity: Unsupported value: \"Cookie\": supported values: \"ClientIP\", \"None\""}},
        {"ExternalNameMissing", svc("  type: ExternalName\n"), {"t.yaml:5: spec.externalName: Required value"}},
        {"ExternalNameInvalid", svc("  type: ExternalName\n  externalName: my_db.example.com\n"),
         {"t.yaml:7: spec.externalName: Invalid value: \"my_db.example.com\": " + kDNS1123Subdomain}},
        {"ExternalNameWithClusterIP", svc("  type: ExternalName\n  externalName: db.example.com\n  clusterIP: 10.96.0.5\n"),
         {"t.yaml:8: spec.clusterIP: Forbidden: may not be set for ExternalName services"}},
        {"HeadlessNodePortType", svc("  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"}},
        {"HeadlessWithNodePort", svc("  clusterIP: None\n  ports:\n  - port: 80\n    nodePort: 30080\n"),
         {"t.yaml:9: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"}},
        {"ClusterIPTypeWithNodePort", svc("  type: ClusterIP\n  ports: [{port: 80, nodePort: 30080}]\n"),
         {"t.yaml:7: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"}},
        {"AffinityTimeoutZero",
         svc("  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 0\n"
             "  ports: [{port: 80}]\n"),
         {"t.yaml:9: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 "
          "and less than 86400"}},
        {"AffinityTimeoutTooLong",
         svc("  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 86401}}\n"
             "  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than "
          "0 and less than 86400"}},
        {"AffinityConfigWithAffinityNone",
         svc("  sessionAffinity: None\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None"}},
        {"LocalTrafficPolicyOnClusterIP", svc("  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible "
          "services"}},
        {"HealthCheckNodePortOnNodePort", svc("  type: NodePort\n  healthCheckNodePort: 30999\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.healthCheckNodePort: Invalid value: 30999: may only be set when `type` is 'LoadBalancer' "
          "and `externalTrafficPolicy` is 'Local'"}},
        {"HealthCheckNodePortWithClusterPolicy",
         svc("  type: LoadBalancer\n  externalTrafficPolicy: Cluster\n  healthCheckNodePort: 30999\n  ports: [{port: 80}]\n"),
         {"t.yaml:8: spec.healthCheckNodePort: Invalid value: 30999: may only be set when `type` is 'LoadBalancer' "
          "and `externalTrafficPolicy` is 'Local'"}},
        {"IPFamilyDoesNotMatchClusterIP",
         svc("  ipFamilies: [IPv6]\n  clusterIP: 10.96.0.10\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.clusterIPs[0]: Invalid value: \"10.96.0.10\": expected an IPv6 value as indicated by "
          "`ipFamilies[0]`"},
         true},
        {"IPFamilyNotConfigured", svc("  ipFamilies: [IPv6]\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"}},
        {"MoreThanTwoClusterIPs",
         svc("  ipFamilyPolicy: RequireDualStack\n  clusterIPs: [10.96.0.1, \"fd00:10:96::1\", 10.96.0.2]\n"
             "  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.clusterIPs: Invalid value: []string{\"10.96.0.1\", \"fd00:10:96::1\", \"10.96.0.2\"}: may "
          "only hold up to 2 values"},
         true},
        {"TwoClusterIPsOfOneFamily",
         svc("  ipFamilyPolicy: RequireDualStack\n  clusterIPs: [10.96.0.1, 10.96.0.2]\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.clusterIPs: Invalid value: []string{\"10.96.0.1\", \"10.96.0.2\"}: may specify no more than "
          "one IP for each IP family"},
         true},
        {"SingleStackWithTwoClusterIPs",
         svc("  ipFamilyPolicy: SingleStack\n  clusterIPs: [10.96.0.1, \"fd00:10:96::1\"]\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be RequireDualStack or PreferDualStack "
          "when multiple 'clusterIPs' are specified"},
         true},
        {"ClusterIPsDisagreeWithClusterIP",
         svc("  clusterIP: 10.96.0.1\n  clusterIPs: [10.96.0.2]\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.clusterIPs: Invalid value: []string{\"10.96.0.2\"}: first value must match `clusterIP`"}},
        {"DuplicateIPFamily", svc("  ipFamilies: [IPv4, IPv4]\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.ipFamilies[1]: Duplicate value: \"IPv4\""}},
        {"UnknownIPFamilyPolicy", svc("  ipFamilyPolicy: DualStack\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: spec.ipFamilyPolicy: Unsupported value: \"DualStack\": supported values: \"PreferDualStack\", "
          "\"RequireDualStack\", \"SingleStack\""}},
        {"SliceWithoutServiceName",
         "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: orphan}\naddressType: IPv4\n",
         {"t.yaml:2: warning: metadata.labels: Required value: label \"kubernetes.io/service-name\" names the slice's "
          "Service; without it the EndpointSlice is ignored"}},
        {"SliceAddressTypeFQDN", slice("addressType: FQDN\nendpoints:\n- addresses: [db.example.com]\n"),
         {"t.yaml:2: skipping EndpointSlice s-1: addressType FQDN is not used by svcnat (kube-proxy ignores such "
          "slices)"}},
        {"SliceUnknownAddressType", slice("addressType: IPv5\n"),
         {"t.yaml:7: addressType: Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""}},
        {"ServiceWithAppsApiVersion", "apiVersion: apps/v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
         {"t.yaml:1: apiVersion: Unsupported value: \"apps/v1\": supported values: \"v1\""}},
        {"SliceWithCoreApiVersion",
         "apiVersion: v1\nkind: EndpointSlice\nmetadata: {name: x, labels: {kubernetes.io/service-name: s}}\naddressType: IPv4\n",
         {"t.yaml:1: apiVersion: Unsupported value: \"v1\": supported values: \"discovery.k8s.io/v1\""}},
        {"DocumentIsAList", "- apiVersion: v1\n  kind: Service\n",
         {"t.yaml:1: a manifest document must be an object with apiVersion and kind, got a list"}},
        {"DocumentIsAScalar", "just some text\n",
         {"t.yaml:1: a manifest document must be an object with apiVersion and kind, got a scalar \"just some text\""}},
        {"MissingKind", "apiVersion: v1\nmetadata: {name: x}\n", {"t.yaml:1: kind: Required value"}},
        {"MissingApiVersion", "kind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80}]}\n",
         {"t.yaml:1: apiVersion: Required value"}},
        {"YamlSyntaxError", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [s\n",
         {"t.yaml:5: yaml: did not find expected ',' or ']' (while parsing a flow sequence at line 4)"}},
        {"TabIndentation", "apiVersion: v1\nkind: Service\nmetadata:\n\tname: s\n",
         {"t.yaml:4: yaml: found character that cannot start any token (while scanning for the next token)"}},
        {"UnquotedBooleanLabelValue",
         "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    ssh-service: true\nspec: {ports: [{port: 80}]}\n",
         {"t.yaml:6: metadata.labels[ssh-service]: Invalid value: true: expected string, got boolean"}},
        {"UnquotedYesSelectorValue", svc("  selector:\n    enabled: yes\n  ports: [{port: 80}]\n"),
         {"t.yaml:7: spec.selector[enabled]: Invalid value: yes: expected string, got boolean"}},
        {"InvalidLabelValue",
         "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels:\n    app: my app\nspec: {ports: [{port: 80}]}\n",
         {"t.yaml:5: metadata.labels: Invalid value: \"my app\": a valid label must be an empty string or consist of "
          "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
          "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
          "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}},
        {"QuotedPortNumber", svc("  ports:\n  - port: \"80\"\n"),
         {"t.yaml:7: spec.ports[0].port: Invalid value: \"80\": expected integer, got string"}},
        {"TargetPortBoolean", svc("  ports:\n  - port: 80\n    targetPort: on\n"),
         {"t.yaml:8: spec.ports[0].targetPort: Invalid value: on: expected integer or string"}},
        {"PortsNotAList", svc("  ports:\n    port: 80\n"),
         {"t.yaml:7: spec.ports: Invalid value: {...}: expected list, got object"}},
        {"PortsEmptyList", svc("  ports: []\n"), {"t.yaml:6: spec.ports: Required value"}},
        {"MisspelledField", svc("  clusterIp: 10.96.0.10\n  ports: [{port: 80}]\n"),
         {"t.yaml:6: unknown field \"spec.clusterIp\""}},
        {"DuplicateMappingKey", svc("  ports:\n  - port: 80\n    port: 81\n"),
         {"t.yaml:8: spec.ports[0].port: Duplicate value: \"port\": mapping key already defined at line 7"}},
        {"EndpointsMultiPortWithoutNames",
         "apiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\nsubsets:\n- addresses: [{ip: 192.0.2.1}]\n"
         "  ports:\n  - port: 80\n  - port: 81\n",
         {"t.yaml:7: subsets[0].ports[0].name: Required value", "t.yaml:8: subsets[0].ports[1].name: Required value"}},
        {"ContainerPortOutOfRange",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n"
         "    - containerPort: 70000\n",
         {"t.yaml:8: spec.containers[0].ports[0].containerPort: Invalid value: 70000: " + kPortRange}},
        {"ContainerPortMissing",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n"
         "    - name: http\n",
         {"t.yaml:8: spec.containers[0].ports[0].containerPort: Required value"}},
        {"ContainerPortNameInvalid",
         "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n"
         "    - {name: http_alt, containerPort: 8080}\n",
         {"t.yaml:8: spec.containers[0].ports[0].name: Invalid value: \"http_alt\": must contain only alpha-numeric "
          "characters (a-z, 0-9), and hyphens (-)"}},
        {"NodeAddressNotAnIP",
         "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nstatus:\n  addresses:\n  - {type: InternalIP, address: n.local}\n",
         {"t.yaml:6: status.addresses[0].address: Invalid value: \"n.local\": " + kIP}},
        {"ListItemErrorsKeepTheirLines",
         "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"
         "  spec: {ports: [{port: 80}]}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n"
         "  spec:\n    ports: [{port: 99999}]\n",
         {"t.yaml:12: spec.ports[0].port: Invalid value: 99999: " + kPortRange}},
        {"EveryErrorAtOnce",
         svc("  type: NodePort\n  sessionAffinity: Sticky\n  ports:\n  - port: 0\n    nodePort: 80\n"
             "  externalIPs: [nope]\n"),
         {"t.yaml:7: spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
          "t.yaml:9: spec.ports[0].port: Invalid value: 0: " + kPortRange,
          "t.yaml:10: spec.ports[0].nodePort: Invalid value: 80: " + kNodePortRange,
          "t.yaml:11: spec.externalIPs[0]: Invalid value: \"nope\": " + kIP}},
    };
    return all;
}

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadManifest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadManifest, GivesTheApiServersMessages) {
    const BadCase& c = GetParam();
    auto r = load(c.yaml, c.dual_stack ? dual_stack_settings() : Settings{});
    EXPECT_EQ(messages(r), c.expected) << c.yaml;
}

INSTANTIATE_TEST_SUITE_P(Table, BadManifest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(BadManifestTable, HasAtLeastFortyCases) { EXPECT_GE(cases().size(), 40u); }

}  // namespace
}  // namespace svcnat::testing
