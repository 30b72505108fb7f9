#include "conntrack.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <tuple>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

namespace svcnat::nft::netlink {
namespace {

struct HandleCloser {
    void operator()(nfct_handle* h) const { nfct_close(h); }
};
using Handle = std::unique_ptr<nfct_handle, HandleCloser>;

struct EntryFree {
    void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using Entry = std::unique_ptr<nf_conntrack, EntryFree>;

IPAddr address_of(const nf_conntrack* ct, bool v4, nf_conntrack_attr v4_attr, nf_conntrack_attr v6_attr) {
    IPAddr a;
    if (v4) {
        a.family = IPFamily::IPv4;
        uint32_t be = nfct_get_attr_u32(ct, v4_attr);
        std::memcpy(a.bytes.data(), &be, 4);
    } else {
        a.family = IPFamily::IPv6;
        const void* p = nfct_get_attr(ct, v6_attr);
        if (p != nullptr) std::memcpy(a.bytes.data(), p, 16);
    }
    return a;
}

struct DumpState {
    const std::function<bool(const UdpFlow&)>* stale;
    bool v4;
    size_t examined = 0;
    std::vector<Entry> matches;
};

int on_entry(enum nf_conntrack_msg_type, struct nf_conntrack* ct, void* data) {
    auto* st = static_cast<DumpState*>(data);
    ++st->examined;
    if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP) return NFCT_CB_CONTINUE;
    const UdpFlow flow{address_of(ct, st->v4, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST),
                       ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST)),
                       address_of(ct, st->v4, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC),
                       ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC))};
    if ((*st->stale)(flow)) {
        // The dump's buffer is reused after the callback: keep a copy.
        nf_conntrack* copy = nfct_clone(ct);
        if (copy != nullptr) st->matches.emplace_back(copy);
    }
    return NFCT_CB_CONTINUE;
}

std::string describe(const nf_conntrack* ct) {
    char buf[512];
    nfct_snprintf(buf, sizeof(buf), ct, NFCT_T_UNKNOWN, NFCT_O_DEFAULT, 0);
    return buf;
}

}  // namespace

ConntrackDeletion delete_udp_conntrack_where(bool ipv4, bool ipv6, const std::function<bool(const UdpFlow&)>& stale) {
    ConntrackDeletion result;
    if (!ipv4 && !ipv6) {
        result.ok = true;
        return result;
    }
    Handle dump(nfct_open(CONNTRACK, 0));
    Handle remove(nfct_open(CONNTRACK, 0));
    if (!dump || !remove) {
        result.errors.push_back(std::string("conntrack netlink socket: ") + std::strerror(errno));
        return result;
    }
    for (bool v4 : {true, false}) {
        if (v4 ? !ipv4 : !ipv6) continue;
        DumpState st{&stale, v4, 0, {}};
        nfct_callback_register(dump.get(), NFCT_T_ALL, on_entry, &st);
        uint32_t family = v4 ? AF_INET : AF_INET6;
        int rc = nfct_query(dump.get(), NFCT_Q_DUMP, &family);
        int dump_errno = errno;
        nfct_callback_unregister(dump.get());
        result.examined += st.examined;
        if (rc < 0) {
            result.errors.push_back(std::string("dump ") + (v4 ? "ipv4" : "ipv6") + ": " + std::strerror(dump_errno));
            continue;
        }
        for (const Entry& ct : st.matches) {
            ++result.matched;
            if (nfct_query(remove.get(), NFCT_Q_DESTROY, ct.get()) == 0) {
                ++result.deleted;
            } else if (errno != ENOENT) {  // ENOENT: expired or removed meanwhile
                result.errors.push_back("delete " + describe(ct.get()) + ": " + std::strerror(errno));
            }
        }
    }
    result.ok = result.errors.empty();
    return result;
}

ConntrackDeletion delete_udp_conntrack(std::span<const UdpConntrackTarget> targets) {
    using M = UdpConntrackTarget::Match;
    using Key = std::tuple<M, IPAddr, uint16_t>;
    std::set<Key> keys;
    bool want_v4 = false, want_v6 = false;
    for (const UdpConntrackTarget& t : targets) {
        keys.emplace(t.match, t.address, t.port);
        (t.address.is_v4() ? want_v4 : want_v6) = true;
    }
    return delete_udp_conntrack_where(want_v4, want_v6, [&keys](const UdpFlow& f) {
        return keys.count({M::OriginalDestination, f.original_destination, f.original_port}) ||
               keys.count({M::ReplySource, f.reply_source, f.reply_port});
    });
}

}  // namespace svcnat::nft::netlink
