#include "tables.hpp"

#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/chain.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <sys/socket.h>

namespace svcnat::nft::netlink {
namespace {

// A dump can be interrupted by a concurrent commit (NLM_F_DUMP_INTR, which
// mnl_cb_run reports as EINTR); it is then restarted, a bounded number of times.
constexpr int kDumpAttempts = 5;

// Sends one request and runs `cb` on every reply until the kernel signals
// the end (NLMSG_DONE or the ACK). Returns "" or the error text.
std::string talk(NetlinkSocket& socket, uint16_t nft_msg_type, uint16_t family, uint16_t flags,
                 mnl_cb_t cb, void* data, const std::function<void()>& reset) {
    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE > 65536 ? MNL_SOCKET_BUFFER_SIZE : 65536);
    for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
        reset();
        const uint32_t seq = next_sequence_number();
        // Plain requests ask for an ACK so that the answer has a clear end;
        // dumps end with NLMSG_DONE.
        const uint16_t ack = (flags & NLM_F_DUMP) ? 0 : NLM_F_ACK;
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer.data(), nft_msg_type, family, flags | ack, seq);
        if (mnl_socket_sendto(socket.raw(), nlh, nlh->nlmsg_len) < 0)
            return std::string("sendto: ") + std::strerror(errno);
        int ret;
        do {
            ssize_t got = mnl_socket_recvfrom(socket.raw(), buffer.data(), buffer.size());
            if (got < 0) {
                ret = -1;
                break;
            }
            ret = mnl_cb_run(buffer.data(), static_cast<size_t>(got), seq, socket.port_id(), cb, data);
        } while (ret > MNL_CB_STOP);
        if (ret >= 0) return {};
        if (errno != EINTR) return std::strerror(errno);
        // Interrupted dump: drain what is left of it without blocking (each
        // read lets the kernel continue the dump until it is done), then
        // start over.
        while (recv(socket.fd(), buffer.data(), buffer.size(), MSG_DONTWAIT) > 0) {
        }
    }
    return "dump interrupted by concurrent changes " + std::to_string(kDumpAttempts) + " times";
}

int comment_cb(const nftnl_udata* attr, void* data) {
    if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT) {
        const auto* text = static_cast<const char*>(nftnl_udata_get(attr));
        const uint8_t len = nftnl_udata_len(attr);
        // nft writes it NUL-terminated; take what is there either way.
        static_cast<std::string*>(data)->assign(text, strnlen(text, len));
    }
    return MNL_CB_OK;
}

std::string comment_of(const nftnl_table* t) {
    if (!nftnl_table_is_set(t, NFTNL_TABLE_USERDATA)) return {};
    uint32_t len = 0;
    const void* udata = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
    std::string comment;
    if (udata) nftnl_udata_parse(udata, len, comment_cb, &comment);
    return comment;
}

int table_cb(const nlmsghdr* nlh, void* data) {
    auto* out = static_cast<std::vector<TableInfo>*>(data);
    nftnl_table* t = nftnl_table_alloc();
    if (t == nullptr) return MNL_CB_ERROR;
    if (nftnl_table_nlmsg_parse(nlh, t) == 0) {
        TableInfo info;
        info.family = static_cast<uint16_t>(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY));
        info.name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
        info.flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
        info.use = nftnl_table_get_u32(t, NFTNL_TABLE_USE);
        info.handle = nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
        info.comment = comment_of(t);
        out->push_back(std::move(info));
    }
    nftnl_table_free(t);
    return MNL_CB_OK;
}

}  // namespace

ListTablesResult list_tables(NetlinkSocket& socket) {
    ListTablesResult result;
    result.error = talk(socket, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NLM_F_DUMP, table_cb, &result.tables,
                        [&result] { result.tables.clear(); });
    result.ok = result.error.empty();
    return result;
}

ListTablesResult find_tables(NetlinkSocket& socket, std::string_view name, std::span<const uint16_t> families) {
    ListTablesResult all = list_tables(socket);
    if (!all.ok) return all;
    ListTablesResult result;
    result.ok = true;
    for (TableInfo& t : all.tables) {
        if (t.name != name) continue;
        for (uint16_t f : families) {
            if (t.family == f) {
                result.tables.push_back(std::move(t));
                break;
            }
        }
    }
    return result;
}

namespace {

struct ChainDump {
    std::string_view table;
    std::vector<std::string>* out;
};

int chain_cb(const nlmsghdr* nlh, void* data) {
    auto* d = static_cast<ChainDump*>(data);
    nftnl_chain* c = nftnl_chain_alloc();
    if (c == nullptr) return MNL_CB_ERROR;
    if (nftnl_chain_nlmsg_parse(nlh, c) == 0) {
        const char* table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
        const char* name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
        if (table && name && d->table == table) d->out->emplace_back(name);
    }
    nftnl_chain_free(c);
    return MNL_CB_OK;
}

}  // namespace

ListChainsResult list_chain_names(NetlinkSocket& socket, uint16_t family, std::string_view table) {
    ListChainsResult result;
    ChainDump d{table, &result.chains};
    result.error = talk(socket, NFT_MSG_GETCHAIN, family, NLM_F_DUMP, chain_cb, &d, [&result] { result.chains.clear(); });
    result.ok = result.error.empty();
    return result;
}

void set_table_comment(nftnl_table* table, std::string_view comment) {
    nftnl_udata_buf* buf = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
    if (!buf) return;
    const std::string text(comment);
    if (nftnl_udata_put_strz(buf, NFTNL_UDATA_TABLE_COMMENT, text.c_str()))
        nftnl_table_set_data(table, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(buf), nftnl_udata_buf_len(buf));
    nftnl_udata_buf_free(buf);
}

void append_delete_tables(Batch& batch, std::span<const TableId> tables, std::string_view owner) {
    for (const TableId& t : tables) {
        // NEWTABLE without NLM_F_EXCL is a no-op on an existing table, so the
        // DELTABLE that follows always has something to delete.
        batch.add_table(t.family, t.name, kNoFlags, owner);
        batch.delete_table(t.family, t.name, owner);
    }
}

BatchResult delete_tables(NetlinkSocket& socket, std::span<const TableId> tables, std::string_view owner) {
    Batch batch;
    append_delete_tables(batch, tables, owner);
    return send_batch(socket, batch);
}

void append_replace_table(Batch& batch, const nftnl_table* table, std::string_view owner) {
    const auto family = static_cast<uint16_t>(nftnl_table_get_u32(table, NFTNL_TABLE_FAMILY));
    const char* name = nftnl_table_get_str(table, NFTNL_TABLE_NAME);
    TableId id{family, name != nullptr ? name : ""};
    append_delete_tables(batch, std::span<const TableId>(&id, 1), owner);
    batch.add_table(table, kCreate, owner);
}

}  // namespace svcnat::nft::netlink
