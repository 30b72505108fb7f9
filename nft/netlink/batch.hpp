// One nf_tables transaction, built from libnftnl objects.
//
// Layout: NFNL_MSG_BATCH_BEGIN (res_id NFNL_SUBSYS_NFTABLES), the messages,
// NFNL_MSG_BATCH_END. The kernel applies everything between begin and end as
// one transaction: it commits all of it or, if any message fails, none.
// The bytes live in pages filled through mnl_nlmsg_batch (libmnl); send_batch()
// (transaction.hpp) hands every page to ONE sendmsg() as an iovec array, which
// the kernel receives as a single skb, hence a single transaction.
//
// Every message carries NLM_F_ACK, so the kernel answers each one (an ACK or
// an error) and each error can be traced back, by sequence number, to the
// owner tag given when the message was appended: the service port or
// endpoint responsible, e.g. "default/kubia:http" or
// "default/kubia:http endpoint 10.244.1.11:8080". Set-element messages keep
// an owner per element, found from the error's attribute offset.
//
// Lists of set elements that do not fit in one message (the element list is
// a nested attribute whose length is 16 bits) are split across as many
// NEWSETELEM/DELSETELEM messages as needed, automatically.
//
// The libnftnl objects are only read; they may be freed once appended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/uio.h>

struct nlmsghdr;
struct mnl_nlmsg_batch;
struct nftnl_table;
struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;
struct nftnl_set_elem;

namespace svcnat::nft::netlink {

// Flags a message may carry besides NLM_F_REQUEST | NLM_F_ACK (always set).
// Values are the netlink ones so they can be or-ed: kCreate | kExclusive.
enum MessageFlag : uint16_t {
    kNoFlags = 0,
    kReplace = 0x100,    // NLM_F_REPLACE: rule replaces the one at NFTNL_RULE_HANDLE
    kExclusive = 0x200,  // NLM_F_EXCL: fail with EEXIST if it exists
    kCreate = 0x400,     // NLM_F_CREATE: create if absent
    kAppend = 0x800,     // NLM_F_APPEND: rule goes after (not before) the position
};

// What the batch remembers about each message, for error mapping and reports.
struct MessageInfo {
    uint32_t seq = 0;
    uint16_t type = 0;      // full nlmsg_type: (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_*, or NFNL_MSG_BATCH_*
    uint16_t flags = 0;     // nlmsg_flags as sent
    uint32_t length = 0;    // nlmsg_len
    uint32_t owner = 0;     // index into Batch::owners()
    uint32_t first_element = 0;  // index into the element table (element messages)
    uint32_t element_count = 0;
};

// "NEWRULE", "DELSETELEM", "BATCH_BEGIN", ... ("type 0x1234" if unknown).
std::string message_type_name(uint16_t nlmsg_type);

class Batch {
public:
    Batch();
    ~Batch();
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    // Each append returns the sequence number of the (first) message added.
    // Family comes from the object (NFTNL_*_FAMILY), so set it there.
    uint32_t add_table(const nftnl_table* table, uint16_t flags, std::string_view owner);
    uint32_t delete_table(const nftnl_table* table, std::string_view owner);
    // Name-only shortcuts (family NFPROTO_*), for cleanup and adopt/replace.
    uint32_t add_table(uint16_t family, std::string_view name, uint16_t flags, std::string_view owner);
    uint32_t delete_table(uint16_t family, std::string_view name, std::string_view owner);

    uint32_t add_chain(const nftnl_chain* chain, uint16_t flags, std::string_view owner);
    uint32_t delete_chain(const nftnl_chain* chain, std::string_view owner);
    // DELRULE with table + chain only: removes every rule of the chain.
    uint32_t flush_chain(const nftnl_chain* chain, std::string_view owner);

    // kAppend to add after NFTNL_RULE_POSITION (or at the end), kReplace with
    // NFTNL_RULE_HANDLE set to replace a rule in place. kCreate is added
    // unless kReplace is given: the kernel refuses a NEWRULE without either.
    uint32_t add_rule(const nftnl_rule* rule, uint16_t flags, std::string_view owner);

    // The set's own elements (nftnl_set_elem_add) are NOT sent with it; use
    // add_elements for them (so that they get split and owned).
    uint32_t add_set(const nftnl_set* set, uint16_t flags, std::string_view owner);
    uint32_t delete_set(const nftnl_set* set, std::string_view owner);

    // Elements attached to `set` (nftnl_set_elem_add), all owned by `owner`.
    // `set` names the target (NFTNL_SET_TABLE, NFTNL_SET_NAME or
    // NFTNL_SET_ID, NFTNL_SET_FAMILY). Returns the first message's seq, or 0
    // if there were no elements (nothing appended).
    uint32_t add_elements(const nftnl_set* set, uint16_t flags, std::string_view owner);

    // Owner ids for put_raw_elements(): intern an owner once, tag many elements.
    uint32_t owner_id(std::string_view owner) { return intern_owner(owner); }
    // A new id for `owner` without looking for an equal one (the caller
    // knows it is new, or does not mind a duplicate): a cold sync tags
    // 100,000s of elements with owners of their own.
    uint32_t new_owner_id(std::string_view owner) { return add_owner(owner); }
    // Elements written straight into the messages, without a libnftnl object
    // per element: a cold sync sends 100,000s of them. `write(i, nlh, owner)`
    // appends element i's attributes (those of one NFTA_LIST_ELEM nest: key,
    // data/verdict) to `nlh`, sets `owner` (an owner_id()) and returns true,
    // or returns false when there is no element i. It may be called again
    // for the same i (when the element opens the next message).
    using ElementWriter = std::function<bool(size_t index, nlmsghdr* nlh, uint32_t& owner)>;
    uint32_t put_raw_elements(const nftnl_set* set, bool add, uint16_t flags, const ElementWriter& write);

    // Appends NFNL_MSG_BATCH_END; no appends afterwards. send_batch() calls
    // it when needed; calling it twice is harmless.
    void finish();
    bool finished() const { return finished_; }

    // ---- inspection -------------------------------------------------------
    // All messages including BATCH_BEGIN (first) and, once finished,
    // BATCH_END (last), in sending order.
    const std::vector<MessageInfo>& messages() const { return messages_; }
    const MessageInfo* find(uint32_t seq) const;
    const std::vector<std::string_view>& owners() const { return owners_; }
    // Owner responsible for an error in message `seq`: for element messages
    // with a known offending attribute offset (NLMSGERR_ATTR_OFFS), the owner
    // of that element; otherwise the message's owner. "" when unknown.
    std::string_view owner_of(uint32_t seq, std::optional<uint32_t> attr_offset = std::nullopt) const;
    // Bytes of all pages together, and the pages as iovecs (valid until the
    // next append) for sendmsg().
    size_t size_bytes() const;
    std::vector<iovec> iovecs() const;
    // Allocates pages for about `bytes` more of messages now, and has them
    // faulted in on an idle core while the caller appends (prefault.hpp):
    // a cold sync writes 8 MB of messages at 10,000 services.
    void reserve(size_t bytes);

private:
    struct Page {
        std::unique_ptr<uint8_t[]> data;  // kPageBytes + room for one message
        size_t used = 0;                  // bytes of complete messages
    };
    struct ElementRef {
        uint32_t offset;  // of the element's nest within its message
        uint32_t owner;
    };

    nlmsghdr* begin_message();
    uint32_t commit_message(nlmsghdr* nlh, uint32_t owner, uint32_t first_element = 0,
                            uint32_t element_count = 0);
    uint32_t put_header_message(uint16_t nft_msg_type, uint16_t family, uint16_t flags,
                                std::string_view owner, const std::function<void(nlmsghdr*)>& build);
    uint32_t intern_owner(std::string_view owner);
    uint32_t add_owner(std::string_view owner);
    uint32_t take_seq();
    void new_page();

    std::vector<Page> pages_;
    std::vector<std::unique_ptr<uint8_t[]>> spare_pages_;  // reserve()d, next page last
    mnl_nlmsg_batch* current_ = nullptr;  // over pages_.back()
    std::vector<MessageInfo> messages_;
    std::unordered_map<uint32_t, uint32_t> by_seq_;  // seq -> index in messages_
    // Owner texts live in owner_text_ chunks (stable addresses, one
    // allocation per 64 KiB rather than per owner).
    std::vector<std::string_view> owners_;
    std::vector<std::unique_ptr<char[]>> owner_text_;
    size_t owner_text_free_ = 0;        // bytes left in owner_text_.back()
    char* owner_text_next_ = nullptr;   // first of them
    // Transparent hash: interning a string_view allocates only for new owners.
    struct OwnerHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string_view, uint32_t, OwnerHash> owner_index_;
    std::vector<ElementRef> elements_;
    bool finished_ = false;
};

}  // namespace svcnat::nft::netlink
