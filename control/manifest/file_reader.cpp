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

namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

std::string too_big(uint64_t limit) {
    return "larger than the limit of " + std::to_string(limit) + " bytes per manifest file (--max-manifest-size)";
}

}  // namespace

bool read_file(const std::string& path, std::string& out, FileStamp& stamp, std::string& error, uint64_t max_bytes) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer forever. Regular files ignore it.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
    // Devices (/dev/zero never ends), FIFOs (block), sockets: not manifests.
    if (!S_ISREG(st.st_mode)) {
        error = std::string(kind_of(st.st_mode)) + ", not a regular file";
        ::close(fd);
        return false;
    }
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
        error = std::to_string(st.st_size) + " bytes, " + too_big(max_bytes);
        ::close(fd);
        return false;
    }
    stamp = stamp_of(st);
    out.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0);
    size_t got = 0;
    for (;;) {
        if (got == out.size()) {
            // Grew since fstat (a file being written, or /proc-like): still bounded.
            if (got >= max_bytes) {
                error = "growing while read, " + too_big(max_bytes);
                ::close(fd);
                return false;
            }
            out.resize(std::min<uint64_t>(out.size() + 65536, max_bytes + 1));
        }
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
        std::vector<PathEntry> links;  // broken symbolic links: reported, not read
        for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            if (!is_manifest_file_name(p.filename().string())) continue;
            std::error_code fec;
            const auto st = it->status(fec);  // follows symbolic links
            if (fec && it->is_symlink()) {
                Diagnostic d = file_error(p.string(), fec == std::errc::too_many_symbolic_link_levels
                                                          ? "symbolic link loop: skipped"
                                                          : "dangling symbolic link: skipped");
                d.severity = Severity::Warning;
                links.push_back({p.string(), std::move(d)});
                continue;
            }
            if (fs::is_regular_file(st)) files.push_back(p);
        }
        if (ec) {
            out.push_back({path, file_error(path, "cannot read directory: " + ec.message())});
            continue;
        }
        std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
        std::sort(links.begin(), links.end(), [](const PathEntry& a, const PathEntry& b) { return a.file < b.file; });
        for (auto& l : links) out.push_back(std::move(l));
        for (auto& f : files) out.push_back({f.string(), std::nullopt});
    }
    return out;
}

}  // namespace svcnat::manifest
