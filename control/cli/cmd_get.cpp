// `svcnat get svc|endpoints|ingress|httproute|gateway [NAME...]`: the objects,
// printed the way `kubectl get` prints them (same columns, same alignment,
// -A, -n, -o).
#include <algorithm>
#include <iostream>
#include <sstream>
#include <tuple>

#include "cli_common.hpp"
#include "control/model/routes.hpp"
#include "control/state/state.hpp"
#include "ingress_format.hpp"
#include "kubectl_format.hpp"
#include "object_json.hpp"
#include "commands.hpp"
#include "tabwriter.hpp"

namespace svcnat::cli {

namespace {

enum class Resource { Services, Endpoints, Ingresses, HTTPRoutes, Gateways };

std::optional<Resource> parse_resource(const std::string& s) {
    if (s == "svc" || s == "service" || s == "services") return Resource::Services;
    if (s == "ep" || s == "endpoints" || s == "endpoint") return Resource::Endpoints;
    if (s == "ing" || s == "ingress" || s == "ingresses") return Resource::Ingresses;
    if (s == "httproute" || s == "httproutes") return Resource::HTTPRoutes;
    if (s == "gtw" || s == "gateway" || s == "gateways") return Resource::Gateways;
    return std::nullopt;
}

// kubectl's words for each: the plural in messages, the name prefix of -o name.
struct ResourceNames {
    const char* plural;
    const char* name_prefix;
};
ResourceNames names_of(Resource r) {
    switch (r) {
        case Resource::Services: return {"services", "service"};
        case Resource::Endpoints: return {"endpoints", "endpoints"};
        case Resource::Ingresses: return {"ingresses.networking.k8s.io", "ingress.networking.k8s.io"};
        case Resource::HTTPRoutes: return {"httproutes.gateway.networking.k8s.io", "httproute.gateway.networking.k8s.io"};
        case Resource::Gateways: return {"gateways.gateway.networking.k8s.io", "gateway.gateway.networking.k8s.io"};
    }
    return {"", ""};
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

std::string ingresses_table(const std::vector<const Ingress*>& ings, bool all_namespaces, bool headers,
                            const std::string& address) {
    std::ostringstream t;
    if (headers) t << (all_namespaces ? "NAMESPACE\t" : "") << "NAME\tCLASS\tHOSTS\tADDRESS\tPORTS\tAGE\n";
    for (const Ingress* i : ings) {
        if (all_namespaces) t << i->meta.ns << "\t";
        t << i->meta.name << "\t" << (i->ingressClassName.empty() ? "<none>" : i->ingressClassName) << "\t"
          << ingress_hosts_column(*i) << "\t" << address << "\t" << ingress_ports_column(*i) << "\t" << kAge << "\n";
    }
    return kubectl_table(t.str());
}

std::string routes_table(const std::vector<const HTTPRoute*>& routes, bool all_namespaces, bool headers) {
    std::ostringstream t;
    if (headers) t << (all_namespaces ? "NAMESPACE\t" : "") << "NAME\tHOSTNAMES\tAGE\n";
    for (const HTTPRoute* r : routes)
        t << (all_namespaces ? r->meta.ns + "\t" : "") << r->meta.name << "\t" << route_hostnames_column(*r) << "\t"
          << kAge << "\n";
    return kubectl_table(t.str());
}

// PROGRAMMED: True for the Gateways svcnat serves (their class names its
// controller), Unknown for the others, as kubectl shows a Gateway no
// controller has written a status for.
std::string gateways_table(const std::vector<const Gateway*>& gws, const Manifests& m, bool all_namespaces,
                           bool headers, const std::string& address) {
    std::ostringstream t;
    if (headers) t << (all_namespaces ? "NAMESPACE\t" : "") << "NAME\tCLASS\tADDRESS\tPROGRAMMED\tAGE\n";
    for (const Gateway* g : gws) {
        bool ours = false;
        for (const auto& c : m.gatewayClasses)
            ours = ours || (c.meta.name == g->gatewayClassName && c.controllerName == kGatewayController);
        t << (all_namespaces ? g->meta.ns + "\t" : "") << g->meta.name << "\t" << g->gatewayClassName << "\t"
          << (ours ? address : "") << "\t" << (ours ? "True" : "Unknown") << "\t" << kAge << "\n";
    }
    return kubectl_table(t.str());
}

template <typename Object>
std::string names_list(const std::vector<const Object*>& objects, const char* prefix) {
    std::string out;
    for (const Object* o : objects) out += std::string(prefix) + "/" + o->meta.name + "\n";
    return out;
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
                                  "Usage: svcnat get (svc|endpoints|ingress|httproute|gateway) [NAME...] [-A] [-n NS]\n"
                                  "                  [-o wide|yaml|json|name] -f PATH\n"
                                  "Print services, endpoints, Ingresses, HTTPRoutes or Gateways as kubectl would,\n"
                                  "after allocation and endpoint resolution (yaml and json: svc and endpoints).\n"
                                  "An Ingress's ADDRESS is --ingress-status-address, else the ingress bind\n"
                                  "addresses. Manifests come from -f PATH or `manifests =` in --config.",
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
    if (cmd.positionals.empty()) return usage_error("missing resource type: svc, endpoints, ingress, httproute or gateway");
    auto resource = parse_resource(cmd.positionals[0]);
    if (!resource)
        return usage_error("unknown resource type \"" + cmd.positionals[0] +
                           "\": expected svc, endpoints, ingress, httproute or gateway");
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
    const ResourceNames words = names_of(*resource);
    const char* kind = words.plural;
    size_t count = 0;
    const bool structured = output == "yaml" || output == "json";
    const Manifests& m = st.load.manifests;
    const std::string address = ingress_address_column(cmd.settings.ingress);
    // The same steps for every kind: select, then print in the format asked.
    auto show = [&](const auto& all, auto table) {
        auto sel = select(all, all_ns, ns, names);
        missing = sel.missing;
        count = sel.objects.size();
        if (output == "name") out = names_list(sel.objects, words.name_prefix);
        else if (count) out = table(sel.objects);
        return sel;
    };
    if (structured && *resource != Resource::Services && *resource != Resource::Endpoints)
        return usage_error("-o " + output + " is available for svc and endpoints; use the manifests themselves");
    switch (*resource) {
        case Resource::Services: {
            auto sel = show(m.services, [&](const auto& v) { return services_table(v, all_ns, output == "wide", headers); });
            if (structured) out = dump(sel.objects, !names.empty() && names.size() == 1, output);
            break;
        }
        case Resource::Endpoints: {
            const auto all = all_endpoints(m, st.state.node);
            auto sel = show(all, [&](const auto& v) { return endpoints_table(v, all_ns, headers); });
            if (structured) out = dump(sel.objects, !names.empty() && names.size() == 1, output);
            break;
        }
        case Resource::Ingresses:
            show(m.ingresses, [&](const auto& v) { return ingresses_table(v, all_ns, headers, address); });
            break;
        case Resource::HTTPRoutes:
            show(m.httpRoutes, [&](const auto& v) { return routes_table(v, all_ns, headers); });
            break;
        case Resource::Gateways:
            show(m.gateways, [&](const auto& v) { return gateways_table(v, m, all_ns, headers, address); });
            break;
    }
    std::cout << out;
    for (const auto& name : missing)
        std::cerr << "Error from server (NotFound): " << kind << " \"" << name << "\" not found\n";
    if (count == 0 && names.empty() && !structured) {
        if (all_ns) std::cerr << "No resources found\n";
        else std::cerr << "No resources found in " << ns << " namespace.\n";
    }
    return missing.empty() ? kExitOk : kExitFailure;
}


}  // namespace svcnat::cli
