#include "batch.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <utility>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "control/os/prefault.hpp"
#include "socket.hpp"

namespace svcnat::nft::netlink {
namespace {

// Room after the page limit: a message is written at the page's current end
// (always below the limit) before mnl_nlmsg_batch_next() tells whether it
// fits, so the buffer must hold one whole message past the limit. Element
// messages are capped at 64 KiB of elements; every other nf_tables message
// is far smaller (the kernel caps keys/data at 64 bytes, user data at 256).
constexpr size_t kMessageRoom = size_t{128} << 10;
// Page size for mnl_nlmsg_batch: a message never straddles two pages, so
// each page is one iovec; bigger pages = fewer iovecs and allocations.
constexpr size_t kPageBytes = size_t{1} << 20;
// Upper bound for the NFTA_SET_ELEM_LIST_ELEMENTS nest of one element
// message, header included: the attribute length is 16 bits.
constexpr size_t kMaxElementListBytes = 65535;

// libnftnl's payload builders take non-const pointers for historical
// reasons but only read the object.
template <typename T>
T* mutable_object(const T* object) {
    return const_cast<T*>(object);
}

uint16_t table_family(const nftnl_table* t) {
    return static_cast<uint16_t>(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY));
}
uint16_t chain_family(const nftnl_chain* c) {
    return static_cast<uint16_t>(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY));
}
uint16_t rule_family(const nftnl_rule* r) {
    return static_cast<uint16_t>(nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY));
}
uint16_t set_family(const nftnl_set* s) {
    return static_cast<uint16_t>(nftnl_set_get_u32(s, NFTNL_SET_FAMILY));
}

// A set object carrying only what identifies the target set of an element
// message (table, name or id, family): libnftnl then writes exactly the
// element-list header attributes for it.
struct SetHeader {
    nftnl_set* set = nftnl_set_alloc();
    explicit SetHeader(const nftnl_set* from) {
        if (set == nullptr) throw std::bad_alloc();
        for (uint16_t attr : {NFTNL_SET_TABLE, NFTNL_SET_NAME}) {
            if (nftnl_set_is_set(from, attr))
                nftnl_set_set_str(set, attr, nftnl_set_get_str(from, attr));
        }
        if (nftnl_set_is_set(from, NFTNL_SET_ID))
            nftnl_set_set_u32(set, NFTNL_SET_ID, nftnl_set_get_u32(from, NFTNL_SET_ID));
        nftnl_set_set_u32(set, NFTNL_SET_FAMILY, nftnl_set_get_u32(from, NFTNL_SET_FAMILY));
    }
    ~SetHeader() { nftnl_set_free(set); }
    SetHeader(const SetHeader&) = delete;
    SetHeader& operator=(const SetHeader&) = delete;
};

}  // namespace

std::string message_type_name(uint16_t type) {
    if (type == NFNL_MSG_BATCH_BEGIN) return "BATCH_BEGIN";
    if (type == NFNL_MSG_BATCH_END) return "BATCH_END";
    if ((type >> 8) == NFNL_SUBSYS_NFTABLES) {
        switch (type & 0xff) {
        case NFT_MSG_NEWTABLE: return "NEWTABLE";
        case NFT_MSG_GETTABLE: return "GETTABLE";
        case NFT_MSG_DELTABLE: return "DELTABLE";
        case NFT_MSG_NEWCHAIN: return "NEWCHAIN";
        case NFT_MSG_GETCHAIN: return "GETCHAIN";
        case NFT_MSG_DELCHAIN: return "DELCHAIN";
        case NFT_MSG_NEWRULE: return "NEWRULE";
        case NFT_MSG_GETRULE: return "GETRULE";
        case NFT_MSG_DELRULE: return "DELRULE";
        case NFT_MSG_NEWSET: return "NEWSET";
        case NFT_MSG_GETSET: return "GETSET";
        case NFT_MSG_DELSET: return "DELSET";
        case NFT_MSG_NEWSETELEM: return "NEWSETELEM";
        case NFT_MSG_GETSETELEM: return "GETSETELEM";
        case NFT_MSG_DELSETELEM: return "DELSETELEM";
        case NFT_MSG_NEWGEN: return "NEWGEN";
        case NFT_MSG_GETGEN: return "GETGEN";
        case NFT_MSG_NEWOBJ: return "NEWOBJ";
        case NFT_MSG_DELOBJ: return "DELOBJ";
        case NFT_MSG_NEWFLOWTABLE: return "NEWFLOWTABLE";
        case NFT_MSG_DELFLOWTABLE: return "DELFLOWTABLE";
        default: break;
        }
    }
    char buf[32];
    snprintf(buf, sizeof(buf), "type 0x%04x", type);
    return buf;
}

Batch::Batch() {
    intern_owner("");  // owner index 0 = unknown
    new_page();
    nlmsghdr* nlh = nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(current_)), take_seq());
    // Kernels since 6.10 acknowledge batch begin/end when asked; older ones
    // ignore the flag. Either way the reader copes (transaction.cpp).
    nlh->nlmsg_flags |= NLM_F_ACK;
    commit_message(nlh, 0);
}

Batch::~Batch() {
    if (current_ != nullptr) mnl_nlmsg_batch_stop(current_);
}

Batch::Batch(Batch&& other) noexcept
    : pages_(std::move(other.pages_)),
      spare_pages_(std::move(other.spare_pages_)),
      current_(std::exchange(other.current_, nullptr)),
      messages_(std::move(other.messages_)),
      by_seq_(std::move(other.by_seq_)),
      owners_(std::move(other.owners_)),
      owner_text_(std::move(other.owner_text_)),
      owner_text_free_(std::exchange(other.owner_text_free_, 0)),
      owner_text_next_(std::exchange(other.owner_text_next_, nullptr)),
      owner_index_(std::move(other.owner_index_)),
      elements_(std::move(other.elements_)),
      finished_(other.finished_) {}

Batch& Batch::operator=(Batch&& other) noexcept {
    if (this != &other) {
        if (current_ != nullptr) mnl_nlmsg_batch_stop(current_);
        pages_ = std::move(other.pages_);
        spare_pages_ = std::move(other.spare_pages_);
        current_ = std::exchange(other.current_, nullptr);
        messages_ = std::move(other.messages_);
        by_seq_ = std::move(other.by_seq_);
        owners_ = std::move(other.owners_);
        owner_text_ = std::move(other.owner_text_);
        owner_text_free_ = std::exchange(other.owner_text_free_, 0);
        owner_text_next_ = std::exchange(other.owner_text_next_, nullptr);
        owner_index_ = std::move(other.owner_index_);
        elements_ = std::move(other.elements_);
        finished_ = other.finished_;
    }
    return *this;
}

void Batch::new_page() {
    if (current_ != nullptr) mnl_nlmsg_batch_stop(current_);
    Page page;
    // Zeroed: libnftnl leaves attribute padding unwritten, and the bytes
    // sent must not depend on what the memory held before.
    if (!spare_pages_.empty()) {
        page.data = std::move(spare_pages_.back());
        spare_pages_.pop_back();
        std::memset(page.data.get(), 0, kPageBytes + kMessageRoom);
    } else {
        page.data = std::make_unique<uint8_t[]>(kPageBytes + kMessageRoom);
    }
    pages_.push_back(std::move(page));
    current_ = mnl_nlmsg_batch_start(pages_.back().data.get(), kPageBytes);
    if (current_ == nullptr) throw std::bad_alloc();
}

void Batch::reserve(size_t bytes) {
    const size_t have = spare_pages_.size() * kPageBytes;
    if (bytes <= have) return;
    const size_t more = (bytes - have + kPageBytes - 1) / kPageBytes;
    // Pages are taken from the back of spare_pages_, so the new ones go in
    // front, the one to be used last first; it is also faulted in first.
    // Not written here (new_page() zeroes each when it is taken), so that
    // the faults happen on the other core.
    std::vector<std::unique_ptr<uint8_t[]>> fresh(more);
    for (auto& page : fresh) {
        page = std::make_unique_for_overwrite<uint8_t[]>(kPageBytes + kMessageRoom);
        prefault_soon(page.get(), kPageBytes + kMessageRoom);
    }
    spare_pages_.insert(spare_pages_.begin(), std::make_move_iterator(fresh.begin()),
                        std::make_move_iterator(fresh.end()));
}

uint32_t Batch::take_seq() { return next_sequence_number(); }

uint32_t Batch::intern_owner(std::string_view owner) {
    auto it = owner_index_.find(owner);
    if (it != owner_index_.end()) return it->second;
    const uint32_t index = add_owner(owner);
    owner_index_.emplace(owners_.back(), index);
    return index;
}

uint32_t Batch::add_owner(std::string_view owner) {
    constexpr size_t kChunk = size_t{64} << 10;
    if (owner.size() > owner_text_free_) {
        // A fresh chunk; the rest of the old one stays unused.
        const size_t bytes = std::max(kChunk, owner.size());
        owner_text_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
        owner_text_next_ = owner_text_.back().get();
        owner_text_free_ = bytes;
    }
    char* at = owner_text_next_;
    if (!owner.empty()) std::memcpy(at, owner.data(), owner.size());
    owner_text_next_ += owner.size();
    owner_text_free_ -= owner.size();
    const auto index = static_cast<uint32_t>(owners_.size());
    owners_.emplace_back(at, owner.size());
    return index;
}

nlmsghdr* Batch::begin_message() {
    if (finished_) throw std::logic_error("netlink::Batch: append after finish()");
    return static_cast<nlmsghdr*>(mnl_nlmsg_batch_current(current_));
}

uint32_t Batch::commit_message(nlmsghdr* nlh, uint32_t owner, uint32_t first_element,
                               uint32_t element_count) {
    if (nlh->nlmsg_len > kMessageRoom) throw std::length_error("netlink::Batch: message too large");
    if (!mnl_nlmsg_batch_next(current_)) {
        // The message ran past this page's limit: close the page without it
        // and move it to the start of a fresh one.
        pages_.back().used = mnl_nlmsg_batch_size(current_);
        std::vector<uint8_t> copy(reinterpret_cast<uint8_t*>(nlh),
                                  reinterpret_cast<uint8_t*>(nlh) + nlh->nlmsg_len);
        new_page();
        std::memcpy(pages_.back().data.get(), copy.data(), copy.size());
        nlh = reinterpret_cast<nlmsghdr*>(pages_.back().data.get());
        if (!mnl_nlmsg_batch_next(current_)) throw std::logic_error("netlink::Batch: page too small");
    }
    pages_.back().used = mnl_nlmsg_batch_size(current_);
    MessageInfo info;
    info.seq = nlh->nlmsg_seq;
    info.type = nlh->nlmsg_type;
    info.flags = nlh->nlmsg_flags;
    info.length = nlh->nlmsg_len;
    info.owner = owner;
    info.first_element = first_element;
    info.element_count = element_count;
    by_seq_[info.seq] = static_cast<uint32_t>(messages_.size());
    messages_.push_back(info);
    return info.seq;
}

uint32_t Batch::put_header_message(uint16_t nft_msg_type, uint16_t family, uint16_t flags,
                                   std::string_view owner,
                                   const std::function<void(nlmsghdr*)>& build) {
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(static_cast<void*>(begin_message())),
                                          nft_msg_type, family, flags | NLM_F_ACK, take_seq());
    build(nlh);
    return commit_message(nlh, intern_owner(owner));
}

uint32_t Batch::add_table(const nftnl_table* t, uint16_t flags, std::string_view owner) {
    return put_header_message(NFT_MSG_NEWTABLE, table_family(t), flags, owner,
                              [t](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, t); });
}

uint32_t Batch::delete_table(const nftnl_table* t, std::string_view owner) {
    return put_header_message(NFT_MSG_DELTABLE, table_family(t), 0, owner,
                              [t](nlmsghdr* nlh) { nftnl_table_nlmsg_build_payload(nlh, t); });
}

uint32_t Batch::add_table(uint16_t family, std::string_view name, uint16_t flags,
                          std::string_view owner) {
    std::string n(name);
    return put_header_message(NFT_MSG_NEWTABLE, family, flags, owner, [&n](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, n.c_str());
    });
}

uint32_t Batch::delete_table(uint16_t family, std::string_view name, std::string_view owner) {
    std::string n(name);
    return put_header_message(NFT_MSG_DELTABLE, family, 0, owner, [&n](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, n.c_str());
    });
}

uint32_t Batch::add_chain(const nftnl_chain* c, uint16_t flags, std::string_view owner) {
    return put_header_message(NFT_MSG_NEWCHAIN, chain_family(c), flags, owner,
                              [c](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, c); });
}

uint32_t Batch::delete_chain(const nftnl_chain* c, std::string_view owner) {
    return put_header_message(NFT_MSG_DELCHAIN, chain_family(c), 0, owner,
                              [c](nlmsghdr* nlh) { nftnl_chain_nlmsg_build_payload(nlh, c); });
}

uint32_t Batch::flush_chain(const nftnl_chain* c, std::string_view owner) {
    // A DELRULE naming only table and chain removes all rules of the chain.
    return put_header_message(NFT_MSG_DELRULE, chain_family(c), 0, owner, [c](nlmsghdr* nlh) {
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
    });
}

uint32_t Batch::add_rule(const nftnl_rule* r, uint16_t flags, std::string_view owner) {
    // The kernel rejects a NEWRULE that neither creates nor replaces (EINVAL).
    if (!(flags & kReplace)) flags |= kCreate;
    return put_header_message(NFT_MSG_NEWRULE, rule_family(r), flags, owner, [r](nlmsghdr* nlh) {
        nftnl_rule_nlmsg_build_payload(nlh, mutable_object(r));
    });
}

uint32_t Batch::add_set(const nftnl_set* s, uint16_t flags, std::string_view owner) {
    return put_header_message(NFT_MSG_NEWSET, set_family(s), flags, owner, [s](nlmsghdr* nlh) {
        nftnl_set_nlmsg_build_payload(nlh, mutable_object(s));
    });
}

uint32_t Batch::delete_set(const nftnl_set* s, std::string_view owner) {
    return put_header_message(NFT_MSG_DELSET, set_family(s), 0, owner, [s](nlmsghdr* nlh) {
        nftnl_set_nlmsg_build_payload(nlh, mutable_object(s));
    });
}

uint32_t Batch::put_raw_elements(const nftnl_set* set, bool add, uint16_t flags, const ElementWriter& write) {
    SetHeader header(set);
    const uint16_t family = set_family(set);
    const uint16_t type = add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
    if (!add) flags = 0;
    uint32_t first_seq = 0;
    size_t index = 0;
    bool more = true;
    while (more) {
        nlmsghdr* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(static_cast<void*>(begin_message())), type, family,
                                              flags | NLM_F_ACK, take_seq());
        nftnl_set_elems_nlmsg_build_payload(nlh, header.set);
        nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        const auto first_element = static_cast<uint32_t>(elements_.size());
        uint32_t count = 0, owner = 0;
        for (;;) {
            const uint32_t before = nlh->nlmsg_len;
            nlattr* item = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
            uint32_t element_owner = 0;
            if (!write(index, nlh, element_owner)) {
                nlh->nlmsg_len = before;
                more = false;
                break;
            }
            mnl_attr_nest_end(nlh, item);
            const size_t list_bytes =
                nlh->nlmsg_len - (reinterpret_cast<uint8_t*>(list) - reinterpret_cast<uint8_t*>(nlh));
            if (list_bytes > kMaxElementListBytes) {
                nlh->nlmsg_len = before;  // the element opens the next message
                if (count == 0) throw std::length_error("netlink::Batch: one set element exceeds the message limit");
                break;
            }
            elements_.push_back({before, element_owner});
            if (count == 0) owner = element_owner;
            ++count;
            ++index;
        }
        if (count == 0) break;  // nothing (more) to send: drop the open message
        mnl_attr_nest_end(nlh, list);
        const uint32_t seq = commit_message(nlh, owner, first_element, count);
        if (first_seq == 0) first_seq = seq;
    }
    return first_seq;
}

uint32_t Batch::add_elements(const nftnl_set* set, uint16_t flags, std::string_view owner) {
    nftnl_set_elems_iter* iter = nftnl_set_elems_iter_create(set);
    if (iter == nullptr) throw std::bad_alloc();
    const uint32_t owner_id = intern_owner(owner);
    // put_raw_elements may ask for the same element again (when it opens
    // the next message): keep the current one until it moves on.
    size_t at = 0;
    nftnl_set_elem* current = nftnl_set_elems_iter_next(iter);
    uint32_t first_seq = 0;
    try {
        first_seq = put_raw_elements(set, true, flags, [&](size_t index, nlmsghdr* nlh, uint32_t& out_owner) {
            for (; at < index && current != nullptr; ++at) current = nftnl_set_elems_iter_next(iter);
            if (current == nullptr) return false;
            nftnl_set_elem_nlmsg_build_payload(nlh, current);
            out_owner = owner_id;
            return true;
        });
    } catch (...) {
        nftnl_set_elems_iter_destroy(iter);
        throw;
    }
    nftnl_set_elems_iter_destroy(iter);
    return first_seq;
}

void Batch::finish() {
    if (finished_) return;
    nlmsghdr* nlh = nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(current_)), take_seq());
    nlh->nlmsg_flags |= NLM_F_ACK;
    commit_message(nlh, 0);
    finished_ = true;
}

const MessageInfo* Batch::find(uint32_t seq) const {
    auto it = by_seq_.find(seq);
    return it == by_seq_.end() ? nullptr : &messages_[it->second];
}

std::string_view Batch::owner_of(uint32_t seq, std::optional<uint32_t> attr_offset) const {
    const MessageInfo* m = find(seq);
    if (m == nullptr) return {};
    if (attr_offset && m->element_count > 0) {
        // Elements are in offset order: the offending attribute lies in the
        // last element starting at or before it.
        auto first = elements_.begin() + m->first_element;
        auto last = first + m->element_count;
        auto it = std::upper_bound(first, last, *attr_offset,
                                   [](uint32_t off, const ElementRef& e) { return off < e.offset; });
        if (it != first) return owners_[std::prev(it)->owner];
    }
    return owners_[m->owner];
}

size_t Batch::size_bytes() const {
    size_t total = 0;
    for (const Page& p : pages_) total += p.used;
    return total;
}

std::vector<iovec> Batch::iovecs() const {
    std::vector<iovec> out;
    out.reserve(pages_.size());
    for (const Page& p : pages_) {
        if (p.used == 0) continue;
        out.push_back({p.data.get(), p.used});
    }
    return out;
}

}  // namespace svcnat::nft::netlink
