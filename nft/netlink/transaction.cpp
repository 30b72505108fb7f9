#include "transaction.hpp"

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <vector>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

namespace svcnat::nft::netlink {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Per-reply receive-buffer cost: the kernel charges an ACK's skb truesize
// (about 768 bytes for a small ACK with extended-ack text) against rcvbuf.
constexpr size_t kReplyTruesize = 1024;
constexpr size_t kMaxReceiveBuffer = size_t{512} << 20;
constexpr size_t kReceiveChunk = size_t{64} << 10;

struct ExtAck {
    std::string message;
    std::optional<uint32_t> offset;
};

int ext_ack_attr(const nlattr* attr, void* data) {
    auto* ack = static_cast<ExtAck*>(data);
    switch (mnl_attr_get_type(attr)) {
    case NLMSGERR_ATTR_MSG:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) ack->message = mnl_attr_get_str(attr);
        break;
    case NLMSGERR_ATTR_OFFS:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0) ack->offset = mnl_attr_get_u32(attr);
        break;
    default:
        break;
    }
    return MNL_CB_OK;
}

ExtAck parse_ext_ack(const nlmsghdr* nlh, const nlmsgerr* err) {
    ExtAck ack;
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return ack;
    // Without NETLINK_CAP_ACK the failed message's payload sits between the
    // nlmsgerr and the TLVs.
    size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
    if (mnl_nlmsg_get_payload_len(nlh) <= offset) return ack;
    mnl_attr_parse(nlh, static_cast<unsigned int>(offset), ext_ack_attr, &ack);
    return ack;
}

}  // namespace

std::string MessageError::describe() const {
    std::string out = owner.empty() ? std::string("(unknown owner)") : owner;
    out += ": ";
    out += message_name.empty() ? std::string("message") : message_name;
    out += " seq " + std::to_string(seq) + ": " + error_text;
    if (!ext_ack.empty()) out += " (" + ext_ack + ")";
    if (attr_offset) out += " [attribute at offset " + std::to_string(*attr_offset) + "]";
    return out;
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::Committed: return "committed";
    case Outcome::Aborted: return "aborted";
    case Outcome::Unknown: return "unknown";
    }
    return "unknown";
}

std::string BatchResult::summary() const {
    std::string out = std::string(to_string(outcome)) + ": " + std::to_string(messages) + " messages, " +
                      std::to_string(bytes) + " bytes";
    if (!transport_error.empty()) out += "\n  transport: " + transport_error;
    if (replies_lost) out += "\n  replies lost (ENOBUFS)";
    for (const MessageError& e : errors) out += "\n  " + e.describe();
    return out;
}

bool absorb_replies(std::span<const uint8_t> bytes, uint32_t port_id, const Batch& batch,
                    std::vector<bool>& answered, BatchResult& result) {
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data());
    int len = static_cast<int>(bytes.size());
    const auto& messages = batch.messages();
    if (answered.size() < messages.size()) answered.resize(messages.size(), false);
    while (mnl_nlmsg_ok(nlh, len)) {
        // Replies to other sockets cannot arrive here, but notifications
        // (port 0) would if someone subscribed us: skip what isn't ours.
        if (nlh->nlmsg_pid == port_id && nlh->nlmsg_type == NLMSG_ERROR) {
            if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) return false;
            const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
            const uint32_t seq = err->msg.nlmsg_seq;
            if (const MessageInfo* info = batch.find(seq)) {
                answered[static_cast<size_t>(info - messages.data())] = true;
            }
            if (err->error == 0) {
                ++result.acks;
            } else {
                MessageError e;
                e.seq = seq;
                e.error = -err->error;
                e.error_text = std::strerror(e.error);
                ExtAck ack = parse_ext_ack(nlh, err);
                e.ext_ack = std::move(ack.message);
                e.attr_offset = ack.offset;
                const MessageInfo* info = batch.find(seq);
                e.message_type = info != nullptr ? info->type : err->msg.nlmsg_type;
                e.message_name = message_type_name(e.message_type);
                e.owner = std::string(batch.owner_of(seq, e.attr_offset));
                if (info != nullptr && info == &messages.front() && e.owner.empty())
                    e.owner = "(transaction)";  // commit-time failure, reported on BATCH_BEGIN
                result.errors.push_back(std::move(e));
            }
        }
        nlh = mnl_nlmsg_next(nlh, &len);
    }
    return len == 0;
}

void settle_outcome(const Batch& batch, const std::vector<bool>& answered, BatchResult& result) {
    const auto& messages = batch.messages();
    result.unanswered = 0;
    for (size_t i = 0; i < messages.size(); ++i) {
        const bool is_control = messages[i].type == NFNL_MSG_BATCH_BEGIN || messages[i].type == NFNL_MSG_BATCH_END;
        if (!is_control && (messages[i].flags & NLM_F_ACK) && !(i < answered.size() && answered[i]))
            ++result.unanswered;
    }
    if (!result.errors.empty())
        result.outcome = Outcome::Aborted;  // any error aborts the whole transaction
    else if (!result.transport_error.empty() || result.replies_lost || result.unanswered > 0)
        result.outcome = Outcome::Unknown;
    else
        result.outcome = Outcome::Committed;
}

namespace {

// The kernel refuses a netlink message larger than sndbuf - 32 bytes, and
// drops replies that don't fit rcvbuf: size both for this batch.
void size_buffers(NetlinkSocket& socket, const BatchResult& result) {
    socket.ensure_send_buffer(result.bytes + 4096);
    const size_t reply_bytes = result.messages * kReplyTruesize;
    socket.ensure_receive_buffer(std::min(std::max(reply_bytes, NetlinkSocket::kInitialBufferBytes), kMaxReceiveBuffer));
}

// The whole batch in one sendmsg(): nfnetlink handles the transaction
// inside the call. False when nothing reached nf_tables.
bool send_all(NetlinkSocket& socket, std::vector<iovec>& iov, BatchResult& result) {
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    msghdr msg{};
    msg.msg_name = &kernel;
    msg.msg_namelen = sizeof(kernel);
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    const auto start = Clock::now();
    ssize_t sent;
    do {
        sent = sendmsg(socket.fd(), &msg, 0);
    } while (sent < 0 && errno == EINTR);
    result.send_seconds = seconds_since(start);
    if (sent < 0) {
        // The kernel rejected the datagram itself (EMSGSIZE: larger than the
        // send buffer; ENOMEM...).
        result.transport_error = std::string("sendmsg: ") + std::strerror(errno) + " (" +
                                 std::to_string(result.bytes) + " bytes, send buffer " +
                                 std::to_string(socket.send_buffer()) + ")";
        result.outcome = Outcome::Aborted;
        return false;
    }
    if (static_cast<size_t>(sent) != result.bytes)
        result.transport_error =
            "sendmsg: short send of " + std::to_string(sent) + " of " + std::to_string(result.bytes) + " bytes";
    return true;
}

// Every reply is queued by the time sendmsg() returns, so read without
// blocking until the queue is empty or the BATCH_END (acknowledged by
// kernels >= 6.10) has been answered.
void read_replies(NetlinkSocket& socket, Batch& batch, BatchResult& result) {
    const auto start = Clock::now();
    std::vector<bool> answered(batch.messages().size(), false);
    std::vector<uint8_t> buffer(kReceiveChunk);
    bool waited = false;
    for (;;) {
        iovec riov{buffer.data(), buffer.size()};
        msghdr rmsg{};
        sockaddr_nl from{};
        rmsg.msg_name = &from;
        rmsg.msg_namelen = sizeof(from);
        rmsg.msg_iov = &riov;
        rmsg.msg_iovlen = 1;
        const ssize_t got = recvmsg(socket.fd(), &rmsg, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS) {  // replies overflowed rcvbuf; the rest is still queued
                result.replies_lost = true;
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                result.transport_error = std::string("recvmsg: ") + std::strerror(errno);
                break;
            }
            settle_outcome(batch, answered, result);
            // Everything should be queued; one short wait guards against a
            // reply still in flight before concluding it is missing.
            if (result.unanswered == 0 || waited) break;
            waited = true;
            pollfd p{socket.fd(), POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) break;
            continue;
        }
        if (from.nl_pid != 0) continue;  // only the kernel answers
        if (rmsg.msg_flags & MSG_TRUNC) {
            result.transport_error = "recvmsg: reply truncated";
            continue;
        }
        if (!absorb_replies({buffer.data(), static_cast<size_t>(got)}, socket.port_id(), batch, answered, result))
            result.transport_error = "malformed netlink reply";
        if (!answered.empty() && answered.back()) {
            settle_outcome(batch, answered, result);
            if (result.unanswered == 0) break;
        }
    }
    result.receive_seconds = seconds_since(start);
    settle_outcome(batch, answered, result);
}

}  // namespace

BatchResult send_batch(NetlinkSocket& socket, Batch& batch) {
    BatchResult result;
    batch.finish();
    std::vector<iovec> iov = batch.iovecs();
    result.messages = batch.messages().size();
    result.bytes = batch.size_bytes();
    result.pages = iov.size();
    if (iov.size() > IOV_MAX) {
        result.transport_error = "batch of " + std::to_string(iov.size()) + " pages exceeds IOV_MAX (" +
                                 std::to_string(IOV_MAX) + ")";
        result.outcome = Outcome::Aborted;
        return result;
    }
    size_buffers(socket, result);
    if (send_all(socket, iov, result)) read_replies(socket, batch, result);
    return result;
}

}  // namespace svcnat::nft::netlink
