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

// Builds one Document from libyaml's events. Each event handler returns ""
// or the error that ends the stream.
class DocumentBuilder {
public:
    explicit DocumentBuilder(Document& doc) : doc_(doc) {}

    std::string scalar(const yaml_event_t& event, uint32_t line) {
        Node n;
        n.type = NodeType::Scalar;
        n.line = line;
        const char* tag = reinterpret_cast<const char*>(event.data.scalar.tag);
        n.quoted = event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                   (tag && (kStrTag == tag || std::strcmp(tag, "!") == 0));
        n.text = static_cast<uint32_t>(doc_.arena_.size());
        n.length = static_cast<uint32_t>(event.data.scalar.length);
        doc_.arena_.append(reinterpret_cast<const char*>(event.data.scalar.value), event.data.scalar.length);
        add(n, event.data.scalar.anchor);
        return {};
    }

    std::string collection_start(const yaml_event_t& event, uint32_t line) {
        Node n;
        const bool mapping = event.type == YAML_MAPPING_START_EVENT;
        n.type = mapping ? NodeType::Mapping : NodeType::Sequence;
        n.line = line;
        const uint32_t index = add(n, mapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor);
        open_.push_back({index, kNone});
        if (open_.size() > kMaxDepth) return "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
        return {};
    }

    void collection_end() {
        Node& n = doc_.nodes_[open_.back().node];
        if (n.type == NodeType::Mapping) n.count /= 2;  // counted keys and values
        open_.pop_back();
    }

    // Aliases are expanded by copying the anchored subtree, so consumers
    // never see them (go-yaml, which Kubernetes uses, does the same).
    std::string alias(const yaml_event_t& event) {
        const std::string_view name = reinterpret_cast<const char*>(event.data.alias.anchor);
        uint32_t target = kNone;
        for (auto it = anchors_.rbegin(); it != anchors_.rend() && target == kNone; ++it)
            if (it->first == name) target = it->second;
        // libyaml's parser leaves unknown anchors to the composer.
        if (target == kNone) return "unknown anchor '" + std::string(name) + "' referenced";
        const uint32_t copy = copy_subtree(target);
        if (too_large_)
            return "document contains excessive aliasing (more than " + std::to_string(kMaxAliasCopies) +
                   " values copied by aliases)";
        attach(copy);
        return {};
    }

    // `---` followed by nothing is an empty document, skipped like kubectl does.
    void finish() {
        if (doc_.root_ == kNone) return;
        const Node& r = doc_.nodes_[doc_.root_];
        if (r.type == NodeType::Scalar && !r.quoted && r.length == 0) doc_.root_ = kNone;
    }

private:
    uint32_t add(const Node& n, const yaml_char_t* anchor) {
        const auto index = static_cast<uint32_t>(doc_.nodes_.size());
        doc_.nodes_.push_back(n);
        if (anchor) anchors_.emplace_back(reinterpret_cast<const char*>(anchor), index);
        attach(index);
        return index;
    }

    void attach(uint32_t index) {
        if (open_.empty()) {
            doc_.root_ = index;
            return;
        }
        OpenCollection& parent = open_.back();
        if (parent.last_child == kNone) doc_.nodes_[parent.node].first = index;
        else doc_.nodes_[parent.last_child].next = index;
        parent.last_child = index;
        doc_.nodes_[parent.node].count++;
    }

    uint32_t copy_subtree(uint32_t from) {
        const auto to = static_cast<uint32_t>(doc_.nodes_.size());
        if (++copies_ > kMaxAliasCopies) {
            too_large_ = true;  // stop copying; reported by alias()
            return from;
        }
        Node n = doc_.nodes_[from];
        n.next = kNone;
        n.first = kNone;
        doc_.nodes_.push_back(n);
        uint32_t last = kNone;
        for (uint32_t c = doc_.nodes_[from].first; c != kNone && !too_large_; c = doc_.nodes_[c].next) {
            const uint32_t copy = copy_subtree(c);
            if (last == kNone) doc_.nodes_[to].first = copy;
            else doc_.nodes_[last].next = copy;
            last = copy;
        }
        return to;
    }

    Document& doc_;
    std::vector<OpenCollection> open_;
    std::vector<std::pair<std::string, uint32_t>> anchors_;
    size_t copies_ = 0;
    bool too_large_ = false;
};

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
    DocumentBuilder builder(doc);
    bool in_document = false;
    yaml_event_t event;
    for (;;) {
        if (!yaml_parser_parse(parser_.get(), &event)) return fail_from_parser();
        const uint32_t line = static_cast<uint32_t>(event.start_mark.line + 1) + line_offset_;
        const yaml_event_type_t type = event.type;
        std::string error;
        switch (type) {
            case YAML_DOCUMENT_START_EVENT: in_document = true; break;
            case YAML_SCALAR_EVENT: error = builder.scalar(event, line); break;
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT: error = builder.collection_start(event, line); break;
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT: builder.collection_end(); break;
            case YAML_ALIAS_EVENT: error = builder.alias(event); break;
            default: break;
        }
        yaml_event_delete(&event);
        if (!error.empty()) {
            error_ = SyntaxError{line, std::move(error), {}, 0};
            done_ = true;
            return false;
        }
        if (type == YAML_STREAM_END_EVENT) {
            done_ = true;
            return false;
        }
        if (type == YAML_DOCUMENT_END_EVENT && in_document) {
            builder.finish();
            return true;
        }
    }
}

}  // namespace svcnat::yaml
