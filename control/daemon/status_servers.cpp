#include "status_servers.hpp"

#include <httplib.h>

#include <chrono>
#include <stdexcept>

namespace svcnat {

namespace {

void reply(httplib::Response& res, const HttpReply& r) {
    res.status = r.status;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(r.body, "application/json");
}

}  // namespace

void StatusServers::start(const std::string& healthz_address, const std::string& metrics_address) {
    struct Want {
        std::string address;
        bool health = false;
        bool metrics = false;
    };
    std::vector<Want> wants;
    if (!healthz_address.empty()) wants.push_back({healthz_address, true, false});
    if (!metrics_address.empty()) {
        // One listener when both name the same fixed port (port 0 means "any": two).
        auto h = parse_bind_address(healthz_address);
        if (!wants.empty() && wants[0].address == metrics_address && h && h->port != 0) wants[0].metrics = true;
        else wants.push_back({metrics_address, false, true});
    }
    for (const auto& w : wants) {
        auto addr = parse_bind_address(w.address);
        if (!addr) throw std::runtime_error("invalid bind address '" + w.address + "' (want host:port)");
        auto server = std::make_unique<httplib::Server>();
        if (w.health) {
            server->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
                reply(res, status_.healthz(std::chrono::system_clock::now()));
            });
            server->Get("/livez", [this](const httplib::Request&, httplib::Response& res) {
                reply(res, status_.livez(std::chrono::system_clock::now()));
            });
        }
        if (w.metrics) {
            server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
                res.set_content(status_.metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
            });
        }
        auto listener = std::make_unique<HttpListener>(std::move(server), 4);
        std::string err;
        if (!listener->start(*addr, &err)) throw std::runtime_error(err);
        listeners_.push_back(std::move(listener));
    }
}

std::vector<uint16_t> StatusServers::ports() const {
    std::vector<uint16_t> out;
    for (const auto& l : listeners_) out.push_back(l->port());
    return out;
}

}  // namespace svcnat
