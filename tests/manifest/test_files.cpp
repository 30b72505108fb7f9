// Files, directories, multi-document streams, List, JSON and line numbers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

namespace svcnat::testing {
namespace {

using ::testing::ElementsAre;

namespace fs = std::filesystem;

TEST(MultiDocument, ReadsEveryDocumentAndSkipsEmptyOnes) {
    auto r = load("---\n" + service_yaml("a", 80) + "---\n---\n# nothing\n---\n" + service_yaml("b", 81) + "...\n");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names(r), ElementsAre("a", "b"));
    EXPECT_EQ(r.manifests.services[0].meta.loc.line, 3u);
    EXPECT_EQ(r.manifests.services[1].meta.loc.line, 14u);
    EXPECT_EQ(r.manifests.services[1].ports[0].line, 19u);
}

TEST(MultiDocument, ErrorsInLaterDocumentsCarryTheirFileLine) {
    auto r = load(service_yaml("a", 80) + "---\n" + service_yaml("b", 0));
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:15: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"));
}

TEST(List, ItemsAreObjects) {
    auto r = load(R"(apiVersion: v1
kind: List
metadata: {}
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
  spec: {ports: [{port: 80}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
)");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names(r), ElementsAre("a"));
    EXPECT_EQ(r.manifests.services[0].meta.loc.line, 6u);
    EXPECT_EQ(r.manifests.pods.size(), 1u);
    EXPECT_THAT(messages(r), ElementsAre("t.yaml:13: skipping Deployment d: not used by svcnat"));
}

TEST(List, ExportedByKubectlGet) {
    // `kubectl get svc,endpointslices -o yaml`: server-set fields and all.
    auto r = load_paths({testdata("exported/kubectl-get-svc-list.yaml")}, Settings{});
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(r.diagnostics, ::testing::IsEmpty());
    EXPECT_THAT(service_names(r), ElementsAre("kubernetes", "web"));
    const Service& web = r.manifests.services[1];
    EXPECT_EQ(web.ports[0].nodePort, 31380);
    EXPECT_THAT(web.loadBalancerIngress, ElementsAre(*IPAddr::parse("203.0.113.50")));
    ASSERT_EQ(r.manifests.endpointSlices.size(), 1u);
    EXPECT_EQ(r.manifests.endpointSlices[0].serviceName, "web");
    EXPECT_EQ(r.manifests.endpointSlices[0].endpoints[0].targetPodName, "web-5d8f7c9b6-abcde");
    EXPECT_EQ(r.manifests.endpointSlices[0].endpoints[0].line, 88u);
}

TEST(Json, LoadsWithLineNumbers) {
    auto r = load(R"({
  "apiVersion": "v1",
  "kind": "Service",
  "metadata": {"name": "j", "labels": {"enabled": "true"}},
  "spec": {
    "type": "NodePort",
    "ports": [
      {"port": 80, "targetPort": "http", "nodePort": 30001},
      {"port": 443, "nodePort": 99}
    ]
  }
})");
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:8: spec.ports[0].name: Required value", "t.yaml:9: spec.ports[1].name: Required value",
                            "t.yaml:9: spec.ports[1].nodePort: Invalid value: 99: provided port is not in the valid "
                            "range. The range of valid ports is 30000-32767"));
}

TEST(Json, ValidObject) {
    auto r = load(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "j", "labels": {"enabled": "true"}},
 "spec": {"ports": [{"port": 80, "targetPort": "http"}], "publishNotReadyAddresses": true}})");
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_EQ(r.manifests.services[0].meta.labels.at("enabled"), "true");
    EXPECT_EQ(r.manifests.services[0].ports[0].targetPort, (IntOrString{true, 0, "http"}));
    EXPECT_TRUE(r.manifests.services[0].publishNotReadyAddresses);
}

TEST(Json, TabIndentedAsGoAndPythonWriteIt) {
    auto r = load("{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\",\n\t\"metadata\": {\n\t\t\"name\": \"tabs\"\n\t},\n"
                  "\t\"spec\": {\n\t\t\"ports\": [{\"port\": 0}]\n\t}\n}\n");
    EXPECT_THAT(messages(r),
                ElementsAre("t.yaml:8: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"));
}

TEST(Directory, LoadsManifestFilesSortedSkippingHiddenAndOthers) {
    ScratchDir dir("svcnat-manifest");
    dir.write("b.yaml", service_yaml("from-b", 80));
    dir.write("a.yml", service_yaml("from-a", 80));
    dir.write("c.json", R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "from-c"},
"spec": {"ports": [{"port": 80}]}})");
    dir.write(".hidden.yaml", service_yaml("hidden", 80));
    dir.write("notes.txt", "not yaml: [");
    dir.write("sub/d.yaml", service_yaml("in-subdir", 80));
    auto r = load_paths({dir.str()}, Settings{});
    ASSERT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    EXPECT_THAT(service_names(r), ElementsAre("from-a", "from-b", "from-c"));
    EXPECT_THAT(r.files, ElementsAre(dir.str() + "/a.yml", dir.str() + "/b.yaml", dir.str() + "/c.json"));
    EXPECT_EQ(r.manifests.services[1].meta.loc.file, dir.str() + "/b.yaml");
}

TEST(Directory, CrossFileDuplicatesNameBothFiles) {
    ScratchDir dir("svcnat-manifest");
    auto a = dir.write("a.yaml", service_yaml("same", 80));
    auto b = dir.write("b.yaml", "# header\n" + service_yaml("same", 81));
    auto r = load_paths({dir.str()}, Settings{});
    EXPECT_THAT(messages(r),
                ElementsAre(b + ":3: metadata.name: Duplicate value: \"same\": already defined in namespace default at " +
                            a + ":2"));
    EXPECT_THAT(service_names(r), ElementsAre("same"));
}

TEST(Paths, ExplicitFilesAndMissingPaths) {
    ScratchDir dir("svcnat-manifest");
    auto f = dir.write("svc.txt", service_yaml("explicit", 80));  // any extension when named explicitly
    auto r = load_paths({f, dir.str() + "/missing.yaml"}, Settings{});
    EXPECT_THAT(service_names(r), ElementsAre("explicit"));
    EXPECT_THAT(messages(r), ElementsAre(dir.str() + "/missing.yaml: cannot read: No such file or directory"));
    EXPECT_FALSE(r.ok());
}

TEST(Paths, SyntaxErrorStopsOnlyThatFile) {
    ScratchDir dir("svcnat-manifest");
    auto bad = dir.write("a.yaml", service_yaml("ok-before", 80) + "---\nkind: [\n");
    dir.write("b.yaml", service_yaml("ok-after", 80));
    auto r = load_paths({dir.str()}, Settings{});
    EXPECT_THAT(service_names(r), ElementsAre("ok-before", "ok-after"));
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].file, bad);
    EXPECT_EQ(r.diagnostics[0].line, 10u);
}

TEST(Settings, NodePortRangeAndServiceCIDRComeFromSettings) {
    Settings s;
    s.node_port_range = {20000, 20100};
    s.service_cidrs = {*CIDR::parse("172.20.0.0/16")};
    auto r = load("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: NodePort\n"
                  "  clusterIP: 172.20.1.1\n  ports: [{port: 80, nodePort: 20050}]\n",
                  s);
    EXPECT_TRUE(r.ok()) << ::testing::PrintToString(messages(r));
    auto bad = load("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  type: NodePort\n"
                    "  ports: [{port: 80, nodePort: 30000}]\n",
                    s);
    EXPECT_THAT(messages(bad), ElementsAre("t.yaml:6: spec.ports[0].nodePort: Invalid value: 30000: provided port is "
                                           "not in the valid range. The range of valid ports is 20000-20100"));
}

}  // namespace
}  // namespace svcnat::testing

namespace svcnat::testing {
namespace {

// A file over 1 MiB of valid and invalid documents, with `---` inside
// block scalars and comments where it is no document marker.
std::string big_manifest(size_t services) {
    std::string text = "# one big file\n";
    for (size_t i = 0; i < services; ++i) {
        const std::string name = "svc-" + std::to_string(i);
        text += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
                "\n  annotations:\n    note: |\n      ---\n      not a marker\n# ---\nspec:\n  ports:\n  - port: " +
                std::to_string(i % 97 == 5 ? 70000 : 80 + static_cast<int>(i % 1000)) + "\n";
        if (i % 211 == 0) text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-" + std::to_string(i) + "\n";
        if (i % 389 == 0)
            text += "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: l-" +
                    std::to_string(i) + "\n  spec:\n    ports:\n    - port: 81\n";
    }
    return text;
}

// What loading one file gives, as text, comparable between the two paths.
std::vector<std::string> outcome(const LoadResult& r) {
    std::vector<std::string> out = messages(r);
    for (const auto& s : r.manifests.services)
        out.push_back(s.meta.name + "@" + std::to_string(s.meta.loc.line) + ":" + std::to_string(s.ports.at(0).port));
    return out;
}

// A big file is decoded in pieces on the idle cores; objects, their lines
// and every message must be those of decoding it whole.
TEST(BigFile, DecodedInPiecesExactlyAsWhole) {
    ScratchDir dir("svcnat-bigfile");
    const std::string text = big_manifest(12000);
    ASSERT_GT(text.size(), size_t{3} << 19);  // over the 1 MiB split threshold, in 2+ pieces
    const std::string path = dir.write("all.yaml", text);
    const auto whole = load_text(text, path, Settings{});
    const auto pieces = load_paths({path}, Settings{});
    EXPECT_GT(whole.manifests.services.size(), 11000u);
    EXPECT_GT(whole.diagnostics.size(), 100u);  // the invalid ports and the skipped ConfigMaps
    EXPECT_EQ(outcome(pieces), outcome(whole));
}

TEST(BigFile, SyntaxErrorReadsAsInTheWholeFile) {
    ScratchDir dir("svcnat-bigfile");
    std::string text = big_manifest(12000);
    text.insert(text.size() * 3 / 4, "\n---\nkind: [unclosed\n");  // cut at a line start below
    const size_t at = text.find("\n---\nkind: [unclosed");
    ASSERT_NE(at, std::string::npos);
    const std::string path = dir.write("all.yaml", text);
    const auto whole = load_text(text, path, Settings{});
    const auto pieces = load_paths({path}, Settings{});
    EXPECT_FALSE(whole.ok());
    EXPECT_EQ(outcome(pieces), outcome(whole));
}

TEST(BigFile, DirectivesKeepTheFileWhole) {
    ScratchDir dir("svcnat-bigfile");
    const std::string text = "%YAML 1.1\n" + big_manifest(12000);
    const std::string path = dir.write("all.yaml", text);
    EXPECT_EQ(outcome(load_paths({path}, Settings{})), outcome(load_text(text, path, Settings{})));
}

}  // namespace
}  // namespace svcnat::testing
