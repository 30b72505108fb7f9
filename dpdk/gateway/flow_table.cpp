#include "flow_table.hpp"

namespace svcnat::dpdk {

template <typename Addr>
std::unique_ptr<FlowTable<Addr>> FlowTable<Addr>::create(const std::string& name, uint32_t max_flows, int socket) {
    if (max_flows == 0) return nullptr;
    rte_hash_parameters p{};
    p.name = name.c_str();
    // Two keys per flow; rte_hash needs some slack to place keys in buckets.
    p.entries = max_flows * 2 + max_flows / 4;
    p.key_len = sizeof(Key);
    p.hash_func = rte_hash_crc;
    p.socket_id = socket;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // no spurious "full" on bucket collisions
    rte_hash* h = rte_hash_create(&p);
    if (h == nullptr) return nullptr;
    std::unique_ptr<FlowTable> s(new FlowTable());
    s->hash_ = h;
    s->slots_.resize(max_flows);
    s->used_.assign(max_flows, 0);
    s->folded_.resize(max_flows);
    s->free_.reserve(max_flows);
    for (uint32_t i = max_flows; i > 0; --i) s->free_.push_back(i - 1);
    return s;
}

template <typename Addr>
FlowTable<Addr>::~FlowTable() { rte_hash_free(hash_); }

template <typename Addr>
uint64_t FlowTable<Addr>::lookup_bulk(const Key* const* keys, const uint32_t* sigs, uint32_t n, Index* out) const {
    void* data[RTE_HASH_LOOKUP_BULK_MAX];
    uint64_t hits = 0;
    // (DPDK 22.11 declares the signatures non-const; it only reads them.)
    rte_hash_lookup_with_hash_bulk_data(hash_, reinterpret_cast<const void**>(const_cast<const Key**>(keys)),
                                        const_cast<hash_sig_t*>(sigs), n, &hits, data);
    uint64_t reply = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const auto d = reinterpret_cast<uintptr_t>(data[i]);
        out[i] = (hits >> i) & 1 ? static_cast<Index>(d >> 1) : kNone;
        reply |= static_cast<uint64_t>((hits >> i) & d & 1) << i;
    }
    return reply;
}

template <typename Addr>
typename FlowTable<Addr>::Index FlowTable<Addr>::lookup(const Key& key, bool* reply_side) const {
    void* data;
    if (rte_hash_lookup_with_hash_data(hash_, &key, hash(key), &data) < 0) return kNone;
    const auto d = reinterpret_cast<uintptr_t>(data);
    if (reply_side != nullptr) *reply_side = d & 1;
    return static_cast<Index>(d >> 1);
}

template <typename Addr>
typename FlowTable<Addr>::Index FlowTable<Addr>::insert(const Entry& e, const FlowRoute& route) {
    if (free_.empty()) return kNone;
    const Index idx = free_.back();
    // The data of each key: the slab index, and in bit 0 which side it is.
    void* client_data = reinterpret_cast<void*>(static_cast<uintptr_t>(idx) << 1);
    void* reply_data = reinterpret_cast<void*>(static_cast<uintptr_t>(idx) << 1 | 1);
    // No lookup of the reply key first: SNAT leases are exclusive (one flow
    // per SNAT ip:port), so a reply key can only be taken by a bug. (The
    // client key is new too: the worker looks a burst's keys up before it
    // creates flows, and matches later packets of the burst against the
    // flows it created.)
    const uint32_t client_sig = hash(e.client_side);
    if (rte_hash_add_key_with_hash_data(hash_, &e.client_side, client_sig, client_data) < 0) return kNone;
    if (rte_hash_add_key_with_hash_data(hash_, &e.reply_side, hash(e.reply_side), reply_data) < 0) {
        rte_hash_del_key_with_hash(hash_, &e.client_side, client_sig);
        return kNone;
    }
    free_.pop_back();
    slots_[idx].entry = e;
    used_[idx] = 1;
    slots_[idx].route = route;
    folded_[idx] = {};
    ++size_;
    return idx;
}

template <typename Addr>
void FlowTable<Addr>::erase(Index i) {
    if (!used_[i]) return;
    const Entry& e = slots_[i].entry;
    rte_hash_del_key_with_hash(hash_, &e.client_side, hash(e.client_side));
    rte_hash_del_key_with_hash(hash_, &e.reply_side, hash(e.reply_side));
    used_[i] = 0;
    free_.push_back(i);
    --size_;
}

template class FlowTable<Ip4>;
template class FlowTable<Ip6>;

}  // namespace svcnat::dpdk
