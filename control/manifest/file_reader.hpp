// Reading manifest files: which files the paths name (directories like
// `kubectl apply -f DIR`), and each file's bytes with the stamp that
// identifies that version of it for the daemon's cache.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/model/diagnostic.hpp"

namespace svcnat::manifest {

// What identifies one version of a file for the cache: a file replaced by
// rename (editors, kubectl-style atomic writes, ConfigMap symlink swaps) has
// a new inode; one rewritten in place a new mtime/ctime or size.
struct FileStamp {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{}, ctime{};
    bool operator==(const FileStamp& o) const {
        return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
               mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
    }
};

FileStamp stamp_of(const struct stat& st);

// Reads the whole file through one descriptor, so that the stamp describes
// exactly the bytes read. Only regular files (a FIFO would block, a device
// like /dev/zero never end) of at most `max_bytes`. False with `error` set
// when it cannot.
bool read_file(const std::string& path, std::string& out, FileStamp& stamp, std::string& error, uint64_t max_bytes);

// A diagnostic about a path itself ("cannot read: ...").
Diagnostic file_error(const std::string& path, const std::string& what);

// The files `paths` name, in reading order: files as given, the manifest
// files of directories sorted by name. Each entry is a file to read or a
// problem with a path, where it occurs in the order (a broken symbolic link
// in a directory is a warning; the daemon reports a warning once).
struct PathEntry {
    std::string file;
    std::optional<Diagnostic> error;
};
std::vector<PathEntry> expand_paths(const std::vector<std::string>& paths);

}  // namespace svcnat::manifest
