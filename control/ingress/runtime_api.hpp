// HAProxy's command line interface over a UNIX socket (the worker's
// `stats socket`, and the master's -S socket). Batches go to the worker in
// prompt mode: many commands on one connection, written while the answers
// are read, so that a thousand server changes cost one connection and no
// round trip each. Map payloads ("add map @N FILE <<" then lines, then an
// empty line) go through the same path.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace svcnat::ingress {

class CliSocket {
public:
    explicit CliSocket(std::string path, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        : path_(std::move(path)), timeout_(timeout) {}

    // Sends each command (a payload command carries its lines after a
    // '\n'), returns each answer without the prompt. False when the socket
    // cannot be reached or stops answering (*error says which).
    bool run(const std::vector<std::string>& commands, std::vector<std::string>& answers, std::string* error) const;

    // One command, without prompt mode (the master's socket too); "" with
    // *error set when it fails to get an answer.
    std::string ask(const std::string& command, std::string* error) const;

private:
    std::string path_;
    std::chrono::milliseconds timeout_;
};

// A map replaced atomically: "prepare map" (a new, empty version), the
// entries as one payload, "commit map". False with *error on any answer
// HAProxy does not give for success.
bool replace_map(const CliSocket& cli, const std::string& map_file, const std::string& entries_text, std::string* error);

// Did HAProxy accept it? Per command kind, the answer success gives.
bool command_succeeded(const std::string& command, const std::string& answer);

}  // namespace svcnat::ingress
