// `svcnat get svc|endpoints [NAME...]`: the allocated objects, printed the way
// `kubectl get` prints them (same columns, same alignment, -A, -n, -o).
#include <algorithm>
#include <iostream>
#include <sstream>
#include <tuple>

#include "cli_common.hpp"
#include "control/state/state.hpp"
#include "kubectl_format.hpp"
#include "object_json.hpp"
#include "commands.hpp"
#include "tabwriter.hpp"

namespace svcnat::cli {

namespace {

enum class Resource { Services, Endpoints };

std::optional<Resource> parse_resource(const std::string& s) {
    if (s == "svc" || s == "service" || s == "services") return Resource::Services;
    if (s == "ep" || s == "endpoints" || s == "endpoint") return Resource::Endpoints;
    return std::nullopt;
}

// Manifests have no creationTimestamp, so AGE is kubectl's `<unknown>`: the
// column stays so that scripts parsing kubectl's layout keep working.
constexpr const char* kAge = "<unknown>";

template <typename Object>
struct Selection {
    std::vector<const Object*> objects;
    std::vector<std::string> missing;
};

template <typename Object>
Selection<Object> select(const std::vector<Object>& all, bool all_namespaces, const std::string& ns,
                         const std::vector<std::string>& names) {
    Selection<Object> sel;
    if (names.empty()) {
        for (const auto& o : all)
            if (all_namespaces || o.meta.ns == ns) sel.objects.push_back(&o);
        std::sort(sel.objects.begin(), sel.objects.end(), [](const Object* a, const Object* b) {
            return std::tie(a->meta.ns, a->meta.name) < std::tie(b->meta.ns, b->meta.name);
        });
        return sel;
    }
    for (const auto& name : names) {
        const Object* found = nullptr;
        for (const auto& o : all)
            if (o.meta.ns == ns && o.meta.name == name) found = &o;
        if (found) sel.objects.push_back(found);
        else sel.missing.push_back(name);
    }
    return sel;
}

std::string services_table(const std::vector<const Service*>& svcs, bool all_namespaces, bool wide,
                           bool headers) {
    std::ostringstream t;
    if (headers) {
        if (all_namespaces) t << "NAMESPACE\t";
        t << "NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE" << (wide ? "\tSELECTOR" : "") << "\n";
    }
    for (const Service* s : svcs) {
        if (all_namespaces) t << s->meta.ns << "\t";
        t << s->meta.name << "\t" << to_string(s->type) << "\t" << cluster_ip_column(*s) << "\t"
          << external_ip_column(*s, wide) << "\t" << ports_column(*s) << "\t" << kAge;
        if (wide) t << "\t" << format_labels(s->selector);
        t << "\n";
    }
    return kubectl_table(t.str());
}

std::string endpoints_table(const std::vector<const Endpoints*>& eps, bool all_namespaces, bool headers) {
    std::ostringstream t;
    if (headers) t << (all_namespaces ? "NAMESPACE\t" : "") << "NAME\tENDPOINTS\tAGE\n";
    for (const Endpoints* e : eps) {
        if (all_namespaces) t << e->meta.ns << "\t";
        t << e->meta.name << "\t" << format_endpoints(e) << "\t" << kAge << "\n";
    }
    return kubectl_table(t.str());
}

template <typename Object>
std::string dump(const std::vector<const Object*>& objects, bool single, const std::string& format) {
    std::vector<nlohmann::json> items;
    for (const Object* o : objects) items.push_back(to_json(*o));
    nlohmann::json doc = single && items.size() == 1 ? items.front() : list_json(items);
    // kubectl indents JSON by four spaces.
    return format == "json" ? doc.dump(4) + "\n" : to_yaml(doc);
}

}  // namespace

int run_get(int argc, const char* const* argv) {
    po::options_description opts("get options");
    opts.add_options()
        ("all-namespaces,A", po::bool_switch(), "list the objects of every namespace")
        ("namespace,n", po::value<std::string>()->default_value("default"), "namespace of the objects")
        ("output,o", po::value<std::string>()->default_value(""), "output format: wide, yaml, json or name")
        ("no-headers", po::bool_switch(), "omit the header line of tables");
    auto parsed = parse_or_report(argc, argv, opts,
                                  "Usage: svcnat get (svc|endpoints) [NAME...] [-A] [-n NS] [-o wide|yaml|json|name] "
                                  "-f PATH\n"
                                  "Print services or endpoints as kubectl would, after allocation and endpoint\n"
                                  "resolution. Manifests come from -f PATH or `manifests =` in --config.",
                                  CommandLineOptions::object_positionals());
    if (!parsed.command) return parsed.exit_status;
    const ParsedCommand& cmd = *parsed.command;
    const bool all_ns = cmd.extra["all-namespaces"].as<bool>();
    const std::string ns = cmd.extra["namespace"].as<std::string>();
    const std::string output = cmd.extra["output"].as<std::string>();
    const bool headers = !cmd.extra["no-headers"].as<bool>();
    auto usage_error = [](const std::string& msg) {
        std::cerr << "svcnat get: " << msg << "\n(see svcnat get --help)\n";
        return kExitUsage;
    };
    if (cmd.positionals.empty()) return usage_error("missing resource type: svc or endpoints");
    auto resource = parse_resource(cmd.positionals[0]);
    if (!resource) return usage_error("unknown resource type \"" + cmd.positionals[0] + "\": expected svc or endpoints");
    const std::vector<std::string> names(cmd.positionals.begin() + 1, cmd.positionals.end());
    if (output != "" && output != "wide" && output != "yaml" && output != "json" && output != "name")
        return usage_error("--output: invalid value \"" + output + "\": expected wide, yaml, json or name");
    if (all_ns && !names.empty())
        return usage_error("a resource cannot be retrieved by name across all namespaces");
    if (cmd.settings.manifests.empty())
        return usage_error("no manifests given (-f PATH or `manifests =` in --config)");

    StateResult st = load_state(cmd.settings);
    print_diagnostics(st.load.diagnostics, cmd.settings.verbosity, std::cerr);
    if (!st.ok()) return kExitFailure;

    std::vector<std::string> missing;
    std::string out;
    const char* kind = *resource == Resource::Services ? "services" : "endpoints";
    const char* singular = *resource == Resource::Services ? "service" : "endpoints";
    size_t count = 0;
    if (*resource == Resource::Services) {
        auto sel = select(st.load.manifests.services, all_ns, ns, names);
        missing = sel.missing;
        count = sel.objects.size();
        if (output == "yaml" || output == "json") out = dump(sel.objects, !names.empty() && names.size() == 1, output);
        else if (output == "name")
            for (const auto* s : sel.objects) out += std::string(singular) + "/" + s->meta.name + "\n";
        else if (count) out = services_table(sel.objects, all_ns, output == "wide", headers);
    } else {
        const auto all = all_endpoints(st.load.manifests, st.state.node);
        auto sel = select(all, all_ns, ns, names);
        missing = sel.missing;
        count = sel.objects.size();
        if (output == "yaml" || output == "json") out = dump(sel.objects, !names.empty() && names.size() == 1, output);
        else if (output == "name")
            for (const auto* e : sel.objects) out += std::string(singular) + "/" + e->meta.name + "\n";
        else if (count) out = endpoints_table(sel.objects, all_ns, headers);
    }
    std::cout << out;
    for (const auto& name : missing)
        std::cerr << "Error from server (NotFound): " << kind << " \"" << name << "\" not found\n";
    if (count == 0 && names.empty() && output != "yaml" && output != "json") {
        if (all_ns) std::cerr << "No resources found\n";
        else std::cerr << "No resources found in " << ns << " namespace.\n";
    }
    return missing.empty() ? kExitOk : kExitFailure;
}


}  // namespace svcnat::cli
