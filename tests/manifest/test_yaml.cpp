// The YAML layer: the compact tree built from libyaml events and YAML 1.1
// scalar resolution as Kubernetes' decoder applies it.
#include <gtest/gtest.h>

#include "control/manifest/scalar.hpp"
#include "control/manifest/yaml_tree.hpp"

namespace svcnat::yaml {
namespace {

TEST(ScalarResolution, FollowsYaml11AsGoYamlDoes) {
    EXPECT_EQ(resolve_scalar("true", false).kind, ScalarKind::Bool);
    EXPECT_EQ(resolve_scalar("yes", false).kind, ScalarKind::Bool);
    EXPECT_EQ(resolve_scalar("Off", false).kind, ScalarKind::Bool);
    EXPECT_FALSE(resolve_scalar("Off", false).boolean);
    EXPECT_EQ(resolve_scalar("y", false).kind, ScalarKind::Bool);
    EXPECT_EQ(resolve_scalar("true", true).kind, ScalarKind::String);  // quoted
    EXPECT_EQ(resolve_scalar("", false).kind, ScalarKind::Null);
    EXPECT_EQ(resolve_scalar("~", false).kind, ScalarKind::Null);
    EXPECT_EQ(resolve_scalar("null", false).kind, ScalarKind::Null);
    EXPECT_EQ(resolve_scalar("", true).kind, ScalarKind::String);
    EXPECT_EQ(resolve_scalar("80", false).integer, 80);
    EXPECT_EQ(resolve_scalar("0x50", false).integer, 80);
    EXPECT_EQ(resolve_scalar("0120", false).integer, 80);  // leading 0: octal
    EXPECT_EQ(resolve_scalar("-1_000", false).integer, -1000);
    EXPECT_EQ(resolve_scalar("0b1010000", false).integer, 80);
    EXPECT_EQ(resolve_scalar("80", true).kind, ScalarKind::String);
    EXPECT_EQ(resolve_scalar("8.5", false).kind, ScalarKind::Float);
    EXPECT_EQ(resolve_scalar(".inf", false).kind, ScalarKind::Float);
    EXPECT_EQ(resolve_scalar("1e3", false).kind, ScalarKind::Float);
    EXPECT_EQ(resolve_scalar("10.96.0.1", false).kind, ScalarKind::String);
    EXPECT_EQ(resolve_scalar("99999999999999999999", false).kind, ScalarKind::Float);
    EXPECT_EQ(resolve_scalar("nginx", false).kind, ScalarKind::String);
    EXPECT_EQ(resolve_scalar("no-such", false).kind, ScalarKind::String);
}

std::vector<std::string> keys(const Document& doc, uint32_t map) {
    std::vector<std::string> out;
    const Node& m = doc.node(map);
    uint32_t k = m.first;
    for (uint32_t i = 0; i < m.count; ++i) {
        out.emplace_back(doc.text(k));
        k = doc.node(doc.node(k).next).next;
    }
    return out;
}

TEST(StreamReader, BuildsOneTreePerDocumentWithLines) {
    std::string text = "a: 1\nb:\n  - x\n  - 'y'\n---\n# only a comment\n---\nc: {d: e}\n";
    StreamReader reader(text);
    Document doc;
    ASSERT_TRUE(reader.next(doc));
    EXPECT_EQ(keys(doc, doc.root()), (std::vector<std::string>{"a", "b"}));
    uint32_t b_value = doc.node(doc.node(doc.node(doc.node(doc.root()).first).next).next).next;
    const Node& seq = doc.node(b_value);
    EXPECT_EQ(seq.type, NodeType::Sequence);
    EXPECT_EQ(seq.count, 2u);
    EXPECT_EQ(doc.node(seq.first).line, 3u);
    EXPECT_FALSE(doc.node(seq.first).quoted);
    EXPECT_TRUE(doc.node(doc.node(seq.first).next).quoted);
    EXPECT_EQ(doc.node(doc.node(seq.first).next).line, 4u);

    ASSERT_TRUE(reader.next(doc));  // the comment-only document
    EXPECT_TRUE(doc.empty());
    ASSERT_TRUE(reader.next(doc));
    EXPECT_EQ(keys(doc, doc.root()), (std::vector<std::string>{"c"}));
    EXPECT_EQ(doc.node(doc.root()).line, 8u);
    EXPECT_FALSE(reader.next(doc));
    EXPECT_FALSE(reader.error());
}

TEST(StreamReader, ExpandsAliases) {
    std::string text = "base: &b {x: 1}\ncopy: *b\n";
    StreamReader reader(text);
    Document doc;
    ASSERT_TRUE(reader.next(doc));
    uint32_t copy_key = doc.node(doc.node(doc.node(doc.root()).first).next).next;
    const Node& copy = doc.node(doc.node(copy_key).next);
    EXPECT_EQ(copy.type, NodeType::Mapping);
    EXPECT_EQ(keys(doc, doc.node(copy_key).next), (std::vector<std::string>{"x"}));
}

TEST(StreamReader, ReportsSyntaxErrorsWithLine) {
    std::string text = "a: 1\nb: [1, 2\n";
    StreamReader reader(text);
    Document doc;
    EXPECT_FALSE(reader.next(doc));
    ASSERT_TRUE(reader.error());
    EXPECT_EQ(reader.error()->line, 3u);
    EXPECT_EQ(reader.error()->str(), "did not find expected ',' or ']' (while parsing a flow sequence at line 2)");
}

TEST(StreamReader, RefusesAliasBombs) {
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c, ++prev) {
        text += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) text += std::string(i ? ", " : "") + "*" + prev;
        text += "]\n";
    }
    StreamReader reader(text);
    Document doc;
    EXPECT_FALSE(reader.next(doc));
    ASSERT_TRUE(reader.error());
    EXPECT_EQ(reader.error()->str(), "document contains excessive aliasing (more than 1048576 values copied by aliases)");
}

TEST(StreamReader, RefusesAbsurdNesting) {
    std::string text(2000, '[');
    StreamReader reader(text);
    Document doc;
    EXPECT_FALSE(reader.next(doc));
    ASSERT_TRUE(reader.error());
    EXPECT_EQ(reader.error()->str(), "nesting deeper than 1000 levels");
}

TEST(StreamReader, ReportsInvalidUtf8AtItsLine) {
    std::string text = "a: 1\nb: 2\nc: x\xff\n";
    StreamReader reader(text);
    Document doc;
    EXPECT_FALSE(reader.next(doc));
    ASSERT_TRUE(reader.error());
    EXPECT_EQ(reader.error()->line, 3u);
    EXPECT_EQ(reader.error()->str(), "invalid leading UTF-8 octet (byte #255 at offset 14)");
}

TEST(StreamReader, ReadsJson) {
    std::string text = "{\n  \"kind\": \"Service\",\n  \"port\": 80\n}\n";
    StreamReader reader(text);
    Document doc;
    ASSERT_TRUE(reader.next(doc));
    EXPECT_EQ(keys(doc, doc.root()), (std::vector<std::string>{"kind", "port"}));
    uint32_t kind_value = doc.node(doc.node(doc.root()).first).next;
    EXPECT_TRUE(doc.node(kind_value).quoted);
    EXPECT_EQ(doc.node(kind_value).line, 2u);
}

}  // namespace
}  // namespace svcnat::yaml
