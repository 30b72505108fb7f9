#include "flow_table.hpp"

#include <algorithm>

namespace svcnat::dpdk {

template <typename Addr>
std::unique_ptr<FlowTable<Addr>> FlowTable<Addr>::create(const std::string& name, uint32_t max_flows, int socket,
                                                         uint32_t leases) {
    if (max_flows == 0) return nullptr;
    rte_hash_parameters p{};
    p.name = name.c_str();
    // One key per flow; rte_hash needs some slack to place keys in buckets.
    p.entries = std::max<uint32_t>(max_flows + max_flows / 4, 64);  // rte_hash wants at least a bucket
    p.key_len = sizeof(Key);
    p.hash_func = rte_hash_crc;
    p.socket_id = socket;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;  // no spurious "full" on bucket collisions
    rte_hash* h = rte_hash_create(&p);
    if (h == nullptr) return nullptr;
    std::unique_ptr<FlowTable> s(new FlowTable());
    s->hash_ = h;
    s->slots_.resize(max_flows);
    s->reply_by_lease_.assign(leases, kNone);
    s->used_.assign(max_flows, 0);
    s->folded_.resize(max_flows);
    s->free_.reserve(max_flows);
    for (uint32_t i = max_flows; i > 0; --i) s->free_.push_back(i - 1);
    return s;
}

template <typename Addr>
FlowTable<Addr>::~FlowTable() { rte_hash_free(hash_); }

template <typename Addr>
void FlowTable<Addr>::lookup_bulk(const Key* const* keys, const uint32_t* sigs, uint32_t n, Index* out) const {
    void* data[RTE_HASH_LOOKUP_BULK_MAX];
    uint64_t hits = 0;
    // (DPDK 22.11 declares the signatures non-const; it only reads them.)
    rte_hash_lookup_with_hash_bulk_data(hash_, reinterpret_cast<const void**>(const_cast<const Key**>(keys)),
                                        const_cast<hash_sig_t*>(sigs), n, &hits, data);
    for (uint32_t i = 0; i < n; ++i)
        out[i] = (hits >> i) & 1 ? static_cast<Index>(reinterpret_cast<uintptr_t>(data[i])) : kNone;
}

template <typename Addr>
typename FlowTable<Addr>::Index FlowTable<Addr>::lookup(const Key& key) const {
    void* data;
    if (rte_hash_lookup_with_hash_data(hash_, &key, hash(key), &data) < 0) return kNone;
    return static_cast<Index>(reinterpret_cast<uintptr_t>(data));
}

template <typename Addr>
typename FlowTable<Addr>::Index FlowTable<Addr>::insert(const Entry& e, const FlowRoute& route, uint32_t lease) {
    if (free_.empty() || lease >= reply_by_lease_.size() || reply_by_lease_[lease] != kNone) return kNone;
    const Index idx = free_.back();
    // No lookup of the client key first: the worker looks a burst's keys up
    // before it creates flows, and matches later packets of the burst
    // against the flows it created, so the key is new.
    if (rte_hash_add_key_with_hash_data(hash_, &e.client_side, hash(e.client_side),
                                        reinterpret_cast<void*>(static_cast<uintptr_t>(idx))) < 0)
        return kNone;
    free_.pop_back();
    Slot& s = slots_[idx];
    s.entry = e;
    s.route = route;
    s.lease = lease;
    reply_by_lease_[lease] = idx;
    used_[idx] = 1;
    folded_[idx] = {};
    ++size_;
    return idx;
}

template <typename Addr>
void FlowTable<Addr>::erase(Index i) {
    if (!used_[i]) return;
    const Slot& s = slots_[i];
    rte_hash_del_key_with_hash(hash_, &s.entry.client_side, hash(s.entry.client_side));
    reply_by_lease_[s.lease] = kNone;
    used_[i] = 0;
    free_.push_back(i);
    --size_;
}

template class FlowTable<Ip4>;
template class FlowTable<Ip6>;

}  // namespace svcnat::dpdk
