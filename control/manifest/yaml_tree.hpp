// A compact, read-only tree of one YAML document, built from libyaml's event
// stream. libyaml's own document API allocates a node object (and a stack per
// collection) for every value; here a document is one vector of fixed-size
// nodes plus one string arena, both reused across documents, which is what
// makes loading 100k objects cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct yaml_parser_s;

namespace svcnat::yaml {

inline constexpr uint32_t kNone = UINT32_MAX;

enum class NodeType : uint8_t { Scalar, Mapping, Sequence };

struct Node {
    NodeType type = NodeType::Scalar;
    // Scalar written quoted, as a block scalar (| or >) or tagged !!str: it is
    // a string whatever it looks like ("80" is not a number).
    bool quoted = false;
    uint32_t line = 0;         // 1-based line of the node's first character
    uint32_t text = 0;         // scalar: offset in the document's arena
    uint32_t length = 0;       // scalar: byte length
    uint32_t first = kNone;    // collection: first child (mappings: key, value, key, value, ...)
    uint32_t next = kNone;     // next sibling in the parent collection
    uint32_t count = 0;        // collection: entries (mappings: pairs)
};

class DocumentBuilder;

class Document {
public:
    const Node& node(uint32_t index) const { return nodes_[index]; }
    std::string_view text(const Node& n) const { return {arena_.data() + n.text, n.length}; }
    std::string_view text(uint32_t index) const { return text(nodes_[index]); }
    uint32_t root() const { return root_; }
    bool empty() const { return root_ == kNone; }

private:
    friend class DocumentBuilder;
    friend class StreamReader;
    void clear() {
        nodes_.clear();
        arena_.clear();
        root_ = kNone;
    }
    std::vector<Node> nodes_;
    std::string arena_;
    uint32_t root_ = kNone;
};

// libyaml's description of a syntax error, e.g.
// problem "could not find expected ':'", context "while scanning a simple key".
struct SyntaxError {
    uint32_t line = 0;  // 1-based line of the problem
    std::string problem;
    std::string context;
    uint32_t context_line = 0;
    std::string str() const;  // "could not find expected ':' (while scanning a simple key at line 3)"
};

// Reads the documents of one YAML (or JSON) text in order. The text must
// outlive the reader.
class StreamReader {
public:
    // `first_line`: the line of text's first character in its file, when
    // text is a piece of a bigger one.
    explicit StreamReader(std::string_view text, uint32_t first_line = 1);
    ~StreamReader();
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    // Fills `doc` with the next document and returns true; returns false at
    // the end of the stream or on a syntax error (then error() is set and no
    // further documents are read: libyaml cannot resynchronise).
    bool next(Document& doc);
    const std::optional<SyntaxError>& error() const { return error_; }

private:
    bool fail_from_parser();
    std::string_view text_;
    std::unique_ptr<yaml_parser_s> parser_;
    std::optional<SyntaxError> error_;
    uint32_t line_offset_ = 0;
    bool initialized_ = false;
    bool done_ = false;
};

}  // namespace svcnat::yaml
