// KernelSyncer: keeps the kernel's svcnat tables equal to the model.
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
#include "kernel_syncer.hpp"

#include "table_ownership.hpp"
#include "encode.hpp"
#include "change_planner.hpp"
#include "nft/netlink/conntrack.hpp"
#include "nft/netlink/tables.hpp"
#include "nft/netlink/transaction.hpp"
#include "stale_conntrack.hpp"

namespace svcnat::nft {
namespace {

// What the kernel's rules are built from: the state without the DNS view
// (which can be large and which this syncer never reads).


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
void encode_table_contents(netlink::Batch& batch, const Table& t) {
    const std::string owner = table_owner(t);
    auto owner_of = [&](const auto& o) -> const std::string& { return o.owner.empty() ? owner : o.owner; };
    for (const auto& [name, chain] : t.chains) batch.add_chain(make_chain(t, chain).get(), netlink::kCreate, owner_of(chain));
    for (const auto& [name, set] : t.sets) batch.add_set(make_set(t, set.spec).get(), netlink::kCreate, owner_of(set));
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

void encode_full(netlink::Batch& batch, const Ruleset& rs) {
    batch.reserve(estimated_element_bytes(rs) + (size_t{256} << 10));
    for (const auto& t : rs.tables) {
        netlink::append_replace_table(batch, make_table(t.family, t.name).get(), table_owner(t));
        encode_table_contents(batch, t);
    }
}

std::string_view owner_of(const Chain& c, const Table& t, std::string& scratch) {
    if (!c.owner.empty()) return c.owner;
    scratch = table_owner(t);
    return scratch;
}

void append_elements(netlink::Batch& batch, const Table& t, const std::vector<ElementRef>& refs, bool add) {
    // Group by set: one element list per set keeps messages few.
    std::map<const Set*, std::vector<const ElementRef*>> by_set;
    for (const auto& r : refs) by_set[r.set].push_back(&r);
    for (const auto& [set, list] : by_set)
        nft::append_elements(batch, t, set->spec, add, list.size(), [&list](size_t i) {
            return std::pair<const WireBytes*, const ElementValue*>{list[i]->key, list[i]->value};
        });
}

void encode_diff(netlink::Batch& batch, const RulesetDiff& d) {
    std::string scratch;
    for (const auto& td : d.tables) {
        const Table& now = *td.after;
        const Table& was = *td.before;
        for (const auto* c : td.add_chains) batch.add_chain(make_chain(now, *c).get(), netlink::kCreate, owner_of(*c, now, scratch));
        for (const auto* s : td.add_sets) {
            batch.add_set(make_set(now, s->spec).get(), netlink::kCreate, s->owner.empty() ? table_owner(now) : s->owner);
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

bool same_state(const ServiceState& a, const ServiceState& b) {
    return a.node.name == b.node.name && a.node.ips == b.node.ips && a.node.zone == b.node.zone &&
           a.service_cidrs == b.service_cidrs && a.ports == b.ports;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void count_changes(const ServiceState& before, const ServiceState& after, SyncReport& report) {
    const StateChanges changes = compare_states(before, after);
    report.service_changes = changes.service_port_changes();
    report.endpoint_changes = changes.endpoint_changes;
}

}  // namespace

KernelSyncer::KernelSyncer(const Settings& settings, SyncerMode mode) : settings_(settings), mode_(mode) {}
KernelSyncer::~KernelSyncer() = default;

netlink::NetlinkSocket& KernelSyncer::socket() {
    if (!socket_) socket_ = std::make_unique<netlink::NetlinkSocket>();
    return *socket_;
}

// Three ways through a sync: nothing changed (no batch); a few service
// ports changed and the planner expresses it in their own objects; or the
// ruleset is rebuilt and diffed against the committed one, or replaced whole.
SyncReport KernelSyncer::sync(const SharedState& desired_state, bool full) {
    const ServiceState& desired = *desired_state;
    const auto start = Clock::now();
    stats_ = {};
    full = full || !committed_ || need_full_;
    std::string full_reason;
    if (!full && committed_state_) {
        // One walk over both states finds the changed ports (or none: no
        // build, no diff, no batch); their fragments give the batch.
        if (auto plan = planner_.plan(*committed_, *committed_state_, desired, settings_, &stats_.planner_declined)) {
            if (plan->unchanged) return unchanged(start);
            // A set that would outgrow its kernel size: replace the tables
            // (fresh sizes) instead of letting the kernel refuse.
            full_reason = overflowing_set(plan->diff);
            if (full_reason.empty()) return sync_changed_ports(*plan, desired_state, start);
            full = true;
        } else if (same_state(*committed_state_, desired)) {
            return unchanged(start);  // e.g. unsorted ports that the planner's walk could not match
        }
    }
    return sync_rebuilt(desired_state, full, std::move(full_reason), start);
}

SyncReport KernelSyncer::unchanged(Clock::time_point start) {
    SyncReport report;
    report.ok = true;
    stats_.plan_seconds = report.seconds = seconds_since(start);
    return report;
}

// A few service ports added, removed or changed: the batch, the model
// update and the conntrack clean-up cost what changed, not the ruleset.
SyncReport KernelSyncer::sync_changed_ports(ChangePlanner::Plan& plan, const SharedState& desired_state,
                                            Clock::time_point start) {
    const ServiceState& desired = *desired_state;
    SyncReport report;
    ServiceState before_ports{committed_state_->node, {}, committed_state_->service_cidrs, {}, {}},
        after_ports{desired.node, {}, desired.service_cidrs, {}, {}};
    for (const auto& c : plan.changes) {
        if (c.before) before_ports.ports.push_back(*c.before);
        if (c.after) after_ports.ports.push_back(*c.after);
    }
    const StateChanges changes = compare_states(before_ports, after_ports);
    report.service_changes = changes.service_port_changes();
    report.endpoint_changes = changes.endpoint_changes;
    stats_.plan_seconds = seconds_since(start);
    const auto encode_start = Clock::now();
    netlink::Batch batch;
    encode_diff(batch, plan.diff);
    if (commit(batch, report, encode_start)) {
        planner_.apply(plan, *committed_);
        committed_state_ = desired_state;
        auto targets = stale_udp_targets(before_ports, after_ports, changes);
        if (!targets.empty())
            for (const auto& e : netlink::delete_udp_conntrack(targets).errors) report.errors.push_back({"conntrack", e});
    }
    report.seconds = seconds_since(start);
    return report;
}

// Rebuild the ruleset; send its diff against the committed one, or (full)
// replace the tables with it.
SyncReport KernelSyncer::sync_rebuilt(const SharedState& desired_state, bool full, std::string full_reason,
                                      Clock::time_point start) {
    const ServiceState& desired = *desired_state;
    SyncReport report;
    auto next = std::make_unique<Ruleset>(build_ruleset(desired, settings_));
    count_changes(committed_state_ ? *committed_state_ : ServiceState{}, desired, report);
    RulesetDiff d;
    if (!full) {
        d = diff_rulesets(*committed_, *next);
        if (d.needs_full) full_reason = d.full_reason;
        else full_reason = overflowing_set(d);
        if (full_reason.empty()) keep_committed_sizes(*committed_, *next);
        else full = true;
    }
    report.full = full;
    report.full_reason = std::move(full_reason);
    stats_.plan_seconds = seconds_since(start);
    if (!full && d.empty()) {
        if (mode_ == SyncerMode::Incremental) committed_state_ = desired_state;  // same ruleset; for change counts
        report.ok = true;
        report.seconds = seconds_since(start);
        return report;
    }
    if (full && !settings_.force_table) {
        // Replacing a table is only for svcnat's own (see table_ownership.hpp).
        std::vector<IPFamily> families;
        for (const auto& t : next->tables) families.push_back(t.family);
        const auto foreign = foreign_tables(socket(), settings_.table, families);
        if (!foreign.empty()) {
            for (const auto& f : foreign) report.errors.push_back({f.table, f.message});
            need_full_ = true;
            report.seconds = seconds_since(start);
            return report;
        }
    }
    const auto encode_start = Clock::now();
    netlink::Batch batch;
    if (full) encode_full(batch, *next);
    else encode_diff(batch, d);
    if (commit(batch, report, encode_start)) {
        forget_stale_udp(desired, report);
        remember(std::move(next), desired_state);
    }
    report.seconds = seconds_since(start);
    return report;
}

// The one send path: the batch to the kernel, its outcome into the report
// and the stats. After a failure the next sync is full, because an aborted
// transaction leaves the kernel as it was but our bookkeeping may no longer
// match what someone else did to the tables meanwhile.
bool KernelSyncer::commit(netlink::Batch& batch, SyncReport& report, Clock::time_point encode_start) {
    stats_.encode_seconds = seconds_since(encode_start);
    const auto kernel_start = Clock::now();
    netlink::BatchResult result;
    try {
        result = netlink::send_batch(socket(), batch);
    } catch (const std::exception& e) {
        result.outcome = netlink::Outcome::Unknown;
        result.transport_error = e.what();
    }
    stats_.kernel_seconds = seconds_since(kernel_start);
    stats_.messages = result.messages;
    stats_.bytes = result.bytes;
    report.sent = true;
    report.detail = std::to_string(result.messages) + " netlink messages, " + std::to_string(result.bytes) + " bytes";
    for (const auto& e : result.errors) report.errors.push_back({e.owner, e.describe()});
    if (!result.transport_error.empty()) report.errors.push_back({"", result.transport_error});
    report.ok = result.ok();
    if (report.ok) {
        need_full_ = false;
        return true;
    }
    if (report.errors.empty())
        report.errors.push_back({"", std::string("transaction outcome: ") + std::string(netlink::to_string(result.outcome))});
    need_full_ = true;
    planner_.invalidate();
    return false;
}

void KernelSyncer::remember(std::unique_ptr<Ruleset> ruleset, const SharedState& desired) {
    committed_ = std::move(ruleset);
    if (mode_ != SyncerMode::Incremental) return;
    committed_state_ = desired;
    planner_.reset(*committed_, *committed_state_);
}

// UDP has no teardown: entries towards a removed endpoint or service would
// keep steering clients there until they time out. Without committed state
// (a restart, `sync --once`) the changes are unknown, so the conntrack table
// is compared with the new ruleset.
void KernelSyncer::forget_stale_udp(const ServiceState& desired, SyncReport& report) {
    netlink::ConntrackDeletion r;
    if (!committed_state_) {
        UdpStaleEntries stale(desired);
        if (stale.empty()) return;
        r = netlink::delete_udp_conntrack_where(stale.has_ipv4(), stale.has_ipv6(),
                                                [&stale](const netlink::UdpFlow& f) { return stale.is_stale(f); });
    } else {
        auto targets = stale_udp_targets(*committed_state_, desired, compare_states(*committed_state_, desired));
        if (targets.empty()) return;
        r = netlink::delete_udp_conntrack(targets);
    }
    for (const auto& e : r.errors) report.errors.push_back({"conntrack", e});
}

bool KernelSyncer::cleanup(std::string* error) {
    try {
        if (!settings_.force_table) {
            const auto foreign = foreign_tables(socket(), settings_.table, {IPFamily::IPv4, IPFamily::IPv6});
            if (!foreign.empty()) {
                if (error) *error = foreign.front().table + " " + foreign.front().message;
                return false;
            }
        }
        std::vector<netlink::TableId> ids{{nfproto(IPFamily::IPv4), settings_.table},
                                          {nfproto(IPFamily::IPv6), settings_.table}};
        auto r = netlink::delete_tables(socket(), ids);
        committed_.reset();
        committed_state_.reset();
        need_full_ = true;
        planner_.invalidate();
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

}  // namespace svcnat::nft
