// Decoders from one document's tree to the model's objects, each applying the
// API server's validation for its kind. They report through the Decoder and
// leave cross-object checks (duplicate names, ClusterIPs, NodePorts) to
// cross_checks.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "control/config/settings.hpp"
#include "control/model/objects.hpp"
#include "decoder.hpp"

namespace svcnat::manifest {

// The document's top-level mapping and what the dispatcher already read.
struct ObjectNode {
    uint32_t root = kNone;
    uint32_t line = 0;  // line of `kind:` (ObjectMeta.loc)
};

enum class NameRule : uint8_t { DNS1035Label, DNS1123Label, DNS1123Subdomain };

// metadata: name, namespace, labels, annotations (validated). `meta_line` is
// the line of the `metadata:` key, or the object's when absent (then
// meta_node is kNone). Sets *deleting when deletionTimestamp is present.
void decode_metadata(Decoder& d, uint32_t meta_node, uint32_t meta_line, NameRule rule, ObjectMeta& meta,
                     bool* deleting = nullptr);

// Where a Service's allocatable values were written, for cross-object messages.
struct ServiceLines {
    uint32_t clusterIP = 0;
    std::vector<uint32_t> nodePort;  // per port (0 when not given)
    uint32_t healthCheckNodePort = 0;
    // The cluster's service ranges are known only once every file is read
    // (ServiceCIDR objects): the checks against them run in cross_check(),
    // on what the Service asked for explicitly.
    std::vector<uint32_t> ipFamilies;  // per explicit, valid entry of Service::ipFamilies
    uint32_t ipFamilyPolicy = 0;       // an explicit, valid ipFamilyPolicy (0: none)
};

// The top-level fields of an object whose body is `spec`: apiVersion and
// kind (the dispatcher's) are skipped, and so is status when the kind has one
// (the API server's, never svcnat's input); any other key is reported as
// unknown. Lines are the keys', the object's when absent.
struct TopFields {
    uint32_t meta_node = kNone, meta_line = 0;
    uint32_t spec_node = kNone, spec_line = 0;
};
enum class HasStatus : bool { No, Yes };
TopFields read_top_fields(Decoder& d, const ObjectNode& obj, HasStatus status);

// Decoders read every top-level field themselves (apiVersion and kind
// included) so that unknown fields are reported in one place.
void decode_service(Decoder& d, const ObjectNode& obj, const Settings& settings, Service& out, ServiceLines& lines);
// Returns false when the slice is valid but not for svcnat (FQDN, no
// service-name label): a notice or warning has been reported.
bool decode_endpoint_slice(Decoder& d, const ObjectNode& obj, EndpointSlice& out);
void decode_endpoints(Decoder& d, const ObjectNode& obj, Endpoints& out);
void decode_pod(Decoder& d, const ObjectNode& obj, Pod& out);
void decode_node(Decoder& d, const ObjectNode& obj, Node& out);
void decode_service_cidr(Decoder& d, const ObjectNode& obj, ServiceCIDR& out);
// The routing objects (routes.hpp serves them).
void decode_ingress(Decoder& d, const ObjectNode& obj, Ingress& out);
void decode_ingress_class(Decoder& d, const ObjectNode& obj, IngressClass& out);
// False for a Secret without tls.crt and tls.key: valid, of no use to svcnat.
bool decode_secret(Decoder& d, const ObjectNode& obj, TLSSecret& out);
void decode_namespace(Decoder& d, const ObjectNode& obj, Namespace& out);
void decode_gateway_class(Decoder& d, const ObjectNode& obj, GatewayClass& out);
void decode_gateway(Decoder& d, const ObjectNode& obj, Gateway& out);
void decode_http_route(Decoder& d, const ObjectNode& obj, HTTPRoute& out);
void decode_reference_grant(Decoder& d, const ObjectNode& obj, ReferenceGrant& out);

// Shared by the decoders: protocol with the API server's NotSupported message
// (defaulted to TCP when absent), and a port number 1..65535.
bool read_protocol(Decoder& d, uint32_t n, const FieldPath& path, Protocol& out);
bool read_port_number(Decoder& d, uint32_t n, const FieldPath& path, uint16_t& out);

}  // namespace svcnat::manifest
