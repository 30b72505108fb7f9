// One cpp-httplib server on one address, served by its own thread. Binding
// happens in the caller's thread so errors (port in use) surface at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace svcnat {

struct BindAddress {
    std::string host;  // "0.0.0.0", "::", "127.0.0.1"
    uint16_t port = 0;
};

// "host:port", "[v6]:port", ":port" (all IPv4 addresses). nullopt if invalid.
std::optional<BindAddress> parse_bind_address(const std::string& text);

class HttpListener {
public:
    // `server` has its routes set; `threads`: worker threads for requests.
    HttpListener(std::unique_ptr<httplib::Server> server, size_t threads);
    ~HttpListener();  // stops and joins
    HttpListener(const HttpListener&) = delete;
    HttpListener& operator=(const HttpListener&) = delete;

    // Binds (port 0: any free port) and starts serving. false + error on failure.
    bool start(const BindAddress& addr, std::string* error);
    uint16_t port() const { return port_; }
    void stop();

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::atomic<bool> done_{false};  // the serving loop has returned
    uint16_t port_ = 0;
};

}  // namespace svcnat
