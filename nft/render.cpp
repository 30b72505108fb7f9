#include "render.hpp"

#include "table_mark.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace svcnat::nft {
namespace {

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::string_view type_name(FieldType t) {
    switch (t) {
        case FieldType::IPv4Addr: return "ipv4_addr";
        case FieldType::IPv6Addr: return "ipv6_addr";
        case FieldType::InetProto: return "inet_proto";
        case FieldType::InetService: return "inet_service";
        case FieldType::Index: return "mark";  // only ever printed through typeof
    }
    return "?";
}

std::string key_expr(IPFamily f, KeyExpr k, uint32_t modulus) {
    const std::string fam(family_keyword(f));
    switch (k) {
        case KeyExpr::Saddr: return fam + " saddr";
        case KeyExpr::Daddr: return fam + " daddr";
        case KeyExpr::L4Proto: return "meta l4proto";
        case KeyExpr::ThDport: return "th dport";
        case KeyExpr::Numgen: return "numgen random mod " + std::to_string(modulus);
    }
    return "?";
}

std::string key_exprs(IPFamily f, const std::vector<KeyExpr>& ks, uint32_t modulus) {
    std::string s;
    for (size_t i = 0; i < ks.size(); ++i) {
        if (i) s += " . ";
        s += key_expr(f, ks[i], modulus);
    }
    return s;
}

std::string proto_name(uint8_t n) {
    switch (n) {
        case 6: return "tcp";
        case 17: return "udp";
        case 132: return "sctp";
        default: return std::to_string(n);
    }
}

std::string render_verdict(const Verdict& v) {
    switch (v.kind) {
        case VerdictKind::None: return "";
        case VerdictKind::Accept: return "accept";
        case VerdictKind::Drop: return "drop";
        case VerdictKind::Return: return "return";
        case VerdictKind::Jump: return "jump " + v.chain;
        case VerdictKind::Goto: return "goto " + v.chain;
    }
    return "";
}

// Decodes wire bytes field by field into nft's notation.
std::string render_fields(const std::vector<FieldType>& types, const WireBytes& bytes) {
    std::string out;
    size_t off = 0;
    for (size_t i = 0; i < types.size(); ++i) {
        if (i) out += " . ";
        const auto* p = bytes.data() + off;
        const size_t size = field_wire_size(types[i]);
        if (off + size > bytes.size()) return out + "?";
        switch (types[i]) {
            case FieldType::IPv4Addr:
            case FieldType::IPv6Addr: {
                IPAddr a;
                a.family = types[i] == FieldType::IPv4Addr ? IPFamily::IPv4 : IPFamily::IPv6;
                std::memcpy(a.bytes.data(), p, a.size());
                out += a.str();
                break;
            }
            case FieldType::InetProto: out += proto_name(p[0]); break;
            case FieldType::InetService: out += std::to_string((p[0] << 8) | p[1]); break;
            case FieldType::Index: {
                uint32_t v;
                std::memcpy(&v, p, 4);
                out += std::to_string(v);
                break;
            }
        }
        off += size;
    }
    return out;
}

std::string target_text(IPFamily f, const Target& t, bool colon) {
    std::string a = t.addr.str();
    if (colon) return (f == IPFamily::IPv6 ? "[" + a + "]" : a) + ":" + std::to_string(t.port);
    return a + " . " + std::to_string(t.port);
}

std::string render_stmt(IPFamily f, const Stmt& s) {
    const std::string fam(family_keyword(f));
    switch (s.kind) {
        case StmtKind::MatchPrefix: {
            // nft lists a full-length prefix as the plain address.
            const bool host = s.cidr.prefix == (s.cidr.addr.is_v4() ? 32 : 128);
            return key_expr(f, s.key.at(0), 0) + (s.negate ? " != " : " ") + (host ? s.cidr.addr.str() : s.cidr.str());
        }
        case StmtKind::MatchL4Proto: return "meta l4proto " + proto_name(protocol_number(s.proto));
        case StmtKind::MatchFibLocal:
            return std::string("fib ") + (s.key.at(0) == KeyExpr::Saddr ? "saddr" : "daddr") + " type local";
        case StmtKind::MatchCtStateNew: return "ct state new";
        case StmtKind::MatchCtDnat: return "ct status dnat";
        case StmtKind::MatchMarkClear: return "meta mark & " + hex32(s.mark_bit) + " == 0x00000000";
        case StmtKind::Lookup: return key_exprs(f, s.key, s.modulus) + " @" + s.set;
        case StmtKind::Vmap: return key_exprs(f, s.key, s.modulus) + " vmap @" + s.set;
        case StmtKind::SetMarkBit: return "meta mark set meta mark | " + hex32(s.mark_bit);
        case StmtKind::ClearMarkBit: return "meta mark set meta mark & " + hex32(~s.mark_bit);
        case StmtKind::DnatMap: return "dnat " + fam + " to " + key_exprs(f, s.key, s.modulus) + " map @" + s.set;
        case StmtKind::DnatAnon: {
            std::string out = "dnat " + fam + " to numgen random mod " + std::to_string(s.modulus) + " map { ";
            for (size_t i = 0; i < s.targets.size(); ++i) {
                if (i) out += ", ";
                out += std::to_string(i) + " : " + target_text(f, s.targets[i], false);
            }
            return out + " }";
        }
        case StmtKind::DnatTo: return "dnat " + fam + " to " + target_text(f, s.targets.at(0), true);
        case StmtKind::NumgenVmapAnon: {
            std::string out = "numgen random mod " + std::to_string(s.modulus) + " vmap { ";
            for (size_t i = 0; i < s.chains.size(); ++i) {
                if (i) out += ", ";
                out += std::to_string(i) + " : goto " + s.chains[i];
            }
            return out + " }";
        }
        case StmtKind::UpdateSaddr: return "update @" + s.set + " { " + fam + " saddr }";
        case StmtKind::Masquerade: return "masquerade fully-random";
        case StmtKind::RejectTcpReset: return "reject with tcp reset";
        case StmtKind::RejectIcmp: return "reject";
        case StmtKind::Verdict: return render_verdict(s.verdict);
    }
    return "";
}

std::string priority_text(const BaseHook& h) {
    // nft 1.0.6 knows these names only on the hooks they were made for.
    if (h.hook == "prerouting" && h.priority == kPriorityDstnat) return "dstnat";
    if (h.hook == "postrouting" && h.priority == kPrioritySrcnat) return "srcnat";
    if (h.priority == 0) return "filter";
    return std::to_string(h.priority);
}

std::string render_set(IPFamily f, const Set& s) {
    const auto& sp = s.spec;
    const bool is_map = sp.is_vmap || !sp.data.empty();
    std::string out = std::string("\t") + (is_map ? "map " : "set ") + sp.name + " {\n\t\t";
    if (!sp.typeof_key.empty()) {
        out += "typeof " + key_exprs(f, sp.typeof_key, sp.typeof_modulus);
        // Data of typeof maps here is always address . port.
        if (!sp.data.empty()) out += " : " + key_exprs(f, {KeyExpr::Daddr, KeyExpr::ThDport}, 0);
    } else {
        out += "type ";
        for (size_t i = 0; i < sp.key.size(); ++i) out += (i ? " . " : "") + std::string(type_name(sp.key[i]));
        if (sp.is_vmap) out += " : verdict";
        else if (!sp.data.empty()) {
            out += " : ";
            for (size_t i = 0; i < sp.data.size(); ++i) out += (i ? " . " : "") + std::string(type_name(sp.data[i]));
        }
    }
    out += "\n";
    if (sp.size) out += "\t\tsize " + std::to_string(sp.size) + "\n";
    if (sp.dynamic_timeout) out += "\t\tflags dynamic,timeout\n\t\ttimeout " + std::to_string(sp.timeout_s) + "s\n";
    if (!s.elements.empty()) {
        std::vector<const ElementMap::value_type*> sorted;
        sorted.reserve(s.elements.size());
        for (const auto& e : s.elements) sorted.push_back(&e);
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->first < b->first; });
        out += "\t\telements = { ";
        for (size_t i = 0; i < sorted.size(); ++i) {
            if (i) out += ",\n\t\t\t     ";
            out += render_element(sp, sorted[i]->first, sorted[i]->second);
        }
        out += " }\n";
    }
    return out + "\t}\n";
}

}  // namespace

std::string render_element(const SetSpec& spec, const WireBytes& key, const ElementValue& v) {
    std::string out = render_fields(spec.key, key);
    if (spec.is_vmap) out += " : " + render_verdict(v.verdict);
    else if (!spec.data.empty()) out += " : " + render_fields(spec.data, v.data);
    return out;
}

std::string render_rule(IPFamily family, const Rule& r) {
    std::string out;
    for (const auto& s : r.stmts) {
        if (!out.empty()) out += ' ';
        out += render_stmt(family, s);
    }
    return out;
}

std::string render_table(const Table& t) {
    std::string out = "table " + std::string(family_keyword(t.family)) + " " + t.name + " {\n";
    out += "\tcomment \"" + std::string(kTableMark) + "\"\n";
    bool first = true;
    for (const auto& [name, set] : t.sets) {
        if (!first) out += "\n";
        first = false;
        out += render_set(t.family, set);
    }
    for (const auto& [name, chain] : t.chains) {
        if (!first) out += "\n";
        first = false;
        out += "\tchain " + name + " {\n";
        if (chain.base)
            out += "\t\ttype " + chain.base->type + " hook " + chain.base->hook + " priority " +
                   priority_text(*chain.base) + "; policy accept;\n";
        for (const auto& r : chain.rules) out += "\t\t" + render_rule(t.family, r) + "\n";
        out += "\t}\n";
    }
    return out + "}\n";
}

std::string render(const Ruleset& rs) {
    std::string out;
    for (const auto& t : rs.tables) out += render_table(t);
    return out;
}

}  // namespace svcnat::nft
