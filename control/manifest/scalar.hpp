// What an untagged YAML scalar means, resolved the way Kubernetes' YAML
// decoder (go-yaml v2, YAML 1.1 rules) resolves it before converting to JSON:
// `true`, `yes`, `on` are booleans, `80` and `0x50` integers, `~` null, and
// anything quoted is a string. This is why `ssh-service: "true"` is a valid
// label and `ssh-service: true` is not.
#pragma once

#include <cstdint>
#include <string_view>

namespace svcnat::yaml {

enum class ScalarKind : uint8_t { Null, Bool, Int, Float, String };

struct Scalar {
    ScalarKind kind = ScalarKind::String;
    bool boolean = false;
    int64_t integer = 0;
};

Scalar resolve_scalar(std::string_view text, bool quoted);

// "string", "integer", "boolean", "number", "null": for type mismatch messages.
std::string_view kind_name(ScalarKind kind);

}  // namespace svcnat::yaml
