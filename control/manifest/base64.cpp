#include "base64.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace svcnat::manifest {

namespace {

constexpr std::array<int8_t, 256> make_table() {
    std::array<int8_t, 256> t{};
    for (auto& v : t) v = -1;
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < alphabet.size(); ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
    return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::optional<std::string> decode_base64(std::string_view text, size_t* error_byte) {
    // Go skips CR and LF anywhere; positions in messages are the input's.
    std::string clean;
    std::vector<size_t> at;
    clean.reserve(text.size());
    at.reserve(text.size());
    for (size_t k = 0; k < text.size(); ++k) {
        if (text[k] == '\r' || text[k] == '\n') continue;
        clean.push_back(text[k]);
        at.push_back(k);
    }
    std::string out;
    out.reserve(clean.size() / 4 * 3);
    for (size_t q = 0; q < clean.size(); q += 4) {
        if (q + 4 > clean.size()) {  // an incomplete quantum: Go names its start
            *error_byte = at[q];
            return std::nullopt;
        }
        const bool last = q + 4 == clean.size();
        uint32_t bits = 0;
        size_t data = 4;  // characters before the padding
        for (size_t j = 0; j < 4; ++j) {
            const char c = clean[q + j];
            if (c == '=' && last && j >= 2 && (j == 3 || clean[q + 3] == '=')) {
                data = j;
                break;
            }
            const int8_t v = kTable[static_cast<unsigned char>(c)];
            if (v < 0) {
                *error_byte = at[q + j];
                return std::nullopt;
            }
            bits = bits << 6 | static_cast<uint32_t>(v);
        }
        bits <<= 6 * (4 - data);
        out.push_back(static_cast<char>(bits >> 16));
        if (data >= 3) out.push_back(static_cast<char>(bits >> 8 & 0xff));
        if (data == 4) out.push_back(static_cast<char>(bits & 0xff));
    }
    return out;
}

}  // namespace svcnat::manifest
