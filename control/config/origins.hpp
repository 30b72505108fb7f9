// Where each option's value came from (a flag, or `file:line` of the INI
// file), so that a bad value is reported at its origin:
//   --node-port-range: invalid value "30000": expected FIRST-LAST
//   conf/svcnat.conf:7: node-port-range: invalid value "30000": expected FIRST-LAST
// Internal to control/config: the option blocks' converters share it.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "values.hpp"

namespace svcnat::config_detail {

class Origins {
public:
    void from_flag(const std::string& key) { sources_[key] = {{"", "--" + key}}; }
    void from_file(const std::string& key, const std::string& raw_value, const std::string& file, uint32_t line) {
        sources_[key].push_back({raw_value, file + ":" + std::to_string(line) + ": " + key});
    }
    // The origin of `value` (an item of a comma list, or a whole value).
    std::string label(const std::string& key, const std::string& value = "") const {
        auto it = sources_.find(key);
        if (it == sources_.end() || it->second.empty()) return "--" + key;
        for (const auto& src : it->second) {
            if (src.raw == value) return src.label;
            for (const auto& item : config_values::split_list(src.raw))
                if (item == value) return src.label;
        }
        return it->second.back().label;
    }
    [[noreturn]] void fail(const std::string& key, const std::string& value, const std::string& expected) const {
        throw ConfigError(label(key, value) + ": invalid value \"" + value + "\": " + expected);
    }

private:
    struct Source {
        std::string raw;
        std::string label;
    };
    std::map<std::string, std::vector<Source>> sources_;
};

// The values of a repeatable option as given, one per flag or INI line.
inline std::vector<std::string> raw_items(const po::variables_map& vm, const std::string& key) {
    if (!vm.count(key)) return {};
    return vm[key].as<std::vector<std::string>>();
}

// Strings of a list option, with comma lists split.
inline std::vector<std::string> list_items(const po::variables_map& vm, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& v : raw_items(vm, key))
        for (auto& item : config_values::split_list(v)) out.push_back(std::move(item));
    return out;
}

// The gateway block (gateway_options.cpp): its options, and their values
// converted into `g` and checked as a whole. Throws ConfigError.
po::options_description gateway_option_block();
void convert_gateway(const po::variables_map& vm, const Origins& origins, GatewaySettings& g);

// The ingress block (ingress_options.cpp), likewise.
po::options_description ingress_option_block();
void convert_ingress(const po::variables_map& vm, const Origins& origins, IngressSettings& s);

}  // namespace svcnat::config_detail
