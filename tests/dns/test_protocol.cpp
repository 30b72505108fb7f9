// The protocol around the records: EDNS, size limits and truncation,
// malformed and unsupported queries, SERVFAIL before the first load.
#include <gtest/gtest.h>

#include "dns_fixture.hpp"

namespace svcnat::dns::test {
namespace {

// A headless service with 60 endpoints: its A answer is 12 + 31 + 60 x 16
// bytes, more than 512, less than 1232.
std::string many_endpoints(int n) {
    std::string y = R"(apiVersion: v1
kind: Service
metadata: {name: big, namespace: default}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: big-1, namespace: default, labels: {kubernetes.io/service-name: big}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
)";
    for (int i = 0; i < n; ++i) y += "- {addresses: [10.244." + std::to_string(i / 200) + "." + std::to_string(i % 200 + 1) + "]}\n";
    return y;
}

class Protocol : public ::testing::Test {
protected:
    static void SetUpTestSuite() { zone_ = zone_from_yaml(many_endpoints(60)); }
    static inline std::shared_ptr<const Zone> zone_;
};

TEST_F(Protocol, TruncatesAt512WithoutEdnsAndFitsWithIt) {
    Decoded d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1));
    EXPECT_EQ(d.rcode, 0);
    EXPECT_TRUE(d.tc);
    EXPECT_TRUE(d.answer.empty());
    d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1, {.edns = true, .udp_size = 4096}));
    EXPECT_FALSE(d.tc);
    EXPECT_EQ(d.answer.size(), 60u);
    EXPECT_TRUE(d.opt);
    EXPECT_EQ(d.opt_udp_size, 1232);  // ours, not the client's
    // Over TCP, no limit but the message's.
    d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1), /*tcp=*/true);
    EXPECT_FALSE(d.tc);
    EXPECT_EQ(d.answer.size(), 60u);
    EXPECT_FALSE(d.opt);
}

TEST_F(Protocol, AdditionalRecordsAreDroppedBeforeTruncating) {
    // 18 SRV records of ~60 bytes fit 1232 bytes, but not with their 18
    // addresses (16 bytes each) in the additional section.
    auto z = zone_from_yaml(many_endpoints(18));
    const Decoded d = ask(z.get(), make_query("big.default.svc.cluster.local", 33, {.edns = true, .udp_size = 1232}));
    EXPECT_FALSE(d.tc);
    EXPECT_EQ(d.answer.size(), 18u);
    EXPECT_LT(d.additional.size(), 18u);  // as many as fit; no TC for additional data
    const Decoded tcp = ask(z.get(), make_query("big.default.svc.cluster.local", 33), true);
    EXPECT_EQ(tcp.additional.size(), 18u);
}

TEST_F(Protocol, EdnsVersionOtherThanZeroIsBadvers) {
    const Decoded d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1, {.edns = true, .edns_version = 1}));
    ASSERT_TRUE(d.ok);
    EXPECT_EQ(d.rcode, 16);
    EXPECT_TRUE(d.answer.empty());
    EXPECT_TRUE(d.opt);
}

TEST_F(Protocol, ClassOtherThanInIsRefused) {
    const Decoded d = ask(zone_.get(), make_query("version.bind", 16, {.qclass = 3}));
    EXPECT_EQ(d.rcode, 5);
}

TEST_F(Protocol, ZoneTransfersAreRefused) {
    EXPECT_EQ(ask(zone_.get(), make_query("cluster.local", 252), true).rcode, 5);
    EXPECT_EQ(ask(zone_.get(), make_query("cluster.local", 251)).rcode, 5);
}

TEST_F(Protocol, RecursionDesiredIsEchoedAndNoRecursionOffered) {
    Decoded d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1, {.rd = false}));
    EXPECT_FALSE(d.rd);
    EXPECT_FALSE(d.ra);
    d = ask(zone_.get(), make_query("big.default.svc.cluster.local", 1, {.rd = true}));
    EXPECT_TRUE(d.rd);
}

TEST(ProtocolErrors, ServfailUntilTheFirstLoad) {
    const Decoded d = ask(nullptr, make_query("web.default.svc.cluster.local", 1));
    EXPECT_EQ(d.rcode, 2);
}

Decoded raw(const std::string& msg, Action* action = nullptr) { return ask(nullptr, msg, false, false, action); }

TEST(ProtocolErrors, MalformedQueries) {
    Action action;
    // Shorter than a header: nothing to answer.
    raw(std::string("\x12\x34\x01", 3), &action);
    EXPECT_EQ(action, Action::Drop);
    // A response (QR set) is never answered.
    std::string q = make_query("a.cluster.local", 1);
    q[2] = static_cast<char>(q[2] | 0x80);
    raw(q, &action);
    EXPECT_EQ(action, Action::Drop);
    // Two questions: FORMERR.
    q = make_query("a.cluster.local", 1);
    q[5] = 2;
    EXPECT_EQ(raw(q).rcode, 1);
    // No question: FORMERR.
    q = make_query("a.cluster.local", 1);
    q[5] = 0;
    EXPECT_EQ(raw(q).rcode, 1);
    // A compression pointer in the question: FORMERR.
    q = make_query("a.cluster.local", 1);
    q[12] = static_cast<char>(0xC0);
    q[13] = 12;
    EXPECT_EQ(raw(q).rcode, 1);
    // A label longer than 63: FORMERR.
    q = make_query("a.cluster.local", 1);
    q[12] = 64;
    EXPECT_EQ(raw(q).rcode, 1);
    // The question cut short: FORMERR, header only.
    q = make_query("abc.cluster.local", 1).substr(0, 16);
    const Decoded d = raw(q);
    EXPECT_EQ(d.rcode, 1);
    EXPECT_EQ(d.id, 0x1234);
    // A name longer than 255 bytes: FORMERR.
    std::string longname;
    for (int i = 0; i < 5; ++i) longname += std::string(60, 'a') + ".";
    EXPECT_EQ(raw(make_query(longname + "cluster.local", 1)).rcode, 1);
    // Two OPT records: FORMERR.
    q = make_query("a.cluster.local", 1, {.edns = true});
    q[11] = 2;
    q += q.substr(q.size() - 11);
    EXPECT_EQ(raw(q).rcode, 1);
}

TEST(ProtocolErrors, UnsupportedOpcodeIsNotImp) {
    std::string q = make_query("a.cluster.local", 1);
    q[2] = static_cast<char>(q[2] | (5 << 3));  // UPDATE
    const Decoded d = raw(q);
    EXPECT_EQ(d.rcode, 4);
    EXPECT_TRUE(d.qr);
}

}  // namespace
}  // namespace svcnat::dns::test
