#include "http_listener.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>

namespace svcnat {

std::optional<BindAddress> parse_bind_address(const std::string& text) {
    BindAddress a;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
        a.host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) return std::nullopt;
        a.host = text.substr(0, colon);
        if (a.host.find(':') != std::string::npos) return std::nullopt;  // bare IPv6 needs brackets
        port_text = text.substr(colon + 1);
    }
    if (a.host.empty()) a.host = "0.0.0.0";
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535 || port_text.empty())
        return std::nullopt;
    a.port = static_cast<uint16_t>(port);
    return a;
}

HttpListener::HttpListener(std::unique_ptr<httplib::Server> server, size_t threads) : server_(std::move(server)) {
    server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // cpp-httplib sets SO_REUSEPORT by default, which would let a second
    // process bind the same port silently; SO_REUSEADDR is what a daemon wants.
    server_->set_socket_options([](int sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server_->set_read_timeout(5);
    server_->set_write_timeout(5);
    server_->set_keep_alive_max_count(100);
}

HttpListener::~HttpListener() { stop(); }

bool HttpListener::start(const BindAddress& addr, std::string* error) {
    int port = addr.port;
    if (addr.host.find(':') != std::string::npos) server_->set_address_family(AF_INET6);
    if (port == 0) {
        port = server_->bind_to_any_port(addr.host);
        if (port < 0) port = 0;
    } else if (!server_->bind_to_port(addr.host, port)) {
        port = 0;
    }
    if (port == 0) {
        if (error) *error = "cannot bind " + addr.host + ":" + std::to_string(addr.port) + ": " + strerror(errno);
        return false;
    }
    port_ = static_cast<uint16_t>(port);
    done_ = false;
    thread_ = std::thread([this] {
        server_->listen_after_bind();
        done_ = true;
    });
    // stop() only works once the loop runs; wait for it (bounded).
    for (int i = 0; i < 2000 && !server_->is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
}

void HttpListener::stop() {
    if (!thread_.joinable()) return;
    // httplib's stop() is lost if the thread has not entered its loop yet,
    // and must not be called twice: wait (bounded) for the loop, stop once.
    for (int i = 0; i < 5000 && !server_->is_running() && !done_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (server_->is_running()) server_->stop();
    thread_.join();
}

}  // namespace svcnat
