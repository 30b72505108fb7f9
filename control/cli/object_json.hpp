// Services and Endpoints as the Kubernetes API would return them (after
// allocation), for `svcnat get -o json|yaml`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/model/objects.hpp"

namespace svcnat::cli {

nlohmann::json to_json(const Service& svc);
nlohmann::json to_json(const Endpoints& eps);
// kubectl's wrapper for several objects: {"apiVersion":"v1","items":[...],"kind":"List",...}.
nlohmann::json list_json(std::vector<nlohmann::json> items);

// Block-style YAML like kubectl's (sorted keys, sequences not indented
// under their key, ambiguous strings quoted), emitted with libyaml.
std::string to_yaml(const nlohmann::json& doc);

}  // namespace svcnat::cli
