// Unit tests of the batch layout and reply mapping: no kernel, no root.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <vector>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "nft/netlink/batch.hpp"
#include "nft/netlink/transaction.hpp"
#include "nft_objects.hpp"

using namespace svcnat::nft::netlink;
using namespace netlink_test;

namespace {

// Every message of the batch, in order, walking the iovecs as the kernel
// would (messages must not straddle pages).
std::vector<const nlmsghdr*> walk(const Batch& batch) {
    std::vector<const nlmsghdr*> out;
    for (const iovec& v : batch.iovecs()) {
        const auto* nlh = static_cast<const nlmsghdr*>(v.iov_base);
        int len = static_cast<int>(v.iov_len);
        while (mnl_nlmsg_ok(nlh, len)) {
            out.push_back(nlh);
            nlh = mnl_nlmsg_next(nlh, &len);
        }
        EXPECT_EQ(len, 0) << "trailing bytes in a page";
    }
    return out;
}

// Messages between BATCH_BEGIN and BATCH_END: what the test appended.
size_t content_messages(const Batch& batch) { return batch.messages().size() - 1 - (batch.finished() ? 1 : 0); }

uint16_t nft_type(uint16_t msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

// Length of the NFTA_SET_ELEM_LIST_ELEMENTS attribute of an element message.
size_t element_list_bytes(const nlmsghdr* nlh) {
    size_t found = 0;
    mnl_attr_parse(
        nlh, sizeof(nfgenmsg),
        [](const nlattr* a, void* data) {
            if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS) *static_cast<size_t*>(data) = a->nla_len;
            return MNL_CB_OK;
        },
        &found);
    return found;
}

size_t count_elements(const nlmsghdr* nlh) {
    Set s(nftnl_set_alloc());
    EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nlh, s.get()), 0);
    size_t n = 0;
    nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s.get());
    while (nftnl_set_elems_iter_next(it) != nullptr) ++n;
    nftnl_set_elems_iter_destroy(it);
    return n;
}

// An error reply as the kernel sends it with NETLINK_CAP_ACK and EXT_ACK.
std::vector<uint8_t> error_reply(uint32_t port, const MessageInfo& failed, int error, const char* text,
                                 std::optional<uint32_t> offset) {
    std::vector<uint8_t> buf(4096);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = NLMSG_ERROR;
    nlh->nlmsg_pid = port;
    nlh->nlmsg_seq = failed.seq;
    nlh->nlmsg_flags = NLM_F_CAPPED | (text != nullptr || offset ? NLM_F_ACK_TLVS : 0);
    auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nlmsgerr)));
    err->error = -error;
    err->msg.nlmsg_len = failed.length;
    err->msg.nlmsg_type = failed.type;
    err->msg.nlmsg_flags = failed.flags;
    err->msg.nlmsg_seq = failed.seq;
    err->msg.nlmsg_pid = port;
    if (text != nullptr) mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
    if (offset) mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, *offset);
    buf.resize(nlh->nlmsg_len);
    return buf;
}

}  // namespace

TEST(NftnetBatch, BeginEndSequenceNumbersAndFlags) {
    Batch batch;
    const uint32_t base = batch.messages().at(0).seq;  // BATCH_BEGIN
    Table t = make_table("svcnat");
    Chain c = make_chain("svcnat", "services");
    Rule r = make_jump_rule("svcnat", "services", "svc-x");
    EXPECT_EQ(batch.add_table(t.get(), kCreate, "table"), base + 1);
    EXPECT_EQ(batch.add_chain(c.get(), kCreate | kExclusive, "chain"), base + 2);
    EXPECT_EQ(batch.add_rule(r.get(), kAppend, "default/kubia:http"), base + 3);
    batch.finish();
    batch.finish();  // idempotent

    auto msgs = walk(batch);
    ASSERT_EQ(msgs.size(), 5u);
    EXPECT_EQ(batch.messages().size(), 5u);
    EXPECT_EQ(content_messages(batch), 3u);
    EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
    EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
    // The kernel routes the batch by res_id: it must name nf_tables.
    const auto* begin = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(msgs.front()));
    EXPECT_EQ(ntohs(begin->res_id), NFNL_SUBSYS_NFTABLES);
    for (size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_EQ(msgs[i]->nlmsg_seq, base + i);
        EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_REQUEST);
        EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_ACK) << "message " << i;
    }
    EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
    EXPECT_EQ(msgs[1]->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE);
    EXPECT_EQ(msgs[2]->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
    EXPECT_EQ(msgs[3]->nlmsg_type, nft_type(NFT_MSG_NEWRULE));
    EXPECT_TRUE(msgs[3]->nlmsg_flags & NLM_F_APPEND);
    EXPECT_TRUE(msgs[3]->nlmsg_flags & NLM_F_CREATE) << "NEWRULE always creates unless it replaces";
    EXPECT_EQ(batch.owner_of(base + 3), "default/kubia:http");
    EXPECT_EQ(batch.owner_of(base + 1), "table");
    EXPECT_EQ(batch.owner_of(base + 999), "");
    EXPECT_EQ(message_type_name(msgs[3]->nlmsg_type), "NEWRULE");

    size_t total = 0;
    for (const iovec& v : batch.iovecs()) total += v.iov_len;
    EXPECT_EQ(total, batch.size_bytes());
    // The rule message round-trips through libnftnl.
    Rule parsed(nftnl_rule_alloc());
    ASSERT_EQ(nftnl_rule_nlmsg_parse(msgs[3], parsed.get()), 0);
    EXPECT_STREQ(nftnl_rule_get_str(parsed.get(), NFTNL_RULE_CHAIN), "services");
}

TEST(NftnetBatch, AppendAfterFinishThrows) {
    Batch batch;
    batch.finish();
    EXPECT_THROW(batch.add_table(NFPROTO_IPV4, "x", kNoFlags, ""), std::logic_error);
}

TEST(NftnetBatch, ElementsSplitBelowTheSixteenBitLimit) {
    const size_t limit = 65535;
    Batch batch;
    const uint32_t base = batch.messages().at(0).seq;
    Set s = make_set("svcnat", "vips", true);
    const size_t n = 20000;
    for (uint32_t i = 0; i < n; ++i) nftnl_set_elem_add(s.get(), make_elem(0x0a000000 + i, 80).release());
    uint32_t first = batch.add_elements(s.get(), kCreate, "default/web:http");
    EXPECT_EQ(first, base + 1);
    batch.finish();

    auto msgs = walk(batch);
    size_t elements = 0, element_messages = 0;
    for (const nlmsghdr* m : msgs) {
        if (m->nlmsg_type != nft_type(NFT_MSG_NEWSETELEM)) continue;
        ++element_messages;
        EXPECT_LE(element_list_bytes(m), limit);
        if (element_messages < content_messages(batch)) {
            EXPECT_GT(element_list_bytes(m), limit / 2) << "messages should be filled, not tiny";
        }
        elements += count_elements(m);
        EXPECT_EQ(batch.owner_of(m->nlmsg_seq), "default/web:http");
    }
    EXPECT_EQ(elements, n);
    EXPECT_GE(element_messages, 4u);
    EXPECT_EQ(element_messages, content_messages(batch));
}

TEST(NftnetBatch, ListsStayUnder64KiBAcrossPages) {
    Batch batch;
    const uint32_t base = batch.messages().at(0).seq;
    Set s = make_set("svcnat", "vips", true);
    const size_t n = 200000;
    for (uint32_t i = 0; i < n; ++i) nftnl_set_elem_add(s.get(), make_elem(0x0a000000 + i, i % 65536).release());
    batch.add_elements(s.get(), kNoFlags, "bulk");
    batch.finish();
    EXPECT_GT(batch.iovecs().size(), 3u);
    auto msgs = walk(batch);
    EXPECT_EQ(msgs.size(), batch.messages().size());
    size_t elements = 0;
    std::vector<size_t> list_sizes;
    for (const nlmsghdr* m : msgs) {
        if (m->nlmsg_type != nft_type(NFT_MSG_NEWSETELEM)) continue;
        list_sizes.push_back(element_list_bytes(m));
        EXPECT_LE(list_sizes.back(), 65535u);
        elements += count_elements(m);
    }
    EXPECT_EQ(elements, n);
    ASSERT_GT(list_sizes.size(), 2u);
    // All but the last message are filled close to the 16-bit limit.
    for (size_t i = 0; i + 1 < list_sizes.size(); ++i) EXPECT_GT(list_sizes[i], 65000u) << i;
    // Sequence numbers stay contiguous across pages.
    for (size_t i = 0; i < msgs.size(); ++i) EXPECT_EQ(msgs[i]->nlmsg_seq, base + i);
}

// reserve() only allocates ahead: the batch's messages are byte for byte
// those of a batch without it, whether the reserve is too small or too big
// (sequence numbers, which every batch takes anew, aside).
TEST(NftnetBatch, ReservedPagesChangeNoByte) {
    auto fill = [](size_t reserve) {
        Batch batch;
        if (reserve) batch.reserve(reserve);
        Set s = make_set("svcnat", "vips", true);
        for (uint32_t i = 0; i < 150000; ++i) nftnl_set_elem_add(s.get(), make_elem(0x0a000000 + i, i % 65536).release());
        batch.add_elements(s.get(), kNoFlags, "bulk");
        batch.finish();
        std::vector<std::vector<uint8_t>> pages;
        for (const iovec& v : batch.iovecs()) {
            pages.emplace_back(static_cast<const uint8_t*>(v.iov_base), static_cast<const uint8_t*>(v.iov_base) + v.iov_len);
            auto* nlh = reinterpret_cast<nlmsghdr*>(pages.back().data());
            for (int len = static_cast<int>(pages.back().size()); mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
                nlh->nlmsg_seq = 0;
        }
        return pages;
    };
    const auto plain = fill(0);
    ASSERT_GT(plain.size(), 3u);
    EXPECT_EQ(fill(256 << 10), plain);   // fewer pages than needed
    EXPECT_EQ(fill(16 << 20), plain);    // many more
}

TEST(NftnetBatch, PerElementOwnersFollowTheErrorOffset) {
    Batch batch;
    Set s = make_set("svcnat", "endpoints", false);
    std::vector<Elem> elems;
    std::vector<std::string> owners;
    std::vector<OwnedElement> owned;
    for (uint32_t i = 0; i < 12000; ++i) {
        elems.push_back(make_elem(0x0af40100 + i));
        owners.push_back("default/kubia:http endpoint 10.244." + std::to_string(i / 256) + "." +
                         std::to_string(i % 256) + ":8080");
    }
    for (size_t i = 0; i < elems.size(); ++i) owned.push_back({elems[i].get(), owners[i]});
    add_owned_elements(batch, s.get(), owned);
    batch.finish();
    ASSERT_GT(content_messages(batch), 2u);
    std::map<uint32_t, const nlmsghdr*> by_seq;
    for (const nlmsghdr* nlh : walk(batch)) by_seq[nlh->nlmsg_seq] = nlh;

    // For every element, find it in its message and ask for its owner by
    // the offset of its nest, as NLMSGERR_ATTR_OFFS would give it.
    size_t checked = 0;
    for (const MessageInfo& m : batch.messages()) {
        if (m.type != nft_type(NFT_MSG_NEWSETELEM)) continue;
        const auto* nlh = by_seq.at(m.seq);
        ASSERT_EQ(nlh->nlmsg_len, m.length);
        const auto* bytes = reinterpret_cast<const uint8_t*>(nlh);
        const nlattr* list = nullptr;
        for (auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
             mnl_attr_ok(a, static_cast<int>(static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                              reinterpret_cast<const char*>(a)));
             a = mnl_attr_next(a)) {
            if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS) list = a;
        }
        ASSERT_NE(list, nullptr);
        const auto* list_end = reinterpret_cast<const char*>(list) + list->nla_len;
        for (auto* item = static_cast<const nlattr*>(mnl_attr_get_payload(list));
             mnl_attr_ok(item, static_cast<int>(list_end - reinterpret_cast<const char*>(item)));
             item = mnl_attr_next(item)) {
            auto offset = static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(item) - bytes);
            EXPECT_EQ(batch.owner_of(m.seq, offset), owners[checked]);
            // An offset inside the element (its key) maps to the same owner.
            EXPECT_EQ(batch.owner_of(m.seq, offset + 8), owners[checked]);
            ++checked;
        }
        // Without an offset, the message's owner is its first element's.
        EXPECT_FALSE(batch.owner_of(m.seq).empty());
    }
    EXPECT_EQ(checked, owners.size());
}

TEST(NftnetReplies, EveryErrorIsCollectedWithOwnerAndExtAck) {
    Batch batch;
    Chain c = make_chain("svcnat", "services");
    Rule r1 = make_jump_rule("svcnat", "services", "missing-1");
    Rule r2 = make_jump_rule("svcnat", "services", "missing-2");
    batch.add_chain(c.get(), kCreate, "chains");
    uint32_t s1 = batch.add_rule(r1.get(), kAppend, "default/a:http");
    uint32_t s2 = batch.add_rule(r2.get(), kAppend, "default/b:dns");
    batch.finish();
    const uint32_t port = 4242;
    const auto& msgs = batch.messages();

    std::vector<uint8_t> stream;
    auto add = [&stream](const std::vector<uint8_t>& m) { stream.insert(stream.end(), m.begin(), m.end()); };
    add(error_reply(port, msgs[1], 0, nullptr, std::nullopt));                    // ACK
    add(error_reply(port, msgs[2], ENOENT, "jump target not found", 40u));      // error 1
    add(error_reply(port, msgs[3], ENOENT, nullptr, std::nullopt));              // error 2, no ext-ack
    add(error_reply(port + 1, msgs[3], EINVAL, nullptr, std::nullopt));          // not ours: ignored

    BatchResult result;
    std::vector<bool> answered;
    ASSERT_TRUE(absorb_replies(stream, port, batch, answered, result));
    settle_outcome(batch, answered, result);
    EXPECT_EQ(result.acks, 1u);
    ASSERT_EQ(result.errors.size(), 2u);
    EXPECT_EQ(result.errors[0].seq, s1);
    EXPECT_EQ(result.errors[0].owner, "default/a:http");
    EXPECT_EQ(result.errors[0].error, ENOENT);
    EXPECT_EQ(result.errors[0].ext_ack, "jump target not found");
    EXPECT_EQ(result.errors[0].attr_offset, std::optional<uint32_t>(40));
    EXPECT_EQ(result.errors[0].message_name, "NEWRULE");
    EXPECT_EQ(result.errors[1].seq, s2);
    EXPECT_EQ(result.errors[1].owner, "default/b:dns");
    EXPECT_TRUE(result.errors[1].ext_ack.empty());
    EXPECT_EQ(result.outcome, Outcome::Aborted);
    EXPECT_FALSE(result.ok());
    EXPECT_NE(result.errors[0].describe().find("default/a:http: NEWRULE"), std::string::npos);
    EXPECT_NE(result.summary().find("default/b:dns"), std::string::npos);
}

TEST(NftnetReplies, OutcomeCommittedOnlyWhenAllAcked) {
    Batch batch;
    batch.add_table(NFPROTO_IPV4, "svcnat", kCreate, "t");
    batch.add_table(NFPROTO_IPV6, "svcnat", kCreate, "t6");
    batch.finish();
    const auto& msgs = batch.messages();
    {
        BatchResult result;
        std::vector<bool> answered;
        auto ack = error_reply(1, msgs[1], 0, nullptr, std::nullopt);
        ASSERT_TRUE(absorb_replies(ack, 1, batch, answered, result));
        settle_outcome(batch, answered, result);
        EXPECT_EQ(result.unanswered, 1u);
        EXPECT_EQ(result.outcome, Outcome::Unknown);
        auto ack2 = error_reply(1, msgs[2], 0, nullptr, std::nullopt);
        ASSERT_TRUE(absorb_replies(ack2, 1, batch, answered, result));
        settle_outcome(batch, answered, result);
        EXPECT_EQ(result.unanswered, 0u);
        EXPECT_EQ(result.outcome, Outcome::Committed);
        result.replies_lost = true;
        settle_outcome(batch, answered, result);
        EXPECT_EQ(result.outcome, Outcome::Unknown);
    }
    {
        // A commit-time failure is reported against BATCH_BEGIN.
        BatchResult result;
        std::vector<bool> answered;
        std::vector<uint8_t> stream = error_reply(1, msgs[1], 0, nullptr, std::nullopt);
        auto ack2 = error_reply(1, msgs[2], 0, nullptr, std::nullopt);
        auto fail = error_reply(1, msgs[0], ENOMEM, nullptr, std::nullopt);
        stream.insert(stream.end(), ack2.begin(), ack2.end());
        stream.insert(stream.end(), fail.begin(), fail.end());
        ASSERT_TRUE(absorb_replies(stream, 1, batch, answered, result));
        settle_outcome(batch, answered, result);
        ASSERT_EQ(result.errors.size(), 1u);
        EXPECT_EQ(result.errors[0].message_name, "BATCH_BEGIN");
        EXPECT_EQ(result.errors[0].owner, "(transaction)");
        EXPECT_EQ(result.outcome, Outcome::Aborted);
    }
}

TEST(NftnetReplies, MalformedBufferIsReported) {
    Batch batch;
    batch.finish();
    std::vector<uint8_t> junk(10, 0xff);
    BatchResult result;
    std::vector<bool> answered;
    EXPECT_FALSE(absorb_replies(junk, 1, batch, answered, result));
}
