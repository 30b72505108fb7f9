#include "proxy.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "runtime_api.hpp"
#include "self_signed.hpp"

namespace svcnat::ingress {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kMaxBackoff = std::chrono::seconds(30);
constexpr auto kStableAfter = std::chrono::seconds(60);

// Written whole or not at all (rename over the old file): HAProxy, or a
// reader of the directory, never sees half a file. Certificates readable
// by root only.
void write_file(const std::string& path, const std::string& text, bool secret) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
        out << text;
        if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
    }
    if (secret) ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, path);
}

// Every file of a configuration with its text (maps as map files).
std::map<std::string, std::pair<std::string, bool>> files_of(const HaproxyConfig& c, const ProxyPaths& p) {
    std::map<std::string, std::pair<std::string, bool>> files;
    files[p.config()] = {c.text, false};
    for (const auto& [path, entries] : c.maps) files[path] = {map_file_text(entries), false};
    for (const auto& [path, text] : c.tls_files) files[path] = {text, true};
    return files;
}

}  // namespace

Proxy::Proxy(Options options)
    : options_(std::move(options)), paths_{options_.state_dir}, process_(options_.haproxy, paths_) {
    std::filesystem::create_directories(paths_.dir + "/maps");
    std::filesystem::create_directories(paths_.dir + "/certs");
    std::filesystem::permissions(paths_.dir + "/certs", std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace);
    self_signed_pem_ = make_self_signed_certificate("svcnat default certificate");
}

Proxy::~Proxy() { process_.stop(); }

void Proxy::write_files(const HaproxyConfig& c, bool all) {
    const auto now = files_of(c, paths_);
    std::map<std::string, std::pair<std::string, bool>> before;
    if (on_disk_) before = files_of(*on_disk_, paths_);
    for (const auto& [path, file] : now) {
        auto it = before.find(path);
        if (all || it == before.end() || it->second.first != file.first) write_file(path, file.first, file.second);
    }
    // What no listener uses any more (a listener's maps, a certificate).
    for (const auto& [path, file] : before)
        if (!now.count(path)) std::filesystem::remove(path);
    on_disk_ = c;
}

void Proxy::set_error(std::string e) {
    std::lock_guard lock(mutex_);
    last_error_ = std::move(e);
}

bool Proxy::start(std::string* error) {
    pending_deletions_.clear();
    const bool ok = process_.start(error);
    std::lock_guard lock(mutex_);
    counters_.up = ok;
    if (ok) {
        ++counters_.starts;
        started_at_ = Clock::now();
    }
    return ok;
}

bool Proxy::reload(std::string* error) {
    const bool ok = process_.reload(error);
    if (!ok) {
        // HAProxy's own words about the configuration, when that is why.
        const std::string verdict = check_configuration(options_.haproxy, paths_.config());
        if (!verdict.empty()) *error += "\n" + verdict;
    } else {
        pending_deletions_.clear();  // the new worker has the configuration's servers only
    }
    std::lock_guard lock(mutex_);
    ++(ok ? counters_.reloads : counters_.reload_failures);
    return ok;
}

bool Proxy::runtime_update(const RuntimeUpdate& u, std::string* error) {
    const CliSocket admin(paths_.admin_socket());
    const std::vector<std::string> commands = server_commands(u, pending_deletions_);
    std::vector<std::string> answers;
    if (!commands.empty() && !admin.run(commands, answers, error)) return false;
    for (const auto& r : u.added) pending_deletions_.erase(server_id(r));
    for (size_t i = 0; i < commands.size(); ++i) {
        if (command_succeeded(commands[i], answers[i])) continue;
        // Deleting a server that still has connections fails: it stays in
        // maintenance (no new requests) and tick() deletes it later.
        if (commands[i].rfind("del server ", 0) == 0 && answers[i].find("still has connections") != std::string::npos) {
            pending_deletions_.insert(commands[i].substr(11));
            continue;
        }
        *error = commands[i] + ": " + answers[i];
        return false;
    }
    for (const auto& [file, entries] : u.maps)
        if (!replace_map(admin, file, map_file_text(entries), error)) return false;
    std::lock_guard lock(mutex_);
    counters_.runtime_updates += u.runtime_changes();
    return true;
}

SyncReport Proxy::apply(const RouteState& routes, bool full) {
    const auto t0 = Clock::now();
    SyncReport report;
    report.full = full;
    const std::string& default_pem = routes.default_certificate ? routes.default_certificate->pem : self_signed_pem_;
    const HaproxyConfig desired = render_config(routes, paths_, default_pem, options_.threads);
    std::string error;
    bool ok = true;
    try {
        if (!process_.alive()) {
            write_files(desired, true);
            report.sent = true;
            if (counters().starts > 0 && Clock::now() < next_start_) {
                ok = false;
                error = "haproxy is not running; restarting it in " +
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(next_start_ - Clock::now()).count() + 1) + " s";
            } else {
                ok = start(&error);
                report.detail = ok ? "HAProxy started" : "";
                if (!ok) next_start_ = Clock::now() + backoff_;
            }
        } else {
            RuntimeUpdate u;
            if (!running_) u.reload_reason = "the previous sync failed";
            else u = plan_update(*running_, desired);
            write_files(desired, full);
            report.sent = !u.empty();
            report.endpoint_changes = u.added.size() + u.removed.size() + u.reweighted.size();
            report.service_changes = u.maps.size();
            if (u.reload()) {
                ok = reload(&error);
                report.detail = "HAProxy reloaded (" + u.reload_reason + ")";
            } else if (!u.empty()) {
                ok = runtime_update(u, &error);
                report.detail = "HAProxy: " + std::to_string(u.runtime_changes()) + " runtime updates, no reload";
                if (!ok) {
                    {
                        std::lock_guard lock(mutex_);
                        ++counters_.runtime_failures;
                    }
                    spdlog::warn("ingress: runtime API update failed ({}); reloading instead", error);
                    error.clear();
                    ok = reload(&error);
                    report.detail = "HAProxy reloaded (a runtime update failed)";
                }
            }
        }
    } catch (const std::exception& e) {
        ok = false;
        error = e.what();
    }
    if (ok) running_ = desired;
    else running_.reset();
    report.ok = ok;
    if (!ok) report.errors.push_back({"", "ingress: " + error});
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    {
        std::lock_guard lock(mutex_);
        last_error_ = ok ? "" : error;
        counters_.last_sync_seconds = report.seconds;
        counters_.listeners = routes.listeners.size();
        counters_.backends = routes.backends.size();
        size_t servers = 0;
        for (const auto& b : routes.backends) servers += b.servers.size();
        counters_.servers = servers;
    }
    return report;
}

void Proxy::tick() {
    if (!on_disk_) return;  // not started yet: the first sync starts it
    if (!process_.alive()) {
        {
            std::lock_guard lock(mutex_);
            counters_.up = false;
        }
        if (Clock::now() < next_start_) return;
        std::string error;
        if (start(&error)) {
            spdlog::info("ingress: HAProxy restarted");
            running_ = on_disk_;
            set_error("");
        } else {
            spdlog::error("ingress: cannot restart HAProxy: {} (next try in {} s)", error, backoff_.count());
            set_error(error);
            running_.reset();
        }
        next_start_ = Clock::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, std::chrono::duration_cast<std::chrono::seconds>(kMaxBackoff));
        return;
    }
    if (Clock::now() - started_at_ > kStableAfter) backoff_ = std::chrono::seconds(1);
    if (pending_deletions_.empty()) return;
    std::vector<std::string> commands;
    for (const auto& id : pending_deletions_) commands.push_back("del server " + id);
    std::vector<std::string> answers;
    std::string error;
    if (!CliSocket(paths_.admin_socket()).run(commands, answers, &error)) return;
    for (size_t i = 0; i < commands.size(); ++i)
        if (command_succeeded(commands[i], answers[i]) || answers[i].find("No such server") != std::string::npos)
            pending_deletions_.erase(commands[i].substr(11));
}

DataPathHealth Proxy::health() const {
    std::lock_guard lock(mutex_);
    DataPathHealth h;
    h.ok = counters_.up;
    if (!counters_.up) h.problems.push_back("haproxy is not running");
    if (!last_error_.empty()) h.problems.push_back("ingress: " + last_error_.substr(0, last_error_.find('\n')));
    return h;
}

ProxyCounters Proxy::counters() const {
    std::lock_guard lock(mutex_);
    return counters_;
}

}  // namespace svcnat::ingress
