#include "yaml_tree.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace svcnat::yaml {

namespace {

// Bounds alias expansion ("billion laughs"): without aliases a document has
// fewer values than bytes, so only what aliases copy needs a limit, far
// above what real manifests (which rarely use aliases at all) copy.
constexpr size_t kMaxAliasCopies = size_t{1} << 20;
// Deeper nesting than any manifest has; bounds the recursion of alias copies.
constexpr size_t kMaxDepth = 1000;

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

struct OpenCollection {
    uint32_t node;
    uint32_t last_child;
};

}  // namespace

std::string SyntaxError::str() const {
    std::string s = problem;
    if (!context.empty()) {
        s += " (" + context;
        if (context_line && context_line != line) s += " at line " + std::to_string(context_line);
        s += ")";
    }
    return s;
}

StreamReader::StreamReader(std::string_view text, uint32_t first_line)
    : text_(text), parser_(std::make_unique<yaml_parser_t>()), line_offset_(first_line - 1) {
    if (!yaml_parser_initialize(parser_.get())) {
        error_ = SyntaxError{0, "cannot initialise the YAML parser (out of memory)", {}, 0};
        done_ = true;
        return;
    }
    initialized_ = true;
    yaml_parser_set_input_string(parser_.get(), reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
}

StreamReader::~StreamReader() {
    if (initialized_) yaml_parser_delete(parser_.get());
}

bool StreamReader::fail_from_parser() {
    const yaml_parser_t& p = *parser_;
    SyntaxError e;
    e.problem = p.problem ? p.problem : "invalid YAML";
    // libyaml reports the offending character ("found character that cannot
    // start any token") through problem_value for reader errors.
    if (p.error == YAML_READER_ERROR) {
        // The reader decodes ahead of the scanner, so its mark is not where
        // the bad byte is: count the lines up to the byte's offset instead.
        e.problem += " (byte #" + std::to_string(p.problem_value) + " at offset " +
                     std::to_string(p.problem_offset) + ")";
        size_t end = std::min(p.problem_offset, text_.size());
        e.line = static_cast<uint32_t>(1 + std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    } else {
        e.line = static_cast<uint32_t>(p.problem_mark.line + 1);
    }
    if (p.context) {
        e.context = p.context;
        e.context_line = static_cast<uint32_t>(p.context_mark.line + 1);
    }
    if (e.line == 0) e.line = 1;
    e.line += line_offset_;
    if (e.context_line) e.context_line += line_offset_;
    error_ = std::move(e);
    done_ = true;
    return false;
}

bool StreamReader::next(Document& doc) {
    if (done_) return false;
    doc.clear();
    std::vector<OpenCollection> open;
    std::vector<std::pair<std::string, uint32_t>> anchors;
    bool in_document = false;

    auto attach = [&](uint32_t index) {
        if (open.empty()) {
            doc.root_ = index;
            return;
        }
        OpenCollection& parent = open.back();
        if (parent.last_child == kNone) doc.nodes_[parent.node].first = index;
        else doc.nodes_[parent.last_child].next = index;
        parent.last_child = index;
        doc.nodes_[parent.node].count++;
    };
    auto remember_anchor = [&](const yaml_char_t* anchor, uint32_t index) {
        if (anchor) anchors.emplace_back(reinterpret_cast<const char*>(anchor), index);
    };
    // Aliases are expanded by copying the anchored subtree, so consumers never
    // see them (go-yaml, which Kubernetes uses, does the same).
    bool too_large = false;
    size_t copies = 0;
    auto copy_subtree = [&](auto&& self, uint32_t from) -> uint32_t {
        uint32_t to = static_cast<uint32_t>(doc.nodes_.size());
        if (++copies > kMaxAliasCopies) {
            too_large = true;  // stop copying; reported below
            return from;
        }
        Node n = doc.nodes_[from];
        n.next = kNone;
        n.first = kNone;
        doc.nodes_.push_back(n);
        uint32_t last = kNone;
        for (uint32_t c = doc.nodes_[from].first; c != kNone && !too_large; c = doc.nodes_[c].next) {
            uint32_t copy = self(self, c);
            if (last == kNone) doc.nodes_[to].first = copy;
            else doc.nodes_[last].next = copy;
            last = copy;
        }
        return to;
    };

    yaml_event_t event;
    for (;;) {
        if (!yaml_parser_parse(parser_.get(), &event)) return fail_from_parser();
        const uint32_t line = static_cast<uint32_t>(event.start_mark.line + 1) + line_offset_;
        bool finished_document = false;
        switch (event.type) {
            case YAML_STREAM_END_EVENT:
                done_ = true;
                yaml_event_delete(&event);
                return false;
            case YAML_DOCUMENT_START_EVENT:
                in_document = true;
                doc.start_line_ = line;
                break;
            case YAML_DOCUMENT_END_EVENT:
                finished_document = in_document;
                break;
            case YAML_SCALAR_EVENT: {
                Node n;
                n.type = NodeType::Scalar;
                n.line = line;
                const char* tag = reinterpret_cast<const char*>(event.data.scalar.tag);
                n.quoted = event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                           (tag && (kStrTag == tag || std::strcmp(tag, "!") == 0));
                n.text = static_cast<uint32_t>(doc.arena_.size());
                n.length = static_cast<uint32_t>(event.data.scalar.length);
                doc.arena_.append(reinterpret_cast<const char*>(event.data.scalar.value),
                                  event.data.scalar.length);
                uint32_t index = static_cast<uint32_t>(doc.nodes_.size());
                doc.nodes_.push_back(n);
                remember_anchor(event.data.scalar.anchor, index);
                attach(index);
                break;
            }
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT: {
                Node n;
                n.type = event.type == YAML_MAPPING_START_EVENT ? NodeType::Mapping : NodeType::Sequence;
                n.line = line;
                uint32_t index = static_cast<uint32_t>(doc.nodes_.size());
                doc.nodes_.push_back(n);
                remember_anchor(event.type == YAML_MAPPING_START_EVENT ? event.data.mapping_start.anchor
                                                                       : event.data.sequence_start.anchor,
                                index);
                attach(index);
                open.push_back({index, kNone});
                if (open.size() > kMaxDepth) {
                    error_ = SyntaxError{line, "nesting deeper than " + std::to_string(kMaxDepth) + " levels", {}, 0};
                    done_ = true;
                    yaml_event_delete(&event);
                    return false;
                }
                break;
            }
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT: {
                Node& n = doc.nodes_[open.back().node];
                if (n.type == NodeType::Mapping) n.count /= 2;
                open.pop_back();
                break;
            }
            case YAML_ALIAS_EVENT: {
                std::string_view name = reinterpret_cast<const char*>(event.data.alias.anchor);
                uint32_t target = kNone;
                for (auto it = anchors.rbegin(); it != anchors.rend(); ++it) {
                    if (it->first == name) {
                        target = it->second;
                        break;
                    }
                }
                if (target == kNone) {
                    // libyaml's parser leaves unknown anchors to the composer.
                    error_ = SyntaxError{line, "unknown anchor '" + std::string(name) + "' referenced", {}, 0};
                    done_ = true;
                    yaml_event_delete(&event);
                    return false;
                }
                uint32_t copy = copy_subtree(copy_subtree, target);
                if (!too_large) attach(copy);
                break;
            }
            default:
                break;
        }
        yaml_event_delete(&event);
        if (too_large) {
            error_ = SyntaxError{line, "document contains excessive aliasing (more than " +
                                           std::to_string(kMaxAliasCopies) + " values copied by aliases)", {}, 0};
            done_ = true;
            return false;
        }
        if (finished_document) {
            // `---` followed by nothing is an empty document, skipped like kubectl does.
            if (doc.root_ != kNone) {
                const Node& r = doc.nodes_[doc.root_];
                if (r.type == NodeType::Scalar && !r.quoted && r.length == 0) doc.root_ = kNone;
            }
            return true;
        }
    }
}

}  // namespace svcnat::yaml
