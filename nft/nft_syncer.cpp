// make_nft_syncer(): keeps the kernel's svcnat tables equal to the model.
//
// Every sync is one nf_tables transaction. A full sync replaces the tables
// atomically (add; delete; add + contents), so traffic never sees an empty
// table; an incremental sync sends only the diff against the last
// committed model. After any failure the next sync is full, because an
// aborted transaction leaves the kernel as it was but our bookkeeping may no
// longer match what someone else did to the tables meanwhile.
#include <chrono>
#include <map>
#include <set>

#include "builder.hpp"
#include "diff.hpp"
#include "encode.hpp"
#include "incremental.hpp"
#include "netlink/conntrack.hpp"
#include "netlink/tables.hpp"
#include "netlink/transaction.hpp"
#include "syncer.hpp"
#include "syncer_changes.hpp"

namespace svcnat {
namespace {

using namespace nft;

std::string table_owner(const Table& t) { return "table " + std::string(family_keyword(t.family)) + " " + t.name; }

// A chain whose rules bind data maps (`dnat … map @endpoints`) and no
// verdict map: the class chains. Binding a map walks its elements in the
// kernel, checking each against the binding; bound while the map is still
// empty, each element is checked once per binding as it goes in instead,
// which is a register-size check for data maps (unlike a vmap's jumps).
bool binds_data_maps_only(const Chain& c) {
    bool dnat_map = false;
    for (const auto& r : c.rules)
        for (const auto& s : r.stmts) {
            if (s.kind == StmtKind::Vmap || s.kind == StmtKind::NumgenVmapAnon) return false;
            if (s.kind == StmtKind::DnatMap) dnat_map = true;
        }
    return dnat_map;
}

// Everything in `t`, after append_replace_table() emptied it: chains, sets,
// the rules binding data maps (so each class chain's binding does not walk
// 100,000s of elements), elements, the other rules (vmap rules bind after
// their elements exist).
void encode_table_contents(nftnet::Batch& batch, const Table& t) {
    const std::string owner = table_owner(t);
    auto owner_of = [&](const auto& o) -> const std::string& { return o.owner.empty() ? owner : o.owner; };
    for (const auto& [name, chain] : t.chains) batch.add_chain(make_chain(t, chain).get(), nftnet::kCreate, owner_of(chain));
    for (const auto& [name, set] : t.sets) batch.add_set(make_set(t, set.spec).get(), nftnet::kCreate, owner_of(set));
    for (const auto& [name, chain] : t.chains)
        if (binds_data_maps_only(chain))
            for (const auto& r : chain.rules) append_rule(batch, t, name, r, owner_of(chain));
    for (const auto& [name, set] : t.sets) append_all_elements(batch, t, set);
    for (const auto& [name, chain] : t.chains)
        if (!binds_data_maps_only(chain))
            for (const auto& r : chain.rules) append_rule(batch, t, name, r, owner_of(chain));
}

// The bytes of a full batch's elements, its bulk (8 MB at 10,000 x 10),
// slightly over: each element is its key and data in 12–20 bytes of
// attribute headers, plus a verdict and its chain name in a verdict map.
size_t estimated_element_bytes(const Ruleset& rs) {
    size_t bytes = 0;
    for (const auto& t : rs.tables)
        for (const auto& [name, set] : t.sets) {
            if (set.elements.empty()) continue;
            const auto& [key, value] = set.elements[0];
            const size_t verdict = set.spec.is_vmap ? 20 + (value.verdict.chain.size() + 4) / 4 * 4 : 0;
            bytes += set.elements.size() * (20 + key.size() + value.data.size() + verdict);
        }
    return bytes;
}

void encode_full(nftnet::Batch& batch, const Ruleset& rs) {
    batch.reserve(estimated_element_bytes(rs) + (size_t{256} << 10));
    for (const auto& t : rs.tables) {
        nftnet::append_replace_table(batch, make_table(t.family, t.name).get(), table_owner(t));
        encode_table_contents(batch, t);
    }
}

std::string_view owner_of(const Chain& c, const Table& t, std::string& scratch) {
    if (!c.owner.empty()) return c.owner;
    scratch = table_owner(t);
    return scratch;
}

void append_elements(nftnet::Batch& batch, const Table& t, const std::vector<ElementRef>& refs, bool add) {
    // Group by set: one element list per set keeps messages few.
    std::map<const Set*, std::vector<const ElementRef*>> by_set;
    for (const auto& r : refs) by_set[r.set].push_back(&r);
    for (const auto& [set, list] : by_set)
        nft::append_elements(batch, t, set->spec, add, list.size(), [&list](size_t i) {
            return std::pair<const WireBytes*, const ElementValue*>{list[i]->key, list[i]->value};
        });
}

void encode_diff(nftnet::Batch& batch, const RulesetDiff& d) {
    std::string scratch;
    for (const auto& td : d.tables) {
        const Table& now = *td.after;
        const Table& was = *td.before;
        for (const auto* c : td.add_chains) batch.add_chain(make_chain(now, *c).get(), nftnet::kCreate, owner_of(*c, now, scratch));
        for (const auto* s : td.add_sets) {
            batch.add_set(make_set(now, s->spec).get(), nftnet::kCreate, s->owner.empty() ? table_owner(now) : s->owner);
            append_all_elements(batch, now, *s);
        }
        append_elements(batch, was, td.delete_elements, false);
        for (const auto* c : td.replace_chains) batch.flush_chain(make_chain(now, *c).get(), owner_of(*c, now, scratch));
        for (const auto* c : td.delete_chains) batch.flush_chain(make_chain(was, *c).get(), owner_of(*c, was, scratch));
        append_elements(batch, now, td.add_elements, true);
        for (const auto* list : {&td.add_chains, &td.replace_chains})
            for (const auto* c : *list)
                for (const auto& r : c->rules) append_rule(batch, now, c->name, r, owner_of(*c, now, scratch));
        for (const auto* c : td.delete_chains) batch.delete_chain(make_chain(was, *c).get(), owner_of(*c, was, scratch));
        for (const auto* s : td.delete_sets)
            batch.delete_set(make_set_ref(was, s->spec.name).get(), s->owner.empty() ? table_owner(was) : s->owner);
    }
}

bool same_node(const NodeInfo& a, const NodeInfo& b) { return a.name == b.name && a.ips == b.ips && a.zone == b.zone; }

class NftSyncer final : public Syncer {
public:
    NftSyncer(const Settings& settings, SyncerMode mode) : settings_(settings), mode_(mode) {}

    SyncReport sync(const ServiceState& desired, bool full) override {
        const auto start = std::chrono::steady_clock::now();
        SyncReport report;
        full = full || !committed_ || need_full_;
        if (!full && committed_state_) {
            // One walk over both states finds the changed ports (or none:
            // no build, no diff, no batch); their fragments give the batch.
            if (auto plan = incremental_.plan(*committed_, *committed_state_, desired, settings_)) {
                if (plan->unchanged) {
                    report.ok = true;
                    report.no_local_endpoints = count_no_local_endpoints(desired);
                    report.plan_seconds = report.seconds = seconds_since(start);
                    return report;
                }
                // A set that would outgrow its kernel size: replace the
                // tables (fresh sizes) instead of letting the kernel refuse.
                report.full_reason = overflowing_set(plan->diff);
                if (report.full_reason.empty()) return sync_ports(*plan, desired, start);
                full = true;
            } else if (same_node(committed_state_->node, desired.node) && committed_state_->ports == desired.ports) {
                // The general path below rebuilds and diffs (also when
                // nothing changed but the walk could not tell, e.g. unsorted
                // ports).
                report.ok = true;
                report.no_local_endpoints = count_no_local_endpoints(desired);
                report.plan_seconds = report.seconds = seconds_since(start);
                return report;
            }
        }
        auto next = std::make_unique<Ruleset>(build_ruleset(desired, settings_));
        const auto changes = count_changes(committed_state_ ? &*committed_state_ : nullptr, desired);
        report.service_changes = changes.service_ports;
        report.endpoint_changes = changes.endpoints;
        report.no_local_endpoints = count_no_local_endpoints(desired);

        nftnet::Batch batch;
        RulesetDiff d;
        if (!full) {
            d = diff_rulesets(*committed_, *next);
            if (d.needs_full) {
                full = true;
                report.full_reason = d.full_reason;
            } else if (auto over = overflowing_set(d); !over.empty()) {
                full = true;
                report.full_reason = std::move(over);
            } else {
                keep_committed_sizes(*committed_, *next);
            }
        }
        report.full = full;
        report.plan_seconds = seconds_since(start);
        const auto encode_start = std::chrono::steady_clock::now();
        if (full) {
            encode_full(batch, *next);
        } else if (d.empty()) {
            committed_state_ = desired;  // same ruleset; remember the state for change counts
            report.ok = true;
            report.seconds = seconds_since(start);
            return report;
        } else {
            encode_diff(batch, d);
        }

        report.encode_seconds = seconds_since(encode_start);
        const auto kernel_start = std::chrono::steady_clock::now();
        nftnet::BatchResult result;
        try {
            if (!socket_) socket_ = std::make_unique<nftnet::NetlinkSocket>();
            result = nftnet::send_batch(*socket_, batch);
        } catch (const std::exception& e) {
            result.outcome = nftnet::Outcome::Unknown;
            result.transport_error = e.what();
        }
        report.kernel_seconds = seconds_since(kernel_start);
        report.sent = true;
        report.messages = result.messages;
        report.bytes = result.bytes;
        for (const auto& e : result.errors) report.errors.push_back({e.owner, e.describe()});
        if (!result.transport_error.empty()) report.errors.push_back({"", result.transport_error});
        if (result.ok()) {
            report.ok = true;
            need_full_ = false;
            forget_stale_udp(desired, report);
            committed_ = std::move(next);
            if (mode_ == SyncerMode::Incremental) {
                committed_state_ = desired;
                incremental_.reset(*committed_, *committed_state_);
            }
        } else {
            report.ok = false;
            need_full_ = true;
            incremental_.invalidate();
            if (report.errors.empty())
                report.errors.push_back({"", std::string("transaction outcome: ") + std::string(nftnet::to_string(result.outcome))});
        }
        report.seconds = seconds_since(start);
        return report;
    }

    bool cleanup(std::string* error) override {
        try {
            if (!socket_) socket_ = std::make_unique<nftnet::NetlinkSocket>();
            std::vector<nftnet::TableId> ids{{nfproto(IPFamily::IPv4), settings_.table},
                                             {nfproto(IPFamily::IPv6), settings_.table}};
            auto r = nftnet::delete_tables(*socket_, ids);
            committed_.reset();
            committed_state_.reset();
            need_full_ = true;
            incremental_.invalidate();
            if (!r.ok()) {
                if (error) *error = r.summary();
                return false;
            }
            return true;
        } catch (const std::exception& e) {
            if (error) *error = e.what();
            return false;
        }
    }

private:
    // A few service ports added, removed or changed: the batch, the model
    // update and the conntrack clean-up cost what changed, not the ruleset.
    SyncReport sync_ports(IncrementalPath::Plan& plan, const ServiceState& desired,
                          std::chrono::steady_clock::time_point start) {
        SyncReport report;
        ServiceState before_ports{committed_state_->node, {}}, after_ports{desired.node, {}};
        for (const auto& c : plan.changes) {
            if (c.before) before_ports.ports.push_back(*c.before);
            if (c.after) after_ports.ports.push_back(*c.after);
        }
        const auto changes = count_changes(&before_ports, after_ports);
        report.service_changes = changes.service_ports;
        report.endpoint_changes = changes.endpoints;
        report.no_local_endpoints = count_no_local_endpoints(desired);
        report.plan_seconds = seconds_since(start);
        const auto encode_start = std::chrono::steady_clock::now();
        nftnet::Batch batch;
        encode_diff(batch, plan.diff);
        report.encode_seconds = seconds_since(encode_start);
        const auto kernel_start = std::chrono::steady_clock::now();
        auto result = send(batch);
        report.kernel_seconds = seconds_since(kernel_start);
        fill(report, result);
        if (result.ok()) {
            incremental_.apply(plan, *committed_, *committed_state_, desired);
            auto targets = stale_udp_targets(before_ports, after_ports);
            if (!targets.empty())
                for (const auto& e : nftnet::delete_udp_conntrack(targets).errors) report.errors.push_back({"conntrack", e});
            report.ok = true;
        } else {
            need_full_ = true;
            incremental_.invalidate();
        }
        report.seconds = seconds_since(start);
        return report;
    }

    nftnet::BatchResult send(nftnet::Batch& batch) {
        nftnet::BatchResult result;
        try {
            if (!socket_) socket_ = std::make_unique<nftnet::NetlinkSocket>();
            result = nftnet::send_batch(*socket_, batch);
        } catch (const std::exception& e) {
            result.outcome = nftnet::Outcome::Unknown;
            result.transport_error = e.what();
        }
        return result;
    }

    static void fill(SyncReport& report, const nftnet::BatchResult& result) {
        report.sent = true;
        report.messages = result.messages;
        report.bytes = result.bytes;
        for (const auto& e : result.errors) report.errors.push_back({e.owner, e.describe()});
        if (!result.transport_error.empty()) report.errors.push_back({"", result.transport_error});
        if (!result.ok() && report.errors.empty())
            report.errors.push_back({"", std::string("transaction outcome: ") + std::string(nftnet::to_string(result.outcome))});
    }

    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }

    // UDP has no teardown: entries towards a removed endpoint or service
    // would keep steering clients there until they time out.
    // Without committed state (a restart, `sync --once`) the changes are
    // unknown, so the conntrack table is compared with the new ruleset.
    void forget_stale_udp(const ServiceState& desired, SyncReport& report) {
        if (!committed_state_) {
            UdpStaleEntries stale(desired);
            if (stale.empty()) return;
            auto r = nftnet::delete_udp_conntrack_where(stale.has_ipv4(), stale.has_ipv6(),
                                                        [&stale](const nftnet::UdpFlow& f) { return stale.is_stale(f); });
            for (const auto& e : r.errors) report.errors.push_back({"conntrack", e});
            return;
        }
        auto targets = stale_udp_targets(*committed_state_, desired);
        if (targets.empty()) return;
        auto r = nftnet::delete_udp_conntrack(targets);
        for (const auto& e : r.errors) report.errors.push_back({"conntrack", e});
    }

    Settings settings_;
    SyncerMode mode_;
    std::unique_ptr<nftnet::NetlinkSocket> socket_;
    std::unique_ptr<Ruleset> committed_;
    std::optional<ServiceState> committed_state_;
    bool need_full_ = true;
    IncrementalPath incremental_;
};

}  // namespace

std::unique_ptr<Syncer> make_nft_syncer(const Settings& settings, SyncerMode mode) {
    return std::make_unique<NftSyncer>(settings, mode);
}

}  // namespace svcnat
