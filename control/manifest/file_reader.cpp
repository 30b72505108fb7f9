#include "file_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "manifest_files.hpp"

namespace svcnat::manifest {

FileStamp stamp_of(const struct stat& st) { return FileStamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim}; }

bool read_file(const std::string& path, std::string& out, FileStamp& stamp, std::string& error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        error = std::strerror(errno);
        ::close(fd);
        return false;
    }
    stamp = stamp_of(st);
    out.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0);
    size_t got = 0;
    for (;;) {
        if (got == out.size()) out.resize(out.size() + 65536);  // grew since fstat (or /proc-like)
        ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(got);
    return true;
}

Diagnostic file_error(const std::string& path, const std::string& what) {
    Diagnostic d;
    d.file = path;
    d.message = what;
    return d;
}

std::vector<PathEntry> expand_paths(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<PathEntry> out;
    for (const std::string& path : paths) {
        std::error_code ec;
        auto status = fs::status(path, ec);
        if (ec) {
            out.push_back({path, file_error(path, "cannot read: " + ec.message())});
            continue;
        }
        if (!fs::is_directory(status)) {
            out.push_back({path, std::nullopt});
            continue;
        }
        // Like `kubectl apply -f DIR`: the directory's own manifest files,
        // not its subdirectories; hidden entries (editor swap files,
        // Kubernetes' ..data ConfigMap links) are skipped.
        std::vector<fs::path> files;
        for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (!is_manifest_file_name(p.filename().string())) continue;
            std::error_code fec;
            if (fs::is_regular_file(it->status(fec))) files.push_back(p);
        }
        if (ec) {
            out.push_back({path, file_error(path, "cannot read directory: " + ec.message())});
            continue;
        }
        std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
        for (auto& f : files) out.push_back({f.string(), std::nullopt});
    }
    return out;
}

}  // namespace svcnat::manifest
