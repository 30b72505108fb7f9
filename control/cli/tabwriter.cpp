#include "tabwriter.hpp"

#include <vector>

namespace svcnat::cli {

namespace {

using Line = std::vector<std::string>;

// Display width: UTF-8 code points (the tables hold ASCII in practice).
size_t width_of(const std::string& s) {
    size_t w = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++w;
    return w;
}

class Formatter {
public:
    Formatter(std::vector<Line> lines, size_t minwidth, size_t padding)
        : lines_(std::move(lines)), minwidth_(minwidth), padding_(padding) {}

    std::string run() {
        format(0, lines_.size());
        return out_;
    }

private:
    // Go's Writer.format: find blocks of lines that have a cell in the next
    // column, fix that column's width for the block, recurse to the right.
    void format(size_t line0, size_t line1) {
        const size_t column = widths_.size();
        for (size_t self = line0; self < line1; ++self) {
            if (column + 1 >= lines_[self].size()) continue;
            write_lines(line0, self);
            line0 = self;
            size_t width = minwidth_;
            for (; self < line1; ++self) {
                if (column + 1 >= lines_[self].size()) break;
                width = std::max(width, width_of(lines_[self][column]) + padding_);
            }
            widths_.push_back(width);
            format(line0, self);
            widths_.pop_back();
            line0 = self;
            if (self == line1) break;
        }
        write_lines(line0, line1);
    }

    void write_lines(size_t line0, size_t line1) {
        for (size_t i = line0; i < line1; ++i) {
            const Line& line = lines_[i];
            for (size_t j = 0; j < line.size(); ++j) {
                out_ += line[j];
                if (j < widths_.size()) {
                    size_t w = width_of(line[j]);
                    if (widths_[j] > w) out_.append(widths_[j] - w, ' ');
                }
            }
            out_ += '\n';
        }
    }

    std::vector<Line> lines_;
    size_t minwidth_, padding_;
    std::vector<size_t> widths_;
    std::string out_;
};

}  // namespace

std::string tabwrite(std::string_view text, size_t minwidth, size_t padding) {
    std::vector<Line> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view raw = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        Line line;
        while (true) {
            auto tab = raw.find('\t');
            line.emplace_back(raw.substr(0, tab));
            if (tab == std::string_view::npos) break;
            raw.remove_prefix(tab + 1);
        }
        lines.push_back(std::move(line));
    }
    return Formatter(std::move(lines), minwidth, padding).run();
}

}  // namespace svcnat::cli
