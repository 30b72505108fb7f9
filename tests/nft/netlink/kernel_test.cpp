// e2e: batches against the real kernel, each test inside its own network
// namespace (root only; skipped otherwise). `nft` is used only to look.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "nft/netlink/batch.hpp"
#include "nft/netlink/socket.hpp"
#include "nft/netlink/tables.hpp"
#include "tests/support/netns.hpp"
#include "nft/netlink/transaction.hpp"
#include "nft_objects.hpp"

using namespace svcnat::nft::netlink;
using namespace netlink_test;
using svcnat::testing::NetNamespace;

namespace {

class NftnetKernel : public ::testing::Test {
protected:
    void SetUp() override {
        if (!NetNamespace::have_root()) GTEST_SKIP() << "needs root (creates network namespaces)";
        ns_.emplace("netlink");
    }
    std::string ruleset() const { return ns_->exec_or_throw("nft list ruleset"); }
    std::optional<NetNamespace> ns_;
};

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A map ipv4_addr : inet_service filled with `n` elements 10.x.y.z : port.
void append_map(Batch& batch, const std::string& table, const std::string& name, uint32_t n, uint32_t id,
                uint32_t first_address = 0x0a000000) {
    Set s = make_set(table, name, true, id);
    batch.add_set(s.get(), kCreate, "map " + name);
    for (uint32_t i = 0; i < n; ++i)
        nftnl_set_elem_add(s.get(), make_elem(first_address + i, 1024 + i % 50000).release());
    batch.add_elements(s.get(), kCreate, "elements of " + name);
}

size_t count_map_elements(const NetNamespace& ns, const std::string& table, const std::string& map) {
    // One "<address> : <port>" per element in nft's listing of a map.
    std::string out =
        ns.exec_or_throw("nft list map ip " + table + " " + map + " | grep -oE '[0-9] : [0-9]' | wc -l");
    return std::stoul(out);
}

}  // namespace

TEST_F(NftnetKernel, TableChainSetElementsAndRuleCommitTogether) {
    ns_->run([&] {
        NetlinkSocket sock;

        Batch batch;
        Table t = make_table("svcnat");
        Chain services = make_chain("svcnat", "services");
        Chain pre = make_nat_prerouting("svcnat", "nat-prerouting");
        Rule jump = make_jump_rule("svcnat", "nat-prerouting", "services");
        batch.add_table(t.get(), kCreate, "table");
        batch.add_chain(services.get(), kCreate, "chains");
        batch.add_chain(pre.get(), kCreate, "chains");
        append_map(batch, "svcnat", "service-ports", 3, 1);
        batch.add_rule(jump.get(), kAppend, "default/kubia:http");
        BatchResult result = send_batch(sock, batch);
        ASSERT_TRUE(result.ok()) << result.summary();
        EXPECT_TRUE(result.errors.empty());
        EXPECT_EQ(result.unanswered, 0u);
        // Every content message is acknowledged; kernels >= 6.10 also ack
        // BATCH_BEGIN and BATCH_END.
        EXPECT_GE(result.acks, batch.messages().size() - 2);
        EXPECT_LE(result.acks, batch.messages().size());
        EXPECT_EQ(result.messages, batch.messages().size());

        ListTablesResult tables = list_tables(sock);
        ASSERT_TRUE(tables.ok) << tables.error;
        ASSERT_EQ(tables.tables.size(), 1u);
        EXPECT_EQ(tables.tables[0].name, "svcnat");
        EXPECT_EQ(tables.tables[0].family, NFPROTO_IPV4);
    });
    std::string rules = ruleset();
    EXPECT_TRUE(contains(rules, "table ip svcnat")) << rules;
    EXPECT_TRUE(contains(rules, "chain services")) << rules;
    EXPECT_TRUE(contains(rules, "type nat hook prerouting priority dstnat")) << rules;
    EXPECT_TRUE(contains(rules, "jump services")) << rules;
    EXPECT_TRUE(contains(rules, "map service-ports")) << rules;
    EXPECT_TRUE(contains(rules, "10.0.0.0 : 1024")) << rules;
    EXPECT_TRUE(contains(rules, "10.0.0.2 : 1026")) << rules;
}

TEST_F(NftnetKernel, BadMessagesNameTheirOwnersAndChangeNothing) {
    ns_->run([&] {
        NetlinkSocket sock;
        Batch setup;
        Table t = make_table("svcnat");
        Chain services = make_chain("svcnat", "services");
        setup.add_table(t.get(), kCreate, "table");
        setup.add_chain(services.get(), kCreate, "chains");
        ASSERT_TRUE(send_batch(sock, setup).ok());
    });
    const std::string before = ruleset();

    ns_->run([&] {
        NetlinkSocket sock;
        Batch batch;
        Chain good = make_chain("svcnat", "svc-good");
        Rule bad_jump = make_jump_rule("svcnat", "services", "svc-missing");
        Set missing = make_set("svcnat", "no-such-set", false);
        Elem e1 = make_elem(0x0af4010b);
        Elem e2 = make_elem(0x0af4010c);
        std::vector<OwnedElement> owned{{e1.get(), "default/kubia:http endpoint 10.244.1.11:8080"},
                                        {e2.get(), "default/kubia:http endpoint 10.244.1.12:8080"}};
        batch.add_chain(good.get(), kCreate, "default/good:http");
        uint32_t jump_seq = batch.add_rule(bad_jump.get(), kAppend, "default/kubia:http");
        uint32_t elem_seq = add_owned_elements(batch, missing.get(), owned);
        BatchResult result = send_batch(sock, batch);
        EXPECT_FALSE(result.ok());
        EXPECT_EQ(result.outcome, Outcome::Aborted);
        ASSERT_EQ(result.errors.size(), 2u) << result.summary();  // every error, not just the first
        EXPECT_EQ(result.errors[0].seq, jump_seq);
        EXPECT_EQ(result.errors[0].owner, "default/kubia:http");
        EXPECT_EQ(result.errors[0].message_name, "NEWRULE");
        EXPECT_EQ(result.errors[0].error, ENOENT);
        EXPECT_EQ(result.errors[1].seq, elem_seq);
        EXPECT_EQ(result.errors[1].message_name, "NEWSETELEM");
        EXPECT_EQ(result.errors[1].error, ENOENT);
        EXPECT_TRUE(contains(result.errors[1].owner, "default/kubia:http endpoint")) << result.summary();
        std::printf("bad batch report:\n%s\n", result.summary().c_str());
    });
    EXPECT_EQ(ruleset(), before) << "an aborted transaction must leave the kernel unchanged";
}

TEST_F(NftnetKernel, ElementErrorIsAttributedToThatElementsOwner) {
    ns_->run([&] {
        NetlinkSocket sock;
        Batch setup;
        Table t = make_table("svcnat");
        setup.add_table(t.get(), kCreate, "table");
        append_map(setup, "svcnat", "endpoints", 0, 1);
        ASSERT_TRUE(send_batch(sock, setup).ok());

        // Element 500 of 1000 carries no data although the set is a map:
        // the kernel rejects it and points at it (NLMSGERR_ATTR_OFFS).
        Batch batch;
        Set map = make_set("svcnat", "endpoints", true);
        std::vector<Elem> elems;
        std::vector<std::string> owners;
        for (uint32_t i = 0; i < 1000; ++i) {
            elems.push_back(i == 500 ? make_elem(0x0af40000 + i) : make_elem(0x0af40000 + i, 8080));
            owners.push_back("default/web:http endpoint #" + std::to_string(i));
        }
        std::vector<OwnedElement> owned;
        for (size_t i = 0; i < elems.size(); ++i) owned.push_back({elems[i].get(), owners[i]});
        add_owned_elements(batch, map.get(), owned);
        BatchResult result = send_batch(sock, batch);
        EXPECT_EQ(result.outcome, Outcome::Aborted);
        ASSERT_EQ(result.errors.size(), 1u) << result.summary();
        EXPECT_TRUE(result.errors[0].attr_offset.has_value()) << result.summary();
        EXPECT_EQ(result.errors[0].owner, "default/web:http endpoint #500") << result.summary();
    });
    EXPECT_EQ(count_map_elements(*ns_, "svcnat", "endpoints"), 0u);
}

TEST_F(NftnetKernel, TwoHundredThousandElementsCommitAsOneTransaction) {
    const uint32_t n = 200000;
    ns_->run([&] {
        NetlinkSocket sock;
        Batch batch;
        Table t = make_table("svcnat");
        batch.add_table(t.get(), kCreate, "table");
        append_map(batch, "svcnat", "big", n, 1);
        const size_t element_messages = batch.messages().size() - 3;  // BATCH_BEGIN, table, set
        BatchResult result = send_batch(sock, batch);
        ASSERT_TRUE(result.ok()) << result.summary();
        EXPECT_GT(element_messages, 50u);
        std::printf("200000 elements: %zu element messages, %zu messages, %zu bytes in %zu pages; "
                    "sendmsg+commit %.3f s, replies %.3f s\n",
                    element_messages, result.messages, result.bytes, result.pages, result.send_seconds,
                    result.receive_seconds);
        RecordProperty("send_seconds_200k", std::to_string(result.send_seconds));

        // All or nothing at this size: the same again into a new map, plus one
        // element for a set that does not exist, at the very end.
        Batch doomed;
        append_map(doomed, "svcnat", "big2", n, 2, 0x0b000000);
        Set missing = make_set("svcnat", "no-such-set", false);
        Elem e = make_elem(0x0c000001);
        OwnedElement last{e.get(), "default/late:http endpoint 10.244.9.9:80"};
        add_owned_elements(doomed, missing.get(), std::span<const OwnedElement>(&last, 1));
        BatchResult failed = send_batch(sock, doomed);
        EXPECT_EQ(failed.outcome, Outcome::Aborted);
        ASSERT_EQ(failed.errors.size(), 1u) << failed.summary();
        EXPECT_EQ(failed.errors[0].owner, "default/late:http endpoint 10.244.9.9:80");
    });
    EXPECT_EQ(count_map_elements(*ns_, "svcnat", "big"), n);
    EXPECT_FALSE(ns_->exec("nft list map ip svcnat big2").ok()) << "aborted map must not exist";
}

TEST_F(NftnetKernel, Measure100kMapElementsInOneBatch) {
    const uint32_t n = 100000;
    ns_->run([&] {
        NetlinkSocket sock;
        Table t = make_table("svcnat");
        auto build_start = std::chrono::steady_clock::now();
        Batch batch;
        batch.add_table(t.get(), kCreate, "table");
        append_map(batch, "svcnat", "m", n, 1);
        double build = std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
        BatchResult result = send_batch(sock, batch);
        ASSERT_TRUE(result.ok()) << result.summary();
        std::printf("100000 map elements: build %.3f s, sendmsg+commit %.3f s, replies %.3f s, "
                    "%zu messages, %zu bytes\n",
                    build, result.send_seconds, result.receive_seconds, result.messages, result.bytes);
        RecordProperty("send_seconds_100k", std::to_string(result.send_seconds));
    });
    EXPECT_EQ(count_map_elements(*ns_, "svcnat", "m"), n);
}

TEST_F(NftnetKernel, ManySmallMessagesAreAllAcknowledged) {
    // 30,000 rule messages: their ACKs (~1 KiB of receive buffer each) far
    // exceed the initial 4 MiB buffer, so this fails with lost replies
    // unless send_batch() grows the receive buffer for the batch.
    const int n = 30000;
    ns_->run([&] {
        NetlinkSocket sock;
        Batch batch;
        Table t = make_table("svcnat");
        Chain services = make_chain("svcnat", "services");
        Chain target = make_chain("svcnat", "svc-target");
        batch.add_table(t.get(), kCreate, "table");
        batch.add_chain(services.get(), kCreate, "chains");
        batch.add_chain(target.get(), kCreate, "chains");
        for (int i = 0; i < n; ++i) {
            Rule r = make_jump_rule("svcnat", "services", "svc-target");
            batch.add_rule(r.get(), kAppend, "rule " + std::to_string(i));
        }
        BatchResult result = send_batch(sock, batch);
        ASSERT_TRUE(result.ok()) << result.summary();
        EXPECT_FALSE(result.replies_lost);
        EXPECT_EQ(result.unanswered, 0u);
        EXPECT_GE(result.acks, static_cast<size_t>(n));
        int rcvbuf = 0;
        socklen_t len = sizeof rcvbuf;
        ASSERT_EQ(getsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len), 0);
        EXPECT_GT(static_cast<size_t>(rcvbuf), NetlinkSocket::kInitialBufferBytes * 2);
        std::printf("%d rules: sendmsg+commit %.3f s, %zu replies read in %.3f s\n", n, result.send_seconds,
                    result.acks, result.receive_seconds);
    });
    std::string out = ns_->exec_or_throw("nft list chain ip svcnat services | grep -c 'jump svc-target'");
    EXPECT_EQ(std::stoi(out), n);
}

TEST_F(NftnetKernel, CleanupDeletesOnlySvcnatTables) {
    ns_->exec_or_throw("nft add table ip svcnat && nft add chain ip svcnat services && "
                       "nft add table ip6 svcnat && nft add table ip other && nft add chain ip other keep && "
                       "nft add table inet svcnat-not-ours");
    ns_->run([&] {
        NetlinkSocket sock;
        const uint16_t families[] = {NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_INET};
        ListTablesResult ours = find_tables(sock, "svcnat", families);
        ASSERT_TRUE(ours.ok) << ours.error;
        EXPECT_EQ(ours.tables.size(), 2u);

        // inet svcnat does not exist: not an error.
        std::vector<TableId> ids{{NFPROTO_IPV4, "svcnat"}, {NFPROTO_IPV6, "svcnat"}, {NFPROTO_INET, "svcnat"}};
        BatchResult result = delete_tables(sock, ids);
        ASSERT_TRUE(result.ok()) << result.summary();
        BatchResult again = delete_tables(sock, ids);
        EXPECT_TRUE(again.ok()) << again.summary();

        ListTablesResult left = list_tables(sock);
        ASSERT_TRUE(left.ok);
        std::vector<std::string> names;
        for (const TableInfo& t : left.tables) names.push_back(t.name);
        EXPECT_EQ(left.tables.size(), 2u);
    });
    std::string rules = ruleset();
    EXPECT_FALSE(contains(rules, "table ip svcnat")) << rules;
    EXPECT_FALSE(contains(rules, "table ip6 svcnat")) << rules;
    EXPECT_TRUE(contains(rules, "table ip other")) << rules;
    EXPECT_TRUE(contains(rules, "chain keep")) << rules;
    EXPECT_TRUE(contains(rules, "table inet svcnat-not-ours")) << rules;
}

TEST_F(NftnetKernel, ReplaceTableSwapsContentAtomically) {
    ns_->exec_or_throw("nft add table ip svcnat && nft add chain ip svcnat old-chain && "
                       "nft add set ip svcnat old-set '{ type ipv4_addr; }'");
    auto replace = [&] {
        NetlinkSocket sock;
        Batch batch;
        Table t = make_table("svcnat");
        Chain fresh = make_chain("svcnat", "new-chain");
        append_replace_table(batch, t.get(), "restart");
        batch.add_chain(fresh.get(), kCreate, "chains");
        BatchResult result = send_batch(sock, batch);
        ASSERT_TRUE(result.ok()) << result.summary();
    };
    ns_->run(replace);
    std::string rules = ruleset();
    EXPECT_TRUE(contains(rules, "new-chain")) << rules;
    EXPECT_FALSE(contains(rules, "old-chain")) << rules;
    EXPECT_FALSE(contains(rules, "old-set")) << rules;
    // And on a clean namespace (nothing to adopt) the same batch works.
    ns_->exec_or_throw("nft delete table ip svcnat");
    ns_->run(replace);
    EXPECT_TRUE(contains(ruleset(), "new-chain"));
}

