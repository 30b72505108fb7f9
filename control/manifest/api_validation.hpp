// The API server's value checks (k8s.io/apimachinery/pkg/util/validation and
// pkg/apis/core/validation) with their exact messages, so that a user who has
// seen `kubectl apply` reject a manifest recognises the same complaint here.
// Each *_errors function returns the messages for one value (empty: valid).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace svcnat::manifest {

std::vector<std::string> dns1035_label_errors(std::string_view value);    // Service names
std::vector<std::string> dns1123_label_errors(std::string_view value);    // namespaces, port names
std::vector<std::string> dns1123_subdomain_errors(std::string_view value);  // other object names
std::vector<std::string> qualified_name_errors(std::string_view value);   // label keys ("prefix/name")
std::vector<std::string> label_value_errors(std::string_view value);
std::vector<std::string> port_name_errors(std::string_view value);        // IANA_SVC_NAME (targetPort, containerPort names)

inline constexpr std::string_view kPortRangeMessage = "must be between 1 and 65535, inclusive";
inline constexpr std::string_view kIPMessage = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
inline constexpr std::string_view kCIDRMessage = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

// Addresses a Service or endpoint must not use (ValidateNonSpecialIP):
// unspecified, loopback, link-local, link-local multicast. Expects a valid IP.
std::vector<std::string> special_ip_errors(std::string_view ip);

// A Go %q rendering: "value" with quotes and backslashes escaped.
std::string quote(std::string_view s);

// []string{"a", "b"}: how the API server prints a string list in a message.
std::string go_string_list(const std::vector<std::string>& values);

// field.ErrorList message bodies.
std::string invalid(std::string_view rendered_value, std::string_view detail);  // "Invalid value: V: detail"
std::string unsupported(std::string_view value, std::initializer_list<std::string_view> supported);
std::string duplicate(std::string_view rendered_value);  // "Duplicate value: V"
std::string required(std::string_view detail = {});      // "Required value[: detail]"
std::string forbidden(std::string_view detail);          // "Forbidden: detail"

}  // namespace svcnat::manifest
