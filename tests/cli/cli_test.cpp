// Runs the built `svcnat` executable (path in $SVCNAT_BIN) on conf/examples
// (under $SVCNAT_SOURCE_ROOT) and compares its output with golden files in
// tests/cli/golden/. The goldens double as a determinism check: allocation
// must give the same ClusterIPs and NodePorts on every machine.
// SVCNAT_UPDATE_GOLDEN=1 rewrites the goldens instead of comparing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <filesystem>
#include <vector>

namespace {

struct Result {
    int status = -1;
    std::string out, err;
};

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Runs svcnat with `args` in the source root; stdout and stderr captured.
Result run(const std::vector<std::string>& args) {
    const std::string bin = env_or_empty("SVCNAT_BIN");
    const std::string root = env_or_empty("SVCNAT_SOURCE_ROOT");
    char out_tmpl[] = "/tmp/svcnat-cli-test-out-XXXXXX";
    char err_tmpl[] = "/tmp/svcnat-cli-test-err-XXXXXX";
    int out_fd = mkstemp(out_tmpl);
    int err_fd = mkstemp(err_tmpl);
    Result r;
    if (out_fd < 0 || err_fd < 0) return r;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        if (chdir(root.c_str()) != 0) _exit(126);
        alarm(30);  // a hang (a FIFO read, an endless device) fails the test instead of blocking it
        std::vector<char*> argv{const_cast<char*>(bin.c_str())};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(bin.c_str(), argv.data());
        _exit(127);
    }
    int wstatus = 0;
    if (pid > 0 && waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) r.status = WEXITSTATUS(wstatus);
    close(out_fd);
    close(err_fd);
    r.out = slurp(out_tmpl);
    r.err = slurp(err_tmpl);
    unlink(out_tmpl);
    unlink(err_tmpl);
    return r;
}

void expect_golden(const std::string& name, const std::string& actual) {
    const std::string path = env_or_empty("SVCNAT_SOURCE_ROOT") + "/tests/cli/golden/" + name;
    if (env_or_empty("SVCNAT_UPDATE_GOLDEN") == "1") {
        std::ofstream(path) << actual;
        return;
    }
    std::ifstream probe(path);
    ASSERT_TRUE(probe.good()) << "missing golden file " << path;
    EXPECT_EQ(actual, slurp(path)) << "differs from " << path;
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        if (env_or_empty("SVCNAT_BIN").empty() || env_or_empty("SVCNAT_SOURCE_ROOT").empty())
            GTEST_FAIL() << "SVCNAT_BIN and SVCNAT_SOURCE_ROOT must be set (meson test does)";
    }
};

// The node the example addresses assume; the host name would vary.
const std::vector<std::string> kExamples = {"-f", "conf/examples", "--node-name", "node-a"};

std::vector<std::string> with_examples(std::vector<std::string> args) {
    args.insert(args.end(), kExamples.begin(), kExamples.end());
    return args;
}

TEST_F(Cli, CheckExamplesSucceeds) {
    auto r = run({"check", "conf/examples", "--node-name", "node-a"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    expect_golden("check_examples.txt", r.out);
}

TEST_F(Cli, GetSvcAllNamespaces) {
    auto r = run(with_examples({"get", "svc", "-A"}));
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("get_svc_A.txt", r.out);
    // Every example service is there with its allocated address and ports.
    for (const char* name : {"kubernetes ", "kubia ", "kubia-nodeport", "kubia-loadbalancer", "kubia-local",
                             "the-service ", "the-service-nodeport", "the-service-external", "ssh-service1",
                             "redis-sentinel", "myapp ", "myapp-headless", "myapp-nodeport", "my-service",
                             "the-mysql", "mongo"})
        EXPECT_NE(r.out.find(name), std::string::npos) << name;
    EXPECT_NE(r.out.find("10.96.0.1 "), std::string::npos);
    EXPECT_NE(r.out.find("80:30123/TCP"), std::string::npos);
    EXPECT_NE(r.out.find("2222:30239/TCP"), std::string::npos);
}

TEST_F(Cli, ManifestsFromTheConfigFile) {
    char tmpl[] = "/tmp/svcnat-cli-test-conf-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    const std::string conf = tmpl;
    std::ofstream(conf) << "manifests = " << env_or_empty("SVCNAT_SOURCE_ROOT") << "/conf/examples\n"
                        << "node-name = node-a\n";
    auto r = run({"get", "svc", "-A", "--config", conf});
    unlink(conf.c_str());
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("get_svc_A.txt", r.out);  // same as with -f
}

TEST_F(Cli, GetSvcWide) {
    auto r = run(with_examples({"get", "svc", "-o", "wide"}));
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("get_svc_wide.txt", r.out);
}

TEST_F(Cli, GetEndpoints) {
    auto r = run(with_examples({"get", "endpoints"}));
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("get_endpoints.txt", r.out);
}

TEST_F(Cli, DescribeSvc) {
    auto r = run(with_examples({"describe", "svc", "kubia-local", "redis-sentinel", "the-mysql"}));
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("describe_svc.txt", r.out);
}

// Ingresses and Gateway API objects as kubectl lists and describes them.
TEST_F(Cli, GetAndDescribeIngress) {
    auto r = run(with_examples({"get", "ingress", "--ingress-status-address", "203.0.113.1"}));
    EXPECT_EQ(r.status, 0) << r.err;
    auto routes = run(with_examples({"get", "httproute"}));
    EXPECT_EQ(routes.status, 0) << routes.err;
    auto gateways = run(with_examples({"get", "gateway"}));
    EXPECT_EQ(gateways.status, 0) << gateways.err;
    auto described = run(with_examples({"describe", "ingress", "kubia", "--ingress-http-address", "203.0.113.1:80"}));
    EXPECT_EQ(described.status, 0) << described.err;
    expect_golden("get_describe_ingress.txt", r.out + "\n" + routes.out + "\n" + gateways.out + "\n" + described.out);
    auto missing = run(with_examples({"get", "ing", "nope"}));
    EXPECT_EQ(missing.status, 1);
    EXPECT_EQ(missing.err, "Error from server (NotFound): ingresses.networking.k8s.io \"nope\" not found\n");
}

TEST_F(Cli, GetSvcJsonIsTheAllocatedObject) {
    auto r = run(with_examples({"get", "svc", "kubia-nodeport", "-o", "json"}));
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["kind"], "Service");
    EXPECT_EQ(j["metadata"]["name"], "kubia-nodeport");
    EXPECT_EQ(j["spec"]["ports"][0]["nodePort"], 30123);
    EXPECT_EQ(j["spec"]["selector"]["app"], "kubia");
    const std::string ip = j["spec"]["clusterIP"];
    EXPECT_EQ(ip.rfind("10.", 0), 0u);

    auto list = run(with_examples({"get", "svc", "-A", "-o", "json"}));
    ASSERT_EQ(list.status, 0);
    auto l = nlohmann::json::parse(list.out);
    EXPECT_EQ(l["kind"], "List");
    EXPECT_EQ(l["items"].size(), 17u);
}

TEST_F(Cli, GetSvcYaml) {
    auto r = run(with_examples({"get", "svc", "kubia-local", "-o", "yaml"}));
    EXPECT_EQ(r.status, 0) << r.err;
    expect_golden("get_svc_kubia_local.yaml", r.out);
}

TEST_F(Cli, NotFoundAndEmptyNamespace) {
    auto r = run(with_examples({"get", "svc", "kubia", "nope"}));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.out.find("kubia "), std::string::npos);
    EXPECT_EQ(r.err, "Error from server (NotFound): services \"nope\" not found\n");
    auto empty = run(with_examples({"get", "svc", "-n", "kube-public"}));
    EXPECT_EQ(empty.status, 0);
    EXPECT_EQ(empty.out, "");
    EXPECT_EQ(empty.err, "No resources found in kube-public namespace.\n");
    auto d = run(with_examples({"describe", "svc", "nope"}));
    EXPECT_EQ(d.status, 1);
}

TEST_F(Cli, ExitCodes) {
    char dir_tmpl[] = "/tmp/svcnat-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_tmpl), nullptr);
    const std::string dir = dir_tmpl;
    const std::string bad = dir + "/bad.yaml";
    std::ofstream(bad) << "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  type: NodePort\n"
                          "  ports:\n  - port: 80\n    nodePort: 80\n  selector:\n    app: x\n";
    auto invalid = run({"check", bad});
    EXPECT_EQ(invalid.status, 1);
    EXPECT_NE(invalid.err.find(bad + ":9: spec.ports[0].nodePort: "), std::string::npos) << invalid.err;
    EXPECT_NE(invalid.out.find("INVALID"), std::string::npos);
    auto get_invalid = run({"get", "svc", "-f", bad});
    EXPECT_EQ(get_invalid.status, 1);
    unlink(bad.c_str());
    rmdir(dir.c_str());

    EXPECT_EQ(run({"check"}).status, 2);                                  // no manifests
    EXPECT_EQ(run({"check", "--bogus", "conf/examples"}).status, 2);      // unknown option
    EXPECT_EQ(run({"check", "--node-port-range=1", "conf/examples"}).status, 2);
    EXPECT_EQ(run({"get", "pods", "-f", "conf/examples"}).status, 2);     // unknown resource
    EXPECT_EQ(run({"get", "svc", "-o", "xml", "-f", "conf/examples"}).status, 2);
    auto unknown = run({"frobnicate"});
    EXPECT_EQ(unknown.status, 2);
    EXPECT_EQ(unknown.err, "svcnat: unknown subcommand \"frobnicate\" (see svcnat --help)\n");
    EXPECT_EQ(run({}).status, 2);
}

TEST_F(Cli, Help) {
    auto top = run({"--help"});
    EXPECT_EQ(top.status, 0);
    for (const char* sub : {"check ", "get ", "describe ", "help "}) EXPECT_NE(top.out.find(sub), std::string::npos);
    auto sub = run({"help", "get"});
    EXPECT_EQ(sub.status, 0);
    EXPECT_NE(sub.out.find("Usage: svcnat get"), std::string::npos);
    EXPECT_NE(sub.out.find("--all-namespaces"), std::string::npos);
    EXPECT_NE(sub.out.find("--node-port-range"), std::string::npos);
    auto check = run({"check", "--help"});
    EXPECT_EQ(check.status, 0);
    EXPECT_NE(check.out.find("--masquerade-bit"), std::string::npos);
}

// Hostile files named on the command line or met in a directory: refused
// with a reason, quickly, never read without bound or waited on.
class HostileFiles : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        char tmpl[] = "/tmp/svcnat-cli-hostile-XXXXXX";
        dir_ = mkdtemp(tmpl);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    void write(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
    std::string dir_;
};

const char* kService = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n";

TEST_F(HostileFiles, DevicesAndFifosAreNotRead) {
    auto zero = run({"check", "/dev/zero", "--node-name", "n"});
    EXPECT_EQ(zero.status, 1);
    EXPECT_NE(zero.err.find("/dev/zero: cannot read: a character device, not a regular file"), std::string::npos)
        << zero.err;
    ASSERT_EQ(mkfifo(path("pipe.yaml").c_str(), 0600), 0);
    auto fifo = run({"check", path("pipe.yaml"), "--node-name", "n"});
    EXPECT_EQ(fifo.status, 1);
    EXPECT_NE(fifo.err.find("pipe.yaml: cannot read: a FIFO, not a regular file"), std::string::npos) << fifo.err;
}

TEST_F(HostileFiles, FilesOverTheSizeLimitAreRefused) {
    write("big.yaml", std::string(kService) + "# " + std::string(2000, 'x') + "\n");
    auto r = run({"check", path("big.yaml"), "--node-name", "n", "--max-manifest-size", "1Ki"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("larger than the limit of 1024 bytes per manifest file (--max-manifest-size)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(run({"check", path("big.yaml"), "--node-name", "n"}).status, 0);  // the default is generous
}

TEST_F(HostileFiles, BrokenSymbolicLinksInADirectoryAreReported) {
    write("web.yaml", kService);
    std::filesystem::create_symlink(path("gone.yaml"), path("dangling.yaml"));
    std::filesystem::create_symlink(path("loop-b.yaml"), path("loop-a.yaml"));
    std::filesystem::create_symlink(path("loop-a.yaml"), path("loop-b.yaml"));
    auto r = run({"check", dir_, "--node-name", "n"});
    EXPECT_EQ(r.status, 0) << r.err;  // warnings: the rest of the directory loads
    EXPECT_NE(r.err.find("dangling.yaml: warning: dangling symbolic link: skipped"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("loop-a.yaml: warning: symbolic link loop: skipped"), std::string::npos) << r.err;
}

TEST_F(HostileFiles, UnknownKindsAreWarnedKnownUnusedOnesStayQuiet) {
    write("typo.yaml", "apiVersion: v1\nkind: Servce\nmetadata: {name: web}\n---\napiVersion: apps/v1\n"
                       "kind: Deployment\nmetadata: {name: web}\n");
    auto r = run({"check", path("typo.yaml"), "--node-name", "n"});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.err.find("typo.yaml:2: warning: skipping Servce web: \"Servce\" is not a Kubernetes kind svcnat knows"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("Deployment"), std::string::npos) << r.err;
}

TEST_F(HostileFiles, AnnotationsOverTheApiServersLimitAreRefused) {
    write("big.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations:\n    note: \"" +
                          std::string(300 * 1024, 'a') + "\"\nspec: {ports: [{port: 80}]}\n");
    auto r = run({"check", path("big.yaml"), "--node-name", "n"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("big.yaml:5: metadata.annotations: Too long: must have at most 262144 bytes"),
              std::string::npos)
        << r.err;
}

}  // namespace

namespace {

// Every long option a --help text lists ("--dns-ttl"), in order.
std::vector<std::string> long_options(const std::string& help) {
    std::vector<std::string> out;
    std::istringstream in(help);
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("--");
        if (line.rfind("  -", 0) != 0 || at == std::string::npos) continue;
        size_t end = at + 2;
        while (end < line.size() && (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '-')) ++end;
        out.push_back(line.substr(at, end - at));
    }
    return out;
}

// A man page's text as the reader sees it: "\-" is "-".
std::string man_text(const std::string& page) {
    std::string text = slurp(env_or_empty("SVCNAT_MAN_DIR") + "/" + page);
    for (size_t at; (at = text.find("\\-")) != std::string::npos;) text.replace(at, 2, "-");
    return text;
}

}  // namespace

TEST(ManPages, Svcnat8ListsEverySubcommandAndOptionOfHelp) {
    if (env_or_empty("SVCNAT_MAN_DIR").empty()) GTEST_SKIP() << "built without man pages (-Dman-pages=disabled)";
    const std::string page = man_text("svcnat.8");
    ASSERT_FALSE(page.empty());
    const Result general = run({"--help"});
    std::istringstream in(general.out);
    int subcommands = 0;
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string name;
        if (line.rfind("  ", 0) != 0 || !(words >> name) || name == "help") continue;
        ++subcommands;
        EXPECT_NE(page.find(".SS " + name + "\n"), std::string::npos) << "subcommand " << name;
        for (const auto& option : long_options(run({"help", name}).out))
            EXPECT_NE(page.find(option), std::string::npos) << "svcnat " << name << " " << option;
    }
    EXPECT_GE(subcommands, 9);
    EXPECT_NE(page.find(run({"--version"}).out.substr(0, 12)), std::string::npos);
}

TEST(ManPages, SvcnatConf5HasAKeyForEveryOptionOfRun) {
    if (env_or_empty("SVCNAT_MAN_DIR").empty()) GTEST_SKIP() << "built without man pages (-Dman-pages=disabled)";
    const std::string page = man_text("svcnat.conf.5");
    ASSERT_FALSE(page.empty());
    int keys = 0;
    for (const auto& option : long_options(run({"help", "run"}).out)) {
        if (option == "--help" || option == "--config") continue;
        ++keys;
        EXPECT_NE(page.find(".B " + option.substr(2)), std::string::npos) << "key " << option.substr(2);
    }
    EXPECT_GT(keys, 40);
}

TEST(Version, SaysTheProjectVersionAndTheCommit) {
    const Result r = run({"--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("svcnat 0.", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("(commit "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("(commit unknown)"), std::string::npos) << "built from a git checkout: " << r.out;
}
