// Secret data is base64 (RFC 4648, standard alphabet, padded), and the API
// server refuses what Go's base64.StdEncoding refuses, naming the first bad
// byte: "illegal base64 data at input byte 4". Hand-written because that
// message needs the position, which OpenSSL's EVP_DecodeBlock does not give
// (and it accepts unpadded and whitespace-laden input the API server refuses).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace svcnat::manifest {

// The decoded bytes, or nullopt with *error_byte set to the offset Go names.
std::optional<std::string> decode_base64(std::string_view text, size_t* error_byte);

}  // namespace svcnat::manifest
