#include "big_file.hpp"

#include <algorithm>

#include "control/os/parallel.hpp"

namespace svcnat::manifest {

namespace {

// A file at least this big, when there are cores to spare, is decoded in
// pieces in parallel (one big manifest file is a common layout).
constexpr size_t kSplitBytes = size_t{1} << 20;

// Where to cut `text` into about `pieces` pieces: before document markers
// (`---` at the start of a line, then a blank or the end), which end any
// scalar or collection in YAML, so that each piece decodes exactly as it
// does in place. Not with directives (`%YAML`, `%TAG`), which belong to the
// document after them. Returns the starts of the pieces after the first.
}  // namespace

std::vector<size_t> split_points(std::string_view text, size_t pieces) {
    std::vector<size_t> cuts;
    if (pieces < 2 || text.size() < kSplitBytes || text.starts_with('%') ||
        text.find("\n%") != std::string_view::npos)
        return cuts;
    auto is_marker = [&](size_t at) {
        if (text.compare(at, 3, "---") != 0) return false;
        return at + 3 == text.size() || text[at + 3] == ' ' || text[at + 3] == '\t' || text[at + 3] == '\n' ||
               text[at + 3] == '\r';
    };
    for (size_t i = 1; i < pieces; ++i) {
        const size_t target = text.size() / pieces * i;
        size_t at = cuts.empty() ? 0 : cuts.back() + 1;
        at = std::max(at, target);
        while ((at = text.find("\n---", at)) != std::string_view::npos && !is_marker(at + 1)) ++at;
        if (at == std::string_view::npos) break;
        cuts.push_back(at + 1);
    }
    return cuts;
}

bool decode_in_pieces(std::string_view text, const std::string& path, const Settings& settings, size_t pieces,
                      ParsedFile& out) {
    const auto cuts = split_points(text, pieces);
    if (cuts.empty()) return false;
    std::vector<size_t> starts{0};
    starts.insert(starts.end(), cuts.begin(), cuts.end());
    std::vector<ParsedFile> parts(starts.size());
    std::vector<char> valid(starts.size(), 0);
    run_parallel(starts.size(), [&](size_t i) {
        const size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
        const std::string_view piece = text.substr(starts[i], end - starts[i]);
        const auto first_line =
            static_cast<uint32_t>(1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(starts[i]), '\n'));
        valid[i] = decode_text(piece, path, settings, parts[i], first_line);
    });
    if (std::find(valid.begin(), valid.end(), 0) != valid.end()) return false;
    for (auto& part : parts) append_parsed(out, std::move(part));
    return true;
}


}  // namespace svcnat::manifest
